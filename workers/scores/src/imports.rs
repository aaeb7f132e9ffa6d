//! `/api/import*`: PDFs by URL or data URL, multipart upload, IMSLP links (one or a batch),
//! and page images. Every path checks its input, stores the file in R2, inserts the score as
//! `pending` and enqueues its processing; `GET /api/import/:id` shows the progress.

use futures_util::StreamExt;
use mirubato_core::ApiError;
use mirubato_core::score_id::generate_score_id;
use mirubato_core::scores::import::{
    ImportSource, MAX_BATCH_URLS, MAX_PDF_BYTES, check_pdf, clean_file_name, import_source,
    new_score_id, page_images, remote_url, slugify, title_from_name, url_import_body_limit,
};
use mirubato_core::scores::imslp::{self, ImslpLink};
use mirubato_core::scores::model::{SCORE_COLUMNS, ScoreRow, SqlValue, Visibility};
use mirubato_core::scores::upkeep::import_health;
use mirubato_edge::{EdgeError, RequestContext, json, json_with_status};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;
use worker::{
    ByteStream, D1Database, Env, Fetch, FormEntry, Headers, HttpMetadata, Method, MultipartUpload,
    Request, RequestInit, RequestRedirect, Response, UploadedPart,
};

use crate::limits::{Admission, admit};
use crate::processing::Job;
use crate::store::{
    AI_BINDING, BUCKET, DB, IMMUTABLE, PDF_QUEUE, find_score, first, imslp_site, insert, now_iso,
    put_object, text, user, viewer,
};

const USER_AGENT: &str = "Mirubato-Scores-Service/1.1.0";
/// JSON bodies carrying a base64 PDF or images: the largest file, grown by base64, plus room.
const MAX_IMPORT_BODY: u64 = (MAX_PDF_BYTES as u64) * 4 / 3 + 64 * 1024;
/// Redirects followed (each hop is checked like the first URL).
const MAX_REDIRECTS: usize = 3;

/// R2 multipart parts of a PDF streamed from a link: R2's 5 MiB minimum and more, and the
/// most of the file a link import holds in memory at once.
const STREAM_PART_BYTES: usize = 8 * 1024 * 1024;

/// The file of an import: in memory (uploads, data URLs), or already streamed into R2 at the
/// score's key (links).
pub enum PdfBody {
    Bytes(Vec<u8>),
    Stored { size: u64 },
}

/// What an import knows before processing.
pub struct NewScore {
    pub body: PdfBody,
    pub r2_key: String,
    pub id: String,
    pub title: Option<String>,
    pub composer: Option<String>,
    pub fallback_title: String,
    pub source: &'static str,
    pub source_url: Option<String>,
    pub imslp_url: Option<String>,
    pub owner: Option<String>,
    pub visibility: Option<Visibility>,
    /// The row already exists as a batch import's placeholder (same id), to be filled in.
    pub fills_placeholder: bool,
}

impl NewScore {
    pub fn new(bytes: Vec<u8>, file_name: &str, owner: Option<String>) -> Self {
        Self::with_id(new_score_id(), PdfBody::Bytes(bytes), file_name, owner)
    }

    /// The file of the batch import whose placeholder row is `id`, to be filled in.
    fn for_placeholder(id: &str, body: PdfBody, file_name: &str, owner: Option<String>) -> Self {
        Self {
            fills_placeholder: true,
            ..Self::with_id(id.to_string(), body, file_name, owner)
        }
    }

    fn with_id(id: String, body: PdfBody, file_name: &str, owner: Option<String>) -> Self {
        Self {
            r2_key: import_key(&id, file_name),
            id,
            body,
            title: None,
            composer: None,
            fallback_title: title_from_name(file_name).unwrap_or_else(|| "Untitled score".into()),
            source: "manual",
            source_url: None,
            imslp_url: None,
            owner,
            visibility: None,
            fills_placeholder: false,
        }
    }
}

/// The R2 key of an imported file.
fn import_key(id: &str, file_name: &str) -> String {
    format!("imports/{id}/{}", clean_file_name(file_name))
}

