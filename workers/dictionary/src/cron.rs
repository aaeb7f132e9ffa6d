//! The scheduled work: clean up old analytics and finished queue items; when Workers AI is
//! configured, and within the daily token budget, enhance queued low-quality entries, work
//! the seed queue, and embed entries for semantic search. Each run logs one JSON line saying
//! what it did (and that AI work did not run, when it cannot).

use chrono::Duration;
use mirubato_core::dictionary::generate::{definition_request, enhancement_request};
use mirubato_core::dictionary::{Lang, TermType, normalize_term};
use mirubato_edge::EdgeError;
use serde::Deserialize;
use serde_json::{Value, json};
use worker::{D1Database, Env, query};

use crate::ai::{affordable, configured, record_usage, tokens_left};
use crate::embeddings::{EMBEDDING_MODEL, backfill};
use crate::generate::{Outcome, enhance_entry, missing_term};
use crate::store::{entry_by_id, find_term};
use crate::{DB, var_or};

/// Days of search analytics kept unless `ANALYTICS_RETENTION_DAYS` says otherwise.
const DEFAULT_RETENTION_DAYS: i64 = 90;
/// Entries embedded per run at most.
const EMBED_BATCH: u32 = 50;
/// Queue items worked per run at most (each costs one model call per language).
const QUEUE_BATCH: f64 = 10.0;
/// Entries below this overall score are queued for enhancement.
const LOW_QUALITY: f64 = 60.0;
/// Tries before a queue item is given up as failed.
const MAX_ATTEMPTS: i64 = 3;
/// Tokens one embedding is counted at.
const EMBEDDING_TOKENS: i64 = 64;

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
    let generations = deleted(query!(
        db,
        "DELETE FROM ai_generations WHERE day < ?1",
        iso(now - Duration::days(30)).get(..10).unwrap_or_default()
    )?)
    .await?;
    Ok(
        json!({"search_analytics": analytics, "seed_queue": seeds, "ai_token_usage": usage, "ai_generations": generations}),
    )
}

#[derive(Deserialize)]
struct QueuedEntry {
    id: String,
    entry_id: String,
    attempts: i64,
}

/// Where a failed queue item goes: back to pending, or failed after its last try.
fn retry_status(attempts: i64) -> &'static str {
    if attempts + 1 >= MAX_ATTEMPTS {
        "failed"
    } else {
        "pending"
    }
}

/// Queues the low-quality entries, then enhances queued entries, most urgent first.
async fn enhance_queued(env: &Env, db: &D1Database, now: &str) -> Result<Value, EdgeError> {
    let day = now.get(..10).unwrap_or_default();
    query!(
        db,
        "INSERT OR IGNORE INTO enhancement_queue (id, entry_id, priority, reason, status, created_at) \
         SELECT lower(hex(randomblob(16))), e.id, 5, 'low_score', 'pending', ?1 FROM dictionary_entries e \
         WHERE e.overall_score < ?2 AND NOT EXISTS (SELECT 1 FROM enhancement_queue q WHERE q.entry_id = e.id) \
         ORDER BY e.search_count DESC LIMIT 50",
        now,
        LOW_QUALITY
    )?
    .run()
    .await?;
    let queued = query!(
        db,
        "SELECT id, entry_id, attempts FROM enhancement_queue WHERE status = 'pending' \
         ORDER BY priority DESC, created_at ASC LIMIT ?1",
        QUEUE_BATCH
    )?
    .all()
    .await?
    .results::<QueuedEntry>()?;
    let (mut improved, mut unchanged, mut failed) = (0, 0, 0);
    for item in queued {
        let Some(entry) = entry_by_id(db, &item.entry_id).await? else {
            continue;
        };
        if !affordable(env, db, day, enhancement_request(&entry).token_estimate()).await? {
            return Ok(
                json!({"improved": improved, "unchanged": unchanged, "failed": failed, "stopped": "today's token budget is spent"}),
            );
        }
        let status = match enhance_entry(env, db, &entry, now).await {
            Ok(true) => {
                improved += 1;
                "completed"
            }
            Ok(false) => {
                unchanged += 1;
                "completed"
            }
            Err(err) => {
                worker::console_warn!("enhancing {} failed: {err}", entry.id);
                failed += 1;
                retry_status(item.attempts)
            }
        };
        query!(
            db,
            "UPDATE enhancement_queue SET status = ?1, attempts = attempts + 1 WHERE id = ?2",
            status,
            &item.id
        )?
        .run()
        .await?;
    }
    Ok(json!({"improved": improved, "unchanged": unchanged, "failed": failed}))
}

