//! Rules for serving the single-page app: which paths fall back to the app shell, how long a
//! file may be cached, and the security headers of every page.

/// Vite writes content-hashed files here; their names change whenever their bytes do.
const HASHED_ASSET_DIR: &str = "/assets/";

pub const CACHE_IMMUTABLE: &str = "public, max-age=31536000, immutable";
pub const CACHE_REVALIDATE: &str = "no-cache";
pub const CACHE_SHORT: &str = "public, max-age=3600";

/// Whether the last path segment names a file (`/logo.svg`) rather than an app route
/// (`/logbook`, `/scorebook/abc`): only the latter fall back to `index.html`.
pub fn has_file_extension(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or_default();
    match last.rsplit_once('.') {
        Some((stem, ext)) => {
            !stem.is_empty() && !ext.is_empty() && ext.chars().all(|c| c.is_ascii_alphanumeric())
        }
        None => false,
    }
}

/// `Cache-Control` for a served file: hashed assets forever, HTML always revalidated,
/// anything else (icons, manifest, service worker) for an hour.
pub fn cache_control(path: &str, content_type: Option<&str>) -> &'static str {
    let is_html = content_type.is_some_and(|ct| ct.starts_with("text/html"))
        || !has_file_extension(path)
        || path.ends_with(".html");
    if is_html || path.ends_with("/sw.js") || path.ends_with(".webmanifest") {
        CACHE_REVALIDATE
    } else if path.starts_with(HASHED_ASSET_DIR) {
        CACHE_IMMUTABLE
    } else {
        CACHE_SHORT
    }
}

/// Origins the app talks to, for its Content-Security-Policy.
pub struct AppOrigins<'a> {
    pub api: &'a str,
    pub scores: &'a str,
    pub dictionary: &'a str,
    pub sync: &'a str,
}

const GOOGLE_SIGN_IN: &str = "https://accounts.google.com";

/// The security headers of every page and file the frontend serves.
pub fn security_headers(origins: &AppOrigins<'_>) -> Vec<(&'static str, String)> {
    let services = [origins.api, origins.scores, origins.dictionary]
        .iter()
        .map(|url| origin_of(url))
        .collect::<Vec<_>>()
        .join(" ");
    // The socket's origin, and its http(s) twin for the sync worker's plain HTTP routes
    // (`/health`): a `ws:` source does not cover `http:` fetches.
    let sync = origin_of(origins.sync);
    let sync_http = sync
        .replacen("wss://", "https://", 1)
        .replacen("ws://", "http://", 1);
    let csp = [
        "default-src 'self'".to_string(),
        format!("script-src 'self' {GOOGLE_SIGN_IN}"),
        format!("style-src 'self' 'unsafe-inline' {GOOGLE_SIGN_IN}"),
        format!("img-src 'self' data: blob: {services}"),
        "font-src 'self' data:".to_string(),
        "media-src 'self' blob:".to_string(),
        format!("connect-src 'self' {services} {sync} {sync_http} {GOOGLE_SIGN_IN}"),
        format!("frame-src {GOOGLE_SIGN_IN}"),
        "worker-src 'self' blob:".to_string(),
        "manifest-src 'self'".to_string(),
        "object-src 'none'".to_string(),
        "base-uri 'self'".to_string(),
        "form-action 'self'".to_string(),
        "frame-ancestors 'none'".to_string(),
    ]
    .join("; ");
    vec![
        ("Content-Security-Policy", csp),
        ("X-Frame-Options", "DENY".to_string()),
        ("X-Content-Type-Options", "nosniff".to_string()),
        (
            "Referrer-Policy",
            "strict-origin-when-cross-origin".to_string(),
        ),
        (
            "Cross-Origin-Opener-Policy",
            "same-origin-allow-popups".to_string(),
        ),
        (
            "Permissions-Policy",
            "camera=(), geolocation=(), microphone=(self)".to_string(),
        ),
    ]
}

/// `scheme://host[:port]` of a URL (CSP sources are origins; a path would narrow them).
fn origin_of(url: &str) -> String {
    let trimmed = url.trim();
    match trimmed.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split('/').next().unwrap_or_default();
            format!("{scheme}://{host}")
        }
        None => trimmed.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_routes_have_no_extension() {
        for route in [
            "/",
            "/logbook",
            "/scorebook/score_abc-1",
            "/auth/verify",
            "/a.b/c",
        ] {
            assert!(!has_file_extension(route), "{route}");
        }
        for file in [
            "/favicon.ico",
            "/assets/index-Bx1.js",
            "/robots.txt",
            "/sw.js",
        ] {
            assert!(has_file_extension(file), "{file}");
        }
        assert!(!has_file_extension("/.well-known"));
    }

    #[test]
    fn cache_rules() {
        assert_eq!(
            cache_control("/assets/index-4f2a.js", Some("text/javascript")),
            CACHE_IMMUTABLE
        );
        assert_eq!(
            cache_control("/assets/index-4f2a.css", None),
            CACHE_IMMUTABLE
        );
        assert_eq!(cache_control("/", Some("text/html")), CACHE_REVALIDATE);
        assert_eq!(
            cache_control("/logbook", Some("text/html; charset=utf-8")),
            CACHE_REVALIDATE
        );
        assert_eq!(cache_control("/index.html", None), CACHE_REVALIDATE);
        assert_eq!(
            cache_control("/sw.js", Some("text/javascript")),
            CACHE_REVALIDATE
        );
        assert_eq!(
            cache_control("/favicon.svg", Some("image/svg+xml")),
            CACHE_SHORT
        );
    }

    #[test]
    fn csp_lists_every_service_origin() {
        let headers = security_headers(&AppOrigins {
            api: "http://127.0.0.1:9797",
            scores: "http://127.0.0.1:9788/",
            dictionary: "https://dictionary.mirubato.com/api",
            sync: "wss://sync.mirubato.com/sync/ws",
        });
        let csp = &headers
            .iter()
            .find(|(name, _)| *name == "Content-Security-Policy")
            .unwrap()
            .1;
        assert!(csp.contains("connect-src 'self' http://127.0.0.1:9797 http://127.0.0.1:9788 https://dictionary.mirubato.com wss://sync.mirubato.com https://sync.mirubato.com "), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(headers.contains(&("X-Frame-Options", "DENY".to_string())));
        assert!(headers.contains(&("X-Content-Type-Options", "nosniff".to_string())));
    }
}
