//! Search rules: user text into a safe FTS5 query, the search parameters, suggestion ranking
//! and vector similarity for semantic search.

use serde::Deserialize;
use validator::Validate;

use super::{Lang, TermType, normalize_term};
use crate::ApiError;

/// Most words of a query that reach the index.
const MAX_QUERY_WORDS: usize = 8;
/// Longest word kept (longer ones are cut, which still matches as a prefix).
const MAX_WORD_CHARS: usize = 40;

/// User text as an FTS5 query: each run of letters or digits becomes a quoted prefix term
/// (`"alleg"*`), all of which must match. Everything else (operators, quotes, brackets,
/// column filters) is dropped, so no input can make the query fail. `None` when nothing
/// searchable remains.
pub fn fts_query(text: &str) -> Option<String> {
    let normalized = normalize_term(text);
    let words: Vec<String> = normalized
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .take(MAX_QUERY_WORDS)
        .map(|word| {
            let word: String = word.chars().take(MAX_WORD_CHARS).collect();
            format!("\"{word}\"*")
        })
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortBy {
    #[default]
    Relevance,
    Alphabetical,
    Quality,
    Popularity,
}

impl SortBy {
    /// The ORDER BY clause (fixed text, never built from input).
    pub fn order_by(self) -> &'static str {
        match self {
            Self::Relevance => "rank_score ASC, e.overall_score DESC, e.normalized_term ASC",
            Self::Alphabetical => "e.normalized_term ASC",
            Self::Quality => "e.overall_score DESC, e.normalized_term ASC",
            Self::Popularity => "e.search_count DESC, e.normalized_term ASC",
        }
    }
}

/// `GET /search` parameters, as they arrive in the query string.
#[derive(Debug, Deserialize, Validate)]
pub struct SearchQuery {
    #[serde(default)]
    #[validate(length(max = 200))]
    pub q: String,
    pub lang: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[validate(range(min = 1, max = 100))]
    pub limit: Option<u32>,
    #[validate(range(max = 10000))]
    pub offset: Option<u32>,
    pub sort_by: Option<SortBy>,
    #[validate(range(max = 100.0))]
    pub min_quality: Option<f64>,
}

/// Validated search parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchParams {
    /// The FTS5 query; `None` lists the dictionary (filters and sort still apply).
    pub fts: Option<String>,
    pub query: String,
    pub lang: Option<Lang>,
    pub types: Vec<TermType>,
    pub limit: u32,
    pub offset: u32,
    pub sort_by: SortBy,
    pub min_quality: f64,
}

impl SearchQuery {
    pub fn into_params(self) -> Result<SearchParams, ApiError> {
        self.validate().map_err(crate::input::validation_error)?;
        let lang = match self.lang.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(tag) => Some(Lang::negotiate(Some(tag), None)?),
        };
        let types = match self.kind.as_deref() {
            None => Vec::new(),
            Some(list) => TermType::parse_list(list)?,
        };
        Ok(SearchParams {
            fts: fts_query(&self.q),
            query: self.q.trim().to_string(),
            lang,
            types,
            limit: self.limit.unwrap_or(20),
            offset: self.offset.unwrap_or(0),
            sort_by: self.sort_by.unwrap_or_default(),
            min_quality: self.min_quality.unwrap_or(0.0),
        })
    }
}

/// Ranks candidate names by closeness to what was asked (Jaro–Winkler on normalised text),
/// best first, keeping at most `limit` above a floor of similarity.
pub fn rank_suggestions(asked: &str, candidates: &[String], limit: usize) -> Vec<String> {
    let asked = normalize_term(asked);
    let mut scored: Vec<(f64, &String)> = candidates
        .iter()
        .filter(|candidate| normalize_term(candidate) != asked)
        .map(|candidate| {
            (
                strsim::jaro_winkler(&asked, &normalize_term(candidate)),
                candidate,
            )
        })
        .filter(|(score, _)| *score >= 0.7)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    let mut seen = Vec::new();
    for (_, candidate) in scored {
        if !seen.contains(candidate) {
            seen.push(candidate.clone());
        }
        if seen.len() == limit {
            break;
        }
    }
    seen
}

