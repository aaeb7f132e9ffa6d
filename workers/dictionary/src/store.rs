//! D1 access for dictionary entries.

use mirubato_core::ApiError;
use mirubato_core::dictionary::entry::{QualityScore, entry_id};
use mirubato_core::dictionary::{Definition, Entry, Lang, TermType, normalize_term};
use mirubato_edge::EdgeError;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use validator::Validate;
use worker::{D1Database, D1PreparedStatement, query};

/// The columns an [`EntryRow`] reads, for `SELECT {ENTRY_COLUMNS} FROM dictionary_entries e`.
pub const ENTRY_COLUMNS: &str = "e.id, e.term, e.normalized_term, e.lang, e.source_lang, e.lang_confidence, e.type, \
     e.definition, e.refs, e.metadata, e.quality_score, e.created_at, e.updated_at, e.version";

#[derive(Debug, Deserialize)]
pub struct EntryRow {
    id: String,
    term: String,
    normalized_term: String,
    lang: String,
    source_lang: Option<String>,
    lang_confidence: f64,
    #[serde(rename = "type")]
    kind: String,
    definition: String,
    refs: String,
    metadata: String,
    quality_score: String,
    created_at: String,
    updated_at: String,
    version: i64,
}

impl EntryRow {
    pub fn into_entry(self) -> Result<Entry, ApiError> {
        let corrupt =
            |what: &str| ApiError::internal(format!("entry {} has a bad {what}", self.id));
        Ok(Entry {
            lang: Lang::from_tag(&self.lang).ok_or_else(|| corrupt("lang"))?,
            kind: TermType::parse(&self.kind).map_err(|_| corrupt("type"))?,
            definition: serde_json::from_str(&self.definition)
                .map_err(|_| corrupt("definition"))?,
            references: serde_json::from_str(&self.refs).map_err(|_| corrupt("refs"))?,
            metadata: serde_json::from_str(&self.metadata).map_err(|_| corrupt("metadata"))?,
            quality_score: serde_json::from_str(&self.quality_score)
                .map_err(|_| corrupt("quality score"))?,
            id: self.id,
            term: self.term,
            normalized_term: self.normalized_term,
            source_lang: self.source_lang,
            lang_confidence: self.lang_confidence,
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        })
    }
}

pub fn into_entries(rows: Vec<EntryRow>) -> Result<Vec<Entry>, EdgeError> {
    rows.into_iter()
        .map(|row| row.into_entry().map_err(EdgeError::from))
        .collect()
}

pub async fn entry_by_id(db: &D1Database, id: &str) -> Result<Option<Entry>, EdgeError> {
    let row = query!(
        db,
        &format!("SELECT {ENTRY_COLUMNS} FROM dictionary_entries e WHERE e.id = ?1"),
        id
    )?
    .first::<EntryRow>(None)
    .await?;
    Ok(row.map(EntryRow::into_entry).transpose()?)
}

/// The entry of a term, preferring the requested language, then English, then the best
/// scored. Matches the term itself or, failing that, any of its translated names.
pub async fn find_term(
    db: &D1Database,
    normalized: &str,
    lang: Lang,
    kind: Option<TermType>,
) -> Result<Option<Entry>, EdgeError> {
    let kind = kind.map(TermType::as_str);
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM dictionary_entries e \
         WHERE e.normalized_term = ?1 AND (?3 IS NULL OR e.type = ?3) \
         ORDER BY (e.lang = ?2) DESC, (e.lang = 'en') DESC, e.overall_score DESC LIMIT 1"
    );
    if let Some(row) = query!(db, &sql, normalized, lang.code(), kind)?
        .first::<EntryRow>(None)
        .await?
    {
        return Ok(Some(row.into_entry()?));
    }
    let Some(fts) = mirubato_core::dictionary::search::fts_query(normalized) else {
        return Ok(None);
    };
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM dictionary_fts f JOIN dictionary_entries e ON e.id = f.entry_id \
         WHERE dictionary_fts MATCH 'names : (' || ?1 || ')' AND (?2 IS NULL OR e.type = ?2) LIMIT 50"
    );
    let candidates = into_entries(
        query!(db, &sql, fts, kind)?
            .all()
            .await?
            .results::<EntryRow>()?,
    )?;
    Ok(candidates.into_iter().find(|entry| {
        entry
            .definition
            .translations
            .values()
            .any(|name| normalize_term(name) == normalized)
    }))
}

/// Entries named in `names` (normalised), English first, at most `limit`.
pub async fn entries_named(
    db: &D1Database,
    names: &[String],
    limit: usize,
) -> Result<Vec<Entry>, EdgeError> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM dictionary_entries e \
         WHERE e.normalized_term IN (SELECT value FROM json_each(?1)) AND e.lang = 'en' LIMIT ?2"
    );
    into_entries(
        query!(db, &sql, json!(names).to_string(), limit as f64)?
            .all()
            .await?
            .results::<EntryRow>()?,
    )
}

