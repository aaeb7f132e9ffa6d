//! `/api/recordings*`: practice recordings. The audio streams into the `RECORDINGS` R2 bucket
//! (one request up to 25 MB, or R2 multipart parts up to 500 MB); the `recordings` table holds
//! where it is and what it costs against the user's quota; the metadata every device sees is
//! the `recording` sync document (see `mirubato_core::recordings`).

use futures_util::{StreamExt, stream};
use mirubato_core::ApiError;
use mirubato_core::practice::{new_id, prepare_write, tombstone};
use mirubato_core::recordings::{
    ABANDONED_UPLOAD_HOURS, AudioType, CreateUploadRequest, DEFAULT_QUOTA_BYTES,
    DELETED_ENTRY_RECORDINGS_HOURS, PartPlan, RecordingFields, SNIFF_BYTES, StoredAudio,
    UpdateRecordingRequest, apply_update, check_quota, check_single_upload_size,
    fields_from_params, new_recording_document, object_key, user_prefix,
};
use mirubato_core::sync::EntityType;
use mirubato_edge::{
    EdgeError, RequestContext, Served, json, json_with_status, non_negative_var, now, serve_object,
};
use serde::Deserialize;
use serde_json::{Value, json};
use worker::{
    Bucket, D1Database, Env, FixedLengthStream, HttpMetadata, Response, UploadedPart, query,
};

use crate::DB;
use crate::repertoire::{clock, live, live_documents, store_with};
use crate::session::authenticate;

/// The R2 bucket of recordings.
pub(crate) const RECORDINGS: &str = "RECORDINGS";
const NOT_FOUND: &str = "Recording";
const UPLOAD_NOT_FOUND: &str = "Upload not found";

fn bucket(ctx: &RequestContext) -> Result<Bucket, EdgeError> {
    Ok(ctx.env.bucket(RECORDINGS)?)
}

/// The per-user quota: `RECORDINGS_QUOTA_BYTES` when set, else 2 GB.
pub(crate) fn quota_bytes(env: &Env) -> u64 {
    non_negative_var(env, "RECORDINGS_QUOTA_BYTES", DEFAULT_QUOTA_BYTES)
}

/// SQL for the bytes a user's stored recordings and open uploads take, over the user-id
/// parameter `$user`: the quota report and both quota-guarded inserts count the same way.
macro_rules! used_bytes_sql {
    ($user:literal) => {
        concat!(
            "(SELECT COALESCE(SUM(size), 0) FROM recordings WHERE user_id = ",
            $user,
            ") + (SELECT COALESCE(SUM(size), 0) FROM recording_uploads WHERE user_id = ",
            $user,
            ")"
        )
    };
}

pub(crate) async fn used_bytes(db: &D1Database, user_id: &str) -> Result<u64, EdgeError> {
    #[derive(Deserialize)]
    struct Used {
        used: i64,
    }
    let used = query!(
        db,
        concat!("SELECT ", used_bytes_sql!("?1"), " AS used"),
        user_id
    )?
    .first::<Used>(None)
    .await?
    .map_or(0, |row| row.used);
    Ok(used.max(0) as u64)
}

/// Storage figures for `/api/user/me`.
pub(crate) async fn storage_summary(
    env: &Env,
    db: &D1Database,
    user_id: &str,
) -> Result<Value, EdgeError> {
    Ok(json!({
        "usedBytes": used_bytes(db, user_id).await?,
        "quotaBytes": quota_bytes(env),
    }))
}

/// The request body as a stream of the declared length, after its first bytes were checked
/// against `kind` (when given): a spoofed type is refused before anything is stored.
async fn checked_body(
    ctx: &mut RequestContext,
    length: u64,
    kind: Option<AudioType>,
) -> Result<FixedLengthStream, EdgeError> {
    let mut body = ctx
        .req
        .stream()
        .map_err(|_| ApiError::validation("The request has no body"))?;
    let mut head = Vec::new();
    while head.len() < SNIFF_BYTES {
        match body.next().await {
            Some(chunk) => head.extend(chunk?),
            None => break,
        }
    }
    if let Some(kind) = kind
        && let Err(refused) = kind.check_head(&head)
    {
        // Read the rest before answering, so the client sees the answer rather than a
        // connection closed in the middle of its upload (the body is bounded by its length).
        while let Some(chunk) = body.next().await {
            chunk?;
        }
        return Err(refused.into());
    }
    let whole = stream::once(async move { Ok(head) }).chain(body);
    Ok(FixedLengthStream::wrap(whole, length))
}

