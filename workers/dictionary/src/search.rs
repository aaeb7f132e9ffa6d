//! `/api/v1/search*`: full-text search (FTS5), suggestions, popular and related searches,
//! semantic search (Workers AI embeddings when configured, full text otherwise), and
//! `/api/v1/batch/query`.

use mirubato_core::ApiError;
use mirubato_core::dictionary::search::{
    SearchParams, SearchQuery, SortBy, cosine_similarity, fts_query,
};
use mirubato_core::dictionary::seo::display_name;
use mirubato_core::dictionary::{Entry, Lang, TermType, normalize_term};
use mirubato_edge::{EdgeError, RequestContext, json};
use serde::Deserialize;
use serde_json::{Value, json};
use validator::Validate;
use worker::{D1Database, Response, query};

use crate::guard::with_optional_caller;
use crate::store::{ENTRY_COLUMNS, EntryRow, entries_named, find_term, into_entries};
use crate::terms::{query_params, summary, view};
use crate::{AI, DB, embeddings};

/// BM25 weights of the index columns (entry id, term, names, definition): a hit in the
/// term counts most, in a translated name next, in the definition least.
const BM25: &str = "bm25(dictionary_fts, 0.0, 10.0, 6.0, 1.0)";

fn result(entry: &Entry, lang: Lang) -> Value {
    let mut value = json!(entry);
    value["display_term"] = json!(display_name(entry, lang));
    value
}

/// One page of results and the total, for validated parameters.
pub async fn run_search(
    db: &D1Database,
    params: &SearchParams,
) -> Result<(Vec<Entry>, u64), EdgeError> {
    let types = json!(
        params
            .types
            .iter()
            .map(|kind| kind.as_str())
            .collect::<Vec<_>>()
    )
    .to_string();
    let filters =
        "(?2 = '[]' OR e.type IN (SELECT value FROM json_each(?2))) AND e.overall_score >= ?3";
    let asked = normalize_term(&params.query);
    #[derive(Deserialize)]
    struct Count {
        total: f64,
    }
    let (rows, total) = match &params.fts {
        Some(fts) => {
            // An exact name first, then names starting with the query, then BM25.
            let rank = format!(
                "(CASE WHEN e.normalized_term = ?4 THEN -1000.0 \
                       WHEN substr(e.normalized_term, 1, length(?4)) = ?4 THEN -100.0 ELSE 0.0 END + {BM25})"
            );
            let sql = format!(
                "SELECT {ENTRY_COLUMNS}, {rank} AS rank_score FROM dictionary_fts f \
                 JOIN dictionary_entries e ON e.id = f.entry_id \
                 WHERE dictionary_fts MATCH ?1 AND {filters} ORDER BY {} LIMIT ?5 OFFSET ?6",
                params.sort_by.order_by()
            );
            let rows = query!(
                db,
                &sql,
                fts,
                &types,
                params.min_quality,
                &asked,
                f64::from(params.limit),
                f64::from(params.offset)
            )?
            .all()
            .await?
            .results::<EntryRow>()?;
            let count = query!(
                db,
                &format!(
                    "SELECT count(*) AS total FROM dictionary_fts f JOIN dictionary_entries e ON e.id = f.entry_id \
                     WHERE dictionary_fts MATCH ?1 AND {filters}"
                ),
                fts,
                &types,
                params.min_quality
            )?
            .first::<Count>(None)
            .await?;
            (rows, count)
        }
        None => {
            let order = match params.sort_by {
                SortBy::Relevance => SortBy::Alphabetical.order_by(),
                other => other.order_by(),
            };
            let filters = "(?1 = '[]' OR e.type IN (SELECT value FROM json_each(?1))) AND e.overall_score >= ?2";
            let sql = format!(
                "SELECT {ENTRY_COLUMNS} FROM dictionary_entries e WHERE {filters} \
                 ORDER BY {order} LIMIT ?3 OFFSET ?4"
            );
            let rows = query!(
                db,
                &sql,
                &types,
                params.min_quality,
                f64::from(params.limit),
                f64::from(params.offset)
            )?
            .all()
            .await?
            .results::<EntryRow>()?;
            let count = query!(
                db,
                &format!("SELECT count(*) AS total FROM dictionary_entries e WHERE {filters}"),
                &types,
                params.min_quality
            )?
            .first::<Count>(None)
            .await?;
            (rows, count)
        }
    };
    Ok((
        into_entries(rows)?,
        total.map_or(0, |count| count.total as u64),
    ))
}

