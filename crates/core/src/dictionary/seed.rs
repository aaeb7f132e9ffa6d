//! The curated seed dictionary: hand-written terms in `data/<type>.json`, and the SQL of the
//! migration that loads them (`migrations/dictionary/0002_seed_terms.sql`). The data files are
//! the source; a test fails when the committed migration differs from what this module
//! generates (regenerate with `REGENERATE_SEED=1 cargo test -p mirubato-core seed`).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::json;

use super::entry::{QualityScore, entry_id};
use super::{Definition, Lang, TermType, normalize_term};

/// The data files, one per term type.
const DATA: [(TermType, &str); 11] = [
    (TermType::Tempo, include_str!("data/tempo.json")),
    (TermType::Dynamics, include_str!("data/dynamics.json")),
    (
        TermType::Articulation,
        include_str!("data/articulation.json"),
    ),
    (TermType::Ornament, include_str!("data/ornament.json")),
    (TermType::Form, include_str!("data/form.json")),
    (TermType::Genre, include_str!("data/genre.json")),
    (TermType::Theory, include_str!("data/theory.json")),
    (TermType::Notation, include_str!("data/notation.json")),
    (TermType::Technique, include_str!("data/technique.json")),
    (TermType::Instrument, include_str!("data/instrument.json")),
    (TermType::Period, include_str!("data/period.json")),
];

/// When the seed rows say they were created: fixed, so the generated SQL is reproducible.
pub const SEED_TIMESTAMP: &str = "2026-11-23T00:00:00.000Z";

/// One term as written in a data file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedTerm {
    pub term: String,
    /// The language the term comes from (`it`, `fr`, `de`, `la`, `en`, …).
    #[serde(default)]
    pub origin: Option<String>,
    pub concise: String,
    #[serde(default)]
    pub detailed: Option<String>,
    #[serde(default)]
    pub etymology: Option<String>,
    #[serde(default)]
    pub related: Vec<String>,
    /// The term's name in es, fr, de, zh-CN and zh-TW.
    pub names: BTreeMap<Lang, String>,
}

/// A seed term with its type, ready to store.
#[derive(Debug, Clone)]
pub struct SeedEntry {
    pub kind: TermType,
    pub term: SeedTerm,
}

impl SeedEntry {
    pub fn normalized(&self) -> String {
        normalize_term(&self.term.term)
    }

    pub fn definition(&self) -> Definition {
        Definition {
            concise: self.term.concise.clone(),
            detailed: self.term.detailed.clone(),
            etymology: self.term.etymology.clone(),
            pronunciation: None,
            usage_example: None,
            translations: self.term.names.clone(),
        }
    }
}

/// Every seed term. The data files are compiled in, so a malformed one fails every test
/// run (see the tests below) long before it could ship.
pub fn seed_entries() -> Result<Vec<SeedEntry>, serde_json::Error> {
    let mut entries = Vec::new();
    for (kind, text) in DATA {
        let terms: Vec<SeedTerm> = serde_json::from_str(text)?;
        entries.extend(terms.into_iter().map(|term| SeedEntry { kind, term }));
    }
    Ok(entries)
}

fn sql_text(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

fn sql_optional(value: Option<&str>) -> String {
    value.map_or_else(|| "NULL".to_string(), sql_text)
}

/// The SQL that loads the seed: one `INSERT` per entry (each far below D1's statement size
/// limit).
pub fn seed_sql(entries: &[SeedEntry]) -> String {
    let mut sql = String::from(
        "-- GENERATED from crates/core/src/dictionary/data/*.json by crates/core/src/dictionary/seed.rs.\n\
         -- Do not edit: change the data and run `REGENERATE_SEED=1 cargo test -p mirubato-core seed`.\n",
    );
    for entry in entries {
        let normalized = entry.normalized();
        let definition = entry.definition();
        let references = json!({});
        let quality = QualityScore::compute(&definition, &references, false);
        let metadata = json!({
            "related_terms": entry.term.related,
            "categories": [entry.kind.as_str()],
            "created_by": "seed",
        });
        let definition_json = serde_json::to_string(&definition).unwrap_or_default();
        let quality_json = serde_json::to_string(&quality).unwrap_or_default();
        sql.push_str(&format!(
            "INSERT INTO dictionary_entries (id, term, normalized_term, lang, source_lang, type, definition, refs, metadata, quality_score, overall_score, names, created_at, updated_at) VALUES ({}, {}, {}, 'en', {}, '{}', {}, '{{}}', {}, {}, {}, {}, '{SEED_TIMESTAMP}', '{SEED_TIMESTAMP}');\n",
            sql_text(&entry_id(&normalized, Lang::En)),
            sql_text(&entry.term.term),
            sql_text(&normalized),
            sql_optional(entry.term.origin.as_deref()),
            entry.kind.as_str(),
            sql_text(&definition_json),
            sql_text(&metadata.to_string()),
            sql_text(&quality_json),
            quality.overall,
            sql_text(&definition.names(&entry.term.term)),
        ));
    }
    sql
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::path::Path;

    use super::*;
    use crate::dictionary::entry::SOURCE_LANGS;

    fn entries() -> Vec<SeedEntry> {
        seed_entries().expect("every data file parses")
    }

    #[test]
    fn the_seed_has_at_least_400_distinct_terms() {
        let entries = entries();
        let mut seen = HashSet::new();
        for entry in &entries {
            assert!(
                seen.insert(entry.normalized()),
                "duplicate term {}",
                entry.term.term
            );
        }
        assert!(entries.len() >= 400, "only {} seed terms", entries.len());
    }

    #[test]
    fn every_term_is_complete_and_named_in_every_language() {
        for entry in entries() {
            let term = &entry.term;
            assert!(!term.concise.trim().is_empty(), "{}", term.term);
            assert!(
                term.concise.chars().count() <= 300,
                "{} concise too long",
                term.term
            );
            for lang in Lang::TRANSLATED {
                let name = term.names.get(&lang).map(|name| name.trim());
                assert!(
                    name.is_some_and(|name| !name.is_empty()),
                    "{} lacks {}",
                    term.term,
                    lang.code()
                );
            }
            assert!(
                !term.names.contains_key(&Lang::En),
                "{}: the term itself is English",
                term.term
            );
            if let Some(origin) = &term.origin {
                assert!(
                    SOURCE_LANGS.contains(&origin.as_str()),
                    "{}: origin {origin}",
                    term.term
                );
            }
        }
    }

    #[test]
    fn related_terms_name_seed_terms() {
        let entries = entries();
        let known: HashSet<String> = entries.iter().map(SeedEntry::normalized).collect();
        for entry in &entries {
            for related in &entry.term.related {
                assert!(
                    known.contains(&normalize_term(related)),
                    "{} relates to unknown {related}",
                    entry.term.term
                );
            }
        }
    }

    #[test]
    fn committed_seed_migration_matches_the_data() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../migrations/dictionary/0002_seed_terms.sql");
        let generated = seed_sql(&entries());
        if std::env::var_os("REGENERATE_SEED").is_some() {
            std::fs::write(&path, &generated).expect("write the seed migration");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "{} is out of date: run REGENERATE_SEED=1 cargo test -p mirubato-core seed",
            path.display()
        );
        for statement in generated.lines() {
            assert!(statement.len() < 100_000, "a statement exceeds D1's limit");
        }
    }
}
