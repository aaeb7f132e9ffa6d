//! Request metrics in the Prometheus text format (version 0.0.4).
//!
//! A Worker isolate is the unit that holds these counters: they start at zero when the isolate
//! starts, like a process's counters do, and `mirubato_isolate_start_time_seconds` says when.
//! Fleet-wide figures come from Analytics Engine; this endpoint is for a look at one isolate.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use sha2::{Digest, Sha256};

/// The secret a scraper presents as `Authorization: Bearer <token>` outside local development.
pub const METRICS_TOKEN: &str = "METRICS_TOKEN";

/// Who may read `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsAccess {
    Granted,
    /// A deployed worker without `METRICS_TOKEN`: the endpoint does not exist.
    Disabled,
    /// No bearer, or the wrong one.
    Refused,
}

/// Locally anyone may scrape; elsewhere only the holder of `METRICS_TOKEN`. The tokens are
/// compared as digests, so the time taken says nothing about how much of one matched.
pub fn metrics_access(
    is_local: bool,
    configured: Option<&str>,
    authorization: Option<&str>,
) -> MetricsAccess {
    if is_local {
        return MetricsAccess::Granted;
    }
    let Some(expected) = configured.filter(|token| !token.is_empty()) else {
        return MetricsAccess::Disabled;
    };
    let presented = authorization
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    match presented {
        Some(presented) if Sha256::digest(presented) == Sha256::digest(expected) => {
            MetricsAccess::Granted
        }
        _ => MetricsAccess::Refused,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct RequestKey {
    route: String,
    method: String,
    status: u16,
}

/// Upper bounds (seconds) of the request duration histogram's buckets; `+Inf` follows.
const DURATION_BUCKETS_SECS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The duration histogram is kept per route and method (not status), so its series stay few.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct RouteKey {
    route: String,
    method: String,
}

#[derive(Debug, Clone, Default)]
struct DurationHistogram {
    /// Observations at or below each bound of [`DURATION_BUCKETS_SECS`] (not cumulative).
    in_bucket: [u64; DURATION_BUCKETS_SECS.len()],
    count: u64,
    sum_secs: f64,
}

impl DurationHistogram {
    fn observe(&mut self, secs: f64) {
        if let Some(bucket) = DURATION_BUCKETS_SECS
            .iter()
            .position(|&bound| secs <= bound)
        {
            self.in_bucket[bucket] += 1;
        }
        self.count += 1;
        self.sum_secs += secs;
    }
}

/// Counters for one isolate.
#[derive(Debug, Clone)]
pub struct MetricsRegistry {
    started_at_secs: f64,
    requests: BTreeMap<RequestKey, u64>,
    durations: BTreeMap<RouteKey, DurationHistogram>,
}

/// Labels of the `mirubato_build_info` gauge.
pub struct BuildInfo<'a> {
    pub service: &'a str,
    pub version: &'a str,
    pub environment: &'a str,
    pub git_sha: &'a str,
}

impl MetricsRegistry {
    pub fn new(started_at_secs: f64) -> Self {
        Self {
            started_at_secs,
            requests: BTreeMap::new(),
            durations: BTreeMap::new(),
        }
    }

    /// Counts one request under its route pattern (never the raw path, which would make the
    /// label set unbounded).
    pub fn record(&mut self, route: &str, method: &str, status: u16, duration_ms: f64) {
        *self
            .requests
            .entry(RequestKey {
                route: route.to_string(),
                method: method.to_string(),
                status,
            })
            .or_default() += 1;
        self.durations
            .entry(RouteKey {
                route: route.to_string(),
                method: method.to_string(),
            })
            .or_default()
            .observe(duration_ms / 1000.0);
    }

    pub fn render(&self, build: &BuildInfo<'_>) -> String {
        let service = escape(build.service);
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "# HELP mirubato_build_info Build and environment of this worker."
        );
        let _ = writeln!(out, "# TYPE mirubato_build_info gauge");
        let _ = writeln!(
            out,
            "mirubato_build_info{{service=\"{service}\",version=\"{}\",environment=\"{}\",git_sha=\"{}\"}} 1",
            escape(build.version),
            escape(build.environment),
            escape(build.git_sha)
        );
        let _ = writeln!(
            out,
            "# HELP mirubato_isolate_start_time_seconds When this isolate started (unix seconds); counters start from zero then."
        );
        let _ = writeln!(out, "# TYPE mirubato_isolate_start_time_seconds gauge");
        let _ = writeln!(
            out,
            "mirubato_isolate_start_time_seconds{{service=\"{service}\"}} {}",
            self.started_at_secs
        );
        let _ = writeln!(
            out,
            "# HELP mirubato_http_requests_total Requests answered, by route pattern, method and status."
        );
        let _ = writeln!(out, "# TYPE mirubato_http_requests_total counter");
        for (key, count) in &self.requests {
            let _ = writeln!(
                out,
                "mirubato_http_requests_total{{{}}} {count}",
                labels(&service, key)
            );
        }
        let _ = writeln!(
            out,
            "# HELP mirubato_http_request_duration_seconds Time spent answering, by route pattern and method."
        );
        let _ = writeln!(
            out,
            "# TYPE mirubato_http_request_duration_seconds histogram"
        );
        for (key, histogram) in &self.durations {
            let labels = format!(
                "service=\"{service}\",route=\"{}\",method=\"{}\"",
                escape(&key.route),
                escape(&key.method)
            );
            let mut cumulative = 0;
            for (bound, in_bucket) in DURATION_BUCKETS_SECS.iter().zip(histogram.in_bucket) {
                cumulative += in_bucket;
                let _ = writeln!(
                    out,
                    "mirubato_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "mirubato_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                histogram.count
            );
            let _ = writeln!(
                out,
                "mirubato_http_request_duration_seconds_sum{{{labels}}} {}",
                histogram.sum_secs
            );
            let _ = writeln!(
                out,
                "mirubato_http_request_duration_seconds_count{{{labels}}} {}",
                histogram.count
            );
        }
        out
    }
}

fn labels(service: &str, key: &RequestKey) -> String {
    format!(
        "service=\"{service}\",route=\"{}\",method=\"{}\",status=\"{}\"",
        escape(&key.route),
        escape(&key.method),
        key.status
    )
}

/// Escapes a label value as the exposition format requires.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUILD: BuildInfo<'static> = BuildInfo {
        service: "api",
        version: "0.1.0",
        environment: "local",
        git_sha: "abc",
    };

    #[test]
    fn counts_requests_by_route_method_and_status() {
        let mut metrics = MetricsRegistry::new(1_700_000_000.0);
        metrics.record("/health", "GET", 200, 2.0);
        metrics.record("/health", "GET", 200, 4.0);
        metrics.record("/api/users/{id}", "GET", 404, 1.0);
        let text = metrics.render(&BUILD);
        assert!(text.contains(
            "mirubato_http_requests_total{service=\"api\",route=\"/health\",method=\"GET\",status=\"200\"} 2"
        ));
        let health = "service=\"api\",route=\"/health\",method=\"GET\"";
        assert!(text.contains(&format!(
            "mirubato_http_request_duration_seconds_bucket{{{health},le=\"0.005\"}} 2"
        )));
        assert!(text.contains(&format!(
            "mirubato_http_request_duration_seconds_bucket{{{health},le=\"+Inf\"}} 2"
        )));
        assert!(text.contains(&format!(
            "mirubato_http_request_duration_seconds_sum{{{health}}} 0.006"
        )));
        assert!(text.contains(&format!(
            "mirubato_http_request_duration_seconds_count{{{health}}} 2"
        )));
        assert!(text.contains("route=\"/api/users/{id}\",method=\"GET\",status=\"404\"} 1"));
        assert!(text.contains(
            "mirubato_build_info{service=\"api\",version=\"0.1.0\",environment=\"local\",git_sha=\"abc\"} 1"
        ));
    }

    #[test]
    fn duration_buckets_are_cumulative_and_end_in_inf() {
        let mut metrics = MetricsRegistry::new(0.0);
        for duration_ms in [3.0, 40.0, 300.0, 20_000.0] {
            metrics.record("/x", "GET", 200, duration_ms);
        }
        let text = metrics.render(&BUILD);
        let bucket = |le: &str| {
            let prefix = format!(
                "mirubato_http_request_duration_seconds_bucket{{service=\"api\",route=\"/x\",method=\"GET\",le=\"{le}\"}} "
            );
            text.lines()
                .find_map(|line| line.strip_prefix(&prefix))
                .unwrap_or_else(|| panic!("no bucket {le}:\n{text}"))
                .to_string()
        };
        assert_eq!(bucket("0.005"), "1");
        assert_eq!(bucket("0.05"), "2");
        assert_eq!(bucket("0.5"), "3");
        assert_eq!(bucket("10"), "3");
        assert_eq!(bucket("+Inf"), "4");
    }

    #[test]
    fn metrics_are_open_locally_and_need_the_token_elsewhere() {
        assert_eq!(metrics_access(true, None, None), MetricsAccess::Granted);
        assert_eq!(
            metrics_access(false, None, Some("Bearer x")),
            MetricsAccess::Disabled
        );
        assert_eq!(
            metrics_access(false, Some(""), None),
            MetricsAccess::Disabled
        );
        let token = Some("s3cret-token");
        assert_eq!(metrics_access(false, token, None), MetricsAccess::Refused);
        assert_eq!(
            metrics_access(false, token, Some("Bearer s3cret")),
            MetricsAccess::Refused
        );
        assert_eq!(
            metrics_access(false, token, Some("s3cret-token")),
            MetricsAccess::Refused
        );
        assert_eq!(
            metrics_access(false, token, Some("Bearer s3cret-token")),
            MetricsAccess::Granted
        );
    }

    #[test]
    fn label_values_are_escaped() {
        let mut metrics = MetricsRegistry::new(0.0);
        metrics.record("/a\"b\\c\nd", "GET", 200, 1.0);
        assert!(
            metrics
                .render(&BUILD)
                .contains("route=\"/a\\\"b\\\\c\\nd\"")
        );
    }

    #[test]
    fn every_sample_line_has_a_declared_type() {
        let mut metrics = MetricsRegistry::new(0.0);
        metrics.record("/x", "POST", 500, 1.0);
        let text = metrics.render(&BUILD);
        for line in text.lines().filter(|line| !line.starts_with('#')) {
            let sample = line.split('{').next().unwrap();
            let histogram = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| sample.strip_suffix(suffix))
                .filter(|family| text.contains(&format!("# TYPE {family} histogram")));
            let family = histogram.unwrap_or(sample);
            assert!(text.contains(&format!("# TYPE {family} ")), "{line}");
        }
    }
}
