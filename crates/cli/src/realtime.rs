//! Polls each feed's GTFS-Realtime (a URL, or a file for replays and demos) and hands the
//! bytes to `app` (`App::take_trip_updates`), which applies and swaps them in. A source that
//! hangs, fails, is too large or sends garbage is logged and counted; what was live stays live
//! until it expires.

use app::App;
use std::sync::Arc;
use std::time::Duration;

/// Largest message read, bytes.
pub const MAX_BYTES: usize = 16 << 20;
/// How long a fetch may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Why a fetch gave nothing.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FetchError {
    /// The source did not answer in time.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The source answered with an error status.
    #[error("answered HTTP {0}")]
    Status(u16),
    /// More than [`MAX_BYTES`].
    #[error("larger than {0} bytes")]
    TooLarge(usize),
    /// The file or connection failed.
    #[error("{0}")]
    Io(String),
}

impl FetchError {
    /// A short label for the metric.
    pub fn reason(&self) -> &'static str {
        match self {
            FetchError::Timeout(_) => "timeout",
            FetchError::Status(_) => "status",
            FetchError::TooLarge(_) => "too_large",
            FetchError::Io(_) => "io",
        }
    }
}

/// One source: a URL with what it last said (for conditional requests), or a file.
#[derive(Debug)]
pub struct Source {
    location: String,
    timeout: Duration,
    client: reqwest::Client,
    etag: Option<String>,
    last_modified: Option<String>,
}

impl Source {
    /// `location`: `http(s)://…`, `file://…` or a path.
    pub fn new(location: &str) -> Result<Source, FetchError> {
        Source::with_timeout(location, TIMEOUT)
    }

    /// As [`Source::new`], giving up after `timeout`.
    pub fn with_timeout(location: &str, timeout: Duration) -> Result<Source, FetchError> {
        // The whole fetch has one deadline (`fetch`); the client only bounds connecting.
        let client = reqwest::Client::builder()
            .connect_timeout(timeout)
            .build()
            .map_err(|e| FetchError::Io(e.to_string()))?;
        Ok(Source {
            location: location.to_string(),
            timeout,
            client,
            etag: None,
            last_modified: None,
        })
    }

    /// The message's bytes; `None` when the server says it has not changed.
    pub async fn fetch(&mut self) -> Result<Option<Vec<u8>>, FetchError> {
        if self.location.starts_with("http://") || self.location.starts_with("https://") {
            let timeout = self.timeout;
            return tokio::time::timeout(timeout, self.fetch_http())
                .await
                .map_err(|_| FetchError::Timeout(timeout))?;
        }
        let path = self.location.trim_start_matches("file://").to_string();
        let meta = tokio::fs::metadata(&path)
            .await
            .map_err(|e| FetchError::Io(format!("{path}: {e}")))?;
        if meta.len() > MAX_BYTES as u64 {
            return Err(FetchError::TooLarge(MAX_BYTES));
        }
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| FetchError::Io(format!("{path}: {e}")))?;
        Ok(Some(bytes))
    }

    async fn fetch_http(&mut self) -> Result<Option<Vec<u8>>, FetchError> {
        let mut req = self.client.get(&self.location);
        if let Some(e) = &self.etag {
            req = req.header(reqwest::header::IF_NONE_MATCH, e);
        }
        if let Some(m) = &self.last_modified {
            req = req.header(reqwest::header::IF_MODIFIED_SINCE, m);
        }
        let mut res = req
            .send()
            .await
            .map_err(|e| FetchError::Io(e.to_string()))?;
        if res.status() == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(None);
        }
        if !res.status().is_success() {
            return Err(FetchError::Status(res.status().as_u16()));
        }
        if res.content_length().is_some_and(|n| n > MAX_BYTES as u64) {
            return Err(FetchError::TooLarge(MAX_BYTES));
        }
        let header = |h| {
            res.headers()
                .get(h)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let (etag, modified) = (
            header(reqwest::header::ETAG),
            header(reqwest::header::LAST_MODIFIED),
        );
        let mut body = Vec::new();
        while let Some(chunk) = res
            .chunk()
            .await
            .map_err(|e| FetchError::Io(e.to_string()))?
        {
            if body.len() + chunk.len() > MAX_BYTES {
                return Err(FetchError::TooLarge(MAX_BYTES));
            }
            body.extend_from_slice(&chunk);
        }
        (self.etag, self.last_modified) = (etag, modified);
        Ok(Some(body))
    }
}

/// What a source carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// TripUpdates.
    TripUpdates,
    /// VehiclePositions.
    VehiclePositions,
    /// Service alerts.
    Alerts,
}

/// Every second, the officials' alerts and the operators' positions other processes on the same database took (and,
/// at start, those of the last minutes): see `app::positions`. Without the observatory's
/// database there is nothing to follow.
pub fn spawn_position_follower(app: &Arc<App>) {
    if app.observatory().is_none() {
        return;
    }
    let app = Arc::clone(app);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(1));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        let mut ticks: u64 = 0;
        loop {
            every.tick().await;
            ticks += 1;
            // Service delivered's cells, written every five seconds.
            if ticks.is_multiple_of(5)
                && let Err(e) = app.flush_service(app::now_unix()).await
                && !failing
            {
                tracing::warn!(error = %e, "service delivered: cannot write to the database");
            }
            // Officials' alerts another process wrote (or ended), served within a second.
            if let Err(e) = app.follow_alerts().await
                && !failing
            {
                tracing::warn!(error = %e, "officials' alerts: cannot read the database");
            }
            match app.follow_positions(app::now_unix()).await {
                Ok(_) if failing => {
                    failing = false;
                    tracing::info!("operators' positions: reading the database again");
                }
                Ok(_) => {}
                // Said once per outage, not once a second.
                Err(e) if !failing => {
                    failing = true;
                    tracing::warn!(error = %e, "operators' positions: cannot read the database");
                }
                Err(_) => {}
            }
        }
    });
}

