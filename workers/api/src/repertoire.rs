//! `/api/repertoire*`: repertoire items as synced documents (`repertoire_item`, id = the
//! normalised score id), with practice figures from the user's live logbook entries. Also the
//! small D1 helpers the other practice endpoints share.

use chrono::{DateTime, Utc};
use mirubato_core::ApiError;
use mirubato_core::practice::repertoire::{
    AddRepertoireRequest, RECENT_SESSIONS, UpdateRepertoireRequest, apply_update, dissociate,
    item_id, item_view, new_item, practice_stats, stats_view,
};
use mirubato_core::practice::{is_live, percent_decode, prepare_write, tombstone};
use mirubato_core::sync::EntityType;
use mirubato_core::sync::merge::IncomingWrite;
use mirubato_edge::{EdgeError, RequestContext, json, json_with_status, now};
use serde::Deserialize;
use serde_json::{Value, json};
use worker::{D1Database, D1PreparedStatement, Response, query};

use crate::DB;
use crate::documents::{stored_documents, write_and_notify_with};
use crate::session::authenticate;

/// The instant of a request: the clock of the documents it writes, and the receive time of
/// their writes.
pub(crate) fn clock() -> DateTime<Utc> {
    now()
}

#[derive(Deserialize)]
struct DataRow {
    data: String,
}

fn parse_rows(rows: Vec<DataRow>) -> Vec<Value> {
    rows.into_iter()
        .filter_map(|row| serde_json::from_str(&row.data).ok())
        .collect()
}

/// The stored document (tombstones included, so a new write can supersede one).
pub(crate) async fn stored(
    db: &D1Database,
    user_id: &str,
    entity: EntityType,
    id: &str,
) -> Result<Option<Value>, EdgeError> {
    let found = stored_documents(db, user_id, entity, &[id]).await?;
    Ok(found
        .get(id)
        .and_then(|text| serde_json::from_str::<Value>(text).ok()))
}

/// The live document, or 404.
pub(crate) async fn live(
    db: &D1Database,
    user_id: &str,
    entity: EntityType,
    id: &str,
    what: &str,
) -> Result<Value, EdgeError> {
    match stored(db, user_id, entity, id).await? {
        Some(doc) if is_live(&doc) => Ok(doc),
        _ => Err(ApiError::not_found(format!("{what} not found")).into()),
    }
}

/// Every live document of one type.
pub(crate) async fn live_documents(
    db: &D1Database,
    user_id: &str,
    entity: EntityType,
) -> Result<Vec<Value>, EdgeError> {
    let rows = query!(
        db,
        "SELECT data FROM sync_data WHERE user_id = ?1 AND entity_type = ?2 AND deleted_at IS NULL",
        user_id,
        entity.as_str()
    )?
    .all()
    .await?
    .results::<DataRow>()?;
    Ok(parse_rows(rows))
}

/// The live logbook entries about any of the scores (by `scoreId` or a piece id).
pub(crate) async fn entries_about(
    db: &D1Database,
    user_id: &str,
    score_ids: &[&str],
) -> Result<Vec<Value>, EdgeError> {
    if score_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = query!(
        db,
        "SELECT data FROM sync_data WHERE user_id = ?1 AND entity_type = 'logbook_entry' AND deleted_at IS NULL \
         AND (json_extract(data, '$.scoreId') IN (SELECT value FROM json_each(?2)) \
              OR EXISTS (SELECT 1 FROM json_each(data, '$.pieces') AS piece \
                         WHERE json_extract(piece.value, '$.id') IN (SELECT value FROM json_each(?2))))",
        user_id,
        json!(score_ids).to_string()
    )?
    .all()
    .await?
    .results::<DataRow>()?;
    Ok(parse_rows(rows))
}

