//! Storing synced documents: the merge rule of `mirubato_core::sync::merge` applied to D1.
//!
//! Every write path (push, preferences, domain endpoints, the sync worker) goes through
//! [`apply_writes`], which first bounds each write's clock by the server's receive time
//! (`mirubato_core::sync::clock`, `MAX_CLOCK_SKEW`). One push is one D1 batch (one
//! transaction): the user's seq is bumped by the number of documents applied, then the
//! documents are upserted set-wise, each with its own seq. The upsert repeats the merge order as a guard (`WHERE` stamp > stored stamp), so
//! a concurrent writer that got in first is never overwritten by an older write; such a
//! write is reported as stale like any other.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use mirubato_core::ApiError;
use mirubato_core::sync::EntityType;
use mirubato_core::sync::clock::{
    DEFAULT_MAX_CLOCK_SKEW_SECS, MAX_CLOCK_SKEW_VAR, ReceiveClock, bound_writes, parse_max_skew,
    repair_stored,
};
use mirubato_core::sync::merge::{DocumentKey, IncomingWrite, WriteStamp, plan};
use mirubato_core::sync::protocol::Change;
use mirubato_edge::{EdgeError, RequestContext, post_internal};
use serde::Deserialize;
use serde_json::json;
use worker::{D1Database, D1PreparedStatement, Env, query};

/// Largest bound JSON payload per statement (D1 caps one string value at 2 MB).
const CHUNK_BYTES: usize = 1_500_000;

/// What a set of writes did.
#[derive(Debug, Default)]
pub struct WriteOutcome {
    pub applied: Vec<IncomingWrite>,
    pub duplicates: Vec<IncomingWrite>,
    /// Writes not applied because something newer is stored, with the stored document.
    pub stale: Vec<(IncomingWrite, Option<String>)>,
    /// The user's seq after the writes.
    pub last_seq: i64,
    /// The seq each applied document was stored under.
    seq_of: HashMap<DocumentKey, i64>,
}

impl WriteOutcome {
    /// The writes whose clock the server bounded (applied, duplicate or stale).
    pub fn clock_adjusted(&self) -> impl Iterator<Item = &IncomingWrite> {
        self.applied
            .iter()
            .chain(self.duplicates.iter())
            .chain(self.stale.iter().map(|(write, _)| write))
            .filter(|write| write.client_clock.is_some())
    }

    /// The applied writes as changes, for the user's connected devices.
    pub fn changes(&self) -> Vec<Change> {
        self.applied
            .iter()
            .filter_map(|write| {
                let seq = *self
                    .seq_of
                    .get(&(write.entity_type, write.entity_id.clone()))?;
                Some(Change {
                    entity_type: write.entity_type.as_str().to_string(),
                    entity_id: write.entity_id.clone(),
                    seq,
                    deleted: write.deleted,
                    document: serde_json::from_str(&write.data).ok()?,
                })
            })
            .collect()
    }
}

#[derive(Deserialize)]
struct StampRow {
    entity_id: String,
    clock_ms: i64,
    version: i64,
    device_id: Option<String>,
    checksum: String,
}

#[derive(Deserialize)]
struct DataRow {
    entity_id: String,
    data: String,
}

/// `columns` of a user's stored documents of one type with the given ids (one bound JSON
/// array, so any number of ids is one query).
async fn rows_of<T: serde::de::DeserializeOwned>(
    db: &D1Database,
    columns: &str,
    user_id: &str,
    entity: EntityType,
    ids: &[&str],
) -> Result<Vec<T>, EdgeError> {
    Ok(query!(
        db,
        &format!(
            "SELECT {columns} FROM sync_data \
             WHERE user_id = ?1 AND entity_type = ?2 AND entity_id IN (SELECT value FROM json_each(?3))"
        ),
        user_id,
        entity.as_str(),
        json!(ids).to_string()
    )?
    .all()
    .await?
    .results::<T>()?)
}

/// The stored stamps of the given documents.
async fn stored_stamps(
    db: &D1Database,
    user_id: &str,
    keys: &[DocumentKey],
) -> Result<HashMap<DocumentKey, WriteStamp>, EdgeError> {
    let mut stamps = HashMap::new();
    for entity in EntityType::ALL {
        let ids: Vec<&str> = keys
            .iter()
            .filter(|(kind, _)| *kind == entity)
            .map(|(_, id)| id.as_str())
            .collect();
        if ids.is_empty() {
            continue;
        }
        let rows: Vec<StampRow> = rows_of(
            db,
            "entity_id, clock_ms, version, device_id, checksum",
            user_id,
            entity,
            &ids,
        )
        .await?;
        for row in rows {
            stamps.insert(
                (entity, row.entity_id),
                WriteStamp {
                    clock_ms: row.clock_ms,
                    version: row.version,
                    device_id: row.device_id.unwrap_or_default(),
                    checksum: row.checksum,
                },
            );
        }
    }
    Ok(stamps)
}

