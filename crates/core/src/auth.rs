//! Sign-in rules: email normalisation, bearer tokens, and Google ID token verification.

use chrono::{DateTime, Utc};
use email_address::{EmailAddress, Options};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use crate::ApiError;

/// Longest email address accepted (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 254;

/// A plain `local@domain.tld` address: no display name (`Ann <a@b.c>`), no `[ip]` literal,
/// and a domain with a dot, since a magic link has to reach a real mailbox.
fn is_deliverable_form(email: &str) -> bool {
    let options = Options::default()
        .without_display_text()
        .without_domain_literal()
        .with_required_tld();
    EmailAddress::parse_with_options(email, options).is_ok()
}

/// Trims and lower-cases an email address and checks its form. Addresses are compared
/// case-insensitively everywhere, so this is the only form that is stored.
pub fn normalize_email(raw: &str) -> Result<String, ApiError> {
    let email = raw.trim().to_lowercase();
    if email.len() > MAX_EMAIL_LEN || !is_deliverable_form(&email) {
        return Err(ApiError::Validation {
            message: "Invalid request body: email is not a valid email address".into(),
            details: Some(
                serde_json::json!({ "fields": { "email": ["is not a valid email address"] } }),
            ),
        });
    }
    Ok(email)
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Issuers Google signs ID tokens as.
const GOOGLE_ISSUERS: [&str; 2] = ["accounts.google.com", "https://accounts.google.com"];

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct GoogleClaims {
    sub: String,
    email: Option<String>,
    #[serde(default, deserialize_with = "bool_or_string")]
    email_verified: bool,
    name: Option<String>,
}

/// Google sends `email_verified` as a boolean, older tokens as `"true"`.
fn bool_or_string<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Text(String),
    }
    Ok(match Flag::deserialize(deserializer)? {
        Flag::Bool(flag) => flag,
        Flag::Text(text) => text.eq_ignore_ascii_case("true"),
    })
}

/// Who a verified Google ID token says the user is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoogleIdentity {
    pub google_id: String,
    pub email: String,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GoogleTokenError {
    #[error("token is malformed")]
    Malformed,
    /// The signing key is not in the key set: the caller should refresh its cached keys once.
    #[error("token is signed with unknown key {0:?}")]
    UnknownKey(Option<String>),
    #[error("token signature, issuer, audience or expiry is invalid")]
    Invalid,
    #[error("email address is not verified")]
    EmailNotVerified,
}

