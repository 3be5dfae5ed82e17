//! End to end in real headless Chromium (Debian's `chromium` + `chromium-driver`, which
//! `.ci/run` installs) against a real `paradero serve` on loopback: the riders' page loads,
//! two taps on the map plan a trip, the itinerary is listed and drawn; the page switches to
//! English; the API docs render. A screenshot is kept in `target/e2e/`.

use crate::Served;
use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn tool(var: &str, default: &str) -> PathBuf {
    let p = std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from);
    assert!(
        p.is_file(),
        "{} not found: install Debian's chromium and chromium-driver (`bash .ci/run` does), \
         or point {var} at it",
        p.display()
    );
    p
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn browser(profile: &Path) -> (Driver, Client) {
    let chromium = tool("PARADERO_CHROMIUM", "/usr/bin/chromium");
    let chromedriver = tool("PARADERO_CHROMEDRIVER", "/usr/bin/chromedriver");
    let port = free_port();
    let driver = Driver(
        Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The flags keep Chromium off the network (this machine has none) and fit running as root.
    let caps: serde_json::Map<String, Value> = serde_json::from_value(json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=412,915",
                format!("--user-data-dir={}", profile.display()),
            ]
        }
    }))
    .unwrap();
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a WebDriver session with headless Chromium");
    (driver, client)
}

