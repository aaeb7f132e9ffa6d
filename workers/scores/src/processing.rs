//! The `PDF_QUEUE` consumer: reads what a PDF says about itself, renders the thumbnail and
//! page previews to R2, and marks the score `completed`; failures retry with backoff, then
//! the dead-letter queue marks the score `failed` with the reason. Also the routes that serve
//! the previews.

use mirubato_core::ApiError;
use mirubato_core::dictionary::generate::answer_text;
use mirubato_core::score_id::generate_score_id;
use std::time::Duration;

use futures_util::StreamExt;
use mirubato_core::scores::analysis::{
    METADATA_MODELS, SuggestedMetadata, metadata_request, parse_metadata,
};
use mirubato_core::scores::import::slugify;
use mirubato_core::scores::model::{ScoreFile, ScoreRow, SqlValue, file_cache_control};
use mirubato_core::scores::pdf::{self, PAGE_PREVIEW_WIDTH, PdfError, PdfFile, THUMBNAIL_WIDTH};
use mirubato_core::scores::title::{TitleCandidates, choose_composer, choose_title};
use mirubato_edge::{EdgeError, RequestContext, non_negative_var};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use worker::{
    Bucket, D1Database, Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder, Response,
};

use crate::imports::import_imslp_link;
use crate::store::{
    AI_BINDING, BUCKET, DB, IMMUTABLE, find_score, imslp_site, now_iso, put_object, run, text,
    visible_score,
};

/// Pages rendered ahead of time; later pages are rendered on first request.
const PRE_RENDERED_PAGES: u32 = 10;
/// Files heavier than this per page (scans: a 300-dpi page is ~0.5 MB) get no previews ahead
/// of time: drawing one costs about a second of the isolate's CPU, which requests waiting on
/// it would feel; their previews are drawn on first request instead.
const PRE_RENDER_MAX_BYTES_PER_PAGE: usize = 200 * 1024;
/// The consumer's dead-letter queue (see wrangler/scores.toml).
const DEAD_LETTER_SUFFIX: &str = "-dlq";

/// A queue message.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "kebab-case",
    rename_all_fields = "camelCase"
)]
pub enum Job {
    /// Extract metadata and render previews of a stored score.
    Process { score_id: String },
    /// Import an IMSLP link on behalf of a user (batch imports) into the placeholder row
    /// `score_id` (absent only from messages queued before placeholders existed).
    ImportImslp {
        url: String,
        owner: Option<String>,
        #[serde(default)]
        score_id: Option<String>,
    },
}

impl Job {
    /// The score whose status this job decides, if it has one yet.
    fn score_id(&self) -> Option<&str> {
        match self {
            Self::Process { score_id } => Some(score_id),
            Self::ImportImslp { score_id, .. } => score_id.as_deref(),
        }
    }

    /// The job that takes a stuck or failed score forward: an IMSLP placeholder whose file
    /// never arrived is imported again, anything else is processed again.
    pub fn resume(score: &Resumable) -> Self {
        match (&score.r2_key, &score.imslp_url) {
            (None, Some(url)) if score.source_type == "pdf" => Self::ImportImslp {
                url: url.clone(),
                owner: score.user_id.clone(),
                score_id: Some(score.id.clone()),
            },
            _ => Self::Process {
                score_id: score.id.clone(),
            },
        }
    }
}

/// What `Job::resume` needs of a score.
#[derive(Debug, Deserialize)]
pub struct Resumable {
    pub id: String,
    pub source_type: String,
    pub r2_key: Option<String>,
    pub imslp_url: Option<String>,
    pub user_id: Option<String>,
}

/// Backoff before the next attempt: `QUEUE_RETRY_SECONDS` (default 5), doubled for each
/// attempt made after the first, at most 5 minutes.
fn retry_delay(env: &Env, attempts: i64) -> u32 {
    let base = non_negative_var(env, "QUEUE_RETRY_SECONDS", 5_i64).clamp(1, 300) as u32;
    (base << (attempts - 1).clamp(0, 8) as u32).min(300)
}

