//! User collections (`/api/user/collections*`, with the default "General" one) and the
//! featured platform collections (`/api/collections/featured`). Every mutation needs the
//! owner's token; sharing and featuring are in `sharing.rs`.

use mirubato_core::ApiError;
use mirubato_core::scores::model::{
    CreateCollection, SCORE_COLUMNS, ScoreIds, ScoreRef, ScoreRow, SqlValue, UpdateCollection,
    Visibility, clean_tags,
};
use mirubato_core::scores::sharing::collection_slug;
use mirubato_edge::{EdgeError, RequestContext, json, json_with_status};
use serde::Deserialize;
use serde_json::{Value, json};
use worker::{D1Database, Response};

use crate::store::{DB, all, first, insert, now_iso, run, text, user, viewer, visible_score};

#[derive(Deserialize)]
pub struct CollectionRow {
    pub id: String,
    pub user_id: String,
    name: String,
    description: Option<String>,
    slug: String,
    pub visibility: String,
    is_default: i64,
    collection_type: String,
    tags: String,
    pub shared_with: String,
    pub featured_at: Option<String>,
    featured_order: i64,
    display_order: i64,
    created_at: String,
    updated_at: String,
    score_ids: Option<String>,
    public_score_ids: Option<String>,
}

pub const COLLECTION_SELECT: &str = "SELECT c.*, (SELECT json_group_array(score_id) FROM \
    (SELECT score_id FROM collection_members m WHERE m.collection_id = c.id ORDER BY display_order, added_at)) AS score_ids, \
    (SELECT json_group_array(score_id) FROM (SELECT m.score_id FROM collection_members m JOIN scores s ON s.id = m.score_id \
    WHERE m.collection_id = c.id AND s.visibility = 'public' ORDER BY m.display_order, m.added_at)) AS public_score_ids \
    FROM user_collections c";

impl CollectionRow {
    /// The ids the collection is shared with.
    pub fn recipients(&self) -> Vec<String> {
        serde_json::from_str(&self.shared_with).unwrap_or_default()
    }

    /// The collection as `viewer` may see it: whole for its owner; for anyone else without
    /// the ids of its scores that are not public and without `sharedWith` (who else it was
    /// shared with is the owner's business).
    pub fn view_for(&self, viewer: Option<&str>) -> Value {
        let mut view = self.view();
        if viewer != Some(self.user_id.as_str()) {
            view["scoreIds"] =
                serde_json::from_str(self.public_score_ids.as_deref().unwrap_or("[]"))
                    .unwrap_or_else(|_| json!([]));
            if let Some(fields) = view.as_object_mut() {
                fields.remove("sharedWith");
            }
        }
        view
    }

    /// The owner's view of the collection.
    pub fn view(&self) -> Value {
        let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap_or_else(|_| json!([]));
        json!({
            "id": self.id, "userId": self.user_id, "name": self.name, "description": self.description,
            "slug": self.slug, "visibility": self.visibility, "isDefault": self.is_default != 0,
            "collectionType": self.collection_type, "tags": parse(&self.tags),
            "sharedWith": parse(&self.shared_with), "featuredAt": self.featured_at, "featuredOrder": self.featured_order,
            "displayOrder": self.display_order, "createdAt": self.created_at, "updatedAt": self.updated_at,
            "scoreIds": parse(self.score_ids.as_deref().unwrap_or("[]")),
        })
    }
}

async fn ensure_default(db: &D1Database, user_id: &str) -> Result<(), EdgeError> {
    let now = now_iso();
    run(
        db,
        "INSERT OR IGNORE INTO user_collections (id, user_id, name, description, slug, visibility, is_default, created_at, updated_at) \
         VALUES (?, ?, 'General', 'Your default collection', 'general', 'private', 1, ?, ?)",
        &[SqlValue::Text(uuid::Uuid::new_v4().to_string()), text(user_id), text(&now), text(&now)],
    )
    .await
}

async fn owned(db: &D1Database, id: &str, user_id: &str) -> Result<CollectionRow, EdgeError> {
    first::<CollectionRow>(
        db,
        &format!("{COLLECTION_SELECT} WHERE c.id = ? AND c.user_id = ?"),
        &[text(id), text(user_id)],
    )
    .await?
    .ok_or_else(|| ApiError::not_found("Collection not found").into())
}

