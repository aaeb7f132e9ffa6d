//! D1 access for accounts and synced documents.

use mirubato_core::ApiError;
use mirubato_core::jwt::{Claims, TokenType};
use mirubato_core::sync::EntityType;
use mirubato_core::user::{AuthProvider, Role, User, new_user_id};
use mirubato_edge::EdgeError;
use serde::Deserialize;
use worker::query;
use worker::{D1Database, D1PreparedStatement};

/// A `users` row.
#[derive(Debug, Deserialize)]
struct UserRow {
    id: String,
    email: String,
    display_name: Option<String>,
    auth_provider: String,
    role: String,
    created_at: String,
    last_login_at: Option<String>,
    login_count: i64,
}

impl UserRow {
    fn into_user(self) -> User {
        User {
            id: self.id,
            email: self.email,
            display_name: self.display_name,
            auth_provider: match self.auth_provider.as_str() {
                "google" => AuthProvider::Google,
                _ => AuthProvider::MagicLink,
            },
            role: match self.role.as_str() {
                "admin" => Role::Admin,
                "teacher" => Role::Teacher,
                _ => Role::User,
            },
            created_at: self.created_at,
            last_login_at: self.last_login_at,
            login_count: self.login_count,
        }
    }
}

const USER_COLUMNS: &str =
    "id, email, display_name, auth_provider, role, created_at, last_login_at, login_count";

pub async fn find_user(db: &D1Database, id: &str) -> Result<Option<User>, EdgeError> {
    let row = query!(
        db,
        &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
        id
    )?
    .first::<UserRow>(None)
    .await?;
    Ok(row.map(UserRow::into_user))
}

/// Sets the display name; `None` when the account no longer exists.
pub async fn update_display_name(
    db: &D1Database,
    id: &str,
    display_name: &str,
    now: &str,
) -> Result<Option<User>, EdgeError> {
    let row = query!(
        db,
        &format!(
            "UPDATE users SET display_name = ?2, updated_at = ?3 WHERE id = ?1 RETURNING {USER_COLUMNS}"
        ),
        id,
        display_name,
        now
    )?
    .first::<UserRow>(None)
    .await?;
    Ok(row.map(UserRow::into_user))
}

/// Who signs in, and how.
pub struct SignIn<'a> {
    pub email: &'a str,
    pub provider: AuthProvider,
    pub google_id: Option<&'a str>,
    pub name: Option<&'a str>,
}

/// Creates the user on first sign-in, or records the sign-in of an existing one (matched by
/// email; a Google id and name fill in only what is still empty).
pub async fn record_sign_in(
    db: &D1Database,
    sign_in: &SignIn<'_>,
    now: &str,
) -> Result<User, EdgeError> {
    let sql = format!(
        "INSERT INTO users (id, email, display_name, auth_provider, google_id, role, created_at, updated_at, last_login_at, login_count) \
         VALUES (?1, ?2, ?3, ?4, ?5, 'user', ?6, ?6, ?6, 1) \
         ON CONFLICT (email) DO UPDATE SET \
           last_login_at = excluded.last_login_at, \
           login_count = users.login_count + 1, \
           updated_at = excluded.updated_at, \
           google_id = COALESCE(users.google_id, excluded.google_id), \
           display_name = COALESCE(users.display_name, excluded.display_name) \
         RETURNING {USER_COLUMNS}"
    );
    let row = query!(
        db,
        &sql,
        new_user_id(),
        sign_in.email,
        sign_in.name,
        sign_in.provider.as_str(),
        sign_in.google_id,
        now
    )?
    .first::<UserRow>(None)
    .await?
    .ok_or_else(|| ApiError::internal("user upsert returned no row"))?;
    Ok(row.into_user())
}

/// Marks a single-use token as used. `false` when it was used before.
pub async fn consume_token(
    db: &D1Database,
    claims: &Claims,
    user_id: Option<&str>,
    now: &str,
) -> Result<bool, EdgeError> {
    let token_type = match claims.typ {
        TokenType::MagicLink => "magic_link",
        TokenType::Refresh => "refresh",
        TokenType::Access => {
            return Err(ApiError::internal("access tokens are not single-use").into());
        }
    };
    let expires_at = claims
        .expires_at()
        .map(|at| at.to_rfc3339())
        .unwrap_or_default();
    let result = query!(
        db,
        "INSERT INTO used_tokens (jti, token_type, user_id, used_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (jti) DO NOTHING",
        &claims.jti,
        token_type,
        user_id,
        now,
        expires_at
    )?
    .run()
    .await?;
    let changes = result.meta()?.and_then(|meta| meta.changes).unwrap_or(0);
    Ok(changes == 1)
}

/// Deletes everything the api database holds about a user, in one transaction.
/// Deletes the account and every row of it, and runs `also` in the same batch (the
/// erasure's pending steps), so either all of it happens or none.
pub async fn delete_user(
    db: &D1Database,
    user_id: &str,
    also: Vec<D1PreparedStatement>,
) -> Result<(), EdgeError> {
    let mut statements = [
        "DELETE FROM sync_data WHERE user_id = ?1",
        "DELETE FROM sync_state WHERE user_id = ?1",
        "DELETE FROM used_tokens WHERE user_id = ?1",
        "DELETE FROM sessions WHERE user_id = ?1",
        "DELETE FROM recording_upload_parts WHERE upload_id IN (SELECT id FROM recording_uploads WHERE user_id = ?1)",
        "DELETE FROM recording_uploads WHERE user_id = ?1",
        "DELETE FROM recordings WHERE user_id = ?1",
        "DELETE FROM users WHERE id = ?1",
    ]
    .into_iter()
    .map(|sql| query!(db, sql, user_id))
    .collect::<Result<Vec<_>, _>>()?;
    statements.extend(also);
    db.batch(statements).await?;
    Ok(())
}

/// A stored document's data, when present and not deleted.
pub async fn read_document(
    db: &D1Database,
    user_id: &str,
    entity: EntityType,
    entity_id: &str,
) -> Result<Option<String>, EdgeError> {
    #[derive(Deserialize)]
    struct Row {
        data: String,
    }
    let row = query!(
        db,
        "SELECT data FROM sync_data WHERE user_id = ?1 AND entity_type = ?2 AND entity_id = ?3 AND deleted_at IS NULL",
        user_id,
        entity.as_str(),
        entity_id
    )?
    .first::<Row>(None)
    .await?;
    Ok(row.map(|row| row.data))
}
