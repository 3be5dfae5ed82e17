//! The `paradero` binary, run as a user would.

mod bot;
mod browser;
mod first_run;
mod resilience;

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

/// Bad input: exit code 1 and one line on stderr that mentions `needle`, never a panic.
fn fails_clearly(args: &[&str], needle: &str) {
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

#[test]
fn feed_info_on_the_default_feed() {
    let out = paradero(&["feed", "info", "--date", "2026-11-23"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    for needle in [
        "feed arequipa",
        "6,711",
        "feed trujillo",
        "4,067",
        "frequency templates",
        "240",
        "vehicle runs",
        "55,295",
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
        fails_clearly(args, needle);
    }
    // The cause is said once, not once per level of the error chain.
    let err = text(&paradero(&["feed", "info", "/no/such/feed.zip"]).stderr);
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
    let err = text(&paradero(&["--config", "/no/such.toml", "feed", "info"]).stderr);
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
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

const FROM: &str = "--from=-16.3989,-71.5369";
const TO: &str = "--to=-16.4250,-71.5200";

#[test]
fn plan_prints_spanish_itineraries_by_default() {
    let out = paradero(&["plan", FROM, TO, "--at", "2026-11-23T08:00"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    for needle in [
        "Opción 1",
        "Camina",
        "Toma la ruta",
        "Bájate en",
        "PEN",
        // Arequipa's times are estimates (`times = "estimated"`), said as such.
        "no publica horarios",
        "sale hacia las",
        "(pasa cada ~5 min, estimado)",
    ] {
        assert!(s.contains(needle), "missing `{needle}` in:\n{s}");
    }
    let en =
        text(&paradero(&["plan", FROM, TO, "--at", "2026-11-23T08:00", "--lang", "en"]).stdout);
    assert!(
        en.contains("Option 1") && en.contains("Take route") && en.contains("Get off at"),
        "{en}"
    );
}

/// A trip asked for late at night leaves the next morning, and says so on every option.
#[test]
fn a_trip_after_the_last_bus_says_it_leaves_tomorrow() {
    let out = paradero(&["plan", FROM, TO, "--at", "2026-11-23T23:50"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    let options = s.matches("Opción ").count();
    assert!(options >= 1, "{s}");
    assert_eq!(s.matches("[Mañana] Opción").count(), options, "{s}");
    // Said once, first: no bus now, and when the first one leaves (the first option's time).
    let first = s
        .split("[Mañana] Opción 1: salida hacia las ")
        .nth(1)
        .and_then(|r| r.get(..5))
        .unwrap();
    let resumes = i18n::t(
        i18n::Lang::Es,
        "plan.service_resumes_tomorrow",
        &[("time", &first)],
    );
    assert!(s.starts_with(&resumes), "{s}");
    let day = text(&paradero(&["plan", FROM, TO, "--at", "2026-11-23T08:00"]).stdout);
    assert!(!day.contains("[Mañana]"), "{day}");
    let quiet = i18n::t(i18n::Lang::Es, "plan.service_resumes", &[("time", &"")]);
    assert!(!day.contains(quiet.split(':').next().unwrap()), "{day}");
    // In JSON: the departure of the first option, local ISO.
    let out = paradero(&["plan", FROM, TO, "--at", "2026-11-23T23:50", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["service_resumes"], v["itineraries"][0]["departure"],
        "{v}"
    );
    let out = paradero(&["plan", FROM, TO, "--at", "2026-11-23T08:00", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.get("service_resumes").is_none(), "{v}");
}

#[test]
fn plan_json_is_consistent() {
    let out = paradero(&["plan", FROM, TO, "--at", "2026-11-23T08:00", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let its = v["itineraries"].as_array().unwrap();
    assert!(!its.is_empty());
    for it in its {
        let legs = it["legs"].as_array().unwrap();
        let rides = legs.iter().filter(|l| l["mode"] == "ride").count() as u64;
        assert_eq!(it["transfers"].as_u64().unwrap(), rides.saturating_sub(1));
        assert!(it["departure"].as_str().unwrap() >= "2026-11-23T08:00:00-05:00");
        assert_eq!(
            it["duration_s"].as_i64().unwrap(),
            it["arrival_secs"].as_i64().unwrap() - it["departure_secs"].as_i64().unwrap()
        );
        if rides > 0 {
            assert_eq!(it["fare"]["currency"], "PEN");
            assert_eq!(
                it["fare"]["amount"].as_f64().unwrap(),
                rides as f64,
                "Arequipa: 1 PEN per route"
            );
        }
    }
    // Arrive-by answers arrive in time; a window gives more options.
    let out = paradero(&[
        "plan",
        FROM,
        TO,
        "--arrive-by",
        "2026-11-23T09:00",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for it in v["itineraries"].as_array().unwrap() {
        assert!(it["arrival"].as_str().unwrap() <= "2026-11-23T09:00:00-05:00");
    }
    let out = paradero(&[
        "plan",
        FROM,
        TO,
        "--at",
        "2026-11-23T08:00",
        "--window",
        "30m",
        "--json",
    ]);
    let w: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(w["itineraries"].as_array().unwrap().len() > its.len());
}

#[test]
fn plan_bad_input_gives_one_clear_line() {
    let cases: &[(&[&str], &str)] = &[
        (&["plan", "--from", "nope", TO], "«nope»"),
        // Lima: Trujillo's nearest stop is 475 km away (outside every city, not "another city").
        (&["plan", "--from=-12.05,-77.04", TO], "475.3 km"),
        (&["plan", "--from=95,1", TO], "«95,1»"),
        (
            &["plan", FROM, TO, "--at", "2026-13-01T08:00"],
            "2026-13-01",
        ),
        (&["plan", FROM, TO, "--at", "25:00"], "25:00"),
        (
            &["plan", FROM, "--to=-16.3989,-71.5369", "--at", "08:00"],
            "mismo lugar",
        ),
        (&["plan", FROM, TO, "--lang", "fr"], "«fr»"),
        (&["plan", FROM, TO, "--window", "soon"], "soon"),
        (&["plan", FROM, TO, "--wheelchair", "maybe"], "maybe"),
        (
            &[
                "plan",
                FROM,
                TO,
                "--at",
                "2026-11-23T08:00",
                "--feed",
                "feeds/sao-paulo.zip",
            ],
            "fuera del área",
        ),
        (
            &[
                "plan",
                "--from",
                "5555040128",
                TO,
                "--at",
                "2026-11-23T08:00",
                "--feed",
                "feeds/sao-paulo.zip",
            ],
            "5555040128",
        ),
    ];
    for (args, needle) in cases {
        fails_clearly(args, needle);
    }
    // No service: São Paulo's calendar ends in 2020.
    let out = paradero(&[
        "plan",
        "--from=-23.5505,-46.6333",
        "--to=-23.5610,-46.6560",
        "--at",
        "2026-11-23T08:00",
        "--feed",
        "feeds/sao-paulo.zip",
    ]);
    let err = text(&out.stderr);
    assert!(err.contains("No hay servicio el 2026-11-23"), "{err}");
}

/// A real `paradero serve` on a free loopback port; killed when dropped.
#[derive(Debug)]
pub struct Served {
    pub child: std::process::Child,
    pub addr: String,
    pub log: std::io::BufReader<std::process::ChildStderr>,
    /// The store's folder (a fresh SQLite database unless `env` names another).
    pub data: std::sync::Arc<tempfile::TempDir>,
}

impl Served {
    pub fn start(env: &[(&str, &str)]) -> Served {
        Served::start_in(std::sync::Arc::new(tempfile::tempdir().unwrap()), env)
    }

    /// Starts a server on the database in `data` (restarts share it).
    pub fn start_in(data: std::sync::Arc<tempfile::TempDir>, env: &[(&str, &str)]) -> Served {
        Served::start_at(data, "127.0.0.1:0", env)
    }

    /// [`Served::start_in`] listening on `listen` (a restart on the address a browser knows).
    pub fn start_at(
        data: std::sync::Arc<tempfile::TempDir>,
        listen: &str,
        env: &[(&str, &str)],
    ) -> Served {
        use std::io::BufRead;
        let url = format!("sqlite://{}/paradero.db", data.path().display());
        let mut child = Command::new(env!("CARGO_BIN_EXE_paradero"))
            .args(["serve", "--listen", listen])
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
            .env_remove("PARADERO_CONFIG")
            .env("PARADERO_STORE__URL", url)
            .envs(env.iter().copied())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The log says where it listens.
        let mut log = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut addr = None;
        for _ in 0..20 {
            let mut line = String::new();
            if log.read_line(&mut line).unwrap() == 0 {
                break;
            }
            if let Some(rest) = line.split("addr=").nth(1) {
                addr = rest.split_whitespace().next().map(str::to_string);
                break;
            }
        }
        let addr = addr.expect("the server logs its address");
        Served {
            child,
            addr,
            log,
            data,
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn serve_answers_on_loopback_and_stops_on_sigterm() {
    use std::io::{BufRead, Read, Write};
    let mut served = Served::start(&[]);
    let addr = served.addr.clone();
    let log = &mut served.log;
    let child = &mut served.child;
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    write!(stream, "GET /v1/plan?from=-16.3989,-71.5369&to=-16.4250,-71.5200&at=2026-11-23T08:00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 200"),
        "{}",
        &response[..response.len().min(200)]
    );
    assert!(response.contains("\"itineraries\""));
    // SIGHUP reloads the timetable while serving.
    assert!(
        Command::new("kill")
            .args(["-HUP", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let mut reloaded = false;
    for _ in 0..20 {
        let mut line = String::new();
        if log.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if line.contains("timetable reloaded") {
            reloaded = true;
            break;
        }
    }
    assert!(reloaded, "SIGHUP reloads");
    // SIGTERM: a graceful stop with exit code 0.
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "exit {status:?}");
}

/// `paradero simulate fleet` against the server at `addr` with `token`, from the checkout
/// (whose configuration names the feeds), with `args` after.
pub fn simulate(addr: &str, token: &str, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_paradero"));
    c.args(["simulate", "fleet", "--token", token])
        .args(["--server", &format!("http://{addr}")])
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .env_remove("PARADERO_CONFIG");
    c
}

/// One HTTP/1.1 exchange on a fresh connection: status and body.
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream.write_all(req.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|x| x.1.to_string())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn an_acknowledged_report_survives_kill_9() {
    let first = Served::start(&[]);
    let body = r#"{"category": "robo", "lat": -16.3989, "lon": -71.5369, "description": "Me robaron el celular."}"#;
    let (status, answer) = http(
        &first.addr,
        "POST",
        "/v1/reports",
        &[
            ("Content-Type", "application/json"),
            ("Idempotency-Key", "k-1"),
        ],
        body,
    );
    assert_eq!(status, 201, "{answer}");
    let reference = answer
        .split("\"reference\":\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    // SIGKILL right after the answer: no shutdown, no flush.
    let data = std::sync::Arc::clone(&first.data);
    let mut first = first;
    assert!(
        Command::new("kill")
            .args(["-KILL", &first.child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let _ = first.child.wait();
    drop(first);
    let second = Served::start_in(data, &[]);
    let (status, shown) = http(
        &second.addr,
        "GET",
        &format!("/v1/reports/{reference}"),
        &[],
        "",
    );
    assert_eq!(status, 200, "{shown}");
    assert!(shown.contains("\"status\":\"open\""), "{shown}");
    // The retry after the crash is recognised, not stored twice.
    let (status, again) = http(
        &second.addr,
        "POST",
        "/v1/reports",
        &[
            ("Content-Type", "application/json"),
            ("Idempotency-Key", "k-1"),
        ],
        body,
    );
    assert_eq!(status, 200, "{again}");
    assert!(again.contains(&reference), "{again}");
}

#[test]
fn admin_creates_tokens_that_open_the_raw_reports() {
    let served = Served::start(&[]);
    let url = format!("sqlite://{}/paradero.db", served.data.path().display());
    let out = Command::new(env!("CARGO_BIN_EXE_paradero"))
        .args([
            "admin",
            "token",
            "create",
            "--name",
            "Ana Quispe",
            "--role",
            "editor",
        ])
        .env_remove("PARADERO_CONFIG")
        .env("PARADERO_STORE__URL", &url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_string();
    assert!(token.starts_with("pdr_"), "{token}");
    let token_of_ana = token.clone();
    let (status, _) = http(&served.addr, "GET", "/v1/reports", &[], "");
    assert_eq!(status, 401);
    let bearer = format!("Bearer {token}");
    let (status, body) = http(
        &served.addr,
        "GET",
        "/v1/reports",
        &[("Authorization", &bearer)],
        "",
    );
    assert_eq!(status, 200, "{body}");
    // Bad roles are clear errors; revoking closes the door.
    let bad = Command::new(env!("CARGO_BIN_EXE_paradero"))
        .args(["admin", "token", "create", "--name", "x", "--role", "boss"])
        .env_remove("PARADERO_CONFIG")
        .env("PARADERO_STORE__URL", &url)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stderr).contains("viewer, editor, admin or operator"));
    // An operator speaks for agencies of the configured feeds, and only an operator does.
    let token = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_paradero"))
            .args(["admin", "token", "create", "--name", "Transcayma"])
            .args(args)
            .env_remove("PARADERO_CONFIG")
            .env("PARADERO_STORE__URL", &url)
            .output()
            .unwrap()
    };
    for (args, says) in [
        (&["--role", "operator"][..], "at least one agency"),
        (
            &["--role", "operator", "--agency", "lima:0"][..],
            "not FEED:AGENCY_ID",
        ),
        (
            &["--role", "viewer", "--agency", "arequipa:0"][..],
            "for operators only",
        ),
    ] {
        let out = token(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            text(&out.stderr).contains(says),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    let out = token(&["--role", "operator", "--agency", "arequipa:0"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let operator = text(&out.stdout).trim().to_string();
    assert!(operator.starts_with("pdr_"));
    // The simulator drives that company's buses; the server shows them.
    let sim = simulate(
        &served.addr,
        &operator,
        &[
            "--agency",
            "arequipa:0",
            "--vehicles",
            "6",
            "--steps",
            "2",
            "--interval",
            "1",
        ],
    )
    .output()
    .unwrap();
    assert!(sim.status.success(), "{}", text(&sim.stderr));
    assert!(
        text(&sim.stderr).contains("\"accepted\""),
        "{}",
        text(&sim.stderr)
    );
    let (status, map) = http(&served.addr, "GET", "/v1/vehicles", &[], "");
    assert_eq!(status, 200);
    let map: serde_json::Value = serde_json::from_str(&map).unwrap();
    let buses = map["features"].as_array().unwrap();
    assert!(buses.len() >= 5, "{map}");
    assert!(buses.iter().all(|b| b["properties"]["code"].is_null()));
    // As a load generator: batches in flight at once, and one summary line at the end.
    let load = simulate(
        &served.addr,
        &operator,
        &[
            "--agency",
            "arequipa:0",
            "--seed",
            "9",
            "--vehicles",
            "8",
            "--batch",
            "3",
            "--concurrency",
            "2",
            "--steps",
            "2",
            "--interval",
            "1",
            "--summary",
        ],
    )
    .output()
    .unwrap();
    assert!(load.status.success(), "{}", text(&load.stderr));
    let summary = text(&load.stdout);
    assert!(
        summary.contains("8 buses, batches of 3, 2 in flight")
            && summary.contains("batch latency p50")
            && summary.contains("p99"),
        "{summary}"
    );
    assert!(!summary.contains(" 0 posts"), "{summary}");
    // A token that is not an operator's is refused, and the simulator says so.
    let refused = simulate(&served.addr, &token_of_ana, &["--steps", "1"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("403"),
        "{}",
        text(&refused.stderr)
    );
    let revoke = Command::new(env!("CARGO_BIN_EXE_paradero"))
        .args(["admin", "token", "revoke", "--name", "Ana Quispe"])
        .env_remove("PARADERO_CONFIG")
        .env("PARADERO_STORE__URL", &url)
        .output()
        .unwrap();
    assert!(revoke.status.success(), "{}", text(&revoke.stderr));
    let (status, _) = http(
        &served.addr,
        "GET",
        "/v1/reports",
        &[("Authorization", &bearer)],
        "",
    );
    assert_eq!(status, 401);
}
