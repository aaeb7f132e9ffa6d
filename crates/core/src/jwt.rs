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
        }
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
    #[error("signing secret is empty")]
    EmptySecret,
    #[error("token could not be signed: {0}")]
    Signing(String),
}

/// Signs and verifies tokens with one HS256 secret.
pub struct TokenSigner {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl TokenSigner {
    pub fn new(secret: &str) -> Result<Self, TokenError> {
        if secret.is_empty() {
            return Err(TokenError::EmptySecret);
        }
        Ok(Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
        })
    }

    pub fn sign(&self, claims: &Claims) -> Result<String, TokenError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|err| TokenError::Signing(err.to_string()))
    }

    /// Checks signature, algorithm (HS256 only, so `alg:none` fails), expiry and type.
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
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| TokenError::Invalid)?
            .claims;
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

    fn signer() -> TokenSigner {
        TokenSigner::new("test-secret-with-enough-entropy").unwrap()
    }

    fn access_claims() -> Claims {
        Claims::new(TokenType::Access, "user_1", "ada@example.com", now())
    }

    #[test]
    fn round_trip_access_token() {
        let claims = access_claims();
        let token = signer().sign(&claims).unwrap();
        let verified = signer().verify(&token, TokenType::Access, now()).unwrap();
        assert_eq!(verified, claims);
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
        let other = TokenSigner::new("another-secret").unwrap();
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
        assert!(matches!(TokenSigner::new(""), Err(TokenError::EmptySecret)));
        assert_ne!(access_claims().jti, access_claims().jti);
    }
}