pub async fn consume(batch: MessageBatch<Job>, env: Env) -> worker::Result<()> {
    let dead_letters = batch.queue().ends_with(DEAD_LETTER_SUFFIX);
    for message in batch.messages()? {
        let job = message.body().clone();
        if dead_letters {
            if let Err(err) = give_up(&env, &job).await {
                worker::console_error!("dead letter {job:?}: {err}");
            }
            message.ack();
            continue;
        }
        match run_job(&env, &job).await {
            Ok(()) => message.ack(),
            Err(Failure::Permanent(reason)) => {
                if let Some(score_id) = job.score_id() {
                    let _ = mark_failed(&env, score_id, &reason).await;
                }
                worker::console_error!("job {job:?} failed: {reason}");
                message.ack();
            }
            Err(Failure::Transient(reason)) => {
                let attempts = match job.score_id() {
                    Some(score_id) => note_retry(&env, score_id, &reason).await.unwrap_or(1),
                    None => 1,
                };
                let delay = retry_delay(&env, attempts);
                worker::console_error!("job {job:?} will retry in {delay} s: {reason}");
                message.retry_with_options(
                    &QueueRetryOptionsBuilder::new()
                        .with_delay_seconds(delay)
                        .build(),
                );
            }
        }
    }
    Ok(())
}

enum Failure {
    /// The input itself is bad: retrying cannot help.
    Permanent(String),
    /// A runtime fault, or a server we fetch from that failed for now.
    Transient(String),
}

impl From<EdgeError> for Failure {
    fn from(err: EdgeError) -> Self {
        match err {
            EdgeError::Api(ApiError::Upstream(reason)) => Self::Transient(reason),
            EdgeError::Api(err) if err.status() < 500 => Self::Permanent(err.to_string()),
            err => Self::Transient(err.to_string()),
        }
    }
}

async fn run_job(env: &Env, job: &Job) -> Result<(), Failure> {
    match job {
        Job::Process { score_id } => process(env, score_id).await,
        Job::ImportImslp {
            url,
            owner,
            score_id,
        } => {
            let link = imslp_site(env)
                .classify(url)
                .map_err(|err| Failure::Permanent(err.to_string()))?;
            if let Some(id) = score_id {
                let db = env.d1(DB).map_err(EdgeError::from)?;
                if find_score(&db, id).await?.is_none() {
                    // The placeholder was deleted: the user withdrew the import.
                    return Ok(());
                }
                start_attempt(&db, id).await?;
            }
            import_imslp_link(env, link, owner.clone(), score_id.as_deref()).await?;
            Ok(())
        }
    }
}

async fn give_up(env: &Env, job: &Job) -> Result<(), EdgeError> {
    if let Some(score_id) = job.score_id() {
        let db = env.d1(DB)?;
        let reason = find_score(&db, score_id)
            .await?
            .and_then(|score| score.processing_error)
            .unwrap_or_else(|| "processing failed".into());
        mark_failed(env, score_id, &format!("gave up after retries: {reason}")).await?;
    }
    Ok(())
}

/// Keeps the reason of a failed attempt on the score while it waits for the next one;
/// returns the attempts made so far.
async fn note_retry(env: &Env, score_id: &str, reason: &str) -> Result<i64, EdgeError> {
    #[derive(Deserialize)]
    struct Attempts {
        processing_attempts: i64,
    }
    let db = env.d1(DB)?;
    let row: Option<Attempts> = crate::store::first(
        &db,
        "UPDATE scores SET processing_error = ?, updated_at = ? WHERE id = ? \
         RETURNING processing_attempts",
        &[text(reason), SqlValue::Text(now_iso()), text(score_id)],
    )
    .await?;
    Ok(row.map_or(1, |row| row.processing_attempts))
}

