//! Prometheus metrics: request counts and latency histograms per endpoint, routing time, feed
//! age. Endpoints are route templates (`/v1/stops/{id}/departures`), never raw paths or
//! queries, so no stop a rider asked for and no coordinate reaches the metrics or the logs.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Upper bounds of the latency buckets, seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Observations at or below each bucket bound (not cumulative; summed when rendered).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, secs: f64) {
        if let Some(i) = BUCKETS.iter().position(|&b| secs <= b) {
            self.buckets[i] += 1;
        }
        self.count += 1;
        self.sum += secs;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (b, n) in BUCKETS.iter().zip(self.buckets) {
            cumulative += n;
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {cumulative}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

#[derive(Debug, Default)]
struct Inner {
    requests: BTreeMap<(String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    rate_limited: u64,
}

/// Figures of the process that live outside the request counters.
#[derive(Debug, Default, Clone)]
pub struct Process {
    /// When the timetable being served was loaded, Unix seconds.
    pub feed_loaded_unix: f64,
    /// Time spent routing, by both front doors.
    pub routing: Option<app::timings::Reading>,
    /// The trip writer's counters, when the observatory is on.
    pub trips: Option<TripFigures>,
}

/// A reading of the trip writer's counters.
#[derive(Debug, Default, Clone, Copy)]
pub struct TripFigures {
    /// Records written.
    pub written: u64,
    /// Records dropped (queue full).
    pub dropped: u64,
    /// Failed (retried) batch writes.
    pub failed_writes: u64,
}

/// The server's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave counters inconsistent enough to matter.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records one answered request.
    pub fn observe_request(&self, endpoint: &str, status: u16, secs: f64) {
        let mut m = self.lock();
        *m.requests
            .entry((endpoint.to_string(), status))
            .or_default() += 1;
        m.latency
            .entry(endpoint.to_string())
            .or_default()
            .observe(secs);
    }

    /// Records one request refused for its client's rate.
    pub fn observe_rate_limited(&self) {
        self.lock().rate_limited += 1;
    }

    /// Prometheus text exposition. Without `operator`, the observatory's endpoints (reports,
    /// surveys, Open311, internal figures, admin) are left out: counting them in public would
    /// time when people report.
    pub fn render(&self, process: &Process, operator: bool) -> String {
        let m = self.lock();
        let shown = |e: &str| operator || !is_private_endpoint(e);
        let mut out = String::new();
        out.push_str("# HELP paradero_http_requests_total Requests answered, by endpoint template and status.\n");
        out.push_str("# TYPE paradero_http_requests_total counter\n");
        for ((e, s), n) in m.requests.iter().filter(|((e, _), _)| shown(e)) {
            let _ = writeln!(
                out,
                "paradero_http_requests_total{{endpoint=\"{e}\",status=\"{s}\"}} {n}"
            );
        }
        out.push_str(
            "# HELP paradero_http_request_duration_seconds Time to answer, by endpoint template.\n",
        );
        out.push_str("# TYPE paradero_http_request_duration_seconds histogram\n");
        for (e, h) in m.latency.iter().filter(|(e, _)| shown(e)) {
            h.render(
                &mut out,
                "paradero_http_request_duration_seconds",
                &format!("endpoint=\"{e}\""),
            );
        }
        out.push_str("# HELP paradero_routing_duration_seconds Time spent planning one trip.\n");
        out.push_str("# TYPE paradero_routing_duration_seconds histogram\n");
        if let Some(r) = &process.routing {
            let name = "paradero_routing_duration_seconds";
            for (b, n) in &r.buckets {
                let _ = writeln!(out, "{name}_bucket{{le=\"{b}\"}} {n}");
            }
            let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", r.count);
            let _ = writeln!(out, "{name}_sum {}", r.sum_s);
            let _ = writeln!(out, "{name}_count {}", r.count);
        }
        out.push_str("# HELP paradero_rate_limited_total Requests refused with 429 for their client's rate.\n");
        out.push_str("# TYPE paradero_rate_limited_total counter\n");
        let _ = writeln!(out, "paradero_rate_limited_total {}", m.rate_limited);
        out.push_str("# HELP paradero_feed_loaded_timestamp_seconds When the timetable being served was loaded (Unix time).\n");
        out.push_str("# TYPE paradero_feed_loaded_timestamp_seconds gauge\n");
        let _ = writeln!(
            out,
            "paradero_feed_loaded_timestamp_seconds {}",
            process.feed_loaded_unix
        );
        if let Some(t) = &process.trips {
            for (name, help, kind, v) in [
                (
                    "paradero_observatory_trips_written_total",
                    "Trip records written to the store.",
                    "counter",
                    t.written,
                ),
                (
                    "paradero_observatory_trips_dropped_total",
                    "Trip records lost because the writer's queue was full (the store was down or slow).",
                    "counter",
                    t.dropped,
                ),
                (
                    "paradero_observatory_trip_write_failures_total",
                    "Batches of trip records whose write failed and was retried.",
                    "counter",
                    t.failed_writes,
                ),
            ] {
                let _ = writeln!(
                    out,
                    "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}"
                );
            }
        }
        out
    }
}

/// Endpoints whose use is about people reporting, answering or being handled.
fn is_private_endpoint(e: &str) -> bool {
    [
        "/v1/reports",
        "/v1/surveys",
        "/open311/",
        "/v1/observatory/internal",
        "/v1/admin",
    ]
    .iter()
    .any(|p| e.starts_with(p))
}

/// Middleware: counts, times and logs each routed request (no query, no client address).
pub async fn track(State(s): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let endpoint = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = req.method().clone();
    let started = Instant::now();
    let res = next.run(req).await;
    let secs = started.elapsed().as_secs_f64();
    let status = res.status().as_u16();
    s.metrics.observe_request(&endpoint, status, secs);
    tracing::info!(target: "access", %method, endpoint, status, ms = secs * 1e3, "request");
    res
}