/// Stores the PDF (unless it was streamed into R2 already), inserts the `pending` score,
/// enqueues processing; returns the response data.
pub async fn store_pdf(env: &Env, score: NewScore) -> Result<Value, EdgeError> {
    let bucket = env.bucket(BUCKET)?;
    let db = env.d1(DB)?;
    let size = match score.body {
        PdfBody::Bytes(bytes) => {
            check_pdf(&bytes)?;
            let size = bytes.len() as i64;
            put_object(
                &bucket,
                &score.r2_key,
                bytes,
                "application/pdf",
                Some(IMMUTABLE),
            )
            .await?;
            size
        }
        PdfBody::Stored { size } => size as i64,
    };
    let title_from_user = score.title.is_some();
    // The file-name title stays on record: processing falls back to it when the PDF's own
    // title is worse (core::scores::title).
    let file_title = score.fallback_title.clone();
    let title = score.title.unwrap_or(score.fallback_title);
    let composer = score.composer.unwrap_or_else(|| "Unknown".into());
    // Anonymous imports have no owner, so they are public; a user's imports start private.
    let visibility = score.visibility.unwrap_or(if score.owner.is_some() {
        Visibility::Private
    } else {
        Visibility::Public
    });
    let now = now_iso();
    let mut columns = identity_columns(&score.id, &title, &composer);
    columns.extend([
        ("source", text(score.source)),
        ("source_type", text("pdf")),
        ("source_url", score.source_url.clone().into()),
        ("imslp_url", score.imslp_url.clone().into()),
        (
            "metadata",
            SqlValue::Text(
                json!({ "titleFromUser": title_from_user, "fileTitle": file_title }).to_string(),
            ),
        ),
        ("r2_key", text(&score.r2_key)),
        (
            "pdf_url",
            SqlValue::Text(format!("/api/scores/{}/download/pdf", score.id)),
        ),
        ("file_size_bytes", SqlValue::Integer(size)),
        ("user_id", score.owner.clone().into()),
        ("visibility", text(visibility.as_str())),
        ("imported_at", text(&now)),
        ("created_at", text(&now)),
        ("updated_at", text(&now)),
    ]);
    if score.fills_placeholder {
        // Owner, visibility and creation stay as the batch import set them. A placeholder
        // deleted meanwhile takes the file with it: the import was withdrawn.
        let filled: Vec<(&str, SqlValue)> = columns
            .into_iter()
            .filter(|(name, _)| !matches!(*name, "id" | "user_id" | "visibility" | "created_at"))
            .collect();
        if !fill_placeholder(&db, &score.id, &filled).await? {
            bucket.delete(&score.r2_key).await?;
            return Err(ApiError::not_found("The import was deleted before it finished").into());
        }
    } else {
        insert(&db, "scores", &columns).await?;
    }
    enqueue(
        env,
        Job::Process {
            score_id: score.id.clone(),
        },
    )
    .await?;
    answer(&ImportAnswer {
        id: &score.id,
        slug: &slugify(&title, None),
        title: &title,
        composer: &composer,
        visibility: visibility.as_str(),
        pdf_url: Some(&format!("/api/scores/{}/download/pdf", score.id)),
        processing_status: "pending",
        duplicate: false,
    })
}

/// What an import of a PDF answers: the score it made (or, `duplicate`, found).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImportAnswer<'a> {
    id: &'a str,
    slug: &'a str,
    title: &'a str,
    composer: &'a str,
    visibility: &'a str,
    pdf_url: Option<&'a str>,
    processing_status: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    duplicate: bool,
}

fn answer(data: &ImportAnswer) -> Result<Value, EdgeError> {
    Ok(serde_json::to_value(data).map_err(ApiError::internal)?)
}

/// The columns that name a new score: its id, title, composer, and what derives from them.
fn identity_columns(id: &str, title: &str, composer: &str) -> Vec<(&'static str, SqlValue)> {
    vec![
        ("id", text(id)),
        ("title", text(title)),
        ("composer", text(composer)),
        ("slug", SqlValue::Text(slugify(title, None))),
        (
            "normalized_id",
            SqlValue::Text(generate_score_id(title, Some(composer))),
        ),
    ]
}