/// Marks the start of an attempt at the score's job: `processing`, now, one more attempt.
async fn start_attempt(db: &D1Database, score_id: &str) -> Result<(), EdgeError> {
    run(
        db,
        "UPDATE scores SET processing_status = 'processing', processing_started_at = ?, \
         processing_attempts = processing_attempts + 1 WHERE id = ?",
        &[SqlValue::Text(now_iso()), text(score_id)],
    )
    .await
}

async fn mark_failed(env: &Env, score_id: &str, reason: &str) -> Result<(), EdgeError> {
    let db = env.d1(DB)?;
    run(
        &db,
        "UPDATE scores SET processing_status = 'failed', processing_error = ?, updated_at = ? WHERE id = ?",
        &[text(reason), SqlValue::Text(now_iso()), text(score_id)],
    )
    .await
}

async fn process(env: &Env, score_id: &str) -> Result<(), Failure> {
    let db = env.d1(DB).map_err(EdgeError::from)?;
    let Some(score) = find_score(&db, score_id).await? else {
        // Deleted before processing: nothing to do.
        return Ok(());
    };
    start_attempt(&db, score_id).await?;
    match score.source_type.as_str() {
        "pdf" => process_pdf(env, &score).await?,
        _ => process_images(env, &score).await?,
    }
    Ok(())
}

fn unreadable(err: PdfError) -> EdgeError {
    ApiError::validation(format!("The PDF could not be processed: {err}")).into()
}

/// While reading a file from R2, the event loop gets a turn after each this many bytes.
const READ_YIELD_BYTES: usize = 2 * 1024 * 1024;

/// Reads an R2 object chunk by chunk into one buffer of its exact size, so a 50 MB file is
/// held once (not as a JavaScript buffer and a copy of it); `None` when it does not exist.
pub async fn read_object(bucket: &Bucket, key: &str) -> Result<Option<Vec<u8>>, EdgeError> {
    let Some(object) = bucket.get(key).execute().await? else {
        return Ok(None);
    };
    let mut bytes = Vec::with_capacity(usize::try_from(object.size()).unwrap_or_default());
    let mut chunks = object
        .body()
        .ok_or_else(|| ApiError::internal("R2 object without a body"))?
        .stream()?;
    let mut since_yield = 0;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        bytes.extend_from_slice(&chunk);
        // Chunks already buffered resolve as microtasks, which run before any waiting
        // request: hand the event loop a turn every few megabytes.
        since_yield += chunk.len();
        if since_yield >= READ_YIELD_BYTES {
            since_yield = 0;
            yield_now().await;
        }
    }
    Ok(Some(bytes))
}

/// Gives the isolate's event loop a turn: requests waiting on this isolate run before the
/// next step of processing (each step renders at most one page).
async fn yield_now() {
    worker::Delay::from(Duration::ZERO).await;
}

/// Bytes of WASM memory the isolate holds now (linear memory only grows, so this is the peak).
fn wasm_memory_bytes() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        core::arch::wasm32::memory_size(0) as u64 * 65_536
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
    }
}

