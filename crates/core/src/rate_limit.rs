//! Fixed-window rate limiting, the pure part: the scopes and their limits (one table,
//! overridable by configuration), the caller's tier, the counting of one window, and the
//! decision with the figures for the `X-RateLimit-*` headers. The counter lives in a Durable
//! Object per caller (`crates/edge/src/rate_limit.rs`), which serialises its requests, so a
//! burst cannot exceed a limit.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ApiError;
use crate::config::ConfigError;

/// A group of routes counted together, and its limits: `default` unless the worker's var
/// `config_key` overrides it. Each scope counts separately, so one request is counted once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    pub name: &'static str,
    pub config_key: &'static str,
    pub default: &'static str,
}

impl Scope {
    /// Every route not in a stricter or more generous scope.
    pub const DEFAULT: Self = Self::new(
        "default",
        "RATE_LIMIT_DEFAULT",
        "anonymous=300/60,user=600/60",
    );
    /// Sign-in attempts (magic-link requests, Google sign-ins).
    pub const AUTH: Self = Self::new("auth", "RATE_LIMIT_AUTH", "anonymous=10/60,user=10/60");
    /// Score imports (the scores worker adds its own anonymous 1-per-10-minutes rule and bans).
    pub const IMPORT: Self = Self::new(
        "import",
        "RATE_LIMIT_IMPORT",
        "anonymous=20/600,user=120/600",
    );
    /// Device sync (REST push/pull and socket connects): generous, devices sync often.
    pub const SYNC: Self = Self::new("sync", "RATE_LIMIT_SYNC", "anonymous=60/60,user=1200/60");
    /// The web app's files: a page load fetches many.
    pub const STATIC: Self = Self::new(
        "static",
        "RATE_LIMIT_STATIC",
        "anonymous=2000/60,user=2000/60",
    );
    /// Dictionary term lookups.
    pub const LOOKUP: Self =
        Self::new("lookup", "RATE_LIMIT_LOOKUP", "anonymous=60/60,user=120/60");
    /// Dictionary search.
    pub const SEARCH: Self = Self::new(
        "search",
        "RATE_LIMIT_SEARCH",
        "anonymous=100/60,user=200/60",
    );
    /// Dictionary quality feedback.
    pub const FEEDBACK: Self = Self::new(
        "feedback",
        "RATE_LIMIT_FEEDBACK",
        "anonymous=10/60,user=20/60",
    );
    /// Dictionary problem reports.
    pub const REPORT: Self = Self::new(
        "report",
        "RATE_LIMIT_REPORT",
        "anonymous=5/3600,user=10/3600",
    );
    /// Dictionary exports.
    pub const EXPORT: Self = Self::new("export", "RATE_LIMIT_EXPORT", "anonymous=5/60,user=10/60");

    /// The documented table (docs/OPERATIONS.md, "Rate limits").
    pub const ALL: [Self; 10] = [
        Self::DEFAULT,
        Self::AUTH,
        Self::IMPORT,
        Self::SYNC,
        Self::STATIC,
        Self::LOOKUP,
        Self::SEARCH,
        Self::FEEDBACK,
        Self::REPORT,
        Self::EXPORT,
    ];

    const fn new(name: &'static str, config_key: &'static str, default: &'static str) -> Self {
        Self {
            name,
            config_key,
            default,
        }
    }

    /// The scope's limits: the configured value of `config_key` when set, else the default.
    pub fn limits(&self, configured: Option<&str>) -> Result<TieredLimit, ConfigError> {
        TieredLimit::parse(self.config_key, configured.unwrap_or(self.default))
    }
}

/// `requests` per `window_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Limit {
    pub requests: u32,
    pub window_secs: u64,
}

impl FromStr for Limit {
    type Err = String;

    /// `"60/60"`: 60 requests per 60 seconds.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (requests, window) = text
            .trim()
            .split_once('/')
            .ok_or_else(|| format!("{text:?} is not <requests>/<seconds>"))?;
        let requests: u32 = requests
            .trim()
            .parse()
            .map_err(|_| format!("{requests:?} is not a request count"))?;
        let window_secs: u64 = window
            .trim()
            .parse()
            .map_err(|_| format!("{window:?} is not a number of seconds"))?;
        if requests == 0 || window_secs == 0 {
            return Err(format!("{text:?}: both figures must be positive"));
        }
        Ok(Self {
            requests,
            window_secs,
        })
    }
}

/// One limit per tier: anonymous callers counted by client address, signed-in callers by
/// user id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TieredLimit {
    pub anonymous: Limit,
    pub user: Limit,
}