/// Runs `script` until it returns true (or fails after `secs`), returning the last value of
/// `diagnose` in the message.
async fn until(c: &Client, script: &str, secs: u64, diagnose: &str) {
    let started = Instant::now();
    loop {
        if c.execute(script, vec![]).await.unwrap() == Value::Bool(true) {
            return;
        }
        if started.elapsed() > Duration::from_secs(secs) {
            let why = c.execute(diagnose, vec![]).await.unwrap();
            panic!("timed out waiting for `{script}`: {why}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![]).await.unwrap()
}

/// Taps the map at a coordinate, as a finger would: a pointer move to the spot and a click.
async fn tap_map(c: &Client, lat: f64, lon: f64) {
    let map = c.find(Locator::Id("map")).await.unwrap();
    let at = c
        .execute(
            "var m = window.paradero.map, p = m.latLngToContainerPoint([arguments[0], arguments[1]]),
                 s = m.getSize(); return [Math.round(p.x - s.x / 2), Math.round(p.y - s.y / 2)];",
            vec![json!(lat), json!(lon)],
        )
        .await
        .unwrap();
    let (x, y) = (at[0].as_f64().unwrap(), at[1].as_f64().unwrap());
    let tap = MouseActions::new("finger".to_string())
        .then(PointerAction::MoveToElement {
            element: map,
            duration: None,
            x,
            y,
        })
        .then(PointerAction::Down {
            button: fantoccini::actions::MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Up {
            button: fantoccini::actions::MOUSE_BUTTON_LEFT,
        });
    c.perform_actions(tap).await.unwrap();
}

#[tokio::test]
async fn riders_page_plans_a_trip_from_two_taps_in_headless_chromium() {
    let served = Served::start(&[]);
    let profile = tempfile::tempdir().unwrap();
    let (_driver, c) = browser(profile.path()).await;
    let base = format!("http://{}", served.addr);

    c.goto(&format!("{base}/?lang=es")).await.unwrap();
    until(
        &c,
        "return document.body.dataset.network === 'ready'",
        30,
        "return document.getElementById('status').textContent",
    )
    .await;
    assert_eq!(js(&c, "return document.documentElement.lang").await, "es");
    // Every form control has a label a screen reader can announce.
    let unlabelled = js(
        &c,
        "return Array.from(document.querySelectorAll('input, select'))
            .filter(function (e) { return !e.labels.length && !e.getAttribute('aria-label'); })
            .map(function (e) { return e.id; })",
    )
    .await;
    assert_eq!(unlabelled, json!([]), "controls without a label");

    // A fixed departure, so the test does not depend on the hour it runs at.
    let mode = c.find(Locator::Id("mode")).await.unwrap();
    mode.select_by_value("at").await.unwrap();
    js(
        &c,
        "document.getElementById('time').value = '2026-11-23T08:00'; return true",
    )
    .await;

    // Two taps: origin near the Plaza de Armas, destination in the south.
    tap_map(&c, -16.3989, -71.5369).await;
    until(
        &c,
        "return !!window.paradero.places.from",
        5,
        "return 'no origin'",
    )
    .await;
    tap_map(&c, -16.4250, -71.5200).await;
    until(
        &c,
        "return document.body.dataset.state === 'planned'",
        30,
        "return document.body.dataset.state + ': ' + document.getElementById('status').textContent",
    )
    .await;

    let results = c.find_all(Locator::Css("#results > li")).await.unwrap();
    assert!(!results.is_empty());
    let first = results[0].text().await.unwrap();
    let ride = i18n::t(i18n::Lang::Es, "web.ride", &[]);
    let ride_words = ride.split('{').next().unwrap().trim();
    assert!(first.contains(ride_words), "`{first}` lacks `{ride_words}`");
    assert!(first.contains("→"), "{first}");
    // Drawn: ride legs in the route's colour, walks dashed, and both pins.
    let rides = c.find_all(Locator::Css("path.leg-ride")).await.unwrap();
    let walks = c.find_all(Locator::Css("path.leg-walk")).await.unwrap();
    assert!(!rides.is_empty(), "no ride leg drawn");
    assert!(!walks.is_empty(), "no walk leg drawn");
    assert_eq!(
        c.find_all(Locator::Css(".pin")).await.unwrap().len(),
        2,
        "origin and destination pins"
    );
    let shot = c.screenshot().await.unwrap();
    assert!(shot.starts_with(b"\x89PNG"), "a PNG screenshot");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("plan-es.png"), &shot).unwrap();

    // The English switch.
    c.find(Locator::Css("header a.lang"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(
        &c,
        "return document.documentElement.lang === 'en'",
        10,
        "return location.href",
    )
    .await;
    let go = c
        .find(Locator::Id("go"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(go, i18n::t(i18n::Lang::En, "web.search", &[]));

    // The API documentation renders every endpoint of the OpenAPI document.
    c.goto(&format!("{base}/docs")).await.unwrap();
    until(
        &c,
        "return document.body.dataset.state === 'ready'",
        10,
        "return document.body.innerText.slice(0, 200)",
    )
    .await;
    let sections = c.find_all(Locator::Css("section.endpoint")).await.unwrap();
    assert!(sections.len() >= 11, "{} endpoints shown", sections.len());
    c.close().await.unwrap();
}

#[tokio::test]
async fn officials_dashboard_draws_charts_and_changes_a_report_in_headless_chromium() {
    use crate::http;
    let served = Served::start(&[]);
    let addr = served.addr.clone();
    // Seed through the public API, as riders would: 12 women, 3 men, 9 without a profile
    // plan at 8:00; reports by women (6 harassment, 5 overcrowding) and one theft by a man.
    let plan =
        "/v1/plan?from=-16.3989,-71.5369&to=-16.4250,-71.5200&at=2026-11-23T08:00&consent=true";
    for i in 0..24 {
        let who = match i {
            0..12 => "&gender=mujer",
            12..15 => "&gender=hombre",
            _ => "",
        };
        assert_eq!(http(&addr, "GET", &format!("{plan}{who}"), &[], "").0, 200);
    }
    let mut references = Vec::new();
    for i in 0..12 {
        let (cat, gender) = match i {
            0..6 => ("acoso_verbal", "mujer"),
            6 => ("robo", "hombre"),
            _ => ("sobrecarga", "mujer"),
        };
        let body = format!(
            r#"{{"category": "{cat}", "lat": -16.3989, "lon": -71.5369, "gender": "{gender}", "description": "caso {i}"}}"#
        );
        let (status, answer) = http(
            &addr,
            "POST",
            "/v1/reports",
            &[("Content-Type", "application/json")],
            &body,
        );
        assert_eq!(status, 201, "{answer}");
        let v: Value = serde_json::from_str(&answer).unwrap();
        references.push(v["reference"].as_str().unwrap().to_string());
    }
    let out = Command::new(env!("CARGO_BIN_EXE_paradero"))
        .args([
            "admin", "token", "create", "--name", "Rosa", "--role", "editor",
        ])
        .env_remove("PARADERO_CONFIG")
        .env(
            "PARADERO_STORE__URL",
            format!("sqlite://{}/paradero.db", served.data.path().display()),
        )
        .output()
        .unwrap();
    assert!(out.status.success());
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();

    let profile = tempfile::tempdir().unwrap();
    let (_driver, c) = browser(profile.path()).await;
    c.set_window_size(1280, 1400).await.unwrap();
    c.goto(&format!("http://{addr}/observatorio?lang=es"))
        .await
        .unwrap();
    until(
        &c,
        "return document.body.dataset.state === 'ready'",
        30,
        "return document.body.dataset.state + ': ' + document.getElementById('status').textContent",
    )
    .await;
    // Public charts are drawn without a token; withheld cells are marked, not zero.
    let bars = c
        .find_all(Locator::Css("#chart-trips rect.bar"))
        .await
        .unwrap();
    assert!(!bars.is_empty(), "trips chart drawn");
    let hidden = c
        .find_all(Locator::Css("#chart-trips rect.bar.suppressed"))
        .await
        .unwrap();
    assert!(!hidden.is_empty(), "the 3 men are withheld, visibly");
    let incidents = c
        .find_all(Locator::Css("#chart-incidents rect.bar"))
        .await
        .unwrap();
    assert!(!incidents.is_empty(), "incidents chart drawn");
    assert!(
        c.find_all(Locator::Css("#reports tbody tr"))
            .await
            .unwrap()
            .is_empty(),
        "no reports without a token"
    );
    let csv = c
        .find(Locator::Css("section[data-indicator=trips] a.csv"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let (status, text) = http(&addr, "GET", &csv, &[], "");
    assert_eq!(status, 200);
    assert!(
        text.contains("trips,gender=mujer;hour_band=06-08;purpose=*,12,false"),
        "{text}"
    );

    // Log in with the token: the open reports appear; change one.
    c.find(Locator::Id("token"))
        .await
        .unwrap()
        .send_keys(&token)
        .await
        .unwrap();
    c.find(Locator::Id("update"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(
        &c,
        "return document.querySelectorAll('#reports tbody tr').length === 12",
        30,
        "return document.getElementById('reports-hint').textContent",
    )
    .await;
    let target = &references[6];
    let row = c
        .find(Locator::Css(&format!(
            "#reports tr[data-reference='{target}']"
        )))
        .await
        .unwrap();
    row.find(Locator::Css("select"))
        .await
        .unwrap()
        .select_by_value("acknowledged")
        .await
        .unwrap();
    row.find(Locator::Css("input"))
        .await
        .unwrap()
        .send_keys("Derivado a la comisaría")
        .await
        .unwrap();
    row.find(Locator::Css("button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(
        &c,
        "return document.getElementById('status').textContent.indexOf('recibido') >= 0",
        15,
        "return document.getElementById('status').textContent",
    )
    .await;
    let (status, shown) = http(&addr, "GET", &format!("/v1/reports/{target}"), &[], "");
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(v["status"], "acknowledged");
    assert_eq!(v["history"][0]["note"], "Derivado a la comisaría");
    let shot = c.screenshot().await.unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("observatorio.png"), &shot).unwrap();
    c.close().await.unwrap();
}
