//! The sync socket's rules that need no runtime: how a device offers its token in
//! `Sec-WebSocket-Protocol`, what a socket remembers about itself across hibernation (its
//! [`Peer`] attachment), when its token has expired, when a socket that keeps sending while
//! rate limited is closed, when the coordinator's alarm must next run, and which sockets an
//! ended session closes. The sync worker and its Durable Object apply them.

use serde::{Deserialize, Serialize};

use crate::ApiError;

/// The subprotocol a device offers (and the server selects) when it sends its token in
/// `Sec-WebSocket-Protocol` instead of the query string.
pub const SUBPROTOCOL: &str = "mirubato-sync";
/// Prefix of the subprotocol entry that carries the access token: `bearer.<jwt>`.
const BEARER_PREFIX: &str = "bearer.";

/// Close code: the socket's token expired or its session ended; sign in again.
pub const CLOSE_UNAUTHORIZED: u16 = 4401;
/// Close code: the socket broke a rule (too many frames while rate limited).
pub const CLOSE_POLICY: u16 = 1008;
/// Refused frames a socket may send before its `retryAfter` has passed; one more closes it.
pub const MAX_REFUSED_FRAMES: u32 = 10;
/// Session ids one sessions-ended call may name.
pub const MAX_ENDED_SESSIONS: usize = 1000;

/// What a device offered in `Sec-WebSocket-Protocol`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Offer {
    /// Whether `mirubato-sync` was offered (then the answer must select it).
    pub subprotocol: bool,
    /// The access token of a `bearer.<jwt>` entry.
    pub token: Option<String>,
}

/// Reads a `Sec-WebSocket-Protocol` request header (comma-separated entries). A token offered
/// without `mirubato-sync` is refused: the server could select no entry the browser offered,
/// and the browser would fail the socket.
pub fn parse_offer(header: Option<&str>) -> Result<Offer, ApiError> {
    let mut offer = Offer::default();
    for entry in header
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
    {
        if entry == SUBPROTOCOL {
            offer.subprotocol = true;
        } else if let Some(token) = entry.strip_prefix(BEARER_PREFIX) {
            if token.is_empty() || offer.token.is_some() {
                return Err(ApiError::validation(
                    "Sec-WebSocket-Protocol must carry one bearer.<token> entry",
                ));
            }
            offer.token = Some(token.to_string());
        }
    }
    if offer.token.is_some() && !offer.subprotocol {
        return Err(ApiError::validation(
            "Sec-WebSocket-Protocol: offer mirubato-sync with the bearer token",
        ));
    }
    Ok(offer)
}

/// Who a socket belongs to and what it has done, kept in the socket's attachment so it
/// survives hibernation. Fields added later default, so older attachments still read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Peer {
    pub user_id: String,
    pub device_id: String,
    pub connected_at: i64,
    pub last_seen: i64,
    /// The sign-in session of the token the socket opened with (`None`: a token issued
    /// before sessions existed).
    #[serde(default)]
    pub session_id: Option<String>,
    /// When that token expires (Unix seconds; `None` for attachments from before this).
    #[serde(default)]
    pub token_expires_at: Option<i64>,
    /// Frames refused by the rate limit since `refused_until` last passed.
    #[serde(default)]
    pub refused_frames: u32,
    /// When the latest refusal's `retryAfter` passes (ms since the epoch).
    #[serde(default)]
    pub refused_until: i64,
}

impl Peer {
    /// A socket that has just connected.
    pub fn new(
        user_id: String,
        device_id: String,
        session_id: Option<String>,
        token_expires_at: Option<i64>,
        now_ms: i64,
    ) -> Self {
        Self {
            user_id,
            device_id,
            connected_at: now_ms,
            last_seen: now_ms,
            session_id,
            token_expires_at,
            refused_frames: 0,
            refused_until: 0,
        }
    }

    /// Whether the socket's token has expired at `now_ms`.
    pub fn token_expired(&self, now_ms: i64) -> bool {
        self.token_expires_at
            .is_some_and(|expires| now_ms >= expires.saturating_mul(1000))
    }

    /// Whether the socket sent nothing for `idle_timeout_ms`.
    pub fn idle(&self, now_ms: i64, idle_timeout_ms: i64) -> bool {
        self.last_seen < now_ms.saturating_sub(idle_timeout_ms)
    }

    /// Records a frame refused by the rate limit with `retry_after_secs`. True when the
    /// socket has now sent more than [`MAX_REFUSED_FRAMES`] refused frames before the
    /// refusals' `retryAfter` passed: it is to be closed with [`CLOSE_POLICY`].
    pub fn refuse(&mut self, now_ms: i64, retry_after_secs: u64) -> bool {
        if now_ms >= self.refused_until {
            self.refused_frames = 0;
        }
        self.refused_frames = self.refused_frames.saturating_add(1);
        let until = now_ms.saturating_add(
            i64::try_from(retry_after_secs.saturating_mul(1000)).unwrap_or(i64::MAX),
        );
        self.refused_until = self.refused_until.max(until);
        self.refused_frames > MAX_REFUSED_FRAMES
    }

