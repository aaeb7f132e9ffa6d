//! Sign-in (magic link, Google), token refresh, logout, and the account itself.

use mirubato_core::ApiError;
use mirubato_core::accounts::{
    GoogleSignInRequest, MagicLinkRequest, MessageResponse, RefreshRequest, RefreshResponse,
    SessionResponse, UpdateProfileRequest, VerifyMagicLinkRequest, magic_link_email,
    magic_link_url,
};
use mirubato_core::auth::normalize_email;
use mirubato_core::cookies::{REFRESH_COOKIE, cookie_value};
use mirubato_core::jwt::{Claims, MAGIC_LINK_TTL, TokenSigner, TokenType};
use mirubato_core::rate_limit::{Caller, Scope};
use mirubato_core::sessions::{EndReason, SessionList};
use mirubato_core::user::{AuthProvider, User};
use mirubato_edge::auth::{presented_access_token, session_signer};
use mirubato_edge::rate_limit::{admit_caller, refusal};
use mirubato_edge::{EdgeError, RequestContext, json, now};
use worker::Response;

use crate::session::{
    Ending, Rotation, access_ttl_secs, authenticate, clear_session_cookies, end_sessions,
    list_sessions, owns_live_session, revoke_legacy_access, rotate, set_session_cookies,
    start_session,
};
use crate::store::{
    SignIn, consume_token, delete_user, find_user, record_sign_in, update_display_name,
};
use crate::{CACHE, DB, erasure, google, mail::Mailer, recordings};

fn timestamp() -> String {
    now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Magic links are signed with their own secret, so a leaked session key cannot mint them.
fn magic_link_signer(ctx: &RequestContext) -> Result<TokenSigner, ApiError> {
    TokenSigner::new(
        &ctx.secret("MAGIC_LINK_SECRET")?,
        ctx.config.token_audience.clone(),
    )
    .map_err(ApiError::internal)
}

/// A sign-in's answer: a new session and its first token pair.
async fn session_response(user: User, ctx: &RequestContext) -> Result<Response, EdgeError> {
    let pair = start_session(ctx, &user).await?;
    let mut response = json(&SessionResponse {
        success: true,
        user,
        access_token: pair.access.clone(),
        refresh_token: pair.refresh.clone(),
        expires_in: access_ttl_secs(),
    })?;
    set_session_cookies(&mut response, &pair)?;
    Ok(response)
}

#[utoipa::path(post, path = "/api/auth/request-magic-link", request_body = MagicLinkRequest,
    responses((status = 200, body = MessageResponse), (status = 400),
        (status = 429, description = "too many attempts from this client, or links to this address")))]
pub async fn request_magic_link(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let request: MagicLinkRequest = ctx.json().await?;
    let email = normalize_email(&request.email)?;
    // Per address, whoever asks (the router already counted the asking client): rotating
    // client addresses cannot flood one inbox. Every address is counted, so the answer
    // never tells whether it has an account.
    let decision = admit_caller(&ctx.env, Scope::MAGIC_LINK, &Caller::recipient(&email), 1).await?;
    if !decision.allowed {
        return refusal(&decision);
    }
    let signer = magic_link_signer(&ctx)?;
    let claims = Claims::new(TokenType::MagicLink, &email, &email, now());
    let token = signer.sign(&claims).map_err(ApiError::internal)?;
    let link = magic_link_url(&ctx.secret("FRONTEND_URL")?, &token);
    let message = magic_link_email(&email, &link, MAGIC_LINK_TTL.num_minutes());
    Mailer::from_context(&ctx)?
        .send(&message, &link, &token, &timestamp())
        .await?;
    json(&MessageResponse::ok("Magic link sent to your email"))
}

#[utoipa::path(post, path = "/api/auth/verify-magic-link", request_body = VerifyMagicLinkRequest,
    responses((status = 200, body = SessionResponse), (status = 401, description = "bad, expired or used link")))]
pub async fn verify_magic_link(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let request: VerifyMagicLinkRequest = ctx.json().await?;
    let signer = magic_link_signer(&ctx)?;
    let invalid = || ApiError::Unauthorized("Invalid or expired magic link".into());
    let claims = signer
        .verify(&request.token, TokenType::MagicLink, now())
        .map_err(|_| invalid())?;
    let email = normalize_email(&claims.email).map_err(|_| invalid())?;
    let db = ctx.env.d1(DB)?;
    if !consume_token(&db, &claims, None, &timestamp()).await? {
        return Err(ApiError::Unauthorized("This magic link has already been used".into()).into());
    }
    let user = record_sign_in(
        &db,
        &SignIn {
            email: &email,
            provider: AuthProvider::MagicLink,
            google_id: None,
            name: None,
        },
        &timestamp(),
    )
    .await?;
    session_response(user, &ctx).await
}

