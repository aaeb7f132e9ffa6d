//! The dictionary database: entries in every language (the translations of a term are its
//! entries in the other languages), and readers' feedback.
//!
//! An entry is matched by its term and language, as our unique index does: where our curated
//! seed already holds the term, the seed's entry stays, and the original's feedback on that
//! term joins it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use mirubato_core::dictionary::entry::SOURCE_LANGS;
use mirubato_core::dictionary::{Definition, Lang, TermType, normalize_term};
use mirubato_core::practice::iso;
use serde_json::Value;

use super::dump::{Dump, Row, lit, opt_int, opt_lit};
use super::scores::OwnerIds;
use super::{ImportError, Outcome, Reject, Statement};

/// Original tables the import does not carry over, and why.
pub const SKIPPED_TABLES: [(&str, &str); 8] = [
    ("search_analytics", "search logs, not content"),
    ("quality_checkpoints", "the original's AI review history"),
    ("enhancement_queue", "the original's AI work queue"),
    (
        "seed_queue",
        "the original's AI work queue; our seed is curated",
    ),
    (
        "embeddings",
        "never written by the original; ours are made from our entries",
    ),
    ("term_embeddings", "never written by the original"),
    ("ai_token_usage", "the original's AI spending"),
    ("manual_review_queue", "the original's AI review queue"),
];

/// Feedback types the original's report route wrote (and its CHECK refused): ours are reports.
const REPORT_TYPES: [&str; 4] = ["incorrect", "offensive", "spam", "copyright"];
const FEEDBACK_TYPES: [&str; 4] = ["accuracy", "clarity", "completeness", "other"];

fn reject(table: &str, key: impl Into<String>, reason: impl Into<String>) -> Reject {
    Reject {
        table: table.to_string(),
        key: key.into(),
        reason: reason.into(),
    }
}

/// A JSON-object column as text, `{}` when absent; the reason when it is something else.
fn object(row: &Row, column: &str) -> Result<String, String> {
    match row.present(column) {
        None => Ok("{}".into()),
        Some(text) => match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(map)) => Ok(Value::Object(map).to_string()),
            _ => Err(format!("{column} is not a JSON object")),
        },
    }
}

