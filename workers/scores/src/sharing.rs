//! Shared collections (`/api/collections/shared/*`: teachers and administrators share their
//! own collections with users by id) and the administrators' featuring of public collections
//! (`/api/collections/featured/*`). Rules in `mirubato_core::scores::sharing`.

use mirubato_core::ApiError;
use mirubato_core::scores::model::SqlValue;
use mirubato_core::scores::sharing::{
    FeatureCollection, FeaturedOrder, ShareUsers, may_share, share_with, unshare,
};
use mirubato_edge::auth::{authenticate, authenticate_admin, role};
use mirubato_edge::{EdgeError, RequestContext, json};
use serde_json::{Value, json};
use worker::{D1Database, Response};

use crate::collections::{COLLECTION_SELECT, CollectionRow, member_scores};
use crate::store::{DB, all, first, now_iso, run, statement, text};

/// The caller, who must be a teacher or an administrator.
async fn sharer(ctx: &RequestContext) -> Result<String, EdgeError> {
    let claims = authenticate(ctx).await?;
    if may_share(role(ctx, &claims).await?) {
        Ok(claims.sub)
    } else {
        Err(ApiError::Forbidden("Only teachers and administrators share collections".into()).into())
    }
}

/// Collections with the scores `viewer` may see in each.
async fn with_scores(
    db: &D1Database,
    rows: &[CollectionRow],
    viewer: Option<&str>,
) -> Result<Vec<Value>, EdgeError> {
    let mut data = Vec::with_capacity(rows.len());
    for row in rows {
        let mut view = row.view_for(viewer);
        view["scores"] = Value::Array(member_scores(db, &row.id, viewer).await?);
        data.push(view);
    }
    Ok(data)
}

/// `GET /api/collections/shared/with-me`: collections others shared with the caller (exact
/// membership of the caller's id in `shared_with`).
pub async fn with_me(ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = authenticate(&ctx).await?.sub;
    let db = ctx.env.d1(DB)?;
    let rows: Vec<CollectionRow> = all(
        &db,
        &format!(
            "{COLLECTION_SELECT} WHERE c.user_id <> ?1 AND EXISTS \
             (SELECT 1 FROM json_each(c.shared_with) WHERE json_each.value = ?1) ORDER BY c.name"
        ),
        &[text(&caller)],
    )
    .await?;
    let data = with_scores(&db, &rows, Some(&caller)).await?;
    json(&json!({ "success": true, "data": data }))
}

