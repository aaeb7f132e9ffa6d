//! Local development only (403 elsewhere): `POST /api/dev/seed`, the seed library of engraved
//! public-domain works, public, in the featured collections (idempotent: existing seed scores
//! are kept); and `POST /api/dev/upload?key=…`, a raw file put into R2 as is (fixtures, and
//! the objects the upkeep cron's tests need).

use mirubato_core::ApiError;
use mirubato_core::scores::engrave::{SEED_WORKS, engrave};
use mirubato_core::scores::import::MAX_PDF_BYTES;
use mirubato_core::scores::model::{SqlValue, Visibility};
use mirubato_edge::{EdgeError, RequestContext, json};
use serde_json::json;
use worker::Response;

use crate::imports::{NewScore, store_pdf};
use crate::store::{BUCKET, DB, find_score, now_iso, put_object, run, text};

fn local_only(ctx: &RequestContext) -> Result<(), ApiError> {
    if ctx.config.environment.is_local() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "This endpoint is only available in local development".into(),
        ))
    }
}

pub async fn upload(mut ctx: RequestContext) -> Result<Response, EdgeError> {
    local_only(&ctx)?;
    let key = ctx
        .query("key")
        .filter(|key| {
            (1..=512).contains(&key.len())
                && !key.starts_with('/')
                && key.split('/').all(|part| !part.is_empty() && part != "..")
        })
        .ok_or_else(|| ApiError::validation("key must be a relative R2 key"))?;
    let content_type = ctx
        .header("Content-Type")
        .unwrap_or_else(|| "application/octet-stream".into());
    let bytes = ctx.body_bytes(MAX_PDF_BYTES as u64).await?;
    let size = bytes.len();
    put_object(&ctx.env.bucket(BUCKET)?, &key, bytes, &content_type, None).await?;
    json(&json!({ "success": true, "data": { "key": key, "size": size } }))
}

pub async fn seed(ctx: RequestContext) -> Result<Response, EdgeError> {
    local_only(&ctx)?;
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
