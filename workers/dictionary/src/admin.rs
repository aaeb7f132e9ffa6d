//! `/api/v1/admin/*`: term edits, bulk upserts, the seed queue and the review queue. Open to
//! users whose email is in `ADMIN_EMAILS`, and to services presenting `X-Service-Name` and
//! `X-Service-Token` on routes whose allow-list names them.

use mirubato_core::ApiError;
use mirubato_core::dictionary::Lang;
use mirubato_core::dictionary::access::{is_admin_email, verify_service};
use mirubato_core::dictionary::entry::checked_term;
use mirubato_edge::auth::authenticate;
use mirubato_edge::{EdgeError, RequestContext, json, json_with_status};
use serde::Deserialize;
use serde_json::{Value, json};
use validator::Validate;
use worker::{Response, query};

use crate::store::{EntryInput, entry_by_id, upsert_statement};
use crate::terms::{decoded_path_term, query_params};
use crate::{DB, cache, clock};

/// Services allowed to edit terms.
const TERM_SERVICES: &[&str] = &["content-pipeline", "scores"];
/// Services allowed to work the seed and review queues.
const QUEUE_SERVICES: &[&str] = &["content-pipeline"];

/// Who is acting, as recorded on what they change.
async fn authorize(ctx: &RequestContext, allowed: &[&str]) -> Result<String, EdgeError> {
    if let Some(service) = ctx.header("X-Service-Name") {
        let token = ctx
            .header("X-Service-Token")
            .ok_or_else(|| ApiError::Unauthorized("Service authentication required".into()))?;
        verify_service(
            &ctx.secret("SERVICE_SECRET")?,
            service.trim(),
            &token,
            allowed,
        )?;
        return Ok(format!("service:{}", service.trim()));
    }
    let claims = authenticate(ctx).await?;
    // A var locally; a secret (`wrangler secret put ADMIN_EMAILS`) in deployed environments.
    let admins = ctx.secret("ADMIN_EMAILS").unwrap_or_default();
    if is_admin_email(&admins, &claims.email) {
        Ok(format!("user:{}", claims.sub))
    } else {
        Err(ApiError::Forbidden("Administrator access required".into()).into())
    }
}

/// `PUT /api/v1/admin/terms/{term}`: creates or replaces the entry of the term in the
/// body's language (English by default).
pub async fn put_term(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let editor = authorize(&ctx, TERM_SERVICES).await?;
    let written = decoded_path_term(&ctx)?;
    let term = checked_term(&written)?;
    let mut input: EntryInput = ctx.json_with_limit(64 * 1024).await?;
    input.check()?;
    // The path names the term; a body may give its display form (capitals, accents).
    let display = match input.term.take() {
        Some(display) if checked_term(&display)? == term => display,
        Some(_) => {
            return Err(ApiError::validation(
                "Invalid request body: term must name the same term as the path",
            )
            .into());
        }
        None => written.trim().to_string(),
    };
    let db = ctx.env.d1(DB)?;
    let (_, now) = clock();
    let (statement, id) = upsert_statement(&db, &display, &input, &editor, &now, true)?;
    let previous = entry_by_id(&db, &id).await?;
    statement.run().await?;
    let entry = entry_by_id(&db, &id)
        .await?
        .ok_or_else(|| ApiError::internal("entry vanished after its upsert"))?;
    if let Some(previous) = &previous {
        cache::invalidate(&ctx, previous).await?;
    }
    cache::invalidate(&ctx, &entry).await?;
    let status = if previous.is_some() { 200 } else { 201 };
    json_with_status(&json!({"success": true, "data": {"entry": entry}}), status)
}

/// `DELETE /api/v1/admin/terms/{id}`
pub async fn delete_term(ctx: RequestContext) -> Result<Response, EdgeError> {
    authorize(&ctx, TERM_SERVICES).await?;
    let id = ctx.param("term")?.to_string();
    let db = ctx.env.d1(DB)?;
    let entry = entry_by_id(&db, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("Entry not found"))?;
    query!(
        &db,
        "DELETE FROM dictionary_entries WHERE id = ?1",
        &entry.id
    )?
    .run()
    .await?;
    cache::invalidate(&ctx, &entry).await?;
    json(&json!({"success": true, "data": {"deleted": entry.id}}))
}

