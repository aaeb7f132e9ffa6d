//! `PUT /api/pieces/update-name`: renames a piece in every live logbook entry of the user,
//! in one atomic batch.

use mirubato_core::practice::pieces::{UpdatePieceNameRequest, rename_answer, rename_in_entries};
use mirubato_core::practice::prepare_write;
use mirubato_core::sync::EntityType;
use mirubato_edge::{EdgeError, RequestContext, json};
use worker::Response;

use crate::DB;
use crate::repertoire::{clock, live_documents, store};
use crate::session::authenticate;

#[utoipa::path(put, path = "/api/pieces/update-name", security(("bearer" = [])), request_body = UpdatePieceNameRequest,
    responses((status = 200, description = "{success, updatedCount, message:\"Updated N entries\"}"), (status = 400)))]
pub async fn update_name(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    let claims = authenticate(&ctx).await?;
    let request: UpdatePieceNameRequest = ctx.json().await?;
    let db = ctx.env.d1(DB)?;
    let entries = live_documents(&db, &claims.sub, EntityType::LogbookEntry).await?;
    let at = clock();
    let changed = rename_in_entries(&entries, &request, at);
    let count = changed.len();
    if count > 0 {
        let writes = changed
            .into_iter()
            .map(|entry| prepare_write(EntityType::LogbookEntry, entry))
            .collect::<Result<Vec<_>, _>>()?;
        store(&ctx, &db, &claims.sub, writes, at).await?;
    }
    json(&rename_answer(count))
}
