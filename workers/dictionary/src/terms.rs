//! `/api/v1/terms/*`: lookups by name or id, every language of a term, feedback, reports.

use mirubato_core::ApiError;
use mirubato_core::dictionary::entry::checked_term;
use mirubato_core::dictionary::seo::display_name;
use mirubato_core::dictionary::{Entry, Lang, TermType};
use mirubato_core::jwt::Claims;
use mirubato_core::practice::percent_decode;
use mirubato_edge::{EdgeError, RequestContext, json, json_with_status};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use validator::Validate;
use worker::{D1Database, Response, query};

use crate::generate::{Outcome, count_generation, missing_term};
use crate::guard::with_optional_caller;
use crate::store::{entries_named, entry_by_id, find_term, suggestions};
use crate::{DB, cache, clock, with_cache_header};

/// Related terms shown with an entry.
const RELATED_LIMIT: usize = 5;

/// A term named in the path, decoded and normalised.
pub fn path_term(ctx: &RequestContext) -> Result<String, ApiError> {
    checked_term(&decoded_path_term(ctx)?)
}

/// A term named in the path, decoded but as written.
pub fn decoded_path_term(ctx: &RequestContext) -> Result<String, ApiError> {
    percent_decode(ctx.param("term")?)
        .ok_or_else(|| ApiError::validation("Invalid term: bad percent-encoding"))
}

/// A short view of an entry, for lists of related terms.
pub fn summary(entry: &Entry, lang: Lang) -> Value {
    json!({
        "id": entry.id,
        "term": entry.term,
        "display_term": display_name(entry, lang),
        "normalized_term": entry.normalized_term,
        "type": entry.kind,
        "concise": entry.definition.concise,
    })
}

/// An entry as served in `lang`: the entry, its name in that language, and whether the
/// entry is in another language (a fallback).
pub fn view(entry: &Entry, lang: Lang) -> Value {
    json!({
        "entry": entry,
        "display_term": display_name(entry, lang),
        "requested_lang": lang,
        "fallback": entry.lang != lang,
    })
}

async fn with_related(db: &D1Database, entry: &Entry, lang: Lang) -> Result<Value, EdgeError> {
    let related = entries_named(db, &entry.related_terms(), RELATED_LIMIT).await?;
    let mut answer = view(entry, lang);
    answer["related_terms"] = related
        .iter()
        .map(|related| summary(related, lang))
        .collect();
    Ok(answer)
}

/// The entry a lookup found, as the analytics record it.
struct Found<'a> {
    id: &'a str,
    normalized_term: &'a str,
}

impl<'a> From<&'a Entry> for Found<'a> {
    fn from(entry: &'a Entry) -> Self {
        Self {
            id: &entry.id,
            normalized_term: &entry.normalized_term,
        }
    }
}

/// Counts a lookup (popular searches, related searches, popularity sort).
/// Counts a lookup (popular searches, popularity sort) and records the `term_looked_up`
/// event: the language and whether the term was found.
async fn record_lookup(
    ctx: &RequestContext,
    db: &D1Database,
    asked: &str,
    found: Option<Found<'_>>,
    lang: Lang,
    claims: Option<&Claims>,
) -> Result<(), EdgeError> {
    let (_, now) = clock();
    let outcome = if found.is_some() { "found" } else { "missing" };
    let mut statements = vec![query!(
        db,
        "INSERT INTO search_analytics (id, term, normalized_term, found, entry_id, search_lang, user_id, searched_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        uuid::Uuid::new_v4().to_string(),
        asked,
        found.as_ref().map_or(asked, |entry| entry.normalized_term),
        i32::from(found.is_some()),
        found.as_ref().map(|entry| entry.id),
        lang.code(),
        claims.map(|claims| claims.sub.as_str()),
        &now
    )?];
    if let Some(entry) = found {
        statements.push(query!(
            db,
            "UPDATE dictionary_entries SET search_count = search_count + 1 WHERE id = ?1",
            entry.id
        )?);
    }
    db.batch(statements).await?;
    mirubato_edge::event(ctx, "term_looked_up", &[lang.code(), outcome], &[1.0]);
    Ok(())
}

