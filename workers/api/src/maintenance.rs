//! The api's crons (`[triggers] crons` in wrangler/api.toml): every job is idempotent, bounded
//! per run, and logs one line saying what it did.
//!
//! - every 5 minutes: read each worker's `/health` over its service binding and POST a JSON
//!   alert to `ALERT_WEBHOOK_URL` when one turns degraded or recovers (once per change);
//! - hourly: abort abandoned recording uploads, delete the recordings of logbook entries
//!   whose delete the server stored a week ago, repair documents stored with a clock beyond
//!   `MAX_CLOCK_SKEW` of the server's, purge expired idempotency keys and used one-time tokens,
//!   retry the pending steps of account erasures (workers/api/src/erasure.rs). (Revoked-token markers live in KV with a TTL and expire on their own.)

use std::collections::BTreeMap;

use mirubato_core::alerts::{
    Observation, WorkerState, alert_payload, observe_health, state_changes,
};
use mirubato_core::practice::iso;
use mirubato_edge::{EdgeError, INTERNAL_HOST, log_cron_job, now};
use serde_json::{Value, json};
use worker::{Env, Fetch, Method, Request, RequestInit, query};

use crate::{CACHE, DB, recordings};

pub const HEALTH_CRON: &str = "*/5 * * * *";
pub const MAINTENANCE_CRON: &str = "17 * * * *";
/// The secret (or var) holding the operator's webhook; unset means no alerts.
pub const ALERT_WEBHOOK: &str = "ALERT_WEBHOOK_URL";

/// Workers whose health the api watches, by binding.
const WATCHED: [(&str, &str); 4] = [
    ("SYNC", "sync"),
    ("SCORES", "scores"),
    ("DICTIONARY", "dictionary"),
    ("FRONTEND", "frontend"),
];
/// Where the states last told are kept (KV `CACHE`).
const STATES_KEY: &str = "alerts:worker-states";
const ROWS_PER_RUN: u32 = 1_000;
/// Recording uploads aborted, and recordings of deleted entries deleted, per run.
const UPLOADS_PER_RUN: u32 = 100;
/// Pending erasure steps tried per run (each is one service-binding call).
const ERASURES_PER_RUN: u32 = 50;

/// Runs the jobs of `cron` and logs one line per job.
pub async fn run(cron: &str, env: &Env) {
    let jobs: Vec<(&str, Result<Value, EdgeError>)> = match cron {
        HEALTH_CRON => vec![("health-alerts", watch_health(env).await)],
        MAINTENANCE_CRON => vec![
            (
                "abort-abandoned-uploads",
                recordings::abort_abandoned_uploads(env, UPLOADS_PER_RUN)
                    .await
                    .map(|aborted| json!({ "aborted": aborted })),
            ),
            (
                "delete-recordings-of-deleted-entries",
                recordings::delete_recordings_of_deleted_entries(env, UPLOADS_PER_RUN)
                    .await
                    .map(|deleted| json!({ "deleted": deleted })),
            ),
            (
                "repair-future-clocks",
                crate::documents::repair_future_clocks(env, ROWS_PER_RUN)
                    .await
                    .map(|repaired| json!({ "repaired": repaired })),
            ),
            ("purge-expired", purge_expired(env).await),
            (
                "retry-erasures",
                crate::erasure::retry_due(env, ERASURES_PER_RUN).await,
            ),
        ],
        other => vec![(
            "unknown",
            Ok(json!({ "skipped": format!("no job runs on cron {other}") })),
        )],
    };
    for (job, outcome) in jobs {
        log_cron_job(cron, job, outcome);
    }
}

fn secret(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .map(|value| value.to_string())
        .or_else(|_| env.var(name).map(|value| value.to_string()))
        .ok()
        .filter(|value| !value.trim().is_empty())
}

async fn observe(env: &Env, binding: &str) -> Observation {
    let answer = async {
        let response = env
            .service(binding)?
            .fetch(format!("https://{INTERNAL_HOST}/health"), None)
            .await;
        let mut response = response?;
        let status = response.status_code();
        let body = response.json::<Value>().await.ok();
        Ok::<_, worker::Error>((status, body))
    }
    .await;
    match answer {
        Ok((status, body)) => observe_health(Some(status), body.as_ref()),
        Err(_) => observe_health(None, None),
    }
}

async fn watch_health(env: &Env) -> Result<Value, EdgeError> {
    let Some(webhook) = secret(env, ALERT_WEBHOOK) else {
        return Ok(json!({ "skipped": "ALERT_WEBHOOK_URL is not configured" }));
    };
    let mut current = BTreeMap::new();
    for (binding, name) in WATCHED {
        current.insert(name.to_string(), observe(env, binding).await);
    }
    let kv = env.kv(CACHE)?;
    let told: BTreeMap<String, WorkerState> = kv
        .get(STATES_KEY)
        .json()
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    let alerts = state_changes(&told, &current);
    let environment = secret(env, "ENVIRONMENT").unwrap_or_else(|| "local".into());
    let timestamp = iso(now());
    let mut sent = 0;
    for alert in &alerts {
        let mut init = RequestInit::new();
        let headers = worker::Headers::new();
        headers.set("Content-Type", "application/json")?;
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(
                alert_payload(alert, &environment, &timestamp)
                    .to_string()
                    .into(),
            ));
        let response = Fetch::Request(Request::new_with_init(&webhook, &init)?)
            .send()
            .await?;
        if !(200..300).contains(&response.status_code()) {
            // The states are not saved: the next run tells again.
            return Err(mirubato_core::ApiError::Unavailable(format!(
                "alert webhook answered {}",
                response.status_code()
            ))
            .into());
        }
        sent += 1;
    }
    let states: BTreeMap<&String, WorkerState> = current
        .iter()
        .map(|(worker, seen)| (worker, seen.state))
        .collect();
    let saved = serde_json::to_string(&states).map_err(mirubato_core::ApiError::internal)?;
    kv.put(STATES_KEY, saved)?.execute().await?;
    Ok(json!({ "checked": current.len(), "alertsSent": sent, "states": states }))
}

async fn purge_expired(env: &Env) -> Result<Value, EdgeError> {
    let db = env.d1(DB)?;
    let cutoff = iso(now());
    let mut purged = serde_json::Map::new();
    for table in ["idempotency_keys", "used_tokens"] {
        let sql = format!(
            "DELETE FROM {table} WHERE rowid IN \
             (SELECT rowid FROM {table} WHERE expires_at < ?1 LIMIT ?2)"
        );
        let changes = query!(&db, &sql, &cutoff, ROWS_PER_RUN)?
            .run()
            .await?
            .meta()?
            .and_then(|meta| meta.changes)
            .unwrap_or(0);
        purged.insert(table.to_string(), json!(changes));
    }
    Ok(Value::Object(purged))
}
