//! The application's metrics, through the `metrics` crate and its Prometheus exporter: one
//! recorder per app (never the process-global one, so two apps in one process — tests,
//! benchmarks — never mix their counts).
//!
//! The operator reads everything. The public reading leaves out what would time when people
//! report, answer or are handled: the operator-only families (the trip writer's counters) and
//! samples whose label marks them private (the observatory's endpoints, as the front door
//! declares them with [`Metrics::hide_from_public`]).
//!
//! Recording is lock-free on the hot path: counters and gauges are atomics, histogram samples
//! go to an atomic bucket, and handles are found in the exporter's sharded registry (a read
//! of one shard, never a lock shared by every request); callers may keep handles
//! ([`Metrics::counters`]). Samples are folded into the histograms when rendered and by
//! [`Metrics::upkeep`].

use metrics::{Key, Label, Metadata, Recorder};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusRecorder};

/// Upper bounds of the latency buckets, seconds.
pub const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// Who may read a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Anyone who reads `/metrics`.
    Public,
    /// The operator only (admin token).
    Operator,
}

/// The app's recorder, and what of it the public may not read.
pub struct Metrics {
    id: u64,
    recorder: PrometheusRecorder,
    /// `(label, value prefix)`: samples carrying such a label value are the operator's only.
    private: std::sync::RwLock<Vec<(&'static str, &'static str)>>,
}

/// Families the public never reads.
const OPERATOR_ONLY: [&str; 3] = [
    "paradero_observatory_trips_written_total",
    "paradero_observatory_trips_dropped_total",
    "paradero_observatory_trip_write_failures_total",
];

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

fn recorder() -> PrometheusRecorder {
    // The buckets are fixed, finite and non-empty: the only way `set_buckets` fails.
    PrometheusBuilder::new()
        .set_buckets(&BUCKETS)
        .unwrap_or_default()
        .build_recorder()
}

static META: Metadata<'static> = Metadata::new(module_path!(), metrics::Level::INFO, None);

impl Default for Metrics {
    fn default() -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let m = Metrics {
            id: NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            recorder: recorder(),
            private: std::sync::RwLock::default(),
        };
        for (name, help) in HELP {
            let r = &m.recorder;
            r.describe_counter((*name).into(), None, (*help).into());
            r.describe_histogram((*name).into(), None, (*help).into());
            r.describe_gauge((*name).into(), None, (*help).into());
        }
        m
    }
}

/// The `# HELP` text of every metric.
const HELP: &[(&str, &str)] = &[
    (
        "paradero_http_requests_total",
        "Requests answered, by endpoint template and status.",
    ),
    (
        "paradero_http_request_duration_seconds",
        "Time to answer, by endpoint template.",
    ),
    (
        "paradero_routing_duration_seconds",
        "Time spent planning one trip, by both front doors.",
    ),
    (
        "paradero_rate_limited_total",
        "Requests refused with 429 for their client's rate.",
    ),
    (
        "paradero_feed_loaded_timestamp_seconds",
        "When the timetable being served was loaded (Unix time).",
    ),
    (
        "paradero_observatory_trips_written_total",
        "Trip records written to the store.",
    ),
    (
        "paradero_observatory_trips_dropped_total",
        "Trip records lost because the writer's queue was full (the store was down or slow).",
    ),
    (
        "paradero_observatory_trip_write_failures_total",
        "Batches of trip records whose write failed and was retried.",
    ),
];

impl Metrics {
    /// A number no other `Metrics` of this process has (for callers that keep handles).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Samples whose `label` starts with `prefix` are left out of the public reading.
    pub fn hide_from_public(&self, label: &'static str, prefix: &'static str) {
        let mut p = self
            .private
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !p.contains(&(label, prefix)) {
            p.push((label, prefix));
        }
    }