#[derive(Deserialize)]
struct NameRow {
    normalized_term: String,
}

/// Names close to `normalized` for a "did you mean": those sharing its first letter or any
/// prefix word, ranked by similarity in core.
pub async fn suggestions(
    db: &D1Database,
    normalized: &str,
    limit: usize,
) -> Result<Vec<String>, EdgeError> {
    let first: String = normalized.chars().take(1).collect();
    let fts = mirubato_core::dictionary::search::fts_query(
        &normalized.chars().take(3).collect::<String>(),
    );
    let mut rows = query!(
        db,
        "SELECT DISTINCT normalized_term FROM dictionary_entries WHERE substr(normalized_term, 1, 1) = ?1 LIMIT 500",
        first
    )?
    .all()
    .await?
    .results::<NameRow>()?;
    if let Some(fts) = fts {
        rows.extend(
            query!(
                db,
                "SELECT e.normalized_term FROM dictionary_fts f JOIN dictionary_entries e ON e.id = f.entry_id \
                 WHERE dictionary_fts MATCH ?1 LIMIT 100",
                fts
            )?
            .all()
            .await?
            .results::<NameRow>()?,
        );
    }
    let names: Vec<String> = rows.into_iter().map(|row| row.normalized_term).collect();
    Ok(mirubato_core::dictionary::search::rank_suggestions(
        normalized, &names, limit,
    ))
}

/// What an editor sends for one entry.
#[derive(Debug, Clone, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct EntryInput {
    #[validate(length(min = 1, max = 100))]
    pub term: Option<String>,
    pub lang: Option<Lang>,
    #[serde(rename = "type")]
    pub kind: TermType,
    pub source_lang: Option<String>,
    #[validate(nested)]
    pub definition: Definition,
    pub references: Option<Value>,
    pub metadata: Option<Value>,
}

impl EntryInput {
    /// Checks what `validator` cannot: the source language, and that references and
    /// metadata are objects.
    pub fn check(&self) -> Result<(), ApiError> {
        if let Some(source) = &self.source_lang
            && !mirubato_core::dictionary::entry::SOURCE_LANGS.contains(&source.as_str())
        {
            return Err(ApiError::validation(format!(
                "Invalid request body: sourceLang {source:?} is not a known language"
            )));
        }
        for (name, value) in [
            ("references", &self.references),
            ("metadata", &self.metadata),
        ] {
            if value.as_ref().is_some_and(|value| !value.is_object()) {
                return Err(ApiError::validation(format!(
                    "Invalid request body: {name} must be an object"
                )));
            }
        }
        Ok(())
    }
}

/// The statement that creates or replaces the entry of `term` in its language, bumping its
/// version and recomputing its quality (keeping the ratings it had). `human_verified` is
/// false for content a model wrote that no person has checked.
pub fn upsert_statement(
    db: &D1Database,
    term: &str,
    input: &EntryInput,
    editor: &str,
    now: &str,
    human_verified: bool,
) -> Result<(D1PreparedStatement, String), EdgeError> {
    let normalized = mirubato_core::dictionary::entry::checked_term(term)?;
    let lang = input.lang.unwrap_or(Lang::En);
    let id = entry_id(&normalized, lang);
    let references = input.references.clone().unwrap_or_else(|| json!({}));
    let mut metadata = input.metadata.clone().unwrap_or_else(|| json!({}));
    metadata["created_by"] = json!(editor);
    let quality = QualityScore::compute(&input.definition, &references, human_verified);
    let quality_text = serde_json::to_string(&quality).map_err(ApiError::internal)?;
    let definition = serde_json::to_string(&input.definition).map_err(ApiError::internal)?;
    let statement = query!(
        db,
        "INSERT INTO dictionary_entries (id, term, normalized_term, lang, source_lang, type, definition, refs, metadata, quality_score, overall_score, names, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13) \
         ON CONFLICT (id) DO UPDATE SET term = excluded.term, source_lang = excluded.source_lang, type = excluded.type, \
           definition = excluded.definition, refs = excluded.refs, metadata = excluded.metadata, \
           quality_score = json_set(excluded.quality_score, \
             '$.user_satisfaction', json_extract(dictionary_entries.quality_score, '$.user_satisfaction'), \
             '$.ratings_count', coalesce(json_extract(dictionary_entries.quality_score, '$.ratings_count'), 0)), \
           overall_score = excluded.overall_score, names = excluded.names, \
           updated_at = excluded.updated_at, version = dictionary_entries.version + 1",
        &id,
        term.trim(),
        &normalized,
        lang.code(),
        &input.source_lang,
        input.kind.as_str(),
        definition,
        references.to_string(),
        metadata.to_string(),
        quality_text,
        f64::from(quality.overall),
        input.definition.names(term.trim()),
        now
    )?;
    Ok((statement, id))
}
