//! The scores worker's part of an account export (`GET /api/user/export` in the api), over
//! the api's `SCORES` binding (service binding only):
//!
//! - `POST /internal/users/export {userId}`: the user's library — their scores (any
//!   visibility) with the files each has, their collections and favourites;
//! - `POST /internal/users/file {userId, key}`: one of those files, streamed from R2.

use mirubato_core::ApiError;
use mirubato_core::account_data::score_file_path;
use mirubato_core::scores::model::{SCORE_COLUMNS, ScoreRow};
use mirubato_edge::{EdgeError, RequestContext, json};
use serde::Deserialize;
use serde_json::{Value, json};
use worker::{Headers, Response};

use crate::collections::{COLLECTION_SELECT, CollectionRow};
use crate::store::{BUCKET, DB, all, first, text};

#[derive(Deserialize)]
struct PageRow {
    page_number: i64,
    r2_key: String,
    mime_type: String,
}

#[derive(Deserialize)]
struct FavoriteRow {
    score_id: String,
    created_at: String,
}

/// The internal request's user (the same body as an erasure's).
async fn user_of(ctx: &mut RequestContext) -> Result<String, EdgeError> {
    Ok(mirubato_edge::erasure::read_request(ctx).await?.user_id)
}

pub async fn library(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let user = user_of(&mut ctx).await?;
    let db = ctx.env.d1(DB)?;
    let scores: Vec<ScoreRow> = all(
        &db,
        &format!("SELECT {SCORE_COLUMNS} FROM scores WHERE user_id = ? ORDER BY created_at"),
        &[text(&user)],
    )
    .await?;
    let mut views = Vec::with_capacity(scores.len());
    for score in &scores {
        let mut files = Vec::new();
        if let Some(key) = &score.r2_key {
            files.push(json!({
                "key": key,
                "path": score_file_path(&score.id, None, "application/pdf"),
            }));
        }
        if score.source_type != "pdf" {
            let pages: Vec<PageRow> = all(
                &db,
                "SELECT page_number, r2_key, mime_type FROM score_pages \
                 WHERE score_id = ? ORDER BY page_number",
                &[text(&score.id)],
            )
            .await?;
            files.extend(pages.iter().map(|page| {
                json!({
                    "key": page.r2_key,
                    "path": score_file_path(&score.id, Some(page.page_number), &page.mime_type),
                })
            }));
        }
        let mut view = score.view();
        view["files"] = Value::from(files);
        views.push(view);
    }
    let collections: Vec<CollectionRow> = all(
        &db,
        &format!("{COLLECTION_SELECT} WHERE c.user_id = ? ORDER BY c.created_at"),
        &[text(&user)],
    )
    .await?;
    let favorites: Vec<FavoriteRow> = all(
        &db,
        "SELECT score_id, created_at FROM user_score_favorites WHERE user_id = ? ORDER BY created_at",
        &[text(&user)],
    )
    .await?;
    json(&json!({
        "scores": views,
        "collections": collections.iter().map(CollectionRow::view).collect::<Vec<_>>(),
        "favorites": favorites
            .iter()
            .map(|favorite| json!({ "scoreId": favorite.score_id, "favoritedAt": favorite.created_at }))
            .collect::<Vec<_>>(),
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileRequest {
    user_id: String,
    key: String,
}

pub async fn file(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    ctx.require_internal()?;
    let request: FileRequest = ctx.json_value_with_limit(4096).await?;
    // Only a file of one of the user's own scores.
    let owned: Option<Value> = first(
        &ctx.env.d1(DB)?,
        "SELECT id FROM scores WHERE user_id = ?1 AND r2_key = ?2 \
         UNION SELECT s.id FROM score_pages p JOIN scores s ON s.id = p.score_id \
         WHERE s.user_id = ?1 AND p.r2_key = ?2 LIMIT 1",
        &[text(&request.user_id), text(&request.key)],
    )
    .await?;
    let not_found = || ApiError::not_found("File not found");
    if owned.is_none() {
        return Err(not_found().into());
    }
    let object = ctx
        .env
        .bucket(BUCKET)?
        .get(&request.key)
        .execute()
        .await?
        .ok_or_else(not_found)?;
    let size = object.size();
    let stream = object.body().ok_or_else(not_found)?.stream()?;
    let headers = Headers::new();
    headers.set("Content-Length", &size.to_string())?;
    Ok(Response::from_stream(stream)?.with_headers(headers))
}