/// Sets the columns of a batch import's placeholder row; false when it no longer exists.
async fn fill_placeholder(
    db: &D1Database,
    id: &str,
    columns: &[(&str, SqlValue)],
) -> Result<bool, EdgeError> {
    let assignments: Vec<String> = columns
        .iter()
        .map(|(name, _)| format!("{name} = ?"))
        .collect();
    let mut values: Vec<SqlValue> = columns.iter().map(|(_, value)| value.clone()).collect();
    values.push(text(id));
    let filled: Option<Value> = first(
        db,
        &format!(
            "UPDATE scores SET {} WHERE id = ? AND r2_key IS NULL RETURNING id",
            assignments.join(", ")
        ),
        &values,
    )
    .await?;
    Ok(filled.is_some())
}

pub async fn enqueue(env: &Env, job: Job) -> Result<(), EdgeError> {
    env.queue(PDF_QUEUE)?.send(job).await?;
    Ok(())
}

/// Whose link a fetch follows, which decides what a server that cannot be reached means.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum LinkFrom {
    /// A URL the caller typed: most likely a mistake in it (400).
    Caller,
    /// IMSLP's: an outage to wait out (502, and a queued import retries).
    Imslp,
}

/// Fetches `url` with our user agent, following up to `MAX_REDIRECTS` redirects, each target
/// checked like the first URL. A server that answers 5xx or 429 failed for now (502,
/// `Upstream`); so does one that cannot be reached when the link is IMSLP's. Any other
/// answer but 200 is a 400.
async fn fetch_ok(
    url: Url,
    allow_loopback: bool,
    from: LinkFrom,
    what: &str,
) -> Result<Response, EdgeError> {
    let mut url = url;
    for _ in 0..=MAX_REDIRECTS {
        let headers = Headers::new();
        headers.set("User-Agent", USER_AGENT)?;
        let mut init = RequestInit::new();
        init.with_method(Method::Get)
            .with_headers(headers)
            .with_redirect(RequestRedirect::Manual);
        let request = Request::new_with_init(url.as_str(), &init)?;
        let host = url.host_str().unwrap_or("?").to_string();
        let response = Fetch::Request(request).send().await.map_err(|_| {
            let message = format!("Failed to fetch {what} from {host}");
            match from {
                LinkFrom::Caller => ApiError::validation(message),
                LinkFrom::Imslp => {
                    ApiError::Upstream(format!("{message}: it could not be reached"))
                }
            }
        })?;
        let status = response.status_code();
        if (300..400).contains(&status) {
            let location = response.headers().get("Location")?.ok_or_else(|| {
                ApiError::validation(format!(
                    "Failed to fetch {what}: redirect without a location"
                ))
            })?;
            let next = url.join(&location).map_err(|_| {
                ApiError::validation(format!("Failed to fetch {what}: bad redirect"))
            })?;
            url = remote_url(next.as_str(), allow_loopback)?;
            continue;
        }
        if status >= 500 || status == 429 {
            return Err(ApiError::Upstream(format!(
                "Failed to fetch {what}: {host} answered {status}; try again later"
            ))
            .into());
        }
        if status != 200 {
            return Err(ApiError::validation(format!(
                "Failed to fetch {what}: the server answered {status}"
            ))
            .into());
        }
        return Ok(response);
    }
    Err(ApiError::validation(format!("Failed to fetch {what}: too many redirects")).into())
}

/// Fetches a PDF link straight into R2 at `key`, in parts of `STREAM_PART_BYTES`, so at
/// most one part is ever in memory; returns its size. Refused, with nothing left in R2, when
/// it does not start like a PDF or passes `MAX_PDF_BYTES` (checked on the bytes as they
/// arrive: a server that declares no length, or a wrong one, is cut off at the limit).
pub async fn fetch_pdf_into(
    env: &Env,
    url: Url,
    allow_loopback: bool,
    from: LinkFrom,
    key: &str,
) -> Result<u64, EdgeError> {
    let mut response = fetch_ok(url, allow_loopback, from, "PDF").await?;
    let declared = response
        .headers()
        .get("Content-Length")?
        .and_then(|len| len.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_PDF_BYTES as u64) {
        return Err(ApiError::PayloadTooLarge {
            limit_bytes: MAX_PDF_BYTES as u64,
        }
        .into());
    }
    let body = response.stream()?;
    let bucket = env.bucket(BUCKET)?;
    let upload = bucket
        .create_multipart_upload(key)
        .http_metadata(HttpMetadata {
            content_type: Some("application/pdf".into()),
            cache_control: Some(IMMUTABLE.into()),
            ..HttpMetadata::default()
        })
        .execute()
        .await?;
    let streamed = stream_parts(&upload, body).await;
    match streamed {
        Ok((parts, size)) => {
            upload.complete(parts).await?;
            Ok(size)
        }
        Err(err) => {
            // An aborted upload leaves no object and no stored parts behind.
            if let Err(abort) = upload.abort().await {
                worker::console_warn!("aborting the upload of {key} failed: {abort}");
            }
            Err(err)
        }
    }
}

