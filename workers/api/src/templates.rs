//! `POST /api/templates/adopt`: copies a plan template into a private plan of the caller, with
//! its occurrences. Only the caller's own templates, or public ones of any user, are adoptable.

use mirubato_core::ApiError;
use mirubato_core::practice::prepare_write;
use mirubato_core::practice::templates::{AdoptRequest, adopt};
use mirubato_core::sync::EntityType;
use mirubato_edge::{EdgeError, RequestContext, json};
use serde::Deserialize;
use serde_json::{Value, json};
use worker::{D1Database, Response, query};

use crate::DB;
use crate::repertoire::{clock, store};
use crate::session::authenticate;

/// The caller's own live template, else a live public template of another user.
async fn find_template(
    db: &D1Database,
    user_id: &str,
    id: &str,
) -> Result<Option<Value>, EdgeError> {
    #[derive(Deserialize)]
    struct Row {
        data: String,
    }
    let row = query!(
        db,
        "SELECT data FROM sync_data WHERE entity_type = 'plan_template' AND entity_id = ?2 AND deleted_at IS NULL \
         AND (user_id = ?1 OR json_extract(data, '$.visibility') = 'public') \
         ORDER BY user_id = ?1 DESC LIMIT 1",
        user_id,
        id
    )?
    .first::<Row>(None)
    .await?;
    Ok(row.and_then(|row| serde_json::from_str(&row.data).ok()))
}

#[utoipa::path(post, path = "/api/templates/adopt", security(("bearer" = [])), request_body = AdoptRequest,
    responses((status = 200, description = "{success, plan, occurrences}"), (status = 400), (status = 404, description = "No such template, or a private one of another user")))]
pub async fn adopt_template(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let request: AdoptRequest = ctx.json().await?;
    let db = ctx.env.d1(DB)?;
    let template = find_template(&db, &claims.sub, request.template_id.trim())
        .await?
        .ok_or_else(|| ApiError::not_found("Template not found"))?;
    let at = clock();
    let adoption = adopt(&template, &request, &claims.sub, at)?;
    let mut writes = vec![prepare_write(
        EntityType::PracticePlan,
        adoption.plan.clone(),
    )?];
    for occurrence in &adoption.occurrences {
        writes.push(prepare_write(
            EntityType::PlanOccurrence,
            occurrence.clone(),
        )?);
    }
    // The plan and all its occurrences appear together or not at all.
    store(&ctx, &db, &claims.sub, writes, at).await?;
    json(&json!({
        "success": true,
        "plan": adoption.plan,
        "occurrences": adoption.occurrences,
    }))
}
