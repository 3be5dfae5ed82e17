//! The `paradero` binary, run as a user would.

use std::path::Path;
use std::process::{Command, Output};

fn paradero(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_paradero"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .env_remove("PARADERO_CONFIG")
        .output()
        .expect("run paradero")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn feed_info_on_the_default_feed() {
    let out = paradero(&["feed", "info", "--date", "2026-11-23"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    for needle in [
        "feed arequipa",
        "6,711",
        "frequency templates",
        "240",
        "vehicle runs",
        "35,811",
        "footpaths",
        "components",
        "warnings",
        "memory",
    ] {
        assert!(s.contains(needle), "missing `{needle}` in:\n{s}");
    }
}

#[test]
fn feed_info_json_matches_text() {
    let out = paradero(&[
        "feed",
        "info",
        "feeds/trujillo.zip",
        "--json",
        "--date",
        "2026-11-23",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(v["totals"]["stops"], 4067);
    assert_eq!(v["totals"]["routes"], 102);
    assert_eq!(v["feeds"][0]["id"], "trujillo");
    assert_eq!(v["date"], "2026-11-23");
    assert!(v["vehicle_runs"].as_u64().unwrap() > 10_000);
    assert!(v["load_seconds"].as_f64().unwrap() > 0.0);
}

#[test]
fn bad_input_gives_one_clear_line_and_failure() {
    let dir = tempfile::tempdir().unwrap();
    let bad_cfg = dir.path().join("bad.toml");
    std::fs::write(&bad_cfg, "[walking]\nspeed_m_s = -1\n").unwrap();
    let bad_cfg = bad_cfg.to_string_lossy().into_owned();
    let cases: &[(&[&str], &str)] = &[
        (&["feed", "info", "/no/such/feed.zip"], "/no/such/feed.zip"),
        (&["feed", "info", "--date", "mañana"], "mañana"),
        (&["feed", "info", "Cargo.toml"], "zip"),
        (&["--config", &bad_cfg, "feed", "info"], "walking.speed_m_s"),
        (
            &["feed", "info", "feeds/arequipa.zip", "feeds/sao-paulo.zip"],
            "timezone",
        ),
    ];
    for (args, needle) in cases {
        let out = paradero(args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains(needle),
            "{args:?}: `{err}` should mention `{needle}`"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(
            err.trim().lines().count(),
            1,
            "{args:?}: one line, got {err}"
        );
    }
    let out = paradero(&["feed", "nope"]);
    assert_eq!(out.status.code(), Some(2), "usage errors exit 2");
}

#[test]
fn environment_overrides_reach_the_loader() {
    let out = Command::new(env!("CARGO_BIN_EXE_paradero"))
        .args(["feed", "info", "--json", "--date", "2026-11-23"])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .env("PARADERO_WALKING__FOOTPATH_RADIUS_M", "0")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["footpaths"], 0, "a zero radius generates no footpaths");
}
