//! Sessions: issuing the token pair and its cookies, checking and recording revocations.
//!
//! Access tokens are revoked in KV (`revoked:access:<jti>` until the token would expire, and
//! `revoked:user:<id>` for "every token of this user issued so far"). Refresh and magic-link
//! tokens are single-use through `used_tokens` in D1, which makes "once" atomic.

use chrono::{DateTime, Utc};
use mirubato_core::ApiError;
use mirubato_core::cookies::{AUTH_COOKIE, REFRESH_COOKIE, cleared_cookie, session_cookie};
use mirubato_core::jwt::{ACCESS_TOKEN_TTL, Claims, REFRESH_TOKEN_TTL, TokenSigner, TokenType};
use mirubato_core::user::User;
use mirubato_edge::auth::verify_access;
use mirubato_edge::{EdgeError, RequestContext};
use worker::Response;
use worker::kv::KvStore;

use crate::CACHE;

/// A freshly issued access and refresh token.
pub struct TokenPair {
    pub access: String,
    pub refresh: String,
}

pub fn issue_pair(
    signer: &TokenSigner,
    user: &User,
    now: DateTime<Utc>,
) -> Result<TokenPair, ApiError> {
    let access = Claims::new(TokenType::Access, &user.id, &user.email, now);
    let refresh = Claims::new(TokenType::Refresh, &user.id, &user.email, now);
    Ok(TokenPair {
        access: signer.sign(&access).map_err(ApiError::internal)?,
        refresh: signer.sign(&refresh).map_err(ApiError::internal)?,
    })
}

pub fn access_ttl_secs() -> i64 {
    ACCESS_TOKEN_TTL.num_seconds()
}

/// Sets both session cookies on a response.
pub fn set_session_cookies(response: &mut Response, pair: &TokenPair) -> Result<(), EdgeError> {
    let headers = response.headers_mut();
    headers.append(
        "Set-Cookie",
        &session_cookie(AUTH_COOKIE, &pair.access, ACCESS_TOKEN_TTL.num_seconds()),
    )?;
    headers.append(
        "Set-Cookie",
        &session_cookie(
            REFRESH_COOKIE,
            &pair.refresh,
            REFRESH_TOKEN_TTL.num_seconds(),
        ),
    )?;
    Ok(())
}

pub fn clear_session_cookies(response: &mut Response) -> Result<(), EdgeError> {
    let headers = response.headers_mut();
    headers.append("Set-Cookie", &cleared_cookie(AUTH_COOKIE))?;
    headers.append("Set-Cookie", &cleared_cookie(REFRESH_COOKIE))?;
    Ok(())
}

fn access_key(jti: &str) -> String {
    format!("revoked:access:{jti}")
}

fn user_key(user_id: &str) -> String {
    format!("revoked:user:{user_id}")
}

/// The caller's verified, unrevoked access-token claims; 401 otherwise.
pub async fn authenticate(ctx: &RequestContext) -> Result<Claims, EdgeError> {
    let claims = verify_access(ctx)?;
    if is_revoked(&ctx.env.kv(CACHE)?, &claims).await? {
        return Err(ApiError::Unauthorized("Invalid or expired token".into()).into());
    }
    Ok(claims)
}

/// Whether a token was revoked: by itself (logout), or with every token of its user issued up
/// to an instant (account deleted).
pub async fn is_revoked(kv: &KvStore, claims: &Claims) -> Result<bool, EdgeError> {
    if kv.get(&access_key(&claims.jti)).text().await?.is_some() {
        return Ok(true);
    }
    Ok(kv
        .get(&user_key(&claims.sub))
        .text()
        .await?
        .and_then(|cutoff| cutoff.parse::<i64>().ok())
        .is_some_and(|cutoff| claims.iat <= cutoff))
}

/// `POST /internal/auth/verify` (service binding only): the sync worker's check of a socket's
/// access token, revocations included. Body: `{"token": "…"}`; answers the claims or 401.
pub async fn internal_verify(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    ctx.require_internal()?;
    #[derive(serde::Deserialize)]
    struct Body {
        token: String,
    }
    let body: Body = ctx.json_value_with_limit(16 * 1024).await?;
    let refused = || ApiError::Unauthorized("Invalid or expired token".into());
    let claims = mirubato_edge::auth::session_signer(&ctx)?
        .verify(&body.token, TokenType::Access, mirubato_edge::now())
        .map_err(|_| refused())?;
    if is_revoked(&ctx.env.kv(CACHE)?, &claims).await? {
        return Err(refused().into());
    }
    mirubato_edge::json(&serde_json::json!({ "sub": claims.sub, "jti": claims.jti }))
}

/// Revokes one access token until it would have expired anyway.
pub async fn revoke_access(kv: &KvStore, claims: &Claims) -> Result<(), EdgeError> {
    kv.put(&access_key(&claims.jti), "1")?
        .expiration(claims.exp.max(0) as u64 + 60)
        .execute()
        .await?;
    Ok(())
}

/// Revokes every token of a user issued up to `now` (all of them expire within the refresh
/// lifetime, so the marker does too).
pub async fn revoke_user(kv: &KvStore, user_id: &str, now: DateTime<Utc>) -> Result<(), EdgeError> {
    kv.put(&user_key(user_id), now.timestamp().to_string())?
        .expiration_ttl(REFRESH_TOKEN_TTL.num_seconds() as u64 + 60)
        .execute()
        .await?;
    Ok(())
}
