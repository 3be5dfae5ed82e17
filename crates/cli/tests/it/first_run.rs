//! A new user's first minutes: the repository as a clone has it, the README's first command,
//! nothing else (no `data/`, no environment overrides, no `--config`).

use super::http;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The commands of the README's "Set-up: two commands" block, without comments.
fn readme_setup_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let section = readme
        .split("## Set-up: two commands")
        .nth(1)
        .expect("the README has a set-up section");
    let block = section
        .split("```sh")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("the set-up section has a sh block");
    block
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// Copies the files git tracks (what a clone holds), as they are in the working tree.
fn copy_as_cloned(to: &Path) {
    let root = repo_root();
    let out = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(&root)
        .output()
        .expect("git is installed");
    assert!(out.status.success(), "git ls-files");
    for name in out.stdout.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let name = std::str::from_utf8(name).unwrap();
        let from = root.join(name);
        if !from.is_file() {
            continue; // deleted in the working tree
        }
        let dest = to.join(name);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&from, &dest).unwrap();
    }
}

#[test]
fn a_fresh_clone_serves_with_the_readmes_first_command() {
    let commands = readme_setup_commands();
    assert_eq!(
        commands,
        ["cargo run --release", "bash .ci/test"],
        "the README's two set-up commands changed: update this test to run the first as written"
    );
    // `cargo run --release` runs the workspace's default member, `paradero`, with no
    // arguments: `serve` on config/paradero.toml, listening on 127.0.0.1:8080.
    let clone = tempfile::tempdir().unwrap();
    copy_as_cloned(clone.path());
    assert!(clone.path().join("config/paradero.toml").is_file());
    assert!(!clone.path().join("data").exists(), "a clone has no data/");
    let mut child = Command::new(env!("CARGO_BIN_EXE_paradero"))
        .current_dir(clone.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = child.stderr.take().unwrap();
    let log_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut log, &mut s);
        s
    });
    let addr = "127.0.0.1:8080";
    let started = Instant::now();
    let mut health = None;
    while started.elapsed() < Duration::from_secs(60) {
        if let Some(status) = child.try_wait().unwrap() {
            let log = log_reader.join().unwrap();
            panic!("paradero exited with {status} on a fresh clone:\n{log}");
        }
        if std::net::TcpStream::connect(addr).is_ok() {
            health = Some(http(addr, "GET", "/healthz", &[], ""));
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let (status, body) = health.expect("the server listens on 127.0.0.1:8080 within a minute");
    assert_eq!(status, 200, "{body}");
    // Arequipa's 6,711 stops and Trujillo's 4,067.
    assert!(body.contains("\"stops\":10778"), "{body}");
    let (status, body) = http(addr, "GET", "/v1/cities", &[], "");
    assert_eq!(status, 200, "{body}");
    let cities: serde_json::Value = serde_json::from_str(&body).unwrap();
    let ids: Vec<&str> = cities["cities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["arequipa", "trujillo"], "{body}");
    // Trujillo walks on its streets (the shipped extract); Arequipa has none.
    assert_eq!(cities["cities"][1]["streets"], true, "{body}");
    assert_eq!(cities["cities"][0]["streets"], false, "{body}");
    let (status, body) = http(
        addr,
        "GET",
        "/v1/plan?from=-8.1116,-79.0288&to=-8.0900,-79.0400&at=2026-11-23T08:00&city=trujillo",
        &[],
        "",
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"itineraries\":[{"), "{body}");
    let (status, body) = http(
        addr,
        "GET",
        "/v1/plan?from=-16.3989,-71.5369&to=-8.1116,-79.0288&at=2026-11-23T08:00",
        &[],
        "",
    );
    assert_eq!(
        status, 422,
        "a plan from Arequipa to Trujillo is refused: {body}"
    );
    assert!(
        body.contains("Arequipa") && body.contains("Trujillo"),
        "{body}"
    );
    let (status, body) = http(addr, "GET", "/trujillo", &[], "");
    assert_eq!(status, 200, "{body}");
    let (status, body) = http(
        addr,
        "GET",
        "/v1/plan?from=-16.3989,-71.5369&to=-16.4250,-71.5200&at=2026-11-23T08:00",
        &[],
        "",
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"itineraries\":[{"), "{body}");
    // The observatory's database was created where the configuration says: data/ at the
    // clone's root, beside config/.
    assert!(
        clone.path().join("data/paradero.db").is_file(),
        "data/paradero.db created"
    );
    let (status, body) = http(
        addr,
        "POST",
        "/v1/reports",
        &[("Content-Type", "application/json")],
        r#"{"category": "robo", "lat": -16.3989, "lon": -71.5369}"#,
    );
    assert_eq!(status, 201, "{body}");
    assert!(
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    let log = log_reader.join().unwrap();
    assert!(status.success(), "exit {status:?}:\n{log}");
}
