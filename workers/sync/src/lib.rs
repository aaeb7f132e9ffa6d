//! The sync worker: real-time device sync over WebSockets. Each user's sockets meet in one
//! `SyncCoordinator` Durable Object; writes go through the api (service binding), so the
//! socket and REST share one validation, one merge rule and one seq.

mod coordinator;

use mirubato_core::ApiError;
use mirubato_core::rate_limit::Scope;
use mirubato_edge::auth::{API_BINDING, authenticate_token};
use mirubato_edge::{Dependency, EdgeError, RequestContext, Router, Service, serve};
use worker::{Context, Env, Method, Request, RequestInit, Response, event};

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
};

const COORDINATOR: &str = "SYNC_COORDINATOR";

fn routes() -> Router {
    Router::new()
        .limit(Scope::SYNC)
        .get("/sync/ws", connect)
        .post("/internal/broadcast", broadcast)
}

/// The user's coordinator: one Durable Object per user.
fn coordinator(ctx: &RequestContext, user_id: &str) -> Result<worker::Stub, EdgeError> {
    Ok(ctx
        .env
        .durable_object(COORDINATOR)?
        .id_from_name(&format!("user:{user_id}"))?
        .get_stub()?)
}

/// `GET /sync/ws?userId=…&token=…[&deviceId=…]`: checks the access token, then hands the
/// upgrade to the user's coordinator.
async fn connect(ctx: RequestContext) -> Result<Response, EdgeError> {
    let (Some(user_id), Some(token)) = (ctx.query("userId"), ctx.query("token")) else {
        return Err(ApiError::validation("Missing userId or token").into());
    };
    let claims = authenticate_token(&ctx, &token).await?;
    if claims.sub != user_id {
        return Err(ApiError::Forbidden("User ID mismatch".into()).into());
    }
    let upgrade = ctx.header("Upgrade").unwrap_or_default();
    if !upgrade.eq_ignore_ascii_case("websocket") {
        return Err(
            ApiError::validation("Expected a WebSocket upgrade (Upgrade: websocket)").into(),
        );
    }
    Ok(coordinator(&ctx, &user_id)?
        .fetch_with_request(ctx.req.clone()?)
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

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    serve(req, env, ctx, &SERVICE, routes).await
}