/// The stored documents of the given keys.
pub async fn stored_documents(
    db: &D1Database,
    user_id: &str,
    entity: EntityType,
    ids: &[&str],
) -> Result<HashMap<String, String>, EdgeError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<DataRow> = rows_of(db, "entity_id, data", user_id, entity, ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.entity_id, row.data))
        .collect())
}

fn upsert_chunk(
    db: &D1Database,
    user_id: &str,
    rows: &[serde_json::Value],
    seqs_after_chunk_start: usize,
    now: &str,
) -> Result<D1PreparedStatement, EdgeError> {
    // seq of row `key` = (last_seq after the bump) - (documents from this chunk's start) + key + 1
    Ok(query!(
        db,
        "INSERT INTO sync_data (user_id, entity_type, entity_id, data, checksum, version, seq, updated_at, deleted_at, device_id, clock_ms) \
         SELECT ?1, json_extract(value, '$.type'), json_extract(value, '$.id'), json_extract(value, '$.data'), \
                json_extract(value, '$.checksum'), json_extract(value, '$.version'), \
                (SELECT last_seq FROM sync_state WHERE user_id = ?1) - ?3 + key + 1, ?4, \
                json_extract(value, '$.deletedAt'), json_extract(value, '$.device'), json_extract(value, '$.clock') \
         FROM json_each(?2) WHERE true \
         ON CONFLICT (user_id, entity_type, entity_id) DO UPDATE SET \
           data = excluded.data, checksum = excluded.checksum, version = excluded.version, seq = excluded.seq, \
           updated_at = excluded.updated_at, deleted_at = excluded.deleted_at, device_id = excluded.device_id, \
           clock_ms = excluded.clock_ms \
         WHERE (excluded.clock_ms, excluded.version, excluded.device_id, excluded.checksum) \
             > (sync_data.clock_ms, sync_data.version, COALESCE(sync_data.device_id, ''), sync_data.checksum)",
        user_id,
        serde_json::Value::Array(rows.to_vec()).to_string(),
        seqs_after_chunk_start as i64,
        now
    )?)
}

fn row_of(write: &IncomingWrite) -> Result<serde_json::Value, ApiError> {
    let document: serde_json::Value =
        serde_json::from_str(&write.data).map_err(ApiError::internal)?;
    Ok(json!({
        "type": write.entity_type.as_str(),
        "id": write.entity_id,
        "data": write.data,
        "checksum": write.stamp.checksum,
        "version": write.stamp.version,
        "deletedAt": document.get("deletedAt").filter(|value| value.is_string()),
        "device": write.stamp.device_id,
        "clock": write.stamp.clock_ms,
    }))
}

/// The server's receive time `at` of a write, with the configured `MAX_CLOCK_SKEW` (whole
/// seconds, or a number with `s`, `m` or `h`; five minutes when unset or unreadable).
pub fn receive_clock(env: &Env, at: DateTime<Utc>) -> ReceiveClock {
    let max_skew = env
        .var(MAX_CLOCK_SKEW_VAR)
        .ok()
        .and_then(|value| parse_max_skew(&value.to_string()))
        .unwrap_or_else(|| chrono::Duration::seconds(DEFAULT_MAX_CLOCK_SKEW_SECS));
    ReceiveClock::new(at, max_skew)
}

/// Applies writes of one user under the merge rule, atomically.
pub async fn apply_writes(
    db: &D1Database,
    user_id: &str,
    writes: Vec<IncomingWrite>,
    clock: &ReceiveClock,
) -> Result<WriteOutcome, EdgeError> {
    apply_writes_with(db, user_id, writes, clock, Vec::new()).await
}