#[derive(Deserialize, Validate)]
#[serde(deny_unknown_fields)]
struct BulkRequest {
    #[validate(length(min = 1, max = 100))]
    entries: Vec<EntryInput>,
}

/// `POST /api/v1/admin/bulk`: up to 100 upserts in one atomic batch.
pub async fn bulk(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let editor = authorize(&ctx, TERM_SERVICES).await?;
    let body: BulkRequest = ctx.json_with_limit(1024 * 1024).await?;
    let db = ctx.env.d1(DB)?;
    let (_, now) = clock();
    let mut statements = Vec::new();
    let mut ids = Vec::new();
    for (index, input) in body.entries.iter().enumerate() {
        input
            .validate()
            .map_err(mirubato_core::input::validation_error)?;
        input.check()?;
        let term = input.term.as_deref().ok_or_else(|| {
            ApiError::validation(format!(
                "Invalid request body: entries[{index}].term is required"
            ))
        })?;
        let (statement, id) = upsert_statement(&db, term, input, &editor, &now, true)?;
        statements.push(statement);
        ids.push(id);
    }
    let mut previous = Vec::new();
    for id in &ids {
        previous.extend(entry_by_id(&db, id).await?);
    }
    db.batch(statements).await?;
    for entry in &previous {
        cache::invalidate(&ctx, entry).await?;
    }
    let mut entries = Vec::new();
    for id in &ids {
        if let Some(entry) = entry_by_id(&db, id).await? {
            cache::invalidate(&ctx, &entry).await?;
            entries.push(entry);
        }
    }
    json(&json!({"success": true, "data": {"upserted": entries.len(), "entries": entries}}))
}

#[derive(Deserialize, Validate)]
#[serde(deny_unknown_fields)]
struct SeedImport {
    #[validate(length(min = 1, max = 50000))]
    terms: String,
    #[validate(range(min = 1, max = 10))]
    priority: Option<u8>,
    languages: Option<Vec<Lang>>,
    #[serde(rename = "type")]
    kind: Option<mirubato_core::dictionary::TermType>,
}

/// `POST /api/v1/admin/seed/bulk-import`: queues newline-separated terms for generation.
pub async fn seed_import(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    authorize(&ctx, QUEUE_SERVICES).await?;
    let body: SeedImport = ctx.json_with_limit(64 * 1024).await?;
    let terms = body
        .terms
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(checked_term)
        .collect::<Result<Vec<_>, _>>()?;
    if terms.is_empty() {
        return Err(ApiError::validation("Invalid request body: terms names no term").into());
    }
    let languages = json!(body.languages.unwrap_or_else(|| Lang::ALL.to_vec())).to_string();
    let db = ctx.env.d1(DB)?;
    let (_, now) = clock();
    let mut statements = Vec::new();
    for term in &terms {
        statements.push(query!(
            &db,
            "INSERT INTO seed_queue (id, term, languages, type, priority, status, source, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 'bulk-import', ?6)",
            uuid::Uuid::new_v4().to_string(),
            term,
            &languages,
            body.kind.map(|kind| kind.as_str()),
            f64::from(body.priority.unwrap_or(5)),
            &now
        )?);
    }
    db.batch(statements).await?;
    json_with_status(
        &json!({"success": true, "data": {"queued": terms.len()}}),
        201,
    )
}