#[derive(Deserialize)]
struct SeedItem {
    id: String,
    term: String,
    languages: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    attempts: i64,
}

/// Generates the entries the seed queue asks for, in each language that has none yet.
async fn work_seed_queue(env: &Env, db: &D1Database, now: &str) -> Result<Value, EdgeError> {
    let day = now.get(..10).unwrap_or_default();
    let items = query!(
        db,
        "SELECT id, term, languages, type, attempts FROM seed_queue WHERE status = 'pending' \
         ORDER BY priority DESC, created_at ASC LIMIT ?1",
        QUEUE_BATCH
    )?
    .all()
    .await?
    .results::<SeedItem>()?;
    let (mut published, mut queued, mut failed) = (0, 0, 0);
    for item in items {
        let (languages, mut error) = match serde_json::from_str::<Vec<Lang>>(&item.languages) {
            Ok(languages) => (languages, None),
            Err(err) => (Vec::new(), Some(format!("unreadable languages: {err}"))),
        };
        let kind = item
            .kind
            .as_deref()
            .and_then(|kind| TermType::parse(kind).ok());
        let normalized = normalize_term(&item.term);
        for lang in languages {
            if find_term(db, &normalized, lang, None)
                .await?
                .is_some_and(|entry| entry.lang == lang)
            {
                continue;
            }
            let estimate = definition_request(&item.term, kind, lang).token_estimate();
            if !affordable(env, db, day, estimate).await? {
                return Ok(
                    json!({"published": published, "queued_for_review": queued, "failed": failed, "stopped": "today's token budget is spent"}),
                );
            }
            match missing_term(env, db, &item.term, lang, kind, "seed_queue", now).await {
                Ok(Outcome::Published(_)) => published += 1,
                Ok(Outcome::Queued { .. }) => queued += 1,
                Ok(Outcome::NotRun(reason)) => error = Some(reason),
                Err(err) => error = Some(err.to_string()),
            }
        }
        let status = if error.is_some() {
            failed += 1;
            retry_status(item.attempts)
        } else {
            "completed"
        };
        query!(
            db,
            "UPDATE seed_queue SET status = ?1, attempts = attempts + 1, error_message = ?2, \
               completed_at = CASE WHEN ?1 = 'completed' THEN ?3 END WHERE id = ?4",
            status,
            &error,
            now,
            &item.id
        )?
        .run()
        .await?;
    }
    Ok(json!({"published": published, "queued_for_review": queued, "failed": failed}))
}

/// Embeds entries with what is left of today's budget.
async fn embed(env: &Env, db: &D1Database, now: &str) -> Result<Value, EdgeError> {
    let day = now.get(..10).unwrap_or_default();
    if !affordable(env, db, day, EMBEDDING_TOKENS).await? {
        return Ok(json!({"embedded": 0, "stopped": "today's token budget is spent"}));
    }
    let left = tokens_left(env, db, day).await?;
    let batch = (left / EMBEDDING_TOKENS).clamp(1, i64::from(EMBED_BATCH)) as u32;
    let embedded = backfill(env, db, batch, now).await?;
    record_usage(
        db,
        day,
        EMBEDDING_MODEL,
        embedded as i64 * EMBEDDING_TOKENS,
        embedded,
    )
    .await?;
    Ok(json!({"embedded": embedded}))
}

/// The AI work of a run, each part reporting on its own (one failing does not stop the rest).
async fn ai_work(env: &Env, db: &D1Database, now: &str) -> Value {
    if !configured(env) {
        return json!({"ran": false, "reason": "Workers AI is not configured"});
    }
    let report = |result: Result<Value, EdgeError>| {
        result.unwrap_or_else(|err| json!({"error": err.to_string()}))
    };
    json!({
        "ran": true,
        "enhancement": report(enhance_queued(env, db, now).await),
        "seed_queue": report(work_seed_queue(env, db, now).await),
        "embeddings": report(embed(env, db, now).await),
    })
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
    let enhancement = ai_work(env, &db, &stamp).await;
    json!({"event": "scheduled", "service": "dictionary", "cron": cron, "at": stamp, "cleanup": cleaned, "enhancement": enhancement})
}
