//! `/health` touches every required binding for real; `/readyz` answers whether all of them
//! work; `/livez` only says the isolate runs.

use std::collections::BTreeMap;

use mirubato_core::health::{CapabilityStatus, DependencyCheck, HealthReport, ServiceEntry};
use serde_json::json;
use worker::{Env, Response};

use crate::pipeline::{Capability, Dependency};
use crate::{EdgeError, RequestContext, json_with_status, now, now_ms};

/// Key the KV check reads.
const KV_PROBE_KEY: &str = "__health_check__";

pub(crate) async fn health(ctx: RequestContext) -> Result<Response, EdgeError> {
    let report = build_report(&ctx).await;
    let mut response = json_with_status(&report, report.http_status())?;
    response.headers_mut().set("Cache-Control", "no-store")?;
    Ok(response)
}

pub(crate) async fn livez(_ctx: RequestContext) -> Result<Response, EdgeError> {
    json_with_status(&json!({ "status": "ok" }), 200)
}

pub(crate) async fn readyz(ctx: RequestContext) -> Result<Response, EdgeError> {
    let report = build_report(&ctx).await;
    let failing: Vec<&str> = report
        .services
        .iter()
        .filter(
            |(_, entry)| matches!(entry, ServiceEntry::Dependency(check) if check.error.is_some()),
        )
        .map(|(name, _)| name.as_str())
        .collect();
    if failing.is_empty() {
        json_with_status(&json!({ "status": "ready" }), 200)
    } else {
        json_with_status(
            &json!({ "status": "not ready", "error": format!("unhealthy: {}", failing.join(", ")) }),
            503,
        )
    }
}

async fn build_report(ctx: &RequestContext) -> HealthReport {
    let mut services = BTreeMap::new();
    for dependency in ctx.service.dependencies {
        let (key, check) = check_dependency(&ctx.env, *dependency, &ctx.request_id).await;
        services.insert(key.to_string(), ServiceEntry::Dependency(check));
    }
    for capability in ctx.service.capabilities {
        let (key, configured) = match *capability {
            Capability::Ai(binding) => ("ai", ctx.env.ai(binding).is_ok()),
            Capability::Browser(binding) => ("browser", ctx.env.service(binding).is_ok()),
            Capability::Alerts(secret) => (
                "alerts",
                ctx.secret(secret).is_ok_and(|url| !url.trim().is_empty()),
            ),
        };
        let status = if configured {
            CapabilityStatus::Configured
        } else {
            CapabilityStatus::NotConfigured
        };
        services.insert(key.to_string(), ServiceEntry::Capability { status });
    }
    HealthReport::new(
        ctx.service.name,
        ctx.service.version,
        ctx.config.environment.as_str(),
        now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        services,
    )
}

async fn check_dependency(
    env: &Env,
    dependency: Dependency,
    request_id: &str,
) -> (&'static str, DependencyCheck) {
    let started = now_ms();
    let (key, outcome) = match dependency {
        Dependency::D1(binding) => ("database", check_d1(env, binding).await),
        Dependency::Kv(binding) => ("kvStore", check_kv(env, binding).await),
        Dependency::R2(binding) => ("storage", check_r2(env, binding).await),
        Dependency::Assets(binding) => ("assets", check_assets(env, binding).await),
        Dependency::Worker { binding, name } => (name, check_worker(env, binding).await),
    };
    let latency = now_ms() - started;
    let check = match outcome {
        Ok(()) => DependencyCheck::healthy(latency),
        Err(problem) => {
            worker::console_error!(
                "{}",
                json!({"level": "error", "message": "health check failed", "dependency": key, "requestId": request_id, "error": problem.detail})
            );
            DependencyCheck::unhealthy(latency, problem.public)
        }
    };
    (key, check)
}

/// A failed check: a message safe to show, and the detail for the log.
struct Problem {
    public: &'static str,
    detail: String,
}

fn problem(public: &'static str, detail: impl std::fmt::Display) -> Problem {
    Problem {
        public,
        detail: detail.to_string(),
    }
}

async fn check_d1(env: &Env, binding: &str) -> Result<(), Problem> {
    let db = env
        .d1(binding)
        .map_err(|err| problem("database binding missing", err))?;
    // Reading the migration table proves the database answers and has its schema.
    db.prepare("SELECT COUNT(*) AS applied FROM d1_migrations")
        .first::<serde_json::Value>(None)
        .await
        .map_err(|err| {
            if err.to_string().contains("no such table") {
                problem("database schema is not migrated", err)
            } else {
                problem("database query failed", err)
            }
        })?
        .ok_or_else(|| problem("database query returned no row", "empty result"))?;
    Ok(())
}

/// A read of the probe key: any answer, value or none, proves the namespace serves. Never a
/// write — KV takes one write per second per key, and a public health check must not be able
/// to fail itself.
async fn check_kv(env: &Env, binding: &str) -> Result<(), Problem> {
    env.kv(binding)
        .map_err(|err| problem("KV binding missing", err))?
        .get(KV_PROBE_KEY)
        .text()
        .await
        .map(|_| ())
        .map_err(|err| problem("KV read failed", err))
}

async fn check_r2(env: &Env, binding: &str) -> Result<(), Problem> {
    let bucket = env
        .bucket(binding)
        .map_err(|err| problem("R2 binding missing", err))?;
    bucket
        .head("__health_check__")
        .await
        .map(|_| ())
        .map_err(|err| problem("R2 head failed", err))
}

async fn check_assets(env: &Env, binding: &str) -> Result<(), Problem> {
    let assets = env
        .assets(binding)
        .map_err(|err| problem("assets binding missing", err))?;
    let response = assets
        .fetch("https://assets.local/", None)
        .await
        .map_err(|err| problem("assets fetch failed", err))?;
    match response.status_code() {
        200 => Ok(()),
        status => Err(problem("app shell is missing", format!("status {status}"))),
    }
}

async fn check_worker(env: &Env, binding: &str) -> Result<(), Problem> {
    let worker = env
        .service(binding)
        .map_err(|err| problem("service binding missing", err))?;
    let response = worker
        .fetch("https://internal.mirubato/livez", None)
        .await
        .map_err(|err| problem("worker did not answer", err))?;
    match response.status_code() {
        200 => Ok(()),
        status => Err(problem("worker is not live", format!("status {status}"))),
    }
}