/// Verifies a Google ID token: RS256 signature against `keys`, issuer, audience
/// (`client_id`), expiry (against `now`) and a verified email.
pub fn verify_google_id_token(
    token: &str,
    keys: &JwkSet,
    client_id: &str,
    now: DateTime<Utc>,
) -> Result<GoogleIdentity, GoogleTokenError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| GoogleTokenError::Malformed)?;
    if header.alg != Algorithm::RS256 {
        return Err(GoogleTokenError::Invalid);
    }
    let jwk = match &header.kid {
        Some(kid) => keys.find(kid),
        None => None,
    }
    .ok_or_else(|| GoogleTokenError::UnknownKey(header.kid.clone()))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| GoogleTokenError::Invalid)?;

    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&GOOGLE_ISSUERS);
    validation.set_audience(&[client_id]);
    // Expiry is checked below against the injected clock.
    validation.validate_exp = false;
    validation.set_required_spec_claims(&["iss", "aud", "exp", "sub"]);
    let data = jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)
        .map_err(|_| GoogleTokenError::Invalid)?;
    let exp = data.claims.get("exp").and_then(serde_json::Value::as_i64);
    if exp.is_none_or(|exp| exp <= now.timestamp()) {
        return Err(GoogleTokenError::Invalid);
    }
    let claims: GoogleClaims =
        serde_json::from_value(data.claims).map_err(|_| GoogleTokenError::Malformed)?;
    let email = claims.email.ok_or(GoogleTokenError::EmailNotVerified)?;
    if !claims.email_verified {
        return Err(GoogleTokenError::EmailNotVerified);
    }
    let email = normalize_email(&email).map_err(|_| GoogleTokenError::Malformed)?;
    Ok(GoogleIdentity {
        google_id: claims.sub,
        email,
        name: claims.name.filter(|name| !name.trim().is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lowercased_and_checked() {
        assert_eq!(
            normalize_email("  Ada@Example.COM ").unwrap(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "a b@example.com",
            "Ada <ada@example.com>",
            "ada@[127.0.0.1]",
            "ada@localhost",
        ] {
            assert_eq!(normalize_email(bad).unwrap_err().status(), 400, "{bad}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(normalize_email(&long).is_err());
    }

    #[test]
    fn bearer_tokens() {
        assert_eq!(bearer_token("Bearer abc.def"), Some("abc.def"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearerabc"), None);
    }

    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    const CLIENT_ID: &str = "mirubato-test.apps.googleusercontent.com";

    fn keys() -> JwkSet {
        serde_json::from_str(include_str!("../testdata/google-test-jwks.json")).unwrap()
    }

    fn sign(claims: serde_json::Value, pem: &str, kid: &str) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.into());
        jsonwebtoken::encode(
            &header,
            &claims,
            &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
        )
        .unwrap()
    }

    fn google_token(overrides: serde_json::Value) -> String {
        let mut claims = json!({
            "iss": "https://accounts.google.com",
            "aud": CLIENT_ID,
            "sub": "1234567890",
            "email": "Ada@Example.com",
            "email_verified": true,
            "name": "Ada Lovelace",
            "iat": now().timestamp(),
            "exp": now().timestamp() + 3600,
        });
        for (key, value) in overrides.as_object().unwrap() {
            claims[key] = value.clone();
        }
        sign(
            claims,
            include_str!("../testdata/google-test-key.pem"),
            "mirubato-test-key",
        )
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-05-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn valid_google_token_gives_the_identity() {
        let identity =
            verify_google_id_token(&google_token(json!({})), &keys(), CLIENT_ID, now()).unwrap();
        assert_eq!(
            identity,
            GoogleIdentity {
                google_id: "1234567890".into(),
                email: "ada@example.com".into(),
                name: Some("Ada Lovelace".into()),
            }
        );
        let legacy = google_token(json!({"iss": "accounts.google.com", "email_verified": "true"}));
        assert!(verify_google_id_token(&legacy, &keys(), CLIENT_ID, now()).is_ok());
    }

    #[test]
    fn google_token_checks_audience_issuer_expiry_and_verification() {
        let cases = [
            (json!({"aud": "someone-else"}), GoogleTokenError::Invalid),
            (
                json!({"iss": "https://evil.example"}),
                GoogleTokenError::Invalid,
            ),
            (
                json!({"exp": now().timestamp() - 1}),
                GoogleTokenError::Invalid,
            ),
            (
                json!({"email_verified": false}),
                GoogleTokenError::EmailNotVerified,
            ),
            (
                json!({"email_verified": "false"}),
                GoogleTokenError::EmailNotVerified,
            ),
        ];
        for (overrides, expected) in cases {
            let token = google_token(overrides.clone());
            assert_eq!(
                verify_google_id_token(&token, &keys(), CLIENT_ID, now()),
                Err(expected),
                "{overrides}"
            );
        }
    }

    #[test]
    fn google_token_signed_by_another_key_is_rejected() {
        let claims = json!({"iss": "https://accounts.google.com", "aud": CLIENT_ID, "sub": "1",
            "email": "a@b.co", "email_verified": true, "exp": now().timestamp() + 60});
        let forged = sign(
            claims.clone(),
            include_str!("../testdata/attacker-key.pem"),
            "mirubato-test-key",
        );
        assert_eq!(
            verify_google_id_token(&forged, &keys(), CLIENT_ID, now()),
            Err(GoogleTokenError::Invalid)
        );
        let unknown = sign(
            claims,
            include_str!("../testdata/google-test-key.pem"),
            "rotated-key",
        );
        assert_eq!(
            verify_google_id_token(&unknown, &keys(), CLIENT_ID, now()),
            Err(GoogleTokenError::UnknownKey(Some("rotated-key".into())))
        );
    }

    #[test]
    fn google_token_with_garbage_is_malformed() {
        let keys = JwkSet { keys: vec![] };
        assert_eq!(
            verify_google_id_token("not-a-jwt", &keys, "client", Utc::now()),
            Err(GoogleTokenError::Malformed)
        );
    }
}