/// `GET /api/v1/search`
pub async fn search(ctx: RequestContext) -> Result<Response, EdgeError> {
    with_optional_caller(ctx, |ctx, _| async move {
        let query: SearchQuery = query_params(&ctx)?;
        let params = query.into_params()?;
        let display = match params.lang {
            Some(lang) => lang,
            None => Lang::negotiate(None, ctx.header("Accept-Language").as_deref())?,
        };
        let db = ctx.env.d1(DB)?;
        let (entries, total) = run_search(&db, &params).await?;
        json(&json!({"success": true, "data": {
            "results": entries.iter().map(|entry| result(entry, display)).collect::<Vec<_>>(),
            "total": total,
            "query": params.query,
            "lang": display,
            "limit": params.limit,
            "offset": params.offset,
        }}))
    })
    .await
}

#[derive(Deserialize, Validate)]
struct SuggestionsQuery {
    #[validate(length(min = 1, max = 50))]
    q: String,
    #[validate(range(min = 1, max = 20))]
    limit: Option<u32>,
    lang: Option<String>,
}

/// `GET /api/v1/search/suggestions?q=`: names starting with what was typed.
pub async fn suggestions(ctx: RequestContext) -> Result<Response, EdgeError> {
    with_optional_caller(ctx, |ctx, _| async move {
        let query: SuggestionsQuery = query_params(&ctx)?;
        query.validate().map_err(mirubato_core::input::validation_error)?;
        let lang = Lang::negotiate(query.lang.as_deref(), ctx.header("Accept-Language").as_deref())?;
        let limit = query.limit.unwrap_or(10);
        let suggestions = match fts_query(&query.q) {
            None => Vec::new(),
            Some(fts) => {
                let db = ctx.env.d1(DB)?;
                let sql = format!(
                    "SELECT {ENTRY_COLUMNS} FROM dictionary_fts f JOIN dictionary_entries e ON e.id = f.entry_id \
                     WHERE dictionary_fts MATCH '{{term names}} : (' || ?1 || ')' \
                     ORDER BY {BM25}, e.search_count DESC LIMIT ?2"
                );
                let entries = into_entries(
                    query!(&db, &sql, fts, f64::from(limit))?
                        .all()
                        .await?
                        .results::<EntryRow>()?,
                )?;
                entries
                    .iter()
                    .map(|entry| json!({
                        "term": display_name(entry, lang),
                        "normalized_term": entry.normalized_term,
                        "type": entry.kind,
                        "score": entry.quality_score.overall,
                    }))
                    .collect()
            }
        };
        json(&json!({"success": true, "data": {"query": query.q, "suggestions": suggestions}}))
    })
    .await
}

#[derive(Deserialize, Validate)]
struct PopularQuery {
    #[validate(range(min = 1, max = 50))]
    limit: Option<u32>,
    #[validate(range(min = 1, max = 90))]
    days: Option<u32>,
}

/// `GET /api/v1/search/popular`: the most looked-up terms of the last days.
pub async fn popular(ctx: RequestContext) -> Result<Response, EdgeError> {
    with_optional_caller(ctx, |ctx, _| async move {
        let query: PopularQuery = query_params(&ctx)?;
        query
            .validate()
            .map_err(mirubato_core::input::validation_error)?;
        let days = query.days.unwrap_or(7);
        let (now, stamp) = crate::clock();
        let since = mirubato_core::practice::iso(now - chrono::Duration::days(i64::from(days)));
        #[derive(Deserialize, serde::Serialize)]
        struct Popular {
            term: String,
            searches: f64,
        }
        let searches = query!(
            &ctx.env.d1(DB)?,
            "SELECT normalized_term AS term, count(*) AS searches FROM search_analytics \
             WHERE found = 1 AND searched_at >= ?1 GROUP BY normalized_term \
             ORDER BY searches DESC, term ASC LIMIT ?2",
            since,
            f64::from(query.limit.unwrap_or(10))
        )?
        .all()
        .await?
        .results::<Popular>()?;
        json(&json!({"success": true, "data": {
            "searches": searches, "period_days": days, "generated_at": stamp,
        }}))
    })
    .await
}

#[derive(Deserialize, Validate)]
struct RelatedQuery {
    #[validate(length(min = 1, max = 100))]
    term: String,
    #[validate(range(min = 1, max = 20))]
    limit: Option<u32>,
}

