//! The one error type handlers return, and the common error envelope it becomes on the wire:
//! `{"success":false,"error":"<human message>","code":"<MACHINE_CODE>","details":{…}?}`.

use serde::Serialize;
use serde_json::Value;

/// Machine-readable error codes, stable for client developers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    ValidationError,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PayloadTooLarge,
    QuotaExceeded,
    UnsupportedMediaType,
    RangeNotSatisfiable,
    RateLimited,
    InternalError,
    BadGateway,
    ServiceUnavailable,
}

/// What can go wrong while answering a request. Each variant maps to one HTTP status.
///
/// `Internal` and `Unavailable` carry a reason for the log only: the client sees a generic
/// message, so internals never leak.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    Validation {
        message: String,
        details: Option<Value>,
    },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("Method {method} is not allowed here")]
    MethodNotAllowed {
        method: String,
        allowed: Vec<String>,
    },
    #[error("{0}")]
    Conflict(String),
    #[error("Request body is too large (limit {limit_bytes} bytes)")]
    PayloadTooLarge { limit_bytes: u64 },
    #[error("Too many items in one request: {count} (limit {limit})")]
    TooManyItems { limit: usize, count: usize },
    #[error(
        "Storage quota exceeded: {used_bytes} of {quota_bytes} bytes used, {requested_bytes} more requested"
    )]
    QuotaExceeded {
        used_bytes: u64,
        requested_bytes: u64,
        quota_bytes: u64,
    },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("The requested range is not within the file ({size} bytes)")]
    RangeNotSatisfiable { size: u64 },
    #[error("Too many requests; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// A per-user daily allowance (e.g. AI-written dictionary terms) is used up until the
    /// next UTC day.
    #[error("Daily {what} limit reached ({limit} per day); retry in {retry_after_secs} s")]
    DailyLimit {
        what: &'static str,
        limit: u64,
        retry_after_secs: u64,
    },
    /// A user already holds the most sockets one may hold open at once.
    #[error("Too many connections: at most {limit} devices per user")]
    TooManyConnections { limit: usize, retry_after_secs: u64 },
    /// A server we fetch from on the caller's behalf (a score's URL, IMSLP) failed in a way
    /// that may pass: it answered 5xx or 429, or could not be reached. The message names the
    /// server and what it answered; nothing of ours is in it.
    #[error("{0}")]
    Upstream(String),
    #[error("Service unavailable")]
    Unavailable(String),
    #[error("Internal server error")]
    Internal(String),
}

impl ApiError {
    pub fn validation(message: impl Into<String>) -> Self {
        Self::Validation {
            message: message.into(),
            details: None,
        }
    }

