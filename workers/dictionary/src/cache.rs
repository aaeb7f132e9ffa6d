//! The KV cache of hot lookups (`X-Cache: HIT|MISS`), invalidated when an entry changes.

use mirubato_core::dictionary::{Entry, Lang, normalize_term};
use mirubato_edge::{EdgeError, RequestContext};
use serde_json::Value;

use crate::CACHE;

/// How long a cached lookup lives unless `CACHE_TTL` says otherwise.
const DEFAULT_TTL_SECS: u64 = 3600;

pub fn term_key(normalized: &str, lang: Lang) -> String {
    format!("term:{}:{normalized}", lang.code())
}

pub fn id_key(id: &str, lang: Lang) -> String {
    format!("id:{}:{id}", lang.code())
}

pub async fn get(ctx: &RequestContext, key: &str) -> Result<Option<Value>, EdgeError> {
    Ok(ctx.env.kv(CACHE)?.get(key).json::<Value>().await?)
}

pub async fn put(ctx: &RequestContext, key: &str, value: &Value) -> Result<(), EdgeError> {
    let ttl = ctx
        .env
        .var("CACHE_TTL")
        .ok()
        .and_then(|ttl| ttl.to_string().parse().ok())
        .unwrap_or(DEFAULT_TTL_SECS)
        .max(60);
    ctx.env
        .kv(CACHE)?
        .put(key, value.to_string())?
        .expiration_ttl(ttl)
        .execute()
        .await?;
    Ok(())
}

/// Drops every cached answer that may hold `entry`: its id, and lookups of any of its names
/// in any language.
pub async fn invalidate(ctx: &RequestContext, entry: &Entry) -> Result<(), EdgeError> {
    let kv = ctx.env.kv(CACHE)?;
    let mut names: Vec<String> = entry
        .definition
        .translations
        .values()
        .map(|name| normalize_term(name))
        .collect();
    names.push(entry.normalized_term.clone());
    names.sort();
    names.dedup();
    for lang in Lang::ALL {
        kv.delete(&id_key(&entry.id, lang)).await?;
        for name in &names {
            kv.delete(&term_key(name, lang)).await?;
        }
    }
    Ok(())
}