fn content_length(ctx: &RequestContext) -> Option<u64> {
    ctx.header("Content-Length")
        .and_then(|value| value.trim().parse().ok())
}

fn audio_type(ctx: &RequestContext) -> Result<AudioType, ApiError> {
    AudioType::from_content_type(&ctx.header("Content-Type").unwrap_or_default())
}

/// Validates upload metadata as the sync document it will become, before any byte is stored.
fn check_fields(fields: &RecordingFields, kind: AudioType, size: u64) -> Result<(), ApiError> {
    let probe = StoredAudio {
        id: new_id("rec"),
        kind,
        size,
        created_at: now(),
    };
    prepare_write(
        EntityType::Recording,
        new_recording_document(&probe, fields),
    )?;
    Ok(())
}

/// Stores the sync document of audio now in R2; the row was written already (single upload)
/// or is written in the same transaction (`extra`, multipart completion).
async fn publish(
    ctx: &RequestContext,
    db: &D1Database,
    user_id: &str,
    audio: &StoredAudio,
    fields: &RecordingFields,
    extra: Vec<worker::D1PreparedStatement>,
) -> Result<Value, EdgeError> {
    let doc = new_recording_document(audio, fields);
    let write = prepare_write(EntityType::Recording, doc.clone())?;
    let at = clock();
    store_with(ctx, db, user_id, vec![write], at, extra).await?;
    Ok(doc)
}

#[utoipa::path(post, path = "/api/recordings", security(("bearer" = [])),
    params(("durationMs" = i64, Query), ("entryId" = Option<String>, Query), ("title" = Option<String>, Query)),
    request_body(content = Vec<u8>, description = "The audio itself (audio/webm, audio/ogg, audio/mp4, audio/mpeg or audio/wav), at most 25 MB", content_type = "audio/webm"),
    responses((status = 201, description = "The recording document"), (status = 400), (status = 413, description = "Too large, or QUOTA_EXCEEDED"), (status = 415)))]
pub async fn upload(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let kind = audio_type(&ctx)?;
    let size = check_single_upload_size(content_length(&ctx))?;
    let fields =
        fields_from_params(|query, header| ctx.query(query).or_else(|| ctx.header(header)))?;
    check_fields(&fields, kind, size)?;
    let db = ctx.env.d1(DB)?;
    let quota = quota_bytes(&ctx.env);
    check_quota(used_bytes(&db, &claims.sub).await?, size, quota)?;

    let audio = StoredAudio {
        id: new_id("rec"),
        kind,
        size,
        created_at: now(),
    };
    let key = object_key(&claims.sub, &audio.id, kind);
    let body = checked_body(&mut ctx, size, Some(kind)).await?;
    let bucket = bucket(&ctx)?;
    bucket
        .put(&key, body)
        .http_metadata(HttpMetadata {
            content_type: Some(kind.as_str().into()),
            ..HttpMetadata::default()
        })
        .execute()
        .await?;

    // The row claims the space only if the quota still allows it (a concurrent upload may
    // have taken it meanwhile); otherwise the object goes again.
    let claimed = query!(
        &db,
        concat!(
            "INSERT INTO recordings (id, user_id, r2_key, content_type, size, created_at) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE ",
            used_bytes_sql!("?2"),
            " + ?5 <= ?7"
        ),
        &audio.id,
        &claims.sub,
        &key,
        kind.as_str(),
        size as i64,
        mirubato_core::practice::iso(audio.created_at),
        quota as i64
    )?
    .run()
    .await?
    .meta()?
    .and_then(|meta| meta.changes)
    .unwrap_or(0);
    if claimed == 0 {
        bucket.delete(&key).await?;
        let used = used_bytes(&db, &claims.sub).await?;
        return Err(check_quota(used, size, quota)
            .err()
            .unwrap_or(ApiError::QuotaExceeded {
                used_bytes: used,
                requested_bytes: size,
                quota_bytes: quota,
            })
            .into());
    }
    match publish(&ctx, &db, &claims.sub, &audio, &fields, Vec::new()).await {
        Ok(doc) => json_with_status(&doc, 201),
        Err(err) => {
            forget(&db, &bucket, &claims.sub, &audio.id, &key).await;
            Err(err)
        }
    }
}