/// Cosine similarity of two vectors; 0 when their lengths differ or one is zero.
pub fn cosine_similarity(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() || a.is_empty() {
        return 0.0;
    }
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    let denominator = norm(a) * norm(b);
    if denominator == 0.0 {
        0.0
    } else {
        dot / denominator
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn words_become_quoted_prefix_terms() {
        assert_eq!(fts_query("Allegro").as_deref(), Some("\"allegro\"*"));
        assert_eq!(
            fts_query("  ma non   TROPPO ").as_deref(),
            Some("\"ma\"* \"non\"* \"troppo\"*")
        );
        assert_eq!(fts_query("Étude").as_deref(), Some("\"étude\"*"));
        assert_eq!(fts_query("渐强").as_deref(), Some("\"渐强\"*"));
    }

    #[test]
    fn hostile_input_cannot_reach_fts_syntax() {
        for hostile in [
            "\"",
            "*",
            "NEAR(a b)",
            "term:foo OR bar",
            "a\" OR \"b",
            "^start",
            "(((",
            "-neg",
            "{col}: x",
            "\u{0000}",
        ] {
            if let Some(query) = fts_query(hostile) {
                let inner: String = query.replace("\"*", "").replace('"', "");
                assert!(
                    inner.chars().all(|c| c.is_alphanumeric() || c == ' '),
                    "{hostile:?} -> {query:?}"
                );
            }
        }
        assert_eq!(fts_query("!!! ???"), None);
        assert_eq!(fts_query(""), None);
        assert_eq!(
            fts_query("a\" OR \"b").as_deref(),
            Some("\"a\"* \"or\"* \"b\"*")
        );
    }

    #[test]
    fn long_queries_are_bounded() {
        let query = fts_query(&"word ".repeat(50)).unwrap();
        assert_eq!(query.matches('*').count(), MAX_QUERY_WORDS);
        let long = fts_query(&"x".repeat(500)).unwrap();
        assert_eq!(long.len(), MAX_WORD_CHARS + 3);
    }

    #[test]
    fn search_parameters_are_checked() {
        let query = |json: serde_json::Value| serde_json::from_value::<SearchQuery>(json).unwrap();
        let params =
            query(serde_json::json!({"q": "forte", "type": "dynamics,tempo", "lang": "es-MX"}))
                .into_params()
                .unwrap();
        assert_eq!(params.types, vec![TermType::Dynamics, TermType::Tempo]);
        assert_eq!(params.lang, Some(Lang::Es));
        assert_eq!(params.limit, 20);
        assert!(
            query(serde_json::json!({"limit": 0}))
                .into_params()
                .is_err()
        );
        assert!(
            query(serde_json::json!({"limit": 101}))
                .into_params()
                .is_err()
        );
        assert!(
            query(serde_json::json!({"type": "noise"}))
                .into_params()
                .is_err()
        );
        assert!(
            query(serde_json::json!({"q": "x".repeat(201)}))
                .into_params()
                .is_err()
        );
        assert!(
            query(serde_json::json!({"lang": "xx"}))
                .into_params()
                .is_err()
        );
    }

    #[test]
    fn suggestions_prefer_close_names() {
        let names: Vec<String> = ["allegro", "allegretto", "adagio", "forte"]
            .map(String::from)
            .to_vec();
        let ranked = rank_suggestions("alegro", &names, 2);
        assert_eq!(
            ranked,
            vec!["allegro".to_string(), "allegretto".to_string()]
        );
        assert!(rank_suggestions("zzzz", &names, 5).is_empty());
    }

    #[test]
    fn cosine_handles_edges() {
        assert!((cosine_similarity(&[1.0, 0.0], &[1.0, 0.0]) - 1.0).abs() < 1e-6);
        assert_eq!(cosine_similarity(&[1.0, 0.0], &[0.0, 1.0]), 0.0);
        assert_eq!(cosine_similarity(&[1.0], &[1.0, 2.0]), 0.0);
        assert_eq!(cosine_similarity(&[0.0, 0.0], &[1.0, 2.0]), 0.0);
    }

    proptest! {
        #[test]
        fn any_text_gives_a_well_formed_query(text in "\\PC{0,300}") {
            if let Some(query) = fts_query(&text) {
                for word in query.split(' ') {
                    prop_assert!(word.starts_with('"') && word.ends_with("\"*"));
                    let inner = &word[1..word.len() - 2];
                    prop_assert!(!inner.is_empty());
                    prop_assert!(inner.chars().all(char::is_alphanumeric));
                }
            }
        }
    }
}