    /// Whether ending `ended` closes this socket.
    pub fn ended_by(&self, ended: &Ended) -> bool {
        match ended {
            Ended::All => true,
            Ended::Sessions(ids) => self
                .session_id
                .as_ref()
                .is_some_and(|session| ids.contains(session)),
        }
    }
}

/// How long after a token's expiry the alarm closes its socket: a device writing at that
/// moment is told why (`TOKEN_EXPIRED` for its frame) rather than cut off mid-write.
pub const EXPIRY_CLOSE_GRACE_MS: i64 = 2_000;

/// When the coordinator's alarm must run next (ms since the epoch): after the idle interval,
/// or earlier when a remaining socket's token expires first (plus
/// [`EXPIRY_CLOSE_GRACE_MS`]; never in the past).
pub fn next_alarm_ms<'a>(
    now_ms: i64,
    interval_ms: i64,
    peers: impl IntoIterator<Item = &'a Peer>,
) -> i64 {
    peers
        .into_iter()
        .filter_map(|peer| peer.token_expires_at)
        .map(|expires| {
            expires
                .saturating_mul(1000)
                .saturating_add(EXPIRY_CLOSE_GRACE_MS)
        })
        .fold(now_ms.saturating_add(interval_ms), i64::min)
        .max(now_ms)
}

/// Which of a user's sessions ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    All,
    Sessions(Vec<String>),
}

/// `POST /internal/sessions/ended`: `{"userId", "sessionIds": [...]}` or
/// `{"userId", "all": true}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionsEnded {
    pub user_id: String,
    pub ended: Ended,
}

