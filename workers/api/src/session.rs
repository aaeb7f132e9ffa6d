//! Sign-in sessions: starting one (a D1 row, a token pair carrying its `sid`, the cookies),
//! rotating its refresh token, listing and ending sessions.
//!
//! Each session keeps the id (`refresh_jti`) of the one refresh token that may be used next.
//! Presenting an older one of the same session is reuse — someone kept a token the owner's
//! device has already rotated away — so the whole session ends (RFC 9700, refresh-token
//! rotation). Ending a session writes `revoked:session:<sid>` in KV, which every worker
//! checks before it accepts a token (crates/edge auth.rs), and closes its sockets.

use std::cell::RefCell;
use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use mirubato_core::ApiError;
use mirubato_core::cookies::{AUTH_COOKIE, REFRESH_COOKIE, cleared_cookie, session_cookie};
use mirubato_core::jwt::{ACCESS_TOKEN_TTL, Claims, REFRESH_TOKEN_TTL, TokenSigner, TokenType};
use mirubato_core::sessions::{
    EndReason, SessionList, SessionView, device_label, new_session_id, revoked_access_key,
    revoked_session_key, revoked_user_key,
};
use mirubato_core::user::User;
use mirubato_edge::auth::{is_revoked, session_signer};
use mirubato_edge::{EdgeError, RequestContext, event, now, now_ms, post_internal};
use serde::Deserialize;
use serde_json::json;
use worker::kv::KvStore;
use worker::{D1Database, Env, Response, query};

use crate::{CACHE, DB};

/// Binding to the sync worker, which closes the sockets of ended sessions.
const SYNC: &str = "SYNC";

/// How often one isolate records that a session was used (a D1 write), at most.
const TOUCH_INTERVAL_MS: f64 = 5.0 * 60.0 * 1000.0;

