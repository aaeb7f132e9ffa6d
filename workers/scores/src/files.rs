//! Serving R2 objects with `ETag`, `If-None-Match` → 304, and single `Range` requests → 206.

use mirubato_core::ApiError;
use mirubato_core::scores::ranges::{Span, not_modified, span};
use mirubato_edge::{EdgeError, RequestContext};
use worker::{Range, Response};

use crate::store::BUCKET;

pub async fn serve(
    ctx: &RequestContext,
    key: &str,
    cache_control: Option<&str>,
) -> Result<Response, EdgeError> {
    let bucket = ctx.env.bucket(BUCKET)?;
    let head = bucket
        .head(key)
        .await?
        .ok_or_else(|| ApiError::not_found("File not found"))?;
    let etag = head.http_etag();
    let size = head.size();
    let content_type = head
        .http_metadata()
        .content_type
        .unwrap_or_else(|| "application/octet-stream".into());
    let cache_control = cache_control
        .map(str::to_string)
        .or(head.http_metadata().cache_control)
        .unwrap_or_else(|| "private, max-age=0, must-revalidate".into());
    let mut response = if not_modified(ctx.header("If-None-Match").as_deref(), &etag) {
        Response::empty()?.with_status(304)
    } else {
        match span(ctx.header("Range").as_deref(), size) {
            Span::Unsatisfiable => {
                let mut response = Response::empty()?.with_status(416);
                response
                    .headers_mut()
                    .set("Content-Range", &format!("bytes */{size}"))?;
                response
            }
            Span::Whole => {
                let object = bucket
                    .get(key)
                    .execute()
                    .await?
                    .ok_or_else(|| ApiError::not_found("File not found"))?;
                let body = object
                    .body()
                    .ok_or_else(|| ApiError::internal("R2 object without a body"))?;
                let mut response = Response::from_stream(body.stream()?)?;
                response
                    .headers_mut()
                    .set("Content-Length", &size.to_string())?;
                response
            }
            Span::Partial { start, end } => {
                let object = bucket
                    .get(key)
                    .range(Range::OffsetWithLength {
                        offset: start,
                        length: end - start + 1,
                    })
                    .execute()
                    .await?
                    .ok_or_else(|| ApiError::not_found("File not found"))?;
                let body = object
                    .body()
                    .ok_or_else(|| ApiError::internal("R2 object without a body"))?;
                let mut response = Response::from_bytes(body.bytes().await?)?.with_status(206);
                response
                    .headers_mut()
                    .set("Content-Range", &format!("bytes {start}-{end}/{size}"))?;
                response
            }
        }
    };
    let headers = response.headers_mut();
    headers.set("ETag", &etag)?;
    headers.set("Accept-Ranges", "bytes")?;
    headers.set("Cache-Control", &cache_control)?;
    if response.status_code() != 304 {
        response.headers_mut().set("Content-Type", &content_type)?;
    }
    Ok(response)
}