/// `GET /api/v1/search/related?term=`: the entry's related terms, and what the people who
/// looked it up also looked up.
pub async fn related(ctx: RequestContext) -> Result<Response, EdgeError> {
    with_optional_caller(ctx, |ctx, _| async move {
        let query: RelatedQuery = query_params(&ctx)?;
        query.validate().map_err(mirubato_core::input::validation_error)?;
        let normalized = mirubato_core::dictionary::entry::checked_term(&query.term)?;
        let limit = query.limit.unwrap_or(10);
        let db = ctx.env.d1(DB)?;
        let entry = find_term(&db, &normalized, Lang::En, None)
            .await?
            .ok_or_else(|| ApiError::not_found("Term not found"))?;
        let related = entries_named(&db, &entry.related_terms(), limit as usize).await?;
        #[derive(Deserialize, serde::Serialize)]
        struct CoOccurrence {
            term: String,
            co_occurrences: f64,
        }
        let related_searches = query!(
            &db,
            "SELECT other.normalized_term AS term, count(DISTINCT other.user_id) AS co_occurrences \
             FROM search_analytics mine JOIN search_analytics other \
               ON other.user_id = mine.user_id AND other.normalized_term <> mine.normalized_term AND other.found = 1 \
             WHERE mine.normalized_term = ?1 AND mine.user_id IS NOT NULL \
             GROUP BY other.normalized_term ORDER BY co_occurrences DESC, term ASC LIMIT ?2",
            &entry.normalized_term,
            f64::from(limit)
        )?
        .all()
        .await?
        .results::<CoOccurrence>()?;
        json(&json!({"success": true, "data": {
            "term": entry.normalized_term,
            "related_terms": related.iter().map(|related| summary(related, Lang::En)).collect::<Vec<_>>(),
            "related_searches": related_searches,
        }}))
    })
    .await
}

#[derive(Deserialize, Validate)]
#[serde(deny_unknown_fields)]
struct SemanticRequest {
    #[validate(length(min = 3, max = 500))]
    query: String,
    #[validate(range(min = 1, max = 50))]
    limit: Option<u32>,
    #[validate(range(min = 0.0, max = 1.0))]
    threshold: Option<f32>,
}

/// `POST /api/v1/search/semantic`: cosine similarity against the stored entry embeddings
/// when Workers AI is configured; otherwise (or before any entry has an embedding) the
/// full-text search, and the answer says which ran.
pub async fn semantic(ctx: RequestContext) -> Result<Response, EdgeError> {
    with_optional_caller(ctx, |mut ctx, _| async move {
        let body: SemanticRequest = ctx.json_with_limit(8 * 1024).await?;
        let limit = body.limit.unwrap_or(10);
        let threshold = body.threshold.unwrap_or(0.7);
        let db = ctx.env.d1(DB)?;
        let ai_configured = ctx.env.ai(AI).is_ok();
        if ai_configured {
            let stored = embeddings::stored(&db).await?;
            if !stored.is_empty() {
                let asked = embeddings::embed(&ctx.env, std::slice::from_ref(&body.query)).await?;
                let asked = asked
                    .first()
                    .ok_or_else(|| ApiError::Unavailable("no embedding returned".into()))?;
                let mut scored: Vec<(f32, &String)> = stored
                    .iter()
                    .map(|(id, vector)| (cosine_similarity(asked, vector), id))
                    .filter(|(score, _)| *score >= threshold)
                    .collect();
                scored.sort_by(|a, b| b.0.total_cmp(&a.0));
                scored.truncate(limit as usize);
                let mut results = Vec::new();
                for (score, id) in scored {
                    if let Some(entry) = crate::store::entry_by_id(&db, id).await? {
                        let mut item = view(&entry, entry.lang);
                        item["similarity"] = json!(score);
                        results.push(item);
                    }
                }
                return json(&json!({"success": true, "data": {
                    "query": body.query, "mode": "semantic", "results": results,
                }}));
            }
        }
        let params = SearchParams {
            fts: fts_query(&body.query).map(|query| query.replace(' ', " OR ")),
            query: body.query.clone(),
            lang: None,
            types: Vec::<TermType>::new(),
            limit,
            offset: 0,
            sort_by: SortBy::Relevance,
            min_quality: 0.0,
        };
        let (entries, _) = run_search(&db, &params).await?;
        let reason = if ai_configured {
            "no entry has an embedding yet"
        } else {
            "Workers AI is not configured"
        };
        json(&json!({"success": true, "data": {
            "query": body.query,
            "mode": "fulltext",
            "fallback_reason": reason,
            "results": entries.iter().map(|entry| view(entry, entry.lang)).collect::<Vec<_>>(),
        }}))
    })
    .await
}

#[derive(Deserialize, Validate)]
#[serde(deny_unknown_fields)]
struct BatchRequest {
    #[validate(length(min = 1, max = 50))]
    terms: Vec<String>,
    lang: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    include_related: bool,
}

