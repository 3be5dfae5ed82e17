//! The accept loop: HTTP/1.1 over hyper with limits on what clients may hold.
//!
//! axum's own `serve` sets no timeouts, so a client sending a byte every few seconds, or
//! saying nothing at all, held its connection forever. Here:
//! - a request's headers must arrive within `header_read_timeout` (hyper's timer, which also
//!   runs while a kept-alive connection waits for its next request);
//! - a connection silent in both directions for `idle_timeout` *while no request of it is
//!   being answered* is closed ([`Idle`]); a request in hand is bounded by its route's own
//!   deadline instead (10 s for the API, 2 min for a photo upload), so it always gets an
//!   answer — a queued upload is never cut with none;
//! - at most `max_connections` are open at once: past that the loop stops accepting, and new
//!   clients wait in the kernel's listen queue instead of taking memory and file descriptors;
//! - at most `max_connections_per_client` of them from one client (an IPv4 address, an IPv6
//!   /64): one address holding idle connections cannot fill the global cap and make everyone
//!   else wait; its extra connections are closed as soon as they are accepted;
//! - on SIGTERM the loop stops accepting, lets requests in flight finish within
//!   `shutdown_grace`, and returns even if some clients never leave.

use crate::AppState;
use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
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
    /// Connections open at once from one client (IPv4 address, IPv6 /64); 0: no cap of its
    /// own (behind a reverse proxy every connection comes from the proxy).
    pub max_connections_per_client: usize,
    /// After SIGTERM, how long requests in flight may take.
    pub shutdown_grace: Duration,
}

impl Default for ConnectionLimits {
    /// The configuration's defaults.
    fn default() -> Self {
        crate::Settings::default().connections
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
    let per_client = PerClient::new(limits.max_connections_per_client);
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
        // Over its own cap, a client's new connection is closed at once (its slot goes back).
        let Some(client_slot) = per_client.admit(peer.ip()) else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let busy = Arc::new(AtomicUsize::new(0));
        let io = Idle::new(stream, limits.idle_timeout, Arc::clone(&busy));
        let app = app.clone();
        let service = tower::service_fn(move |req: axum::http::Request<hyper::body::Incoming>| {
            let mut req = req.map(axum::body::Body::new);
            req.extensions_mut().insert(ConnectInfo(peer));
            let answering = Answering::start(&busy);
            let call = app.clone().oneshot(req);
            async move {
                let res = call.await;
                drop(answering);
                res
            }
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
            drop(client_slot);
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

/// Connections open per client.
#[derive(Debug, Clone)]
struct PerClient {
    cap: usize,
    open: Arc<std::sync::Mutex<std::collections::HashMap<IpAddr, usize>>>,
}

/// One client's connection, counted until dropped.
#[derive(Debug)]
struct ClientSlot {
    client: IpAddr,
    open: Option<Arc<std::sync::Mutex<std::collections::HashMap<IpAddr, usize>>>>,
}

impl PerClient {
    fn new(cap: usize) -> PerClient {
        PerClient {
            cap,
            open: Arc::default(),
        }
    }

    /// Counts a new connection of `ip`'s client, or `None` when it holds its cap already.
    fn admit(&self, ip: IpAddr) -> Option<ClientSlot> {
        // The rate limiter's notion of a client: an IPv4 address or an IPv6 /64.
        let client = crate::ratelimit::client_key(ip);
        if self.cap == 0 {
            return Some(ClientSlot { client, open: None });
        }
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(client).or_insert(0);
        if *n >= self.cap {
            tracing::debug!(%client, cap = self.cap, "connection over the client's cap closed");
            return None;
        }
        *n += 1;
        Some(ClientSlot {
            client,
            open: Some(Arc::clone(&self.open)),
        })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let Some(open) = &self.open else { return };
        let mut open = open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.client);
            }
        }
    }
}

/// A request of a connection being answered, counted until dropped (also when the client
/// hangs up and the answer is abandoned).
struct Answering(Arc<AtomicUsize>);

impl Answering {
    fn start(busy: &Arc<AtomicUsize>) -> Answering {
        busy.fetch_add(1, Ordering::SeqCst);
        Answering(Arc::clone(busy))
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A connection's stream that fails its reads with `TimedOut` once nothing has been read or
/// written for `timeout` — unless one of its requests is being answered, when the route's
/// own deadline is what bounds it.
#[derive(Debug)]
pub(crate) struct Idle<S> {
    inner: S,
    timeout: Duration,
    busy: Arc<AtomicUsize>,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl<S> Idle<S> {
    fn new(inner: S, timeout: Duration, busy: Arc<AtomicUsize>) -> Idle<S> {
        Idle {
            inner,
            timeout,
            busy,
            deadline: Box::pin(tokio::time::sleep(timeout)),
        }
    }

    fn heard(&mut self) {
        let at = tokio::time::Instant::now() + self.timeout;
        self.deadline.as_mut().reset(at);
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Idle<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                this.heard();
                Poll::Ready(r)
            }
            Poll::Pending => {
                if this.busy.load(Ordering::SeqCst) > 0 {
                    // Answering: the silence is ours, not the client's.
                    this.heard();
                    return Poll::Pending;
                }
                match this.deadline.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the connection was idle too long",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Idle<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.heard();
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.heard();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_are_addresses_and_ipv6_64s() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        let cap = PerClient::new(2);
        let s1 = cap.admit(a).unwrap();
        let _s2 = cap.admit(b).unwrap();
        assert!(
            cap.admit(a).is_none(),
            "a third connection of one /64 is refused"
        );
        assert!(cap.admit(c).is_some(), "another client is not");
        drop(s1);
        assert!(
            cap.admit(b).is_some(),
            "a closed connection frees its place"
        );
    }
}