impl SessionsEnded {
    /// Reads and validates the body; 400 when it is not exactly one of the two shapes.
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        struct Body {
            user_id: String,
            #[serde(default)]
            session_ids: Option<Vec<String>>,
            #[serde(default)]
            all: Option<bool>,
        }
        let body: Body = serde_json::from_slice(body).map_err(|err| {
            ApiError::validation(format!(
                "Expected {{userId, sessionIds}} or {{userId, all: true}}: {err}"
            ))
        })?;
        if !crate::sync::rest::valid_client_token(&body.user_id) {
            return Err(ApiError::validation("userId is not a valid id"));
        }
        let ended = match (body.session_ids, body.all) {
            (None, Some(true)) => Ended::All,
            (Some(ids), None) => {
                if ids.len() > MAX_ENDED_SESSIONS {
                    return Err(ApiError::validation(format!(
                        "At most {MAX_ENDED_SESSIONS} sessionIds per call"
                    )));
                }
                if !ids
                    .iter()
                    .all(|id| crate::sync::rest::valid_client_token(id))
                {
                    return Err(ApiError::validation("sessionIds holds an invalid id"));
                }
                Ended::Sessions(ids)
            }
            _ => {
                return Err(ApiError::validation(
                    "Give either sessionIds or all: true (not both)",
                ));
            }
        };
        Ok(Self {
            user_id: body.user_id,
            ended,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(session: Option<&str>, expires: Option<i64>) -> Peer {
        Peer::new(
            "user_1".into(),
            "dev_1".into(),
            session.map(str::to_string),
            expires,
            1_000_000,
        )
    }

    #[test]
    fn the_token_may_come_as_a_subprotocol_offered_with_ours() {
        assert_eq!(parse_offer(None).unwrap(), Offer::default());
        assert_eq!(
            parse_offer(Some("mirubato-sync, bearer.aaa.bbb.ccc")).unwrap(),
            Offer {
                subprotocol: true,
                token: Some("aaa.bbb.ccc".into())
            }
        );
        assert_eq!(
            parse_offer(Some("mirubato-sync")).unwrap(),
            Offer {
                subprotocol: true,
                token: None
            }
        );
        assert_eq!(parse_offer(Some("chat")).unwrap(), Offer::default());
        for bad in [
            "bearer.aaa.bbb.ccc",
            "mirubato-sync, bearer.",
            "mirubato-sync, bearer.a, bearer.b",
        ] {
            let err = parse_offer(Some(bad)).unwrap_err();
            assert_eq!(err.status(), 400, "{bad}");
        }
    }

    #[test]
    fn attachments_from_before_sessions_still_read() {
        let old = serde_json::json!({
            "userId": "user_1", "deviceId": "dev_1", "connectedAt": 5, "lastSeen": 6,
        });
        let peer: Peer = serde_json::from_value(old).unwrap();
        assert_eq!(peer.session_id, None);
        assert_eq!(peer.token_expires_at, None);
        assert_eq!(peer.refused_frames, 0);
        assert!(!peer.token_expired(i64::MAX));
        let new = peer_with_everything();
        let text = serde_json::to_string(&new).unwrap();
        assert!(text.contains("\"sessionId\":\"sess_1\""), "{text}");
        assert!(text.contains("\"tokenExpiresAt\":2000"), "{text}");
        assert_eq!(serde_json::from_str::<Peer>(&text).unwrap(), new);
    }

    fn peer_with_everything() -> Peer {
        peer(Some("sess_1"), Some(2_000))
    }

    #[test]
    fn a_token_expires_at_its_exp_second() {
        let peer = peer(None, Some(2_000));
        assert!(!peer.token_expired(1_999_999));
        assert!(peer.token_expired(2_000_000));
        assert!(peer.token_expired(2_000_001));
    }

    #[test]
    fn idleness_counts_from_the_last_frame() {
        let peer = peer(None, None);
        assert!(!peer.idle(1_000_000 + 300_000, 300_000));
        assert!(peer.idle(1_000_000 + 300_001, 300_000));
    }

    #[test]
    fn more_than_ten_refused_frames_before_retry_after_close_the_socket() {
        let mut peer = peer(None, None);
        for n in 1..=MAX_REFUSED_FRAMES {
            assert!(!peer.refuse(10_000 + i64::from(n), 30), "refusal {n}");
        }
        assert!(peer.refuse(10_020, 30), "the eleventh closes");

        // A device that waits for retryAfter starts counting afresh.
        let mut patient = self::peer(None, None);
        for n in 0..MAX_REFUSED_FRAMES {
            assert!(!patient.refuse(10_000 + i64::from(n), 5));
        }
        assert!(
            !patient.refuse(15_010, 5),
            "after retryAfter: refusal 1 again"
        );
        assert_eq!(patient.refused_frames, 1);
    }

    #[test]
    fn the_alarm_runs_at_the_earliest_expiry_or_after_the_interval() {
        let late = peer(None, Some(10_000));
        let soon = peer(None, Some(1_003));
        let legacy = peer(None, None);
        assert_eq!(
            next_alarm_ms(1_000_000, 60_000, [&late, &legacy]),
            1_060_000
        );
        assert_eq!(
            next_alarm_ms(1_000_000, 60_000, [&late, &soon, &legacy]),
            1_003_000 + EXPIRY_CLOSE_GRACE_MS
        );
        assert_eq!(next_alarm_ms(1_000_000, 60_000, []), 1_060_000);
        let past = peer(None, Some(900));
        assert_eq!(next_alarm_ms(1_000_000, 60_000, [&past]), 1_000_000);
    }

    #[test]
    fn ended_sessions_close_their_sockets_only() {
        let ended = Ended::Sessions(vec!["sess_1".into(), "sess_2".into()]);
        assert!(peer(Some("sess_1"), None).ended_by(&ended));
        assert!(!peer(Some("sess_3"), None).ended_by(&ended));
        assert!(
            !peer(None, None).ended_by(&ended),
            "a legacy token has no session"
        );
        assert!(peer(None, None).ended_by(&Ended::All));
        assert!(peer(Some("sess_3"), None).ended_by(&Ended::All));
    }

    #[test]
    fn the_sessions_ended_body_is_one_of_two_shapes() {
        let parse = |value: serde_json::Value| SessionsEnded::parse(value.to_string().as_bytes());
        assert_eq!(
            parse(serde_json::json!({"userId": "user_1", "sessionIds": ["sess_a", "sess_b"]}))
                .unwrap(),
            SessionsEnded {
                user_id: "user_1".into(),
                ended: Ended::Sessions(vec!["sess_a".into(), "sess_b".into()])
            }
        );
        assert_eq!(
            parse(serde_json::json!({"userId": "user_1", "all": true}))
                .unwrap()
                .ended,
            Ended::All
        );
        assert_eq!(
            parse(serde_json::json!({"userId": "user_1", "sessionIds": []}))
                .unwrap()
                .ended,
            Ended::Sessions(vec![])
        );
        for bad in [
            serde_json::json!({"sessionIds": ["sess_a"]}),
            serde_json::json!({"userId": "", "all": true}),
            serde_json::json!({"userId": "user_1"}),
            serde_json::json!({"userId": "user_1", "all": false}),
            serde_json::json!({"userId": "user_1", "all": true, "sessionIds": ["sess_a"]}),
            serde_json::json!({"userId": "user_1", "sessionIds": "sess_a"}),
            serde_json::json!({"userId": "user_1", "sessionIds": ["bad id"]}),
            serde_json::json!({"userId": "user_1", "all": true, "extra": 1}),
            serde_json::json!({"userId": "user_1", "sessionIds": vec!["s"; MAX_ENDED_SESSIONS + 1]}),
        ] {
            let err = parse(bad.clone()).unwrap_err();
            assert_eq!(err.status(), 400, "{bad}");
        }
        assert_eq!(
            SessionsEnded::parse(b"{not json").unwrap_err().status(),
            400
        );
    }
}
