//! Who is calling: the access token from `Authorization: Bearer` or the `auth-token` cookie,
//! verified with the shared `JWT_SECRET`. Only `typ: "access"` tokens are accepted.

use mirubato_core::ApiError;
use mirubato_core::auth::bearer_token;
use mirubato_core::cookies::{AUTH_COOKIE, cookie_value};
use mirubato_core::jwt::{Claims, TokenSigner, TokenType};

use crate::{RequestContext, now};

/// The signer for the session tokens every worker verifies.
pub fn session_signer(ctx: &RequestContext) -> Result<TokenSigner, ApiError> {
    TokenSigner::new(&ctx.secret("JWT_SECRET")?).map_err(ApiError::internal)
}

/// The access token the request carries, if any: the bearer header wins over the cookie.
pub fn presented_access_token(ctx: &RequestContext) -> Option<String> {
    if let Some(header) = ctx.header("Authorization") {
        return bearer_token(&header).map(str::to_string);
    }
    let cookies = ctx.header("Cookie")?;
    cookie_value(&cookies, AUTH_COOKIE).map(str::to_string)
}

/// Verifies the request's access token (signature, expiry, type). Revocation is the
/// caller's to check, against where revocations are kept.
pub fn verify_access(ctx: &RequestContext) -> Result<Claims, ApiError> {
    let token = presented_access_token(ctx)
        .ok_or_else(|| ApiError::Unauthorized("No authentication token provided".into()))?;
    session_signer(ctx)?
        .verify(&token, TokenType::Access, now())
        .map_err(|_| ApiError::Unauthorized("Invalid or expired token".into()))
}
