//! paradero's HTTP API (axum): `/v1/plan`, stops, departures, routes, feeds, health.
//!
//! Errors are RFC 9457 `application/problem+json` with a message a person can act on (Spanish
//! by default, `lang=en`): 400 for malformed input, 404 for unknown ids, 422 for valid but
//! impossible requests. Routing runs on the blocking pool with a per-thread scratch, so a slow
//! query never stalls the async executor. The timetable sits behind an atomic pointer: a
//! reload swaps it while requests in flight finish on the old one.

mod handlers;
mod metrics;
mod problem;
mod query;

pub use metrics::Metrics;

pub use problem::Problem;

use arc_swap::ArcSwap;
use axum::Router;
use axum::routing::get;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use timetable::Timetable;

/// What a server answers from: one timetable and when it was loaded.
#[derive(Debug)]
pub struct Dataset {
    /// The timetable.
    pub timetable: Arc<Timetable>,
    /// When it was loaded.
    pub loaded_at: SystemTime,
}

/// Server parameters.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Planner parameters.
    pub planner: planner::PlannerConfig,
    /// Default routing options (queries may narrow them).
    pub routing: raptor::Options,
    /// Requests taking longer are answered 408.
    pub request_timeout: Duration,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            planner: planner::PlannerConfig::default(),
            routing: raptor::Options::default(),
            request_timeout: Duration::from_secs(10),
            max_body_bytes: 64 * 1024,
        }
    }
}

/// Shared state of the app.
#[derive(Debug)]
pub struct AppState {
    data: ArcSwap<Dataset>,
    settings: Settings,
    metrics: Metrics,
}

impl AppState {
    /// State serving `dataset`.
    pub fn new(dataset: Dataset, settings: Settings) -> Arc<AppState> {
        Arc::new(AppState {
            data: ArcSwap::from_pointee(dataset),
            settings,
            metrics: Metrics::default(),
        })
    }
    /// Replaces the dataset atomically; requests in flight keep the old one.
    pub fn swap(&self, dataset: Dataset) {
        self.data.store(Arc::new(dataset));
    }
    /// The current dataset.
    pub fn dataset(&self) -> Arc<Dataset> {
        self.data.load_full()
    }
}

/// The HTTP application.
pub fn app(state: Arc<AppState>) -> Router {
    use tower_http::{
        compression::CompressionLayer, limit::RequestBodyLimitLayer, timeout::TimeoutLayer,
    };
    let timeout = state.settings.request_timeout;
    let body = state.settings.max_body_bytes;
    Router::new()
        .route("/healthz", get(handlers::healthz))
        .route("/v1/feeds", get(handlers::feeds))
        .route("/v1/plan", get(handlers::plan))
        .route("/v1/stops", get(handlers::stops_search))
        .route("/v1/stops/near", get(handlers::stops_near))
        .route("/v1/stops/{id}/departures", get(handlers::departures))
        .route("/v1/routes", get(handlers::routes))
        .route("/v1/routes/{id}", get(handlers::route))
        .route("/metrics", get(handlers::metrics))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .fallback(handlers::not_found)
        .layer(CompressionLayer::new())
        .layer(RequestBodyLimitLayer::new(body))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .with_state(state)
}

/// Serves `app` on `listener` until Ctrl-C or SIGTERM; requests in flight finish first.
pub async fn serve(listener: tokio::net::TcpListener, state: Arc<AppState>) -> std::io::Result<()> {
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
