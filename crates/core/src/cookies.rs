//! The session cookies: `auth-token` and `refresh-token`, HttpOnly; Secure; SameSite=Lax.

pub const AUTH_COOKIE: &str = "auth-token";
pub const REFRESH_COOKIE: &str = "refresh-token";

/// `Set-Cookie` value for a session cookie that lives `max_age_secs`.
pub fn session_cookie(name: &str, value: &str, max_age_secs: i64) -> String {
    format!("{name}={value}; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age={max_age_secs}")
}

/// `Set-Cookie` value that removes a session cookie.
pub fn cleared_cookie(name: &str) -> String {
    session_cookie(name, "", 0)
}

/// The value of cookie `name` in a `Cookie` request header.
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_secure_cookies() {
        assert_eq!(
            session_cookie(AUTH_COOKIE, "abc", 2_592_000),
            "auth-token=abc; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age=2592000"
        );
        assert!(cleared_cookie(REFRESH_COOKIE).starts_with("refresh-token=; "));
        assert!(cleared_cookie(REFRESH_COOKIE).ends_with("Max-Age=0"));
    }

    #[test]
    fn reads_a_cookie_among_others() {
        let header = "theme=dark; auth-token=ey.a.b ; refresh-token=";
        assert_eq!(cookie_value(header, AUTH_COOKIE), Some("ey.a.b"));
        assert_eq!(cookie_value(header, REFRESH_COOKIE), None);
        assert_eq!(cookie_value(header, "missing"), None);
        assert_eq!(cookie_value("auth-tokenx=1", AUTH_COOKIE), None);
    }
}