#[utoipa::path(post, path = "/api/auth/google", request_body = GoogleSignInRequest,
    responses((status = 200, body = SessionResponse), (status = 401), (status = 429)))]
pub async fn google_sign_in(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let request: GoogleSignInRequest = ctx.json().await?;
    let identity = google::verify(&ctx, &request.credential).await?;
    let db = ctx.env.d1(DB)?;
    let user = record_sign_in(
        &db,
        &SignIn {
            email: &identity.email,
            provider: AuthProvider::Google,
            google_id: Some(&identity.google_id),
            name: identity.name.as_deref(),
        },
        &timestamp(),
    )
    .await?;
    session_response(user, &ctx).await
}

/// The refresh token from the body, else from the cookie. An empty body is allowed.
async fn presented_refresh_token(ctx: &mut RequestContext) -> Result<Option<String>, EdgeError> {
    let has_body = ctx
        .header("Content-Length")
        .is_some_and(|length| length.trim() != "0");
    let from_body = if has_body {
        ctx.json::<RefreshRequest>().await?.refresh_token
    } else {
        None
    };
    Ok(from_body.or_else(|| {
        ctx.header("Cookie")
            .and_then(|cookies| cookie_value(&cookies, REFRESH_COOKIE).map(str::to_string))
    }))
}

#[utoipa::path(post, path = "/api/auth/refresh", request_body(content = RefreshRequest, description = "optional: the refresh-token cookie works too"),
    responses((status = 200, body = RefreshResponse), (status = 401)))]
pub async fn refresh(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let token = presented_refresh_token(&mut ctx)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("No refresh token provided".into()))?;
    let signer = session_signer(&ctx)?;
    let invalid = || ApiError::Unauthorized("Invalid or expired refresh token".into());
    let claims = signer
        .verify(&token, TokenType::Refresh, now())
        .map_err(|_| invalid())?;
    let db = ctx.env.d1(DB)?;
    let user = find_user(&db, &claims.sub).await?.ok_or_else(invalid)?;
    let pair = match &claims.sid {
        Some(sid) => match rotate(&ctx, &user, sid, &claims).await? {
            Rotation::Rotated(pair) => pair,
            Rotation::Reused => {
                return Err(ApiError::Unauthorized(
                    "Refresh token has already been used; the session was ended, sign in again"
                        .into(),
                )
                .into());
            }
            Rotation::Ended => {
                return Err(ApiError::Unauthorized("This session has ended".into()).into());
            }
        },
        // A token from before sessions: spent once, then the device moves into a session.
        None => {
            if !consume_token(&db, &claims, Some(&user.id), &timestamp()).await? {
                return Err(
                    ApiError::Unauthorized("Refresh token has already been used".into()).into(),
                );
            }
            start_session(&ctx, &user).await?
        }
    };
    let mut response = json(&RefreshResponse {
        success: true,
        access_token: pair.access.clone(),
        refresh_token: pair.refresh.clone(),
        expires_in: access_ttl_secs(),
    })?;
    set_session_cookies(&mut response, &pair)?;
    Ok(response)
}

#[utoipa::path(post, path = "/api/auth/logout", security(("bearer" = [])),
    request_body(content = RefreshRequest, description = "optional: the bearer, the cookies or the refresh token each identify the session"),
    responses((status = 200, body = MessageResponse), (status = 401)))]
/// Ends the whole session the client shows — by its access token (bearer or cookie) or its
/// refresh token (body or cookie), whichever it sends — so every token of it stops working.
pub async fn logout(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let signer = session_signer(&ctx)?;
    let access = match presented_access_token(&ctx) {
        Some(token) => Some(authenticate(&ctx).await.map(|claims| (claims, token))?),
        None => None,
    };
    let refresh = presented_refresh_token(&mut ctx)
        .await?
        .and_then(|token| signer.verify(&token, TokenType::Refresh, now()).ok());
    let user_id = match (&access, &refresh) {
        (Some((claims, _)), _) => claims.sub.clone(),
        (None, Some(refresh)) => refresh.sub.clone(),
        (None, None) => {
            return Err(ApiError::Unauthorized("No authentication token provided".into()).into());
        }
    };
    let mut sessions: Vec<&str> = Vec::new();
    if let Some((claims, _)) = &access {
        match &claims.sid {
            Some(sid) => sessions.push(sid),
            None => revoke_legacy_access(&ctx.env.kv(CACHE)?, claims).await?,
        }
    }
    // The refresh token counts only when it is this user's.
    if let Some(refresh) = refresh.as_ref().filter(|refresh| refresh.sub == user_id) {
        match &refresh.sid {
            Some(sid) if !sessions.contains(&sid.as_str()) => sessions.push(sid),
            Some(_) => {}
            None => {
                consume_token(&ctx.env.d1(DB)?, refresh, Some(&user_id), &timestamp()).await?;
            }
        }
    }
    for sid in sessions {
        end_sessions(&ctx, &user_id, Ending::One(sid), EndReason::Logout).await?;
    }
    let mut response = json(&MessageResponse::ok("Logged out successfully"))?;
    clear_session_cookies(&mut response)?;
    Ok(response)
}

