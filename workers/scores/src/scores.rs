//! `/api/scores*` and `/files/*`: listing, reading, creating, updating and deleting scores
//! (owners only), page images and downloads.

use mirubato_core::ApiError;
use mirubato_core::byte_serving::{Disposition, content_disposition};
use mirubato_core::score_id::generate_score_id;
use mirubato_core::scores::import::{new_score_id, slugify};
use mirubato_core::scores::model::{
    CreateScore, SCORE_COLUMNS, ScoreFile, ScoreIds, ScoreRow, SqlValue, file_cache_control,
    update_columns,
};
use mirubato_edge::{EdgeError, RequestContext, json, json_with_status};
use serde_json::{Value, json};
use worker::Response;

use crate::processing::KeyRow;
use crate::store::{
    BUCKET, Count, DB, all, delete_score_files, find_score, first, insert, now_iso, owned_score,
    run, text, user, viewer, visible_score,
};

fn page_param(ctx: &RequestContext, name: &str, default: i64, max: i64) -> Result<i64, ApiError> {
    match ctx.query(name) {
        None => Ok(default),
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=max).contains(n))
            .ok_or_else(|| {
                ApiError::validation(format!("{name} must be an integer from 0 to {max}"))
            }),
    }
}

fn views(rows: &[ScoreRow]) -> Vec<Value> {
    rows.iter().map(ScoreRow::view).collect()
}

/// `GET /api/scores`: public scores, plus the caller's own.
pub async fn list(ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = viewer(&ctx).await?;
    let limit = page_param(&ctx, "limit", 20, 100)?.max(1);
    let offset = page_param(&ctx, "offset", 0, 1_000_000)?;
    let mut conditions = vec!["(visibility = 'public' OR user_id = ?)".to_string()];
    let mut binds = vec![caller.clone().into()];
    for (param, column, parse) in [
        (
            "instrument",
            "instrument",
            (|t: &str| mirubato_core::scores::model::Instrument::parse(t).is_some())
                as fn(&str) -> bool,
        ),
        ("difficulty", "difficulty", |t: &str| {
            mirubato_core::scores::model::Difficulty::parse(t).is_some()
        }),
    ] {
        if let Some(value) = ctx.query(param) {
            if !parse(&value) {
                return Err(ApiError::validation(format!("{param} is invalid")).into());
            }
            conditions.push(format!("{column} = ?"));
            binds.push(SqlValue::Text(value));
        }
    }
    let filter = conditions.join(" AND ");
    let db = ctx.env.d1(DB)?;
    let total = first::<Count>(
        &db,
        &format!("SELECT COUNT(*) AS total FROM scores WHERE {filter}"),
        &binds,
    )
    .await?
    .map_or(0, |count| count.total);
    binds.extend([SqlValue::Integer(limit), SqlValue::Integer(offset)]);
    let rows: Vec<ScoreRow> = all(
        &db,
        &format!("SELECT {SCORE_COLUMNS} FROM scores WHERE {filter} ORDER BY created_at DESC, id LIMIT ? OFFSET ?"),
        &binds,
    )
    .await?;
    json(&json!({ "success": true, "data": {
        "items": views(&rows), "total": total, "limit": limit, "offset": offset,
        "hasMore": offset + (rows.len() as i64) < total,
    }}))
}

/// `GET /api/scores/user/library`: the caller's own scores.
pub async fn library(ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = user(&ctx).await?;
    let limit = page_param(&ctx, "limit", 50, 100)?.max(1);
    let offset = page_param(&ctx, "offset", 0, 1_000_000)?;
    let db = ctx.env.d1(DB)?;
    let total = first::<Count>(
        &db,
        "SELECT COUNT(*) AS total FROM scores WHERE user_id = ?",
        &[text(&caller)],
    )
    .await?
    .map_or(0, |count| count.total);
    let rows: Vec<ScoreRow> = all(
        &db,
        &format!("SELECT {SCORE_COLUMNS} FROM scores WHERE user_id = ? ORDER BY created_at DESC, id LIMIT ? OFFSET ?"),
        &[text(&caller), SqlValue::Integer(limit), SqlValue::Integer(offset)],
    )
    .await?;
    json(
        &json!({ "success": true, "data": views(&rows), "pagination": {
            "total": total, "limit": limit, "offset": offset, "hasMore": offset + (rows.len() as i64) < total,
        }}),
    )
}