/// Starts a poller per real-time source configured (each feed's TripUpdates,
/// VehiclePositions and alerts).
pub fn spawn_pollers(cfg: &config::Config, app: &Arc<App>) {
    for feed in &cfg.feeds {
        let Some(rt) = feed.realtime.clone() else {
            continue;
        };
        let sources = [
            (Kind::TripUpdates, rt.trip_updates.clone()),
            (Kind::VehiclePositions, rt.vehicle_positions.clone()),
            (Kind::Alerts, rt.alerts.clone()),
        ];
        for (kind, location) in sources {
            let Some(location) = location else { continue };
            let (app, id, rt) = (Arc::clone(app), feed.id.clone(), rt.clone());
            tokio::spawn(async move {
                let mut source = match Source::new(&location) {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::error!(feed = %id, error = %e, "real time: no client");
                        return;
                    }
                };
                let mut every = tokio::time::interval(Duration::from_secs(rt.poll_s));
                every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    every.tick().await;
                    poll_once(&app, &id, kind, &mut source, &rt).await;
                }
            });
        }
    }
}

/// Fetches once and takes the message in; failures are logged and counted.
pub async fn poll_once(
    app: &App,
    feed: &str,
    kind: Kind,
    source: &mut Source,
    rt: &config::FeedRealtime,
) {
    let failed = |reason: &'static str| {
        app.metrics().count(
            "paradero_realtime_fetch_errors_total",
            &[("feed", feed.to_string()), ("reason", reason.to_string())],
            1,
        );
    };
    let bytes = match source.fetch().await {
        Ok(None) => return,
        Ok(Some(bytes)) => bytes,
        Err(e) => {
            failed(e.reason());
            tracing::warn!(feed, error = %e, "real time: fetch failed; the last message stays until it expires");
            return;
        }
    };
    let now = crate::unix_now();
    let taken = match kind {
        Kind::TripUpdates => app
            .take_trip_updates(feed, &bytes, now, rt.max_age_s)
            .map(|a| (a.too_old, a.runs)),
        Kind::VehiclePositions => app
            .take_vehicle_positions(feed, &bytes, now, (rt.max_age_s, rt.vehicle_timeout_s))
            .map(|s| (false, s.vehicles)),
        Kind::Alerts => app
            .take_alerts(feed, &bytes, now, rt.max_age_s)
            .map(|a| (false, a.kept)),
    };
    match taken {
        Ok((true, _)) => tracing::warn!(feed, "real time: the message is too old; not used"),
        Ok((false, n)) => tracing::debug!(feed, ?kind, n, "real time taken in"),
        Err(e) => {
            failed("unreadable");
            tracing::warn!(feed, error = %e, "real time: unreadable message");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A loopback server answering every connection with `reply` (or never, if `None`).
    async fn serve(reply: Option<Vec<u8>>) -> String {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let Ok((mut s, _)) = l.accept().await else {
                    return;
                };
                let reply = reply.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = s.read(&mut buf).await;
                    match reply {
                        Some(r) => {
                            let _ = s.write_all(&r).await;
                        }
                        None => tokio::time::sleep(Duration::from_secs(60)).await,
                    }
                });
            }
        });
        format!("http://{addr}/tu.pb")
    }

    fn http(status: &str, headers: &str, body: &[u8]) -> Vec<u8> {
        let mut r = format!(
            "HTTP/1.1 {status}\r\ncontent-length: {}\r\n{headers}connection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        r.extend_from_slice(body);
        r
    }

    #[tokio::test]
    async fn sources_that_fail_say_why_and_a_good_one_is_read_then_not_modified() {
        // (reply, expected): an error status, a body over the cap, a good body.
        let big = vec![0u8; MAX_BYTES + 1];
        let cases: [(Vec<u8>, Result<usize, &str>); 3] = [
            (
                http("500 Internal Server Error", "", b"oops"),
                Err("status"),
            ),
            (http("200 OK", "", &big), Err("too_large")),
            (
                http("200 OK", "etag: \"v1\"\r\n", b"\x0a\x03\x0a\x01\x32"),
                Ok(5),
            ),
        ];
        for (reply, expected) in cases {
            let mut src = Source::new(&serve(Some(reply)).await).unwrap();
            let got = src.fetch().await.map(|b| b.map_or(0, |b| b.len()));
            assert_eq!(got.map_err(|e| e.reason()), expected);
        }
        // Not modified: nothing to take in.
        let mut src = Source::new(&serve(Some(http("304 Not Modified", "", b""))).await).unwrap();
        assert_eq!(src.fetch().await, Ok(None));
        // A file that is not there.
        let mut src = Source::new("file:///nonexistent/tu.pb").unwrap();
        assert_eq!(src.fetch().await.map_err(|e| e.reason()), Err("io"));
    }

    #[tokio::test]
    async fn a_source_that_hangs_times_out() {
        let wait = Duration::from_millis(300);
        let mut src = Source::with_timeout(&serve(None).await, wait).unwrap();
        let started = std::time::Instant::now();
        assert_eq!(src.fetch().await.map_err(|e| e.reason()), Err("timeout"));
        assert!(started.elapsed() < wait * 10);
    }
}
