//! The HTTP front door's metrics, recorded into the application's (see `app::metrics`):
//! request counts and latency per endpoint template. Endpoints are route templates
//! (`/v1/stops/{id}/departures`), never raw paths or queries, so no stop a rider asked for and
//! no coordinate reaches the metrics or the logs; the observatory's endpoints are counted for
//! the operator only, since counting them in public would time when people report.

use crate::AppState;
use app::Metrics;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;
use std::time::Instant;

/// Endpoints whose use is about people reporting, answering or being handled: counted for the
/// operator only.
pub const PRIVATE_ENDPOINTS: [&str; 6] = [
    "/v1/reports",
    "/v1/ratings",
    "/v1/surveys",
    "/open311/",
    "/v1/observatory/internal",
    "/v1/admin",
];

/// Tells the app's metrics which endpoints the public reading leaves out.
pub fn declare_private(m: &Metrics) {
    for p in PRIVATE_ENDPOINTS {
        m.hide_from_public("endpoint", p);
    }
}

/// The handles one endpoint and status record into.
struct Handles {
    requests: metrics::Counter,
    latency: metrics::Histogram,
}

/// Per-thread handles, per app (its metrics' id), endpoint and status.
type HandleCache =
    std::collections::HashMap<u64, std::collections::HashMap<String, Vec<(u16, Handles)>>>;

thread_local! {
    /// Handles found before, per thread: per app (its metrics' address), endpoint and status.
    /// The set is small (route templates × statuses), and a thread never waits on another.
    static HANDLES: std::cell::RefCell<HandleCache> = std::cell::RefCell::default();
}

/// Records one answered request.
pub fn observe_request(m: &Metrics, endpoint: &str, status: u16, secs: f64) {
    HANDLES.with(|cell| {
        let mut cache = cell.borrow_mut();
        let per_app = cache.entry(m.id()).or_default();
        if !per_app.contains_key(endpoint) {
            per_app.insert(endpoint.to_string(), Vec::new());
        }
        let statuses = per_app.get_mut(endpoint).expect("just inserted");
        let i = match statuses.iter().position(|(s, _)| *s == status) {
            Some(i) => i,
            None => {
                statuses.push((status, handles(m, endpoint, status)));
                statuses.len() - 1
            }
        };
        let h = &statuses[i].1;
        h.requests.increment(1);
        h.latency.record(secs);
    });
}

fn handles(m: &Metrics, endpoint: &str, status: u16) -> Handles {
    let labels = [
        ("endpoint", endpoint.to_string()),
        ("status", status.to_string()),
    ];
    Handles {
        requests: m.counter("paradero_http_requests_total", &labels),
        latency: m.histogram("paradero_http_request_duration_seconds", &labels[..1]),
    }
}

/// Records one request refused for its client's rate.
pub fn observe_rate_limited(m: &Metrics) {
    m.count("paradero_rate_limited_total", &[], 1);
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
    observe_request(s.app().metrics(), &endpoint, status, secs);
    tracing::info!(target: "access", %method, endpoint, status, ms = secs * 1e3, "request");
    res
}
