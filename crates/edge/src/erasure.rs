//! The receiving side of an account's erasure (`mirubato_core::erasure`): each worker's
//! `POST /internal/users/erase` reads its request here and, besides its own data, deletes
//! the user's rate-limit counters in its namespace.

use mirubato_core::erasure::EraseRequest;
use mirubato_core::input::MAX_JSON_BODY;

use crate::{EdgeError, RequestContext, rate_limit};

/// The erase request of a service-binding call (404 for any other caller, as every internal
/// route), with its user id checked.
pub async fn read_request(ctx: &mut RequestContext) -> Result<EraseRequest, EdgeError> {
    ctx.require_internal()?;
    let body = ctx.body_bytes(MAX_JSON_BODY).await?;
    Ok(EraseRequest::parse(&body)?)
}

/// Deletes the user's rate-limit counters in this worker's namespace.
pub async fn forget_rate_limits(ctx: &RequestContext, user_id: &str) -> Result<(), EdgeError> {
    rate_limit::forget_user(&ctx.env, user_id).await
}
