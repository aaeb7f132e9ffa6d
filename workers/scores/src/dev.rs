//! `POST /api/dev/seed` (local development only): the seed library of engraved public-domain
//! works, public, in the featured collections. Idempotent: existing seed scores are kept.

use mirubato_core::ApiError;
use mirubato_core::scores::engrave::{SEED_WORKS, engrave};
use mirubato_core::scores::model::{SqlValue, Visibility};
use mirubato_edge::{EdgeError, RequestContext, json};
use serde_json::json;
use worker::Response;

use crate::imports::{NewScore, store_pdf};
use crate::store::{DB, find_score, now_iso, run, text};

pub async fn seed(ctx: RequestContext) -> Result<Response, EdgeError> {
    if !ctx.config.environment.is_local() {
        return Err(ApiError::Forbidden(
            "This endpoint is only available in local development".into(),
        )
        .into());
    }
    let db = ctx.env.d1(DB)?;
    let mut created = Vec::new();
    for work in SEED_WORKS {
        if find_score(&db, work.id).await?.is_some() {
            continue;
        }
        let mut score = NewScore::new(
            engrave(work.title, work.composer, work.pages),
            "seed.pdf",
            None,
        );
        score.id = work.id.to_string();
        score.r2_key = format!("imports/{}/{}.pdf", work.id, work.id);
        score.title = Some(work.title.to_string());
        score.composer = Some(work.composer.to_string());
        score.source = "generated";
        score.visibility = Some(Visibility::Public);
        store_pdf(&ctx.env, score).await?;
        run(
            &db,
            "INSERT OR IGNORE INTO collection_members (collection_id, score_id, added_at) VALUES (?, ?, ?)",
            &[text(work.collection), text(work.id), SqlValue::Text(now_iso())],
        )
        .await?;
        created.push(work.id);
    }
    json(&json!({ "success": true, "data": { "created": created, "total": SEED_WORKS.len() } }))
}
