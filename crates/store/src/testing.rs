//! Helpers for fault tests of the crates above the store (feature `test-support`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs of a given size mounted on a fresh folder, unmounted when dropped. `mount` gives
/// `None` where this machine does not let the test mount one (not root, no rights in the
/// mount namespace); fault tests then fall back to SQLite's page limit
/// ([`crate::Store::limit_sqlite_pages`]).
#[derive(Debug)]
pub struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (`3m`, `512k`).
    pub fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Tmpfs { dir })
    }

    /// Where it is mounted.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Fills the volume holding `dir` to the last byte with a ballast file; returns its path
/// (remove it to give the space back).
pub fn fill_volume(dir: &Path) -> PathBuf {
    use std::io::Write;
    let ballast = dir.join("ballast");
    let mut f = std::fs::File::create(&ballast).expect("create the ballast file");
    let block = vec![7u8; 4096];
    while f.write_all(&block).is_ok() {}
    // The last partial block, byte by byte.
    while f.write_all(&[7]).is_ok() {}
    let _ = f.flush();
    ballast
}
