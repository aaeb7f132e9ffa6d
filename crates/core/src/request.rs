//! Per-request facts shared by every worker: the request id and the structured log line.

use serde::Serialize;

use crate::analytics::DataPoint;

/// Longest client-supplied request id we echo back.
const MAX_REQUEST_ID_LEN: usize = 128;

/// Keeps a well-formed `X-Request-Id` from the caller (so a trace spans services), otherwise
/// mints a fresh one.
pub fn request_id(incoming: Option<&str>) -> String {
    match incoming.map(str::trim) {
        Some(id)
            if !id.is_empty()
                && id.len() <= MAX_REQUEST_ID_LEN
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')) =>
        {
            id.to_string()
        }
        _ => uuid::Uuid::new_v4().to_string(),
    }
}

/// One JSON line per request; `wrangler tail` and log search filter on these field names.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestLog<'a> {
    pub level: &'static str,
    pub message: &'static str,
    pub service: &'a str,
    pub request_id: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    /// The matched route pattern; `None` when no route matched.
    pub route: Option<&'a str>,
    pub status: u16,
    pub duration_ms: f64,
    pub timestamp: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
    /// What the handler counted (`clockAdjusted`: device clocks the server bounded).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub counts: &'a std::collections::BTreeMap<&'static str, u64>,
    /// The Analytics Engine data point written for this request (also logged, since local
    /// development drops the writes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analytics: Option<&'a DataPoint>,
}

impl RequestLog<'_> {
    pub fn level_for(status: u16) -> &'static str {
        match status {
            500.. => "error",
            400.. => "warn",
            _ => "info",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_a_sane_incoming_id() {
        assert_eq!(request_id(Some("trace-123_a.b:c")), "trace-123_a.b:c");
    }

    #[test]
    fn replaces_missing_or_unsafe_ids() {
        for bad in [None, Some(""), Some("has space"), Some("<script>")] {
            let id = request_id(bad);
            assert_eq!(id.len(), 36, "{bad:?} -> {id}");
        }
        let too_long = "a".repeat(MAX_REQUEST_ID_LEN + 1);
        assert_ne!(request_id(Some(&too_long)), too_long);
    }

    #[test]
    fn log_level_follows_status() {
        assert_eq!(RequestLog::level_for(200), "info");
        assert_eq!(RequestLog::level_for(404), "warn");
        assert_eq!(RequestLog::level_for(503), "error");
    }
}