#[derive(Deserialize)]
struct LookupQuery {
    lang: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    /// `true` asks Workers AI to write a missing term (signed-in callers only).
    generate_if_missing: Option<String>,
}

impl LookupQuery {
    fn generate(&self) -> Result<bool, ApiError> {
        match self.generate_if_missing.as_deref() {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => Err(ApiError::validation(format!(
                "Invalid query parameters: generate_if_missing must be true or false, not {other:?}"
            ))),
        }
    }
}

/// The query string as `T`: values are text, parsed into numbers and enums only where the
/// parameter's type says so (`q=1812` stays a search for "1812").
pub fn query_params<T: serde::de::DeserializeOwned>(ctx: &RequestContext) -> Result<T, ApiError> {
    let url = ctx
        .req
        .url()
        .map_err(|_| ApiError::validation("Invalid URL"))?;
    serde_urlencoded::from_str(url.query().unwrap_or_default())
        .map_err(|err| ApiError::validation(format!("Invalid query parameters: {err}")))
}

/// `GET /api/v1/terms/{term}`
pub async fn lookup(ctx: RequestContext) -> Result<Response, EdgeError> {
    with_optional_caller(ctx, |ctx, claims| async move {
        let normalized = path_term(&ctx)?;
        let params: LookupQuery = query_params(&ctx)?;
        let lang = Lang::negotiate(
            params.lang.as_deref(),
            ctx.header("Accept-Language").as_deref(),
        )?;
        let kind = params.kind.as_deref().map(TermType::parse).transpose()?;
        let db = ctx.env.d1(DB)?;
        // Lookups narrowed by type are rare; only plain ones are cached.
        let key = kind.is_none().then(|| cache::term_key(&normalized, lang));
        let cached = match &key {
            Some(key) => cache::get(&ctx, key).await?,
            None => None,
        };
        if let Some(mut hit) = cached {
            let found = hit["entry"]["id"]
                .as_str()
                .zip(hit["entry"]["normalized_term"].as_str())
                .map(|(id, normalized_term)| Found { id, normalized_term });
            record_lookup(&ctx, &db, &normalized, found, lang, claims.as_ref()).await?;
            hit["cache_hit"] = json!(true);
            return with_cache_header(json(&json!({"success": true, "data": hit}))?, true);
        }
        let generate = params.generate()?;
        let Some(entry) = find_term(&db, &normalized, lang, kind).await? else {
            record_lookup(&ctx, &db, &normalized, None, lang, claims.as_ref()).await?;
            let generation = match (generate, &claims) {
                (false, _) => None,
                (true, None) => Some(Outcome::NotRun(
                    "Sign in to have missing terms generated".into(),
                )),
                (true, Some(claims)) => {
                    let written = decoded_path_term(&ctx)?;
                    let (at, now) = clock();
                    count_generation(&ctx.env, &db, &claims.sub, at).await?;
                    let requested_by = format!("user:{}", claims.sub);
                    Some(missing_term(&ctx.env, &db, written.trim(), lang, kind, &requested_by, &now).await?)
                }
            };
            if let Some(Outcome::Published(entry)) = &generation {
                let mut answer = with_related(&db, entry, lang).await?;
                answer["cache_hit"] = json!(false);
                let response = json_with_status(&json!({"success": true, "data": answer}), 201)?;
                return Ok(mirubato_edge::rebuild_with_headers(
                    response,
                    &[
                        ("X-Generated", "true".to_string()),
                        ("X-Cache", "MISS".to_string()),
                        ("X-Cache-Status", "MISS".to_string()),
                    ],
                )?);
            }
            let suggested = suggestions(&db, &normalized, 5).await?;
            let mut details = json!({"term": normalized, "normalized_term": normalized, "suggestions": suggested});
            if let Some(outcome) = &generation {
                details["generation"] = outcome.report();
            }
            return json_with_status(
                &json!({
                    "success": false,
                    "error": "Term not found",
                    "code": "NOT_FOUND",
                    "details": details,
                }),
                404,
            );
        };
        record_lookup(&ctx, &db, &normalized, Some(Found::from(&entry)), lang, claims.as_ref()).await?;
        let mut answer = with_related(&db, &entry, lang).await?;
        if let Some(key) = &key {
            cache::put(&ctx, key, &answer).await?;
        }
        answer["cache_hit"] = json!(false);
        with_cache_header(json(&json!({"success": true, "data": answer}))?, false)
    })
    .await
}

