//! The sync worker: real-time device sync over WebSockets. Each user's sockets meet in one
//! `SyncCoordinator` Durable Object; writes go through the api (service binding), so the
//! socket and REST share one validation, one merge rule and one seq.

mod coordinator;

use mirubato_core::ApiError;
use mirubato_core::input::MAX_JSON_BODY;
use mirubato_core::rate_limit::Scope;
use mirubato_core::sync::socket::{SUBPROTOCOL, SessionsEnded, parse_offer};
use mirubato_edge::auth::{API_BINDING, authenticate_connection};
use mirubato_edge::{Dependency, EdgeError, RequestContext, Router, Service, SessionCheck, serve};
use worker::{Context, Env, Headers, Method, Request, RequestInit, Response, event};

pub use coordinator::SyncCoordinator;
/// Every worker hosts the rate limiter's counters (crates/edge).
pub use mirubato_edge::rate_limit::RateLimiter;

static SERVICE: Service = Service {
    name: "sync",
    version: env!("CARGO_PKG_VERSION"),
    dependencies: &[Dependency::Worker {
        binding: API_BINDING,
        name: "api",
    }],
    capabilities: &[],
    sessions: SessionCheck::AskApi,
};

const COORDINATOR: &str = "SYNC_COORDINATOR";
/// What the worker tells the coordinator about a verified upgrade (headers it sets itself).
pub(crate) const SESSION_HEADER: &str = "X-Mirubato-Session-Id";
pub(crate) const EXPIRES_HEADER: &str = "X-Mirubato-Token-Expires-At";
pub(crate) const SUBPROTOCOL_HEADER: &str = "X-Mirubato-Subprotocol";
const FORWARDED: [&str; 3] = [SESSION_HEADER, EXPIRES_HEADER, SUBPROTOCOL_HEADER];

fn routes() -> Router {
    Router::new()
        .limit(Scope::SYNC)
        .get("/sync/ws", connect)
        .post("/internal/broadcast", broadcast)
        .post("/internal/sessions/ended", sessions_ended)
        .post(mirubato_core::erasure::ERASE_PATH, erase)
}

/// The user's coordinator: one Durable Object per user.
fn coordinator(ctx: &RequestContext, user_id: &str) -> Result<worker::Stub, EdgeError> {
    Ok(ctx
        .env
        .durable_object(COORDINATOR)?
        .id_from_name(&format!("user:{user_id}"))?
        .get_stub()?)
}

/// `GET /sync/ws?userId=…&token=…[&deviceId=…]`, or the token offered as
/// `Sec-WebSocket-Protocol: mirubato-sync, bearer.<token>`: checks the access token, then
/// hands the upgrade to the user's coordinator with what it needs to follow the token (its
/// session and expiry) in headers set here, never the client's.
async fn connect(ctx: RequestContext) -> Result<Response, EdgeError> {
    let offer = parse_offer(ctx.header("Sec-WebSocket-Protocol").as_deref())?;
    let token = offer.token.clone().or_else(|| ctx.query("token"));
    let (Some(user_id), Some(token)) = (ctx.query("userId"), token) else {
        return Err(ApiError::validation("Missing userId or token").into());
    };
    let claims = authenticate_connection(&ctx, &token).await?;
    if claims.sub != user_id {
        return Err(ApiError::Forbidden("User ID mismatch".into()).into());
    }
    let upgrade = ctx.header("Upgrade").unwrap_or_default();
    if !upgrade.eq_ignore_ascii_case("websocket") {
        return Err(
            ApiError::validation("Expected a WebSocket upgrade (Upgrade: websocket)").into(),
        );
    }
    let headers = Headers::new();
    for (name, value) in ctx.req.headers().entries() {
        // Our own headers come only from here; the offer held the token.
        let ours = FORWARDED.iter().any(|own| own.eq_ignore_ascii_case(&name));
        if !ours && !name.eq_ignore_ascii_case("Sec-WebSocket-Protocol") {
            headers.append(&name, &value)?;
        }
    }
    if let Some(session_id) = &claims.sid {
        headers.set(SESSION_HEADER, session_id)?;
    }
    headers.set(EXPIRES_HEADER, &claims.exp.to_string())?;
    if offer.subprotocol {
        headers.set(SUBPROTOCOL_HEADER, SUBPROTOCOL)?;
    }
    // The coordinator's URL keeps the query without the token.
    let mut url = ctx.req.url()?;
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(name, _)| name != "token")
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    url.query_pairs_mut().clear().extend_pairs(kept);
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers);
    let request = Request::new_with_init(url.as_str(), &init)?;
    Ok(coordinator(&ctx, &user_id)?
        .fetch_with_request(request)
        .await?)
}

/// `POST /internal/broadcast {userId, changes}` (service binding only): changes made through
/// the api, for every connected device of the user.
async fn broadcast(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    ctx.require_internal()?;
    let body = ctx.req.text().await?;
    let user_id = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|value| {
            value
                .get("userId")
                .and_then(|id| id.as_str())
                .map(str::to_string)
        })
        .ok_or_else(|| ApiError::validation("userId is required"))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(body.into()));
    let request = Request::new_with_init("https://coordinator/broadcast", &init)?;
    Ok(coordinator(&ctx, &user_id)?
        .fetch_with_request(request)
        .await?)
}

/// `POST /internal/sessions/ended {userId, sessionIds}` or `{userId, all: true}` (service
/// binding only): the api ended those sessions (or all of the user's); the user's
/// coordinator closes their sockets with 4401 and answers `{"closed": n}`.
async fn sessions_ended(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    ctx.require_internal()?;
    let body = ctx.body_bytes(MAX_JSON_BODY).await?;
    let ended = SessionsEnded::parse(&body)?;
    let mut init = RequestInit::new();
    // Parsed above, so valid UTF-8: the coordinator reads the same JSON.
    let text = String::from_utf8_lossy(&body);
    init.with_method(Method::Post)
        .with_body(Some(text.as_ref().into()));
    let request = Request::new_with_init("https://coordinator/sessions/ended", &init)?;
    Ok(coordinator(&ctx, &ended.user_id)?
        .fetch_with_request(request)
        .await?)
}

/// `POST /internal/users/erase {userId}` (service binding only): the sync worker's part of
/// an account's erasure. The user's coordinator closes every socket (4401) and deletes its
/// storage and alarm; then the user's rate counters here go. Idempotent.
async fn erase(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let request = mirubato_edge::erasure::read_request(&mut ctx).await?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post);
    let request_to_coordinator = Request::new_with_init("https://coordinator/erase", &init)?;
    let mut answer = coordinator(&ctx, &request.user_id)?
        .fetch_with_request(request_to_coordinator)
        .await?;
    if answer.status_code() != 200 {
        return Err(ApiError::Unavailable(format!(
            "coordinator answered {} to an erasure",
            answer.status_code()
        ))
        .into());
    }
    let closed: serde_json::Value = answer.json().await?;
    mirubato_edge::erasure::forget_rate_limits(&ctx, &request.user_id).await?;
    mirubato_edge::json(&closed)
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    serve(req, env, ctx, &SERVICE, routes).await
}
