//! Rate limiting for every worker: fixed windows counted in KV, limits from configuration
//! (one var per scope, e.g. `RATE_LIMIT_LOOKUP = "anonymous=60/60,user=120/60"`), anonymous
//! callers by client address and signed-in callers by user id. The window logic is core's
//! (`mirubato_core::rate_limit`).
//!
//! KV has no atomic increment: two requests of one caller in the same instant may both read
//! the same count, so a burst can exceed the limit by the number of concurrent requests. That
//! is accepted for abuse protection; hard quotas need a Durable Object counter.

use mirubato_core::ApiError;
use mirubato_core::rate_limit::{Caller, Decision, TieredLimit, decide, window_key};
use worker::Response;

use crate::respond::error_response;
use crate::{EdgeError, RequestContext, now_ms};

/// A group of routes counted together, and the var holding its limits.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub scope: &'static str,
    pub config_key: &'static str,
}

/// KV keeps a key at least this long.
const MIN_KV_TTL_SECS: u64 = 60;

/// Counts the request against the caller's window in the KV namespace `kv_binding`. The
/// decision says whether to serve it; a refused request is not counted.
pub async fn admit(
    ctx: &RequestContext,
    kv_binding: &str,
    policy: Policy,
    caller: &Caller,
) -> Result<Decision, EdgeError> {
    let configured = ctx.secret(policy.config_key)?;
    let limits = TieredLimit::parse(policy.config_key, &configured).map_err(ApiError::internal)?;
    let limit = limits.for_caller(caller);
    let now_secs = (now_ms() / 1000.0) as u64;
    let key = window_key(policy.scope, caller, limit, now_secs);
    let kv = ctx.env.kv(kv_binding)?;
    let used: u32 = kv
        .get(&key)
        .text()
        .await?
        .and_then(|count| count.parse().ok())
        .unwrap_or(0);
    let decision = decide(limit, used, now_secs);
    if decision.allowed {
        kv.put(&key, (used + 1).to_string())?
            .expiration_ttl(limit.window_secs.max(MIN_KV_TTL_SECS))
            .execute()
            .await?;
    }
    Ok(decision)
}

/// The caller for rate limiting: the user when signed in, else the client address.
pub fn caller(ctx: &RequestContext, user_id: Option<&str>) -> Caller {
    match user_id {
        Some(id) => Caller::User { id: id.to_string() },
        None => Caller::Anonymous {
            ip: ctx.client_ip(),
        },
    }
}

/// The 429 envelope for a refused request, with `Retry-After` and the `X-RateLimit-*`
/// headers.
pub fn refusal(decision: &Decision) -> Result<Response, EdgeError> {
    stamp(error_response(&decision.error())?, decision)
}

/// Adds the `X-RateLimit-*` headers to a response (its headers may be immutable).
pub fn stamp(response: Response, decision: &Decision) -> Result<Response, EdgeError> {
    let headers: Vec<(&str, String)> = decision.headers().to_vec();
    Ok(crate::rebuild_with_headers(response, &headers)?)
}

/// Runs `handler` for an admitted request and stamps the quota on its answer, deliberate
/// errors included (faults keep going to the pipeline, which logs them).
pub async fn limited<Fut>(decision: &Decision, handler: Fut) -> Result<Response, EdgeError>
where
    Fut: std::future::Future<Output = Result<Response, EdgeError>>,
{
    if !decision.allowed {
        return refusal(decision);
    }
    match handler.await {
        Ok(response) => stamp(response, decision),
        Err(EdgeError::Api(err)) if err.log_reason().is_none() => {
            stamp(error_response(&err)?, decision)
        }
        Err(fault) => Err(fault),
    }
}
