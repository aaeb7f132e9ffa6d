//! Account erasure across the workers, the pure part: which steps follow the api's own
//! deletion, what each step is asked, and when a step that failed is tried again.
//!
//! The api deletes its own rows in one D1 batch that also records a pending row per [`Step`]
//! (`erasures`, migrations/api/0008), then runs the steps at once; the hourly cron runs the
//! ones still pending once their [`RetryPolicy::next_attempt`] has come. Every step is idempotent: erasing a
//! user twice erases nothing more the second time.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::ApiError;

/// The internal route every erasing worker answers (service bindings only).
pub const ERASE_PATH: &str = "/internal/users/erase";

/// One part of an account's erasure that runs after the api's own rows are gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// The scores worker: every score of the user (any visibility) and its R2 objects,
    /// collections, favourites, shares given and received, import records, rate counters.
    Scores,
    /// The dictionary worker: feedback, reports and search records lose the user id.
    Dictionary,
    /// The sync worker: the user's sockets closed, the coordinator's storage and alarm
    /// deleted, rate counters deleted.
    Sync,
    /// The api's own rate-limit counters (a Durable Object, outside the D1 batch).
    ApiRateLimits,
}

/// Where a step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// In the api itself.
    Local,
    /// In the worker behind this service binding of the api, at [`ERASE_PATH`].
    Worker(&'static str),
}

impl Step {
    /// Every step, in the order they run.
    pub const ALL: [Step; 4] = [
        Step::Scores,
        Step::Dictionary,
        Step::Sync,
        Step::ApiRateLimits,
    ];

    /// The stored name (`erasures.step`).
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Scores => "scores",
            Step::Dictionary => "dictionary",
            Step::Sync => "sync",
            Step::ApiRateLimits => "api-rate-limits",
        }
    }

    pub fn parse(name: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|step| step.as_str() == name)
    }

    pub fn target(self) -> Target {
        match self {
            Step::Scores => Target::Worker("SCORES"),
            Step::Dictionary => Target::Worker("DICTIONARY"),
            Step::Sync => Target::Worker("SYNC"),
            Step::ApiRateLimits => Target::Local,
        }
    }
}

/// The body of `POST /internal/users/erase`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EraseRequest {
    pub user_id: String,
}

impl EraseRequest {
    /// Parses and checks a request body: a user id is required, and is never a pattern.
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let request: EraseRequest = serde_json::from_slice(body)
            .map_err(|_| ApiError::validation("Expected {\"userId\": \"…\"}"))?;
        let id = request.user_id.trim();
        if id.is_empty() || id.len() > 200 || id.chars().any(|c| c.is_control() || c == '%') {
            return Err(ApiError::validation("userId is not a user id"));
        }
        Ok(request)
    }
}

/// When a failed step is tried again: after `base`, doubled per failed attempt, at most
/// `max` apart. The cron runs hourly, so the waits below an hour only decide which run
/// takes the step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base_secs: i64,
    pub max_secs: i64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base_secs: 60,
            max_secs: 6 * 3600,
        }
    }
}

impl RetryPolicy {
    /// The wait after the `attempts`-th failed attempt (1 for the first failure).
    pub fn delay_after(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(30);
        let secs = self
            .base_secs
            .max(0)
            .saturating_mul(1_i64 << doublings)
            .min(self.max_secs.max(0));
        Duration::seconds(secs)
    }

    /// When the step may run again after failing `attempts` times, the last at `failed_at`.
    pub fn next_attempt(&self, attempts: u32, failed_at: DateTime<Utc>) -> DateTime<Utc> {
        failed_at + self.delay_after(attempts)
    }
}

/// What is kept of a failure in `erasures.last_error`: one line, bounded, for operators.
pub fn error_summary(error: &str) -> String {
    const MAX_CHARS: usize = 500;
    let line: String = error
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_CHARS)
        .collect();
    line.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap()
    }

    #[test]
    fn steps_round_trip_their_stored_names() {
        for step in Step::ALL {
            assert_eq!(Step::parse(step.as_str()), Some(step));
        }
        assert_eq!(Step::parse("nothing"), None);
    }

    #[test]
    fn every_remote_step_names_a_binding_of_the_api() {
        let bindings: Vec<_> = Step::ALL
            .iter()
            .filter_map(|step| match step.target() {
                Target::Worker(binding) => Some(binding),
                Target::Local => None,
            })
            .collect();
        assert_eq!(bindings, ["SCORES", "DICTIONARY", "SYNC"]);
    }

    #[test]
    fn the_wait_doubles_and_is_capped() {
        let policy = RetryPolicy {
            base_secs: 60,
            max_secs: 3600,
        };
        assert_eq!(policy.delay_after(1), Duration::seconds(60));
        assert_eq!(policy.delay_after(2), Duration::seconds(120));
        assert_eq!(policy.delay_after(3), Duration::seconds(240));
        assert_eq!(policy.delay_after(7), Duration::seconds(3600));
        assert_eq!(policy.delay_after(u32::MAX), Duration::seconds(3600));
        assert_eq!(policy.next_attempt(2, at(1_000)), at(1_120));
    }

    #[test]
    fn erase_requests_need_a_plain_user_id() {
        let ok = EraseRequest::parse(br#"{"userId":"user_123"}"#).unwrap();
        assert_eq!(ok.user_id, "user_123");
        for bad in [
            &br#"{}"#[..],
            br#"{"userId":""}"#,
            br#"{"userId":"  "}"#,
            br#"{"userId":"a%"}"#,
            b"not json",
        ] {
            let err = EraseRequest::parse(bad).unwrap_err();
            assert_eq!(err.status(), 400);
        }
    }

    #[test]
    fn error_summaries_are_one_bounded_line() {
        assert_eq!(
            error_summary(" scores\nanswered 503 "),
            "scores answered 503"
        );
        assert_eq!(error_summary(&"x".repeat(2_000)).len(), 500);
    }
}
