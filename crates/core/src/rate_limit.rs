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
    /// Magic links mailed to one address, whoever asks (besides the caller's `auth` count),
    /// so rotating client addresses cannot flood a mailbox. Both tiers are the address's.
    pub const MAGIC_LINK: Self = Self::new(
        "magic_link",
        "RATE_LIMIT_MAGIC_LINK",
        "anonymous=5/3600,user=5/3600",
    );
    /// Score imports (the scores worker adds its own anonymous 1-per-10-minutes rule and bans).
    pub const IMPORT: Self = Self::new(
        "import",
        "RATE_LIMIT_IMPORT",
        "anonymous=20/600,user=120/600",
    );
    /// Device sync (REST push/pull, socket connects and every socket frame; a socket's catch-up
    /// costs one unit per page): generous, devices sync often.
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
    /// A user's export of their whole account (a ZIP with every file): heavy, rarely needed.
    pub const ACCOUNT_EXPORT: Self = Self::new(
        "account_export",
        "RATE_LIMIT_ACCOUNT_EXPORT",
        "anonymous=5/3600,user=5/3600",
    );

    /// The documented table (docs/OPERATIONS.md, "Rate limits").
    pub const ALL: [Self; 12] = [
        Self::DEFAULT,
        Self::AUTH,
        Self::MAGIC_LINK,
        Self::IMPORT,
        Self::SYNC,
        Self::STATIC,
        Self::LOOKUP,
        Self::SEARCH,
        Self::FEEDBACK,
        Self::REPORT,
        Self::EXPORT,
        Self::ACCOUNT_EXPORT,
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
            Caller::Anonymous { .. } | Caller::Recipient { .. } => self.anonymous,
            Caller::User { .. } => self.user,
        }
    }
}

/// Whom a request is counted against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A client address, as [`Caller::anonymous`] keys it.
    Anonymous {
        ip: String,
    },
    User {
        id: String,
    },
    /// An email address mail is sent to, kept only as a hash.
    Recipient {
        email_hash: String,
    },
}