/// `POST /api/v1/batch/query`: up to 50 lookups at once.
pub async fn batch_query(ctx: RequestContext) -> Result<Response, EdgeError> {
    with_optional_caller(ctx, |mut ctx, _| async move {
        let body: BatchRequest = ctx.json_with_limit(64 * 1024).await?;
        let lang = Lang::negotiate(body.lang.as_deref(), None)?;
        let kind = body.kind.as_deref().map(TermType::parse).transpose()?;
        let names = body
            .terms
            .iter()
            .map(|term| mirubato_core::dictionary::entry::checked_term(term))
            .collect::<Result<Vec<_>, _>>()?;
        let db = ctx.env.d1(DB)?;
        let mut results = serde_json::Map::new();
        let mut found = 0;
        for (asked, normalized) in body.terms.iter().zip(&names) {
            let answer = match find_term(&db, normalized, lang, kind).await? {
                Some(entry) => {
                    found += 1;
                    let mut item = view(&entry, lang);
                    item["found"] = json!(true);
                    if body.include_related {
                        let related = entries_named(&db, &entry.related_terms(), 5).await?;
                        item["related_terms"] =
                            related.iter().map(|related| summary(related, lang)).collect();
                    }
                    item
                }
                None => json!({"found": false, "normalized_term": normalized, "message": "Term not found"}),
            };
            results.insert(asked.clone(), answer);
        }
        json(&json!({"success": true, "data": {
            "results": results,
            "summary": {"total_requested": body.terms.len(), "found": found, "not_found": body.terms.len() - found},
        }}))
    })
    .await
}

#[derive(Deserialize, serde::Serialize)]
struct Totals {
    entries: f64,
    terms: f64,
    average_quality: Option<f64>,
    low_quality: f64,
    human_verified: f64,
    last_updated: Option<String>,
}

#[derive(Deserialize, serde::Serialize)]
struct Count {
    key: String,
    count: f64,
}

/// Rows of `(key, count)` as a JSON object.
async fn counts(statement: worker::D1PreparedStatement) -> Result<Value, EdgeError> {
    let rows = statement.all().await?.results::<Count>()?;
    Ok(rows
        .into_iter()
        .map(|row| (row.key, json!(row.count as u64)))
        .collect::<serde_json::Map<_, _>>()
        .into())
}

/// Below this overall score an entry counts as low quality (due for enhancement).
const LOW_QUALITY: f64 = 60.0;

/// `GET /api/v1/batch/stats`: the size and quality of the dictionary and of its queues.
pub async fn batch_stats(ctx: RequestContext) -> Result<Response, EdgeError> {
    with_optional_caller(ctx, |ctx, _| async move {
        let db = ctx.env.d1(DB)?;
        let totals = query!(
            &db,
            "SELECT count(*) AS entries, count(DISTINCT normalized_term) AS terms, \
               round(avg(overall_score), 1) AS average_quality, \
               coalesce(sum(overall_score < ?1), 0) AS low_quality, \
               coalesce(sum(json_extract(quality_score, '$.human_verified') = 1), 0) AS human_verified, \
               max(updated_at) AS last_updated \
             FROM dictionary_entries",
            LOW_QUALITY
        )?
        .first::<Totals>(None)
        .await?
        .ok_or_else(|| ApiError::internal("no totals row"))?;
        let by_lang = counts(query!(
            &db,
            "SELECT lang AS key, count(*) AS count FROM dictionary_entries GROUP BY lang ORDER BY lang"
        ))
        .await?;
        let by_type = counts(query!(
            &db,
            "SELECT type AS key, count(*) AS count FROM dictionary_entries GROUP BY type ORDER BY type"
        ))
        .await?;
        let enhancement = counts(query!(
            &db,
            "SELECT status AS key, count(*) AS count FROM enhancement_queue GROUP BY status"
        ))
        .await?;
        let seed = counts(query!(
            &db,
            "SELECT status AS key, count(*) AS count FROM seed_queue GROUP BY status"
        ))
        .await?;
        let review = counts(query!(
            &db,
            "SELECT status AS key, count(*) AS count FROM manual_review_queue GROUP BY status"
        ))
        .await?;
        json(&json!({"success": true, "data": {
            "entries": totals.entries as u64,
            "terms": totals.terms as u64,
            "average_quality": totals.average_quality,
            "low_quality_entries": totals.low_quality as u64,
            "low_quality_threshold": LOW_QUALITY,
            "human_verified": totals.human_verified as u64,
            "last_updated": totals.last_updated,
            "by_language": by_lang,
            "by_type": by_type,
            "queues": {"enhancement": enhancement, "seed": seed, "review": review},
            "ai_configured": ctx.env.ai(AI).is_ok(),
        }}))
    })
    .await
}