/// `GET /api/v1/terms/id/{id}`
pub async fn by_id(ctx: RequestContext) -> Result<Response, EdgeError> {
    with_optional_caller(ctx, |ctx, _| async move {
        let id = ctx.param("id")?.to_string();
        let params: LookupQuery = query_params(&ctx)?;
        let lang = Lang::negotiate(
            params.lang.as_deref(),
            ctx.header("Accept-Language").as_deref(),
        )?;
        let key = cache::id_key(&id, lang);
        if let Some(mut hit) = cache::get(&ctx, &key).await? {
            hit["cache_hit"] = json!(true);
            return with_cache_header(json(&json!({"success": true, "data": hit}))?, true);
        }
        let db = ctx.env.d1(DB)?;
        let entry = entry_by_id(&db, &id)
            .await?
            .ok_or_else(|| ApiError::not_found("Entry not found"))?;
        let mut answer = with_related(&db, &entry, lang).await?;
        cache::put(&ctx, &key, &answer).await?;
        answer["cache_hit"] = json!(false);
        with_cache_header(json(&json!({"success": true, "data": answer}))?, false)
    })
    .await
}

#[derive(Deserialize)]
struct LanguagesQuery {
    languages: Option<String>,
}

/// `GET /api/v1/terms/{term}/languages?languages=en,es`
pub async fn languages(ctx: RequestContext) -> Result<Response, EdgeError> {
    with_optional_caller(ctx, |ctx, _| async move {
        let normalized = path_term(&ctx)?;
        let params: LanguagesQuery = query_params(&ctx)?;
        let wanted = match params.languages.as_deref() {
            Some(list) if !list.trim().is_empty() => Lang::parse_list(list)?,
            _ => Lang::ALL.to_vec(),
        };
        let db = ctx.env.d1(DB)?;
        let mut languages = serde_json::Map::new();
        for lang in wanted {
            if let Some(entry) = find_term(&db, &normalized, lang, None).await? {
                languages.insert(lang.code().to_string(), view(&entry, lang));
            }
        }
        if languages.is_empty() {
            return Err(ApiError::not_found("Term not found").into());
        }
        json(&json!({"success": true, "data": {
            "term": normalized, "normalized_term": normalized, "languages": languages,
        }}))
    })
    .await
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum FeedbackType {
    Accuracy,
    Clarity,
    Completeness,
    Other,
}

impl FeedbackType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Accuracy => "accuracy",
            Self::Clarity => "clarity",
            Self::Completeness => "completeness",
            Self::Other => "other",
        }
    }
}

#[derive(Deserialize, Validate)]
#[serde(deny_unknown_fields)]
struct FeedbackRequest {
    #[validate(range(min = 1, max = 5))]
    rating: Option<u8>,
    helpful: Option<bool>,
    #[validate(length(max = 1000))]
    feedback_text: Option<String>,
    feedback_type: Option<FeedbackType>,
}

/// How often a rating is retried against concurrent ratings of the same entry.
const RATING_ATTEMPTS: usize = 5;

