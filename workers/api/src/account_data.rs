//! `GET /api/user/export` and `POST /api/user/import`: the whole account as a ZIP of
//! `data.json` (shape and checks in `mirubato_core::account_data`) and the user's own files,
//! and `data.json` read back into an account.
//!
//! The ZIP is streamed: a task after the response (`wait_until`) writes it through a bounded
//! channel into the response body, a page of documents or a chunk of a file at a time, so
//! memory stays at one piece whatever the account's size. Score files come from the scores
//! worker (`SCORES` binding, `/internal/users/export` and `/internal/users/file`), recordings
//! from the api's own bucket.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use futures_channel::mpsc;
use futures_util::StreamExt;
use mirubato_core::ApiError;
use mirubato_core::account_data::{
    DATA_FILE, DataJsonWriter, ExportHead, ExportedDocument, export_file_stem, plan_import,
    recording_file_path,
};
use mirubato_core::byte_serving::{Disposition, content_disposition};
use mirubato_core::practice::iso;
use mirubato_core::sync::EntityType;
use mirubato_edge::{EdgeError, RequestContext, json, now, post_internal};
use serde::Deserialize;
use serde_json::{Value, json};
use worker::{ByteStream, Env, Headers, Response, query};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::DB;
use crate::documents::write_and_notify;
use crate::recordings::RECORDINGS;
use crate::session::authenticate;
use crate::store::{find_user, read_document};

/// Documents read from D1 per query while writing `data.json`.
const DOCUMENTS_PER_PAGE: u32 = 200;
const SCORES: &str = "SCORES";

/// Where the ZIP writer writes: a buffer the task empties into the response after each piece.
#[derive(Clone, Default)]
struct Pending(Rc<RefCell<Vec<u8>>>);

impl Write for Pending {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

type Chunk = Result<Vec<u8>, worker::Error>;

/// Why the export stopped after its response had begun (logged; the client sees a cut
/// download, as with any broken transfer).
#[derive(Debug, thiserror::Error)]
enum ExportError {
    #[error("the client went away")]
    Gone,
    #[error("zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Edge(#[from] EdgeError),
    #[error("{0}")]
    Runtime(#[from] worker::Error),
}

/// The task's side of the response body.
struct Body {
    /// `None` once finished.
    zip: Option<ZipWriter<zip::write::StreamWriter<Pending>>>,
    pending: Pending,
    tx: mpsc::Sender<Chunk>,
}

impl Body {
    /// Hands what the ZIP writer produced to the response, waiting while the client is
    /// slower than we are (the channel holds one piece).
    async fn flush(&mut self) -> Result<(), ExportError> {
        let bytes = std::mem::take(&mut *self.pending.0.borrow_mut());
        if bytes.is_empty() {
            return Ok(());
        }
        futures_util::future::poll_fn(|cx| self.tx.poll_ready(cx))
            .await
            .map_err(|_| ExportError::Gone)?;
        self.tx.start_send(Ok(bytes)).map_err(|_| ExportError::Gone)
    }

    fn zip(&mut self) -> Result<&mut ZipWriter<zip::write::StreamWriter<Pending>>, ExportError> {
        self.zip
            .as_mut()
            .ok_or(ExportError::Zip(zip::result::ZipError::FileNotFound))
    }

    /// Ends the response body with an error (when the client is still there).
    async fn fail(&mut self) {
        if futures_util::future::poll_fn(|cx| self.tx.poll_ready(cx))
            .await
            .is_ok()
        {
            let _ = self
                .tx
                .start_send(Err(worker::Error::RustError("export stopped".into())));
        }
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), ExportError> {
        self.zip()?.write_all(bytes)?;
        self.flush().await
    }

    fn start(&mut self, path: &str) -> Result<(), ExportError> {
        // Stored: PDFs and audio are compressed already, and the worker's CPU is better
        // spent elsewhere; ZIP64 sizes, so a file over 4 GB cannot break the archive.
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .large_file(true);
        Ok(self.zip()?.start_file(path, options)?)
    }

    /// Writes the central directory and hands the rest to the response.
    async fn finish(&mut self) -> Result<(), ExportError> {
        if let Some(zip) = self.zip.take() {
            zip.finish()?;
        }
        self.flush().await
    }

