//! Who may use the dictionary's admin routes: users whose email the configuration lists
//! (`ADMIN_EMAILS`), or another service presenting `X-Service-Name` and `X-Service-Token` =
//! hex HMAC-SHA256(service name, `SERVICE_SECRET`) on a route that allows that service.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::ApiError;
use crate::auth::normalize_email;

type HmacSha256 = Hmac<Sha256>;

/// Whether `email` is one of the comma-separated admin addresses (case-insensitive).
pub fn is_admin_email(admin_emails: &str, email: &str) -> bool {
    let Ok(email) = normalize_email(email) else {
        return false;
    };
    admin_emails
        .split(',')
        .filter_map(|listed| normalize_email(listed).ok())
        .any(|listed| listed == email)
}

/// The token a service presents: hex HMAC-SHA256 of its name under the shared secret.
pub fn service_token(secret: &str, service: &str) -> String {
    let mut mac = keyed(secret);
    mac.update(service.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn keyed(secret: &str) -> HmacSha256 {
    // HMAC takes keys of any length, so this cannot fail.
    <HmacSha256 as Mac>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!())
}

/// Checks a service's credentials for a route allowing `allowed` services: 401 when the
/// token does not prove the name (compared in constant time), 403 when the service is
/// genuine but not allowed here.
pub fn verify_service(
    secret: &str,
    service: &str,
    token: &str,
    allowed: &[&str],
) -> Result<(), ApiError> {
    let presented = hex::decode(token.trim())
        .map_err(|_| ApiError::Unauthorized("Invalid service token".into()))?;
    let mut mac = keyed(secret);
    mac.update(service.as_bytes());
    mac.verify_slice(&presented)
        .map_err(|_| ApiError::Unauthorized("Invalid service token".into()))?;
    if allowed.contains(&service) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "Service {service} is not allowed on this route"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_emails_come_from_the_list() {
        let list = "Ops@Mirubato.com, editor@example.org";
        assert!(is_admin_email(list, "ops@mirubato.com"));
        assert!(is_admin_email(list, " EDITOR@example.org"));
        assert!(!is_admin_email(list, "someone@mirubato.com"));
        assert!(!is_admin_email("", "ops@mirubato.com"));
        assert!(!is_admin_email(list, ""));
    }

    #[test]
    fn service_tokens_prove_the_name() {
        let token = service_token("secret", "content-pipeline");
        assert_eq!(token.len(), 64);
        assert!(
            verify_service("secret", "content-pipeline", &token, &["content-pipeline"]).is_ok()
        );
        let upper = token.to_uppercase();
        assert!(
            verify_service("secret", "content-pipeline", &upper, &["content-pipeline"]).is_ok()
        );
    }

    #[test]
    fn wrong_tokens_names_and_routes_are_refused() {
        let token = service_token("secret", "content-pipeline");
        let status = |result: Result<(), ApiError>| result.unwrap_err().status();
        assert_eq!(
            status(verify_service(
                "other",
                "content-pipeline",
                &token,
                &["content-pipeline"]
            )),
            401
        );
        assert_eq!(
            status(verify_service("secret", "scores", &token, &["scores"])),
            401
        );
        assert_eq!(
            status(verify_service(
                "secret",
                "content-pipeline",
                "zz",
                &["content-pipeline"]
            )),
            401
        );
        assert_eq!(
            status(verify_service(
                "secret",
                "content-pipeline",
                &token[..10],
                &["content-pipeline"]
            )),
            401
        );
        assert_eq!(
            status(verify_service(
                "secret",
                "content-pipeline",
                &token,
                &["scores"]
            )),
            403
        );
    }
}