/// `GET /api/v1/admin/seed/status`: the seed queue by status, and its latest items.
pub async fn seed_status(ctx: RequestContext) -> Result<Response, EdgeError> {
    authorize(&ctx, QUEUE_SERVICES).await?;
    let db = ctx.env.d1(DB)?;
    #[derive(Deserialize, serde::Serialize)]
    struct StatusCount {
        status: String,
        count: f64,
    }
    let counts = query!(
        &db,
        "SELECT status, count(*) AS count FROM seed_queue GROUP BY status"
    )
    .all()
    .await?
    .results::<StatusCount>()?;
    let recent = query!(
        &db,
        "SELECT id, term, languages, type, priority, status, attempts, source, created_at FROM seed_queue \
         ORDER BY created_at DESC LIMIT 20"
    )
    .all()
    .await?
    .results::<Value>()?;
    let stats: serde_json::Map<String, Value> = counts
        .into_iter()
        .map(|row| (row.status, json!(row.count as u64)))
        .collect();
    json(&json!({"success": true, "data": {
        "stats": stats,
        "recent_items": recent,
        "ai_configured": ctx.env.ai(crate::AI).is_ok(),
    }}))
}

#[derive(Deserialize)]
struct ReviewListQuery {
    status: Option<String>,
}

/// `GET /api/v1/admin/seed/review-queue?status=pending`
pub async fn review_queue(ctx: RequestContext) -> Result<Response, EdgeError> {
    authorize(&ctx, QUEUE_SERVICES).await?;
    let params: ReviewListQuery = query_params(&ctx)?;
    let status = params.status.unwrap_or_else(|| "pending".into());
    if !["pending", "reviewing", "approved", "rejected"].contains(&status.as_str()) {
        return Err(ApiError::validation(format!("Unknown review status {status:?}")).into());
    }
    let items = query!(
        &ctx.env.d1(DB)?,
        "SELECT id, term, generated_content, quality_score, reason, status, reviewer_notes, reviewed_at, reviewed_by, created_at \
         FROM manual_review_queue WHERE status = ?1 ORDER BY created_at ASC LIMIT 100",
        &status
    )?
    .all()
    .await?
    .results::<Value>()?;
    json(&json!({"success": true, "data": {"status": status, "items": items}}))
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum ReviewAction {
    Approve,
    Reject,
}

#[derive(Deserialize, Validate)]
#[serde(deny_unknown_fields)]
struct ReviewDecision {
    action: ReviewAction,
    #[validate(length(max = 1000))]
    notes: Option<String>,
}

#[derive(Deserialize)]
struct ReviewRow {
    term: String,
    generated_content: String,
    status: String,
}

/// `PUT /api/v1/admin/seed/review/{id}`: approving publishes the generated entry.
pub async fn review(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let reviewer = authorize(&ctx, QUEUE_SERVICES).await?;
    let id = ctx.param("id")?.to_string();
    let decision: ReviewDecision = ctx.json_with_limit(8 * 1024).await?;
    let db = ctx.env.d1(DB)?;
    let item = query!(
        &db,
        "SELECT term, generated_content, status FROM manual_review_queue WHERE id = ?1",
        &id
    )?
    .first::<ReviewRow>(None)
    .await?
    .ok_or_else(|| ApiError::not_found("Review item not found"))?;
    if item.status == "approved" || item.status == "rejected" {
        return Err(ApiError::Conflict(format!("This item was already {}", item.status)).into());
    }
    let (_, now) = clock();
    let status = match decision.action {
        ReviewAction::Approve => "approved",
        ReviewAction::Reject => "rejected",
    };
    let mut statements = vec![query!(
        &db,
        "UPDATE manual_review_queue SET status = ?1, reviewer_notes = ?2, reviewed_at = ?3, reviewed_by = ?4 WHERE id = ?5",
        status,
        &decision.notes,
        &now,
        &reviewer,
        &id
    )?];
    let mut published = None;
    if decision.action == ReviewAction::Approve {
        let input: EntryInput = serde_json::from_str(&item.generated_content).map_err(|err| {
            ApiError::Conflict(format!("The generated content is not a valid entry: {err}"))
        })?;
        input.check()?;
        let (statement, entry_id) =
            upsert_statement(&db, &item.term, &input, &reviewer, &now, true)?;
        statements.push(statement);
        published = Some(entry_id);
    }
    db.batch(statements).await?;
    if let Some(entry_id) = published
        && let Some(entry) = entry_by_id(&db, &entry_id).await?
    {
        cache::invalidate(&ctx, &entry).await?;
    }
    json(&json!({"success": true, "data": {"id": id, "status": status}}))
}
