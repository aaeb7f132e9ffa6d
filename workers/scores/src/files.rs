//! Stored files of the scores bucket, served by the shared R2 helper (`ETag`, 304, `Range`).

use mirubato_edge::{EdgeError, RequestContext, Served, serve_object};
use worker::Response;

use crate::store::BUCKET;

pub async fn serve(
    ctx: &RequestContext,
    key: &str,
    cache_control: &str,
) -> Result<Response, EdgeError> {
    let served = Served {
        content_type: None,
        cache_control,
    };
    serve_object(ctx, &ctx.env.bucket(BUCKET)?, key, served).await
}