    pub fn internal(reason: impl std::fmt::Display) -> Self {
        Self::Internal(reason.to_string())
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound(what.into())
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::Validation { .. } => 400,
            Self::Unauthorized(_) => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound(_) => 404,
            Self::MethodNotAllowed { .. } => 405,
            Self::Conflict(_) => 409,
            Self::PayloadTooLarge { .. }
            | Self::TooManyItems { .. }
            | Self::QuotaExceeded { .. } => 413,
            Self::UnsupportedMediaType(_) => 415,
            Self::RangeNotSatisfiable { .. } => 416,
            Self::RateLimited { .. }
            | Self::TooManyConnections { .. }
            | Self::DailyLimit { .. } => 429,
            Self::Internal(_) => 500,
            Self::Upstream(_) => 502,
            Self::Unavailable(_) => 503,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Validation { .. } => ErrorCode::ValidationError,
            Self::Unauthorized(_) => ErrorCode::Unauthorized,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::MethodNotAllowed { .. } => ErrorCode::MethodNotAllowed,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::PayloadTooLarge { .. } | Self::TooManyItems { .. } => ErrorCode::PayloadTooLarge,
            Self::QuotaExceeded { .. } => ErrorCode::QuotaExceeded,
            Self::UnsupportedMediaType(_) => ErrorCode::UnsupportedMediaType,
            Self::RangeNotSatisfiable { .. } => ErrorCode::RangeNotSatisfiable,
            Self::RateLimited { .. }
            | Self::TooManyConnections { .. }
            | Self::DailyLimit { .. } => ErrorCode::RateLimited,
            Self::Internal(_) => ErrorCode::InternalError,
            Self::Upstream(_) => ErrorCode::BadGateway,
            Self::Unavailable(_) => ErrorCode::ServiceUnavailable,
        }
    }

    /// The reason worth logging but not worth showing: set only for server-side faults.
    pub fn log_reason(&self) -> Option<&str> {
        match self {
            Self::Internal(reason) | Self::Unavailable(reason) => Some(reason),
            _ => None,
        }
    }

    /// Extra response headers the status calls for (`Retry-After`, `Allow`).
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::RateLimited { retry_after_secs }
            | Self::TooManyConnections {
                retry_after_secs, ..
            }
            | Self::DailyLimit {
                retry_after_secs, ..
            } => {
                vec![("Retry-After", retry_after_secs.to_string())]
            }
            Self::MethodNotAllowed { allowed, .. } => vec![("Allow", allowed.join(", "))],
            Self::RangeNotSatisfiable { size } => {
                vec![("Content-Range", format!("bytes */{size}"))]
            }
            _ => Vec::new(),
        }
    }

    pub fn envelope(&self) -> ErrorEnvelope {
        let details = match self {
            Self::Validation { details, .. } => details.clone(),
            Self::MethodNotAllowed { allowed, .. } => {
                Some(serde_json::json!({ "allowed": allowed }))
            }
            Self::RangeNotSatisfiable { size } => Some(serde_json::json!({ "size": size })),
            Self::PayloadTooLarge { limit_bytes } => {
                Some(serde_json::json!({ "limitBytes": limit_bytes }))
            }
            Self::TooManyItems { limit, count } => {
                Some(serde_json::json!({ "limit": limit, "count": count }))
            }
            Self::RateLimited { retry_after_secs } => {
                Some(serde_json::json!({ "retryAfter": retry_after_secs }))
            }
            Self::TooManyConnections {
                limit,
                retry_after_secs,
            } => Some(serde_json::json!({ "limit": limit, "retryAfter": retry_after_secs })),
            Self::DailyLimit {
                limit,
                retry_after_secs,
                ..
            } => Some(serde_json::json!({ "limit": limit, "retryAfter": retry_after_secs })),
            Self::QuotaExceeded {
                used_bytes,
                requested_bytes,
                quota_bytes,
            } => Some(serde_json::json!({
                "usedBytes": used_bytes,
                "requestedBytes": requested_bytes,
                "quotaBytes": quota_bytes,
            })),
            _ => None,
        };
        ErrorEnvelope {
            success: false,
            error: self.to_string(),
            code: self.code(),
            details,
        }
    }
}

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorEnvelope {
    pub success: bool,
    pub error: String,
    pub code: ErrorCode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn internal_errors_do_not_leak_their_reason() {
        let err = ApiError::internal("D1_ERROR: no such table: users");
        let body = serde_json::to_value(err.envelope()).unwrap();
        assert_eq!(
            body,
            json!({"success": false, "error": "Internal server error", "code": "INTERNAL_ERROR"})
        );
        assert_eq!(err.status(), 500);
        assert_eq!(err.log_reason(), Some("D1_ERROR: no such table: users"));
    }

    #[test]
    fn validation_errors_carry_their_details() {
        let err = ApiError::Validation {
            message: "email is not a valid address".into(),
            details: Some(json!({"field": "email"})),
        };
        let body = serde_json::to_value(err.envelope()).unwrap();
        assert_eq!(body["code"], "VALIDATION_ERROR");
        assert_eq!(body["details"]["field"], "email");
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn rate_limit_and_method_errors_set_their_headers() {
        let limited = ApiError::RateLimited {
            retry_after_secs: 42,
        };
        assert_eq!(limited.status(), 429);
        assert_eq!(limited.headers(), vec![("Retry-After", "42".to_string())]);

        let sockets = ApiError::TooManyConnections {
            limit: 10,
            retry_after_secs: 60,
        };
        assert_eq!(sockets.status(), 429);
        assert_eq!(sockets.headers(), vec![("Retry-After", "60".to_string())]);
        let body = serde_json::to_value(sockets.envelope()).unwrap();
        assert_eq!(body["code"], "RATE_LIMITED");
        assert_eq!(
            body["error"],
            "Too many connections: at most 10 devices per user"
        );
        assert_eq!(body["details"], json!({"limit": 10, "retryAfter": 60}));

        let method = ApiError::MethodNotAllowed {
            method: "DELETE".into(),
            allowed: vec!["GET".into(), "POST".into()],
        };
        assert_eq!(method.status(), 405);
        assert_eq!(method.headers(), vec![("Allow", "GET, POST".to_string())]);
        assert_eq!(method.envelope().error, "Method DELETE is not allowed here");
    }

    #[test]
    fn every_status_is_a_client_or_server_error() {
        let all = [
            ApiError::validation("x"),
            ApiError::Unauthorized("x".into()),
            ApiError::Forbidden("x".into()),
            ApiError::not_found("x"),
            ApiError::Conflict("x".into()),
            ApiError::PayloadTooLarge { limit_bytes: 1 },
            ApiError::UnsupportedMediaType("x".into()),
            ApiError::Upstream("x".into()),
            ApiError::Unavailable("x".into()),
        ];
        for err in all {
            assert!((400..600).contains(&err.status()), "{err:?}");
        }
    }
}