impl Caller {
    /// The caller behind a client address. An IPv6 client is keyed by its /64: one host is
    /// routinely given a whole /64, so single addresses would be free to rotate. An
    /// IPv4-mapped IPv6 address counts as the IPv4 address.
    pub fn anonymous(ip: &str) -> Self {
        let ip = match ip.trim().parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => {
                    let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                    format!("{}/64", std::net::Ipv6Addr::from(prefix))
                }
            },
            Ok(std::net::IpAddr::V4(v4)) => v4.to_string(),
            Err(_) => ip.trim().to_string(),
        };
        Self::Anonymous { ip }
    }

    /// The recipient of mail to `email` (already normalised).
    pub fn recipient(email: &str) -> Self {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(email.as_bytes());
        Self::Recipient {
            email_hash: hex::encode(&digest[..16]),
        }
    }

    /// The name of the caller's counter (one per caller, holding every scope's window).
    pub fn counter_name(&self) -> String {
        match self {
            Self::Anonymous { ip } => format!("ip:{ip}"),
            Self::User { id } => format!("user:{id}"),
            Self::Recipient { email_hash } => format!("mail:{email_hash}"),
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

/// Counts one request of `cost` units (at least 1) against `previous` (the stored window,
/// if any): decides it, and returns the window to store. A refused request is not counted;
/// a new window starts empty.
pub fn count(
    limit: Limit,
    previous: Option<Window>,
    now_secs: u64,
    cost: u32,
) -> (Decision, Window) {
    let cost = cost.max(1);
    let start = now_secs - now_secs % limit.window_secs;
    let used = previous
        .filter(|window| window.start == start)
        .map_or(0, |window| window.used);
    let decision = decide(limit, used, cost, now_secs);
    let used = if decision.allowed {
        used.saturating_add(cost)
    } else {
        used
    };
    (decision, Window { start, used })
}

/// What the caller's counter is asked: count `cost` units of `scope` under `limit`. A plain
/// request costs one unit (the default, so callers that send no cost count one); a sync
/// socket's catch-up costs one per page it sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CountRequest {
    pub scope: String,
    pub limit: Limit,
    #[serde(default = "one_unit")]
    pub cost: u32,
}

fn one_unit() -> u32 {
    1
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

/// Decides a request of `cost` units given how many the caller already used in this window.
pub fn decide(limit: Limit, used_before: u32, cost: u32, now_secs: u64) -> Decision {
    let reset_at = now_secs - now_secs % limit.window_secs + limit.window_secs;
    let used_after = used_before.saturating_add(cost);
    let allowed = used_after <= limit.requests;
    Decision {
        allowed,
        limit: limit.requests,
        remaining: limit.requests.saturating_sub(used_after),
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
        let recipient = Caller::recipient("ada@example.com");
        assert_eq!(tiered.for_caller(&recipient).requests, 1);
        assert!(recipient.counter_name().starts_with("mail:"));
        assert!(!recipient.counter_name().contains("ada"));
        assert_eq!(recipient, Caller::recipient("ada@example.com"));
        assert_ne!(recipient, Caller::recipient("bob@example.com"));
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let key = |ip: &str| Caller::anonymous(ip).counter_name();
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "ip:2001:db8:1:2::/64");
        assert_eq!(
            key("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            key("2001:db8:1:2::7")
        );
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:198.51.100.7"), "ip:198.51.100.7");
        assert_eq!(key(" 198.51.100.7 "), "ip:198.51.100.7");
        assert_eq!(key("unknown"), "ip:unknown");
    }

    #[test]
    fn requests_beyond_the_limit_are_refused_until_the_window_ends() {
        let first = decide(MINUTE, 0, 1, 130);
        assert!(first.allowed);
        assert_eq!(
            (first.remaining, first.reset_at, first.retry_after_secs),
            (2, 180, 50)
        );
        let last = decide(MINUTE, 2, 1, 130);
        assert!(last.allowed);
        assert_eq!(last.remaining, 0);
        let refused = decide(MINUTE, 3, 1, 179);
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
        let (first, window) = count(MINUTE, None, 130, 1);
        assert!(first.allowed);
        assert_eq!(
            window,
            Window {
                start: 120,
                used: 1
            }
        );
        let (_, window) = count(MINUTE, Some(window), 131, 1);
        let (_, window) = count(MINUTE, Some(window), 132, 1);
        let (refused, kept) = count(MINUTE, Some(window), 133, 1);
        assert!(!refused.allowed);
        assert_eq!(
            kept,
            Window {
                start: 120,
                used: 3
            }
        );
        let (next, window) = count(MINUTE, Some(kept), 180, 1);
        assert!(next.allowed);
        assert_eq!(
            window,
            Window {
                start: 180,
                used: 1
            }
        );
    }

    #[test]
    fn a_request_may_cost_several_units() {
        let limit = Limit {
            requests: 5,
            window_secs: 60,
        };
        let (first, window) = count(limit, None, 130, 3);
        assert!(first.allowed);
        assert_eq!((first.remaining, window.used), (2, 3));
        // Two units left: a request of three is refused whole and nothing is counted.
        let (refused, kept) = count(limit, Some(window), 131, 3);
        assert!(!refused.allowed);
        assert_eq!(kept.used, 3);
        assert_eq!(refused.retry_after_secs, 49);
        let (last, window) = count(limit, Some(kept), 132, 2);
        assert!(last.allowed);
        assert_eq!((last.remaining, window.used), (0, 5));
        // A cost of zero counts as one unit.
        let (free, window) = count(limit, None, 200, 0);
        assert!(free.allowed);
        assert_eq!(window.used, 1);
    }

    #[test]
    fn a_count_request_without_a_cost_costs_one_unit() {
        let request: CountRequest = serde_json::from_value(serde_json::json!({
            "scope": "sync",
            "limit": {"requests": 10, "windowSecs": 60},
        }))
        .unwrap();
        assert_eq!(request.cost, 1);
        let priced: CountRequest = serde_json::from_value(serde_json::json!({
            "scope": "sync",
            "limit": {"requests": 10, "windowSecs": 60},
            "cost": 4,
        }))
        .unwrap();
        assert_eq!(priced.cost, 4);
        assert_eq!(
            serde_json::to_value(&priced).unwrap()["cost"],
            serde_json::json!(4)
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
                let (decision, next) = count(limit, stored, now, 1);
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
            let decision = decide(limit, used, 1, now);
            prop_assert_eq!(decision.allowed, used < requests);
            prop_assert!(decision.remaining < requests);
            prop_assert!(decision.reset_at > now && decision.reset_at <= now + window);
            prop_assert!(decision.retry_after_secs >= 1 && decision.retry_after_secs <= window);
        }
    }
}