/// The live logbook entries that name a goal (any goal when `goal_id` is `None`).
pub(crate) async fn entries_with_goals(
    db: &D1Database,
    user_id: &str,
    goal_id: Option<&str>,
) -> Result<Vec<Value>, EdgeError> {
    let rows = query!(
        db,
        "SELECT data FROM sync_data WHERE user_id = ?1 AND entity_type = 'logbook_entry' AND deleted_at IS NULL \
         AND EXISTS (SELECT 1 FROM json_each(data, '$.goalIds') AS goal WHERE ?2 IS NULL OR goal.value = ?2)",
        user_id,
        goal_id
    )?
    .all()
    .await?
    .results::<DataRow>()?;
    Ok(parse_rows(rows))
}

/// Stores server-built documents in one atomic batch. A write that lost to a concurrent one
/// is a 409 (the client retries against the new state).
pub(crate) async fn store(
    ctx: &RequestContext,
    db: &D1Database,
    user_id: &str,
    writes: Vec<IncomingWrite>,
    at: DateTime<Utc>,
) -> Result<i64, EdgeError> {
    store_with(ctx, db, user_id, writes, at, Vec::new()).await
}

/// [`store`] with extra statements in the same transaction.
pub(crate) async fn store_with(
    ctx: &RequestContext,
    db: &D1Database,
    user_id: &str,
    writes: Vec<IncomingWrite>,
    at: DateTime<Utc>,
    extra: Vec<D1PreparedStatement>,
) -> Result<i64, EdgeError> {
    let outcome = write_and_notify_with(ctx, db, user_id, writes, at, extra).await?;
    if !outcome.stale.is_empty() {
        return Err(ApiError::Conflict(
            "The data changed concurrently; reload and try again".into(),
        )
        .into());
    }
    Ok(outcome.last_seq)
}

/// The `{scoreId}` path parameter, decoded and normalised.
fn path_score_id(ctx: &RequestContext) -> Result<String, ApiError> {
    let raw = ctx.param("scoreId")?;
    let decoded = percent_decode(raw)
        .ok_or_else(|| ApiError::validation("scoreId is not a valid URL-encoded string"))?;
    let id = item_id(&decoded);
    if id.is_empty() {
        return Err(ApiError::validation("scoreId must not be blank"));
    }
    Ok(id)
}

const NOT_FOUND: &str = "Repertoire item";

#[utoipa::path(get, path = "/api/repertoire", security(("bearer" = [])),
    responses((status = 200, description = "{items:[{id, scoreId, status, difficultyRating, personalNotes, referenceLinks, statusHistory, practiceCount, totalPracticeTime (minutes), lastPracticed, createdAt, updatedAt}]} — times in unix seconds"), (status = 401)))]
pub async fn list(ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    let items = live_documents(&db, &claims.sub, EntityType::RepertoireItem).await?;
    let ids: Vec<&str> = items
        .iter()
        .filter_map(|item| item.get("scoreId").and_then(Value::as_str))
        .collect();
    let entries = entries_about(&db, &claims.sub, &ids).await?;
    let mut views: Vec<Value> = items
        .iter()
        .map(|item| {
            let score_id = item
                .get("scoreId")
                .and_then(Value::as_str)
                .unwrap_or_default();
            item_view(item, &practice_stats(&entries, score_id, 0))
        })
        .collect();
    views.sort_by_key(|view| std::cmp::Reverse(view["updatedAt"].as_i64()));
    json(&json!({ "items": views }))
}

#[utoipa::path(get, path = "/api/repertoire/{scoreId}/stats", security(("bearer" = [])),
    params(("scoreId" = String, Path, description = "URL-encoded score id")),
    responses((status = 200, description = "{repertoire, stats:{practiceCount, totalPracticeTime, avgSessionDuration, lastPracticed, firstPracticed, recentSessions}}"), (status = 404)))]
pub async fn stats(ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let id = path_score_id(&ctx)?;
    let db = ctx.env.d1(DB)?;
    let item = live(&db, &claims.sub, EntityType::RepertoireItem, &id, NOT_FOUND).await?;
    let entries = entries_about(&db, &claims.sub, &[id.as_str()]).await?;
    json(&stats_view(
        &item,
        &practice_stats(&entries, &id, RECENT_SESSIONS),
    ))
}