/// [`apply_writes`], with `extra` statements run in the same transaction (rows that belong
/// with the documents, such as a recording's storage record).
///
/// Every write's clock is first bounded by `clock` (the one place the server's clock enters
/// the merge rule), and every stored row records `clock.received` as `updated_at`: the time
/// the server saw the write, which the crons go by.
pub async fn apply_writes_with(
    db: &D1Database,
    user_id: &str,
    writes: Vec<IncomingWrite>,
    clock: &ReceiveClock,
    extra: Vec<D1PreparedStatement>,
) -> Result<WriteOutcome, EdgeError> {
    let writes = bound_writes(writes, clock);
    let received = clock.received_iso();
    let now = received.as_str();
    let keys: Vec<DocumentKey> = writes
        .iter()
        .map(|write| (write.entity_type, write.entity_id.clone()))
        .collect();
    let stamps = stored_stamps(db, user_id, &keys).await?;
    let merge = plan(&stamps, writes);
    let count = merge.apply.len();

    let mut statements = vec![query!(
        db,
        "INSERT INTO sync_state (user_id, last_seq) VALUES (?1, ?2) \
         ON CONFLICT (user_id) DO UPDATE SET last_seq = sync_state.last_seq + ?2",
        user_id,
        count as i64
    )?];
    let mut chunk = Vec::new();
    let mut chunk_bytes = 0;
    let mut chunk_start = 0;
    for (index, write) in merge.apply.iter().enumerate() {
        if chunk_bytes + write.data.len() > CHUNK_BYTES && !chunk.is_empty() {
            statements.push(upsert_chunk(db, user_id, &chunk, count - chunk_start, now)?);
            chunk.clear();
            chunk_bytes = 0;
            chunk_start = index;
        }
        chunk_bytes += write.data.len();
        chunk.push(row_of(write)?);
    }
    if !chunk.is_empty() {
        statements.push(upsert_chunk(db, user_id, &chunk, count - chunk_start, now)?);
    }
    let upserts = 1..statements.len();
    statements.extend(extra);
    statements.push(query!(
        db,
        "SELECT last_seq FROM sync_state WHERE user_id = ?1",
        user_id
    )?);
    let results = db.batch(statements).await?;

    #[derive(Deserialize)]
    struct Seq {
        last_seq: i64,
    }
    let last_seq = results
        .last()
        .and_then(|result| result.results::<Seq>().ok())
        .and_then(|rows| rows.into_iter().next())
        .map(|row| row.last_seq)
        .ok_or_else(|| ApiError::internal("push batch returned no seq"))?;
    let written: usize = results[upserts]
        .iter()
        .filter_map(|result| result.meta().ok().flatten().and_then(|meta| meta.changes))
        .sum();

    // The upsert gave the i-th applied document seq = last_seq - count + i + 1.
    let seq_of: HashMap<DocumentKey, i64> = merge
        .apply
        .iter()
        .enumerate()
        .map(|(index, write)| {
            (
                (write.entity_type, write.entity_id.clone()),
                last_seq - count as i64 + index as i64 + 1,
            )
        })
        .collect();
    let mut applied = merge.apply;
    let mut stale_writes = merge.stale;
    if written < applied.len() {
        // A concurrent writer stored something newer for some documents: find which.
        let now_stored = stored_stamps(
            db,
            user_id,
            &applied
                .iter()
                .map(|w| (w.entity_type, w.entity_id.clone()))
                .collect::<Vec<_>>(),
        )
        .await?;
        let (kept, lost): (Vec<_>, Vec<_>) = applied.into_iter().partition(|write| {
            now_stored.get(&(write.entity_type, write.entity_id.clone())) == Some(&write.stamp)
        });
        applied = kept;
        stale_writes.extend(lost);
    }
    let mut stale = Vec::with_capacity(stale_writes.len());
    for entity in EntityType::ALL {
        let ids: Vec<&str> = stale_writes
            .iter()
            .filter(|write| write.entity_type == entity)
            .map(|write| write.entity_id.as_str())
            .collect();
        let current = stored_documents(db, user_id, entity, &ids).await?;
        for write in stale_writes
            .iter()
            .filter(|write| write.entity_type == entity)
        {
            stale.push((write.clone(), current.get(&write.entity_id).cloned()));
        }
    }
    Ok(WriteOutcome {
        applied,
        duplicates: merge.duplicates,
        stale,
        last_seq,
        seq_of,
    })
}

/// Binding to the sync worker (service binding; calls address the internal host).
const SYNC: &str = "SYNC";

/// [`apply_writes`] for a REST request, then tells the user's connected devices about what
/// was applied. The telling happens after the response (`wait_until`) and never fails the
/// write: a device that misses it catches up from its cursor.
pub async fn write_and_notify(
    ctx: &RequestContext,
    db: &D1Database,
    user_id: &str,
    writes: Vec<IncomingWrite>,
    at: DateTime<Utc>,
) -> Result<WriteOutcome, EdgeError> {
    write_and_notify_with(ctx, db, user_id, writes, at, Vec::new()).await
}

/// Counts the writes whose clock was bounded in the request's log line (`clockAdjusted`).
pub fn count_clock_adjusted(ctx: &RequestContext, outcome: &WriteOutcome) {
    let adjusted = outcome.clock_adjusted().count();
    if adjusted > 0 {
        ctx.count("clockAdjusted", adjusted as u64);
    }
}

/// Tells the user's connected devices about stored changes (through the sync worker's
/// `/internal/broadcast`). Never fails: a device that misses it catches up from its cursor;
/// a failure is logged with `request_id`.
pub async fn notify_devices(env: &Env, user_id: &str, changes: &[Change], request_id: &str) {
    let body = json!({ "userId": user_id, "changes": changes });
    let delivered = post_internal(env, SYNC, "/internal/broadcast", &body, Some(request_id))
        .await
        .map(|response| response.status_code());
    if !matches!(delivered, Ok(200)) {
        worker::console_error!(
            "{}",
            json!({"level": "warn", "message": "devices not notified", "requestId": request_id, "outcome": format!("{delivered:?}")})
        );
    }
}

