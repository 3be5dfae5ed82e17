//! paradero's HTTP API (axum): `/v1/plan`, stops, departures, routes, feeds, health.
//!
//! Errors are RFC 9457 `application/problem+json` with a message a person can act on (Spanish
//! by default, `lang=en`): 400 for malformed input, 404 for unknown ids, 422 for valid but
//! impossible requests. Routing runs on the blocking pool with a per-thread scratch, so a slow
//! query never stalls the async executor. The timetable sits behind an atomic pointer: a
//! reload swaps it while requests in flight finish on the old one.

mod alerts;
pub mod answers;
pub mod bodies;
mod categories;
mod cities;
mod extract;
mod gtfs_rt;
mod indicators;
pub mod metrics;
mod network;
mod offline_api;
mod open311;
mod openapi;
mod photos;
mod places;
mod plan;
mod positions;
mod problem;
mod query;
mod questionnaires;
mod ratelimit;
mod reports;
mod serve;
mod service;
mod service_delivered;
mod surveys;
mod web;

pub use openapi::default_document as openapi_document_json;
pub use openapi::document as openapi_document;
pub use problem::Problem;
pub use ratelimit::{Limiter, RateLimit};
pub use serve::ConnectionLimits;

use app::Timetable;
use app::{App, Dataset};
use axum::Router;
use axum::routing::get;
use std::sync::Arc;
use std::time::Duration;

/// The network map's bodies, by city (`""`: every city).
type NetworkBodies = std::collections::HashMap<String, axum::body::Bytes>;

/// The HTTP front door's parameters (the application's are in [`app::Settings`]).
#[derive(Clone)]
pub struct Settings {
    /// Requests taking longer are answered 408.
    pub request_timeout: Duration,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Token that authorises `POST /v1/admin/reload` (`Authorization: Bearer …`); `None`
    /// disables the endpoint.
    pub admin_token: Option<String>,
    /// Origins allowed to call the API from a browser (`*` for any); empty: no CORS headers.
    pub cors_origins: Vec<String>,
    /// Per-client request rate.
    pub rate_limit: RateLimit,
    /// Per-client rate of lookups by secret reference (follow, erase).
    pub lookup_limit: RateLimit,
    /// Timeouts and the cap on open connections.
    pub connections: ConnectionLimits,
    /// A shared trip's link shows it until this many hours after its arrival.
    pub share_hours_after_arrival: f64,
    /// Open311: the agency that answers reports, and how to reach it.
    pub open311_agency: String,
    /// See `open311_agency`.
    pub open311_contact: String,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("request_timeout", &self.request_timeout)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("admin_token", &self.admin_token.as_ref().map(|_| "…"))
            .field("cors_origins", &self.cors_origins)
            .field("rate_limit", &self.rate_limit)
            .field("lookup_limit", &self.lookup_limit)
            .field("connections", &self.connections)
            .field("share_hours_after_arrival", &self.share_hours_after_arrival)
            .field("open311_agency", &self.open311_agency)
            .finish()
    }
}

impl Settings {
    /// The HTTP door's parameters from the configuration: each setting is declared once, in
    /// `config` (name, type, default, range, doc); this is its only mapping.
    pub fn from_config(cfg: &config::Config) -> Settings {
        let s = &cfg.server;
        let limit = |per_minute, burst| RateLimit {
            per_minute,
            burst,
            trust_forwarded_for: s.trust_forwarded_for,
        };
        Settings {
            request_timeout: Duration::from_secs(s.request_timeout_s),
            max_body_bytes: s.max_body_bytes,
            admin_token: s.admin_token.clone().filter(|t| !t.is_empty()),
            cors_origins: s.cors_origins.clone(),
            rate_limit: limit(s.rate_limit_per_minute, s.rate_limit_burst),
            lookup_limit: limit(s.lookups_per_minute, s.lookup_burst),
            connections: ConnectionLimits {
                header_read_timeout: Duration::from_secs(s.header_read_timeout_s),
                idle_timeout: Duration::from_secs(s.keep_alive_idle_s),
                max_connections: s.max_connections,
                // Behind a proxy every connection is the proxy's: the cap would be global.
                max_connections_per_client: if s.trust_forwarded_for {
                    0
                } else {
                    s.max_connections_per_client
                },
                shutdown_grace: Duration::from_secs(s.shutdown_grace_s),
            },
            share_hours_after_arrival: cfg.safety.share_hours_after_arrival,
            open311_agency: cfg.open311.agency.clone(),
            open311_contact: cfg.open311.contact.clone(),
        }
    }
}

