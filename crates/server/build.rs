//! Builds the phone's router (`crates/phone`) for `wasm32-unknown-unknown` and hands it to the
//! server to embed (`/assets/phone.wasm`), so `cargo run` serves a page that plans offline.
//!
//! A nested `cargo build` into its own target directory (`target/phone`), small and
//! self-contained: size-optimised, panics abort, symbols stripped, and only the Americas' time
//! zones (`CHRONO_TZ_TIMEZONE_FILTER`). Without the WebAssembly target (`rustup target add
//! wasm32-unknown-unknown`; `.ci/run` and the README install it), the server builds anyway,
//! with a warning, and serves no router: the page then plans online only.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest.join("../..");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("phone.wasm");
    for dir in [
        "phone",
        "offline",
        "planner",
        "raptor",
        "timetable",
        "realtime",
        "streets",
        "i18n",
    ] {
        println!(
            "cargo:rerun-if-changed={}",
            root.join("crates").join(dir).display()
        );
    }
    println!(
        "cargo:rerun-if-changed={}",
        root.join("Cargo.lock").display()
    );
    println!("cargo:rerun-if-env-changed=PARADERO_SKIP_WASM");
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("phone");
    let built = target_dir.join("wasm32-unknown-unknown/release/phone.wasm");
    let ok = std::env::var_os("PARADERO_SKIP_WASM").is_none()
        && {
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let mut cmd = Command::new(cargo);
            cmd.current_dir(&root)
                .args([
                    "build",
                    "--package",
                    "phone",
                    "--lib",
                    "--target",
                    "wasm32-unknown-unknown",
                    "--release",
                    "--locked",
                ])
                .arg("--target-dir")
                .arg(&target_dir)
                .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "z")
                .env("CARGO_PROFILE_RELEASE_LTO", "fat")
                .env("CARGO_PROFILE_RELEASE_PANIC", "abort")
                .env("CARGO_PROFILE_RELEASE_STRIP", "true")
                .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1")
                .env("CHRONO_TZ_TIMEZONE_FILTER", "(America/.*|UTC|Etc/UTC)");
            // What the outer build passes its compiler is not for this one (clippy's driver,
            // coverage or host flags).
            for var in [
                "RUSTC_WRAPPER",
                "RUSTC_WORKSPACE_WRAPPER",
                "RUSTFLAGS",
                "CARGO_ENCODED_RUSTFLAGS",
                "CARGO_BUILD_RUSTFLAGS",
                "CARGO_TARGET_DIR",
                "CARGO_BUILD_TARGET",
                "CARGO_MAKEFLAGS",
                "MAKEFLAGS",
                "MFLAGS",
            ] {
                cmd.env_remove(var);
            }
            match cmd.status() {
                Ok(s) if s.success() => true,
                Ok(s) => {
                    println!(
                        "cargo:warning=the phone's router did not build for WebAssembly ({s}); is the target installed? `rustup target add wasm32-unknown-unknown`. The page will plan online only."
                    );
                    false
                }
                Err(e) => {
                    println!("cargo:warning=could not run cargo for the phone's router: {e}");
                    false
                }
            }
        };
    let bytes = if ok {
        std::fs::read(&built).unwrap_or_default()
    } else {
        Vec::new()
    };
    std::fs::write(&out, bytes).expect("OUT_DIR is writable");
}
