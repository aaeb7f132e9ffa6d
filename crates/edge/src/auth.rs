//! Who is calling: the access token from `Authorization: Bearer` or the `auth-token` cookie,
//! verified with the shared `JWT_SECRET` for this environment's issuer and audience. Only
//! `typ: "access"` tokens are accepted, and only while their sign-in session is live.
//!
//! Ending a session (logout, logout-all, a revoked session, reuse of a rotated refresh token,
//! account deletion) writes a revocation marker in the api's KV. The api reads the marker
//! itself; the other workers ask the api over the `API` binding and remember a live session
//! for a few seconds per isolate ([`SessionCheck`]), so no request pays a D1 read and most pay
//! no round trip at all.

use std::cell::RefCell;
use std::collections::HashMap;

use mirubato_core::ApiError;
use mirubato_core::auth::bearer_token;
use mirubato_core::cookies::{AUTH_COOKIE, cookie_value};
use mirubato_core::dictionary::access::is_admin_email;
use mirubato_core::jwt::{Claims, TokenSigner, TokenType};
use mirubato_core::sessions::{revoked_access_key, revoked_session_key, revoked_user_key};
use mirubato_core::user::Role;
use worker::kv::KvStore;
use worker::{Headers, Method, RequestInit};

use crate::{
    EdgeError, INTERNAL_HOST, RequestContext, SessionCheck, non_negative_var, now, now_ms,
};

/// The service binding to the api, which every other worker declares.
pub const API_BINDING: &str = "API";

/// The signer for the session tokens every worker verifies.
pub fn session_signer(ctx: &RequestContext) -> Result<TokenSigner, ApiError> {
    TokenSigner::new(
        &ctx.secret("JWT_SECRET")?,
        ctx.config.token_audience.clone(),
    )
    .map_err(ApiError::internal)
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

/// The claims of a validly signed, unexpired access token (revocation not checked).
pub fn access_claims(ctx: &RequestContext, token: &str) -> Result<Claims, ApiError> {
    session_signer(ctx)?
        .verify(token, TokenType::Access, now())
        .map_err(|_| refused())
}

/// The caller: a valid access token of a live session, from the header or the cookie. 401
/// otherwise.
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

/// [`authenticate`] for a token that came another way (e.g. the socket's query string or
/// subprotocol).
pub async fn authenticate_token(ctx: &RequestContext, token: &str) -> Result<Claims, EdgeError> {
    authenticate_with(ctx, token, true).await
}

/// [`authenticate_token`] for a long-lived connection (a sync socket): the api is asked now,
/// not this isolate's memory of a live session, because a session that ends later closes its
/// open sockets, and only those.
pub async fn authenticate_connection(
    ctx: &RequestContext,
    token: &str,
) -> Result<Claims, EdgeError> {
    authenticate_with(ctx, token, false).await
}

async fn authenticate_with(
    ctx: &RequestContext,
    token: &str,
    remembered_will_do: bool,
) -> Result<Claims, EdgeError> {
    let claims = access_claims(ctx, token)?;
    if !check_session(ctx, &claims, token, remembered_will_do).await? {
        return Err(refused().into());
    }
    ctx.identify(&claims.sub);
    Ok(claims)
}

/// Whether the session behind `claims` (already verified) is still live, checked the way this
/// worker checks ([`SessionCheck`]).
pub async fn session_is_live(
    ctx: &RequestContext,
    claims: &Claims,
    token: &str,
) -> Result<bool, EdgeError> {
    check_session(ctx, claims, token, true).await
}

async fn check_session(
    ctx: &RequestContext,
    claims: &Claims,
    token: &str,
    remembered_will_do: bool,
) -> Result<bool, EdgeError> {
    match ctx.service.sessions {
        SessionCheck::Kept(binding) => Ok(!is_revoked(&ctx.env.kv(binding)?, claims).await?),
        SessionCheck::AskApi => {
            let cache_ms = non_negative_var(&ctx.env, "SESSION_CHECK_CACHE_SECS", 10u64) * 1000;
            if remembered_will_do && LiveSessions::confirmed_within(claims, cache_ms as f64) {
                return Ok(true);
            }
            let live = ask_api(ctx, token).await?;
            if live {
                LiveSessions::remember(claims);
            }
            Ok(live)
        }
        SessionCheck::NoTokens => Ok(false),
    }
}

/// Whether a token was revoked, by the markers the api writes: its session's (tokens with a
/// `sid`), or for tokens from before sessions, the token itself or every token of its user
/// issued up to an instant.
pub async fn is_revoked(kv: &KvStore, claims: &Claims) -> Result<bool, EdgeError> {
    if let Some(sid) = &claims.sid {
        return Ok(kv.get(&revoked_session_key(sid)).text().await?.is_some());
    }
    if kv
        .get(&revoked_access_key(&claims.jti))
        .text()
        .await?
        .is_some()
    {
        return Ok(true);
    }
    Ok(kv
        .get(&revoked_user_key(&claims.sub))
        .text()
        .await?
        .and_then(|cutoff| cutoff.parse::<i64>().ok())
        .is_some_and(|cutoff| claims.iat <= cutoff))
}

/// `POST /internal/auth/verify {token}` on the api: 200 while the session is live, 401 after.
async fn ask_api(ctx: &RequestContext, token: &str) -> Result<bool, EdgeError> {
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
        200 => Ok(true),
        401 => Ok(false),
        status => Err(ApiError::Unavailable(format!("token check answered {status}")).into()),
    }
}

/// Sessions (or legacy tokens) this isolate has recently confirmed live with the api.
struct LiveSessions;

/// Entries kept at most; the map is cleared when it fills (the cache is only a shortcut).
const LIVE_SESSIONS_MAX: usize = 4096;

thread_local! {
    static CONFIRMED: RefCell<HashMap<String, f64>> = RefCell::new(HashMap::new());
}

impl LiveSessions {
    fn key(claims: &Claims) -> String {
        claims
            .sid
            .clone()
            .unwrap_or_else(|| format!("jti:{}", claims.jti))
    }

    fn confirmed_within(claims: &Claims, window_ms: f64) -> bool {
        let key = Self::key(claims);
        CONFIRMED.with(|map| {
            map.borrow()
                .get(&key)
                .is_some_and(|at| now_ms() - at < window_ms)
        })
    }

    fn remember(claims: &Claims) {
        let key = Self::key(claims);
        CONFIRMED.with(|map| {
            let mut map = map.borrow_mut();
            if map.len() >= LIVE_SESSIONS_MAX {
                map.clear();
            }
            map.insert(key, now_ms());
        });
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
