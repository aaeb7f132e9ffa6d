//! `POST /internal/users/erase {userId}` (service binding only): the dictionary's part of an
//! account's erasure (`mirubato_core::erasure`). Feedback and reports keep their text, which
//! helps every reader, but lose who wrote them; search records lose who searched.
//! Idempotent: a repeated call finds no row to change.

use mirubato_edge::{EdgeError, RequestContext, erasure, json};
use serde_json::json;
use worker::{Response, query};

use crate::DB;

pub async fn erase(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let request = erasure::read_request(&mut ctx).await?;
    let user = request.user_id.as_str();
    let db = ctx.env.d1(DB)?;
    let statements = vec![
        query!(
            &db,
            "UPDATE user_feedback SET user_id = NULL WHERE user_id = ?1",
            user
        )?,
        query!(
            &db,
            "UPDATE content_reports SET user_id = NULL, client_ip = NULL WHERE user_id = ?1",
            user
        )?,
        query!(
            &db,
            "UPDATE search_analytics SET user_id = NULL WHERE user_id = ?1",
            user
        )?,
    ];
    let mut changed = 0;
    for result in db.batch(statements).await? {
        changed += result.meta()?.and_then(|meta| meta.changes).unwrap_or(0);
    }
    erasure::forget_rate_limits(&ctx, user).await?;
    json(&json!({ "success": true, "anonymised": changed }))
}