pub fn import(dump: &Dump, owners: &OwnerIds, now: DateTime<Utc>) -> Result<Outcome, ImportError> {
    let mut outcome = Outcome::default();
    // Original entry id -> (normalized term, language): how feedback finds its entry here.
    let mut terms: HashMap<String, (String, &'static str)> = HashMap::new();
    for row in dump.rows("dictionary_entries")? {
        let id = row.text("id").unwrap_or_default();
        match entry(&row, now) {
            Ok((statement, term, lang)) => {
                terms.insert(id, (term, lang));
                outcome.statements.push(statement);
            }
            Err(reason) => outcome
                .rejects
                .push(reject("dictionary_entries", id, reason)),
        }
    }
    for row in dump.rows("user_feedback")? {
        let id = row.text("id").unwrap_or_default();
        match feedback(&row, &terms, owners, now) {
            Ok(statement) => outcome.statements.push(statement),
            Err(reason) => outcome.rejects.push(reject("user_feedback", id, reason)),
        }
    }
    Ok(outcome)
}

fn entry(row: &Row, now: DateTime<Utc>) -> Result<(Statement, String, &'static str), String> {
    let id = row.present("id").ok_or("no id")?;
    let term = row.present("term").ok_or("no term")?;
    let normalized = normalize_term(&term);
    let lang_tag = row.text("lang").unwrap_or_else(|| "en".into());
    let lang = Lang::from_tag(&lang_tag)
        .filter(|lang| lang.code().eq_ignore_ascii_case(lang_tag.trim()))
        .ok_or(format!("language {lang_tag:?} is not one of ours"))?
        .code();
    let kind = TermType::parse(&row.text("type").unwrap_or_default())
        .map_err(|err| err.to_string())?
        .as_str();
    let definition_text = object(row, "definition")?;
    let definition: Value = serde_json::from_str(&definition_text).unwrap_or_default();
    if definition["concise"]
        .as_str()
        .is_none_or(|concise| concise.trim().is_empty())
    {
        return Err("the definition has no concise text".into());
    }
    // The search index's names: the term and its translations, when the definition reads as ours.
    let names = serde_json::from_value::<Definition>(definition)
        .map(|definition| definition.names(&term))
        .unwrap_or_else(|_| term.clone());
    let quality = object(row, "quality_score")?;
    let overall = row
        .real("overall_score")
        .or_else(|| {
            serde_json::from_str::<Value>(&quality)
                .ok()?
                .get("overall")?
                .as_f64()
        })
        .unwrap_or(0.0)
        .clamp(0.0, 100.0);
    let source_lang = row
        .present("source_lang")
        .filter(|source| SOURCE_LANGS.contains(&source.as_str()));
    let created = row.instant("created_at").unwrap_or(now);
    let updated = row.instant("updated_at").unwrap_or(created);
    let sql = format!(
        "INSERT INTO dictionary_entries (id, term, normalized_term, lang, source_lang, lang_confidence, type, definition, refs, metadata, quality_score, overall_score, names, created_at, updated_at, version, ai_metadata) \
         VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {overall}, {}, {}, {}, {}, {}) ON CONFLICT DO NOTHING;",
        lit(&id),
        lit(&term),
        lit(&normalized),
        lit(lang),
        opt_lit(source_lang.as_deref()),
        row.real("lang_confidence").unwrap_or(1.0).clamp(0.0, 1.0),
        lit(kind),
        lit(&definition_text),
        lit(&object(row, "refs").or_else(|_| object(row, "references"))?),
        lit(&object(row, "metadata")?),
        lit(&quality),
        lit(&names),
        lit(&iso(created)),
        lit(&iso(updated)),
        row.int("version").unwrap_or(1).max(1),
        lit(&object(row, "ai_metadata")?),
    );
    let statement = Statement {
        table: "dictionary_entries",
        key: format!("{normalized}/{lang}"),
        sql,
    };
    Ok((statement, normalized, lang))
}

fn feedback(
    row: &Row,
    terms: &HashMap<String, (String, &'static str)>,
    owners: &OwnerIds,
    now: DateTime<Utc>,
) -> Result<Statement, String> {
    let id = row.present("id").ok_or("no id")?;
    let entry = row.present("entry_id").ok_or("no entry_id")?;
    let (term, lang) = terms
        .get(&entry)
        .ok_or(format!("its entry {entry} was not imported"))?;
    // Feedback may be anonymous; a signed-in reader's id follows them here.
    let user = match row.present("user_id") {
        None => None,
        Some(user) => Some(
            match owners {
                None => Some(user.clone()),
                Some(map) => map.get(&user).cloned(),
            }
            .ok_or(format!("its user {user} was not imported"))?,
        ),
    };
    let created = iso(row.instant("created_at").unwrap_or(now));
    // Our entry of the same term and language: the imported one, or our seed's.
    let entry_id = format!(
        "(SELECT id FROM dictionary_entries WHERE normalized_term = {} AND lang = {})",
        lit(term),
        lit(lang)
    );
    let kind = row
        .text("feedback_type")
        .map(|kind| kind.trim().to_lowercase());
    if let Some(issue) = kind.as_deref().filter(|kind| REPORT_TYPES.contains(kind)) {
        return Ok(Statement {
            table: "content_reports",
            key: id.clone(),
            sql: format!(
                "INSERT INTO content_reports (id, entry_id, user_id, issue_type, description, status, created_at) \
                 SELECT {}, {entry_id}, {}, {}, {}, 'open', {} WHERE {entry_id} IS NOT NULL ON CONFLICT DO NOTHING;",
                lit(&id),
                opt_lit(user.as_deref()),
                lit(issue),
                lit(&row.text("feedback_text").unwrap_or_default()),
                lit(&created)
            ),
        });
    }
    if let Some(kind) = kind
        .as_deref()
        .filter(|kind| !FEEDBACK_TYPES.contains(kind))
    {
        return Err(format!("feedback type {kind:?} is not one we know"));
    }
    let rating = row.int("rating");
    if rating.is_some_and(|rating| !(1..=5).contains(&rating)) {
        return Err(format!(
            "rating {} is not 1 to 5",
            rating.unwrap_or_default()
        ));
    }
    Ok(Statement {
        table: "user_feedback",
        key: id.clone(),
        sql: format!(
            "INSERT INTO user_feedback (id, entry_id, user_id, rating, helpful, feedback_text, feedback_type, created_at) \
             SELECT {}, {entry_id}, {}, {}, {}, {}, {}, {} WHERE {entry_id} IS NOT NULL ON CONFLICT DO NOTHING;",
            lit(&id),
            opt_lit(user.as_deref()),
            opt_int(rating),
            opt_int(row.int("helpful").map(|helpful| i64::from(helpful != 0))),
            opt_lit(row.text("feedback_text").as_deref()),
            opt_lit(kind.as_deref()),
            lit(&created)
        ),
    })
}

/// What the target holds of the tables this module writes, as `<table> <key>`.
pub fn presence_sql() -> &'static str {
    "SELECT 'dictionary_entries ' || normalized_term || '/' || lang AS k FROM dictionary_entries \
     UNION ALL SELECT 'user_feedback ' || id FROM user_feedback \
     UNION ALL SELECT 'content_reports ' || id FROM content_reports"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::api::tests::our_schema;

    const FIXTURE: &str = include_str!("../../../../tests/fixtures/original/dictionary.sql");

    fn run() -> Outcome {
        let dump = Dump::load("dictionary.sql", FIXTURE).unwrap();
        let owners: HashMap<String, String> =
            [("user_alice".to_string(), "user_alice".to_string())].into();
        let now = DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        import(&dump, &Some(owners), now).unwrap()
    }

    #[test]
    fn entries_and_feedback_land_once_and_bad_rows_are_rejected() {
        let outcome = run();
        let reasons: Vec<(&str, &str)> = outcome
            .rejects
            .iter()
            .map(|reject| (reject.key.as_str(), reject.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 4, "{reasons:?}");
        assert!(
            reasons
                .iter()
                .any(|(key, why)| *key == "dict_bad_lang" && why.contains("\"pt\""))
        );
        assert!(
            reasons
                .iter()
                .any(|(key, why)| *key == "dict_no_def" && why.contains("concise"))
        );
        assert!(
            reasons
                .iter()
                .any(|(key, why)| *key == "fb_orphan" && why.contains("dict_gone"))
        );
        assert!(
            reasons
                .iter()
                .any(|(key, why)| *key == "fb_ghost" && why.contains("user_ghost"))
        );

        let conn = our_schema("dictionary");
        let script: Vec<&str> = outcome.statements.iter().map(|s| s.sql.as_str()).collect();
        conn.execute_batch(&script.join("\n")).unwrap();
        let count = |sql: &str| -> i64 { conn.query_row(sql, [], |row| row.get(0)).unwrap() };
        let before = count("SELECT COUNT(*) FROM dictionary_entries");
        // The new term, in two languages, with its translations searchable.
        assert_eq!(
            count(
                "SELECT COUNT(*) FROM dictionary_entries WHERE id IN ('dict_sprezz_en', 'dict_sprezz_es')"
            ),
            2
        );
        assert_eq!(
            count("SELECT COUNT(*) FROM dictionary_fts WHERE dictionary_fts MATCH 'desenvoltura'"),
            1
        );
        // A term our seed holds keeps the seed's entry; its feedback joins it.
        assert_eq!(
            count("SELECT COUNT(*) FROM dictionary_entries WHERE id = 'dict_allegro_old'"),
            0
        );
        assert_eq!(
            count(
                "SELECT COUNT(*) FROM user_feedback f JOIN dictionary_entries e ON e.id = f.entry_id WHERE f.id = 'fb_allegro' AND e.normalized_term = 'allegro'"
            ),
            1
        );
        assert_eq!(
            count(
                "SELECT COUNT(*) FROM content_reports WHERE id = 'fb_report' AND issue_type = 'spam'"
            ),
            1
        );

        conn.execute_batch(&script.join("\n")).unwrap();
        assert_eq!(count("SELECT COUNT(*) FROM dictionary_entries"), before);
        assert_eq!(count("SELECT COUNT(*) FROM user_feedback"), 2);
    }
}
