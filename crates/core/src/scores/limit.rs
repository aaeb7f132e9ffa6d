//! The import limit: anonymous callers get one import per 10 minutes per IP address; failures
//! stretch the wait (doubling per recent failure) and repeated bad input bans the address for
//! an hour. Signed-in users get a generous limit by user id. The state lives in KV; these are
//! its pure rules, with the clock passed in.

use serde::{Deserialize, Serialize};

use crate::ApiError;

const MINUTE_MS: i64 = 60_000;

/// The numbers of one kind of caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportPolicy {
    /// Imports allowed per window.
    pub limit: u32,
    pub window_ms: i64,
    /// Failures (bad input) that ban the caller.
    pub ban_after_failures: u32,
    pub ban_ms: i64,
}

/// Anonymous callers, keyed by client IP.
pub const ANONYMOUS: ImportPolicy = ImportPolicy {
    limit: 1,
    window_ms: 10 * MINUTE_MS,
    ban_after_failures: 3,
    ban_ms: 60 * MINUTE_MS,
};

/// Signed-in callers, keyed by user id.
pub const SIGNED_IN: ImportPolicy = ImportPolicy {
    limit: 60,
    window_ms: 10 * MINUTE_MS,
    ban_after_failures: 20,
    ban_ms: 60 * MINUTE_MS,
};

/// The KV record of one caller.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LimitState {
    pub window_start_ms: i64,
    pub count: u32,
    pub failures: u32,
    pub banned_until_ms: Option<i64>,
}

/// How an admitted import ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Imported,
    /// The caller sent bad input (a 4xx): it does not use up the allowance, but counts
    /// towards the ban.
    BadInput,
}

impl ImportPolicy {
    /// Admits one import at `now`, or refuses it with how long to wait. The returned state is
    /// the one to store (the import counted).
    pub fn admit(&self, state: LimitState, now_ms: i64) -> Result<LimitState, ApiError> {
        if let Some(until) = state.banned_until_ms.filter(|until| *until > now_ms) {
            return Err(refusal(until - now_ms));
        }
        let mut next = LimitState {
            banned_until_ms: None,
            ..state
        };
        if now_ms >= state.window_start_ms + self.window_ms || now_ms < state.window_start_ms {
            next.window_start_ms = now_ms;
            next.count = 0;
        }
        if next.count >= self.limit {
            let remaining = next.window_start_ms + self.window_ms - now_ms;
            let stretched = remaining.saturating_mul(1i64 << next.failures.min(6));
            return Err(refusal(stretched.min(self.ban_ms)));
        }
        next.count += 1;
        Ok(next)
    }

    /// The state after an admitted import ended: success forgives one failure; bad input
    /// gives the allowance back, counts a failure, and bans at the threshold.
    pub fn settle(&self, state: LimitState, outcome: Outcome, now_ms: i64) -> LimitState {
        match outcome {
            Outcome::Imported => LimitState {
                failures: state.failures.saturating_sub(1),
                ..state
            },
            Outcome::BadInput => {
                let failures = state.failures + 1;
                LimitState {
                    count: state.count.saturating_sub(1),
                    failures,
                    banned_until_ms: (failures >= self.ban_after_failures)
                        .then_some(now_ms + self.ban_ms),
                    ..state
                }
            }
        }
    }

    /// How long the KV record must live, in seconds (KV's minimum is 60).
    pub fn ttl_secs(&self, state: &LimitState, now_ms: i64) -> u64 {
        let until = state
            .banned_until_ms
            .unwrap_or(0)
            .max(state.window_start_ms + self.window_ms);
        // Failures are remembered for a full window after the last one.
        let until = until.max(now_ms + self.window_ms);
        (((until - now_ms) / 1000) as u64).max(60)
    }
}

fn refusal(wait_ms: i64) -> ApiError {
    ApiError::RateLimited {
        retry_after_secs: ((wait_ms.max(0) + 999) / 1000) as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn retry_after(err: ApiError) -> u64 {
        match err {
            ApiError::RateLimited { retry_after_secs } => retry_after_secs,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn anonymous_callers_get_one_import_per_window() {
        let start = 1_000_000;
        let state = ANONYMOUS.admit(LimitState::default(), start).unwrap();
        let state = ANONYMOUS.settle(state, Outcome::Imported, start);
        let wait = retry_after(ANONYMOUS.admit(state, start + 60_000).unwrap_err());
        assert_eq!(wait, 540);
        assert!(ANONYMOUS.admit(state, start + 10 * MINUTE_MS).is_ok());
    }

    #[test]
    fn failures_stretch_the_wait() {
        let start = 0;
        let mut state = LimitState::default();
        state = ANONYMOUS.admit(state, start).unwrap();
        state = ANONYMOUS.settle(state, Outcome::BadInput, start);
        state = ANONYMOUS.admit(state, start).unwrap();
        state = ANONYMOUS.settle(state, Outcome::Imported, start);
        assert_eq!(state.failures, 0);
        state.failures = 2;
        assert_eq!(
            retry_after(ANONYMOUS.admit(state, start).unwrap_err()),
            2400
        );
    }

    #[test]
    fn repeated_bad_input_bans_for_an_hour() {
        let mut state = LimitState::default();
        for attempt in 0..3 {
            state = ANONYMOUS.admit(state, attempt).unwrap();
            state = ANONYMOUS.settle(state, Outcome::BadInput, attempt);
        }
        assert_eq!(state.banned_until_ms, Some(2 + 60 * MINUTE_MS));
        assert_eq!(retry_after(ANONYMOUS.admit(state, 2).unwrap_err()), 3600);
        assert!(ANONYMOUS.ttl_secs(&state, 2) >= 3599);
        // After the ban the address may try again (its failures still stretch any wait).
        assert!(ANONYMOUS.admit(state, 2 + 60 * MINUTE_MS).is_ok());
    }

    #[test]
    fn signed_in_users_are_limited_generously() {
        let mut state = LimitState::default();
        for at in 0..60 {
            state = SIGNED_IN.admit(state, at).unwrap();
        }
        assert!(SIGNED_IN.admit(state, 60).is_err());
    }

    proptest! {
        #[test]
        fn waits_are_never_longer_than_a_ban(failures in 0u32..50, count in 0u32..5, offset in 0i64..600_000) {
            let state = LimitState { window_start_ms: 0, count, failures, banned_until_ms: None };
            if let Err(err) = ANONYMOUS.admit(state, offset) {
                let wait = retry_after(err);
                prop_assert!((1..=3600).contains(&wait));
            }
        }
    }
}
