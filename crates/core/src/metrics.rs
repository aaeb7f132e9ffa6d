//! Request metrics in the Prometheus text format (version 0.0.4).
//!
//! A Worker isolate is the unit that holds these counters: they start at zero when the isolate
//! starts, like a process's counters do, and `mirubato_isolate_start_time_seconds` says when.
//! Fleet-wide figures come from Analytics Engine; this endpoint is for a look at one isolate.

use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct RequestKey {
    route: String,
    method: String,
    status: u16,
}

#[derive(Debug, Clone, Copy, Default)]
struct RequestStats {
    count: u64,
    duration_ms_sum: f64,
}

/// Counters for one isolate.
#[derive(Debug, Clone)]
pub struct MetricsRegistry {
    started_at_secs: f64,
    requests: BTreeMap<RequestKey, RequestStats>,
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
        }
    }

    /// Counts one request under its route pattern (never the raw path, which would make the
    /// label set unbounded).
    pub fn record(&mut self, route: &str, method: &str, status: u16, duration_ms: f64) {
        let stats = self
            .requests
            .entry(RequestKey {
                route: route.to_string(),
                method: method.to_string(),
                status,
            })
            .or_default();
        stats.count += 1;
        stats.duration_ms_sum += duration_ms;
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
        for (key, stats) in &self.requests {
            let _ = writeln!(
                out,
                "mirubato_http_requests_total{{{}}} {}",
                labels(&service, key),
                stats.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP mirubato_http_request_duration_ms_sum Total milliseconds spent answering, by route pattern, method and status."
        );
        let _ = writeln!(out, "# TYPE mirubato_http_request_duration_ms_sum counter");
        for (key, stats) in &self.requests {
            let _ = writeln!(
                out,
                "mirubato_http_request_duration_ms_sum{{{}}} {}",
                labels(&service, key),
                stats.duration_ms_sum
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
        assert!(text.contains(
            "mirubato_http_request_duration_ms_sum{service=\"api\",route=\"/health\",method=\"GET\",status=\"200\"} 6"
        ));
        assert!(text.contains("route=\"/api/users/{id}\",method=\"GET\",status=\"404\"} 1"));
        assert!(text.contains(
            "mirubato_build_info{service=\"api\",version=\"0.1.0\",environment=\"local\",git_sha=\"abc\"} 1"
        ));
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
            let name = line.split('{').next().unwrap();
            assert!(text.contains(&format!("# TYPE {name} ")), "{line}");
        }
    }
}
