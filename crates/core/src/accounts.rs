//! The accounts API's request and response bodies, and the magic-link email.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::user::User;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MagicLinkRequest {
    #[validate(length(max = 254, message = "must be at most 254 characters"))]
    pub email: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyMagicLinkRequest {
    #[validate(length(min = 1, max = 4096, message = "must be 1 to 4096 characters"))]
    pub token: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoogleSignInRequest {
    /// The Google ID token (a JWT) from Google Identity Services.
    #[validate(length(min = 1, max = 8192, message = "must be 1 to 8192 characters"))]
    pub credential: String,
}

/// Body of `/api/auth/refresh` and `/api/auth/logout`: the refresh token, when the client
/// does not use the `refresh-token` cookie.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefreshRequest {
    #[validate(length(min = 1, max = 4096, message = "must be 1 to 4096 characters"))]
    pub refresh_token: Option<String>,
}

/// Longest display name, counted in characters after trimming.
pub const MAX_DISPLAY_NAME_CHARS: usize = 100;

/// Body of `PATCH /api/user/me`: the account's display name.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateProfileRequest {
    /// 1 to 100 characters once surrounding whitespace is removed.
    #[validate(custom(function = "display_name_length"))]
    pub display_name: String,
}

impl UpdateProfileRequest {
    /// The name as it is stored: without surrounding whitespace.
    pub fn trimmed_display_name(&self) -> &str {
        self.display_name.trim()
    }
}

fn display_name_length(name: &str) -> Result<(), validator::ValidationError> {
    let chars = name.trim().chars().count();
    if (1..=MAX_DISPLAY_NAME_CHARS).contains(&chars) {
        Ok(())
    } else {
        let mut error = validator::ValidationError::new("length");
        error.message =
            Some(format!("must be 1 to {MAX_DISPLAY_NAME_CHARS} characters after trimming").into());
        Err(error)
    }
}

/// A successful sign-in.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionResponse {
    pub success: bool,
    pub user: User,
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

/// A successful refresh: a new access token and a new (rotated) refresh token.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefreshResponse {
    pub success: bool,
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageResponse {
    pub success: bool,
    pub message: String,
}

impl MessageResponse {
    pub fn ok(message: impl Into<String>) -> Self {
        Self {
            success: true,
            message: message.into(),
        }
    }
}

/// An email ready to hand to a mailer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The sign-in email. `link` is built from the configured frontend URL, never from the
/// request.
pub fn magic_link_email(to: &str, link: &str, valid_minutes: i64) -> OutgoingEmail {
    let escaped = html_escape(link);
    OutgoingEmail {
        to: to.to_string(),
        subject: "Your Mirubato sign-in link".into(),
        text: format!(
            "Sign in to Mirubato with this link:\n\n{link}\n\nIt works once and expires in {valid_minutes} minutes. If you did not ask for it, ignore this email."
        ),
        html: format!(
            "<p>Sign in to Mirubato:</p><p><a href=\"{escaped}\">Sign in</a></p><p>The link works once and expires in {valid_minutes} minutes. If you did not ask for it, ignore this email.</p>"
        ),
    }
}

/// `{frontend}/auth/verify?token=…`
pub fn magic_link_url(frontend_url: &str, token: &str) -> String {
    format!(
        "{}/auth/verify?token={token}",
        frontend_url.trim_end_matches('/')
    )
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_link_points_at_the_frontend() {
        assert_eq!(
            magic_link_url("https://mirubato.com/", "abc.def.ghi"),
            "https://mirubato.com/auth/verify?token=abc.def.ghi"
        );
        let email = magic_link_email("ada@example.com", "https://m.com/auth/verify?token=a&b", 15);
        assert!(email.text.contains("https://m.com/auth/verify?token=a&b"));
        assert!(email.html.contains("token=a&amp;b"));
        assert!(email.text.contains("15 minutes"));
    }

    #[test]
    fn requests_reject_unknown_fields() {
        use crate::input::{MAX_JSON_BODY, parse_json};
        assert!(
            parse_json::<MagicLinkRequest>(br#"{"email":"a@b.co","admin":true}"#, MAX_JSON_BODY)
                .is_err()
        );
        assert!(parse_json::<RefreshRequest>(b"{}", MAX_JSON_BODY).is_ok());
    }

    #[test]
    fn display_names_are_trimmed_and_between_1_and_100_characters() {
        use crate::input::{MAX_JSON_BODY, parse_json};
        let parse =
            |body: String| parse_json::<UpdateProfileRequest>(body.as_bytes(), MAX_JSON_BODY);
        let named = parse(r#"{"displayName":"  Clara Schumann \n"}"#.into()).unwrap();
        assert_eq!(named.trimmed_display_name(), "Clara Schumann");
        // 100 characters (not bytes) is the limit: multi-byte names count by character.
        let longest = "é".repeat(100);
        let longest_body = format!(r#"{{"displayName":" {longest} "}}"#);
        assert_eq!(parse(longest_body).unwrap().trimmed_display_name(), longest);
        for body in [
            r#"{"displayName":""}"#.to_string(),
            r#"{"displayName":"   \t "}"#.to_string(),
            format!(r#"{{"displayName":"{}"}}"#, "a".repeat(101)),
            r#"{"displayName":null}"#.to_string(),
            r#"{}"#.to_string(),
            r#"{"displayName":"Ada","email":"x@y.z"}"#.to_string(),
        ] {
            let error = parse(body.clone()).expect_err(&body);
            assert_eq!(error.status(), 400, "{body}");
        }
    }
}
