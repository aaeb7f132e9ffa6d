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
use mirubato_core::user::{AuthProvider, User};
use mirubato_edge::auth::session_signer;
use mirubato_edge::{EdgeError, RequestContext, json, now};
use worker::Response;

use crate::session::{
    access_ttl_secs, authenticate, clear_session_cookies, issue_pair, revoke_access, revoke_user,
    set_session_cookies,
};
use crate::store::{
    SignIn, consume_token, delete_user, find_user, record_sign_in, update_display_name,
};
use crate::{CACHE, DB, google, mail::Mailer, recordings};

fn timestamp() -> String {
    now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Magic links are signed with their own secret, so a leaked session key cannot mint them.
fn magic_link_signer(ctx: &RequestContext) -> Result<TokenSigner, ApiError> {
    TokenSigner::new(&ctx.secret("MAGIC_LINK_SECRET")?).map_err(ApiError::internal)
}

fn session_response(user: User, ctx: &RequestContext) -> Result<Response, EdgeError> {
    let pair = issue_pair(&session_signer(ctx)?, &user, now())?;
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
    responses((status = 200, body = MessageResponse), (status = 400), (status = 429)))]
pub async fn request_magic_link(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let request: MagicLinkRequest = ctx.json().await?;
    let email = normalize_email(&request.email)?;
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
    session_response(user, &ctx)
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
    session_response(user, &ctx)
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
    // Rotation: the presented token is spent; a second use is refused.
    if !consume_token(&db, &claims, Some(&user.id), &timestamp()).await? {
        return Err(ApiError::Unauthorized("Refresh token has already been used".into()).into());
    }
    let pair = issue_pair(&signer, &user, now())?;
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
    responses((status = 200, body = MessageResponse), (status = 401)))]
pub async fn logout(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    revoke_access(&ctx.env.kv(CACHE)?, &claims).await?;
    // Spend the refresh token too, when the client shows it and it is this user's.
    if let Some(token) = presented_refresh_token(&mut ctx).await?
        && let Ok(refresh) = session_signer(&ctx)?.verify(&token, TokenType::Refresh, now())
        && refresh.sub == claims.sub
    {
        consume_token(&ctx.env.d1(DB)?, &refresh, Some(&claims.sub), &timestamp()).await?;
    }
    let mut response = json(&MessageResponse::ok("Logged out successfully"))?;
    clear_session_cookies(&mut response)?;
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
    delete_user(&db, &claims.sub).await?;
    let kv = ctx.env.kv(CACHE)?;
    revoke_user(&kv, &claims.sub, now()).await?;
    revoke_access(&kv, &claims).await?;
    let mut response = json(&MessageResponse::ok("Account deleted successfully"))?;
    clear_session_cookies(&mut response)?;
    Ok(response)
}