    /// One file of the ZIP from a byte stream.
    async fn copy(&mut self, path: &str, mut stream: ByteStream) -> Result<(), ExportError> {
        self.start(path)?;
        while let Some(chunk) = stream.next().await {
            self.write(&chunk?).await?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct RecordingRow {
    id: String,
    r2_key: String,
    content_type: String,
    size: i64,
    created_at: String,
}

#[derive(Deserialize)]
struct DocumentRow {
    entity_type: String,
    entity_id: String,
    data: String,
    version: i64,
    device_id: Option<String>,
    updated_at: String,
    deleted_at: Option<String>,
    seq: i64,
}

/// A score file to copy: its R2 key in the scores bucket and its path in the ZIP.
#[derive(Deserialize)]
struct ScoreFile {
    key: String,
    path: String,
}

/// Everything the task needs, gathered before the response starts (so a failure there is
/// still a proper error answer).
struct Export {
    env: Env,
    user_id: String,
    request_id: String,
    head: String,
    recordings: Vec<(String, String)>,
    score_files: Vec<ScoreFile>,
}

impl Export {
    async fn run(self, body: &mut Body) -> Result<(), ExportError> {
        let db = self.env.d1(DB)?;
        body.start(DATA_FILE)?;
        body.write(self.head.as_bytes()).await?;
        let mut writer = DataJsonWriter::default();
        let mut cursor = (String::new(), 0_i64);
        loop {
            let rows: Vec<DocumentRow> = query!(
                &db,
                "SELECT entity_type, entity_id, data, version, device_id, updated_at, deleted_at, seq \
                 FROM sync_data WHERE user_id = ?1 AND (entity_type > ?2 OR (entity_type = ?2 AND seq > ?3)) \
                 ORDER BY entity_type, seq LIMIT ?4",
                &self.user_id,
                &cursor.0,
                cursor.1,
                DOCUMENTS_PER_PAGE
            )
            .map_err(EdgeError::from)?
            .all()
            .await?
            .results()?;
            let mut piece = String::new();
            for row in &rows {
                let document = ExportedDocument {
                    id: row.entity_id.clone(),
                    data: serde_json::from_str(&row.data).unwrap_or(Value::Null),
                    version: row.version,
                    device_id: row.device_id.clone(),
                    stored_at: Some(row.updated_at.clone()),
                    deleted_at: row.deleted_at.clone(),
                };
                piece.push_str(&writer.document(&row.entity_type, &document));
            }
            body.write(piece.as_bytes()).await?;
            match rows.last() {
                Some(last) if rows.len() == DOCUMENTS_PER_PAGE as usize => {
                    cursor = (last.entity_type.clone(), last.seq);
                }
                _ => break,
            }
        }
        body.write(writer.tail().as_bytes()).await?;

        let bucket = self.env.bucket(RECORDINGS)?;
        for (key, path) in &self.recordings {
            // A recording whose object is gone (deleted meanwhile) is left out.
            let Some(object) = bucket.get(key).execute().await? else {
                continue;
            };
            let Some(stream) = object.body().map(|body| body.stream()).transpose()? else {
                continue;
            };
            body.copy(path, stream).await?;
        }
        for file in &self.score_files {
            let request = json!({ "userId": self.user_id, "key": file.key });
            let mut answer = post_internal(
                &self.env,
                SCORES,
                "/internal/users/file",
                &request,
                Some(&self.request_id),
            )
            .await?;
            match answer.status_code() {
                200 => body.copy(&file.path, answer.stream()?).await?,
                // Deleted since the listing.
                404 => {}
                status => {
                    return Err(EdgeError::from(ApiError::Unavailable(format!(
                        "scores answered {status} for a file"
                    )))
                    .into());
                }
            }
        }
        body.finish().await
    }
}

/// The user's library from the scores worker (before the response starts: 503 when the
/// scores worker cannot answer, rather than an export without the scores).
async fn library(env: &Env, user_id: &str, request_id: &str) -> Result<Value, EdgeError> {
    let mut answer = post_internal(
        env,
        SCORES,
        "/internal/users/export",
        &json!({ "userId": user_id }),
        Some(request_id),
    )
    .await
    .map_err(|err| ApiError::Unavailable(format!("scores unreachable: {err}")))?;
    if answer.status_code() != 200 {
        return Err(ApiError::Unavailable(format!(
            "scores answered {} to an export",
            answer.status_code()
        ))
        .into());
    }
    Ok(answer.json().await?)
}

#[utoipa::path(get, path = "/api/user/export", security(("bearer" = [])),
    responses((status = 200, content_type = "application/zip",
        description = "data.json, scores/<id>.pdf (or page images), recordings/<id>.<ext>"),
        (status = 401), (status = 429), (status = 503)))]
pub async fn export(ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    let user = find_user(&db, &claims.sub)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("This account no longer exists".into()))?;
    let mut library = library(&ctx.env, &user.id, &ctx.request_id).await?;
    // The files go into the ZIP; data.json names each score's files by their ZIP path.
    let mut score_files = Vec::new();
    if let Some(scores) = library["scores"].as_array_mut() {
        for score in scores {
            let files: Vec<ScoreFile> =
                serde_json::from_value(score["files"].take()).unwrap_or_default();
            score["files"] = files
                .iter()
                .map(|file| Value::from(file.path.as_str()))
                .collect();
            score_files.extend(files);
        }
    }
    let rows: Vec<RecordingRow> = query!(
        &db,
        "SELECT id, r2_key, content_type, size, created_at FROM recordings \
         WHERE user_id = ?1 ORDER BY created_at",
        &user.id
    )?
    .all()
    .await?
    .results()?;
    let recordings: Vec<Value> = rows
        .iter()
        .map(|row| {
            json!({
                "id": row.id, "contentType": row.content_type, "size": row.size,
                "createdAt": row.created_at,
                "file": recording_file_path(&row.id, &row.content_type),
            })
        })
        .collect();
    let preferences = read_document(&db, &user.id, EntityType::UserPreferences, &user.id)
        .await?
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .unwrap_or_else(|| json!({}));
    let at = now();
    let exported_at = iso(at);
    let profile = serde_json::to_value(&user).map_err(ApiError::internal)?;
    let head = DataJsonWriter::head(&ExportHead {
        exported_at: &exported_at,
        profile: &profile,
        preferences: &preferences,
        recordings: &recordings,
        library: &library,
    });
    let export = Export {
        env: ctx.env.clone(),
        user_id: user.id.clone(),
        request_id: ctx.request_id.clone(),
        head,
        recordings: rows
            .iter()
            .map(|row| {
                (
                    row.r2_key.clone(),
                    recording_file_path(&row.id, &row.content_type),
                )
            })
            .collect(),
        score_files,
    };
    let (tx, rx) = mpsc::channel::<Chunk>(1);
    let pending = Pending::default();
    let mut body = Body {
        zip: Some(ZipWriter::new_stream(pending.clone())),
        pending,
        tx,
    };
    let request_id = ctx.request_id.clone();
    ctx.worker.wait_until(async move {
        if let Err(err) = export.run(&mut body).await {
            worker::console_error!(
                "{}",
                json!({"level": "error", "message": "export stopped", "requestId": request_id,
                       "error": err.to_string()})
            );
            // The body ends in an error, so the client sees a failed download, not a
            // complete-looking ZIP.
            body.fail().await;
        }
    });
    ctx.count("recordingsExported", rows.len() as u64);
    let headers = Headers::new();
    headers.set("Content-Type", "application/zip")?;
    headers.set(
        "Content-Disposition",
        &content_disposition(
            Disposition::Attachment,
            &export_file_stem(&exported_at[..10]),
            "zip",
        ),
    )?;
    headers.set("Cache-Control", "private, no-store")?;
    Ok(Response::from_stream(rx)?.with_headers(headers))
}

#[utoipa::path(post, path = "/api/user/import", security(("bearer" = [])),
    request_body(content = Value, description = "the data.json of an export"),
    responses((status = 200, description = "{imported, unchanged, stale, skipped}"),
        (status = 400), (status = 401), (status = 413), (status = 429)))]
/// Reads an export's `data.json` into the caller's account under the merge rule, so an
/// import into an empty account restores it, and importing the same file again changes
/// nothing.
pub async fn import(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let body = ctx
        .body_bytes(mirubato_core::account_data::MAX_IMPORT_BYTES as u64)
        .await?;
    let plan = plan_import(&body, &claims.sub)?;
    let db = ctx.env.d1(DB)?;
    let outcome = write_and_notify(&ctx, &db, &claims.sub, plan.writes, now()).await?;
    ctx.count("documentsImported", outcome.applied.len() as u64);
    json(&json!({
        "success": true,
        "imported": outcome.applied.len(),
        "unchanged": outcome.duplicates.len(),
        "stale": outcome.stale.len(),
        "skipped": plan.skipped,
    }))
}
