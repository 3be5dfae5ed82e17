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
    // What each workspace crate declares as a normal dependency, with the features that turn
    // its optional ones on. (The resolved graph unifies features across the workspace, so it
    // would charge a crate with what a sibling enables: `server` turns on `planner/openapi`,
    // which `app` and `bot` never see.)
    let members: BTreeSet<&str> = meta["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    let packages: HashMap<String, &Value> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| members.contains(p["id"].as_str().unwrap()))
        .map(|p| (p["name"].as_str().unwrap().to_string(), p))
        .collect();
    packages
        .keys()
        .map(|start| (start.clone(), reached(&packages, start)))
        .collect()
}

/// Each workspace crate's own normal dependencies (not dev, not build), by name: what its code
/// may name.
fn direct() -> HashMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");
    let out = Command::new(&cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--no-deps",
        ])
        .args(["--manifest-path", manifest])
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    meta["packages"]
        .as_array()
        .unwrap()
        .iter()
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
        .collect()
}

#[test]
fn the_front_doors_reach_the_city_only_through_app() {
    let deps = direct();
    // What `app` re-exports is all the doors name; the lower crates are `app`'s business.
    let below = [
        "store",
        "planner",
        "raptor",
        "timetable",
        "realtime",
        "observatory",
        "streets",
        "gtfs",
    ];
    let mut broken = Vec::new();
    for door in ["server", "bot"] {
        let have = deps
            .get(door)
            .unwrap_or_else(|| panic!("{door} is not a workspace member"));
        assert!(
            have.contains("app"),
            "{door} does not depend on app: {have:?}"
        );
        for b in below {
            if have.contains(b) {
                broken.push(format!("{door} depends on {b}"));
            }
        }
    }
    assert!(broken.is_empty(), "the doors go around app: {broken:?}");
    // The rule must see the graph: `app` itself does reach them, and `cli` wires the city.
    assert!(deps["app"].contains("store") && deps["app"].contains("planner"));
    assert!(deps["realtime"].contains("timetable"));
}

/// The features `asked` of `package` turn on, transitively (`default` included if asked).
fn expand(package: &Value, asked: &BTreeSet<String>) -> BTreeSet<String> {
    let mut on = BTreeSet::new();
    let mut stack: Vec<String> = asked.iter().cloned().collect();
    while let Some(f) = stack.pop() {
        if !on.insert(f.clone()) {
            continue;
        }
        for item in package["features"][&f].as_array().into_iter().flatten() {
            let item = item.as_str().unwrap_or("");
            // `dep:x` and `x/feature` turn on the dependency `x`; a bare name is a feature or
            // an optional dependency of the same name.
            let name = item
                .trim_start_matches("dep:")
                .split('/')
                .next()
                .unwrap_or("");
            stack.push(name.trim_end_matches('?').to_string());
        }
    }
    on
}

/// Every dependency (by name) a workspace crate reaches through normal dependencies, with
/// optional ones only where a feature that is on enables them.
fn reached(packages: &HashMap<String, &Value>, start: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut visited = BTreeSet::new();
    let mut stack = vec![(start.to_string(), BTreeSet::from(["default".to_string()]))];
    while let Some((name, asked)) = stack.pop() {
        let Some(package) = packages.get(&name) else {
            continue;
        };
        let on = expand(package, &asked);
        if !visited.insert((name.clone(), on.clone())) {
            continue;
        }
        for d in package["dependencies"].as_array().unwrap() {
            let dep = d["name"].as_str().unwrap().to_string();
            let key = d["rename"]
                .as_str()
                .map_or_else(|| dep.clone(), str::to_string);
            if !d["kind"].is_null() || (d["optional"] == true && !on.contains(&key)) {
                continue;
            }
            seen.insert(dep.clone());
            let mut features: BTreeSet<String> = d["features"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str().map(str::to_string))
                .collect();
            if d["uses_default_features"] != false {
                features.insert("default".into());
            }
            // What this crate's own features ask of the dependency (`dep/feature`).
            for f in &on {
                for item in package["features"][f].as_array().into_iter().flatten() {
                    if let Some((n, feat)) = item.as_str().and_then(|i| i.split_once('/'))
                        && n.trim_end_matches('?') == key
                    {
                        features.insert(feat.to_string());
                    }
                }
            }
            stack.push((dep, features));
        }
    }
    seen
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
        // Real time is applied without I/O: the caller fetches, decodes nothing else, swaps.
        (
            "realtime",
            &[
                "tokio", "serde", "sqlx", "axum", "hyper", "reqwest", "gtfs", "planner",
            ],
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
        // The phone's timetable and router build for WebAssembly: no runtime, no database,
        // no HTTP, no OS randomness, and nothing of the privacy machinery (OpenSSL).
        (
            "offline",
            &[
                "tokio",
                "sqlx",
                "axum",
                "hyper",
                "reqwest",
                "store",
                "app",
                "observatory",
                "getrandom",
                "opendp",
            ],
        ),
        (
            "phone",
            &[
                "tokio",
                "sqlx",
                "axum",
                "hyper",
                "reqwest",
                "store",
                "app",
                "observatory",
                "getrandom",
                "opendp",
                "gtfs",
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
    assert!(deps["realtime"].contains("timetable"));
}