/// Removes a recording's row and object after its document could not be stored.
async fn forget(db: &D1Database, bucket: &Bucket, user_id: &str, id: &str, key: &str) {
    let row = async {
        query!(
            db,
            "DELETE FROM recordings WHERE id = ?1 AND user_id = ?2",
            id,
            user_id
        )?
        .run()
        .await
    };
    if let Err(err) = row.await {
        worker::console_error!("recording row {id} not removed: {err}");
    }
    if let Err(err) = bucket.delete(key).await {
        worker::console_error!("recording object {key} not removed: {err}");
    }
}

#[utoipa::path(get, path = "/api/recordings", security(("bearer" = [])),
    params(("entryId" = Option<String>, Query)),
    responses((status = 200, description = "{recordings:[…]}, newest first"), (status = 401)))]
pub async fn list(ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let entry_id = ctx.query("entryId");
    let db = ctx.env.d1(DB)?;
    let mut recordings: Vec<Value> = live_documents(&db, &claims.sub, EntityType::Recording)
        .await?
        .into_iter()
        .filter(|doc| {
            entry_id
                .as_deref()
                .is_none_or(|id| doc.get("entryId").and_then(Value::as_str) == Some(id))
        })
        .collect();
    recordings.sort_by(|a, b| {
        let created = |doc: &Value| {
            doc.get("createdAt")
                .and_then(Value::as_str)
                .map(String::from)
        };
        created(b).cmp(&created(a))
    });
    json(&json!({ "recordings": recordings }))
}

#[utoipa::path(get, path = "/api/recordings/{id}", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "The recording document"), (status = 404)))]
pub async fn get(ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let id = ctx.param("id")?.to_string();
    let db = ctx.env.d1(DB)?;
    json(&live(&db, &claims.sub, EntityType::Recording, &id, NOT_FOUND).await?)
}

#[derive(Deserialize)]
struct StoredRow {
    r2_key: String,
    content_type: String,
}

async fn stored_row(db: &D1Database, user_id: &str, id: &str) -> Result<StoredRow, EdgeError> {
    query!(
        db,
        "SELECT r2_key, content_type FROM recordings WHERE id = ?1 AND user_id = ?2",
        id,
        user_id
    )?
    .first::<StoredRow>(None)
    .await?
    .ok_or_else(|| ApiError::not_found(format!("{NOT_FOUND} not found")).into())
}

#[utoipa::path(get, path = "/api/recordings/{id}/audio", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "The audio, with ETag"), (status = 206, description = "A byte range"),
        (status = 304), (status = 404), (status = 416)))]
pub async fn audio(ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let id = ctx.param("id")?.to_string();
    let row = stored_row(&ctx.env.d1(DB)?, &claims.sub, &id).await?;
    let served = Served {
        content_type: Some(&row.content_type),
        cache_control: "private, max-age=31536000, immutable",
    };
    serve_object(&ctx, &bucket(&ctx)?, &row.r2_key, served).await
}

#[utoipa::path(patch, path = "/api/recordings/{id}", security(("bearer" = [])), params(("id" = String, Path)),
    request_body(content = Value, description = "{title?, entryId?, peaks?}; null clears"),
    responses((status = 200, description = "The updated recording document"), (status = 400), (status = 404)))]
