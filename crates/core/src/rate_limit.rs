//! Fixed-window rate limiting, the pure part: limits as configuration, the caller's tier, the
//! counter key of the current window, and the decision with the figures for the
//! `X-RateLimit-*` headers. Storage is the edge's (see `crates/edge/src/rate_limit.rs`).

use std::str::FromStr;

use crate::ApiError;
use crate::config::ConfigError;

/// `requests` per `window_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    fn key_part(&self) -> String {
        match self {
            Self::Anonymous { ip } => format!("ip:{ip}"),
            Self::User { id } => format!("user:{id}"),
        }
    }
}

/// The counter key of the window `now_secs` falls in. Each scope (a group of routes) counts
/// separately, so one request is counted once per scope.
pub fn window_key(scope: &str, caller: &Caller, limit: Limit, now_secs: u64) -> String {
    let window_start = now_secs - now_secs % limit.window_secs;
    format!("ratelimit:{scope}:{}:{window_start}", caller.key_part())
}

/// The outcome for one request, with what the headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
        assert_eq!(
            window_key("lookup", &anonymous, MINUTE, 125),
            "ratelimit:lookup:ip:198.51.100.7:120"
        );
        assert_eq!(
            window_key("lookup", &user, MINUTE, 179),
            "ratelimit:lookup:user:user_1:120"
        );
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

    proptest! {
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