async fn process_pdf(env: &Env, score: &ScoreRow) -> Result<(), EdgeError> {
    let started = mirubato_edge::now_ms();
    let bucket = env.bucket(BUCKET)?;
    let key = score
        .r2_key
        .as_deref()
        .ok_or_else(|| ApiError::validation("The score has no file"))?;
    let bytes = read_object(&bucket, key)
        .await?
        .ok_or_else(|| ApiError::validation("The score's file is missing"))?;
    let size = bytes.len();
    let file = PdfFile::open(bytes).map_err(unreadable)?;
    let facts = file.facts();
    yield_now().await;
    let thumbnail = file
        .render_page_png(1, THUMBNAIL_WIDTH)
        .map_err(unreadable)?;
    let thumbnail_key = format!("thumbnails/{}/thumb.png", score.id);
    put_object(
        &bucket,
        &thumbnail_key,
        thumbnail.png,
        "image/png",
        Some(IMMUTABLE),
    )
    .await?;
    let bytes_per_page = size / facts.page_count.max(1) as usize;
    let pre_rendered = if bytes_per_page <= PRE_RENDER_MAX_BYTES_PER_PAGE {
        facts.page_count.min(PRE_RENDERED_PAGES)
    } else {
        0
    };
    for page in 1..=pre_rendered {
        yield_now().await;
        let rendered = file
            .render_page_png(page, PAGE_PREVIEW_WIDTH)
            .map_err(unreadable)?;
        put_object(
            &bucket,
            &page_key(&score.id, page),
            rendered.png,
            "image/png",
            Some(IMMUTABLE),
        )
        .await?;
    }
    drop(file);
    let metadata: Value = serde_json::from_str(&score.metadata).unwrap_or_default();
    let title_from_user = metadata
        .get("titleFromUser")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    // Rows imported before `fileTitle` was recorded: their title is the file-name title
    // (or an earlier processing's choice, which is no worse).
    let file_title = metadata
        .get("fileTitle")
        .and_then(Value::as_str)
        .map_or_else(|| score.title.clone(), str::to_string);
    let suggested = suggested_metadata(env, &facts).await;
    let (title, title_source) = choose_title(&TitleCandidates {
        user: title_from_user.then(|| score.title.clone()),
        suggested: suggested.title.clone(),
        embedded: facts.title.clone(),
        first_page: facts.first_page_heading.clone(),
        file_name: file_title,
    });
    let composer = choose_composer(
        suggested.composer.as_deref(),
        facts.author.as_deref(),
        &score.composer,
    );
    let opus = suggested.opus.or_else(|| score.opus.clone());
    let db = env.d1(DB)?;
    run(
        &db,
        "UPDATE scores SET title = ?, composer = ?, opus = ?, slug = ?, normalized_id = ?, page_count = ?, \
         subject = ?, extracted_text = ?, thumbnail_key = ?, processing_status = 'completed', processing_error = NULL, updated_at = ? \
         WHERE id = ?",
        &[
            text(&title),
            text(&composer),
            opus.clone().into(),
            SqlValue::Text(slugify(&title, opus.as_deref())),
            SqlValue::Text(generate_score_id(&title, Some(&composer))),
            SqlValue::Integer(i64::from(facts.page_count)),
            facts.subject.clone().into(),
            facts.first_page_text.clone().into(),
            text(&thumbnail_key),
            SqlValue::Text(now_iso()),
            text(&score.id),
        ],
    )
    .await?;
    worker::console_log!(
        "{}",
        json!({
            "event": "pdf-processed",
            "scoreId": score.id,
            "bytes": size,
            "pages": facts.page_count,
            "preRenderedPages": pre_rendered,
            "titleSource": format!("{title_source:?}"),
            "durationMs": (mirubato_edge::now_ms() - started).round(),
            "wasmMemoryBytes": wasm_memory_bytes(),
        })
    );
    Ok(())
}

/// What Workers AI names for the score, where the binding is configured. A model that fails
/// or answers nonsense leaves the local result (and says so in the log), never the processing.
async fn suggested_metadata(env: &Env, facts: &pdf::PdfFacts) -> SuggestedMetadata {
    let Ok(ai) = env.ai(AI_BINDING) else {
        return SuggestedMetadata::default();
    };
    let request = metadata_request(facts);
    for model in METADATA_MODELS {
        match ai.run::<_, Value>(model, &request).await {
            Ok(answer) => match parse_metadata(&answer_text(&answer["response"])) {
                Ok(suggested) => return suggested,
                Err(err) => worker::console_error!("{model} named no usable metadata: {err}"),
            },
            Err(err) => worker::console_error!("Workers AI {model} did not answer: {err}"),
        }
    }
    SuggestedMetadata::default()
}

