//! A disconnect storm against a running `paradero serve`: clients that send a whole
//! `POST /v1/reports` and hang up at once (a TCP reset, so the server's handler is cancelled
//! mid-write), while steady writers file reports and measure what they get. Before the store
//! closed cancelled writes' connections, each hang-up could leave a pooled SQLite connection
//! inside a transaction holding the write lock, and every write stalled for seconds.
//!
//! Usage: `cargo run --release -p paradero-bench --example disconnect_storm -- ADDR SECONDS
//! [HANGUPS] [WRITERS]` (bench/load/storm.sh starts the server and runs it). Prints the
//! writers' statuses, time-outs and latency percentiles.

use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn body(i: u64) -> String {
    format!(
        r#"{{"category": "robo", "lat": {:.5}, "lon": {:.5}, "description": "tormenta {i}"}}"#,
        -16.36 - (i % 800) as f64 * 1e-4,
        -71.50 - (i % 700) as f64 * 1e-4
    )
}

fn request(i: u64, close: bool) -> Vec<u8> {
    let b = body(i);
    format!(
        "POST /v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n{}\r\n{b}",
        b.len(),
        if close { "Connection: close\r\n" } else { "" }
    )
    .into_bytes()
}

/// One report on a fresh connection; the status, or `None` on a time-out or a cut.
async fn file(addr: &str, i: u64) -> Option<u16> {
    let go = async {
        let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
        s.write_all(&request(i, true)).await.ok()?;
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.ok()?;
        let text = String::from_utf8_lossy(&out);
        text.split_whitespace().nth(1)?.parse().ok()
    };
    tokio::time::timeout(Duration::from_secs(10), go)
        .await
        .ok()
        .flatten()
}

/// Sends a whole report and resets the connection at once.
async fn hang_up(addr: &str, i: u64) {
    if let Ok(s) = tokio::net::TcpStream::connect(addr).await {
        let mut s = s;
        let _ = s.write_all(&request(i, false)).await;
        // A few hundred microseconds: the handler is then somewhere in its write.
        tokio::time::sleep(Duration::from_micros(100 + i % 900)).await;
        let _ = s.set_zero_linger();
        drop(s);
    }
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let addr = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "127.0.0.1:18788".into());
    let secs: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(30);
    let hangups: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(16);
    let writers: u64 = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(8);
    let until = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for h in 0..hangups {
        let addr = addr.clone();
        tasks.push(tokio::spawn(async move {
            let mut i = h << 32;
            while Instant::now() < until {
                hang_up(&addr, i).await;
                i += 1;
            }
            (Vec::new(), Vec::new())
        }));
    }
    for w in 0..writers {
        let addr = addr.clone();
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut statuses) = (Vec::new(), Vec::new());
            let mut i = (1000 + w) << 32;
            while Instant::now() < until {
                let t = Instant::now();
                let s = file(&addr, i).await;
                lat.push(t.elapsed());
                statuses.push(s);
                i += 1;
            }
            (lat, statuses)
        }));
    }
    let (mut lat, mut statuses) = (Vec::new(), Vec::new());
    for t in tasks {
        let (l, s) = t.await.unwrap();
        lat.extend(l);
        statuses.extend(s);
    }
    lat.sort();
    let count = |want: Option<u16>| statuses.iter().filter(|s| **s == want).count();
    let other = statuses
        .iter()
        .filter(|s| !matches!(s, Some(201) | Some(503) | Some(408) | None))
        .count();
    println!(
        "disconnect storm {secs} s, {hangups} hang-up clients, {writers} writers: \
         {} reports filed by writers — 201: {}, 503: {}, 408: {}, time-outs or cuts: {}, other: {other}; \
         latency p50 {:.1} ms, p99 {:.1} ms, max {:.0} ms",
        statuses.len(),
        count(Some(201)),
        count(Some(503)),
        count(Some(408)),
        count(None),
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        pct(&lat, 1.0),
    );
}
