//! What every Mirubato worker shares at the edge: the request pipeline ([`serve`]), routing
//! ([`Router`]), error responses, CORS, the structured request log, and the `/health`,
//! `/livez`, `/readyz` and `/metrics` endpoints. Worker crates only add their own routes.

pub mod auth;
pub mod erasure;
mod error;
mod health;
mod objects;
mod observe;
mod pipeline;
pub mod rate_limit;
mod respond;
mod router;

pub use error::EdgeError;
pub use objects::{Served, serve_object};
pub use observe::{event, log_cron_job};
pub use pipeline::{Capability, Dependency, Service, SessionCheck, serve};
pub use respond::{error_response, json, json_with_status, rebuild_with_headers};
pub use router::{INTERNAL_HOST, RequestContext, Router, post_internal, read_capped};

/// A var holding a number that cannot be negative (a size, a count, a duration): its value,
/// spaces around it allowed, or `default` when it is unset, not a number of this type, or
/// negative.
pub fn non_negative_var<T>(env: &worker::Env, name: &str, default: T) -> T
where
    T: std::str::FromStr + PartialOrd + Default,
{
    env.var(name)
        .ok()
        .and_then(|value| value.to_string().trim().parse().ok())
        .filter(|value: &T| *value >= T::default())
        .unwrap_or(default)
}

/// Milliseconds since the Unix epoch, from the runtime's clock.
pub fn now_ms() -> f64 {
    worker::Date::now().as_millis() as f64
}

/// The current instant as a chrono timestamp (the injected clock of core's logic).
pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(now_ms() as i64).unwrap_or_default()
}