#[utoipa::path(post, path = "/api/auth/logout-all", security(("bearer" = [])),
    responses((status = 200, body = MessageResponse), (status = 401)))]
/// Ends every session of the caller, on every device.
pub async fn logout_all(ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let ended = end_sessions(&ctx, &claims.sub, Ending::All, EndReason::LogoutAll).await?;
    let mut response = json(&MessageResponse::ok(format!(
        "Signed out of {} session{}",
        ended.len(),
        if ended.len() == 1 { "" } else { "s" }
    )))?;
    clear_session_cookies(&mut response)?;
    Ok(response)
}

#[utoipa::path(get, path = "/api/auth/sessions", security(("bearer" = [])),
    responses((status = 200, body = SessionList), (status = 401)))]
/// The caller's live sessions, newest first; `current` marks the one making this request.
pub async fn sessions(ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    json(&list_sessions(&ctx, &claims).await?)
}

#[utoipa::path(delete, path = "/api/auth/sessions/{id}", security(("bearer" = [])),
    params(("id" = String, Path, description = "a session id from GET /api/auth/sessions")),
    responses((status = 200, body = MessageResponse), (status = 401), (status = 404)))]
/// Ends one of the caller's sessions (404 for an id that is not a live session of theirs).
pub async fn end_session(ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let sid = ctx.param("id")?.to_string();
    if !owns_live_session(&ctx, &claims.sub, &sid).await? {
        return Err(ApiError::not_found("No such session").into());
    }
    end_sessions(&ctx, &claims.sub, Ending::One(&sid), EndReason::Revoked).await?;
    let mut response = json(&MessageResponse::ok("Session ended"))?;
    if claims.sid.as_deref() == Some(sid.as_str()) {
        clear_session_cookies(&mut response)?;
    }
    Ok(response)
}

#[utoipa::path(get, path = "/api/user/me", security(("bearer" = [])),
    responses((status = 200, body = User), (status = 401)))]
pub async fn me(ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let user = find_user(&ctx.env.d1(DB)?, &claims.sub)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("This account no longer exists".into()))?;
    let mut body = serde_json::to_value(&user).map_err(ApiError::internal)?;
    body["recordingStorage"] =
        recordings::storage_summary(&ctx.env, &ctx.env.d1(DB)?, &claims.sub).await?;
    json(&body)
}

#[utoipa::path(patch, path = "/api/user/me", request_body = UpdateProfileRequest,
    security(("bearer" = [])),
    responses((status = 200, body = User), (status = 400), (status = 401)))]
pub async fn update_me(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let request: UpdateProfileRequest = ctx.json().await?;
    let user = update_display_name(
        &ctx.env.d1(DB)?,
        &claims.sub,
        request.trimmed_display_name(),
        &timestamp(),
    )
    .await?
    .ok_or_else(|| ApiError::Unauthorized("This account no longer exists".into()))?;
    json(&user)
}

#[utoipa::path(delete, path = "/api/user/me", security(("bearer" = [])),
    responses((status = 200, body = MessageResponse), (status = 401)))]
pub async fn delete_me(ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let db = ctx.env.d1(DB)?;
    // Objects first: if that fails, the account is still there to retry the deletion.
    recordings::delete_all(&ctx.env, &db, &claims.sub).await?;
    end_sessions(&ctx, &claims.sub, Ending::All, EndReason::AccountDeleted).await?;
    // The account's rows go in one batch with the record of the steps left (the other
    // workers' data, rate counters), which then run at once; a step that fails stays
    // pending for the hourly cron. The answer does not wait on the cron: the account is gone.
    delete_user(
        &db,
        &claims.sub,
        erasure::pending_statements(&db, &claims.sub)?,
    )
    .await?;
    let steps = erasure::run_steps(&ctx.env, &claims.sub, &ctx.request_id).await?;
    ctx.count(
        "erasureStepsPending",
        steps["failed"].as_array().map_or(0, Vec::len) as u64,
    );
    let mut response = json(&MessageResponse::ok("Account deleted successfully"))?;
    clear_session_cookies(&mut response)?;
    Ok(response)
}
