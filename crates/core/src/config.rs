//! Configuration every worker reads from its environment (wrangler `[vars]` and secrets).
//!
//! Parsing is written against a lookup function so it is testable without a runtime: the
//! workers pass `|key| env.var(key)`.

use std::fmt;

use crate::jwt::TokenAudience;

/// Where a worker runs. Decides, among other things, which client-address header is trusted
/// and whether development-only endpoints exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Local,
    Staging,
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Staging => "staging",
            Self::Production => "production",
        }
    }

    pub fn is_local(self) -> bool {
        self == Self::Local
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Environment {
    type Err = ConfigError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim().to_ascii_lowercase().as_str() {
            "local" | "development" | "dev" => Ok(Self::Local),
            "staging" => Ok(Self::Staging),
            "production" | "prod" => Ok(Self::Production),
            other => Err(ConfigError::Invalid {
                key: "ENVIRONMENT",
                reason: format!("unknown environment {other:?}"),
            }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration {0} is missing")]
    Missing(&'static str),
    #[error("configuration {key} is invalid: {reason}")]
    Invalid { key: &'static str, reason: String },
}

/// Settings shared by all five workers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceConfig {
    pub environment: Environment,
    /// Exact origins (`scheme://host[:port]`) allowed to call with credentials.
    pub allowed_origins: Vec<String>,
    /// Git commit the deployed build came from, when the deploy passed it.
    pub build_sha: Option<String>,
    /// The `iss` and `aud` of this environment's session tokens: `TOKEN_ISSUER` and
    /// `TOKEN_AUDIENCE`, by default `mirubato-api.<environment>` and `mirubato.<environment>`.
    pub token_audience: TokenAudience,
}

impl ServiceConfig {
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let environment = lookup("ENVIRONMENT")
            .ok_or(ConfigError::Missing("ENVIRONMENT"))?
            .parse()?;
        let allowed_origins = parse_origins(&lookup("ALLOWED_ORIGINS").unwrap_or_default())?;
        let build_sha = lookup("BUILD_SHA")
            .map(|sha| sha.trim().to_string())
            .filter(|sha| !sha.is_empty());
        let named = |key: &str, default: String| {
            lookup(key)
                .map(|value| value.trim().to_string())
                .filter(|value| !value.is_empty())
                .unwrap_or(default)
        };
        let token_audience = TokenAudience {
            issuer: named("TOKEN_ISSUER", format!("mirubato-api.{environment}")),
            audience: named("TOKEN_AUDIENCE", format!("mirubato.{environment}")),
        };
        Ok(Self {
            environment,
            allowed_origins,
            build_sha,
            token_audience,
        })
    }
}

/// Parses a comma-separated origin list. Origins must be exact: a scheme, a host and an
/// optional port, with no path and no wildcard, so a look-alike host can never match.
pub fn parse_origins(raw: &str) -> Result<Vec<String>, ConfigError> {
    raw.split(',')
        .map(str::trim)
        .filter(|origin| !origin.is_empty())
        .map(|origin| {
            let lowered = origin.to_ascii_lowercase();
            let (scheme, rest) = lowered
                .split_once("://")
                .ok_or_else(|| invalid_origin(origin))?;
            let valid_host = !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
            if !matches!(scheme, "http" | "https") || !valid_host {
                return Err(invalid_origin(origin));
            }
            Ok(lowered.clone())
        })
        .collect()
}

fn invalid_origin(origin: &str) -> ConfigError {
    ConfigError::Invalid {
        key: "ALLOWED_ORIGINS",
        reason: format!("{origin:?} is not an exact origin like https://mirubato.com"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |key| map.get(key).cloned()
    }

    #[test]
    fn parses_a_local_configuration() {
        let config = ServiceConfig::from_lookup(lookup(&[
            ("ENVIRONMENT", "local"),
            (
                "ALLOWED_ORIGINS",
                "http://localhost:4000, http://127.0.0.1:4000",
            ),
            ("BUILD_SHA", "abc123"),
        ]))
        .unwrap();
        assert_eq!(config.environment, Environment::Local);
        assert_eq!(
            config.allowed_origins,
            vec!["http://localhost:4000", "http://127.0.0.1:4000"]
        );
        assert_eq!(config.build_sha.as_deref(), Some("abc123"));
        assert_eq!(config.token_audience.issuer, "mirubato-api.local");
        assert_eq!(config.token_audience.audience, "mirubato.local");
    }

    #[test]
    fn token_audience_follows_the_environment_unless_configured() {
        let production =
            ServiceConfig::from_lookup(lookup(&[("ENVIRONMENT", "production")])).unwrap();
        assert_eq!(production.token_audience.audience, "mirubato.production");
        let configured = ServiceConfig::from_lookup(lookup(&[
            ("ENVIRONMENT", "production"),
            ("TOKEN_ISSUER", "https://api.mirubato.com"),
            ("TOKEN_AUDIENCE", "https://mirubato.com"),
        ]))
        .unwrap();
        assert_eq!(configured.token_audience.issuer, "https://api.mirubato.com");
        assert_eq!(configured.token_audience.audience, "https://mirubato.com");
    }

    #[test]
    fn environment_is_required_and_checked() {
        assert_eq!(
            ServiceConfig::from_lookup(lookup(&[])),
            Err(ConfigError::Missing("ENVIRONMENT"))
        );
        assert!(ServiceConfig::from_lookup(lookup(&[("ENVIRONMENT", "moon")])).is_err());
        assert_eq!(
            "Production".parse::<Environment>().unwrap(),
            Environment::Production
        );
    }

    #[test]
    fn origins_must_be_exact() {
        for bad in [
            "*.mirubato.com",
            "mirubato.com",
            "https://a.com/path",
            "ftp://a.com",
        ] {
            assert!(parse_origins(bad).is_err(), "{bad} should be rejected");
        }
        assert_eq!(
            parse_origins("HTTPS://Mirubato.com,,").unwrap(),
            vec!["https://mirubato.com"]
        );
    }

    #[test]
    fn blank_build_sha_is_absent() {
        let config =
            ServiceConfig::from_lookup(lookup(&[("ENVIRONMENT", "staging"), ("BUILD_SHA", " ")]))
                .unwrap();
        assert_eq!(config.build_sha, None);
        assert!(config.allowed_origins.is_empty());
    }
}
