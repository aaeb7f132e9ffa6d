//! `GET /api/autocomplete/composers|pieces`: public search of the curated catalogue, cached
//! in KV for an hour under the normalised query and cacheable by browsers for five minutes.

use mirubato_core::practice::catalogue::{cache_key, composers_answer, parse_limit, pieces_answer};
use mirubato_edge::{EdgeError, RequestContext};
use serde_json::Value;
use worker::Response;

use crate::CACHE;

const KV_TTL_SECS: u64 = 3600;
const CACHE_CONTROL: &str = "public, max-age=300";

async fn answer(
    ctx: &RequestContext,
    key: String,
    compute: impl FnOnce() -> Value,
) -> Result<Response, EdgeError> {
    let kv = ctx.env.kv(CACHE)?;
    let (body, hit) = match kv.get(&key).text().await? {
        Some(cached) => (cached, true),
        None => {
            let body = compute().to_string();
            kv.put(&key, body.as_str())?
                .expiration_ttl(KV_TTL_SECS)
                .execute()
                .await?;
            (body, false)
        }
    };
    let mut response = Response::ok(body)?;
    let headers = response.headers_mut();
    headers.set("Content-Type", "application/json")?;
    headers.set("Cache-Control", CACHE_CONTROL)?;
    headers.set("X-Cache", if hit { "HIT" } else { "MISS" })?;
    Ok(response)
}

#[utoipa::path(get, path = "/api/autocomplete/composers",
    params(("q" = String, Query, description = "At least 2 characters"), ("limit" = Option<usize>, Query, description = "1 to 50, default 10")),
    responses((status = 200, description = "{results:[{value, label, metadata}], total}"), (status = 400)))]
pub async fn composers(ctx: RequestContext) -> Result<Response, EdgeError> {
    let query = ctx.query("q").unwrap_or_default();
    let limit = parse_limit(ctx.query("limit").as_deref())?;
    let key = cache_key("composers", &query, None, limit);
    answer(&ctx, key, || composers_answer(&query, limit)).await
}

#[utoipa::path(get, path = "/api/autocomplete/pieces",
    params(("q" = String, Query, description = "At least 2 characters"), ("limit" = Option<usize>, Query, description = "1 to 50, default 10"), ("composer" = Option<String>, Query)),
    responses((status = 200, description = "{results:[{value, label, metadata:{composer, gradeLevel, instrument}}], total}"), (status = 400)))]
pub async fn pieces(ctx: RequestContext) -> Result<Response, EdgeError> {
    let query = ctx.query("q").unwrap_or_default();
    let limit = parse_limit(ctx.query("limit").as_deref())?;
    let composer = ctx.query("composer");
    let key = cache_key("pieces", &query, composer.as_deref(), limit);
    answer(&ctx, key, || {
        pieces_answer(&query, composer.as_deref(), limit)
    })
    .await
}
