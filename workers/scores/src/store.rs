//! D1 and R2 access shared by the scores handlers.

use mirubato_core::ApiError;
use mirubato_core::config::Environment;
use mirubato_core::scores::imslp::ImslpSite;
use mirubato_core::scores::model::{SCORE_COLUMNS, ScoreRow, SqlValue};
use mirubato_edge::{EdgeError, RequestContext};
use serde::de::DeserializeOwned;
use worker::wasm_bindgen::JsValue;
use worker::{Bucket, D1Database, D1PreparedStatement, Env, HttpMetadata};

pub const DB: &str = "DB";
pub const CACHE: &str = "CACHE";
pub const BUCKET: &str = "SCORES_BUCKET";
pub const PDF_QUEUE: &str = "PDF_QUEUE";
/// Optional bindings, declared in deployed environments only.
pub const AI_BINDING: &str = "AI";
pub const BROWSER_BINDING: &str = "BROWSER";

/// Where IMSLP imports may come from: imslp.org, and in local development also the stand-in
/// named by the `IMSLP_DEV_ORIGIN` var (a loopback origin; ignored anywhere else).
pub fn imslp_site(env: &Env) -> ImslpSite {
    let var = |name: &str| env.var(name).ok().map(|value| value.to_string());
    let local = var("ENVIRONMENT")
        .and_then(|value| value.parse::<Environment>().ok())
        .is_some_and(Environment::is_local);
    var("IMSLP_DEV_ORIGIN")
        .filter(|origin| local && !origin.trim().is_empty())
        .and_then(|origin| ImslpSite::with_dev_origin(&origin))
        .unwrap_or_default()
}

/// Files that never change once written (thumbnails, page previews).
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn js(value: &SqlValue) -> JsValue {
    match value {
        SqlValue::Text(text) => JsValue::from_str(text),
        // D1 rejects BigInt; every integer here is far inside f64's exact range.
        SqlValue::Integer(number) => JsValue::from_f64(*number as f64),
        SqlValue::Null => JsValue::NULL,
    }
}

/// A statement with positional binds.
pub fn statement(
    db: &D1Database,
    sql: &str,
    binds: &[SqlValue],
) -> Result<D1PreparedStatement, EdgeError> {
    let values: Vec<JsValue> = binds.iter().map(js).collect();
    Ok(db.prepare(sql).bind(&values)?)
}

pub async fn all<T: DeserializeOwned>(
    db: &D1Database,
    sql: &str,
    binds: &[SqlValue],
) -> Result<Vec<T>, EdgeError> {
    Ok(statement(db, sql, binds)?.all().await?.results::<T>()?)
}

pub async fn first<T: DeserializeOwned>(
    db: &D1Database,
    sql: &str,
    binds: &[SqlValue],
) -> Result<Option<T>, EdgeError> {
    Ok(statement(db, sql, binds)?.first::<T>(None).await?)
}

pub async fn run(db: &D1Database, sql: &str, binds: &[SqlValue]) -> Result<(), EdgeError> {
    statement(db, sql, binds)?.run().await?;
    Ok(())
}

#[derive(serde::Deserialize)]
pub struct Count {
    pub total: i64,
}

pub fn text(value: &str) -> SqlValue {
    SqlValue::from(value)
}

/// A score by id, whoever owns it.
pub async fn find_score(db: &D1Database, id: &str) -> Result<Option<ScoreRow>, EdgeError> {
    first(
        db,
        &format!("SELECT {SCORE_COLUMNS} FROM scores WHERE id = ?"),
        &[text(id)],
    )
    .await
}

/// A score `viewer` may see: 404 when missing or private to someone else (a private score's
/// existence is not disclosed).
pub async fn visible_score(
    db: &D1Database,
    id: &str,
    viewer: Option<&str>,
) -> Result<ScoreRow, EdgeError> {
    match find_score(db, id).await? {
        Some(score) if score.visible_to(viewer) => Ok(score),
        _ => Err(ApiError::not_found("Score not found").into()),
    }
}

/// A score the caller owns: 404 when missing or invisible, 403 when visible but not theirs.
pub async fn owned_score(db: &D1Database, id: &str, user: &str) -> Result<ScoreRow, EdgeError> {
    let score = visible_score(db, id, Some(user)).await?;
    if !score.owned_by(Some(user)) {
        return Err(ApiError::Forbidden("Only the owner can change this score".into()).into());
    }
    Ok(score)
}

/// Inserts a row from column/value pairs (column names come from code, never from input).
pub async fn insert(
    db: &D1Database,
    table: &str,
    columns: &[(&str, SqlValue)],
) -> Result<(), EdgeError> {
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let marks = vec!["?"; columns.len()].join(", ");
    let values: Vec<SqlValue> = columns.iter().map(|(_, value)| value.clone()).collect();
    run(
        db,
        &format!(
            "INSERT INTO {table} ({}) VALUES ({marks})",
            names.join(", ")
        ),
        &values,
    )
    .await
}

pub async fn put_object(
    bucket: &Bucket,
    key: &str,
    bytes: Vec<u8>,
    content_type: &str,
    cache_control: Option<&str>,
) -> Result<(), EdgeError> {
    bucket
        .put(key, bytes)
        .http_metadata(HttpMetadata {
            content_type: Some(content_type.to_string()),
            cache_control: cache_control.map(str::to_string),
            ..HttpMetadata::default()
        })
        .execute()
        .await?;
    Ok(())
}

/// Deletes every R2 object under the score's prefixes (its file, pages, previews, thumbnail).
pub async fn delete_score_files(bucket: &Bucket, score: &ScoreRow) -> Result<(), EdgeError> {
    let mut keys: Vec<String> = score.r2_key.iter().cloned().collect();
    let mut prefixes = vec![
        format!("rendered/{}/", score.id),
        format!("thumbnails/{}/", score.id),
    ];
    if let Some(owner) = &score.user_id {
        prefixes.push(format!("user-uploads/{owner}/{}/", score.id));
    }
    for prefix in prefixes {
        let listed = bucket.list().prefix(prefix).execute().await?;
        keys.extend(listed.objects().iter().map(|object| object.key()));
    }
    if !keys.is_empty() {
        bucket
            .delete_multiple(keys.iter().map(String::as_str).collect())
            .await?;
    }
    Ok(())
}

/// The caller if signed in (a presented but invalid token is a 401, never anonymous).
pub async fn viewer(ctx: &RequestContext) -> Result<Option<String>, EdgeError> {
    Ok(mirubato_edge::auth::authenticate_optional(ctx)
        .await?
        .map(|claims| claims.sub))
}

pub async fn user(ctx: &RequestContext) -> Result<String, EdgeError> {
    Ok(mirubato_edge::auth::authenticate(ctx).await?.sub)
}

pub fn now_iso() -> String {
    mirubato_core::practice::iso(mirubato_edge::now())
}
