//! The accept loop: HTTP/1.1 over hyper with limits on what clients may hold.
//!
//! axum's own `serve` sets no timeouts, so a client sending a byte every few seconds, or
//! saying nothing at all, held its connection forever. Here:
//! - a request's headers must arrive within `header_read_timeout` (hyper's timer, which also
//!   runs while a kept-alive connection waits for its next request);
//! - a connection silent in both directions for `idle_timeout` is closed (its reads time out);
//! - at most `max_connections` are open at once: past that the loop stops accepting, and new
//!   clients wait in the kernel's listen queue instead of taking memory and file descriptors;
//! - on SIGTERM the loop stops accepting, lets requests in flight finish within
//!   `shutdown_grace`, and returns even if some clients never leave.

use crate::AppState;
use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

/// How long and how many clients may hold connections.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConnectionLimits {
    /// Time for a request's headers to arrive (and for the next request on a kept-alive
    /// connection to start).
    pub header_read_timeout: Duration,
    /// A connection with nothing to read for this long is closed.
    pub idle_timeout: Duration,
    /// Connections open at once.
    pub max_connections: usize,
    /// After SIGTERM, how long requests in flight may take.
    pub shutdown_grace: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            max_connections: 1024,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains within the grace period.
pub(crate) async fn run(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A free slot first, so that a full server leaves clients in the listen queue.
        let slot = tokio::select! {
            s = slots.clone().acquire_owned() => match s {
                Ok(s) => s,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    if !is_per_connection(&e) {
                        tracing::error!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let mut io = tokio_io_timeout::TimeoutStream::new(stream);
        io.set_read_timeout(Some(limits.idle_timeout));
        let service =
            app.clone()
                .map_request(move |mut req: axum::http::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(ConnectInfo(peer));
                    req.map(axum::body::Body::new)
                });
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .keep_alive(true);
        let conn = http.serve_connection(
            TokioIo::new(Box::pin(io)),
            TowerToHyperService::new(service),
        );
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection closed with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    tracing::info!(
        grace_s = limits.shutdown_grace.as_secs_f64(),
        "shutting down: finishing requests in flight"
    );
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some connections were still open after the grace period; closing them");
    }
    Ok(())
}

/// Errors that concern one connection only (the client went away before it was accepted).
fn is_per_connection(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted
    )
}

/// The whole app with the peer address available to the rate limiter.
pub(crate) fn with_extra(state: Arc<AppState>, extra: Option<Router>) -> Router {
    let mut app = crate::app(state);
    if let Some(extra) = extra {
        app = app.merge(extra);
    }
    app
}