impl Default for Settings {
    /// The configuration's defaults, except the per-client request rate: off, as for a
    /// program embedding the server (tests, load generators) that sets its own.
    fn default() -> Self {
        Settings {
            rate_limit: RateLimit::default(),
            ..Settings::from_config(&config::Config::default())
        }
    }
}

/// The HTTP adapter's state: the application, and what only HTTP needs (rate limits, the
/// cached network map).
#[derive(Debug)]
pub struct AppState {
    app: Arc<App>,
    settings: Settings,
    limiter: Limiter,
    lookups: Limiter,
    /// `/v1/network` for the timetable it was built from.
    network: std::sync::Mutex<Option<(Arc<Timetable>, NetworkBodies)>>,
    /// Street map tiles served.
    tiles: places::TileCache,
}

impl AppState {
    /// The HTTP front door of `app`.
    pub fn new(app: Arc<App>, settings: Settings) -> Arc<AppState> {
        metrics::declare_private(app.metrics());
        Arc::new(AppState {
            app,
            limiter: Limiter::new(settings.rate_limit),
            lookups: Limiter::new(settings.lookup_limit),
            network: std::sync::Mutex::new(None),
            tiles: places::TileCache::default(),
            settings,
        })
    }
    /// The application.
    pub fn app(&self) -> &Arc<App> {
        &self.app
    }
    /// The current dataset.
    pub fn dataset(&self) -> Arc<Dataset> {
        self.app.dataset()
    }
    /// The HTTP parameters.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }
}

