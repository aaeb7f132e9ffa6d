//! The request log line and the per-isolate metrics behind `/metrics`.

use std::cell::RefCell;

use mirubato_core::metrics::{BuildInfo, MetricsRegistry};
use mirubato_core::request::RequestLog;
use worker::Response;

use crate::pipeline::Service;
use crate::{EdgeError, RequestContext, now, now_ms};

thread_local! {
    static METRICS: RefCell<MetricsRegistry> = RefCell::new(MetricsRegistry::new(now_ms() / 1000.0));
}

pub(crate) struct RequestRecord<'a> {
    pub request_id: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub route: Option<&'a str>,
    pub status: u16,
    pub duration_ms: f64,
    pub error: Option<&'a str>,
}

/// Counts the request and writes its one structured log line.
pub(crate) fn record(service: &Service, record: &RequestRecord<'_>) {
    METRICS.with(|metrics| {
        metrics.borrow_mut().record(
            record.route.unwrap_or("unmatched"),
            record.method,
            record.status,
            record.duration_ms,
        )
    });
    let timestamp = now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let line = RequestLog {
        level: RequestLog::level_for(record.status),
        message: "request",
        service: service.name,
        request_id: record.request_id,
        method: record.method,
        path: record.path,
        route: record.route,
        status: record.status,
        duration_ms: record.duration_ms,
        timestamp: &timestamp,
        error: record.error,
    };
    if let Ok(json) = serde_json::to_string(&line) {
        worker::console_log!("{json}");
    }
}

pub(crate) async fn metrics(ctx: RequestContext) -> Result<Response, EdgeError> {
    let environment = ctx.config.environment.as_str();
    let git_sha = ctx.config.build_sha.as_deref().unwrap_or("unknown");
    let text = METRICS.with(|metrics| {
        metrics.borrow().render(&BuildInfo {
            service: ctx.service.name,
            version: ctx.service.version,
            environment,
            git_sha,
        })
    });
    let mut response = Response::ok(text)?;
    response
        .headers_mut()
        .set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")?;
    response.headers_mut().set("Cache-Control", "no-store")?;
    Ok(response)
}
