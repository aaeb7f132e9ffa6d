//! Who is calling: the access token from `Authorization: Bearer` or the `auth-token` cookie,
//! verified with the shared `JWT_SECRET`. Only `typ: "access"` tokens are accepted.
//!
//! Revocations (logout, account deletion) are kept by the api, so every other worker asks it
//! through the `API` service binding ([`authenticate`]); the api itself checks its own store.

use mirubato_core::ApiError;
use mirubato_core::auth::bearer_token;
use mirubato_core::cookies::{AUTH_COOKIE, cookie_value};
use mirubato_core::dictionary::access::is_admin_email;
use mirubato_core::jwt::{Claims, TokenSigner, TokenType};
use mirubato_core::user::Role;
use worker::{Headers, Method, RequestInit};

use crate::{EdgeError, INTERNAL_HOST, RequestContext, now};

/// The service binding to the api, which every other worker declares.
pub const API_BINDING: &str = "API";

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

fn refused() -> ApiError {
    ApiError::Unauthorized("Invalid or expired token".into())
}

/// Verifies the request's access token (signature, expiry, type). Revocation is the
/// caller's to check, against where revocations are kept.
pub fn verify_access(ctx: &RequestContext) -> Result<Claims, ApiError> {
    let token = presented_access_token(ctx)
        .ok_or_else(|| ApiError::Unauthorized("No authentication token provided".into()))?;
    verify_token(ctx, &token)
}

fn verify_token(ctx: &RequestContext, token: &str) -> Result<Claims, ApiError> {
    let claims = access_claims(ctx, token)?;
    ctx.identify(&claims.sub);
    Ok(claims)
}

/// The claims of a validly signed, unexpired access token (revocation not checked).
pub fn access_claims(ctx: &RequestContext, token: &str) -> Result<Claims, ApiError> {
    session_signer(ctx)?
        .verify(token, TokenType::Access, now())
        .map_err(|_| refused())
}

/// The caller, for workers other than the api: the token is verified here, then the api is
/// asked whether it was revoked. 401 without a valid, unrevoked token.
pub async fn authenticate(ctx: &RequestContext) -> Result<Claims, EdgeError> {
    let token = presented_access_token(ctx)
        .ok_or_else(|| ApiError::Unauthorized("No authentication token provided".into()))?;
    authenticate_token(ctx, &token).await
}

/// The caller if the request carries a token at all: `None` without one, 401 for a token that
/// is invalid or revoked (a fake bearer never counts as anonymous).
pub async fn authenticate_optional(ctx: &RequestContext) -> Result<Option<Claims>, EdgeError> {
    match presented_access_token(ctx) {
        None => Ok(None),
        Some(token) => authenticate_token(ctx, &token).await.map(Some),
    }
}

/// [`authenticate`] for a token that came another way (e.g. the socket's query string).
pub async fn authenticate_token(ctx: &RequestContext, token: &str) -> Result<Claims, EdgeError> {
    let claims = verify_token(ctx, token)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(
        serde_json::json!({ "token": token }).to_string().into(),
    ));
    let verdict = ctx
        .env
        .service(API_BINDING)?
        .fetch(
            format!("https://{INTERNAL_HOST}/internal/auth/verify"),
            Some(init),
        )
        .await?;
    match verdict.status_code() {
        200 => Ok(claims),
        401 => Err(refused().into()),
        status => Err(ApiError::Unavailable(format!("token check answered {status}")).into()),
    }
}

/// Whether the caller is an administrator: their email is listed in `ADMIN_EMAILS`
/// (comma-separated; a var locally, a secret in deployed environments). Unset: nobody is.
pub fn is_admin(ctx: &RequestContext, claims: &Claims) -> bool {
    let admins = ctx.secret("ADMIN_EMAILS").unwrap_or_default();
    is_admin_email(&admins, &claims.email)
}

/// The caller, who must be an administrator: 401 without a valid token, 403 otherwise.
pub async fn authenticate_admin(ctx: &RequestContext) -> Result<Claims, EdgeError> {
    let claims = authenticate(ctx).await?;
    if is_admin(ctx, &claims) {
        Ok(claims)
    } else {
        Err(ApiError::Forbidden("Administrator access required".into()).into())
    }
}

/// The caller's role: `admin` by [`is_admin`], otherwise the role the api keeps on the
/// account (tokens carry none), read with the caller's own token over the `API` binding.
pub async fn role(ctx: &RequestContext, claims: &Claims) -> Result<Role, EdgeError> {
    if is_admin(ctx, claims) {
        return Ok(Role::Admin);
    }
    let token = presented_access_token(ctx)
        .ok_or_else(|| ApiError::Unauthorized("No authentication token provided".into()))?;
    let headers = Headers::new();
    headers.set("Authorization", &format!("Bearer {token}"))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers);
    let mut answer = ctx
        .env
        .service(API_BINDING)?
        .fetch(format!("https://{INTERNAL_HOST}/api/user/me"), Some(init))
        .await?;
    #[derive(serde::Deserialize)]
    struct Account {
        role: Role,
    }
    match answer.status_code() {
        200 => Ok(answer.json::<Account>().await?.role),
        401 => Err(refused().into()),
        status => Err(ApiError::Unavailable(format!("account lookup answered {status}")).into()),
    }
}
