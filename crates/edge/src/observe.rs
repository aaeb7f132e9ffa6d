//! The request log line and the per-isolate metrics behind `/metrics`.

use std::cell::RefCell;

use mirubato_core::ApiError;
use mirubato_core::analytics::{DataPoint, event_point};
use mirubato_core::metrics::{
    BuildInfo, METRICS_TOKEN, MetricsAccess, MetricsRegistry, metrics_access,
};
use mirubato_core::request::RequestLog;
use worker::{AnalyticsEngineDataPointBuilder, Env, Response};

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
    pub counts: &'a std::collections::BTreeMap<&'static str, u64>,
    pub analytics: &'a DataPoint,
}

/// The dataset binding every worker declares.
const ANALYTICS: &str = "ANALYTICS";

/// Writes a data point to Analytics Engine when the binding exists (it is a no-op locally).
fn write_point(env: &Env, point: &DataPoint) {
    let Ok(dataset) = env.analytics_engine(ANALYTICS) else {
        return;
    };
    let indexes: Vec<&str> = point.indexes.iter().map(String::as_str).collect();
    let written = AnalyticsEngineDataPointBuilder::new()
        .indexes(indexes)
        .blobs(point.blobs.iter().map(String::as_str))
        .doubles(point.doubles.iter().copied())
        .write_to(&dataset);
    if let Err(err) = written {
        worker::console_error!("analytics write failed: {err}");
    }
}

/// The keyed hash of a user id for analytics; the key is the session secret, so the hash
/// means nothing outside this deployment.
pub(crate) fn user_hash(env: &Env, user_id: &str) -> Option<String> {
    let key = env
        .secret("JWT_SECRET")
        .map(|secret| secret.to_string())
        .or_else(|_| env.var("JWT_SECRET").map(|var| var.to_string()))
        .ok()?;
    Some(mirubato_core::analytics::user_hash(&key, user_id))
}

/// Logs how one scheduled job ended: `"cron finished"` with its result, or `"cron failed"`
/// with the error (the one line per job that `docs/OPERATIONS.md` describes).
pub fn log_cron_job(cron: &str, job: &str, outcome: Result<serde_json::Value, EdgeError>) {
    let line = match outcome {
        Ok(result) => serde_json::json!({
            "level": "info", "message": "cron finished", "cron": cron, "job": job, "result": result,
        }),
        Err(err) => serde_json::json!({
            "level": "error", "message": "cron failed", "cron": cron, "job": job, "error": err.to_string(),
        }),
    };
    worker::console_log!("{line}");
}

/// Records a domain event (`entry_logged`, `sync_frame_applied`, …): an Analytics Engine
/// data point, and the same record in a log line.
pub fn event(ctx: &RequestContext, name: &str, details: &[&str], doubles: &[f64]) {
    let user_hash = ctx
        .observed
        .borrow()
        .user_id
        .as_deref()
        .and_then(|user_id| user_hash(&ctx.env, user_id));
    let point = event_point(
        ctx.service.name,
        name,
        user_hash.as_deref(),
        details,
        doubles,
    );
    write_point(&ctx.env, &point);
    let line = serde_json::json!({
        "level": "info",
        "message": "event",
        "event": name,
        "service": ctx.service.name,
        "requestId": ctx.request_id,
        "analytics": point,
    });
    worker::console_log!("{line}");
}

/// Counts the request, writes its data point and its one structured log line.
pub(crate) fn record(service: &Service, env: &Env, record: &RequestRecord<'_>) {
    write_point(env, record.analytics);
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
        counts: record.counts,
        analytics: Some(record.analytics),
    };
    if let Ok(json) = serde_json::to_string(&line) {
        worker::console_log!("{json}");
    }
}

pub(crate) async fn metrics(ctx: RequestContext) -> Result<Response, EdgeError> {
    let token = ctx.secret(METRICS_TOKEN).ok();
    let authorization = ctx.header("Authorization");
    match metrics_access(
        ctx.config.environment.is_local(),
        token.as_deref(),
        authorization.as_deref(),
    ) {
        MetricsAccess::Granted => {}
        MetricsAccess::Disabled => return Err(ApiError::not_found("No route for /metrics").into()),
        MetricsAccess::Refused => {
            return Err(
                ApiError::Unauthorized("Metrics need the METRICS_TOKEN bearer".into()).into(),
            );
        }
    }
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