/// The HTTP application.
pub fn app(state: Arc<AppState>) -> Router {
    use tower_http::{
        compression::CompressionLayer, limit::RequestBodyLimitLayer, timeout::TimeoutLayer,
    };
    let timeout = state.settings.request_timeout;
    let body = state.settings.max_body_bytes;
    let routed = Router::new()
        .route("/", get(web::index))
        .route("/docs", get(web::docs))
        .route("/sw.js", get(web::service_worker))
        .route("/manifest.webmanifest", get(web::manifest))
        .route("/observatorio", get(web::dashboard))
        .route("/compartir", get(web::shared))
        .route("/assets/{name}", get(web::asset))
        .route("/openapi.json", get(openapi::openapi_json))
        .route("/v1/network", get(web::network))
        .route("/healthz", get(service::healthz))
        .route("/v1/feeds", get(network::feeds))
        .route("/v1/cities", get(cities::list))
        .route("/{city}", get(web::city_page))
        .route("/v1/plan", get(plan::plan))
        .route("/v1/stops", get(network::stops_search))
        .route("/v1/places", get(places::places))
        .route("/v1/places/reverse", get(places::reverse))
        .route("/v1/map", get(places::map_info))
        .route("/v1/tiles/{z}/{x}/{y}", get(places::tile))
        .route("/v1/stops/near", get(network::stops_near))
        .route("/v1/stops/{id}/departures", get(network::departures))
        .route("/v1/vehicles", get(network::vehicles))
        .route("/v1/alerts", get(alerts::list).post(alerts::create))
        .route("/gtfs-rt/{kind}", get(gtfs_rt::feed))
        .route("/v1/offline", get(offline_api::list))
        .route("/v1/offline/{feed}", get(offline_api::bundle))
        .route("/v1/service", get(service_delivered::public))
        .route("/v1/observatory/service", get(service_delivered::officials))
        .route(
            "/v1/alerts/{id}",
            axum::routing::put(alerts::update).delete(alerts::end),
        )
        .route("/v1/routes", get(network::routes))
        .route("/v1/routes/{id}", get(network::route))
        .route("/metrics", get(service::metrics))
        .route(
            "/v1/reports",
            axum::routing::post(reports::create_report).get(reports::list_reports),
        )
        .route(
            "/v1/reports/{reference}",
            get(reports::report_status)
                .delete(reports::erase_report)
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    ratelimit::limit_lookups,
                )),
        )
        .route(
            "/v1/reports/{reference}/status",
            axum::routing::post(reports::change_status),
        )
        .route("/v1/categories", get(reports::categories))
        .route(
            "/v1/categories/{code}",
            axum::routing::put(categories::put).delete(categories::retire),
        )
        .route("/reportar", get(web::report_page))
        .route("/encuestas", get(web::surveys_page))
        .route("/v1/ratings", axum::routing::post(surveys::create_rating))
        .route(
            "/v1/surveys",
            axum::routing::post(surveys::create_rating_alias).get(questionnaires::list),
        )
        .route(
            "/v1/surveys/{code}",
            get(questionnaires::one)
                .put(questionnaires::publish)
                .delete(questionnaires::retire),
        )
        .route(
            "/v1/surveys/{code}/responses",
            axum::routing::post(questionnaires::answer),
        )
        .route("/v1/surveys/{code}/export", get(questionnaires::export))
        .route("/open311/v2/services.json", get(open311::services))
        .route("/open311/v2/services.xml", get(open311::services_xml))
        .route("/open311/v2/services/{file}", get(open311::definition))
        .route("/open311/v2/discovery.json", get(open311::discovery))
        .route("/open311/v2/discovery.xml", get(open311::discovery_xml))
        .route(
            "/open311/v2/requests.xml",
            axum::routing::post(open311::create_xml).merge(get(open311::list_xml).layer(
                axum::middleware::from_fn_with_state(state.clone(), ratelimit::limit_lookups),
            )),
        )
        .route(
            "/open311/v2/requests.json",
            axum::routing::post(open311::create).merge(get(open311::list).layer(
                axum::middleware::from_fn_with_state(state.clone(), ratelimit::limit_lookups),
            )),
        )
        .route(
            "/open311/v2/requests/{file}",
            get(open311::one).layer(axum::middleware::from_fn_with_state(
                state.clone(),
                ratelimit::limit_lookups,
            )),
        )
        .route("/v1/observatory/indicators", get(indicators::indicators))
        .route(
            "/v1/observatory/internal",
            get(indicators::internal_indicators),
        )
        .route("/v1/admin/reload", axum::routing::post(service::reload))
        .layer(RequestBodyLimitLayer::new(body))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        // Photos have their own body limit and deadline; operators' positions their own limit.
        .merge(photos::routes(&state))
        .merge(positions::routes(&state))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .fallback(service::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ratelimit::limit,
        ))
        .layer(CompressionLayer::new())
        .layer(cors(&state.settings.cors_origins))
        .with_state(state);
    // Before routing, so that no handler reads an id holding a NUL.
    Router::new()
        .fallback_service(routed)
        .layer(axum::middleware::from_fn(refuse_nul_in_path))
        .layer(axum::middleware::from_fn(asked_language))
}

/// Every message of the request in the language it asks for: `lang` in the query, else its
/// `Accept-Language`, else Spanish (`query::asked`).
async fn asked_language(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let lang = web::page_lang(req.uri().query(), req.headers());
    query::ASKED.scope(lang, next.run(req)).await
}

