//! `GET/PUT /api/user/preferences`: a synced document (`user_preferences`, id = user id), so a
//! change reaches the user's other devices like any other.

use mirubato_core::ApiError;
use mirubato_core::preferences::UserPreferences;
use mirubato_core::sync::EntityType;
use mirubato_edge::{EdgeError, RequestContext, json, now};
use worker::Response;

use mirubato_core::sync::entities::normalize_document;
use mirubato_core::sync::merge::IncomingWrite;

use crate::DB;
use crate::documents::write_and_notify;
use crate::session::authenticate;
use crate::store::read_document;

/// Keys the server adds to the stored document; not part of the preferences themselves.
const DOCUMENT_KEYS: [&str; 3] = ["id", "updatedAt", "version"];

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
    let mut preferences: serde_json::Map<String, serde_json::Value> = match stored {
        Some(text) => serde_json::from_str(&text).map_err(ApiError::internal)?,
        None => serde_json::Map::new(),
    };
    for key in DOCUMENT_KEYS {
        preferences.remove(key);
    }
    json(&preferences)
}

#[utoipa::path(put, path = "/api/user/preferences", security(("bearer" = [])), request_body = UserPreferences,
    responses((status = 200, description = "{success, preferences}"), (status = 400), (status = 401)))]
pub async fn put(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let preferences: UserPreferences = ctx.json().await?;
    let at = now();
    let stamp = mirubato_core::practice::iso(at);
    let db = ctx.env.d1(DB)?;
    // Each PUT supersedes the last, even within one millisecond: the version counts them.
    let previous_version =
        read_document(&db, &claims.sub, EntityType::UserPreferences, &claims.sub)
            .await?
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .and_then(|doc| doc.get("version").and_then(serde_json::Value::as_i64))
            .unwrap_or(0);
    let mut document = serde_json::to_value(&preferences).map_err(ApiError::internal)?;
    document["id"] = claims.sub.clone().into();
    document["updatedAt"] = stamp.into();
    document["version"] = (previous_version + 1).into();
    let document = normalize_document(EntityType::UserPreferences, document)
        .map_err(|err| ApiError::internal(format!("preferences document: {err}")))?;
    let write = IncomingWrite::new(EntityType::UserPreferences, &document, "server")
        .ok_or_else(|| ApiError::internal("preferences document has no stamp"))?;
    write_and_notify(&ctx, &db, &claims.sub, vec![write], at).await?;
    json(&serde_json::json!({ "success": true, "preferences": preferences }))
}
