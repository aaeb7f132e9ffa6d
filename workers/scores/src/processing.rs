//! The `PDF_QUEUE` consumer: reads what a PDF says about itself, renders the thumbnail and
//! page previews to R2, and marks the score `completed`; failures retry with backoff, then
//! the dead-letter queue marks the score `failed` with the reason. Also the routes that serve
//! the previews.

use mirubato_core::ApiError;
use mirubato_core::dictionary::generate::answer_text;
use mirubato_core::score_id::generate_score_id;
use mirubato_core::scores::analysis::{
    Catalogued, METADATA_MODELS, SuggestedMetadata, metadata_request, parse_metadata,
};
use mirubato_core::scores::import::slugify;
use mirubato_core::scores::imslp;
use mirubato_core::scores::model::{ScoreRow, SqlValue};
use mirubato_core::scores::pdf::{self, PAGE_PREVIEW_WIDTH, PdfError, THUMBNAIL_WIDTH};
use mirubato_edge::{EdgeError, RequestContext};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::{Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder, Response};

use crate::imports::import_imslp_link;
use crate::store::{
    AI_BINDING, BUCKET, DB, IMMUTABLE, find_score, now_iso, put_object, run, text, visible_score,
};

/// Pages rendered ahead of time; later pages are rendered on first request.
const PRE_RENDERED_PAGES: u32 = 10;
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
    /// Import an IMSLP link on behalf of a user (batch imports).
    ImportImslp { url: String, owner: Option<String> },
}

