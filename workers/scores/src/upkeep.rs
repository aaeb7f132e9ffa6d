//! Library upkeep: the admin routes (`/api/admin/*`, users in `ADMIN_EMAILS`) and the crons
//! (`[triggers] crons` in wrangler/scores.toml). Every cron job is idempotent, bounded per run,
//! and logs one line saying what it did.
//!
//! - hourly: re-enqueue scores stuck `pending`/`processing` for `STUCK_IMPORT_MINUTES`
//!   (default 30), and delete R2 objects under the score prefixes whose score no longer
//!   exists, once older than `ORPHAN_GRACE_SECONDS` (default a day).

use std::collections::HashSet;

use chrono::Duration;
use mirubato_core::ApiError;
use mirubato_core::practice::iso;
use mirubato_core::scores::model::SqlValue;
use mirubato_core::scores::upkeep::{
    REPROCESSABLE_SQL, ReprocessRequest, SCORE_PREFIXES, StoredObject, orphaned_keys,
};
use mirubato_edge::auth::authenticate_admin;
use mirubato_edge::{EdgeError, RequestContext, json, log_cron_job, non_negative_var, now};
use serde::Deserialize;
use serde_json::{Value, json};
use worker::{Env, Response};

use crate::imports::enqueue;
use crate::processing::{Job, Resumable};
use crate::store::{BUCKET, CACHE, DB, all, find_score, first, run, text};

pub const UPKEEP_CRON: &str = "23 * * * *";
/// Objects examined per prefix and run; a KV cursor carries the scan over to the next run.
const OBJECTS_PER_PREFIX: u32 = 500;
/// Deleted keys a log line names.
const LOGGED_KEYS: usize = 20;
/// Stuck scores re-enqueued per run.
const STUCK_PER_RUN: u32 = 50;

/// When a `pending`/`processing` score last moved, before which it counts as stuck.
fn stale_before(env: &Env) -> String {
    iso(now() - Duration::minutes(non_negative_var(env, "STUCK_IMPORT_MINUTES", 30_i64)))
}

#[derive(Deserialize)]
struct Reprocessable {
    #[serde(flatten)]
    resumable: Resumable,
    title: String,
    processing_status: String,
    processing_error: Option<String>,
    processing_attempts: i64,
    last_activity: String,
}

impl Reprocessable {
    fn view(&self) -> Value {
        json!({
            "id": self.resumable.id, "title": self.title, "processingStatus": self.processing_status,
            "processingError": self.processing_error, "processingAttempts": self.processing_attempts,
            "lastActivity": self.last_activity,
        })
    }
}

/// Finds reprocessable scores and, unless `dry_run`, resets each to `pending` and enqueues it.
async fn requeue(
    env: &Env,
    include_failed: bool,
    limit: u32,
    dry_run: bool,
) -> Result<Vec<Reprocessable>, EdgeError> {
    let db = env.d1(DB)?;
    let found: Vec<Reprocessable> = all(
        &db,
        REPROCESSABLE_SQL,
        &[
            SqlValue::Text(stale_before(env)),
            SqlValue::Integer(i64::from(include_failed)),
            SqlValue::Integer(i64::from(limit)),
        ],
    )
    .await?;
    if !dry_run {
        for score in &found {
            run(
                &db,
                "UPDATE scores SET processing_status = 'pending', processing_error = NULL, \
                 processing_attempts = 0, processing_started_at = NULL, updated_at = ? WHERE id = ?",
                &[SqlValue::Text(iso(now())), text(&score.resumable.id)],
            )
            .await?;
            enqueue(env, Job::resume(&score.resumable)).await?;
        }
    }
    Ok(found)
}

/// `POST /api/admin/reprocess-imports {dryRun?=true, limit?=10}`: failed and stuck scores,
/// re-enqueued unless it is a dry run.
pub async fn reprocess(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    authenticate_admin(&ctx).await?;
    let body: ReprocessRequest = ctx.json().await?;
    let found = requeue(&ctx.env, true, body.limit, body.dry_run).await?;
    let scores: Vec<Value> = found.iter().map(Reprocessable::view).collect();
    json(&json!({
        "success": true,
        "data": { "dryRun": body.dry_run, "count": scores.len(), "scores": scores },
    }))
}

