//! `/api/sync/*`: pull (full or delta, paged), push (atomic, idempotent), status.

use std::collections::BTreeMap;

use mirubato_core::ApiError;
use mirubato_core::sync::EntityType;
use mirubato_core::sync::rest::{
    BatchRequest, IDEMPOTENCY_HOURS, MAX_PUSH_BYTES, PULL_PAGE, PullRequest, PushRequest,
    parse_cursor, parse_limit, request_hash, sync_token, valid_client_token, validate_batch,
    validate_push,
};
use mirubato_edge::{EdgeError, RequestContext, json, json_with_status, now};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use worker::{D1Database, Response, query};

use crate::DB;
use crate::documents::{
    WriteOutcome, apply_writes, count_clock_adjusted, receive_clock, write_and_notify,
};
use crate::session::authenticate;

fn timestamp() -> String {
    now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The device a write comes from (`X-Device-ID`), checked.
fn device_id(ctx: &RequestContext) -> Result<String, ApiError> {
    match ctx.header("X-Device-ID") {
        None => Ok("unknown".into()),
        Some(id) if valid_client_token(&id) => Ok(id),
        Some(_) => Err(ApiError::validation(
            "X-Device-ID must be 1 to 128 letters, digits or -_.:",
        )),
    }
}

#[derive(Deserialize)]
struct ChangeRow {
    entity_type: String,
    data: String,
    seq: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PullResponse {
    #[serde(flatten)]
    lists: BTreeMap<&'static str, Vec<Box<RawValue>>>,
    sync_token: String,
    last_seq: i64,
    has_more: bool,
    timestamp: String,
}

/// `POST /api/sync/pull {since?, limit?}`: changes after the cursor in seq order (tombstones
/// included), each document exactly as stored, bucketed by type.
pub async fn pull(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let has_body = ctx
        .header("Content-Length")
        .is_some_and(|len| len.trim() != "0");
    let request: PullRequest = if has_body {
        ctx.json_value_with_limit(mirubato_core::input::MAX_JSON_BODY)
            .await?
    } else {
        PullRequest::default()
    };
    let since = parse_cursor(request.since.as_ref())?;
    let limit = parse_limit(request.limit)?;
    let db = ctx.env.d1(DB)?;
    let mut rows = query!(
        &db,
        "SELECT entity_type, data, seq FROM sync_data WHERE user_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        &claims.sub,
        since,
        limit + 1
    )?
    .all()
    .await?
    .results::<ChangeRow>()?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let last_seq = rows.last().map_or(since, |row| row.seq);

    let mut lists: BTreeMap<&'static str, Vec<Box<RawValue>>> = EntityType::ALL
        .iter()
        .map(|kind| (kind.bucket(), Vec::new()))
        .collect();
    for row in rows {
        let Some(kind) = EntityType::parse(&row.entity_type) else {
            continue;
        };
        let document = RawValue::from_string(row.data).map_err(ApiError::internal)?;
        lists.entry(kind.bucket()).or_default().push(document);
    }
    json(&PullResponse {
        lists,
        sync_token: sync_token(last_seq),
        last_seq,
        has_more,
        timestamp: timestamp(),
    })
}

#[derive(Deserialize)]
struct IdempotentRow {
    request_hash: String,
    response: String,
}

async fn find_replay(
    db: &D1Database,
    user_id: &str,
    key: &str,
) -> Result<Option<IdempotentRow>, EdgeError> {
    Ok(query!(
        db,
        "SELECT request_hash, response FROM idempotency_keys WHERE user_id = ?1 AND key = ?2 AND expires_at > ?3",
        user_id,
        key,
        timestamp()
    )?
    .first::<IdempotentRow>(None)
    .await?)
}

/// How long an answer is replayed: `IDEMPOTENCY_TTL_SECS` when configured, else a day.
fn idempotency_ttl(ctx: &RequestContext) -> chrono::Duration {
    ctx.env
        .var("IDEMPOTENCY_TTL_SECS")
        .ok()
        .and_then(|secs| secs.to_string().trim().parse().ok())
        .map_or_else(
            || chrono::Duration::hours(IDEMPOTENCY_HOURS),
            chrono::Duration::seconds,
        )
}

async fn remember(
    db: &D1Database,
    user_id: &str,
    key: &str,
    hash: &str,
    response: &str,
    ttl: chrono::Duration,
) -> Result<(), EdgeError> {
    let expires = (now() + ttl).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    query!(
        db,
        "INSERT INTO idempotency_keys (user_id, key, request_hash, response, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         ON CONFLICT (user_id, key) DO UPDATE SET request_hash = excluded.request_hash, \
           response = excluded.response, created_at = excluded.created_at, expires_at = excluded.expires_at",
        user_id,
        key,
        hash,
        response,
        timestamp(),
        expires
    )?
    .run()
    .await?;
    Ok(())
}

/// The writes whose clock the server bounded: `{entityId, entityType, clockAdjusted: true,
/// clientClock, clock}` (`clock` is the document clock the write was merged and stored with).
fn adjusted_items(outcome: &WriteOutcome) -> Vec<Value> {
    outcome
        .clock_adjusted()
        .map(|write| {
            json!({
                "entityId": write.entity_id,
                "entityType": write.entity_type.as_str(),
                "clockAdjusted": true,
                "clientClock": write.client_clock,
                "clock": chrono::DateTime::from_timestamp_millis(write.stamp.clock_ms)
                    .map(mirubato_core::practice::iso),
            })
        })
        .collect()
}

/// A conflict item's `clockAdjusted` flag: present (true) when the server bounded the
/// losing write's clock.
fn mark_adjusted(item: &mut Value, write: &mirubato_core::sync::merge::IncomingWrite) {
    if write.client_clock.is_some() {
        item["clockAdjusted"] = Value::Bool(true);
        item["clientClock"] = json!(write.client_clock);
    }
}

/// The push answer: `conflicts` names every write not applied because something newer is
/// stored (with that document as `current`), `adjusted` every write whose clock the server
/// bounded, `stats` counts per list.
fn push_response(outcome: &WriteOutcome) -> Value {
    let conflicts: Vec<Value> = outcome
        .stale
        .iter()
        .map(|(write, current)| {
            let mut item = json!({
                "entityId": write.entity_id,
                "entityType": write.entity_type.as_str(),
                "reason": "stale",
                "current": current.as_deref().and_then(|text| serde_json::from_str::<Value>(text).ok()),
            });
            mark_adjusted(&mut item, write);
            item
        })
        .collect();
    let adjusted = adjusted_items(outcome);
    let processed = |kind: EntityType| {
        outcome
            .applied
            .iter()
            .chain(outcome.duplicates.iter())
            .filter(|w| w.entity_type == kind)
            .count()
            + outcome
                .stale
                .iter()
                .filter(|(w, _)| w.entity_type == kind)
                .count()
    };
    json!({
        "success": true,
        "syncToken": sync_token(outcome.last_seq),
        "lastSeq": outcome.last_seq,
        "conflicts": conflicts,
        "adjusted": adjusted,
        "stats": {
            "applied": outcome.applied.len(),
            "clockAdjusted": adjusted.len(),
            "duplicatesPrevented": outcome.duplicates.len(),
            "entriesProcessed": processed(EntityType::LogbookEntry),
            "goalsProcessed": processed(EntityType::Goal),
            "practicePlansProcessed": processed(EntityType::PracticePlan),
            "planOccurrencesProcessed": processed(EntityType::PlanOccurrence),
            "planTemplatesProcessed": processed(EntityType::PlanTemplate),
            "repertoireItemsProcessed": processed(EntityType::RepertoireItem),
        },
    })
}

/// `POST /api/sync/push {changes:{entries?, goals?, …}}`: validated all-or-nothing, merged,
/// written in one D1 batch. Replays under `X-Idempotency-Key` for 24 h.
pub async fn push(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let device = device_id(&ctx)?;
    let key = match ctx.header("X-Idempotency-Key") {
        None => None,
        Some(key) if valid_client_token(&key) => Some(key),
        Some(_) => {
            return Err(ApiError::validation(
                "X-Idempotency-Key must be 1 to 128 letters, digits or -_.:",
            )
            .into());
        }
    };
    let body: Value = ctx.json_value_with_limit(MAX_PUSH_BYTES).await?;
    let hash = request_hash(&body);
    let db = ctx.env.d1(DB)?;
    if let Some(key) = &key
        && let Some(previous) = find_replay(&db, &claims.sub, key).await?
    {
        if previous.request_hash != hash {
            return Err(ApiError::Conflict(
                "X-Idempotency-Key was already used with a different request body".into(),
            )
            .into());
        }
        let mut response = Response::ok(previous.response)?;
        response
            .headers_mut()
            .set("Content-Type", "application/json")?;
        response.headers_mut().set("X-Idempotent-Replay", "true")?;
        return Ok(response);
    }
    let request: PushRequest =
        serde_json::from_value(body).map_err(|err| ApiError::Validation {
            message: format!("Invalid request body: {err}"),
            details: None,
        })?;
    let writes = validate_push(request, &device)?;
    let outcome = write_and_notify(&ctx, &db, &claims.sub, writes, now()).await?;
    record_entries_logged(&ctx, &outcome);
    let answer = push_response(&outcome);
    if let Some(key) = &key {
        remember(
            &db,
            &claims.sub,
            key,
            &hash,
            &answer.to_string(),
            idempotency_ttl(&ctx),
        )
        .await?;
    }
    json_with_status(&answer, 200)
}

/// The `entry_logged` analytics event for new logbook entries among applied writes.
fn record_entries_logged(ctx: &RequestContext, outcome: &WriteOutcome) {
    let logged = outcome
        .applied
        .iter()
        .filter(|write| write.entity_type == EntityType::LogbookEntry && !write.deleted)
        .count();
    if logged > 0 {
        mirubato_edge::event(ctx, "entry_logged", &[], &[logged as f64]);
    }
}

#[derive(Deserialize)]
struct BatchRow {
    entity_type: String,
    entity_id: String,
    data: String,
    checksum: String,
    version: i64,
    seq: i64,
    deleted_at: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BatchEntityOut {
    id: String,
    #[serde(rename = "type")]
    entity_type: String,
    data: Box<RawValue>,
    checksum: String,
    version: i64,
    seq: i64,
    deleted: bool,
}

/// `POST /api/sync/batch {entities:[{id, type, data, version}], syncToken?}`: uploads the
/// client's documents under the merge rule, and returns the stored documents the client
/// lacks — changed since `syncToken`, other than the ones it just uploaded — paged like a pull.
pub async fn batch(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let device = device_id(&ctx)?;
    let request: BatchRequest = ctx.json_value_with_limit(MAX_PUSH_BYTES).await?;
    let since = parse_cursor(request.sync_token.as_ref())?;
    let writes = validate_batch(request.entities, &device)?;
    let db = ctx.env.d1(DB)?;
    let outcome = write_and_notify(&ctx, &db, &claims.sub, writes, now()).await?;

    let sent: std::collections::HashSet<(String, String)> = outcome
        .applied
        .iter()
        .chain(outcome.duplicates.iter())
        .map(|write| {
            (
                write.entity_type.as_str().to_string(),
                write.entity_id.clone(),
            )
        })
        .collect();
    let mut rows = query!(
        &db,
        "SELECT entity_type, entity_id, data, checksum, version, seq, deleted_at FROM sync_data \
         WHERE user_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        &claims.sub,
        since,
        PULL_PAGE + 1
    )?
    .all()
    .await?
    .results::<BatchRow>()?;
    let has_more = rows.len() as i64 > PULL_PAGE;
    rows.truncate(PULL_PAGE as usize);
    let cursor = if has_more {
        rows.last().map_or(since, |row| row.seq)
    } else {
        outcome.last_seq
    };
    let entities = rows
        .into_iter()
        .filter(|row| !sent.contains(&(row.entity_type.clone(), row.entity_id.clone())))
        .map(|row| {
            Ok(BatchEntityOut {
                id: row.entity_id,
                entity_type: row.entity_type,
                data: RawValue::from_string(row.data).map_err(ApiError::internal)?,
                checksum: row.checksum,
                version: row.version,
                seq: row.seq,
                deleted: row.deleted_at.is_some(),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let conflicts: Vec<Value> = outcome
        .stale
        .iter()
        .map(|(write, current)| {
            let current: Option<Value> = current.as_deref().and_then(|text| serde_json::from_str(text).ok());
            let mut item = json!({
                "entityId": write.entity_id,
                "entityType": write.entity_type.as_str(),
                "localVersion": write.stamp.version,
                "remoteVersion": current.as_ref().and_then(|doc| doc.get("version")).and_then(Value::as_i64).unwrap_or(1),
                "current": current,
            });
            mark_adjusted(&mut item, write);
            item
        })
        .collect();
    json(&json!({
        "uploaded": outcome.applied.len(),
        "downloaded": entities.len(),
        "conflicts": conflicts,
        "adjusted": adjusted_items(&outcome),
        "entities": entities,
        "hasMore": has_more,
        "newSyncToken": sync_token(cursor),
        "lastSeq": outcome.last_seq,
    }))
}

#[derive(Deserialize)]
struct StatusRow {
    last_sync_time: Option<String>,
    device_count: i64,
    entity_count: Option<i64>,
}

/// `GET /api/sync/status`.
pub async fn status(ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    let row = query!(
        &db,
        "SELECT MAX(updated_at) AS last_sync_time, COUNT(DISTINCT device_id) AS device_count, \
                SUM(CASE WHEN deleted_at IS NULL THEN 1 ELSE 0 END) AS entity_count \
         FROM sync_data WHERE user_id = ?1",
        &claims.sub
    )?
    .first::<StatusRow>(None)
    .await?;
    #[derive(Deserialize)]
    struct Seq {
        last_seq: i64,
    }
    let last_seq = query!(
        &db,
        "SELECT last_seq FROM sync_state WHERE user_id = ?1",
        &claims.sub
    )?
    .first::<Seq>(None)
    .await?
    .map_or(0, |row| row.last_seq);
    json(&json!({
        "lastSyncTime": row.as_ref().and_then(|row| row.last_sync_time.clone()),
        "syncToken": sync_token(last_seq),
        "lastSeq": last_seq,
        "pendingChanges": 0,
        "deviceCount": row.as_ref().map_or(0, |row| row.device_count),
        "entityCount": row.as_ref().and_then(|row| row.entity_count).unwrap_or(0),
    }))
}

/// One document written over the sync socket, as the sync worker forwards it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InternalDocument {
    entity_type: String,
    document: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InternalApply {
    user_id: String,
    device_id: String,
    documents: Vec<InternalDocument>,
}

/// `POST /internal/sync/apply` (service binding only): the sync worker's writes, through the
/// same validation and merge as a push. Answers `{changes, stale:[{entityType, entityId,
/// current, clockAdjusted?}], duplicates, adjusted:[…], clockAdjusted, lastSeq}`
/// (`clockAdjusted`: the server bounded the clock of a document of the frame); 400 names the
/// invalid document.
pub async fn internal_apply(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    ctx.require_internal()?;
    let request: InternalApply = ctx.json_value_with_limit(MAX_PUSH_BYTES).await?;
    if !valid_client_token(&request.device_id) {
        return Err(
            ApiError::validation("deviceId must be 1 to 128 letters, digits or -_.:").into(),
        );
    }
    let mut writes = Vec::with_capacity(request.documents.len());
    for (index, item) in request.documents.into_iter().enumerate() {
        let invalid = |message: String| ApiError::Validation {
            message,
            details: Some(json!({ "index": index })),
        };
        let kind = EntityType::parse_client_write(&item.entity_type).map_err(invalid)?;
        let document = mirubato_core::sync::entities::normalize_document(kind, item.document)
            .map_err(|err| invalid(format!("Invalid {}: {err}", kind.as_str())))?;
        let write =
            mirubato_core::sync::merge::IncomingWrite::new(kind, &document, &request.device_id)
                .ok_or_else(|| {
                    invalid(format!(
                        "Invalid {}: needs an id and updatedAt or deletedAt",
                        kind.as_str()
                    ))
                })?;
        writes.push(write);
    }
    let db = ctx.env.d1(DB)?;
    ctx.identify(&request.user_id);
    let outcome = apply_writes(
        &db,
        &request.user_id,
        writes,
        &receive_clock(&ctx.env, now()),
    )
    .await?;
    count_clock_adjusted(&ctx, &outcome);
    mirubato_edge::event(
        &ctx,
        "sync_frame_applied",
        &[],
        &[outcome.applied.len() as f64],
    );
    record_entries_logged(&ctx, &outcome);
    let stale: Vec<Value> = outcome
        .stale
        .iter()
        .map(|(write, current)| {
            let mut item = json!({
                "entityType": write.entity_type.as_str(),
                "entityId": write.entity_id,
                "current": current.as_deref().and_then(|text| serde_json::from_str::<Value>(text).ok()),
            });
            mark_adjusted(&mut item, write);
            item
        })
        .collect();
    let adjusted = adjusted_items(&outcome);
    json(&json!({
        "changes": outcome.changes(),
        "stale": stale,
        "duplicates": outcome.duplicates.len(),
        "clockAdjusted": !adjusted.is_empty(),
        "adjusted": adjusted,
        "lastSeq": outcome.last_seq,
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InternalChanges {
    user_id: String,
    since: i64,
    #[serde(default)]
    limit: Option<i64>,
}

#[derive(Deserialize)]
struct ChangeFullRow {
    entity_type: String,
    entity_id: String,
    data: String,
    seq: i64,
    deleted_at: Option<String>,
}

/// `POST /internal/sync/changes` (service binding only): a page of a user's changes after a
/// seq, every type, tombstones included — the sync socket's catch-up.
pub async fn internal_changes(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    ctx.require_internal()?;
    let request: InternalChanges = ctx
        .json_value_with_limit(mirubato_core::input::MAX_JSON_BODY)
        .await?;
    let limit = parse_limit(request.limit)?;
    let db = ctx.env.d1(DB)?;
    let mut rows = query!(
        &db,
        "SELECT entity_type, entity_id, data, seq, deleted_at FROM sync_data \
         WHERE user_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        &request.user_id,
        request.since.max(0),
        limit + 1
    )?
    .all()
    .await?
    .results::<ChangeFullRow>()?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let last_seq = rows.last().map_or(request.since, |row| row.seq);
    let changes = rows
        .into_iter()
        .map(|row| {
            Ok(mirubato_core::sync::protocol::Change {
                entity_type: row.entity_type,
                entity_id: row.entity_id,
                seq: row.seq,
                deleted: row.deleted_at.is_some(),
                document: serde_json::from_str(&row.data).map_err(ApiError::internal)?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    json(&json!({ "changes": changes, "lastSeq": last_seq, "hasMore": has_more }))
}
