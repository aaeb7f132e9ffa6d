//! User preferences (`GET/PUT /api/user/preferences`).
//!
//! A PUT replaces the whole document. Unknown keys are rejected with 400 (a typo must not be
//! silently dropped), at every level; every known key is optional.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Theme {
    Light,
    Dark,
    Auto,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum EmailFrequency {
    Never,
    Daily,
    Weekly,
    Monthly,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NotificationSettings {
    #[serde(default)]
    pub practice_reminders: bool,
    #[serde(default)]
    pub goal_deadlines: bool,
    #[serde(default = "default_true")]
    pub achievement_notifications: bool,
    #[serde(default = "default_frequency")]
    pub email_frequency: EmailFrequency,
    #[serde(default)]
    pub push_notifications: bool,
}

fn default_true() -> bool {
    true
}

fn default_frequency() -> EmailFrequency {
    EmailFrequency::Never
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UserPreferences {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub theme: Option<Theme>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub notification_settings: Option<NotificationSettings>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    #[validate(length(min = 1, max = 50, message = "must be 1 to 50 characters"))]
    pub primary_instrument: Option<String>,
    /// Interface language: one of the six the app ships.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    #[validate(custom(function = "supported_language"))]
    pub language: Option<String>,
}

/// The app's interface languages.
pub const LANGUAGES: [&str; 6] = ["en", "es", "fr", "de", "zh-CN", "zh-TW"];

fn supported_language(language: &str) -> Result<(), validator::ValidationError> {
    if LANGUAGES.contains(&language) {
        Ok(())
    } else {
        let mut error = validator::ValidationError::new("language");
        error.message = Some(format!("must be one of {}", LANGUAGES.join(", ")).into());
        Err(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{MAX_JSON_BODY, parse_json};

    #[test]
    fn fills_notification_defaults() {
        let prefs: UserPreferences = parse_json(
            br#"{"theme":"dark","notificationSettings":{"goalDeadlines":true}}"#,
            MAX_JSON_BODY,
        )
        .unwrap();
        let settings = prefs.notification_settings.unwrap();
        assert!(settings.goal_deadlines && settings.achievement_notifications);
        assert_eq!(settings.email_frequency, EmailFrequency::Never);
        assert_eq!(prefs.theme, Some(Theme::Dark));
    }

    #[test]
    fn rejects_unknown_keys_bad_enums_and_long_values() {
        for body in [
            r#"{"theme":"purple"}"#,
            r#"{"colour":"dark"}"#,
            r#"{"notificationSettings":{"emailFrequency":"hourly"}}"#,
            r#"{"notificationSettings":{"sms":true}}"#,
            r#"{"primaryInstrument":""}"#,
            r#"{"language":"pt"}"#,
        ] {
            assert_eq!(
                parse_json::<UserPreferences>(body.as_bytes(), MAX_JSON_BODY)
                    .unwrap_err()
                    .status(),
                400,
                "{body}"
            );
        }
        let long = format!(r#"{{"primaryInstrument":"{}"}}"#, "x".repeat(51));
        assert!(parse_json::<UserPreferences>(long.as_bytes(), MAX_JSON_BODY).is_err());
    }

    #[test]
    fn empty_object_is_valid_and_round_trips() {
        let prefs: UserPreferences = parse_json(b"{}", MAX_JSON_BODY).unwrap();
        assert_eq!(serde_json::to_string(&prefs).unwrap(), "{}");
    }
}
