//! `GET/PUT /api/user/preferences`: a synced document (`user_preferences`, id = user id), so a
//! change reaches the user's other devices like any other.

use mirubato_core::ApiError;
use mirubato_core::preferences::UserPreferences;
use mirubato_core::sync::EntityType;
use mirubato_edge::{EdgeError, RequestContext, json, now};
use worker::Response;

use crate::DB;
use crate::session::authenticate;
use crate::store::{read_document, write_document};

#[utoipa::path(get, path = "/api/user/preferences", security(("bearer" = [])),
    responses((status = 200, body = UserPreferences), (status = 401)))]
pub async fn get(ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let stored = read_document(
        &ctx.env.d1(DB)?,
        &claims.sub,
        EntityType::UserPreferences,
        &claims.sub,
    )
    .await?;
    let preferences: serde_json::Value = match stored {
        Some(text) => serde_json::from_str(&text).map_err(ApiError::internal)?,
        None => serde_json::json!({}),
    };
    json(&preferences)
}

#[utoipa::path(put, path = "/api/user/preferences", security(("bearer" = [])), request_body = UserPreferences,
    responses((status = 200, description = "{success, preferences}"), (status = 400), (status = 401)))]
pub async fn put(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let preferences: UserPreferences = ctx.json().await?;
    let document = serde_json::to_string(&preferences).map_err(ApiError::internal)?;
    let stamp = now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    write_document(
        &ctx.env.d1(DB)?,
        &claims.sub,
        EntityType::UserPreferences,
        &claims.sub,
        &document,
        &stamp,
    )
    .await?;
    json(&serde_json::json!({ "success": true, "preferences": preferences }))
}
