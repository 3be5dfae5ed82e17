//! Per-client rate limiting (GCRA, the algorithm behind "leaky bucket as a meter").
//!
//! A client is its IP address: the peer of the TCP connection, or — only when the server is
//! configured to trust a proxy — the last address of `X-Forwarded-For`, which is the one the
//! proxy itself saw. Addresses are kept in memory only as long as they matter to the limit
//! (a few seconds to a minute) and are never logged.

use crate::{AppState, Problem};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How many requests a client may make (by default: unlimited).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RateLimit {
    /// Sustained requests per minute per client; 0 turns limiting off.
    pub per_minute: u32,
    /// Requests a client may make at once above the sustained rate.
    pub burst: u32,
    /// Take the client from `X-Forwarded-For` (only behind a proxy you run).
    pub trust_forwarded_for: bool,
}

const SHARDS: usize = 16;
/// A shard holding more clients than this forgets the ones whose debt is paid.
const SWEEP_AT: usize = 4096;

/// Theoretical arrival times per client (GCRA state), sharded to keep locks short.
#[derive(Debug)]
pub struct Limiter {
    limit: RateLimit,
    epoch: Instant,
    shards: Vec<Mutex<Shard>>,
}

#[derive(Debug, Default)]
struct Shard {
    tat: HashMap<IpAddr, Duration>,
    /// Size at which to forget paid-up clients; doubles with the live set, so sweeping
    /// stays amortised O(1) per request even under a flood of distinct addresses.
    sweep_at: usize,
}

impl Limiter {
    /// A limiter for `limit`.
    pub fn new(limit: RateLimit) -> Limiter {
        Limiter {
            limit,
            epoch: Instant::now(),
            shards: (0..SHARDS)
                .map(|_| {
                    Mutex::new(Shard {
                        tat: HashMap::new(),
                        sweep_at: SWEEP_AT,
                    })
                })
                .collect(),
        }
    }

    /// Whether limiting is on.
    pub fn enabled(&self) -> bool {
        self.limit.per_minute > 0
    }

    /// Admits a request from `client` at `now`, or says how long to wait.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        if !self.enabled() {
            return Ok(());
        }
        let interval = Duration::from_secs(60) / self.limit.per_minute;
        let tolerance = interval * self.limit.burst;
        let now = now.saturating_duration_since(self.epoch);
        let client = client_key(client);
        let shard = shard_of(client);
        let mut sh = self.shards[shard]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if sh.tat.len() >= sh.sweep_at {
            sh.tat.retain(|_, tat| *tat > now);
            sh.sweep_at = (2 * sh.tat.len()).max(SWEEP_AT);
        }
        let tat = sh.tat.get(&client).copied().unwrap_or(now).max(now);
        if tat - now > tolerance {
            return Err(tat - now - tolerance);
        }
        sh.tat.insert(client, tat + interval);
        Ok(())
    }
}

/// The key a client is limited by: an IPv4 address, or the /64 network of an IPv6 one (one
/// household or phone gets a whole /64 and can pick any address in it). IPv4-mapped IPv6
/// addresses count as their IPv4 address.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
    }
}

fn shard_of(ip: IpAddr) -> usize {
    let folded = match ip {
        IpAddr::V4(v4) => u32::from(v4).wrapping_mul(0x9E37_79B9),
        // The /64 network: one household or phone gets many v6 addresses.
        IpAddr::V6(v6) => {
            let x = u128::from(v6) >> 64;
            (x as u32 ^ (x >> 32) as u32).wrapping_mul(0x9E37_79B9)
        }
    };
    (folded >> 28) as usize % SHARDS
}

