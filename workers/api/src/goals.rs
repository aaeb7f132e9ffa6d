//! `/api/goals*`: goals as synced documents (`goal`), with figures from the logbook entries
//! that name them in `goalIds`.

use mirubato_core::practice::goals::{
    CreateGoalRequest, GoalFilter, ProgressRequest, UpdateGoalRequest, apply_update, goal_detail,
    goal_view, implied_repertoire_item, new_goal, record_progress, related_sessions,
};
use mirubato_core::practice::{prepare_write, tombstone};
use mirubato_core::sync::EntityType;
use mirubato_edge::{EdgeError, RequestContext, json, json_with_status};
use serde_json::{Value, json};
use worker::Response;

use crate::DB;
use crate::repertoire::{clock, entries_with_goals, live, live_documents, store, stored};
use crate::session::authenticate;

const NOT_FOUND: &str = "Goal";

#[utoipa::path(get, path = "/api/goals", security(("bearer" = [])),
    params(("status" = Option<String>, Query), ("type" = Option<String>, Query), ("scoreId" = Option<String>, Query)),
    responses((status = 200, description = "{goals:[…]} — times in unix seconds"), (status = 400), (status = 401)))]
pub async fn list(ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let filter = GoalFilter::parse(ctx.query("status"), ctx.query("type"), ctx.query("scoreId"))?;
    let db = ctx.env.d1(DB)?;
    let goals = live_documents(&db, &claims.sub, EntityType::Goal).await?;
    let entries = entries_with_goals(&db, &claims.sub, None).await?;
    let mut views: Vec<Value> = goals
        .iter()
        .filter(|goal| filter.matches(goal))
        .map(|goal| {
            let id = goal.get("id").and_then(Value::as_str).unwrap_or_default();
            goal_view(goal, related_sessions(&entries, id), false)
        })
        .collect();
    views.sort_by_key(|view| std::cmp::Reverse(view["createdAt"].as_i64()));
    json(&json!({ "goals": views }))
}

#[utoipa::path(get, path = "/api/goals/{id}", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "{goal, stats:{relatedSessions, totalPracticeTime, recentSessions}}"), (status = 404)))]
pub async fn get(ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let id = ctx.param("id")?.to_string();
    let db = ctx.env.d1(DB)?;
    let goal = live(&db, &claims.sub, EntityType::Goal, &id, NOT_FOUND).await?;
    let entries = entries_with_goals(&db, &claims.sub, Some(&id)).await?;
    json(&goal_detail(&goal, &entries))
}

#[utoipa::path(post, path = "/api/goals", security(("bearer" = [])), request_body = CreateGoalRequest,
    responses((status = 201, description = "The new goal"), (status = 400)))]
pub async fn create(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let request: CreateGoalRequest = ctx.json().await?;
    let db = ctx.env.d1(DB)?;
    let at = clock();
    let goal = new_goal(&request, at);
    let mut writes = vec![prepare_write(EntityType::Goal, goal.clone())?];
    if let Some(score_id) = goal.get("scoreId").and_then(Value::as_str) {
        let item = stored(&db, &claims.sub, EntityType::RepertoireItem, score_id).await?;
        if let Some(item) = implied_repertoire_item(&goal, item.as_ref(), at) {
            writes.push(prepare_write(EntityType::RepertoireItem, item)?);
        }
    }
    // The goal and the repertoire item it implies are stored together.
    store(&ctx, &db, &claims.sub, writes, at).await?;
    json_with_status(&goal_view(&goal, 0, false), 201)
}

#[utoipa::path(put, path = "/api/goals/{id}", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = UpdateGoalRequest,
    responses((status = 200, description = "{message}"), (status = 400), (status = 404)))]
pub async fn update(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let id = ctx.param("id")?.to_string();
    let request: UpdateGoalRequest = ctx.json().await?;
    let db = ctx.env.d1(DB)?;
    let goal = live(&db, &claims.sub, EntityType::Goal, &id, NOT_FOUND).await?;
    if request.is_empty() {
        return json(&json!({ "message": "No fields to update" }));
    }
    let at = clock();
    let write = prepare_write(EntityType::Goal, apply_update(&goal, &request, at))?;
    store(&ctx, &db, &claims.sub, vec![write], at).await?;
    json(&json!({ "message": "Goal updated successfully" }))
}

#[utoipa::path(post, path = "/api/goals/{id}/progress", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = ProgressRequest,
    responses((status = 200, description = "{message, currentValue, targetValue, status, completed}"), (status = 400), (status = 404)))]
pub async fn progress(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let id = ctx.param("id")?.to_string();
    let request: ProgressRequest = ctx.json().await?;
    let db = ctx.env.d1(DB)?;
    let goal = live(&db, &claims.sub, EntityType::Goal, &id, NOT_FOUND).await?;
    let at = clock();
    let outcome = record_progress(&goal, &request, at)?;
    let saved = outcome
        .document
        .get("currentValue")
        .cloned()
        .unwrap_or(Value::Null);
    let write = prepare_write(EntityType::Goal, outcome.document)?;
    store(&ctx, &db, &claims.sub, vec![write], at).await?;
    json(&json!({
        "message": "Progress tracked successfully",
        "currentValue": saved,
        "targetValue": outcome.target_value,
        "status": outcome.status,
        "completed": outcome.completed,
    }))
}

#[utoipa::path(delete, path = "/api/goals/{id}", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "{message}"), (status = 404)))]
pub async fn remove(ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let id = ctx.param("id")?.to_string();
    let db = ctx.env.d1(DB)?;
    let goal = live(&db, &claims.sub, EntityType::Goal, &id, NOT_FOUND).await?;
    let at = clock();
    let write = prepare_write(EntityType::Goal, tombstone(&goal, at))?;
    store(&ctx, &db, &claims.sub, vec![write], at).await?;
    json(&json!({ "message": "Goal deleted successfully" }))
}