/// Backoff between attempts: 5 s, 10 s, 20 s, … at most 5 minutes.
fn retry_delay(attempt: i64) -> u32 {
    (5u32 << attempt.clamp(0, 6) as u32).min(300)
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
                if let Job::Process { score_id } = &job {
                    let _ = mark_failed(&env, score_id, &reason).await;
                }
                worker::console_error!("job {job:?} failed: {reason}");
                message.ack();
            }
            Err(Failure::Transient(reason, attempt)) => {
                worker::console_error!("job {job:?} will retry: {reason}");
                message.retry_with_options(
                    &QueueRetryOptionsBuilder::new()
                        .with_delay_seconds(retry_delay(attempt))
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
    /// A runtime fault; the attempt number so far.
    Transient(String, i64),
}

async fn run_job(env: &Env, job: &Job) -> Result<(), Failure> {
    match job {
        Job::Process { score_id } => process(env, score_id).await,
        Job::ImportImslp { url, owner } => {
            let link = imslp::classify(url).map_err(|err| Failure::Permanent(err.to_string()))?;
            match import_imslp_link(env, link, owner.clone()).await {
                Ok(_) => Ok(()),
                Err(EdgeError::Api(err)) if err.status() < 500 => {
                    Err(Failure::Permanent(err.to_string()))
                }
                Err(err) => Err(Failure::Transient(err.to_string(), 0)),
            }
        }
    }
}

async fn give_up(env: &Env, job: &Job) -> Result<(), EdgeError> {
    if let Job::Process { score_id } = job {
        let db = env.d1(DB)?;
        let reason = find_score(&db, score_id)
            .await?
            .and_then(|score| score.processing_error)
            .unwrap_or_else(|| "processing failed".into());
        mark_failed(env, score_id, &format!("gave up after retries: {reason}")).await?;
    }
    Ok(())
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
    let transient =
        |attempt: i64| move |err: EdgeError| Failure::Transient(err.to_string(), attempt);
    let db = env
        .d1(DB)
        .map_err(|err| Failure::Transient(err.to_string(), 0))?;
    let Some(score) = find_score(&db, score_id).await.map_err(transient(0))? else {
        // Deleted before processing: nothing to do.
        return Ok(());
    };
    let attempt: i64 = crate::store::first::<AttemptRow>(
        &db,
        "UPDATE scores SET processing_status = 'processing', processing_started_at = ?, \
         processing_attempts = processing_attempts + 1 WHERE id = ? RETURNING processing_attempts",
        &[SqlValue::Text(now_iso()), text(score_id)],
    )
    .await
    .map_err(transient(0))?
    .map_or(1, |row| row.processing_attempts);
    let outcome = match score.source_type.as_str() {
        "pdf" => process_pdf(env, &score).await,
        _ => process_images(env, &score).await,
    };
    match outcome {
        Ok(()) => Ok(()),
        Err(EdgeError::Api(err)) if err.status() < 500 => Err(Failure::Permanent(err.to_string())),
        Err(err) => {
            let reason = err.to_string();
            let _ = run(
                &db,
                "UPDATE scores SET processing_error = ? WHERE id = ?",
                &[text(&reason), text(score_id)],
            )
            .await;
            Err(Failure::Transient(reason, attempt))
        }
    }
}

#[derive(Deserialize)]
struct AttemptRow {
    processing_attempts: i64,
}

fn unreadable(err: PdfError) -> EdgeError {
    ApiError::validation(format!("The PDF could not be processed: {err}")).into()
}

async fn process_pdf(env: &Env, score: &ScoreRow) -> Result<(), EdgeError> {
    let bucket = env.bucket(BUCKET)?;
    let key = score
        .r2_key
        .as_deref()
        .ok_or_else(|| ApiError::validation("The score has no file"))?;
    let bytes = bucket
        .get(key)
        .execute()
        .await?
        .ok_or_else(|| ApiError::validation("The score's file is missing"))?
        .body()
        .ok_or_else(|| ApiError::internal("R2 object without a body"))?
        .bytes()
        .await?;
    let facts = pdf::inspect(&bytes).map_err(unreadable)?;
    let thumbnail = pdf::render_page_png(&bytes, 1, THUMBNAIL_WIDTH).map_err(unreadable)?;
    let thumbnail_key = format!("thumbnails/{}/thumb.png", score.id);
    put_object(
        &bucket,
        &thumbnail_key,
        thumbnail.png,
        "image/png",
        Some(IMMUTABLE),
    )
    .await?;
    for page in 1..=facts.page_count.min(PRE_RENDERED_PAGES) {
        let rendered =
            pdf::render_page_png(&bytes, page, PAGE_PREVIEW_WIDTH).map_err(unreadable)?;
        put_object(
            &bucket,
            &page_key(&score.id, page),
            rendered.png,
            "image/png",
            Some(IMMUTABLE),
        )
        .await?;
    }
    let metadata: Value = serde_json::from_str(&score.metadata).unwrap_or_default();
    let title_from_user = metadata
        .get("titleFromUser")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let local = Catalogued {
        title: match (&facts.title, title_from_user) {
            (Some(title), false) => title.clone(),
            _ => score.title.clone(),
        },
        composer: match (&facts.author, score.composer.as_str()) {
            (Some(author), "Unknown") => author.clone(),
            _ => score.composer.clone(),
        },
        opus: score.opus.clone(),
    };
    let Catalogued {
        title,
        composer,
        opus,
    } = local.with_suggestion(suggested_metadata(env, &facts).await, title_from_user);
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
    .await
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

async fn image_response(bytes: Vec<u8>, content_type: &str) -> Result<Response, EdgeError> {
    let mut response = Response::from_bytes(bytes)?;
    response.headers_mut().set("Content-Type", content_type)?;
    response.headers_mut().set("Cache-Control", IMMUTABLE)?;
    Ok(response)
}

/// `GET /api/pdf/v2/thumbnail/:id`.
pub async fn thumbnail(ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = crate::store::viewer(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    let score = visible_score(&db, ctx.param("id")?, caller.as_deref()).await?;
    let key = score
        .thumbnail_key
        .ok_or_else(|| ApiError::not_found("The thumbnail is not ready yet"))?;
    serve_object(&ctx, &key).await
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
        return serve_object(&ctx, &key).await;
    }
    let bucket = ctx.env.bucket(BUCKET)?;
    let key = page_key(&score.id, page);
    if bucket.head(&key).await?.is_some() {
        return serve_object(&ctx, &key).await;
    }
    if score.processing_status != "completed" {
        return Err(ApiError::not_found("The score is still being processed").into());
    }
    let source = score
        .r2_key
        .as_deref()
        .ok_or_else(|| ApiError::not_found("The score has no file"))?;
    let bytes = bucket
        .get(source)
        .execute()
        .await?
        .ok_or_else(|| ApiError::not_found("The score's file is missing"))?;
    let bytes = bytes
        .body()
        .ok_or_else(|| ApiError::internal("R2 object without a body"))?
        .bytes()
        .await?;
    let rendered =
        pdf::render_page_png(&bytes, page, PAGE_PREVIEW_WIDTH).map_err(ApiError::internal)?;
    put_object(
        &bucket,
        &key,
        rendered.png.clone(),
        "image/png",
        Some(IMMUTABLE),
    )
    .await?;
    image_response(rendered.png, "image/png").await
}

#[derive(Deserialize)]
pub struct KeyRow {
    pub r2_key: String,
}

async fn serve_object(ctx: &RequestContext, key: &str) -> Result<Response, EdgeError> {
    crate::files::serve(ctx, key, IMMUTABLE).await
}
