//! Entry embeddings for semantic search (Workers AI, `@cf/baai/bge-base-en-v1.5`), stored per
//! entry in D1 when the AI binding is configured.

use mirubato_core::ApiError;
use mirubato_edge::EdgeError;
use serde::{Deserialize, Serialize};
use worker::{D1Database, Env, query};

use crate::AI;

pub const EMBEDDING_MODEL: &str = "@cf/baai/bge-base-en-v1.5";

#[derive(Serialize)]
struct EmbeddingInput<'a> {
    text: &'a [String],
}

#[derive(Deserialize)]
struct EmbeddingOutput {
    data: Vec<Vec<f32>>,
}

/// One vector per text.
pub async fn embed(env: &Env, texts: &[String]) -> Result<Vec<Vec<f32>>, EdgeError> {
    let output: EmbeddingOutput = env
        .ai(AI)?
        .run(EMBEDDING_MODEL, EmbeddingInput { text: texts })
        .await?;
    if output.data.len() != texts.len() {
        return Err(ApiError::Unavailable("embedding count differs from input".into()).into());
    }
    Ok(output.data)
}

#[derive(Deserialize)]
struct StoredRow {
    entry_id: String,
    embedding: String,
}

/// Every stored embedding, by entry id.
pub async fn stored(db: &D1Database) -> Result<Vec<(String, Vec<f32>)>, EdgeError> {
    let rows = query!(
        db,
        "SELECT entry_id, embedding FROM embeddings WHERE model_name = ?1",
        EMBEDDING_MODEL
    )?
    .all()
    .await?
    .results::<StoredRow>()?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            serde_json::from_str::<Vec<f32>>(&row.embedding)
                .ok()
                .map(|vector| (row.entry_id, vector))
        })
        .collect())
}

#[derive(Deserialize)]
struct PendingRow {
    id: String,
    text: String,
}

/// Embeds up to `limit` entries that have no embedding yet; returns how many were stored.
pub async fn backfill(
    env: &Env,
    db: &D1Database,
    limit: u32,
    now: &str,
) -> Result<usize, EdgeError> {
    let pending = query!(
        db,
        "SELECT e.id AS id, e.term || ': ' || json_extract(e.definition, '$.concise') AS text \
         FROM dictionary_entries e LEFT JOIN embeddings m ON m.entry_id = e.id \
         WHERE m.entry_id IS NULL ORDER BY e.search_count DESC LIMIT ?1",
        f64::from(limit)
    )?
    .all()
    .await?
    .results::<PendingRow>()?;
    if pending.is_empty() {
        return Ok(0);
    }
    let texts: Vec<String> = pending.iter().map(|row| row.text.clone()).collect();
    let vectors = embed(env, &texts).await?;
    let mut statements = Vec::new();
    for (row, vector) in pending.iter().zip(&vectors) {
        let text = serde_json::to_string(vector).map_err(ApiError::internal)?;
        statements.push(query!(
            db,
            "INSERT OR REPLACE INTO embeddings (entry_id, embedding, model_name, dimensions, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            &row.id,
            text,
            EMBEDDING_MODEL,
            vector.len() as f64,
            now
        )?);
    }
    db.batch(statements).await?;
    Ok(pending.len())
}