    /// Adds `n` to a counter.
    pub fn count(&self, name: &'static str, labels: &[(&'static str, String)], n: u64) {
        self.counter(name, labels).increment(n);
    }

    /// A counter's handle, to keep and increment without looking the key up again.
    pub fn counter(
        &self,
        name: &'static str,
        labels: &[(&'static str, String)],
    ) -> metrics::Counter {
        self.recorder.register_counter(&key(name, labels), &META)
    }

    /// A histogram's handle.
    pub fn histogram(
        &self,
        name: &'static str,
        labels: &[(&'static str, String)],
    ) -> metrics::Histogram {
        self.recorder.register_histogram(&key(name, labels), &META)
    }

    /// Sets a counter kept elsewhere (an atomic of the app's own) to its current value.
    pub fn count_absolute(&self, name: &'static str, value: u64) {
        self.counter(name, &[]).absolute(value);
    }

    /// Records one observation in a histogram.
    pub fn observe(&self, name: &'static str, labels: &[(&'static str, String)], v: f64) {
        self.histogram(name, labels).record(v);
    }

    /// Sets a gauge.
    pub fn gauge(&self, name: &'static str, v: f64) {
        self.recorder
            .register_gauge(&Key::from_static_name(name), &META)
            .set(v);
    }

    /// Sets a gauge with labels.
    pub fn gauge_labelled(&self, name: &'static str, labels: &[(&'static str, String)], v: f64) {
        self.recorder
            .register_gauge(&key(name, labels), &META)
            .set(v);
    }

    /// The Prometheus text exposition for `who`.
    pub fn render(&self, who: Audience) -> String {
        let all = self.recorder.handle().render();
        match who {
            Audience::Operator => all,
            Audience::Public => self.public_lines(&all),
        }
    }

    /// The exposition without operator-only families and private samples. A family's `#`
    /// lines go with it; the exporter writes each family's lines together.
    fn public_lines(&self, all: &str) -> String {
        let private = self
            .private
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let hidden = |line: &str| {
            let name = line
                .strip_prefix("# HELP ")
                .or_else(|| line.strip_prefix("# TYPE "))
                .unwrap_or(line);
            let name = name.split([' ', '{']).next().unwrap_or("");
            OPERATOR_ONLY.iter().any(|f| name.starts_with(f))
                || private
                    .iter()
                    .any(|(label, prefix)| line.contains(&format!("{label}=\"{prefix}")))
        };
        let mut out = String::with_capacity(all.len());
        for line in all.lines().filter(|l| !hidden(l)) {
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    /// Folds pending histogram samples (call every few seconds: without it, samples wait
    /// in memory until the next render).
    pub fn upkeep(&self) {
        self.recorder.handle().run_upkeep();
    }
}

fn key(name: &'static str, labels: &[(&'static str, String)]) -> Key {
    Key::from_parts(
        name,
        labels
            .iter()
            .map(|(k, v)| Label::new(*k, v.clone()))
            .collect::<Vec<_>>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_sees_public_metrics_only_and_histograms_have_buckets() {
        let m = Metrics::default();
        m.hide_from_public("endpoint", "/v1/reports");
        let e = |s: &str| vec![("endpoint", s.to_string())];
        m.count("paradero_http_requests_total", &e("/v1/plan"), 1);
        m.count("paradero_http_requests_total", &e("/v1/reports"), 1);
        m.count(
            "paradero_http_requests_total",
            &e("/v1/reports/{reference}"),
            1,
        );
        m.count_absolute("paradero_observatory_trips_written_total", 7);
        m.observe("paradero_routing_duration_seconds", &[], 0.003);
        m.observe("paradero_routing_duration_seconds", &[], 9.0);
        let public = m.render(Audience::Public);
        let operator = m.render(Audience::Operator);
        assert!(public.contains("endpoint=\"/v1/plan\""), "{public}");
        assert!(!public.contains("/v1/reports"), "{public}");
        assert!(!public.contains("paradero_observatory"), "{public}");
        assert!(operator.contains("/v1/reports/{reference}") && operator.contains("/v1/plan"));
        assert!(
            operator.contains("paradero_observatory_trips_written_total 7"),
            "{operator}"
        );
        assert!(
            public.contains("paradero_routing_duration_seconds_bucket{le=\"0.005\"} 1"),
            "{public}"
        );
        assert!(
            public.contains("paradero_routing_duration_seconds_count 2"),
            "{public}"
        );
        assert!(
            public.contains("# HELP paradero_http_requests_total"),
            "{public}"
        );
    }
}