/// `POST /api/v1/terms/{id}/feedback`
pub async fn feedback(ctx: RequestContext) -> Result<Response, EdgeError> {
    with_optional_caller(ctx, |mut ctx, claims| async move {
        let id = ctx.param("term")?.to_string();
        let body: FeedbackRequest = ctx.json_with_limit(8 * 1024).await?;
        if body.rating.is_none() && body.helpful.is_none() && body.feedback_text.is_none() {
            return Err(ApiError::validation(
                "Invalid request body: give at least one of rating, helpful, feedback_text",
            )
            .into());
        }
        let db = ctx.env.d1(DB)?;
        let mut entry = entry_by_id(&db, &id)
            .await?
            .ok_or_else(|| ApiError::not_found("Entry not found"))?;
        let (_, now) = clock();
        let feedback_id = uuid::Uuid::new_v4().to_string();
        query!(
            &db,
            "INSERT INTO user_feedback (id, entry_id, user_id, rating, helpful, feedback_text, feedback_type, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            &feedback_id,
            &entry.id,
            claims.as_ref().map(|claims| claims.sub.as_str()),
            body.rating.map(i32::from),
            body.helpful.map(i32::from),
            &body.feedback_text,
            body.feedback_type.map(FeedbackType::as_str),
            &now
        )?
        .run()
        .await?;
        if let Some(rating) = body.rating {
            rate(&db, &mut entry, rating).await?;
            if rating <= 2 {
                query!(
                    &db,
                    "INSERT OR IGNORE INTO enhancement_queue (id, entry_id, priority, reason, status, created_at) \
                     VALUES (?1, ?2, 8, 'user_request', 'pending', ?3)",
                    uuid::Uuid::new_v4().to_string(),
                    &entry.id,
                    &now
                )?
                .run()
                .await?;
            }
        }
        cache::invalidate(&ctx, &entry).await?;
        json_with_status(
            &json!({
                "success": true,
                "message": "Thank you for your feedback",
                "data": {"feedback_id": feedback_id, "quality_score": entry.quality_score},
            }),
            201,
        )
    })
    .await
}

/// Folds a rating into the entry's stored quality: a compare-and-set on the stored score, so
/// concurrent ratings are all counted.
async fn rate(db: &D1Database, entry: &mut Entry, rating: u8) -> Result<(), EdgeError> {
    #[derive(Deserialize)]
    struct ScoreRow {
        quality_score: String,
    }
    for _ in 0..RATING_ATTEMPTS {
        let Some(stored) = query!(
            db,
            "SELECT quality_score FROM dictionary_entries WHERE id = ?1",
            &entry.id
        )?
        .first::<ScoreRow>(None)
        .await?
        else {
            return Err(ApiError::not_found("Entry not found").into());
        };
        let current: mirubato_core::dictionary::QualityScore =
            serde_json::from_str(&stored.quality_score).map_err(ApiError::internal)?;
        let rated = current.with_rating(rating);
        let rated_text = serde_json::to_string(&rated).map_err(ApiError::internal)?;
        // RETURNING tells whether the compare-and-set matched (a stale read matches no row).
        let written = query!(
            db,
            "UPDATE dictionary_entries SET quality_score = ?1 WHERE id = ?2 AND quality_score = ?3 RETURNING id",
            rated_text,
            &entry.id,
            &stored.quality_score
        )?
        .first::<Value>(None)
        .await?
        .is_some();
        if written {
            entry.quality_score = rated;
            return Ok(());
        }
    }
    Err(
        ApiError::Conflict("The entry is being rated by many people at once; try again".into())
            .into(),
    )
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum IssueType {
    Incorrect,
    Offensive,
    Spam,
    Copyright,
    Other,
}

#[derive(Deserialize, Validate)]
#[serde(deny_unknown_fields)]
struct ReportRequest {
    issue_type: IssueType,
    #[validate(length(min = 10, max = 500))]
    description: String,
}

/// `POST /api/v1/terms/{id}/report`
pub async fn report(ctx: RequestContext) -> Result<Response, EdgeError> {
    with_optional_caller(ctx, |mut ctx, claims| async move {
        let id = ctx.param("term")?.to_string();
        let body: ReportRequest = ctx.json_with_limit(8 * 1024).await?;
        let db = ctx.env.d1(DB)?;
        let entry = entry_by_id(&db, &id)
            .await?
            .ok_or_else(|| ApiError::not_found("Entry not found"))?;
        let (_, now) = clock();
        let report_id = uuid::Uuid::new_v4().to_string();
        let issue = serde_json::to_value(body.issue_type).map_err(ApiError::internal)?;
        query!(
            &db,
            "INSERT INTO content_reports (id, entry_id, user_id, client_ip, issue_type, description, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            &report_id,
            &entry.id,
            claims.as_ref().map(|claims| claims.sub.as_str()),
            ctx.client_ip(),
            issue.as_str(),
            body.description.trim(),
            &now
        )?
        .run()
        .await?;
        json_with_status(
            &json!({"success": true, "message": "Report submitted for review", "data": {"report_id": report_id}}),
            201,
        )
    })
    .await
}