/// The client a request comes from, if known.
fn client_of(req: &Request, trust_forwarded_for: bool) -> Option<IpAddr> {
    if trust_forwarded_for
        && let Some(ip) = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .next_back()
    {
        return Some(ip);
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// Middleware: answers 429 with `Retry-After` to clients over their limit.
pub async fn limit(State(s): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    gate(&s, &s.limiter, req, next).await
}

/// Middleware for lookups by secret reference (a stricter allowance per client), so that
/// nobody can try references at speed.
pub async fn limit_lookups(State(s): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    gate(&s, &s.lookups, req, next).await
}

async fn gate(s: &AppState, limiter: &Limiter, req: Request, next: Next) -> Response {
    if limiter.enabled()
        && let Some(client) = client_of(&req, limiter.limit.trust_forwarded_for)
        && let Err(wait) = limiter.check(client, Instant::now())
    {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        crate::metrics::observe_rate_limited(s.app().metrics());
        let lang = crate::query::asked();
        let problem = Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            i18n::t(lang, "error.rate_limited", &[("s", &secs)]),
        )
        .retry_after(u32::try_from(secs).unwrap_or(u32::MAX));
        // Open311 clients read GeoReport's own error format, in the path's format.
        if req.uri().path().starts_with("/open311/") {
            return crate::open311::error_for_path(req.uri().path(), problem);
        }
        let mut r = problem.into_response();
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_minute: u32, burst: u32) -> Limiter {
        Limiter::new(RateLimit {
            per_minute,
            burst,
            trust_forwarded_for: false,
        })
    }

    #[test]
    fn burst_then_sustained_rate() {
        let l = limiter(60, 3);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let t0 = l.epoch;
        // One plus the burst pass at once; the next must wait about a second.
        for _ in 0..4 {
            assert_eq!(l.check(ip, t0), Ok(()));
        }
        let wait = l.check(ip, t0).unwrap_err();
        assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1));
        // Another client is not affected.
        assert_eq!(l.check("10.0.0.2".parse().unwrap(), t0), Ok(()));
        // After a second, one more passes, and only one.
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(l.check(ip, t1), Ok(()));
        assert!(l.check(ip, t1).is_err());
        // After a long pause, the whole burst again.
        let t2 = t0 + Duration::from_secs(60);
        for _ in 0..4 {
            assert_eq!(l.check(ip, t2), Ok(()));
        }
        assert!(l.check(ip, t2).is_err());
    }

    #[test]
    fn an_ipv6_client_is_its_slash_64() {
        let l = limiter(60, 2);
        let t0 = l.epoch;
        // Three addresses of one /64 share one allowance; another /64 has its own.
        for a in [
            "2001:db8:1:2::1",
            "2001:db8:1:2::ffff",
            "2001:db8:1:2:abcd::9",
        ] {
            assert_eq!(l.check(a.parse().unwrap(), t0), Ok(()), "{a}");
        }
        assert!(
            l.check("2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap(), t0)
                .is_err()
        );
        assert_eq!(l.check("2001:db8:1:3::1".parse().unwrap(), t0), Ok(()));
        // An IPv4-mapped address is its IPv4 address.
        for _ in 0..3 {
            assert_eq!(l.check("10.0.0.9".parse().unwrap(), t0), Ok(()));
        }
        assert!(l.check("::ffff:10.0.0.9".parse().unwrap(), t0).is_err());
    }

    #[test]
    fn off_when_zero() {
        let l = limiter(0, 0);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..10_000 {
            assert_eq!(l.check(ip, l.epoch), Ok(()));
        }
    }

    #[test]
    fn forgets_paid_up_clients() {
        let l = limiter(6000, 0);
        let t0 = l.epoch;
        for i in 0..(SWEEP_AT as u32 * SHARDS as u32 * 2) {
            let _ = l.check(IpAddr::V4(i.into()), t0);
        }
        // Later, new clients push each shard past its sweep size: the old ones go.
        let later = t0 + Duration::from_secs(5);
        let before: usize = l.shards.iter().map(|m| m.lock().unwrap().tat.len()).sum();
        let fresh = 3 * SWEEP_AT * SHARDS;
        for i in 0..fresh as u32 {
            let _ = l.check(IpAddr::V4((i + 1_000_000).into()), later);
        }
        let after: usize = l.shards.iter().map(|m| m.lock().unwrap().tat.len()).sum();
        assert!(before >= SWEEP_AT * SHARDS, "{before} remembered at first");
        assert!(
            after <= fresh + fresh / 4,
            "{after} clients remembered after {fresh} new ones ({before} before)"
        );
    }
}
