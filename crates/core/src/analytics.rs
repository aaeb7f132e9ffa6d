//! Workers Analytics Engine data points: one per request and one per domain event, in the
//! dataset the `ANALYTICS` binding names (one per environment: `mirubato_analytics_staging`,
//! `mirubato_analytics_production`). The same record goes into the request's log line, because
//! `wrangler dev` drops Analytics Engine writes; the field order below is what the SQL queries
//! in docs/OPERATIONS.md select on.
//!
//! Request points: index = worker; blobs = [route pattern, method, status class, cache status,
//! country, user hash]; doubles = [duration ms, request bytes, response bytes].
//! Event points: index = worker; blobs = ["event", name, user hash, detail…]; doubles as given.

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

/// One Analytics Engine data point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataPoint {
    pub indexes: Vec<String>,
    pub blobs: Vec<String>,
    pub doubles: Vec<f64>,
}

/// What is known of a finished request.
#[derive(Debug, Clone, Default)]
pub struct RequestFacts<'a> {
    pub worker: &'a str,
    /// The matched route pattern (`/api/goals/{id}`), never the raw path.
    pub route: Option<&'a str>,
    pub method: &'a str,
    pub status: u16,
    /// `HIT`/`MISS` where a cache was consulted.
    pub cache_status: Option<&'a str>,
    pub country: Option<&'a str>,
    /// From [`user_hash`]: never an email or a raw id.
    pub user_hash: Option<&'a str>,
    pub duration_ms: f64,
    pub request_bytes: u64,
    pub response_bytes: u64,
}

/// `2xx`, `4xx`, …
pub fn status_class(status: u16) -> String {
    format!("{}xx", status / 100)
}

/// A salted, keyed hash of a user id: stable per user (so daily active users can be
/// counted), not reversible without the key. 32 hex characters.
pub fn user_hash(key: &str, user_id: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(b"analytics-user:");
    mac.update(user_id.as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..16])
}

pub fn request_point(facts: &RequestFacts<'_>) -> DataPoint {
    DataPoint {
        indexes: vec![facts.worker.to_string()],
        blobs: vec![
            facts.route.unwrap_or("unmatched").to_string(),
            facts.method.to_string(),
            status_class(facts.status),
            facts.cache_status.unwrap_or("NONE").to_string(),
            facts.country.unwrap_or("XX").to_string(),
            facts.user_hash.unwrap_or("").to_string(),
        ],
        doubles: vec![
            facts.duration_ms,
            facts.request_bytes as f64,
            facts.response_bytes as f64,
        ],
    }
}

/// A domain event (`entry_logged`, `score_imported`, `term_looked_up`, `sync_frame_applied`).
pub fn event_point(
    worker: &str,
    event: &str,
    user_hash: Option<&str>,
    details: &[&str],
    doubles: &[f64],
) -> DataPoint {
    let mut blobs = vec![
        "event".to_string(),
        event.to_string(),
        user_hash.unwrap_or("").to_string(),
    ];
    blobs.extend(details.iter().map(|detail| detail.to_string()));
    DataPoint {
        indexes: vec![worker.to_string()],
        blobs,
        doubles: doubles.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_points_use_the_route_pattern_and_hide_the_user() {
        let hash = user_hash("secret", "user_42");
        let point = request_point(&RequestFacts {
            worker: "api",
            route: Some("/api/goals/{id}"),
            method: "GET",
            status: 404,
            cache_status: None,
            country: Some("DE"),
            user_hash: Some(&hash),
            duration_ms: 12.5,
            request_bytes: 0,
            response_bytes: 87,
        });
        assert_eq!(point.indexes, vec!["api"]);
        assert_eq!(
            point.blobs,
            vec!["/api/goals/{id}", "GET", "4xx", "NONE", "DE", hash.as_str()]
        );
        assert_eq!(point.doubles, vec![12.5, 0.0, 87.0]);
        assert!(!hash.contains("user_42"));
        assert_eq!(hash.len(), 32);
    }

    #[test]
    fn user_hashes_are_stable_per_key_and_user() {
        assert_eq!(user_hash("k", "u1"), user_hash("k", "u1"));
        assert_ne!(user_hash("k", "u1"), user_hash("k", "u2"));
        assert_ne!(user_hash("k", "u1"), user_hash("other", "u1"));
    }

    #[test]
    fn unmatched_requests_and_events() {
        let point = request_point(&RequestFacts {
            worker: "scores",
            method: "POST",
            status: 500,
            ..RequestFacts::default()
        });
        assert_eq!(point.blobs[..3], ["unmatched", "POST", "5xx"]);
        let event = event_point("api", "entry_logged", Some("h"), &["practice"], &[1.0]);
        assert_eq!(event.blobs, vec!["event", "entry_logged", "h", "practice"]);
        assert_eq!(event.doubles, vec![1.0]);
    }
}
