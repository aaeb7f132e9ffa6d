//! Streaming R2 objects to clients: `ETag`, `If-None-Match` → 304, `Range` → 206 (or 416),
//! with the decisions made by `mirubato_core::byte_serving`. The body streams from R2; it
//! is never held in memory.

use mirubato_core::ApiError;
use mirubato_core::byte_serving::{etag_matches, requested_range};
use worker::{Bucket, Headers, Range, Response};

use crate::{EdgeError, RequestContext};

/// How a served object is labelled.
pub struct Served<'a> {
    /// `None`: the type stored with the object (or `application/octet-stream`).
    pub content_type: Option<&'a str>,
    pub cache_control: &'a str,
}

/// Answers a GET for the object at `key` (404 when it is missing).
pub async fn serve_object(
    ctx: &RequestContext,
    bucket: &Bucket,
    key: &str,
    served: Served<'_>,
) -> Result<Response, EdgeError> {
    let missing = || ApiError::not_found("File not found");
    let head = bucket.head(key).await?.ok_or_else(missing)?;
    let etag = head.http_etag();
    let size = head.size();
    let headers = Headers::new();
    headers.set("ETag", &etag)?;
    headers.set("Accept-Ranges", "bytes")?;
    headers.set("Cache-Control", served.cache_control)?;
    let stored_type = head.http_metadata().content_type;
    headers.set(
        "Content-Type",
        served
            .content_type
            .or(stored_type.as_deref())
            .unwrap_or("application/octet-stream"),
    )?;
    if etag_matches(ctx.header("If-None-Match").as_deref(), &etag) {
        return Ok(Response::empty()?.with_status(304).with_headers(headers));
    }
    let range = requested_range(ctx.header("Range").as_deref(), size)?;
    let mut get = bucket.get(key);
    if let Some(range) = range {
        get = get.range(Range::OffsetWithLength {
            offset: range.start,
            length: range.byte_count(),
        });
        headers.set("Content-Range", &range.content_range(size))?;
    }
    let object = get.execute().await?.ok_or_else(missing)?;
    let body = object
        .body()
        .ok_or_else(|| ApiError::internal(format!("R2 object {key} has no body")))?
        .response_body()?;
    let length = range.map_or(size, |range| range.byte_count());
    headers.set("Content-Length", &length.to_string())?;
    Ok(Response::from_body(body)?
        .with_status(if range.is_some() { 206 } else { 200 })
        .with_headers(headers))
}
