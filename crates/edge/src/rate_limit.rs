//! Rate limiting for every route of every worker. The router counts each public request
//! against its route's scope (`mirubato_core::rate_limit::Scope`) before the handler runs:
//! signed-in callers by user id, anonymous ones by client address. Service-binding calls
//! between our workers are not counted.
//!
//! The counters live in the [`RateLimiter`] Durable Object, one instance per caller. A Durable
//! Object handles its requests one at a time, so two simultaneous requests cannot both read
//! the same count (the race a KV counter has); the instance deletes itself once every window
//! it holds has ended.

use mirubato_core::ApiError;
use mirubato_core::rate_limit::{Caller, CountRequest, Decision, Scope, Window, count};
use worker::{DurableObject, Env, Method, Request, RequestInit, Response, State, durable_object};

use crate::auth::{access_claims, presented_access_token, session_is_live};
use crate::respond::error_response;
use crate::{EdgeError, RequestContext, now_ms};
use mirubato_core::sync::socket::parse_offer;

/// The Durable Object namespace every worker binds (class [`RateLimiter`]).
pub const RATE_LIMITER: &str = "RATE_LIMITER";

/// Counts `ctx`'s request against `scope`: the decision says whether to serve it.
pub async fn admit(ctx: &RequestContext, scope: Scope) -> Result<Decision, EdgeError> {
    admit_caller(&ctx.env, scope, &caller(ctx).await, 1).await
}

/// Counts `cost` units of `caller` against `scope` in the caller's counter (for a Durable
/// Object, which has no request context: the sync coordinator counts socket frames).
pub async fn admit_caller(
    env: &Env,
    scope: Scope,
    caller: &Caller,
    cost: u32,
) -> Result<Decision, EdgeError> {
    let configured = env.var(scope.config_key).ok().map(|var| var.to_string());
    let limits = scope
        .limits(configured.as_deref())
        .map_err(ApiError::internal)?;
    let request = CountRequest {
        scope: scope.name.to_string(),
        limit: limits.for_caller(caller),
        cost,
    };
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(
        serde_json::to_string(&request)
            .map_err(ApiError::internal)?
            .into(),
    ));
    let mut answer = env
        .durable_object(RATE_LIMITER)?
        .id_from_name(&caller.counter_name())?
        .get_stub()?
        .fetch_with_request(Request::new_with_init("https://rate-limiter/count", &init)?)
        .await?;
    if answer.status_code() != 200 {
        return Err(ApiError::Unavailable(format!(
            "rate limiter answered {}",
            answer.status_code()
        ))
        .into());
    }
    Ok(answer.json().await?)
}

/// Deletes every counter this worker keeps for the user, with the instance's alarm (part of
/// an account's erasure). Idempotent: an instance with nothing stored stays empty.
pub async fn forget_user(env: &Env, user_id: &str) -> Result<(), EdgeError> {
    let caller = Caller::User {
        id: user_id.to_string(),
    };
    let mut init = RequestInit::new();
    init.with_method(Method::Delete);
    let answer = env
        .durable_object(RATE_LIMITER)?
        .id_from_name(&caller.counter_name())?
        .get_stub()?
        .fetch_with_request(Request::new_with_init(
            "https://rate-limiter/counters",
            &init,
        )?)
        .await?;
    if answer.status_code() != 200 {
        return Err(ApiError::Unavailable(format!(
            "rate limiter answered {} to a deletion",
            answer.status_code()
        ))
        .into());
    }
    Ok(())
}

/// Whom the request is counted against: the user of a valid access token of a live session
/// (from the header, the cookie, or a socket's `token` query or subprotocol offer), else the
/// client address (an IPv6 client by its /64). A forged or revoked token is counted by address.
async fn caller(ctx: &RequestContext) -> Caller {
    let token = presented_access_token(ctx)
        .or_else(|| ctx.query("token"))
        .or_else(|| {
            parse_offer(ctx.header("Sec-WebSocket-Protocol").as_deref())
                .ok()
                .and_then(|offer| offer.token)
        });
    if let Some(token) = token
        && let Ok(claims) = access_claims(ctx, &token)
        && session_is_live(ctx, &claims, &token).await.unwrap_or(false)
    {
        return Caller::User { id: claims.sub };
    }
    Caller::anonymous(&ctx.client_ip())
}

/// The 429 envelope for a refused request, with `Retry-After` and the `X-RateLimit-*`
/// headers.
pub fn refusal(decision: &Decision) -> Result<Response, EdgeError> {
    stamp(error_response(&decision.error())?, decision)
}

/// Adds the `X-RateLimit-*` headers to a response, unless a stricter limiter of the handler
/// (the scores import rule) already reported its own.
pub fn stamp(response: Response, decision: &Decision) -> Result<Response, EdgeError> {
    if response.status_code() == 101 || response.headers().has("X-RateLimit-Limit")? {
        return Ok(response);
    }
    let headers: Vec<(&str, String)> = decision.headers().to_vec();
    Ok(crate::rebuild_with_headers(response, &headers)?)
}

/// One caller's counters: a [`Window`] per scope in the object's storage.
#[durable_object]
pub struct RateLimiter {
    state: State,
}

impl DurableObject for RateLimiter {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        if req.method() == Method::Delete {
            let storage = self.state.storage();
            storage.delete_alarm().await?;
            storage.delete_all().await?;
            return Response::ok("deleted");
        }
        let Ok(request) = req.json::<CountRequest>().await else {
            return Response::error("Expected a count request", 400);
        };
        let storage = self.state.storage();
        let previous: Option<Window> = storage.get(&request.scope).await?;
        let now_secs = (now_ms() / 1000.0) as u64;
        let (decision, window) = count(request.limit, previous, now_secs, request.cost);
        if Some(window) != previous {
            storage.put(&request.scope, window).await?;
        }
        // Cleared once the latest window ends. Only a new window can end later than the
        // alarm already set, so a request inside a known window touches no alarm.
        if previous.map(|stored| stored.start) != Some(window.start) {
            let reset_ms = (decision.reset_at * 1000) as i64;
            let scheduled = storage.get_alarm().await?;
            if scheduled.is_none_or(|at| at < reset_ms) {
                // An absolute instant: a bare number would be taken as an offset from now.
                let reset = chrono::DateTime::from_timestamp_millis(reset_ms).unwrap_or_default();
                storage.set_alarm(reset).await?;
            }
        }
        Response::from_json(&decision)
    }

    async fn alarm(&self) -> worker::Result<Response> {
        self.state.storage().delete_all().await?;
        Response::ok("cleared")
    }
}