/// Image imports: the first page is the thumbnail; the pages are served as uploaded.
async fn process_images(env: &Env, score: &ScoreRow) -> Result<(), EdgeError> {
    let db = env.d1(DB)?;
    run(
        &db,
        "UPDATE scores SET thumbnail_key = (SELECT r2_key FROM score_pages WHERE score_id = ?1 ORDER BY page_number LIMIT 1), \
         page_count = (SELECT COUNT(*) FROM score_pages WHERE score_id = ?1), \
         processing_status = 'completed', processing_error = NULL, updated_at = ?2 WHERE id = ?1",
        &[text(&score.id), SqlValue::Text(now_iso())],
    )
    .await
}

fn page_key(score_id: &str, page: u32) -> String {
    format!("rendered/{score_id}/page-{page}.png")
}

async fn image_response(
    bytes: Vec<u8>,
    content_type: &str,
    score: &ScoreRow,
) -> Result<Response, EdgeError> {
    let mut response = Response::from_bytes(bytes)?;
    response.headers_mut().set("Content-Type", content_type)?;
    response
        .headers_mut()
        .set("Cache-Control", image_cache_control(score))?;
    Ok(response)
}

/// `GET /api/pdf/v2/thumbnail/:id`.
pub async fn thumbnail(ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = crate::store::viewer(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    let score = visible_score(&db, ctx.param("id")?, caller.as_deref()).await?;
    let key = score
        .thumbnail_key
        .clone()
        .ok_or_else(|| ApiError::not_found("The thumbnail is not ready yet"))?;
    serve_object(&ctx, &key, &score).await
}

/// `GET /api/pdf/v2/render/:id/page/:n`: a page preview (rendered now if not ahead of time).
pub async fn render_page(ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = crate::store::viewer(&ctx).await?;
    let page: u32 = ctx
        .param("page")?
        .parse()
        .ok()
        .filter(|page| *page >= 1)
        .ok_or_else(|| ApiError::validation("The page number must be a positive integer"))?;
    let db = ctx.env.d1(DB)?;
    let score = visible_score(&db, ctx.param("id")?, caller.as_deref()).await?;
    if i64::from(page) > score.page_count {
        return Err(
            ApiError::not_found(format!("The score has {} pages", score.page_count)).into(),
        );
    }
    if score.source_type != "pdf" {
        let row: Option<KeyRow> = crate::store::first(
            &db,
            "SELECT r2_key FROM score_pages WHERE score_id = ? AND page_number = ?",
            &[text(&score.id), SqlValue::Integer(i64::from(page))],
        )
        .await?;
        let key = row
            .ok_or_else(|| ApiError::not_found("Page not found"))?
            .r2_key;
        return serve_object(&ctx, &key, &score).await;
    }
    let bucket = ctx.env.bucket(BUCKET)?;
    let key = page_key(&score.id, page);
    if bucket.head(&key).await?.is_some() {
        return serve_object(&ctx, &key, &score).await;
    }
    if score.processing_status != "completed" {
        return Err(ApiError::not_found("The score is still being processed").into());
    }
    let source = score
        .r2_key
        .as_deref()
        .ok_or_else(|| ApiError::not_found("The score has no file"))?;
    let bytes = read_object(&bucket, source)
        .await?
        .ok_or_else(|| ApiError::not_found("The score's file is missing"))?;
    let rendered = PdfFile::open(bytes)
        .and_then(|file| file.render_page_png(page, PAGE_PREVIEW_WIDTH))
        .map_err(ApiError::internal)?;
    put_object(
        &bucket,
        &key,
        rendered.png.clone(),
        "image/png",
        Some(IMMUTABLE),
    )
    .await?;
    image_response(rendered.png, "image/png", &score).await
}

#[derive(Deserialize)]
pub struct KeyRow {
    pub r2_key: String,
}

/// A score's image is publicly cacheable only while the score is public (checked on every
/// request, so making a score private stops new public caching at once).
fn image_cache_control(score: &ScoreRow) -> &'static str {
    file_cache_control(&score.visibility, ScoreFile::Image)
}

async fn serve_object(
    ctx: &RequestContext,
    key: &str,
    score: &ScoreRow,
) -> Result<Response, EdgeError> {
    crate::files::serve(ctx, key, image_cache_control(score)).await
}