/// Copies `body` into `upload`'s parts (all `STREAM_PART_BYTES` but the last, as R2
/// requires); returns the parts and the total size.
async fn stream_parts(
    upload: &MultipartUpload,
    mut body: ByteStream,
) -> Result<(Vec<UploadedPart>, u64), EdgeError> {
    let mut parts = Vec::new();
    let mut buffer: Vec<u8> = Vec::new();
    let mut size: u64 = 0;
    let mut checked = false;
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        size += chunk.len() as u64;
        if size > MAX_PDF_BYTES as u64 {
            return Err(ApiError::PayloadTooLarge {
                limit_bytes: MAX_PDF_BYTES as u64,
            }
            .into());
        }
        buffer.extend_from_slice(&chunk);
        if !checked && buffer.len() >= PDF_MAGIC_BYTES {
            not_a_pdf_link(check_pdf(&buffer))?;
            checked = true;
        }
        while buffer.len() >= STREAM_PART_BYTES {
            let rest = buffer.split_off(STREAM_PART_BYTES);
            let number = u16::try_from(parts.len() + 1).map_err(ApiError::internal)?;
            parts.push(
                upload
                    .upload_part(number, std::mem::replace(&mut buffer, rest))
                    .await?,
            );
        }
    }
    if !checked {
        not_a_pdf_link(check_pdf(&buffer))?;
    }
    if !buffer.is_empty() || parts.is_empty() {
        let number = u16::try_from(parts.len() + 1).map_err(ApiError::internal)?;
        parts.push(upload.upload_part(number, buffer).await?);
    }
    Ok((parts, size))
}

/// Bytes enough to tell a PDF by its `%PDF-` header.
const PDF_MAGIC_BYTES: usize = 5;

/// A link that is not a PDF is the caller's bad input, said in their terms.
fn not_a_pdf_link(checked: Result<(), ApiError>) -> Result<(), ApiError> {
    checked.map_err(|err| match err {
        ApiError::Validation { .. } => ApiError::validation("URL does not point to a PDF file"),
        other => other,
    })
}

fn allow_loopback(ctx: &RequestContext) -> bool {
    ctx.config.environment.is_local()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UrlImport {
    url: String,
    filename: Option<String>,
    title: Option<String>,
    composer: Option<String>,
}

/// The caller and their admission under the import limit. A presented token is verified
/// first (a bad token is a 401, never anonymous).
async fn admitted(
    ctx: &RequestContext,
    signed_in_only: bool,
) -> Result<(Option<String>, Admission), EdgeError> {
    let caller = if signed_in_only {
        Some(user(ctx).await?)
    } else {
        viewer(ctx).await?
    };
    let admission = admit(ctx, caller.as_deref()).await?;
    Ok((caller, admission))
}

/// How an import arrived, as the `score_imported` event reports it.
#[derive(Clone, Copy)]
enum ImportKind {
    Url,
    Upload,
    Images,
    Imslp,
    Batch,
}

impl ImportKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Url => "url",
            Self::Upload => "upload",
            Self::Images => "images",
            Self::Imslp => "imslp",
            Self::Batch => "batch",
        }
    }
}

/// Records the import's outcome under the limit and, once accepted, the `score_imported`
/// event (detail: the kind; value: the scores accepted, or queued for a batch); then answers
/// 201 or the error.
async fn finish(
    ctx: &RequestContext,
    admission: Admission,
    kind: ImportKind,
    result: Result<Value, EdgeError>,
) -> Result<Response, EdgeError> {
    admission.settle(ctx, &result).await?;
    let data = result?;
    let existing = data.get("duplicate") == Some(&Value::Bool(true));
    let accepted = match data.get("results").and_then(Value::as_array) {
        Some(results) => results
            .iter()
            .filter(|item| item["status"] == "queued")
            .count(),
        None => usize::from(!existing),
    };
    if accepted > 0 {
        mirubato_edge::event(ctx, "score_imported", &[kind.as_str()], &[accepted as f64]);
    }
    let status = if existing { 200 } else { 201 };
    json_with_status(&json!({ "success": true, "data": data }), status)
}