pub async fn update(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let id = ctx.param("id")?.to_string();
    let request: UpdateRecordingRequest = ctx.json().await?;
    let db = ctx.env.d1(DB)?;
    let current = live(&db, &claims.sub, EntityType::Recording, &id, NOT_FOUND).await?;
    let at = clock();
    let updated = apply_update(&current, &request, at)?;
    let write = prepare_write(EntityType::Recording, updated.clone())?;
    store_with(&ctx, &db, &claims.sub, vec![write], at, Vec::new()).await?;
    json(&updated)
}

#[utoipa::path(delete, path = "/api/recordings/{id}", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "{message}"), (status = 404)))]
pub async fn remove(ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let id = ctx.param("id")?.to_string();
    let db = ctx.env.d1(DB)?;
    let current = live(&db, &claims.sub, EntityType::Recording, &id, NOT_FOUND).await?;
    let row = stored_row(&db, &claims.sub, &id).await?;
    bucket(&ctx)?.delete(&row.r2_key).await?;
    let at = clock();
    let write = prepare_write(EntityType::Recording, tombstone(&current, at))?;
    let forget_row = query!(
        &db,
        "DELETE FROM recordings WHERE id = ?1 AND user_id = ?2",
        &id,
        &claims.sub
    )?;
    store_with(&ctx, &db, &claims.sub, vec![write], at, vec![forget_row]).await?;
    json(&json!({ "message": "Recording deleted successfully" }))
}

#[derive(Deserialize)]
struct UploadRow {
    id: String,
    recording_id: String,
    r2_key: String,
    r2_upload_id: String,
    content_type: String,
    size: i64,
    fields: String,
}

impl UploadRow {
    fn plan(&self) -> Result<PartPlan, ApiError> {
        PartPlan::new(self.size.max(0) as u64)
    }

    fn kind(&self) -> Result<AudioType, ApiError> {
        AudioType::from_content_type(&self.content_type)
    }
}

/// The caller's upload named in the path; another user's is as missing as an unknown one.
async fn own_upload(
    ctx: &RequestContext,
    db: &D1Database,
    user_id: &str,
) -> Result<UploadRow, EdgeError> {
    let id = ctx.param("uploadId")?;
    query!(
        db,
        "SELECT id, recording_id, r2_key, r2_upload_id, content_type, size, fields \
         FROM recording_uploads WHERE id = ?1 AND user_id = ?2",
        id,
        user_id
    )?
    .first::<UploadRow>(None)
    .await?
    .ok_or_else(|| ApiError::not_found(UPLOAD_NOT_FOUND).into())
}

#[derive(Deserialize)]
struct PartRow {
    part_number: i64,
    etag: String,
}

async fn received_parts(db: &D1Database, upload_id: &str) -> Result<Vec<PartRow>, EdgeError> {
    Ok(query!(
        db,
        "SELECT part_number, etag FROM recording_upload_parts WHERE upload_id = ?1 ORDER BY part_number",
        upload_id
    )?
    .all()
    .await?
    .results::<PartRow>()?)
}

fn upload_view(upload: &UploadRow, plan: &PartPlan, received: &[u16]) -> Value {
    json!({
        "uploadId": upload.id,
        "recordingId": upload.recording_id,
        "partSize": plan.part_size,
        "partCount": plan.part_count(),
        "size": plan.size,
        "receivedParts": received,
        "missingParts": plan.missing(received),
    })
}

#[utoipa::path(post, path = "/api/recordings/uploads", security(("bearer" = [])),
    request_body(content = Value, description = "{contentType, size, durationMs, entryId?, title?, peaks?}"),
    responses((status = 201, description = "{uploadId, recordingId, partSize, partCount, …}"), (status = 400), (status = 413), (status = 415)))]