/// `GET /api/admin/score-status/:id`: any score's processing state, and whether its files
/// are in R2.
pub async fn score_status(ctx: RequestContext) -> Result<Response, EdgeError> {
    authenticate_admin(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    let score = find_score(&db, ctx.param("id")?)
        .await?
        .ok_or_else(|| ApiError::not_found("Score not found"))?;
    #[derive(Deserialize)]
    struct Progress {
        processing_attempts: i64,
        processing_started_at: Option<String>,
        pages: i64,
    }
    let progress: Progress = first(
        &db,
        "SELECT processing_attempts, processing_started_at, \
         (SELECT COUNT(*) FROM score_pages WHERE score_id = scores.id) AS pages FROM scores WHERE id = ?",
        &[text(&score.id)],
    )
    .await?
    .ok_or_else(|| ApiError::not_found("Score not found"))?;
    let bucket = ctx.env.bucket(BUCKET)?;
    let mut stored = serde_json::Map::new();
    for (name, key) in [("file", &score.r2_key), ("thumbnail", &score.thumbnail_key)] {
        let present = match key {
            Some(key) => Some(bucket.head(key).await?.is_some()),
            None => None,
        };
        stored.insert(name.into(), json!(present));
    }
    json(&json!({
        "success": true,
        "data": {
            "id": score.id,
            "processingStatus": score.processing_status,
            "processingError": score.processing_error,
            "processingAttempts": progress.processing_attempts,
            "processingStartedAt": progress.processing_started_at,
            "pageCount": score.page_count,
            "uploadedPages": progress.pages,
            "stored": stored,
            "updatedAt": score.updated_at,
        },
    }))
}

/// Runs the jobs of `cron` and logs one line per job.
pub async fn run_cron(cron: &str, env: &Env) {
    let jobs: Vec<(&str, Result<Value, EdgeError>)> = match cron {
        UPKEEP_CRON => vec![
            (
                "requeue-stuck-imports",
                requeue(env, false, STUCK_PER_RUN, false)
                    .await
                    .map(|found| json!({ "requeued": found.len() })),
            ),
            ("delete-orphaned-files", delete_orphans(env).await),
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

/// One bounded page of every score prefix: deletes the objects no score owns, and saves
/// where the next run continues.
async fn delete_orphans(env: &Env) -> Result<Value, EdgeError> {
    let bucket = env.bucket(BUCKET)?;
    let kv = env.kv(CACHE)?;
    let db = env.d1(DB)?;
    let grace_ms = non_negative_var(env, "ORPHAN_GRACE_SECONDS", 86_400_i64) * 1000;
    let now_ms = now().timestamp_millis();
    let mut examined = 0usize;
    let mut deleted: Vec<String> = Vec::new();
    for prefix in SCORE_PREFIXES {
        let cursor_key = format!("upkeep:orphans:cursor:{prefix}");
        let mut listing = bucket.list().prefix(prefix).limit(OBJECTS_PER_PREFIX);
        if let Some(cursor) = kv.get(&cursor_key).text().await? {
            listing = listing.cursor(cursor);
        }
        let page = listing.execute().await?;
        let objects: Vec<StoredObject> = page
            .objects()
            .iter()
            .map(|object| StoredObject {
                key: object.key(),
                uploaded_ms: object.uploaded().as_millis() as i64,
            })
            .collect();
        examined += objects.len();
        let ids: Vec<&str> = objects
            .iter()
            .filter_map(|object| mirubato_core::scores::upkeep::score_id_of(&object.key))
            .collect();
        #[derive(Deserialize)]
        struct Id {
            id: String,
        }
        let existing: Vec<Id> = all(
            &db,
            "SELECT id FROM scores WHERE id IN (SELECT value FROM json_each(?))",
            &[SqlValue::Text(json!(ids).to_string())],
        )
        .await?;
        let existing: HashSet<String> = existing.into_iter().map(|row| row.id).collect();
        let orphans = orphaned_keys(&objects, &existing, now_ms, grace_ms);
        if !orphans.is_empty() {
            bucket
                .delete_multiple(orphans.iter().map(String::as_str).collect())
                .await?;
            deleted.extend(orphans);
        }
        match page.cursor().filter(|_| page.truncated()) {
            Some(next) => kv.put(&cursor_key, next)?.execute().await?,
            None => kv.delete(&cursor_key).await?,
        }
    }
    // The first keys are named so an operator can tell what went; the count is complete.
    let named: Vec<&String> = deleted.iter().take(LOGGED_KEYS).collect();
    Ok(json!({ "examined": examined, "deleted": deleted.len(), "deletedKeys": named }))
}
