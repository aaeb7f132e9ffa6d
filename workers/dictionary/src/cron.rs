//! The scheduled work: clean up old analytics and finished queue items; when Workers AI is
//! configured, embed entries for semantic search within the daily token budget. Each run
//! logs one JSON line saying what it did (and that AI work did not run, when it cannot).

use chrono::Duration;
use mirubato_edge::EdgeError;
use serde::Deserialize;
use serde_json::{Value, json};
use worker::{D1Database, Env, query};

use crate::embeddings::{EMBEDDING_MODEL, backfill};
use crate::{AI, DB};

/// Days of search analytics kept unless `ANALYTICS_RETENTION_DAYS` says otherwise.
const DEFAULT_RETENTION_DAYS: i64 = 90;
/// Daily Workers AI token budget unless `AI_DAILY_TOKEN_BUDGET` says otherwise.
const DEFAULT_TOKEN_BUDGET: i64 = 4500;
/// Entries embedded per run at most.
const EMBED_BATCH: u32 = 50;

fn var_or(env: &Env, name: &str, default: i64) -> i64 {
    env.var(name)
        .ok()
        .and_then(|value| value.to_string().parse().ok())
        .unwrap_or(default)
}

async fn deleted(statement: worker::D1PreparedStatement) -> Result<u64, EdgeError> {
    Ok(statement
        .run()
        .await?
        .meta()?
        .and_then(|meta| meta.changes)
        .unwrap_or(0) as u64)
}

async fn cleanup(
    env: &Env,
    db: &D1Database,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Value, EdgeError> {
    let iso = mirubato_core::practice::iso;
    let retention = var_or(env, "ANALYTICS_RETENTION_DAYS", DEFAULT_RETENTION_DAYS);
    let analytics = deleted(query!(
        db,
        "DELETE FROM search_analytics WHERE searched_at < ?1",
        iso(now - Duration::days(retention))
    )?)
    .await?;
    let seeds = deleted(query!(
        db,
        "DELETE FROM seed_queue WHERE status = 'completed' AND completed_at < ?1",
        iso(now - Duration::days(7))
    )?)
    .await?;
    let usage = deleted(query!(
        db,
        "DELETE FROM ai_token_usage WHERE date < ?1",
        iso(now - Duration::days(30)).get(..10).unwrap_or_default()
    )?)
    .await?;
    Ok(json!({"search_analytics": analytics, "seed_queue": seeds, "ai_token_usage": usage}))
}

#[derive(Deserialize)]
struct Used {
    tokens: f64,
}

/// Embeds entries while today's budget lasts (a text's tokens are estimated at 4 characters
/// each, which is what the budget is counted in).
async fn enhance(env: &Env, db: &D1Database, now: &str) -> Result<Value, EdgeError> {
    if env.ai(AI).is_err() {
        return Ok(json!({"ran": false, "reason": "Workers AI is not configured"}));
    }
    let today = now.get(..10).unwrap_or_default();
    let budget = var_or(env, "AI_DAILY_TOKEN_BUDGET", DEFAULT_TOKEN_BUDGET);
    let used = query!(
        db,
        "SELECT coalesce(sum(tokens_used), 0) AS tokens FROM ai_token_usage WHERE date = ?1",
        today
    )?
    .first::<Used>(None)
    .await?
    .map_or(0, |used| used.tokens as i64);
    if used >= budget {
        return Ok(
            json!({"ran": false, "reason": "today's token budget is spent", "tokens_used": used}),
        );
    }
    let batch = ((budget - used) / 64).clamp(1, i64::from(EMBED_BATCH)) as u32;
    let embedded = backfill(env, db, batch, now).await?;
    let tokens = embedded as f64 * 64.0;
    query!(
        db,
        "INSERT INTO ai_token_usage (date, model, tokens_used, terms_processed) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (date, model) DO UPDATE SET tokens_used = tokens_used + excluded.tokens_used, \
           terms_processed = terms_processed + excluded.terms_processed",
        today,
        EMBEDDING_MODEL,
        tokens,
        embedded as f64
    )?
    .run()
    .await?;
    Ok(json!({"ran": true, "embedded": embedded}))
}

/// One scheduled run; returns the report it logs.
pub async fn run(env: &Env, cron: &str) -> Value {
    let now = mirubato_edge::now();
    let stamp = mirubato_core::practice::iso(now);
    let db = match env.d1(DB) {
        Ok(db) => db,
        Err(err) => return json!({"cron": cron, "error": err.to_string()}),
    };
    let cleaned = cleanup(env, &db, now)
        .await
        .unwrap_or_else(|err| json!({"error": err.to_string()}));
    let enhancement = enhance(env, &db, &stamp)
        .await
        .unwrap_or_else(|err| json!({"ran": false, "error": err.to_string()}));
    json!({"event": "scheduled", "service": "dictionary", "cron": cron, "at": stamp, "cleanup": cleaned, "enhancement": enhancement})
}