/// Revocation markers outlive every token they cover (refresh tokens live longest).
fn marker_ttl_secs() -> u64 {
    REFRESH_TOKEN_TTL.num_seconds() as u64 + 60
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A freshly issued access and refresh token.
pub struct TokenPair {
    pub access: String,
    pub refresh: String,
}

/// Signs an access and a refresh token of session `sid`; also answers the refresh token's id.
fn sign_pair(
    signer: &TokenSigner,
    user: &User,
    sid: &str,
    now: DateTime<Utc>,
) -> Result<(TokenPair, String), ApiError> {
    let access = Claims::new(TokenType::Access, &user.id, &user.email, now).in_session(sid);
    let refresh = Claims::new(TokenType::Refresh, &user.id, &user.email, now).in_session(sid);
    let pair = TokenPair {
        access: signer.sign(&access).map_err(ApiError::internal)?,
        refresh: signer.sign(&refresh).map_err(ApiError::internal)?,
    };
    Ok((pair, refresh.jti))
}

/// Starts a session for a sign-in: its row (device from the User-Agent) and its first pair.
pub async fn start_session(ctx: &RequestContext, user: &User) -> Result<TokenPair, EdgeError> {
    let at = now();
    let sid = new_session_id();
    let (pair, refresh_jti) = sign_pair(&session_signer(ctx)?, user, &sid, at)?;
    let device = device_label(ctx.header("User-Agent").as_deref());
    query!(
        &ctx.env.d1(DB)?,
        "INSERT INTO sessions (id, user_id, device, created_at, last_used_at, expires_at, refresh_jti) \
         VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6)",
        &sid,
        &user.id,
        &device,
        stamp(at),
        stamp(at + REFRESH_TOKEN_TTL),
        &refresh_jti
    )?
    .run()
    .await?;
    Ok(pair)
}

/// What presenting a refresh token of a session came to.
pub enum Rotation {
    /// The token was the session's current one: here is the next pair.
    Rotated(TokenPair),
    /// The token had already been rotated away: the session has now ended.
    Reused,
    /// The session has ended (or never existed): the token is worth nothing.
    Ended,
}

/// Rotates session `sid` from refresh token `presented` (already verified) to a new pair.
/// The swap is one conditional UPDATE, so two devices racing with the same token cannot both
/// win: the loser is reuse.
pub async fn rotate(
    ctx: &RequestContext,
    user: &User,
    sid: &str,
    presented: &Claims,
) -> Result<Rotation, EdgeError> {
    let db = ctx.env.d1(DB)?;
    let at = now();
    let (pair, next_jti) = sign_pair(&session_signer(ctx)?, user, sid, at)?;
    let swapped = query!(
        &db,
        "UPDATE sessions SET refresh_jti = ?4, last_used_at = ?5, expires_at = ?6 \
         WHERE id = ?1 AND user_id = ?2 AND refresh_jti = ?3 AND revoked_at IS NULL",
        sid,
        &user.id,
        &presented.jti,
        &next_jti,
        stamp(at),
        stamp(at + REFRESH_TOKEN_TTL)
    )?
    .run()
    .await?
    .meta()?
    .and_then(|meta| meta.changes)
    .unwrap_or(0);
    if swapped == 1 {
        return Ok(Rotation::Rotated(pair));
    }
    #[derive(Deserialize)]
    struct Row {
        revoked_at: Option<String>,
    }
    let row = query!(
        &db,
        "SELECT revoked_at FROM sessions WHERE id = ?1 AND user_id = ?2",
        sid,
        &user.id
    )?
    .first::<Row>(None)
    .await?;
    match row {
        Some(Row { revoked_at: None }) => {
            end_sessions(ctx, &user.id, Ending::One(sid), EndReason::RefreshReuse).await?;
            worker::console_warn!(
                "{}",
                json!({"level": "warn", "message": "refresh token reused; session ended",
                       "requestId": ctx.request_id, "sessionId": sid})
            );
            event(ctx, "refresh_token_reused", &[], &[]);
            Ok(Rotation::Reused)
        }
        _ => Ok(Rotation::Ended),
    }
}

/// Which sessions of a user to end.
pub enum Ending<'a> {
    One(&'a str),
    All,
}

/// Ends sessions of `user_id`: a revocation marker per session in KV (written first, so a
/// failure leaves the session listed and the call can be repeated), the rows marked revoked,
/// for [`Ending::All`] also the cutoff for tokens from before sessions; then the sync worker
/// closes their sockets. Answers the ids of the sessions that were live.
pub async fn end_sessions(
    ctx: &RequestContext,
    user_id: &str,
    ending: Ending<'_>,
    reason: EndReason,
) -> Result<Vec<String>, EdgeError> {
    let db = ctx.env.d1(DB)?;
    let kv = ctx.env.kv(CACHE)?;
    let at = now();
    let ids = match ending {
        Ending::One(sid) => vec![sid.to_string()],
        Ending::All => live_session_rows(&db, user_id, at)
            .await?
            .into_iter()
            .map(|row| row.id)
            .collect(),
    };
    for id in &ids {
        kv.put(&revoked_session_key(id), reason.as_str())?
            .expiration_ttl(marker_ttl_secs())
            .execute()
            .await?;
    }
    if matches!(ending, Ending::All) {
        revoke_user(&kv, user_id, at).await?;
    }
    let statement = match ending {
        Ending::One(sid) => query!(
            &db,
            "UPDATE sessions SET revoked_at = ?3, revoked_reason = ?4 \
             WHERE id = ?1 AND user_id = ?2 AND revoked_at IS NULL",
            sid,
            user_id,
            stamp(at),
            reason.as_str()
        )?,
        Ending::All => query!(
            &db,
            "UPDATE sessions SET revoked_at = ?2, revoked_reason = ?3 \
             WHERE user_id = ?1 AND revoked_at IS NULL",
            user_id,
            stamp(at),
            reason.as_str()
        )?,
    };
    statement.run().await?;
    let body = match ending {
        Ending::One(sid) => json!({"userId": user_id, "sessionIds": [sid]}),
        Ending::All => json!({"userId": user_id, "all": true}),
    };
    close_sockets(&ctx.env, &body, &ctx.request_id).await;
    ctx.count("sessionsEnded", ids.len() as u64);
    Ok(ids)
}

/// Asks the sync worker to close the sockets of ended sessions. A failure is logged, not
/// raised: the session has ended regardless, and a socket's next upgrade is refused.
async fn close_sockets(env: &Env, body: &serde_json::Value, request_id: &str) {
    let closed = post_internal(
        env,
        SYNC,
        "/internal/sessions/ended",
        body,
        Some(request_id),
    )
    .await
    .map(|response| response.status_code());
    if !matches!(closed, Ok(200)) {
        worker::console_error!(
            "{}",
            json!({"level": "warn", "message": "sockets of ended sessions not closed",
                   "requestId": request_id, "outcome": format!("{closed:?}")})
        );
    }
}

#[derive(Deserialize)]
struct SessionRow {
    id: String,
    device: String,
    created_at: String,
    last_used_at: String,
}

/// The user's sessions that have neither ended nor expired, newest first.
async fn live_session_rows(
    db: &D1Database,
    user_id: &str,
    at: DateTime<Utc>,
) -> Result<Vec<SessionRow>, EdgeError> {
    Ok(query!(
        db,
        "SELECT id, device, created_at, last_used_at FROM sessions \
         WHERE user_id = ?1 AND revoked_at IS NULL AND expires_at > ?2 \
         ORDER BY created_at DESC, id DESC",
        user_id,
        stamp(at)
    )?
    .all()
    .await?
    .results::<SessionRow>()?)
}

/// `GET /api/auth/sessions`: the caller's live sessions, `current` marking the caller's own.
pub async fn list_sessions(
    ctx: &RequestContext,
    claims: &Claims,
) -> Result<SessionList, EdgeError> {
    let rows = live_session_rows(&ctx.env.d1(DB)?, &claims.sub, now()).await?;
    Ok(SessionList {
        sessions: rows
            .into_iter()
            .map(|row| SessionView {
                current: claims.sid.as_deref() == Some(row.id.as_str()),
                id: row.id,
                device: row.device,
                created_at: row.created_at,
                last_used_at: row.last_used_at,
            })
            .collect(),
    })
}

/// Whether `sid` is a live session of `user_id`.
pub async fn owns_live_session(
    ctx: &RequestContext,
    user_id: &str,
    sid: &str,
) -> Result<bool, EdgeError> {
    Ok(live_session_rows(&ctx.env.d1(DB)?, user_id, now())
        .await?
        .iter()
        .any(|row| row.id == sid))
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

thread_local! {
    /// When this isolate last recorded each session as used.
    static TOUCHED: RefCell<HashMap<String, f64>> = RefCell::new(HashMap::new());
}

/// The caller's verified access-token claims of a live session; 401 otherwise. The session's
/// "last used" is recorded after the response, at most every few minutes per isolate.
pub async fn authenticate(ctx: &RequestContext) -> Result<Claims, EdgeError> {
    let claims = mirubato_edge::auth::authenticate(ctx).await?;
    if let Some(sid) = &claims.sid {
        touch(ctx, sid, &claims.sub);
    }
    Ok(claims)
}

fn touch(ctx: &RequestContext, sid: &str, user_id: &str) {
    let due = TOUCHED.with(|map| {
        let mut map = map.borrow_mut();
        let now = now_ms();
        if map.get(sid).is_some_and(|at| now - at < TOUCH_INTERVAL_MS) {
            return false;
        }
        if map.len() >= 4096 {
            map.clear();
        }
        map.insert(sid.to_string(), now);
        true
    });
    if !due {
        return;
    }
    let Ok(db) = ctx.env.d1(DB) else {
        return;
    };
    let (sid, user_id) = (sid.to_string(), user_id.to_string());
    ctx.worker.wait_until(async move {
        let recorded = async {
            query!(
                &db,
                "UPDATE sessions SET last_used_at = ?3 WHERE id = ?1 AND user_id = ?2",
                &sid,
                &user_id,
                stamp(now())
            )?
            .run()
            .await
        }
        .await;
        if let Err(err) = recorded {
            worker::console_error!(
                "{}",
                json!({"level": "warn", "message": "session use not recorded", "error": err.to_string()})
            );
        }
    });
}

/// `POST /internal/auth/verify` (service binding only): another worker's check of an access
/// token, its session included. Body: `{"token": "…"}`; answers the claims or 401.
pub async fn internal_verify(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    ctx.require_internal()?;
    #[derive(serde::Deserialize)]
    struct Body {
        token: String,
    }
    let body: Body = ctx.json_value_with_limit(16 * 1024).await?;
    let refused = || ApiError::Unauthorized("Invalid or expired token".into());
    let claims = mirubato_edge::auth::access_claims(&ctx, &body.token)?;
    if is_revoked(&ctx.env.kv(CACHE)?, &claims).await? {
        return Err(refused().into());
    }
    mirubato_edge::json(&json!({ "sub": claims.sub, "jti": claims.jti, "sid": claims.sid }))
}

/// Revokes one token from before sessions (no `sid`) until it would have expired anyway.
pub async fn revoke_legacy_access(kv: &KvStore, claims: &Claims) -> Result<(), EdgeError> {
    kv.put(&revoked_access_key(&claims.jti), "1")?
        .expiration(claims.exp.max(0) as u64 + 60)
        .execute()
        .await?;
    Ok(())
}

/// Revokes every token from before sessions of a user issued up to `at` (all of them expire
/// within the refresh lifetime, so the marker does too).
async fn revoke_user(kv: &KvStore, user_id: &str, at: DateTime<Utc>) -> Result<(), EdgeError> {
    kv.put(&revoked_user_key(user_id), at.timestamp().to_string())?
        .expiration_ttl(marker_ttl_secs())
        .execute()
        .await?;
    Ok(())
}
