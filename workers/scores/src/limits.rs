//! The import limit in KV (rules in `mirubato_core::scores::limit`): anonymous callers by
//! client IP, signed-in callers by user id (after their token was verified).

use mirubato_core::scores::limit::{ANONYMOUS, ImportPolicy, LimitState, Outcome, SIGNED_IN};
use mirubato_edge::{EdgeError, RequestContext, now_ms};

use crate::store::CACHE;

/// An admitted import, to be settled with its result.
pub struct Admission {
    key: String,
    policy: ImportPolicy,
    state: LimitState,
}

/// Admits one import or answers 429 with `Retry-After`.
pub async fn admit(ctx: &RequestContext, user: Option<&str>) -> Result<Admission, EdgeError> {
    let (key, policy) = match user {
        Some(user) => (format!("ratelimit:import:user:{user}"), SIGNED_IN),
        None => (
            format!("ratelimit:import:ip:{}", ctx.client_ip()),
            ANONYMOUS,
        ),
    };
    let kv = ctx.env.kv(CACHE)?;
    let stored = kv.get(&key).json::<LimitState>().await?.unwrap_or_default();
    let now = now_ms() as i64;
    let state = policy.admit(stored, now)?;
    save(ctx, &key, &policy, &state, now).await?;
    Ok(Admission { key, policy, state })
}

async fn save(
    ctx: &RequestContext,
    key: &str,
    policy: &ImportPolicy,
    state: &LimitState,
    now: i64,
) -> Result<(), EdgeError> {
    ctx.env
        .kv(CACHE)?
        .put(key, state)?
        .expiration_ttl(policy.ttl_secs(state, now))
        .execute()
        .await?;
    Ok(())
}

impl Admission {
    /// Records how the import ended: bad input (a 4xx) counts towards backoff and the ban.
    pub async fn settle<T>(
        self,
        ctx: &RequestContext,
        result: &Result<T, EdgeError>,
    ) -> Result<(), EdgeError> {
        let outcome = match result {
            Ok(_) => Outcome::Imported,
            Err(EdgeError::Api(err)) if (400..500).contains(&err.status()) => Outcome::BadInput,
            // A server-side fault is not the caller's: the admitted import stays counted.
            Err(_) => return Ok(()),
        };
        let now = now_ms() as i64;
        let state = self.policy.settle(self.state, outcome, now);
        save(ctx, &self.key, &self.policy, &state, now).await
    }
}