/// The caller's earlier import of the same IMSLP link that has not failed (for anonymous
/// callers, an earlier anonymous one): imports of IMSLP links are de-duplicated.
async fn earlier_import(
    env: &Env,
    link: &ImslpLink,
    owner: Option<&str>,
) -> Result<Option<ScoreRow>, EdgeError> {
    first(
        &env.d1(DB)?,
        &format!(
            "SELECT {SCORE_COLUMNS} FROM scores WHERE imslp_url = ?1 AND processing_status <> 'failed' \
             AND user_id IS ?2 ORDER BY created_at LIMIT 1"
        ),
        &[text(link.url().as_str()), owner.map(str::to_string).into()],
    )
    .await
}

/// `GET /api/import/health`: what the import pipeline has to work with here.
pub async fn health(ctx: RequestContext) -> Result<Response, EdgeError> {
    json(&import_health(
        ctx.env.ai(AI_BINDING).is_ok(),
        crate::browser::configured(&ctx.env),
    ))
}

fn optional_text(
    value: Option<String>,
    field: &str,
    max: usize,
) -> Result<Option<String>, ApiError> {
    match value.map(|v| v.trim().to_string()) {
        Some(v) if v.is_empty() || v.chars().count() > max => Err(ApiError::validation(format!(
            "{field} must be 1 to {max} characters"
        ))),
        other => Ok(other),
    }
}

/// `POST /api/import`: `{url}` with an https URL or a `data:application/pdf;base64,…` URL.
pub async fn import_url(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let (caller, admission) = admitted(&ctx, false).await?;
    let result = import_url_checked(&mut ctx, caller).await;
    finish(&ctx, admission, ImportKind::Url, result).await
}

async fn import_url_checked(
    ctx: &mut RequestContext,
    owner: Option<String>,
) -> Result<Value, EdgeError> {
    let body: UrlImport = ctx
        .json_value_with_limit(url_import_body_limit(owner.is_some()))
        .await?;
    let title = optional_text(body.title, "title", 300)?;
    let composer = optional_text(body.composer, "composer", 200)?;
    let id = new_score_id();
    let (body, name, source_url) = match import_source(&body.url, allow_loopback(ctx))? {
        ImportSource::Inline(bytes) => (
            PdfBody::Bytes(bytes),
            body.filename.unwrap_or_else(|| "upload.pdf".into()),
            None,
        ),
        ImportSource::Remote(url) => {
            let name = body.filename.unwrap_or_else(|| url.path().to_string());
            let key = import_key(&id, &name);
            let loopback = allow_loopback(ctx);
            let size =
                fetch_pdf_into(&ctx.env, url.clone(), loopback, LinkFrom::Caller, &key).await?;
            (PdfBody::Stored { size }, name, Some(url.to_string()))
        }
    };
    let mut score = NewScore::with_id(id, body, &name, owner);
    score.title = title;
    score.composer = composer;
    score.source_url = source_url;
    store_pdf(&ctx.env, score).await
}

/// `POST /api/import/pdf`: multipart `file` (a PDF) and optional `metadata` JSON
/// (`title`, `composer`, `visibility`).
pub async fn import_multipart(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let (caller, admission) = admitted(&ctx, false).await?;
    let result = import_multipart_checked(&mut ctx, caller).await;
    finish(&ctx, admission, ImportKind::Upload, result).await
}