impl TieredLimit {
    /// Parses `"anonymous=60/60,user=120/60"` (the value of one configuration key).
    pub fn parse(key: &'static str, text: &str) -> Result<Self, ConfigError> {
        let invalid = |reason: String| ConfigError::Invalid { key, reason };
        let (mut anonymous, mut user) = (None, None);
        for part in text
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
        {
            let (tier, limit) = part
                .split_once('=')
                .ok_or_else(|| invalid(format!("{part:?} is not <tier>=<limit>")))?;
            let limit: Limit = limit.parse().map_err(invalid)?;
            match tier.trim() {
                "anonymous" => anonymous = Some(limit),
                "user" => user = Some(limit),
                other => return Err(invalid(format!("unknown tier {other:?}"))),
            }
        }
        match (anonymous, user) {
            (Some(anonymous), Some(user)) => Ok(Self { anonymous, user }),
            _ => Err(invalid("both anonymous= and user= are required".into())),
        }
    }

    pub fn for_caller(&self, caller: &Caller) -> Limit {
        match caller {
            Caller::Anonymous { .. } => self.anonymous,
            Caller::User { .. } => self.user,
        }
    }
}

/// Whom a request is counted against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Anonymous { ip: String },
    User { id: String },
}

impl Caller {
    /// The name of the caller's counter (one per caller, holding every scope's window).
    pub fn counter_name(&self) -> String {
        match self {
            Self::Anonymous { ip } => format!("ip:{ip}"),
            Self::User { id } => format!("user:{id}"),
        }
    }
}

/// One scope's count in its current fixed window, as the caller's counter stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Window {
    pub start: u64,
    pub used: u32,
}

/// Counts one request against `previous` (the stored window, if any): decides it, and
/// returns the window to store. A refused request is not counted; a new window starts empty.
pub fn count(limit: Limit, previous: Option<Window>, now_secs: u64) -> (Decision, Window) {
    let start = now_secs - now_secs % limit.window_secs;
    let used = previous
        .filter(|window| window.start == start)
        .map_or(0, |window| window.used);
    let decision = decide(limit, used, now_secs);
    let used = if decision.allowed { used + 1 } else { used };
    (decision, Window { start, used })
}

/// What the caller's counter is asked: count one request of `scope` under `limit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CountRequest {
    pub scope: String,
    pub limit: Limit,
}

/// The outcome for one request, with what the headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    /// Requests left in this window after this one.
    pub remaining: u32,
    /// When the window ends (Unix seconds).
    pub reset_at: u64,
    /// Seconds until then (at least 1).
    pub retry_after_secs: u64,
}

