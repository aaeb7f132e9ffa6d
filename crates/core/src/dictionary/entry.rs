//! A dictionary entry as stored and served, its quality score, and term normalisation.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use validator::Validate;

use super::Lang;
use crate::ApiError;

/// Longest term name accepted anywhere (lookups, edits, batch queries).
pub const MAX_TERM_CHARS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TermType {
    Tempo,
    Dynamics,
    Articulation,
    Ornament,
    Form,
    Genre,
    Instrument,
    Technique,
    Theory,
    Composer,
    Period,
    Notation,
    General,
}

impl TermType {
    pub const ALL: [TermType; 13] = [
        Self::Tempo,
        Self::Dynamics,
        Self::Articulation,
        Self::Ornament,
        Self::Form,
        Self::Genre,
        Self::Instrument,
        Self::Technique,
        Self::Theory,
        Self::Composer,
        Self::Period,
        Self::Notation,
        Self::General,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tempo => "tempo",
            Self::Dynamics => "dynamics",
            Self::Articulation => "articulation",
            Self::Ornament => "ornament",
            Self::Form => "form",
            Self::Genre => "genre",
            Self::Instrument => "instrument",
            Self::Technique => "technique",
            Self::Theory => "theory",
            Self::Composer => "composer",
            Self::Period => "period",
            Self::Notation => "notation",
            Self::General => "general",
        }
    }

    pub fn parse(value: &str) -> Result<Self, ApiError> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == value.trim().to_ascii_lowercase())
            .ok_or_else(|| ApiError::Validation {
                message: format!("Unknown term type {value:?}"),
                details: Some(serde_json::json!({ "field": "type" })),
            })
    }

    /// A comma-separated list of types; 400 naming any unknown one.
    pub fn parse_list(list: &str) -> Result<Vec<Self>, ApiError> {
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(Self::parse)
            .collect()
    }
}