async fn import_multipart_checked(
    ctx: &mut RequestContext,
    owner: Option<String>,
) -> Result<Value, EdgeError> {
    let declared = ctx
        .header("Content-Length")
        .and_then(|len| len.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_PDF_BYTES as u64 + 64 * 1024) {
        return Err(ApiError::PayloadTooLarge {
            limit_bytes: MAX_PDF_BYTES as u64,
        }
        .into());
    }
    // The runtime reads a form whole before we see it, so a form without a declared length
    // (chunked) could not be stopped at the limit: it is refused before any byte is read.
    if declared.is_none() {
        return Err(ApiError::PayloadTooLarge {
            limit_bytes: MAX_PDF_BYTES as u64,
        }
        .into());
    }
    let is_multipart = ctx
        .header("Content-Type")
        .is_some_and(|kind| kind.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !is_multipart {
        return Err(
            ApiError::UnsupportedMediaType("Send the PDF as multipart/form-data".into()).into(),
        );
    }
    let form = ctx
        .req
        .form_data()
        .await
        .map_err(|_| ApiError::validation("Invalid multipart body"))?;
    let Some(FormEntry::File(file)) = form.get("file") else {
        return Err(ApiError::validation("A file field with a PDF is required").into());
    };
    if file.size() > MAX_PDF_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit_bytes: MAX_PDF_BYTES as u64,
        }
        .into());
    }
    let metadata: Value = match form.get_field("metadata") {
        Some(raw) => {
            serde_json::from_str(&raw).map_err(|_| ApiError::validation("metadata must be JSON"))?
        }
        None => json!({}),
    };
    let field = |key: &str, max: usize| {
        optional_text(
            metadata
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_string),
            key,
            max,
        )
    };
    let visibility = match metadata.get("visibility").and_then(Value::as_str) {
        None => None,
        Some(raw) => Some(
            Visibility::parse(raw).ok_or_else(|| ApiError::validation("visibility is invalid"))?,
        ),
    };
    if visibility.is_some() && owner.is_none() {
        return Err(ApiError::validation("Only signed-in users choose a visibility").into());
    }
    let bytes = file.bytes().await?;
    let mut score = NewScore::new(bytes, &file.name(), owner);
    score.r2_key = format!("scores/{}/original.pdf", score.id);
    score.title = field("title", 300)?;
    score.composer = field("composer", 200)?;
    score.source = "upload";
    score.visibility = visibility;
    store_pdf(&ctx.env, score).await
}

#[derive(Deserialize)]
struct LinkImport {
    url: String,
}

/// Imports an IMSLP link: a PDF link directly, a work page through its first PDF link (title
/// and composer from the page). `placeholder` names the row a batch import created for it.
pub async fn import_imslp_link(
    env: &Env,
    link: ImslpLink,
    owner: Option<String>,
    placeholder: Option<&str>,
) -> Result<Value, EdgeError> {
    let site = imslp_site(env);
    let loopback = site.allows_loopback();
    let (pdf_url, title, composer) = match &link {
        ImslpLink::Pdf(url) => (url.clone(), None, None),
        ImslpLink::Page(page) => {
            let html = match crate::browser::rendered_html(env, page).await {
                Some(html) => html,
                None => fetch_text(page, loopback).await?,
            };
            let (title, composer) =
                imslp::work_title(&html).map_or((None, None), |(t, c)| (Some(t), c));
            let first = site
                .pdf_links(&imslp::page_links(&html, page))
                .into_iter()
                .next()
                .ok_or_else(|| ApiError::validation("The IMSLP page links no PDF file"))?;
            (first, title, composer)
        }
    };
    let id = placeholder.map_or_else(new_score_id, str::to_string);
    let key = import_key(&id, pdf_url.path());
    let size = fetch_pdf_into(env, pdf_url.clone(), loopback, LinkFrom::Imslp, &key).await?;
    let body = PdfBody::Stored { size };
    let mut score = match placeholder {
        Some(_) => NewScore::for_placeholder(&id, body, pdf_url.path(), owner),
        None => NewScore::with_id(id, body, pdf_url.path(), owner),
    };
    score.title = title;
    score.composer = composer;
    score.source = "imslp";
    score.source_url = Some(pdf_url.to_string());
    score.imslp_url = Some(link.url().to_string());
    store_pdf(env, score).await
}

async fn fetch_text(url: &Url, allow_loopback: bool) -> Result<String, EdgeError> {
    let mut response = fetch_ok(
        url.clone(),
        allow_loopback,
        LinkFrom::Imslp,
        "the IMSLP page",
    )
    .await?;
    Ok(response.text().await?)
}