/// An encoded NUL in the path (`/v1/reports/R-%00…`) is a 400 before any handler reads the
/// path as an id: no text carries a NUL (PostgreSQL cannot compare one), the same answer on
/// every backend. Query strings and bodies refuse it where they are parsed (`query::Params`,
/// `bodies::json`, `bodies::form`), naming the field.
async fn refuse_nul_in_path(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    // A raw NUL cannot be in a URI at all (hyper refuses it): `%00` is the only way in.
    if req.uri().path().contains("%00") {
        return bodies::nul_in_field(query::asked(), "path").into_response();
    }
    next.run(req).await
}

/// CORS for the origins configured (`*` for any): simple requests and preflights for the
/// methods and headers the API takes (JSON bodies, officials' tokens, idempotency keys).
fn cors(origins: &[String]) -> tower_http::cors::CorsLayer {
    use axum::http::{Method, header};
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let list: Vec<axum::http::HeaderValue> =
        origins.iter().filter_map(|o| o.parse().ok()).collect();
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else if list.is_empty() {
        return CorsLayer::new();
    } else {
        AllowOrigin::list(list)
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::ACCEPT,
            header::ACCEPT_LANGUAGE,
            axum::http::HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([header::RETRY_AFTER, header::LOCATION])
        .max_age(std::time::Duration::from_secs(600))
}

/// Refuses a request that a page of another site made a browser send (its `Origin` is neither
/// this server's own nor an allowed one). Requests without `Origin` (not from a browser, or
/// a same-origin GET) pass.
pub(crate) fn cross_site_check(
    allowed: &[String],
    headers: &axum::http::HeaderMap,
    lang: i18n::Lang,
) -> Result<(), Problem> {
    let Some(origin) = headers
        .get(axum::http::header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(());
    };
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let own = origin
        .split_once("://")
        .is_some_and(|(_, rest)| !host.is_empty() && rest.eq_ignore_ascii_case(host));
    if own
        || allowed
            .iter()
            .any(|a| a == "*" || a.eq_ignore_ascii_case(origin))
    {
        return Ok(());
    }
    Err(Problem::new(
        axum::http::StatusCode::FORBIDDEN,
        i18n::t(lang, "error.cross_site", &[("origin", &origin)]),
    ))
}

/// Serves `app` on `listener` until Ctrl-C or SIGTERM (requests in flight finish first);
/// SIGHUP reloads the timetable.
pub async fn serve(listener: tokio::net::TcpListener, state: Arc<AppState>) -> std::io::Result<()> {
    serve_with(listener, state, None).await
}

/// [`serve`] with extra routes beside the API (the chatbot's webhook).
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    extra: Option<Router>,
) -> std::io::Result<()> {
    serve_until(listener, state, extra, shutdown_signal()).await
}

/// [`serve_with`], stopping gracefully when `stop` resolves (make it with [`shutdown_signal`]
/// before starting anything else, so that a signal during start-up is heard too).
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    extra: Option<Router>,
    stop: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    // SIGHUP reloads the timetable (built aside, swapped atomically).
    #[cfg(unix)]
    {
        let st = Arc::clone(&state);
        let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
        tokio::spawn(async move {
            while hup.recv().await.is_some() {
                if let Err(e) = st.app.reload().await {
                    tracing::error!(error = %e, "reload on SIGHUP failed; still serving the previous timetable");
                }
            }
        });
    }
    // Histogram samples are folded every few seconds, scraped or not.
    let weak = Arc::downgrade(&state);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(5));
        loop {
            every.tick().await;
            let Some(st) = weak.upgrade() else { return };
            st.app.metrics().upkeep();
        }
    });
    let limits = state.settings.connections;
    serve::run(listener, serve::with_extra(state, extra), limits, stop).await
}

/// Resolves on Ctrl-C or SIGTERM received from this call on: the handlers are installed at
/// once, not when the future is first polled, so a signal that arrives while the process is
/// still starting stops it gracefully instead of killing it. Call inside the runtime.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut int = signal(SignalKind::interrupt()).ok();
        let mut term = signal(SignalKind::terminate()).ok();
        async move {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(int.take()) => {},
                () = wait(term.take()) => {},
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