pub async fn create_upload(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let request: CreateUploadRequest = ctx.json().await?;
    let kind = AudioType::from_content_type(&request.content_type)?;
    let plan = PartPlan::new(request.size)?;
    let fields = RecordingFields {
        entry_id: request.entry_id,
        title: request.title,
        duration_ms: Some(request.duration_ms),
        peaks: request.peaks,
    };
    check_fields(&fields, kind, plan.size)?;
    let db = ctx.env.d1(DB)?;
    let quota = quota_bytes(&ctx.env);
    check_quota(used_bytes(&db, &claims.sub).await?, plan.size, quota)?;

    let recording_id = new_id("rec");
    let key = object_key(&claims.sub, &recording_id, kind);
    let bucket = bucket(&ctx)?;
    let multipart = bucket
        .create_multipart_upload(&key)
        .http_metadata(HttpMetadata {
            content_type: Some(kind.as_str().into()),
            ..HttpMetadata::default()
        })
        .execute()
        .await?;
    let upload = UploadRow {
        id: new_id("upl"),
        recording_id,
        r2_key: key,
        r2_upload_id: multipart.upload_id().await,
        content_type: kind.as_str().into(),
        size: plan.size as i64,
        fields: serde_json::to_string(&fields).map_err(ApiError::internal)?,
    };
    let at = mirubato_core::practice::iso(now());
    // The declared size is reserved against the quota, unless a concurrent upload took it.
    let reserved = query!(
        &db,
        concat!(
            "INSERT INTO recording_uploads \
               (id, user_id, recording_id, r2_key, r2_upload_id, content_type, size, fields, created_at, updated_at) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9 WHERE ",
            used_bytes_sql!("?2"),
            " + ?7 <= ?10"
        ),
        &upload.id,
        &claims.sub,
        &upload.recording_id,
        &upload.r2_key,
        &upload.r2_upload_id,
        &upload.content_type,
        upload.size,
        &upload.fields,
        &at,
        quota as i64
    )?
    .run()
    .await?
    .meta()?
    .and_then(|meta| meta.changes)
    .unwrap_or(0);
    if reserved == 0 {
        multipart.abort().await?;
        let used = used_bytes(&db, &claims.sub).await?;
        return Err(ApiError::QuotaExceeded {
            used_bytes: used,
            requested_bytes: plan.size,
            quota_bytes: quota,
        }
        .into());
    }
    json_with_status(&upload_view(&upload, &plan, &[]), 201)
}

#[utoipa::path(get, path = "/api/recordings/uploads/{uploadId}", security(("bearer" = [])), params(("uploadId" = String, Path)),
    responses((status = 200, description = "The upload with receivedParts and missingParts (to resume)"), (status = 404)))]
pub async fn upload_status(ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    let upload = own_upload(&ctx, &db, &claims.sub).await?;
    let received: Vec<u16> = received_parts(&db, &upload.id)
        .await?
        .iter()
        .map(|part| part.part_number as u16)
        .collect();
    json(&upload_view(&upload, &upload.plan()?, &received))
}

#[utoipa::path(put, path = "/api/recordings/uploads/{uploadId}/parts/{partNumber}", security(("bearer" = [])),
    params(("uploadId" = String, Path), ("partNumber" = u16, Path)),
    request_body(content = Vec<u8>, description = "Exactly partSize bytes (the last part: the rest)", content_type = "application/octet-stream"),
    responses((status = 200, description = "{partNumber, etag}"), (status = 400), (status = 404), (status = 413), (status = 415)))]
pub async fn upload_part(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    let upload = own_upload(&ctx, &db, &claims.sub).await?;
    let plan = upload.plan()?;
    // Anything but a number in range is refused by the plan, naming the valid range.
    let number: u16 = ctx.param("partNumber")?.parse().unwrap_or(0);
    let length = plan.check_part(number, content_length(&ctx))?;
    // The first part starts the file: its bytes must be the declared type.
    let sniff = (number == 1).then(|| upload.kind()).transpose()?;
    let body = checked_body(&mut ctx, length, sniff).await?;
    let part = bucket(&ctx)?
        .resume_multipart_upload(&upload.r2_key, &upload.r2_upload_id)?
        .upload_part(number, body)
        .await?;
    let etag = part.etag();
    let at = mirubato_core::practice::iso(now());
    db.batch(vec![
        query!(
            &db,
            "INSERT INTO recording_upload_parts (upload_id, part_number, etag, size) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (upload_id, part_number) DO UPDATE SET etag = excluded.etag, size = excluded.size",
            &upload.id,
            number,
            &etag,
            length as i64
        )?,
        query!(
            &db,
            "UPDATE recording_uploads SET updated_at = ?2 WHERE id = ?1",
            &upload.id,
            &at
        )?,
    ])
    .await?;
    json(&json!({ "partNumber": number, "etag": etag }))
}

