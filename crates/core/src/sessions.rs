//! Sign-in sessions: what a session is on the wire, how a device is named, where revocations
//! are kept, and which secrets are too weak to serve with.
//!
//! A sign-in (magic link or Google) creates a session (a D1 row in the api); its access and
//! refresh tokens carry the session's id as `sid`. Ending a session — logout, logout-all, a
//! session delete, reuse of a rotated refresh token, account deletion — writes a revocation
//! marker that every worker reads before it accepts a token.

use serde::Serialize;

/// A fresh session id.
pub fn new_session_id() -> String {
    format!("sess_{}", uuid::Uuid::new_v4().simple())
}

/// KV key marking a session revoked (every token carrying its `sid`).
pub fn revoked_session_key(sid: &str) -> String {
    format!("revoked:session:{sid}")
}

/// KV key marking one legacy access token (without `sid`) revoked.
pub fn revoked_access_key(jti: &str) -> String {
    format!("revoked:access:{jti}")
}

/// KV key holding the instant (Unix seconds) up to which every legacy token of a user is
/// revoked (logout-all, account deletion).
pub fn revoked_user_key(user_id: &str) -> String {
    format!("revoked:user:{user_id}")
}

/// Why a session ended, as recorded on its row and in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    Logout,
    LogoutAll,
    Revoked,
    RefreshReuse,
    AccountDeleted,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::LogoutAll => "logout_all",
            Self::Revoked => "revoked",
            Self::RefreshReuse => "refresh_reuse",
            Self::AccountDeleted => "account_deleted",
        }
    }
}

/// One of the caller's sessions, as `GET /api/auth/sessions` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    pub id: String,
    /// The session of the token this request was made with.
    pub current: bool,
    /// Browser and system, from the User-Agent at sign-in (e.g. "Firefox on Linux").
    pub device: String,
    pub created_at: String,
    pub last_used_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SessionList {
    pub sessions: Vec<SessionView>,
}

/// The longest device label kept.
const MAX_DEVICE_LABEL: usize = 80;

/// A short, human label for the device behind a User-Agent: "Chrome on macOS",
/// "Safari on iPhone", "Mirubato sync client". Unknown agents keep a trimmed product name.
pub fn device_label(user_agent: Option<&str>) -> String {
    let agent = user_agent.map(str::trim).unwrap_or_default();
    if agent.is_empty() {
        return "Unknown device".into();
    }
    let has = |needle: &str| agent.contains(needle);
    // Order matters: Edge and Opera claim Chrome, Chrome claims Safari, iOS claims Mac OS X.
    let browser = if has("Edg/") {
        Some("Edge")
    } else if has("OPR/") || has("Opera") {
        Some("Opera")
    } else if has("Firefox/") || has("FxiOS/") {
        Some("Firefox")
    } else if has("Chrome/") || has("CriOS/") || has("Chromium/") {
        Some("Chrome")
    } else if has("Safari/") {
        Some("Safari")
    } else {
        None
    };
    let system = if has("iPhone") {
        Some("iPhone")
    } else if has("iPad") {
        Some("iPad")
    } else if has("Android") {
        Some("Android")
    } else if has("Windows") {
        Some("Windows")
    } else if has("Mac OS X") || has("Macintosh") {
        Some("macOS")
    } else if has("CrOS") {
        Some("ChromeOS")
    } else if has("Linux") {
        Some("Linux")
    } else {
        None
    };
    let label = match (browser, system) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(browser), None) => browser.to_string(),
        (None, Some(system)) => system.to_string(),
        // A script or app: its product token ("python-requests/2.31" → "python-requests").
        (None, None) => agent
            .split(['/', ' ', '('])
            .next()
            .unwrap_or(agent)
            .to_string(),
    };
    label
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_DEVICE_LABEL)
        .collect()
}

/// The shortest secret a deployed environment accepts.
pub const MIN_SECRET_BYTES: usize = 32;

/// The secrets whose strength decides whether a deployed worker may serve.
pub const GUARDED_SECRETS: [&str; 3] = ["JWT_SECRET", "MAGIC_LINK_SECRET", "SERVICE_SECRET"];

/// The committed example values (`.dev.vars.example`): public, so never a real secret.
fn example_value(name: &str) -> Option<&'static str> {
    include_str!("../../../.dev.vars.example")
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .find(|(key, _)| key.trim() == name)
        .map(|(_, value)| value.trim())
}

/// What is wrong with the guarded secrets a deployed worker has (`lookup` gives a secret's
/// value when set): each problem names the secret, never its value. `JWT_SECRET` must be set
/// where the worker verifies tokens; the others are checked where they are set.
pub fn secret_problems(
    lookup: impl Fn(&str) -> Option<String>,
    verifies_tokens: bool,
) -> Vec<String> {
    let mut problems = Vec::new();
    for name in GUARDED_SECRETS {
        match lookup(name) {
            None if verifies_tokens && name == "JWT_SECRET" => {
                problems.push(format!("{name} is not set"))
            }
            None => {}
            Some(value) if example_value(name) == Some(value.as_str()) => problems.push(format!(
                "{name} is the public example value from .dev.vars.example"
            )),
            Some(value) if value.len() < MIN_SECRET_BYTES => {
                problems.push(format!("{name} is shorter than {MIN_SECRET_BYTES} bytes"))
            }
            Some(_) => {}
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_named_by_browser_and_system() {
        let cases = [
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                "Chrome on macOS",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                "Safari on iPhone",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox on Linux",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            ("python-requests/2.31.0", "python-requests"),
            ("", "Unknown device"),
        ];
        for (agent, label) in cases {
            assert_eq!(device_label(Some(agent)), label, "{agent}");
        }
        assert_eq!(device_label(None), "Unknown device");
        let long = "x".repeat(500);
        assert_eq!(device_label(Some(&long)).len(), MAX_DEVICE_LABEL);
    }

    #[test]
    fn weak_or_public_secrets_are_named() {
        let strong = "s".repeat(MIN_SECRET_BYTES);
        let example = example_value("JWT_SECRET").unwrap().to_string();
        assert!(example.len() >= MIN_SECRET_BYTES, "the example is long");
        let lookup = |jwt: Option<String>, service: Option<String>| {
            move |name: &str| match name {
                "JWT_SECRET" => jwt.clone(),
                "SERVICE_SECRET" => service.clone(),
                _ => None,
            }
        };
        assert!(secret_problems(lookup(Some(strong.clone()), None), true).is_empty());
        assert!(secret_problems(lookup(None, None), false).is_empty());
        assert_eq!(
            secret_problems(lookup(Some(example), Some("short".into())), true),
            vec![
                "JWT_SECRET is the public example value from .dev.vars.example".to_string(),
                "SERVICE_SECRET is shorter than 32 bytes".to_string(),
            ]
        );
        assert_eq!(
            secret_problems(lookup(None, Some(strong)), true),
            vec!["JWT_SECRET is not set".to_string()]
        );
    }

    #[test]
    fn session_ids_are_unique_and_keys_distinct() {
        assert_ne!(new_session_id(), new_session_id());
        assert!(new_session_id().starts_with("sess_"));
        assert_ne!(revoked_session_key("a"), revoked_access_key("a"));
        assert_ne!(revoked_access_key("a"), revoked_user_key("a"));
    }
}