/// The scores of a collection that `viewer` may see.
pub async fn member_scores(
    db: &D1Database,
    collection_id: &str,
    viewer: Option<&str>,
) -> Result<Vec<Value>, EdgeError> {
    let columns: String = SCORE_COLUMNS
        .split(',')
        .map(|c| format!("s.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let rows: Vec<ScoreRow> = all(
        db,
        &format!(
            "SELECT {columns} FROM collection_members m JOIN scores s ON s.id = m.score_id \
             WHERE m.collection_id = ? AND (s.visibility = 'public' OR s.user_id = ?) ORDER BY m.display_order, m.added_at"
        ),
        &[text(collection_id), viewer.map(str::to_string).into()],
    )
    .await?;
    Ok(rows.iter().map(ScoreRow::view).collect())
}

pub async fn list(ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = user(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    ensure_default(&db, &caller).await?;
    let rows: Vec<CollectionRow> = all(
        &db,
        &format!("{COLLECTION_SELECT} WHERE c.user_id = ? ORDER BY c.is_default DESC, c.display_order, c.created_at"),
        &[text(&caller)],
    )
    .await?;
    let data: Vec<Value> = rows.iter().map(CollectionRow::view).collect();
    json(&json!({ "success": true, "data": data }))
}

pub async fn get(ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = user(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    let collection = owned(&db, ctx.param("id")?, &caller).await?;
    let mut data = collection.view();
    data["scores"] = Value::Array(member_scores(&db, &collection.id, Some(&caller)).await?);
    json(&json!({ "success": true, "data": data }))
}

pub async fn create(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = user(&ctx).await?;
    let body: CreateCollection = ctx.json().await?;
    let name = body.name.trim();
    if name.is_empty() {
        return Err(ApiError::validation("name must not be blank").into());
    }
    let db = ctx.env.d1(DB)?;
    ensure_default(&db, &caller).await?;
    let visibility = body.visibility.unwrap_or(Visibility::Private);
    let slug = collection_slug(name, visibility, None);
    let taken: Option<CollectionRow> = first(
        &db,
        &format!("{COLLECTION_SELECT} WHERE c.user_id = ? AND c.slug = ?"),
        &[text(&caller), text(&slug)],
    )
    .await?;
    if taken.is_some() {
        return Err(ApiError::Conflict("A collection with this name already exists".into()).into());
    }
    let id = uuid::Uuid::new_v4().to_string();
    let now = now_iso();
    insert(
        &db,
        "user_collections",
        &[
            ("id", text(&id)),
            ("user_id", text(&caller)),
            ("name", text(name)),
            ("description", body.description.clone().into()),
            ("slug", text(&slug)),
            ("visibility", text(visibility.as_str())),
            (
                "tags",
                SqlValue::Text(json!(clean_tags(&body.tags)?).to_string()),
            ),
            ("created_at", text(&now)),
            ("updated_at", text(&now)),
        ],
    )
    .await?;
    let collection = owned(&db, &id, &caller).await?;
    json_with_status(
        &json!({ "success": true, "data": collection.view(), "message": "Collection created" }),
        201,
    )
}

pub async fn update(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = user(&ctx).await?;
    let body: UpdateCollection = ctx.json().await?;
    if body.is_empty() {
        return Err(ApiError::validation("No fields to update").into());
    }
    let db = ctx.env.d1(DB)?;
    let collection = owned(&db, ctx.param("id")?, &caller).await?;
    if collection.is_default != 0 {
        return Err(ApiError::validation("Cannot modify default collection").into());
    }
    let mut assignments = vec!["updated_at = ?".to_string()];
    let mut binds = vec![SqlValue::Text(now_iso())];
    if let Some(name) = body.name.as_deref().map(str::trim) {
        if name.is_empty() {
            return Err(ApiError::validation("name must not be blank").into());
        }
        assignments.push("name = ?".into());
        binds.push(text(name));
    }
    if body.name.is_some() || body.visibility.is_some() {
        let name = body
            .name
            .as_deref()
            .map_or(collection.name.as_str(), str::trim);
        let current = Visibility::parse(&collection.visibility).unwrap_or(Visibility::Private);
        let visibility = body.visibility.unwrap_or(current);
        assignments.push("slug = ?".into());
        binds.push(SqlValue::Text(collection_slug(
            name,
            visibility,
            Some((&collection.slug, current)),
        )));
    }
    if let Some(description) = &body.description {
        assignments.push("description = ?".into());
        binds.push(text(description));
    }
    if let Some(visibility) = body.visibility {
        assignments.push("visibility = ?".into());
        binds.push(text(visibility.as_str()));
    }
    if let Some(tags) = &body.tags {
        assignments.push("tags = ?".into());
        binds.push(SqlValue::Text(json!(clean_tags(tags)?).to_string()));
    }
    binds.push(text(&collection.id));
    run(
        &db,
        &format!(
            "UPDATE user_collections SET {} WHERE id = ?",
            assignments.join(", ")
        ),
        &binds,
    )
    .await
    .map_err(|_| {
        EdgeError::from(ApiError::Conflict(
            "A collection with this name already exists".into(),
        ))
    })?;
    let collection = owned(&db, &collection.id, &caller).await?;
    json(&json!({ "success": true, "data": collection.view() }))
}

pub async fn remove(ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = user(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    let collection = owned(&db, ctx.param("id")?, &caller).await?;
    if collection.is_default != 0 {
        return Err(ApiError::validation("Cannot delete default collection").into());
    }
    run(
        &db,
        "DELETE FROM user_collections WHERE id = ?",
        &[text(&collection.id)],
    )
    .await?;
    json(&json!({ "success": true, "message": "Collection deleted" }))
}

async fn add_member(
    db: &D1Database,
    collection_id: &str,
    score_id: &str,
) -> Result<bool, EdgeError> {
    #[derive(Deserialize)]
    struct Changes {
        changes: i64,
    }
    let inserted: Option<Changes> = first(
        db,
        "INSERT OR IGNORE INTO collection_members (collection_id, score_id, display_order, added_at) \
         VALUES (?1, ?2, (SELECT COALESCE(MAX(display_order), 0) + 1 FROM collection_members WHERE collection_id = ?1), ?3) \
         RETURNING 1 AS changes",
        &[text(collection_id), text(score_id), SqlValue::Text(now_iso())],
    )
    .await?;
    Ok(inserted.is_some_and(|row| row.changes == 1))
}

pub async fn add_score(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = user(&ctx).await?;
    let body: ScoreRef = ctx.json().await?;
    let db = ctx.env.d1(DB)?;
    let collection = owned(&db, ctx.param("id")?, &caller).await?;
    let score = visible_score(&db, &body.score_id, Some(&caller)).await?;
    if !add_member(&db, &collection.id, &score.id).await? {
        return Err(ApiError::Conflict("Score already in collection".into()).into());
    }
    json(&json!({ "success": true, "message": "Score added to collection" }))
}

pub async fn add_scores(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = user(&ctx).await?;
    let body: ScoreIds = ctx.json().await?;
    let db = ctx.env.d1(DB)?;
    let collection = owned(&db, ctx.param("id")?, &caller).await?;
    // All or nothing: every score must be one the caller may see.
    for id in &body.score_ids {
        visible_score(&db, id, Some(&caller)).await?;
    }
    let mut added = 0;
    for id in &body.score_ids {
        if add_member(&db, &collection.id, id).await? {
            added += 1;
        }
    }
    json(&json!({ "success": true, "data": { "added": added } }))
}

pub async fn remove_score(ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = user(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    let collection = owned(&db, ctx.param("id")?, &caller).await?;
    run(
        &db,
        "DELETE FROM collection_members WHERE collection_id = ? AND score_id = ?",
        &[text(&collection.id), text(ctx.param("scoreId")?)],
    )
    .await?;
    json(&json!({ "success": true, "message": "Score removed from collection" }))
}

#[derive(Deserialize)]
struct Membership {
    score_id: String,
    id: String,
    name: String,
}

async fn memberships(
    db: &D1Database,
    user_id: &str,
    score_ids: &[String],
) -> Result<Vec<Membership>, EdgeError> {
    all(
        db,
        "SELECT m.score_id, c.id, c.name FROM collection_members m JOIN user_collections c ON c.id = m.collection_id \
         WHERE c.user_id = ? AND m.score_id IN (SELECT value FROM json_each(?)) ORDER BY c.name",
        &[text(user_id), SqlValue::Text(json!(score_ids).to_string())],
    )
    .await
}

pub async fn for_score(ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = user(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    let found = memberships(&db, &caller, &[ctx.param("scoreId")?.to_string()]).await?;
    let data: Vec<Value> = found
        .iter()
        .map(|m| json!({ "id": m.id, "name": m.name }))
        .collect();
    json(&json!({ "success": true, "data": data }))
}

pub async fn for_scores(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = user(&ctx).await?;
    let body: ScoreIds = ctx.json().await?;
    let db = ctx.env.d1(DB)?;
    let found = memberships(&db, &caller, &body.score_ids).await?;
    let mut data = serde_json::Map::new();
    for id in &body.score_ids {
        data.insert(id.clone(), json!([]));
    }
    for membership in found {
        if let Some(Value::Array(list)) = data.get_mut(&membership.score_id) {
            list.push(json!({ "id": membership.id, "name": membership.name }));
        }
    }
    json(&json!({ "success": true, "data": data }))
}

/// `GET /api/collections/featured`: the platform's featured collections with their visible scores.
pub async fn featured(ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = viewer(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    let rows: Vec<CollectionRow> = all(
        &db,
        &format!("{COLLECTION_SELECT} WHERE c.featured_at IS NOT NULL AND c.visibility = 'public' ORDER BY c.featured_order, c.name"),
        &[],
    )
    .await?;
    let mut data = Vec::new();
    for row in &rows {
        let mut view = row.view_for(caller.as_deref());
        view["scores"] = Value::Array(member_scores(&db, &row.id, caller.as_deref()).await?);
        data.push(view);
    }
    json(&json!({ "success": true, "data": data }))
}

/// `GET /api/collections/:slug`: a public (or unlisted) collection by slug.
pub async fn by_slug(ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = viewer(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    let row: CollectionRow = first(
        &db,
        &format!("{COLLECTION_SELECT} WHERE c.slug = ? AND c.visibility IN ('public', 'unlisted') ORDER BY c.featured_at IS NULL LIMIT 1"),
        &[text(ctx.param("slug")?)],
    )
    .await?
    .ok_or_else(|| ApiError::not_found("Collection not found"))?;
    let scores = member_scores(&db, &row.id, caller.as_deref()).await?;
    let collection = row.view_for(caller.as_deref());
    json(&json!({ "success": true, "data": { "collection": collection, "scores": scores } }))
}
