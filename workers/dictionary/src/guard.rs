//! What every public route does first: who is calling (optional sign-in), then the rate
//! limit of the route's scope; the quota headers go on whatever the handler answers.

use std::future::Future;

use mirubato_core::jwt::Claims;
use mirubato_edge::auth::authenticate_optional;
use mirubato_edge::rate_limit::{Policy, admit, caller, limited};
use mirubato_edge::{EdgeError, RequestContext};
use worker::Response;

use crate::CACHE;

pub const LOOKUP: Policy = Policy {
    scope: "lookup",
    config_key: "RATE_LIMIT_LOOKUP",
};
pub const SEARCH: Policy = Policy {
    scope: "search",
    config_key: "RATE_LIMIT_SEARCH",
};
pub const FEEDBACK: Policy = Policy {
    scope: "feedback",
    config_key: "RATE_LIMIT_FEEDBACK",
};
pub const REPORT: Policy = Policy {
    scope: "report",
    config_key: "RATE_LIMIT_REPORT",
};
pub const EXPORT: Policy = Policy {
    scope: "export",
    config_key: "RATE_LIMIT_EXPORT",
};

/// Runs `handler` for the (optionally signed-in) caller if the scope's limit allows.
pub async fn guarded<F, Fut>(
    ctx: RequestContext,
    policy: Policy,
    handler: F,
) -> Result<Response, EdgeError>
where
    F: FnOnce(RequestContext, Option<Claims>) -> Fut,
    Fut: Future<Output = Result<Response, EdgeError>>,
{
    let claims = authenticate_optional(&ctx).await?;
    let counted = caller(&ctx, claims.as_ref().map(|claims| claims.sub.as_str()));
    let decision = admit(&ctx, CACHE, policy, &counted).await?;
    limited(&decision, handler(ctx, claims)).await
}