impl Decision {
    /// `X-RateLimit-Limit`, `-Remaining` and `-Reset` (Unix seconds).
    pub fn headers(&self) -> [(&'static str, String); 3] {
        [
            ("X-RateLimit-Limit", self.limit.to_string()),
            ("X-RateLimit-Remaining", self.remaining.to_string()),
            ("X-RateLimit-Reset", self.reset_at.to_string()),
        ]
    }

    /// The 429 for a refused request.
    pub fn error(&self) -> ApiError {
        ApiError::RateLimited {
            retry_after_secs: self.retry_after_secs,
        }
    }
}

/// Decides a request given how many the caller already made in this window.
pub fn decide(limit: Limit, used_before: u32, now_secs: u64) -> Decision {
    let reset_at = now_secs - now_secs % limit.window_secs + limit.window_secs;
    let allowed = used_before < limit.requests;
    Decision {
        allowed,
        limit: limit.requests,
        remaining: limit.requests.saturating_sub(used_before.saturating_add(1)),
        reset_at,
        retry_after_secs: (reset_at - now_secs).max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MINUTE: Limit = Limit {
        requests: 3,
        window_secs: 60,
    };

    #[test]
    fn limits_parse_from_configuration() {
        let tiered = TieredLimit::parse("RATE_LIMIT_X", "anonymous=60/60, user=120/60").unwrap();
        assert_eq!(
            tiered.anonymous,
            Limit {
                requests: 60,
                window_secs: 60
            }
        );
        assert_eq!(tiered.user.requests, 120);
        for bad in [
            "",
            "anonymous=60/60",
            "anonymous=0/60,user=1/1",
            "anonymous=60,user=1/1",
            "guest=1/1,user=1/1,anonymous=1/1",
        ] {
            assert!(TieredLimit::parse("RATE_LIMIT_X", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_tier_picks_the_limit_and_the_key() {
        let tiered = TieredLimit::parse("K", "anonymous=1/60,user=5/60").unwrap();
        let anonymous = Caller::Anonymous {
            ip: "198.51.100.7".into(),
        };
        let user = Caller::User {
            id: "user_1".into(),
        };
        assert_eq!(tiered.for_caller(&anonymous).requests, 1);
        assert_eq!(tiered.for_caller(&user).requests, 5);
        assert_eq!(anonymous.counter_name(), "ip:198.51.100.7");
        assert_eq!(user.counter_name(), "user:user_1");
    }

    #[test]
    fn requests_beyond_the_limit_are_refused_until_the_window_ends() {
        let first = decide(MINUTE, 0, 130);
        assert!(first.allowed);
        assert_eq!(
            (first.remaining, first.reset_at, first.retry_after_secs),
            (2, 180, 50)
        );
        let last = decide(MINUTE, 2, 130);
        assert!(last.allowed);
        assert_eq!(last.remaining, 0);
        let refused = decide(MINUTE, 3, 179);
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after_secs, 1);
        assert_eq!(refused.error().status(), 429);
        assert_eq!(refused.headers()[0], ("X-RateLimit-Limit", "3".to_string()));
    }

    #[test]
    fn scopes_have_valid_defaults_and_accept_overrides() {
        for scope in Scope::ALL {
            assert!(scope.limits(None).is_ok(), "{}", scope.name);
            assert_eq!(
                scope.config_key,
                format!("RATE_LIMIT_{}", scope.name.to_uppercase())
            );
        }
        let overridden = Scope::DEFAULT
            .limits(Some("anonymous=2/10,user=3/10"))
            .unwrap();
        assert_eq!(overridden.user.requests, 3);
        assert!(Scope::AUTH.limits(Some("user=1/1")).is_err());
    }

    /// The runbook's table is the configuration's documentation: it lists every scope with
    /// its default, so the two cannot drift apart.
    #[test]
    fn the_operations_runbook_documents_every_scope() {
        let runbook = include_str!("../../../docs/OPERATIONS.md");
        for scope in Scope::ALL {
            let row = format!("| `{}` | `{}` |", scope.config_key, scope.default);
            assert!(
                runbook.contains(&row),
                "docs/OPERATIONS.md lacks the row {row}"
            );
        }
    }

    #[test]
    fn a_window_counts_until_the_limit_then_restarts_empty() {
        let (first, window) = count(MINUTE, None, 130);
        assert!(first.allowed);
        assert_eq!(
            window,
            Window {
                start: 120,
                used: 1
            }
        );
        let (_, window) = count(MINUTE, Some(window), 131);
        let (_, window) = count(MINUTE, Some(window), 132);
        let (refused, kept) = count(MINUTE, Some(window), 133);
        assert!(!refused.allowed);
        assert_eq!(
            kept,
            Window {
                start: 120,
                used: 3
            }
        );
        let (next, window) = count(MINUTE, Some(kept), 180);
        assert!(next.allowed);
        assert_eq!(
            window,
            Window {
                start: 180,
                used: 1
            }
        );
    }

    proptest! {
        /// However requests arrive, no window admits more than the limit, and every request
        /// of a window under the limit is admitted.
        #[test]
        fn no_window_admits_more_than_its_limit(requests in 1u32..20, window in 1u64..120, gaps in proptest::collection::vec(0u64..30, 1..200)) {
            let limit = Limit { requests, window_secs: window };
            let mut now = 1_700_000_000u64;
            let mut stored = None;
            let mut admitted: std::collections::HashMap<u64, u32> = Default::default();
            let mut seen: std::collections::HashMap<u64, u32> = Default::default();
            for gap in gaps {
                now += gap;
                let (decision, next) = count(limit, stored, now);
                stored = Some(next);
                let start = now - now % window;
                *seen.entry(start).or_default() += 1;
                if decision.allowed {
                    *admitted.entry(start).or_default() += 1;
                }
            }
            for (start, total) in seen {
                prop_assert_eq!(admitted.get(&start).copied().unwrap_or(0), total.min(requests));
            }
        }

        #[test]
        fn decisions_are_consistent(requests in 1u32..1000, window in 1u64..7200, used in 0u32..2000, now in 0u64..4_000_000_000) {
            let limit = Limit { requests, window_secs: window };
            let decision = decide(limit, used, now);
            prop_assert_eq!(decision.allowed, used < requests);
            prop_assert!(decision.remaining < requests);
            prop_assert!(decision.reset_at > now && decision.reset_at <= now + window);
            prop_assert!(decision.retry_after_secs >= 1 && decision.retry_after_secs <= window);
        }
    }
}
