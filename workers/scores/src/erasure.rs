//! `POST /internal/users/erase {userId}` (service binding only): the scores worker's part of
//! an account's erasure (`mirubato_core::erasure`). Idempotent: a repeated call finds less
//! or nothing to do, so the api can retry it until it answers 200.

use mirubato_core::scores::model::{SCORE_COLUMNS, ScoreRow};
use mirubato_edge::{EdgeError, RequestContext, erasure, json};
use serde_json::json;
use worker::{Bucket, Response};

use crate::store::{BUCKET, CACHE, DB, all, delete_score_files, run, text};

pub async fn erase(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let request = erasure::read_request(&mut ctx).await?;
    let user = request.user_id.as_str();
    let db = ctx.env.d1(DB)?;
    let bucket = ctx.env.bucket(BUCKET)?;
    // Every score of the user, whatever its visibility. Files go first, then the row, so a
    // failure half-way leaves the row to find again on the retry.
    let scores: Vec<ScoreRow> = all(
        &db,
        &format!("SELECT {SCORE_COLUMNS} FROM scores WHERE user_id = ?"),
        &[text(user)],
    )
    .await?;
    for score in &scores {
        delete_score_files(&bucket, score).await?;
        // Pages, members of anyone's collections and favourites go with the score (ON DELETE
        // CASCADE).
        run(&db, "DELETE FROM scores WHERE id = ?", &[text(&score.id)]).await?;
    }
    // Uploads of an import that never became a score.
    let orphans = delete_prefix(&bucket, &format!("user-uploads/{user}/")).await?;
    let statements = [
        "DELETE FROM user_score_favorites WHERE user_id = ?1",
        // Shares given: the user's collections (their members cascade).
        "DELETE FROM user_collections WHERE user_id = ?1",
        // Shares received: the user leaves every collection shared with them.
        "UPDATE user_collections SET shared_with = \
           (SELECT json_group_array(value) FROM json_each(user_collections.shared_with) \
            WHERE value <> ?1) \
         WHERE EXISTS (SELECT 1 FROM json_each(user_collections.shared_with) WHERE value = ?1)",
    ];
    for sql in statements {
        run(&db, sql, &[text(user)]).await?;
    }
    // The import limiter's record of the user.
    ctx.env
        .kv(CACHE)?
        .delete(&format!("ratelimit:import:user:{user}"))
        .await?;
    erasure::forget_rate_limits(&ctx, user).await?;
    ctx.count("scoresErased", scores.len() as u64);
    json(&json!({ "success": true, "scores": scores.len(), "orphanFiles": orphans }))
}

/// Deletes every object under `prefix`, a listing page at a time.
async fn delete_prefix(bucket: &Bucket, prefix: &str) -> Result<usize, EdgeError> {
    let mut deleted = 0;
    loop {
        let listed = bucket.list().prefix(prefix).execute().await?;
        let keys: Vec<String> = listed.objects().iter().map(|object| object.key()).collect();
        if keys.is_empty() {
            return Ok(deleted);
        }
        deleted += keys.len();
        bucket
            .delete_multiple(keys.iter().map(String::as_str).collect())
            .await?;
        if !listed.truncated() {
            return Ok(deleted);
        }
    }
}