#[utoipa::path(post, path = "/api/repertoire", security(("bearer" = [])), request_body = AddRepertoireRequest,
    responses((status = 201, description = "The new item"), (status = 400), (status = 409, description = "Already in the repertoire")))]
pub async fn add(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let request: AddRepertoireRequest = ctx.json().await?;
    let db = ctx.env.d1(DB)?;
    let at = clock();
    let id = item_id(&request.score_id);
    let previous = stored(&db, &claims.sub, EntityType::RepertoireItem, &id).await?;
    let doc = new_item(&request, previous.as_ref(), at)?;
    let write = prepare_write(EntityType::RepertoireItem, doc)?;
    let saved: Value = serde_json::from_str(&write.data).map_err(ApiError::internal)?;
    store(&ctx, &db, &claims.sub, vec![write], at).await?;
    json_with_status(&item_view(&saved, &Default::default()), 201)
}

#[utoipa::path(put, path = "/api/repertoire/{scoreId}", security(("bearer" = [])), request_body = UpdateRepertoireRequest,
    params(("scoreId" = String, Path, description = "URL-encoded score id")),
    responses((status = 200, description = "{message}"), (status = 400), (status = 404)))]
pub async fn update(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let id = path_score_id(&ctx)?;
    let request: UpdateRepertoireRequest = ctx.json().await?;
    let db = ctx.env.d1(DB)?;
    let item = live(&db, &claims.sub, EntityType::RepertoireItem, &id, NOT_FOUND).await?;
    if request.is_empty() {
        return json(&json!({ "message": "No fields to update" }));
    }
    let at = clock();
    let write = prepare_write(
        EntityType::RepertoireItem,
        apply_update(&item, &request, at),
    )?;
    store(&ctx, &db, &claims.sub, vec![write], at).await?;
    json(&json!({ "message": "Repertoire updated successfully" }))
}

#[utoipa::path(delete, path = "/api/repertoire/{scoreId}", security(("bearer" = [])),
    params(("scoreId" = String, Path, description = "URL-encoded score id")),
    responses((status = 200, description = "{message}"), (status = 404)))]
pub async fn remove(ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let id = path_score_id(&ctx)?;
    let db = ctx.env.d1(DB)?;
    let item = live(&db, &claims.sub, EntityType::RepertoireItem, &id, NOT_FOUND).await?;
    let at = clock();
    let write = prepare_write(EntityType::RepertoireItem, tombstone(&item, at))?;
    store(&ctx, &db, &claims.sub, vec![write], at).await?;
    json(&json!({ "message": "Removed from repertoire" }))
}

#[utoipa::path(delete, path = "/api/repertoire/{scoreId}/dissociate", security(("bearer" = [])),
    params(("scoreId" = String, Path, description = "URL-encoded score id")),
    responses((status = 200, description = "{message, preservedLogs, pieceTitle, pieceComposer}"), (status = 404)))]
pub async fn dissociate_item(ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let id = path_score_id(&ctx)?;
    let db = ctx.env.d1(DB)?;
    let item = live(&db, &claims.sub, EntityType::RepertoireItem, &id, NOT_FOUND).await?;
    let entries = entries_about(&db, &claims.sub, &[id.as_str()]).await?;
    let at = clock();
    let result = dissociate(&item, &entries, at);
    let mut writes = result
        .entries
        .into_iter()
        .map(|entry| prepare_write(EntityType::LogbookEntry, entry))
        .collect::<Result<Vec<_>, _>>()?;
    writes.push(prepare_write(
        EntityType::RepertoireItem,
        tombstone(&item, at),
    )?);
    // One batch: the logs are unlinked and the item removed together, or nothing changes.
    store(&ctx, &db, &claims.sub, writes, at).await?;
    json(&json!({
        "message": "Piece dissociated from repertoire",
        "preservedLogs": result.preserved_logs,
        "pieceTitle": result.title,
        "pieceComposer": result.composer,
    }))
}
