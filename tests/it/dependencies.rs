//! The dependency rules of ARCHITECTURE.md, checked on the resolved graph (`cargo metadata`),
//! so that a forbidden dependency fails a test instead of creeping in: the routing core does no
//! I/O, no async and no serde; the observatory's pure crate never sees a database or HTTP; the
//! store never sees HTTP or Telegram; the application layer sees neither front door; the HTTP
//! crate and the chatbot never import each other.

use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::process::Command;

/// Each workspace crate's normal (non-dev, non-build) dependencies, by name: its own and those
/// of the workspace crates it depends on.
fn closure() -> HashMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");
    // The graph for this machine's platform, from what the build already fetched (offline).
    let version = Command::new(&cargo).arg("-vV").output().expect("cargo -vV");
    let host = String::from_utf8_lossy(&version.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .expect("cargo names its host");
    let out = Command::new(&cargo)
        .args(["metadata", "--format-version", "1", "--offline"])
        .args(["--filter-platform", &host, "--manifest-path", manifest])
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata --filter-platform {host}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    // What each workspace crate declares as a normal dependency. (The resolved graph unifies
    // features across the workspace, so it would charge a crate with what a sibling enables.)
    let members: BTreeSet<&str> = meta["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    let declared: HashMap<String, Vec<String>> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| members.contains(p["id"].as_str().unwrap()))
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["kind"].is_null())
                .map(|d| d["name"].as_str().unwrap().to_string())
                .collect();
            (p["name"].as_str().unwrap().to_string(), deps)
        })
        .collect();
    // A crate reaches what it declares, and what every workspace crate it reaches declares.
    declared
        .keys()
        .map(|start| {
            let mut seen = BTreeSet::new();
            let mut stack = vec![start.clone()];
            while let Some(k) = stack.pop() {
                for d in declared.get(&k).into_iter().flatten() {
                    if seen.insert(d.clone()) && declared.contains_key(d) {
                        stack.push(d.clone());
                    }
                }
            }
            (start.clone(), seen)
        })
        .collect()
}

#[test]
fn no_crate_depends_on_what_its_layer_forbids() {
    let deps = closure();
    let rules: &[(&str, &[&str])] = &[
        // The routing core: no I/O, no async, no serde, no database, no HTTP.
        (
            "timetable",
            &["tokio", "serde", "sqlx", "axum", "hyper", "reqwest"],
        ),
        (
            "raptor",
            &["tokio", "serde", "sqlx", "axum", "hyper", "reqwest", "gtfs"],
        ),
        (
            "planner",
            &["tokio", "sqlx", "axum", "hyper", "store", "server", "bot"],
        ),
        // The observatory's pure crate never sees a database, HTTP or the runtime.
        (
            "observatory",
            &["sqlx", "axum", "hyper", "tokio", "store", "server", "bot"],
        ),
        // The store never sees HTTP or Telegram.
        ("store", &["axum", "hyper", "teloxide", "server", "bot"]),
        // The application layer knows neither front door: no HTTP, no Telegram.
        (
            "app",
            &[
                "axum", "hyper", "tower", "teloxide", "utoipa", "server", "bot",
            ],
        ),
        // The HTTP crate never imports the chatbot or Telegram.
        ("server", &["bot", "teloxide"]),
        // The chatbot never imports the HTTP crate: both are adapters over `app`.
        ("bot", &["server", "utoipa"]),
    ];
    let mut broken = Vec::new();
    for (krate, forbidden) in rules {
        let have = deps
            .get(*krate)
            .unwrap_or_else(|| panic!("{krate} is not a workspace member"));
        for f in *forbidden {
            if have.contains(*f) {
                broken.push(format!("{krate} depends on {f}"));
            }
        }
    }
    assert!(broken.is_empty(), "forbidden dependencies: {broken:?}");
    // The rule must see the graph: both front doors do reach the application layer, and it
    // the store and the planner.
    assert!(deps["server"].contains("app") && deps["bot"].contains("app"));
    assert!(deps["app"].contains("store") && deps["app"].contains("planner"));
}