#[utoipa::path(post, path = "/api/recordings/uploads/{uploadId}/complete", security(("bearer" = [])),
    params(("uploadId" = String, Path)),
    responses((status = 201, description = "The recording document"), (status = 400, description = "Parts missing (details.missingParts)"), (status = 404)))]
pub async fn complete_upload(ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    let upload = own_upload(&ctx, &db, &claims.sub).await?;
    let plan = upload.plan()?;
    let parts = received_parts(&db, &upload.id).await?;
    let numbers: Vec<u16> = parts.iter().map(|part| part.part_number as u16).collect();
    let missing = plan.missing(&numbers);
    if !missing.is_empty() {
        return Err(ApiError::Validation {
            message: format!("Parts missing: {missing:?}"),
            details: Some(json!({ "missingParts": missing })),
        }
        .into());
    }
    let kind = upload.kind()?;
    let fields: RecordingFields =
        serde_json::from_str(&upload.fields).map_err(ApiError::internal)?;
    let bucket = bucket(&ctx)?;
    bucket
        .resume_multipart_upload(&upload.r2_key, &upload.r2_upload_id)?
        .complete(
            parts
                .into_iter()
                .map(|part| UploadedPart::new(part.part_number as u16, part.etag)),
        )
        .await?;
    let audio = StoredAudio {
        id: upload.recording_id.clone(),
        kind,
        size: plan.size,
        created_at: now(),
    };
    // The stored row replaces the upload's reservation in the same transaction.
    let extra = vec![
        query!(
            &db,
            "INSERT INTO recordings (id, user_id, r2_key, content_type, size, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            &audio.id,
            &claims.sub,
            &upload.r2_key,
            kind.as_str(),
            plan.size as i64,
            mirubato_core::practice::iso(audio.created_at)
        )?,
        query!(
            &db,
            "DELETE FROM recording_upload_parts WHERE upload_id = ?1",
            &upload.id
        )?,
        query!(
            &db,
            "DELETE FROM recording_uploads WHERE id = ?1",
            &upload.id
        )?,
    ];
    let doc = publish(&ctx, &db, &claims.sub, &audio, &fields, extra).await?;
    json_with_status(&doc, 201)
}

#[utoipa::path(delete, path = "/api/recordings/uploads/{uploadId}", security(("bearer" = [])),
    params(("uploadId" = String, Path)),
    responses((status = 200, description = "{message}"), (status = 404)))]
pub async fn abort_upload(ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    let upload = own_upload(&ctx, &db, &claims.sub).await?;
    abort(&bucket(&ctx)?, &db, &upload).await?;
    json(&json!({ "message": "Upload aborted" }))
}

async fn abort(bucket: &Bucket, db: &D1Database, upload: &UploadRow) -> Result<(), EdgeError> {
    bucket
        .resume_multipart_upload(&upload.r2_key, &upload.r2_upload_id)?
        .abort()
        .await?;
    db.batch(vec![
        query!(
            db,
            "DELETE FROM recording_upload_parts WHERE upload_id = ?1",
            &upload.id
        )?,
        query!(
            db,
            "DELETE FROM recording_uploads WHERE id = ?1",
            &upload.id
        )?,
    ])
    .await?;
    Ok(())
}

/// Deletes every recording object and open upload of a user (account deletion). Rows go with
/// the account's rows.
pub(crate) async fn delete_all(env: &Env, db: &D1Database, user_id: &str) -> Result<(), EdgeError> {
    let bucket = env.bucket(RECORDINGS)?;
    let uploads = query!(
        db,
        "SELECT id, recording_id, r2_key, r2_upload_id, content_type, size, fields \
         FROM recording_uploads WHERE user_id = ?1",
        user_id
    )?
    .all()
    .await?
    .results::<UploadRow>()?;
    for upload in &uploads {
        abort(&bucket, db, upload).await?;
    }
    loop {
        let listed = bucket.list().prefix(user_prefix(user_id)).execute().await?;
        let keys: Vec<String> = listed.objects().iter().map(|object| object.key()).collect();
        if keys.is_empty() {
            return Ok(());
        }
        bucket.delete_multiple(keys).await?;
    }
}

