//! New and better entries written by Workers AI: a missing term generated for a signed-in
//! caller, a queued low-quality entry enhanced by the cron. A generated entry is published
//! (not human-verified) only when its quality reaches `QUALITY_THRESHOLD` and it passes the
//! review gate (`core::dictionary::review`); else it waits in the review queue, off every
//! page, sitemap and search, until an administrator approves it. Each user may ask for
//! `AI_DAILY_GENERATIONS_PER_USER` generations per UTC day.

use mirubato_core::ApiError;
use mirubato_core::dictionary::entry::QualityScore;
use mirubato_core::dictionary::generate::{
    DEFINITION_MODEL, ENHANCEMENT_MODEL, FALLBACK_MODEL, definition_request, enhancement_request,
    merge_enhancement, parse_definition,
};
use mirubato_core::dictionary::review::{
    DAILY_GENERATIONS_VAR, admit_generation, daily_generations, review_gate,
};
use mirubato_core::dictionary::{Entry, Lang, TermType};
use mirubato_edge::EdgeError;
use serde_json::{Value, json};
use worker::{D1Database, Env, query};

use crate::ai::{affordable, chat, configured};
use crate::store::{EntryInput, entry_by_id, upsert_statement};
use crate::var_or;

/// The least overall score a generated entry is published with, unless `QUALITY_THRESHOLD`
/// says otherwise (an entry without references scores at most 60).
const DEFAULT_QUALITY_THRESHOLD: i64 = 60;

/// What became of a request to write content with AI.
pub enum Outcome {
    Published(Box<Entry>),
    Queued { review_id: String, overall: u32 },
    NotRun(String),
}

impl Outcome {
    /// The outcome as the API and the cron report it (a published entry is answered on its own).
    pub fn report(&self) -> Value {
        match self {
            Outcome::Published(entry) => {
                json!({"generated": true, "published": true, "entry_id": entry.id})
            }
            Outcome::Queued { review_id, overall } => json!({
                "generated": true, "published": false, "review_id": review_id, "overall_score": overall,
                "reason": "The generated entry is below the quality threshold and waits for review",
            }),
            Outcome::NotRun(reason) => json!({"generated": false, "reason": reason}),
        }
    }
}

pub fn not_configured() -> Outcome {
    Outcome::NotRun("Workers AI is not configured; nothing was generated".into())
}

/// Writes the entry of a missing `term` in `lang` for `requested_by`.
pub async fn missing_term(
    env: &Env,
    db: &D1Database,
    term: &str,
    lang: Lang,
    kind: Option<TermType>,
    requested_by: &str,
    now: &str,
) -> Result<Outcome, EdgeError> {
    if !configured(env) {
        return Ok(not_configured());
    }
    let day = now.get(..10).unwrap_or_default();
    let request = definition_request(term, kind, lang);
    if !affordable(env, db, day, request.token_estimate()).await? {
        return Ok(Outcome::NotRun("Today's AI token budget is spent".into()));
    }
    let reply = chat(env, db, day, &request, &[DEFINITION_MODEL, FALLBACK_MODEL]).await?;
    let generated = match parse_definition(&reply.text, kind) {
        Ok(generated) => generated,
        Err(err) => {
            worker::console_warn!("{} answered unusably for {term:?}: {err}", reply.model);
            return Ok(Outcome::NotRun(format!(
                "The model's answer was unusable: {err}"
            )));
        }
    };
    let input = EntryInput {
        term: None,
        lang: Some(lang),
        kind: generated.kind,
        source_lang: None,
        definition: generated.definition,
        references: None,
        metadata: Some(json!({
            "related_terms": [],
            "generation_context": {"model": reply.model, "requested_by": requested_by, "tokens": reply.tokens},
        })),
    };
    let overall = QualityScore::compute(&input.definition, &json!({}), false).overall;
    let threshold = var_or(env, "QUALITY_THRESHOLD", DEFAULT_QUALITY_THRESHOLD);
    let doubts = review_gate(term, &input.definition);
    let reason = if i64::from(overall) < threshold {
        Some("low_score".to_string())
    } else if !doubts.is_empty() {
        Some(format!("review_gate: {}", doubts.join("; ")))
    } else {
        None
    };
    if let Some(reason) = reason {
        let review_id = uuid::Uuid::new_v4().to_string();
        let content = serde_json::to_string(&input).map_err(ApiError::internal)?;
        query!(
            db,
            "INSERT INTO manual_review_queue (id, term, generated_content, quality_score, reason, status, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6)",
            &review_id,
            term,
            content,
            f64::from(overall),
            reason,
            now
        )?
        .run()
        .await?;
        return Ok(Outcome::Queued { review_id, overall });
    }
    let (statement, id) =
        upsert_statement(db, term, &input, &format!("ai:{}", reply.model), now, false)?;
    statement.run().await?;
    let entry = entry_by_id(db, &id)
        .await?
        .ok_or_else(|| ApiError::internal("generated entry vanished after its upsert"))?;
    Ok(Outcome::Published(Box::new(entry)))
}

/// Counts one generation asked for by `user_id` today and refuses it (429, until the next UTC
/// day) past the user's daily allowance. One atomic upsert, so concurrent requests cannot
/// both take the last one.
pub async fn count_generation(
    env: &Env,
    db: &D1Database,
    user_id: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), EdgeError> {
    #[derive(serde::Deserialize)]
    struct Used {
        count: f64,
    }
    let day = at.format("%Y-%m-%d").to_string();
    let used = query!(
        db,
        "INSERT INTO ai_generations (user_id, day, count) VALUES (?1, ?2, 1) \
         ON CONFLICT (user_id, day) DO UPDATE SET count = count + 1 RETURNING count",
        user_id,
        day
    )?
    .first::<Used>(None)
    .await?
    .map_or(1, |used| used.count as u64);
    let limit = daily_generations(
        env.var(DAILY_GENERATIONS_VAR)
            .ok()
            .map(|value| value.to_string())
            .as_deref(),
    );
    Ok(admit_generation(used, limit, at)?)
}

/// Asks the enhancement model to improve `entry`; saves the result (no longer
/// human-verified) when it is at least as complete. Returns whether the entry changed.
pub async fn enhance_entry(
    env: &Env,
    db: &D1Database,
    entry: &Entry,
    now: &str,
) -> Result<bool, EdgeError> {
    let day = now.get(..10).unwrap_or_default();
    let reply = chat(
        env,
        db,
        day,
        &enhancement_request(entry),
        &[ENHANCEMENT_MODEL],
    )
    .await?;
    let enhanced = parse_definition(&reply.text, Some(entry.kind)).map_err(|err| {
        ApiError::Unavailable(format!("{} answered unusably: {err}", reply.model))
    })?;
    let Some(definition) = merge_enhancement(&entry.definition, enhanced.definition) else {
        return Ok(false);
    };
    let mut metadata = entry.metadata.clone();
    metadata["enhanced_by"] = json!(reply.model);
    let input = EntryInput {
        term: None,
        lang: Some(entry.lang),
        kind: entry.kind,
        source_lang: entry.source_lang.clone(),
        definition,
        references: Some(entry.references.clone()),
        metadata: Some(metadata),
    };
    let (statement, _) = upsert_statement(
        db,
        &entry.term,
        &input,
        &format!("ai:{}", reply.model),
        now,
        false,
    )?;
    statement.run().await?;
    Ok(true)
}
