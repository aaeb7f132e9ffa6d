//! CORS decisions from an explicit allow-list. A disallowed (or absent) origin gets no CORS
//! headers at all, so the browser blocks the response.

/// Methods a browser may use cross-origin.
pub const ALLOWED_METHODS: &str = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
/// Request headers a browser may send cross-origin.
pub const ALLOWED_HEADERS: &str = "Content-Type, Authorization, X-Device-ID, X-Idempotency-Key, X-Request-Id, X-Service-Name, X-Service-Token, Range, If-None-Match, X-Recording-Duration-Ms, X-Recording-Entry-Id, X-Recording-Title";
/// Response headers a browser script may read.
pub const EXPOSED_HEADERS: &str = "Content-Length, X-Request-Id, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, X-Idempotent-Replay, ETag, Content-Range, Accept-Ranges";
/// How long a browser may cache a preflight answer.
pub const PREFLIGHT_MAX_AGE_SECS: u32 = 86_400;

pub struct CorsPolicy<'a> {
    allowed_origins: &'a [String],
}

impl<'a> CorsPolicy<'a> {
    pub fn new(allowed_origins: &'a [String]) -> Self {
        Self { allowed_origins }
    }

    pub fn allows(&self, origin: &str) -> bool {
        let origin = origin.trim_end_matches('/');
        self.allowed_origins
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(origin))
    }

    /// Headers for a response to `origin`; empty when the origin is not allowed.
    /// `preflight` adds the method, header and max-age answers of an OPTIONS preflight.
    pub fn headers(&self, origin: Option<&str>, preflight: bool) -> Vec<(&'static str, String)> {
        let Some(origin) = origin.filter(|origin| self.allows(origin)) else {
            return Vec::new();
        };
        let mut headers = vec![
            ("Access-Control-Allow-Origin", origin.to_string()),
            ("Access-Control-Allow-Credentials", "true".to_string()),
            ("Access-Control-Expose-Headers", EXPOSED_HEADERS.to_string()),
        ];
        if preflight {
            headers.extend([
                ("Access-Control-Allow-Methods", ALLOWED_METHODS.to_string()),
                ("Access-Control-Allow-Headers", ALLOWED_HEADERS.to_string()),
                ("Access-Control-Max-Age", PREFLIGHT_MAX_AGE_SECS.to_string()),
            ]);
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins() -> Vec<String> {
        vec![
            "http://localhost:4000".into(),
            "https://mirubato.com".into(),
        ]
    }

    #[test]
    fn allowed_origin_is_echoed_with_credentials() {
        let list = origins();
        let headers = CorsPolicy::new(&list).headers(Some("http://localhost:4000"), false);
        assert!(headers.contains(&(
            "Access-Control-Allow-Origin",
            "http://localhost:4000".into()
        )));
        assert!(headers.contains(&("Access-Control-Allow-Credentials", "true".into())));
        assert!(
            !headers
                .iter()
                .any(|(name, _)| *name == "Access-Control-Allow-Methods")
        );
    }

    #[test]
    fn preflight_adds_methods_headers_and_max_age() {
        let list = origins();
        let headers = CorsPolicy::new(&list).headers(Some("https://mirubato.com"), true);
        let names: Vec<_> = headers.iter().map(|(name, _)| *name).collect();
        assert!(names.contains(&"Access-Control-Allow-Methods"));
        assert!(names.contains(&"Access-Control-Allow-Headers"));
        assert!(names.contains(&"Access-Control-Max-Age"));
    }

    #[test]
    fn look_alike_and_missing_origins_get_nothing() {
        let list = origins();
        let policy = CorsPolicy::new(&list);
        for origin in [
            "https://evil-mirubato.com",
            "https://mirubato.com.evil.com",
            "http://localhost:4001",
            "null",
        ] {
            assert!(policy.headers(Some(origin), true).is_empty(), "{origin}");
        }
        assert!(policy.headers(None, false).is_empty());
    }
}
