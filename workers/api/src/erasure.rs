//! An account's erasure beyond the api's own rows (steps and retry rule in
//! `mirubato_core::erasure`). The deletion's D1 batch records a pending row per step in
//! `erasures`; [`run_steps`] then drives each step (the other workers over their service
//! bindings, the api's rate counters itself) and marks it done, or records the failure and
//! when to try again. The hourly cron calls [`retry_due`] until every step is done.

use mirubato_core::erasure::{ERASE_PATH, RetryPolicy, Step, Target, error_summary};
use mirubato_core::practice::iso;
use mirubato_edge::{EdgeError, non_negative_var, now, post_internal, rate_limit};
use serde::Deserialize;
use serde_json::{Value, json};
use worker::{D1Database, D1PreparedStatement, Env, query};

use crate::DB;

/// Done rows kept for operators before the cron purges them.
const DONE_KEPT_DAYS: i64 = 30;

/// The retry rule, with its base wait from `ERASURE_RETRY_SECS` when set.
fn policy(env: &Env) -> RetryPolicy {
    let default = RetryPolicy::default();
    RetryPolicy {
        base_secs: non_negative_var(env, "ERASURE_RETRY_SECS", default.base_secs),
        ..default
    }
}

/// Statements recording every step as pending, due now: part of the deletion's batch. A
/// step already recorded for this id (an erasure repeated) is made pending again.
pub fn pending_statements(
    db: &D1Database,
    user_id: &str,
) -> Result<Vec<D1PreparedStatement>, EdgeError> {
    let stamp = iso(now());
    Step::ALL
        .into_iter()
        .map(|step| {
            Ok(query!(
                db,
                "INSERT INTO erasures (user_id, step, created_at, updated_at, next_attempt_at) \
                 VALUES (?1, ?2, ?3, ?3, ?3) \
                 ON CONFLICT (user_id, step) DO UPDATE SET done_at = NULL, \
                   next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at",
                user_id,
                step.as_str(),
                &stamp
            )?)
        })
        .collect()
}

#[derive(Deserialize)]
struct PendingRow {
    user_id: String,
    step: String,
    attempts: u32,
}

/// Runs one step; `Err` holds what an operator needs to know (never shown to a user).
async fn run_step(
    env: &Env,
    step: Step,
    user_id: &str,
    request_id: Option<&str>,
) -> Result<(), String> {
    match step.target() {
        Target::Local => rate_limit::forget_user(env, user_id)
            .await
            .map_err(|err| err.to_string()),
        Target::Worker(binding) => {
            let body = json!({ "userId": user_id });
            let mut answer = post_internal(env, binding, ERASE_PATH, &body, request_id)
                .await
                .map_err(|err| format!("{binding} unreachable: {err}"))?;
            match answer.status_code() {
                200 => Ok(()),
                status => {
                    let text = answer.text().await.unwrap_or_default();
                    Err(format!("{binding} answered {status}: {text}"))
                }
            }
        }
    }
}

/// Runs the given pending rows, recording each outcome. Answers `{done, failed}`.
async fn run_rows(
    env: &Env,
    db: &D1Database,
    rows: Vec<PendingRow>,
    request_id: Option<&str>,
) -> Result<Value, EdgeError> {
    let policy = policy(env);
    let (mut done, mut failed) = (0, Vec::new());
    for row in rows {
        let Some(step) = Step::parse(&row.step) else {
            continue;
        };
        let outcome = run_step(env, step, &row.user_id, request_id).await;
        let at = now();
        let attempts = row.attempts + 1;
        match outcome {
            Ok(()) => {
                query!(
                    db,
                    "UPDATE erasures SET attempts = ?3, done_at = ?4, updated_at = ?4, \
                     last_error = NULL WHERE user_id = ?1 AND step = ?2",
                    &row.user_id,
                    &row.step,
                    attempts,
                    iso(at)
                )?
                .run()
                .await?;
                done += 1;
            }
            Err(error) => {
                let summary = error_summary(&error);
                worker::console_error!(
                    "{}",
                    json!({"level": "warn", "message": "erasure step failed", "step": row.step,
                           "attempts": attempts, "error": summary, "requestId": request_id})
                );
                query!(
                    db,
                    "UPDATE erasures SET attempts = ?3, last_error = ?4, updated_at = ?5, \
                     next_attempt_at = ?6 WHERE user_id = ?1 AND step = ?2",
                    &row.user_id,
                    &row.step,
                    attempts,
                    &summary,
                    iso(at),
                    iso(policy.next_attempt(attempts, at))
                )?
                .run()
                .await?;
                failed.push(json!({ "step": row.step, "attempts": attempts }));
            }
        }
    }
    Ok(json!({ "done": done, "failed": failed }))
}

/// Runs every pending step of `user_id` now (right after the deletion).
pub async fn run_steps(env: &Env, user_id: &str, request_id: &str) -> Result<Value, EdgeError> {
    let db = env.d1(DB)?;
    let rows: Vec<PendingRow> = query!(
        &db,
        "SELECT user_id, step, attempts FROM erasures WHERE user_id = ?1 AND done_at IS NULL",
        user_id
    )?
    .all()
    .await?
    .results()?;
    run_rows(env, &db, rows, Some(request_id)).await
}

/// The cron's job: pending steps whose next attempt has come, oldest first, at most `limit`;
/// and done rows past their keeping time are purged.
pub async fn retry_due(env: &Env, limit: u32) -> Result<Value, EdgeError> {
    let db = env.d1(DB)?;
    let at = now();
    let rows: Vec<PendingRow> = query!(
        &db,
        "SELECT user_id, step, attempts FROM erasures \
         WHERE done_at IS NULL AND next_attempt_at <= ?1 ORDER BY next_attempt_at LIMIT ?2",
        iso(at),
        limit
    )?
    .all()
    .await?
    .results()?;
    let mut result = run_rows(env, &db, rows, None).await?;
    let purged = query!(
        &db,
        "DELETE FROM erasures WHERE done_at IS NOT NULL AND done_at < ?1",
        iso(at - chrono::Duration::days(DONE_KEPT_DAYS))
    )?
    .run()
    .await?
    .meta()?
    .and_then(|meta| meta.changes)
    .unwrap_or(0);
    result["purged"] = json!(purged);
    Ok(result)
}