/// Cron job: aborts multipart uploads untouched for a day, at most `limit` per run. Returns
/// how many were aborted.
pub(crate) async fn abort_abandoned_uploads(env: &Env, limit: u32) -> Result<usize, EdgeError> {
    let db = env.d1(DB)?;
    let bucket = env.bucket(RECORDINGS)?;
    let cutoff =
        mirubato_core::practice::iso(now() - chrono::Duration::hours(ABANDONED_UPLOAD_HOURS));
    let stale = query!(
        &db,
        "SELECT id, recording_id, r2_key, r2_upload_id, content_type, size, fields \
         FROM recording_uploads WHERE updated_at < ?1 ORDER BY updated_at LIMIT ?2",
        &cutoff,
        limit
    )?
    .all()
    .await?
    .results::<UploadRow>()?;
    for upload in &stale {
        abort(&bucket, &db, upload).await?;
    }
    Ok(stale.len())
}

#[derive(Deserialize)]
struct EntrylessRecording {
    id: String,
    user_id: String,
    r2_key: String,
    data: String,
}

/// Cron job: deletes the recordings of logbook entries whose delete the server stored more
/// than `DELETED_ENTRY_RECORDINGS_HOURS` ago — by the row's `updated_at`, the server's
/// receive time of the tombstone, never the device's `deletedAt` (the app shows recordings
/// only under their entry, so they would take quota unseen), at most `limit` per run: the
/// object first (so a failed run is simply repeated), then the row and a tombstone of the
/// document in one transaction, which the user's connected devices are told of. Returns how
/// many were deleted.
pub(crate) async fn delete_recordings_of_deleted_entries(
    env: &Env,
    limit: u32,
) -> Result<usize, EdgeError> {
    let db = env.d1(DB)?;
    let bucket = env.bucket(RECORDINGS)?;
    let cutoff = mirubato_core::practice::iso(
        now()
            - chrono::Duration::hours(non_negative_var(
                env,
                "DELETED_ENTRY_RECORDINGS_HOURS",
                DELETED_ENTRY_RECORDINGS_HOURS,
            )),
    );
    let orphaned = query!(
        &db,
        "SELECT r.id, r.user_id, r.r2_key, doc.data FROM recordings r \
         JOIN sync_data doc ON doc.user_id = r.user_id AND doc.entity_type = 'recording' \
           AND doc.entity_id = r.id AND doc.deleted_at IS NULL \
         JOIN sync_data entry ON entry.user_id = r.user_id AND entry.entity_type = 'logbook_entry' \
           AND entry.entity_id = json_extract(doc.data, '$.entryId') \
         WHERE entry.deleted_at IS NOT NULL AND entry.updated_at < ?1 \
         ORDER BY entry.updated_at LIMIT ?2",
        &cutoff,
        limit
    )?
    .all()
    .await?
    .results::<EntrylessRecording>()?;
    for recording in &orphaned {
        bucket.delete(&recording.r2_key).await?;
        let document: Value = serde_json::from_str(&recording.data).map_err(ApiError::internal)?;
        let at = clock();
        let write = prepare_write(EntityType::Recording, tombstone(&document, at))?;
        let forget_row = query!(
            &db,
            "DELETE FROM recordings WHERE id = ?1 AND user_id = ?2",
            &recording.id,
            &recording.user_id
        )?;
        let outcome = crate::documents::apply_writes_with(
            &db,
            &recording.user_id,
            vec![write],
            &crate::documents::receive_clock(env, at),
            vec![forget_row],
        )
        .await?;
        crate::documents::notify_devices(
            env,
            &recording.user_id,
            &outcome.changes(),
            &format!("cron-{}", recording.id),
        )
        .await;
    }
    Ok(orphaned.len())
}