/// `GET /api/collections/shared/by-me`: the caller's collections shared with anyone.
pub async fn by_me(ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = sharer(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    let rows: Vec<CollectionRow> = all(
        &db,
        &format!(
            "{COLLECTION_SELECT} WHERE c.user_id = ? AND json_array_length(c.shared_with) > 0 ORDER BY c.name"
        ),
        &[text(&caller)],
    )
    .await?;
    let data = with_scores(&db, &rows, Some(&caller)).await?;
    json(&json!({ "success": true, "data": data }))
}

async fn change_recipients(
    mut ctx: RequestContext,
    change: fn(&CollectionRow, &[String]) -> Result<Vec<String>, ApiError>,
) -> Result<Response, EdgeError> {
    let caller = sharer(&ctx).await?;
    let body: ShareUsers = ctx.json().await?;
    let ids = body.cleaned()?;
    let db = ctx.env.d1(DB)?;
    let collection: CollectionRow = first(
        &db,
        &format!("{COLLECTION_SELECT} WHERE c.id = ? AND c.user_id = ?"),
        &[text(ctx.param("id")?), text(&caller)],
    )
    .await?
    .ok_or_else(|| ApiError::not_found("Collection not found"))?;
    let recipients = change(&collection, &ids)?;
    run(
        &db,
        "UPDATE user_collections SET shared_with = ?, updated_at = ? WHERE id = ?",
        &[
            SqlValue::Text(json!(recipients).to_string()),
            SqlValue::Text(now_iso()),
            text(&collection.id),
        ],
    )
    .await?;
    let updated: Option<CollectionRow> = first(
        &db,
        &format!("{COLLECTION_SELECT} WHERE c.id = ?"),
        &[text(&collection.id)],
    )
    .await?;
    json(&json!({ "success": true, "data": updated.as_ref().map(CollectionRow::view) }))
}

/// `POST /api/collections/shared/:id/share {userIds}`: shares the caller's collection.
pub async fn share(ctx: RequestContext) -> Result<Response, EdgeError> {
    change_recipients(ctx, |collection, ids| {
        share_with(&collection.recipients(), ids, &collection.user_id)
    })
    .await
}

/// `DELETE /api/collections/shared/:id/share {userIds}`: stops sharing with those users.
pub async fn unshare_collection(ctx: RequestContext) -> Result<Response, EdgeError> {
    change_recipients(ctx, |collection, ids| {
        Ok(unshare(&collection.recipients(), ids))
    })
    .await
}

async fn collection_by_id(db: &D1Database, id: &str) -> Result<CollectionRow, EdgeError> {
    first(
        db,
        &format!("{COLLECTION_SELECT} WHERE c.id = ?"),
        &[text(id)],
    )
    .await?
    .ok_or_else(|| ApiError::not_found("Collection not found").into())
}

/// `POST /api/collections/featured/feature {collectionId, displayOrder?}` (admin): features a
/// public collection (a private or unlisted one is a 400: featuring publishes it).
pub async fn feature(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let admin = authenticate_admin(&ctx).await?;
    let body: FeatureCollection = ctx.json().await?;
    let db = ctx.env.d1(DB)?;
    let collection = collection_by_id(&db, &body.collection_id).await?;
    if collection.visibility != "public" {
        return Err(ApiError::validation("Only public collections can be featured").into());
    }
    let now = now_iso();
    run(
        &db,
        "UPDATE user_collections SET featured_at = COALESCE(featured_at, ?1), featured_by = ?2, \
         featured_order = COALESCE(?3, featured_order), updated_at = ?1 WHERE id = ?4",
        &[
            text(&now),
            text(&admin.sub),
            body.display_order.map_or(SqlValue::Null, SqlValue::Integer),
            text(&collection.id),
        ],
    )
    .await?;
    let featured = collection_by_id(&db, &collection.id).await?;
    json(&json!({ "success": true, "data": featured.view() }))
}

/// `DELETE /api/collections/featured/feature/:id` (admin).
pub async fn unfeature(ctx: RequestContext) -> Result<Response, EdgeError> {
    authenticate_admin(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    let collection = collection_by_id(&db, ctx.param("id")?).await?;
    if collection.featured_at.is_none() {
        return Err(ApiError::not_found("Collection is not featured").into());
    }
    run(
        &db,
        "UPDATE user_collections SET featured_at = NULL, featured_by = NULL, updated_at = ? WHERE id = ?",
        &[SqlValue::Text(now_iso()), text(&collection.id)],
    )
    .await?;
    json(&json!({ "success": true, "message": "Collection is no longer featured" }))
}

/// `PUT /api/collections/featured/order {collectionIds}` (admin): every listed collection must
/// be featured, or nothing changes (404).
pub async fn reorder(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    authenticate_admin(&ctx).await?;
    let body: FeaturedOrder = ctx.json().await?;
    let positions = body.positions()?;
    let db = ctx.env.d1(DB)?;
    #[derive(serde::Deserialize)]
    struct Id {
        id: String,
    }
    let featured: Vec<Id> = all(
        &db,
        "SELECT id FROM user_collections WHERE featured_at IS NOT NULL \
         AND id IN (SELECT value FROM json_each(?))",
        &[SqlValue::Text(json!(body.collection_ids).to_string())],
    )
    .await?;
    if let Some((missing, _)) = positions
        .iter()
        .find(|(id, _)| !featured.iter().any(|row| &row.id == id))
    {
        return Err(ApiError::not_found(format!("Featured collection {missing} not found")).into());
    }
    let now = now_iso();
    let mut statements = Vec::with_capacity(positions.len());
    for (id, position) in &positions {
        statements.push(statement(
            &db,
            "UPDATE user_collections SET featured_order = ?, updated_at = ? WHERE id = ?",
            &[SqlValue::Integer(*position), text(&now), text(id)],
        )?);
    }
    db.batch(statements).await?;
    json(&json!({ "success": true, "data": { "collectionIds": body.collection_ids } }))
}
