//! HS256 tokens with a `typ` claim, so that one kind of token can never stand in for another.
//!
//! Time is injected (`now`), never read from the system clock: the workers pass the
//! runtime's clock and the tests a fixed instant.

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// Lifetime of an access token.
pub const ACCESS_TOKEN_TTL: Duration = Duration::days(30);
/// Lifetime of a refresh token.
pub const REFRESH_TOKEN_TTL: Duration = Duration::days(30);
/// Lifetime of a magic-link token.
pub const MAGIC_LINK_TTL: Duration = Duration::minutes(15);
/// Tolerated clock difference between issuer and verifier.
const CLOCK_SKEW: Duration = Duration::seconds(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenType {
    Access,
    Refresh,
    MagicLink,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// User id (`user_…`); for a magic link, the lower-cased email it was sent to.
    pub sub: String,
    pub email: String,
    pub iat: i64,
    pub exp: i64,
    pub typ: TokenType,
    /// Unique token id: the key for single use and revocation.
    pub jti: String,
    /// The sign-in session the token belongs to (access and refresh tokens). Tokens issued
    /// before sessions existed have none and keep working until they expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Who issued the token and for whom: set by [`TokenSigner::sign`] from the
    /// environment's configuration, so a staging token is refused in production.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
}

impl Claims {
    pub fn new(
        typ: TokenType,
        sub: impl Into<String>,
        email: impl Into<String>,
        now: DateTime<Utc>,
    ) -> Self {
        let ttl = match typ {
            TokenType::Access => ACCESS_TOKEN_TTL,
            TokenType::Refresh => REFRESH_TOKEN_TTL,
            TokenType::MagicLink => MAGIC_LINK_TTL,
        };
        Self {
            sub: sub.into(),
            email: email.into(),
            iat: now.timestamp(),
            exp: (now + ttl).timestamp(),
            typ,
            jti: uuid::Uuid::new_v4().simple().to_string(),
            sid: None,
            iss: None,
            aud: None,
        }
    }

    /// The same claims, belonging to sign-in session `sid`.
    pub fn in_session(mut self, sid: impl Into<String>) -> Self {
        self.sid = Some(sid.into());
        self
    }

    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(self.exp, 0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token is malformed or its signature is invalid")]
    Invalid,
    #[error("token has expired")]
    Expired,
    #[error("token was issued in the future")]
    NotYetValid,
    #[error("token is a {actual:?} token, expected {expected:?}")]
    WrongType {
        expected: TokenType,
        actual: TokenType,
    },
    #[error("token was issued for another environment or audience")]
    WrongAudience,
    #[error("signing secret is empty")]
    EmptySecret,
    #[error("token could not be signed: {0}")]
    Signing(String),
}

/// The `iss` and `aud` an environment's tokens carry (configuration: see
/// [`ServiceConfig`](crate::config::ServiceConfig)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenAudience {
    pub issuer: String,
    pub audience: String,
}

/// Signs and verifies tokens with one HS256 secret, for one issuer and audience.
pub struct TokenSigner {
    encoding: EncodingKey,
    decoding: DecodingKey,
    audience: TokenAudience,
}

impl TokenSigner {
    pub fn new(secret: &str, audience: TokenAudience) -> Result<Self, TokenError> {
        if secret.is_empty() {
            return Err(TokenError::EmptySecret);
        }
        Ok(Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            audience,
        })
    }

    /// Signs `claims` stamped with this signer's issuer and audience.
    pub fn sign(&self, claims: &Claims) -> Result<String, TokenError> {
        let stamped = Claims {
            iss: Some(self.audience.issuer.clone()),
            aud: Some(self.audience.audience.clone()),
            ..claims.clone()
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &stamped, &self.encoding)
            .map_err(|err| TokenError::Signing(err.to_string()))
    }

    /// Checks signature, algorithm (HS256 only, so `alg:none` fails), issuer and audience,
    /// expiry and type. A token without `iss`/`aud` is accepted only if it also has no `sid`:
    /// those were issued before sessions (and these claims) existed, by this key.
    pub fn verify(
        &self,
        token: &str,
        expected: TokenType,
        now: DateTime<Utc>,
    ) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        // Time checks are done below against the injected clock.
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        // Issuer and audience are compared below, where a legacy token may lack them.
        validation.validate_aud = false;
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| TokenError::Invalid)?
            .claims;
        let legacy = claims.sid.is_none() && claims.iss.is_none() && claims.aud.is_none();
        let ours = claims.iss.as_deref() == Some(self.audience.issuer.as_str())
            && claims.aud.as_deref() == Some(self.audience.audience.as_str());
        if !legacy && !ours {
            return Err(TokenError::WrongAudience);
        }
        let now = now.timestamp();
        if claims.exp <= now {
            return Err(TokenError::Expired);
        }
        if claims.iat > now + CLOCK_SKEW.num_seconds() {
            return Err(TokenError::NotYetValid);
        }
        if claims.typ != expected {
            return Err(TokenError::WrongType {
                expected,
                actual: claims.typ,
            });
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn audience(environment: &str) -> TokenAudience {
        TokenAudience {
            issuer: format!("mirubato-api.{environment}"),
            audience: format!("mirubato.{environment}"),
        }
    }

    fn signer() -> TokenSigner {
        TokenSigner::new("test-secret-with-enough-entropy", audience("local")).unwrap()
    }

    fn access_claims() -> Claims {
        Claims::new(TokenType::Access, "user_1", "ada@example.com", now())
    }

    #[test]
    fn round_trip_access_token() {
        let claims = access_claims();
        let token = signer().sign(&claims).unwrap();
        let verified = signer().verify(&token, TokenType::Access, now()).unwrap();
        assert_eq!(verified.iss.as_deref(), Some("mirubato-api.local"));
        assert_eq!(verified.aud.as_deref(), Some("mirubato.local"));
        assert_eq!(
            verified,
            Claims {
                iss: verified.iss.clone(),
                aud: verified.aud.clone(),
                ..claims
            }
        );
        assert_eq!(verified.exp - verified.iat, ACCESS_TOKEN_TTL.num_seconds());
    }

    #[test]
    fn expired_token_is_rejected_at_the_boundary() {
        let claims = Claims::new(
            TokenType::MagicLink,
            "ada@example.com",
            "ada@example.com",
            now(),
        );
        let token = signer().sign(&claims).unwrap();
        let just_before = now() + MAGIC_LINK_TTL - Duration::seconds(1);
        assert!(
            signer()
                .verify(&token, TokenType::MagicLink, just_before)
                .is_ok()
        );
        assert_eq!(
            signer().verify(&token, TokenType::MagicLink, now() + MAGIC_LINK_TTL),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn token_types_do_not_stand_in_for_each_other() {
        let refresh = Claims::new(TokenType::Refresh, "user_1", "ada@example.com", now());
        let token = signer().sign(&refresh).unwrap();
        assert_eq!(
            signer().verify(&token, TokenType::Access, now()),
            Err(TokenError::WrongType {
                expected: TokenType::Access,
                actual: TokenType::Refresh
            })
        );
    }

    #[test]
    fn wrong_secret_and_tampering_are_rejected() {
        let token = signer().sign(&access_claims()).unwrap();
        let other = TokenSigner::new("another-secret", audience("local")).unwrap();
        assert_eq!(
            other.verify(&token, TokenType::Access, now()),
            Err(TokenError::Invalid)
        );

        // Swap the payload for one claiming another user, keeping the signature.
        let mut parts: Vec<&str> = token.split('.').collect();
        let mut forged = access_claims();
        forged.sub = "user_2".into();
        let forged_payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(&forged).unwrap());
        parts[1] = &forged_payload;
        assert_eq!(
            signer().verify(&parts.join("."), TokenType::Access, now()),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn alg_none_is_rejected() {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let payload = b64.encode(serde_json::to_vec(&access_claims()).unwrap());
        for token in [
            format!("{header}.{payload}."),
            format!("{header}.{payload}"),
        ] {
            assert_eq!(
                signer().verify(&token, TokenType::Access, now()),
                Err(TokenError::Invalid)
            );
        }
    }

    #[test]
    fn token_from_the_future_is_rejected() {
        let claims = Claims::new(
            TokenType::Access,
            "user_1",
            "ada@example.com",
            now() + Duration::hours(1),
        );
        let token = signer().sign(&claims).unwrap();
        assert_eq!(
            signer().verify(&token, TokenType::Access, now()),
            Err(TokenError::NotYetValid)
        );
    }

    #[test]
    fn empty_secret_is_refused_and_ids_are_unique() {
        assert!(matches!(
            TokenSigner::new("", audience("local")),
            Err(TokenError::EmptySecret)
        ));
        assert_ne!(access_claims().jti, access_claims().jti);
    }

    #[test]
    fn another_environments_token_is_refused_even_with_the_same_secret() {
        let staging =
            TokenSigner::new("test-secret-with-enough-entropy", audience("staging")).unwrap();
        let token = staging.sign(&access_claims().in_session("sess_1")).unwrap();
        assert_eq!(
            signer().verify(&token, TokenType::Access, now()),
            Err(TokenError::WrongAudience)
        );
        assert!(staging.verify(&token, TokenType::Access, now()).is_ok());
    }

    #[test]
    fn legacy_tokens_without_session_or_audience_still_verify() {
        let key = EncodingKey::from_secret(b"test-secret-with-enough-entropy");
        let legacy = access_claims();
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &legacy, &key).unwrap();
        assert_eq!(
            signer().verify(&token, TokenType::Access, now()).unwrap(),
            legacy
        );
        // A session token must name its issuer and audience: dropping them is no way around.
        let unstamped = access_claims().in_session("sess_1");
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &unstamped, &key).unwrap();
        assert_eq!(
            signer().verify(&token, TokenType::Access, now()),
            Err(TokenError::WrongAudience)
        );
    }
}