/// `POST /api/import/imslp`: `{url}`, an IMSLP work page or PDF link.
pub async fn import_imslp(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let (caller, admission) = admitted(&ctx, false).await?;
    let result = import_imslp_checked(&mut ctx, caller).await;
    finish(&ctx, admission, ImportKind::Imslp, result).await
}

async fn import_imslp_checked(
    ctx: &mut RequestContext,
    owner: Option<String>,
) -> Result<Value, EdgeError> {
    let body: LinkImport = ctx.json_value_with_limit(16 * 1024).await?;
    let link = imslp_site(&ctx.env).classify(&body.url)?;
    if let Some(score) = earlier_import(&ctx.env, &link, owner.as_deref()).await? {
        return answer(&ImportAnswer {
            id: &score.id,
            slug: &score.slug,
            title: &score.title,
            composer: &score.composer,
            visibility: &score.visibility,
            pdf_url: score.pdf_url.as_deref(),
            processing_status: &score.processing_status,
            duplicate: true,
        });
    }
    import_imslp_link(&ctx.env, link, owner, None).await
}

#[derive(Deserialize)]
struct BatchImport {
    urls: Vec<String>,
}

#[derive(Serialize)]
struct BatchItem {
    url: String,
    status: &'static str,
    /// The queued import's score, whose progress `GET /api/import/:id` shows.
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// `POST /api/import/batch`: `{urls}` (1 to 10 IMSLP links), each queued for import; links
/// that are not IMSLP's are reported `failed`. Signed-in users only (the queue imports on
/// their behalf).
pub async fn import_batch(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let (caller, admission) = admitted(&ctx, true).await?;
    let result = import_batch_checked(&mut ctx, caller).await;
    finish(&ctx, admission, ImportKind::Batch, result).await
}

async fn import_batch_checked(
    ctx: &mut RequestContext,
    owner: Option<String>,
) -> Result<Value, EdgeError> {
    let body: BatchImport = ctx.json_value_with_limit(64 * 1024).await?;
    if body.urls.is_empty() {
        return Err(ApiError::validation("urls must list 1 to 10 links").into());
    }
    if body.urls.len() > MAX_BATCH_URLS {
        return Err(ApiError::TooManyItems {
            limit: MAX_BATCH_URLS,
            count: body.urls.len(),
        }
        .into());
    }
    let site = imslp_site(&ctx.env);
    let mut results = Vec::new();
    for url in body.urls {
        let item = match site.classify(&url) {
            Ok(link) => match earlier_import(&ctx.env, &link, owner.as_deref()).await? {
                Some(score) => BatchItem {
                    url,
                    status: "exists",
                    id: Some(score.id),
                    error: None,
                },
                None => {
                    let id = insert_placeholder(&ctx.env, &link, owner.as_deref()).await?;
                    enqueue(
                        &ctx.env,
                        Job::ImportImslp {
                            url: link.url().to_string(),
                            owner: owner.clone(),
                            score_id: Some(id.clone()),
                        },
                    )
                    .await?;
                    BatchItem {
                        url,
                        status: "queued",
                        id: Some(id),
                        error: None,
                    }
                }
            },
            Err(err) => BatchItem {
                url,
                status: "failed",
                id: None,
                error: Some(err.to_string()),
            },
        };
        results.push(item);
    }
    if results.iter().all(|item| item.status == "failed") {
        return Err(ApiError::Validation {
            message: "None of the links is an IMSLP link".into(),
            details: Some(json!({ "results": results })),
        }
        .into());
    }
    Ok(json!({ "results": results }))
}

/// The `pending` row of a queued IMSLP import, named after its link until the page is read,
/// so the user sees it in their library at once and can follow it to `completed` or `failed`.
async fn insert_placeholder(
    env: &Env,
    link: &ImslpLink,
    owner: Option<&str>,
) -> Result<String, EdgeError> {
    let id = new_score_id();
    let (title, composer) =
        imslp::link_title(link).unwrap_or_else(|| ("IMSLP import".into(), None));
    let composer = composer.unwrap_or_else(|| "Unknown".into());
    let now = now_iso();
    let mut columns = identity_columns(&id, &title, &composer);
    columns.extend([
        ("source", text("imslp")),
        ("source_type", text("pdf")),
        ("imslp_url", text(link.url().as_str())),
        ("user_id", owner.map(str::to_string).into()),
        ("visibility", text(Visibility::Private.as_str())),
        ("imported_at", text(&now)),
        ("created_at", text(&now)),
        ("updated_at", text(&now)),
    ]);
    insert(&env.d1(DB)?, "scores", &columns).await?;
    Ok(id)
}

#[derive(Deserialize)]
struct ImageData {
    data: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImagesImport {
    images: Vec<ImageData>,
    title: Option<String>,
    composer: Option<String>,
}

/// `POST /api/import/images`: 1 to 20 PNG/JPEG pages as data URLs (signed-in users only).
pub async fn import_images(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let (caller, admission) = admitted(&ctx, true).await?;
    let result = import_images_checked(&mut ctx, caller).await;
    finish(&ctx, admission, ImportKind::Images, result).await
}

async fn import_images_checked(
    ctx: &mut RequestContext,
    owner: Option<String>,
) -> Result<Value, EdgeError> {
    let owner = owner.ok_or_else(|| {
        ApiError::Unauthorized("Authentication required for image uploads".into())
    })?;
    let body: ImagesImport = ctx.json_value_with_limit(MAX_IMPORT_BODY).await?;
    let title = optional_text(body.title, "title", 300)?.unwrap_or_else(|| "Untitled score".into());
    let composer =
        optional_text(body.composer, "composer", 200)?.unwrap_or_else(|| "Unknown".into());
    let urls: Vec<&str> = body
        .images
        .iter()
        .map(|image| image.data.as_str())
        .collect();
    let pages = page_images(&urls)?;
    let id = new_score_id();
    let bucket = ctx.env.bucket(BUCKET)?;
    let db = ctx.env.d1(DB)?;
    let now = now_iso();
    let mut keys = Vec::new();
    for (index, page) in pages.iter().enumerate() {
        let key = format!(
            "user-uploads/{owner}/{id}/page-{}.{}",
            index + 1,
            page.extension
        );
        put_object(
            &bucket,
            &key,
            page.bytes.clone(),
            page.mime_type,
            Some(IMMUTABLE),
        )
        .await?;
        keys.push(key);
    }
    let mut columns = identity_columns(&id, &title, &composer);
    columns.extend([
        ("source", text("upload")),
        (
            "source_type",
            text(if pages.len() == 1 {
                "image"
            } else {
                "multi-image"
            }),
        ),
        (
            "metadata",
            SqlValue::Text(json!({ "titleFromUser": true }).to_string()),
        ),
        ("page_count", SqlValue::Integer(pages.len() as i64)),
        ("user_id", text(&owner)),
        ("visibility", text("private")),
        ("imported_at", text(&now)),
        ("created_at", text(&now)),
        ("updated_at", text(&now)),
    ]);
    insert(&db, "scores", &columns).await?;
    for ((index, page), key) in pages.iter().enumerate().zip(&keys) {
        insert(
            &db,
            "score_pages",
            &[
                ("id", SqlValue::Text(format!("{id}-{}", index + 1))),
                ("score_id", text(&id)),
                ("page_number", SqlValue::Integer(index as i64 + 1)),
                ("r2_key", text(key)),
                ("width", SqlValue::Integer(i64::from(page.width))),
                ("height", SqlValue::Integer(i64::from(page.height))),
                (
                    "file_size_bytes",
                    SqlValue::Integer(page.bytes.len() as i64),
                ),
                ("mime_type", text(page.mime_type)),
                ("created_at", text(&now)),
            ],
        )
        .await?;
    }
    enqueue(
        &ctx.env,
        Job::Process {
            score_id: id.clone(),
        },
    )
    .await?;
    Ok(json!({
        "id": id,
        "title": title,
        "composer": composer,
        "slug": slugify(&title, None),
        "pageCount": pages.len(),
        "visibility": "private",
        "processingStatus": "pending",
    }))
}

/// `GET /api/import/:id`: the score's processing status (public scores and the caller's own).
pub async fn status(ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = viewer(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    let id = ctx.param("id")?;
    match find_score(&db, id).await? {
        Some(score) if score.visible_to(caller.as_deref()) => {
            json(&json!({ "success": true, "data": score.view() }))
        }
        _ => Err(ApiError::not_found("Import not found").into()),
    }
}
