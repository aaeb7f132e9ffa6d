//! `GET /api/search`, `/api/search/popular`, `/api/search/recent`: only public scores and the
//! caller's own, ever.

use std::collections::HashMap;

use mirubato_core::ApiError;
use mirubato_core::scores::model::{ScoreRow, SqlValue};
use mirubato_core::scores::search::Search;
use mirubato_edge::{EdgeError, RequestContext, json};
use serde_json::json;
use worker::Response;

use crate::store::{Count, DB, all, first, viewer};

/// Score columns qualified for the joined search query.
fn qualified_columns() -> String {
    mirubato_core::scores::model::SCORE_COLUMNS
        .split(',')
        .map(|column| format!("s.{}", column.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn search(ctx: RequestContext) -> Result<Response, EdgeError> {
    let caller = viewer(&ctx).await?;
    let params: HashMap<String, String> = ctx
        .req
        .url()?
        .query_pairs()
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    let search = Search::from_params(&params)?;
    let (from_where, mut binds) = search.from_where(caller.as_deref());
    let db = ctx.env.d1(DB)?;
    let total = first::<Count>(
        &db,
        &format!("SELECT COUNT(*) AS total {from_where}"),
        &binds,
    )
    .await?
    .map_or(0, |count| count.total);
    binds.extend([
        SqlValue::Integer(search.limit),
        SqlValue::Integer(search.offset),
    ]);
    let rows: Vec<ScoreRow> = all(
        &db,
        &format!(
            "SELECT {} {from_where} {} LIMIT ? OFFSET ?",
            qualified_columns(),
            search.order_by()
        ),
        &binds,
    )
    .await?;
    let scores: Vec<_> = rows.iter().map(ScoreRow::view).collect();
    json(&json!({ "success": true, "data": {
        "scores": scores, "total": total, "limit": search.limit, "offset": search.offset,
    }}))
}

async fn ranked(ctx: RequestContext, order: &str) -> Result<Response, EdgeError> {
    let caller = viewer(&ctx).await?;
    let limit = match ctx.query("limit") {
        None => 10,
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=50).contains(n))
            .ok_or_else(|| ApiError::validation("limit must be an integer from 1 to 50"))?,
    };
    let db = ctx.env.d1(DB)?;
    let rows: Vec<ScoreRow> = all(
        &db,
        &format!(
            "SELECT {} FROM scores s WHERE (s.visibility = 'public' OR s.user_id = ?) ORDER BY {order}, s.id LIMIT ?",
            qualified_columns()
        ),
        &[caller.into(), SqlValue::Integer(limit)],
    )
    .await?;
    let scores: Vec<_> = rows.iter().map(ScoreRow::view).collect();
    json(&json!({ "success": true, "data": scores }))
}

pub async fn popular(ctx: RequestContext) -> Result<Response, EdgeError> {
    ranked(ctx, "(s.view_count + s.download_count) DESC").await
}

pub async fn recent(ctx: RequestContext) -> Result<Response, EdgeError> {
    ranked(ctx, "s.created_at DESC").await
}