/// `GET /api/scores/:id`.
pub async fn get(ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = viewer(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    let score = visible_score(&db, ctx.param("id")?, caller.as_deref()).await?;
    run(
        &db,
        "UPDATE scores SET view_count = view_count + 1 WHERE id = ?",
        &[text(&score.id)],
    )
    .await?;
    json(&json!({ "success": true, "data": score.view() }))
}

/// `GET /api/scores/:id/metadata`.
pub async fn metadata(ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = viewer(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    let score = visible_score(&db, ctx.param("id")?, caller.as_deref()).await?;
    json(&json!({ "success": true, "data": {
        "scoreId": score.id, "title": score.title, "numPages": score.page_count,
        "processingStatus": score.processing_status,
    }}))
}

/// `POST /api/scores`: a score without a file, owned by the caller.
pub async fn create(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = user(&ctx).await?;
    let body: CreateScore = ctx.json().await?;
    let mut columns = body.columns()?;
    let id = new_score_id();
    let now = now_iso();
    columns.extend([
        ("id", text(&id)),
        (
            "slug",
            SqlValue::Text(slugify(&body.title, body.opus.as_deref())),
        ),
        (
            "normalized_id",
            SqlValue::Text(generate_score_id(&body.title, Some(&body.composer))),
        ),
        ("user_id", text(&caller)),
        ("processing_status", text("completed")),
        ("page_count", SqlValue::Integer(0)),
        ("created_at", text(&now)),
        ("updated_at", text(&now)),
    ]);
    let db = ctx.env.d1(DB)?;
    insert(&db, "scores", &columns).await?;
    let score = find_score(&db, &id)
        .await?
        .ok_or_else(|| ApiError::internal("inserted score not found"))?;
    json_with_status(
        &json!({ "success": true, "data": score.view(), "message": "Score created successfully" }),
        201,
    )
}

/// `PUT /api/scores/:id`: the owner changes known fields.
pub async fn update(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = user(&ctx).await?;
    let body: Value = ctx.json_value_with_limit(64 * 1024).await?;
    let id = ctx.param("id")?.to_string();
    let db = ctx.env.d1(DB)?;
    let score = owned_score(&db, &id, &caller).await?;
    let columns = update_columns(&body)?;
    let title = columns
        .iter()
        .find_map(|(name, value)| match (name, value) {
            (&"title", SqlValue::Text(title)) => Some(title.clone()),
            _ => None,
        })
        .unwrap_or(score.title.clone());
    let composer = columns
        .iter()
        .find_map(|(name, value)| match (name, value) {
            (&"composer", SqlValue::Text(composer)) => Some(composer.clone()),
            _ => None,
        })
        .unwrap_or(score.composer.clone());
    let mut assignments: Vec<String> = columns
        .iter()
        .map(|(name, _)| format!("{name} = ?"))
        .collect();
    let mut binds: Vec<SqlValue> = columns.into_iter().map(|(_, value)| value).collect();
    assignments.extend(["normalized_id = ?".into(), "updated_at = ?".into()]);
    binds.extend([
        SqlValue::Text(generate_score_id(&title, Some(&composer))),
        SqlValue::Text(now_iso()),
        text(&id),
    ]);
    run(
        &db,
        &format!("UPDATE scores SET {} WHERE id = ?", assignments.join(", ")),
        &binds,
    )
    .await?;
    let score = find_score(&db, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("Score not found"))?;
    json(&json!({ "success": true, "data": score.view(), "message": "Score updated successfully" }))
}

async fn delete_one(ctx: &RequestContext, score: &ScoreRow) -> Result<(), EdgeError> {
    delete_score_files(&ctx.env.bucket(BUCKET)?, score).await?;
    let db = ctx.env.d1(DB)?;
    // Members and favourites go with the score (ON DELETE CASCADE); D1 enforces foreign keys.
    run(&db, "DELETE FROM scores WHERE id = ?", &[text(&score.id)]).await
}

/// `DELETE /api/scores/:id`: the owner deletes the score and its files.
pub async fn remove(ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = user(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    let score = owned_score(&db, ctx.param("id")?, &caller).await?;
    delete_one(&ctx, &score).await?;
    json(&json!({ "success": true, "message": "Score deleted successfully" }))
}

/// `POST /api/scores/batch/delete`: `{scoreIds}`; all must be the caller's, or nothing is deleted.
pub async fn batch_delete(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = user(&ctx).await?;
    let body: ScoreIds = ctx.json().await?;
    let db = ctx.env.d1(DB)?;
    let mut scores = Vec::new();
    for id in &body.score_ids {
        scores.push(owned_score(&db, id, &caller).await?);
    }
    for score in &scores {
        delete_one(&ctx, score).await?;
    }
    json(&json!({ "success": true, "message": "Scores deleted", "deletedCount": scores.len() }))
}

/// `GET /api/scores/:id/pages/:n`: an uploaded page image.
pub async fn page_image(ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = viewer(&ctx).await?;
    let page: i64 = ctx
        .param("page")?
        .parse()
        .ok()
        .filter(|page| *page >= 1)
        .ok_or_else(|| ApiError::validation("The page number must be a positive integer"))?;
    let db = ctx.env.d1(DB)?;
    let score = visible_score(&db, ctx.param("id")?, caller.as_deref()).await?;
    let row: Option<KeyRow> = first(
        &db,
        "SELECT r2_key FROM score_pages WHERE score_id = ? AND page_number = ?",
        &[text(&score.id), SqlValue::Integer(page)],
    )
    .await?;
    let key = row
        .ok_or_else(|| ApiError::not_found("Page not found"))?
        .r2_key;
    let cache = file_cache_control(&score.visibility, ScoreFile::Image);
    crate::files::serve(&ctx, &key, cache).await
}

/// `GET /api/scores/:id/download/pdf`: the PDF, with `ETag`, 304 and `Range`.
pub async fn download_pdf(ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = viewer(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    let score = visible_score(&db, ctx.param("id")?, caller.as_deref()).await?;
    let key = match (&score.r2_key, score.source_type.as_str()) {
        (Some(key), "pdf") => key.clone(),
        _ => return Err(ApiError::not_found("This score has no PDF file").into()),
    };
    if ctx.header("Range").is_none() && ctx.header("If-None-Match").is_none() {
        run(
            &db,
            "UPDATE scores SET download_count = download_count + 1 WHERE id = ?",
            &[text(&score.id)],
        )
        .await?;
    }
    let cache = file_cache_control(&score.visibility, ScoreFile::Original);
    let mut response = crate::files::serve(&ctx, &key, cache).await?;
    let headers = response.headers_mut();
    headers.set("X-Frame-Options", "SAMEORIGIN")?;
    headers.set(
        "Content-Disposition",
        &content_disposition(Disposition::Inline, &score.title, "pdf"),
    )?;
    Ok(response)
}

/// `GET /files/*key`: a stored file by key, for the score it belongs to and only if the
/// caller may see that score (private files never leak by key).
pub async fn file(ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = viewer(&ctx).await?;
    let key = ctx.param("key")?.to_string();
    let db = ctx.env.d1(DB)?;
    #[derive(serde::Deserialize)]
    struct IdRow {
        id: String,
    }
    let owner: Option<IdRow> = first(
        &db,
        "SELECT id FROM scores WHERE r2_key = ?1 OR thumbnail_key = ?1 \
         UNION SELECT score_id AS id FROM score_pages WHERE r2_key = ?1 LIMIT 1",
        &[text(&key)],
    )
    .await?;
    let id = owner
        .ok_or_else(|| ApiError::not_found("File not found"))?
        .id;
    let score = visible_score(&db, &id, caller.as_deref())
        .await
        .map_err(|_| EdgeError::from(ApiError::not_found("File not found")))?;
    let file = if score.r2_key.as_deref() == Some(key.as_str()) {
        ScoreFile::Original
    } else {
        ScoreFile::Image
    };
    crate::files::serve(&ctx, &key, file_cache_control(&score.visibility, file)).await
}
