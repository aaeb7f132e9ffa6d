//! Accounts: the user as clients see it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum AuthProvider {
    MagicLink,
    Google,
}

impl AuthProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MagicLink => "magic_link",
            Self::Google => "google",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Role {
    User,
    Teacher,
    Admin,
}

/// A user, as `GET /api/user/me` and the sign-in responses return it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct User {
    pub id: String,
    pub email: String,
    pub display_name: Option<String>,
    pub auth_provider: AuthProvider,
    pub role: Role,
    /// ISO-8601 UTC.
    pub created_at: String,
    pub last_login_at: Option<String>,
    pub login_count: i64,
}

/// A fresh user id: `user_` and 32 random hex digits.
pub fn new_user_id() -> String {
    format!("user_{}", uuid::Uuid::new_v4().simple())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_serializes_in_the_wire_shape() {
        let user = User {
            id: "user_1".into(),
            email: "ada@example.com".into(),
            display_name: None,
            auth_provider: AuthProvider::MagicLink,
            role: Role::User,
            created_at: "2026-01-01T00:00:00.000Z".into(),
            last_login_at: None,
            login_count: 1,
        };
        let json = serde_json::to_value(&user).unwrap();
        assert_eq!(json["authProvider"], "magic_link");
        assert_eq!(json["role"], "user");
        assert_eq!(json["displayName"], serde_json::Value::Null);
        assert!(new_user_id().starts_with("user_"));
        assert_eq!(new_user_id().len(), 37);
    }
}