/// [`write_and_notify`] with extra statements in the write's transaction
/// (see [`apply_writes_with`]).
pub async fn write_and_notify_with(
    ctx: &RequestContext,
    db: &D1Database,
    user_id: &str,
    writes: Vec<IncomingWrite>,
    at: DateTime<Utc>,
    extra: Vec<D1PreparedStatement>,
) -> Result<WriteOutcome, EdgeError> {
    let clock = receive_clock(&ctx.env, at);
    let outcome = apply_writes_with(db, user_id, writes, &clock, extra).await?;
    count_clock_adjusted(ctx, &outcome);
    let changes = outcome.changes();
    if !changes.is_empty() {
        let env = ctx.env.clone();
        let user_id = user_id.to_string();
        let request_id = ctx.request_id.clone();
        ctx.worker.wait_until(async move {
            notify_devices(&env, &user_id, &changes, &request_id).await;
        });
    }
    Ok(outcome)
}

#[derive(Deserialize)]
struct FutureRow {
    user_id: String,
    entity_type: String,
    entity_id: String,
    data: String,
    checksum: String,
    device_id: Option<String>,
    updated_at: String,
}

/// Cron job: repairs documents stored with a clock beyond the bound — written before the
/// bound existed, or under a larger `MAX_CLOCK_SKEW` — at most `limit` per run. Each is
/// bounded as it would have been on arrival (clamped to its row's `updated_at`, the receive
/// time; the client's value kept in `metadata.clientClock`), stored under a new seq (unless
/// it changed meanwhile), and the user's connected devices are told. Returns how many.
pub async fn repair_future_clocks(env: &Env, limit: u32) -> Result<usize, EdgeError> {
    let db = env.d1(crate::DB)?;
    let now = mirubato_edge::now();
    let bound = receive_clock(env, now).limit().timestamp_millis();
    let rows = query!(
        &db,
        "SELECT user_id, entity_type, entity_id, data, checksum, device_id, updated_at \
         FROM sync_data WHERE clock_ms > ?1 ORDER BY clock_ms DESC LIMIT ?2",
        bound as f64,
        limit
    )?
    .all()
    .await?
    .results::<FutureRow>()?;
    let mut repaired = 0;
    for row in rows {
        let Some(entity) = EntityType::parse(&row.entity_type) else {
            continue;
        };
        let received = chrono::DateTime::parse_from_rfc3339(&row.updated_at)
            .map_or(now, |at| at.with_timezone(&Utc))
            .min(now);
        let clock = receive_clock(env, received);
        let device = row.device_id.unwrap_or_default();
        let Some(write) = repair_stored(entity, &row.data, &device, &clock) else {
            continue;
        };
        let results = db
            .batch(vec![
                query!(
                    &db,
                    "UPDATE sync_state SET last_seq = last_seq + 1 WHERE user_id = ?1",
                    &row.user_id
                )?,
                query!(
                    &db,
                    "UPDATE sync_data SET data = ?5, checksum = ?6, clock_ms = ?7, \
                       seq = (SELECT last_seq FROM sync_state WHERE user_id = ?1) \
                     WHERE user_id = ?1 AND entity_type = ?2 AND entity_id = ?3 AND checksum = ?4",
                    &row.user_id,
                    entity.as_str(),
                    &row.entity_id,
                    &row.checksum,
                    &write.data,
                    &write.stamp.checksum,
                    write.stamp.clock_ms as f64
                )?,
                query!(
                    &db,
                    "SELECT last_seq FROM sync_state WHERE user_id = ?1",
                    &row.user_id
                )?,
            ])
            .await?;
        let changed = results
            .get(1)
            .and_then(|result| result.meta().ok().flatten())
            .and_then(|meta| meta.changes)
            .unwrap_or(0);
        if changed == 0 {
            // Written again meanwhile: the new write went through the bound.
            continue;
        }
        #[derive(Deserialize)]
        struct Seq {
            last_seq: i64,
        }
        let seq = results
            .last()
            .and_then(|result| result.results::<Seq>().ok())
            .and_then(|rows| rows.into_iter().next())
            .map_or(0, |row| row.last_seq);
        repaired += 1;
        let change = Change {
            entity_type: entity.as_str().to_string(),
            entity_id: row.entity_id.clone(),
            seq,
            deleted: write.deleted,
            document: serde_json::from_str(&write.data).map_err(ApiError::internal)?,
        };
        notify_devices(
            env,
            &row.user_id,
            &[change],
            &format!("cron-clock-{}", row.entity_id),
        )
        .await;
    }
    Ok(repaired)
}
