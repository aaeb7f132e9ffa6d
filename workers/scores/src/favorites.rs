//! `/api/user/favorites*`: a user's favourite scores (only scores they may see).

use mirubato_core::scores::model::{SCORE_COLUMNS, ScoreIds, ScoreRow, SqlValue};
use mirubato_edge::{EdgeError, RequestContext, json, json_with_status};
use serde::Deserialize;
use serde_json::{Value, json};
use worker::{D1Database, Response};

use crate::store::{DB, all, first, now_iso, run, text, user, visible_score};

#[derive(Deserialize)]
struct FavoriteRow {
    id: String,
    score_id: String,
    created_at: String,
}

async fn is_favorite(db: &D1Database, user_id: &str, score_id: &str) -> Result<bool, EdgeError> {
    #[derive(Deserialize)]
    struct Found {
        found: i64,
    }
    Ok(first::<Found>(
        db,
        "SELECT 1 AS found FROM user_score_favorites WHERE user_id = ? AND score_id = ?",
        &[text(user_id), text(score_id)],
    )
    .await?
    .is_some_and(|row| row.found == 1))
}

pub async fn list(ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = user(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    let columns: String = SCORE_COLUMNS
        .split(',')
        .map(|c| format!("s.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let favorites: Vec<FavoriteRow> = all(
        &db,
        "SELECT id, score_id, created_at FROM user_score_favorites WHERE user_id = ? ORDER BY created_at DESC",
        &[text(&caller)],
    )
    .await?;
    let scores: Vec<ScoreRow> = all(
        &db,
        &format!(
            "SELECT {columns} FROM user_score_favorites f JOIN scores s ON s.id = f.score_id \
             WHERE f.user_id = ?1 AND (s.visibility != 'private' OR s.user_id = ?1)"
        ),
        &[text(&caller)],
    )
    .await?;
    let data: Vec<Value> = favorites
        .iter()
        .filter_map(|favorite| {
            let score = scores.iter().find(|score| score.id == favorite.score_id)?;
            Some(json!({ "favoriteId": favorite.id, "favoritedAt": favorite.created_at, "score": score.view() }))
        })
        .collect();
    json(&json!({ "success": true, "total": data.len(), "data": data }))
}

pub async fn ids(ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = user(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    #[derive(Deserialize)]
    struct Id {
        score_id: String,
    }
    let rows: Vec<Id> = all(
        &db,
        "SELECT score_id FROM user_score_favorites WHERE user_id = ? ORDER BY created_at DESC",
        &[text(&caller)],
    )
    .await?;
    let data: Vec<String> = rows.into_iter().map(|row| row.score_id).collect();
    json(&json!({ "success": true, "data": data }))
}

pub async fn check(ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = user(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    let favorited = is_favorite(&db, &caller, ctx.param("scoreId")?).await?;
    json(&json!({ "success": true, "data": { "isFavorited": favorited } }))
}

async fn set(
    db: &D1Database,
    user_id: &str,
    score_id: &str,
    favorite: bool,
) -> Result<(), EdgeError> {
    if favorite {
        run(
            db,
            "INSERT OR IGNORE INTO user_score_favorites (id, user_id, score_id, created_at) VALUES (?, ?, ?, ?)",
            &[SqlValue::Text(uuid::Uuid::new_v4().to_string()), text(user_id), text(score_id), SqlValue::Text(now_iso())],
        )
        .await
    } else {
        run(
            db,
            "DELETE FROM user_score_favorites WHERE user_id = ? AND score_id = ?",
            &[text(user_id), text(score_id)],
        )
        .await
    }
}

pub async fn add(ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = user(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    let score = visible_score(&db, ctx.param("scoreId")?, Some(&caller)).await?;
    if is_favorite(&db, &caller, &score.id).await? {
        return json(
            &json!({ "success": true, "message": "Score is already in favorites", "data": { "isFavorited": true } }),
        );
    }
    set(&db, &caller, &score.id, true).await?;
    json_with_status(
        &json!({ "success": true, "message": "Score added to favorites", "data": { "isFavorited": true } }),
        201,
    )
}

pub async fn remove(ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = user(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    set(&db, &caller, ctx.param("scoreId")?, false).await?;
    json(
        &json!({ "success": true, "message": "Score removed from favorites", "data": { "isFavorited": false } }),
    )
}

pub async fn toggle(ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = user(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    let score = visible_score(&db, ctx.param("scoreId")?, Some(&caller)).await?;
    let now_favorite = !is_favorite(&db, &caller, &score.id).await?;
    set(&db, &caller, &score.id, now_favorite).await?;
    json(&json!({ "success": true, "data": { "isFavorited": now_favorite } }))
}

pub async fn batch_check(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = user(&ctx).await?;
    let body: ScoreIds = ctx.json().await?;
    let db = ctx.env.d1(DB)?;
    #[derive(Deserialize)]
    struct Id {
        score_id: String,
    }
    let found: Vec<Id> = all(
        &db,
        "SELECT score_id FROM user_score_favorites WHERE user_id = ? AND score_id IN (SELECT value FROM json_each(?))",
        &[text(&caller), SqlValue::Text(json!(body.score_ids).to_string())],
    )
    .await?;
    let data: serde_json::Map<String, Value> = body
        .score_ids
        .iter()
        .map(|id| {
            (
                id.clone(),
                Value::Bool(found.iter().any(|row| &row.score_id == id)),
            )
        })
        .collect();
    json(&json!({ "success": true, "data": data }))
}