/// The form terms are matched by: lower case, trimmed, inner whitespace collapsed, typographic
/// quotes and dashes made plain.
pub fn normalize_term(term: &str) -> String {
    let plain: String = term
        .chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' | '\u{02BC}' | '`' => '\'',
            '\u{201C}' | '\u{201D}' => '"',
            '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
            other => other,
        })
        .flat_map(char::to_lowercase)
        .collect();
    plain.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A term as a client named it: normalised, 400 when empty, too long or holding control
/// characters.
pub fn checked_term(term: &str) -> Result<String, ApiError> {
    let normalized = normalize_term(term);
    let invalid = |why: &str| ApiError::Validation {
        message: format!("Invalid term: {why}"),
        details: Some(serde_json::json!({ "field": "term" })),
    };
    if normalized.is_empty() {
        return Err(invalid("it is empty"));
    }
    if normalized.chars().count() > MAX_TERM_CHARS {
        return Err(invalid(&format!("longer than {MAX_TERM_CHARS} characters")));
    }
    if normalized.chars().any(char::is_control) {
        return Err(invalid("it contains control characters"));
    }
    Ok(normalized)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
pub struct Pronunciation {
    #[validate(length(min = 1, max = 100))]
    pub ipa: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 100))]
    pub syllables: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 100))]
    pub stress_pattern: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
pub struct Definition {
    #[validate(length(min = 1, max = 500))]
    pub concise: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 4000))]
    pub detailed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 1000))]
    pub etymology: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(nested)]
    pub pronunciation: Option<Pronunciation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 1000))]
    pub usage_example: Option<String>,
    /// The term's name in other languages.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub translations: BTreeMap<Lang, String>,
}

impl Definition {
    /// Points for each part present, by the map's formula: concise 30, detailed 40,
    /// etymology 10, pronunciation 10, usage example 10.
    pub fn completeness(&self) -> u32 {
        let present = |text: &Option<String>| text.as_deref().is_some_and(|t| !t.trim().is_empty());
        let mut score = 0;
        if !self.concise.trim().is_empty() {
            score += 30;
        }
        if present(&self.detailed) {
            score += 40;
        }
        if present(&self.etymology) {
            score += 10;
        }
        if self.pronunciation.is_some() {
            score += 10;
        }
        if present(&self.usage_example) {
            score += 10;
        }
        score
    }

    /// Every name of the term (its own and its translations), for the search index.
    pub fn names(&self, term: &str) -> String {
        let mut seen = std::collections::BTreeSet::new();
        std::iter::once(term)
            .chain(self.translations.values().map(String::as_str))
            .filter(|name| seen.insert(normalize_term(name)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// How many references an entry cites: a Wikipedia article, and each book, paper or
/// educational resource.
pub fn reference_count(references: &Value) -> usize {
    let listed = ["books", "research_papers", "educational"]
        .iter()
        .filter_map(|key| references.get(key).and_then(Value::as_array))
        .map(Vec::len)
        .sum::<usize>();
    listed + usize::from(references.get("wikipedia").is_some_and(Value::is_object))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    High,
    Medium,
    Low,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityScore {
    pub overall: u32,
    pub definition_clarity: u32,
    pub definition_completeness: u32,
    pub reference_completeness: u32,
    pub accuracy_verification: u32,
    /// Mean user rating on 0–100 (rating × 20), once anyone has rated the entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_satisfaction: Option<f64>,
    #[serde(default)]
    pub ratings_count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_ai_check: Option<String>,
    pub human_verified: bool,
    pub confidence_level: Confidence,
}

/// The clarity and accuracy the formula assumes for any entry it has not checked further.
const BASELINE: u32 = 70;

impl QualityScore {
    /// The map's formula: completeness from the definition's parts, reference score
    /// `min(100, 20 × references)`, clarity and accuracy 70, `overall` the rounded mean of
    /// accuracy, completeness, clarity and references.
    pub fn compute(definition: &Definition, references: &Value, human_verified: bool) -> Self {
        let completeness = definition.completeness();
        let references = (20 * reference_count(references) as u32).min(100);
        let overall = (BASELINE + completeness + BASELINE + references + 2) / 4;
        Self {
            overall,
            definition_clarity: BASELINE,
            definition_completeness: completeness,
            reference_completeness: references,
            accuracy_verification: BASELINE,
            user_satisfaction: None,
            ratings_count: 0,
            last_ai_check: None,
            human_verified,
            confidence_level: confidence(overall),
        }
    }

    /// Folds a new 1–5 rating into the running mean satisfaction.
    pub fn with_rating(mut self, rating: u8) -> Self {
        let previous = self.user_satisfaction.unwrap_or(0.0) * f64::from(self.ratings_count);
        self.ratings_count += 1;
        let mean = (previous + f64::from(rating) * 20.0) / f64::from(self.ratings_count);
        self.user_satisfaction = Some((mean * 10.0).round() / 10.0);
        self
    }
}

fn confidence(overall: u32) -> Confidence {
    match overall {
        80.. => Confidence::High,
        60..=79 => Confidence::Medium,
        _ => Confidence::Low,
    }
}

/// A dictionary entry on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    pub term: String,
    pub normalized_term: String,
    pub lang: Lang,
    pub source_lang: Option<String>,
    pub lang_confidence: f64,
    #[serde(rename = "type")]
    pub kind: TermType,
    pub definition: Definition,
    pub references: Value,
    pub metadata: Value,
    pub quality_score: QualityScore,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

impl Entry {
    /// The names of the related terms this entry lists.
    pub fn related_terms(&self) -> Vec<String> {
        self.metadata
            .get("related_terms")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .map(normalize_term)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The source languages an entry may name besides the six of the dictionary.
pub const SOURCE_LANGS: [&str; 8] = ["en", "es", "fr", "de", "zh-CN", "zh-TW", "it", "la"];

/// A stable entry id: the same term and language always get the same one, so the seed can
/// be replayed and related terms resolved without a lookup table.
pub fn entry_id(normalized_term: &str, lang: Lang) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{normalized_term}\u{0}{}", lang.code()));
    format!("dict_{}", &hex::encode(digest)[..20])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn definition(parts: &[&str]) -> Definition {
        let has = |part: &str| parts.contains(&part).then(|| format!("{part} text"));
        Definition {
            concise: "A short definition.".into(),
            detailed: has("detailed"),
            etymology: has("etymology"),
            pronunciation: parts.contains(&"pronunciation").then(|| Pronunciation {
                ipa: "/x/".into(),
                syllables: None,
                stress_pattern: None,
            }),
            usage_example: has("usage"),
            translations: BTreeMap::new(),
        }
    }

    #[test]
    fn normalisation_folds_case_space_quotes_and_dashes() {
        assert_eq!(normalize_term("  Da   Capo\t"), "da capo");
        assert_eq!(normalize_term("Ma non troppo"), "ma non troppo");
        assert_eq!(normalize_term("Rock\u{2019}n\u{2019}roll"), "rock'n'roll");
        assert_eq!(normalize_term("Mezzo\u{2013}forte"), "mezzo-forte");
        assert_eq!(normalize_term("ÉTUDE"), "étude");
    }

    #[test]
    fn checked_terms_reject_empty_long_and_control_input() {
        assert_eq!(checked_term(" Allegro ").unwrap(), "allegro");
        assert!(checked_term("   ").is_err());
        assert!(checked_term(&"a".repeat(101)).is_err());
        assert!(checked_term("a\u{0007}b").is_err());
    }

    #[test]
    fn quality_follows_the_formula() {
        let concise_only = QualityScore::compute(&definition(&[]), &json!({}), false);
        // (70 + 30 + 70 + 0) / 4 = 42.5, rounded half up.
        assert_eq!(concise_only.overall, 43);
        assert_eq!(concise_only.confidence_level, Confidence::Low);

        let full = definition(&["detailed", "etymology", "pronunciation", "usage"]);
        let refs = json!({"wikipedia": {"url": "u"}, "books": [{}, {}]});
        let score = QualityScore::compute(&full, &refs, true);
        assert_eq!(score.definition_completeness, 100);
        assert_eq!(score.reference_completeness, 60);
        assert_eq!(score.overall, 75);
        assert_eq!(score.confidence_level, Confidence::Medium);

        let many = json!({"books": [{}, {}, {}, {}, {}, {}, {}]});
        let capped = QualityScore::compute(&full, &many, false);
        assert_eq!(capped.reference_completeness, 100);
        assert_eq!(capped.overall, 85);
        assert_eq!(capped.confidence_level, Confidence::High);
    }

    #[test]
    fn ratings_make_a_running_mean() {
        let score = QualityScore::compute(&definition(&[]), &json!({}), false);
        assert_eq!(score.user_satisfaction, None);
        let rated = score.with_rating(5).with_rating(2);
        assert_eq!(rated.ratings_count, 2);
        assert_eq!(rated.user_satisfaction, Some(70.0));
    }

    #[test]
    fn entry_ids_are_stable_and_distinct_per_language() {
        assert_eq!(entry_id("allegro", Lang::En), entry_id("allegro", Lang::En));
        assert_ne!(entry_id("allegro", Lang::En), entry_id("allegro", Lang::Es));
        assert!(entry_id("allegro", Lang::En).starts_with("dict_"));
    }

    proptest! {
        #[test]
        fn normalisation_is_idempotent(input in "\\PC{0,40}") {
            let once = normalize_term(&input);
            prop_assert_eq!(normalize_term(&once), once.clone());
            prop_assert!(!once.starts_with(' ') && !once.ends_with(' '));
        }

        #[test]
        fn overall_stays_within_bounds(parts in proptest::sample::subsequence(vec!["detailed", "etymology", "pronunciation", "usage"], 0..=4), refs in 0usize..10) {
            let books: Vec<Value> = (0..refs).map(|_| json!({})).collect();
            let score = QualityScore::compute(&definition(&parts), &json!({"books": books}), false);
            prop_assert!(score.overall <= 100);
            prop_assert!(score.overall >= 43);
        }
    }
}
