//! What every public route does first: find out who is calling, when a token is presented
//! (a forged or revoked token is a 401, never anonymous). The route's rate limit was already
//! counted by the router (`crates/edge/src/rate_limit.rs`).

use std::future::Future;

use mirubato_core::jwt::Claims;
use mirubato_edge::auth::authenticate_optional;
use mirubato_edge::{EdgeError, RequestContext};
use worker::Response;

/// Runs `handler` for the caller, signed in or anonymous.
pub async fn with_optional_caller<F, Fut>(
    ctx: RequestContext,
    handler: F,
) -> Result<Response, EdgeError>
where
    F: FnOnce(RequestContext, Option<Claims>) -> Fut,
    Fut: Future<Output = Result<Response, EdgeError>>,
{
    let claims = authenticate_optional(&ctx).await?;
    handler(ctx, claims).await
}
