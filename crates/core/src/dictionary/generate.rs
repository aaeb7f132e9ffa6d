//! Workers AI content: the prompts that ask a model to define or improve a term (models and
//! prompts per the map), the checks a model's answer must pass before it becomes an entry,
//! and the daily token budget. Pure: the worker only sends the request and hands back the
//! answer text.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use validator::Validate;

use super::{Definition, Entry, Lang, TermType};
use crate::dictionary::entry::Pronunciation;

/// Writes new definitions.
pub const DEFINITION_MODEL: &str = "@cf/meta/llama-3.1-8b-instruct";
/// Tried when the definition model fails.
pub const FALLBACK_MODEL: &str = "@cf/meta/llama-3.2-3b-instruct";
/// Improves existing low-quality entries.
pub const ENHANCEMENT_MODEL: &str = "@cf/meta/llama-3.3-70b-instruct-fp8-fast";

const MAX_TOKENS: u32 = 1500;
const TEMPERATURE: f32 = 0.7;
/// The longest concise definition accepted (the prompt asks for at most 200 characters; a
/// little slack keeps a good answer from failing on a few characters).
const CONCISE_MAX_CHARS: usize = 240;
/// The budget is spent only up to this share, so one long answer cannot overrun it.
const BUDGET_SHARE_PERCENT: i64 = 90;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub role: &'static str,
    pub content: String,
}

/// A Workers AI text-generation request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatRequest {
    pub messages: Vec<Message>,
    pub max_tokens: u32,
    pub temperature: f32,
}

impl ChatRequest {
    pub(crate) fn new(system: &str, user: String) -> Self {
        Self {
            messages: vec![
                Message {
                    role: "system",
                    content: system.to_string(),
                },
                Message {
                    role: "user",
                    content: user,
                },
            ],
            max_tokens: MAX_TOKENS,
            temperature: TEMPERATURE,
        }
    }

    /// Tokens the request may cost at most: its text (about 4 characters a token) and the
    /// longest answer it allows.
    pub fn token_estimate(&self) -> i64 {
        let text: usize = self
            .messages
            .iter()
            .map(|message| message.content.chars().count())
            .sum();
        text.div_ceil(4) as i64 + i64::from(self.max_tokens)
    }
}

const EDITOR: &str = "You are a professional music dictionary editor. You write accurate, \
neutral definitions of musical terms for students and performers. You answer with one JSON \
object and nothing else.";

const SHAPE: &str = "Answer with a JSON object with these keys: \
\"type\" (one of tempo, dynamics, articulation, ornament, form, genre, instrument, technique, \
theory, composer, period, notation, general), \
\"concise\" (one sentence, at most 200 characters), \
\"detailed\" (200 to 800 characters), \
\"etymology\" (origin language and literal meaning, or null if unknown), \
\"pronunciation\" ({\"ipa\", \"syllables\", \"stress_pattern\"}, or null), \
\"usage_example\" (a sentence using the term, or null).";

fn language_name(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "English",
        Lang::Es => "Spanish",
        Lang::Fr => "French",
        Lang::De => "German",
        Lang::ZhCn => "Simplified Chinese",
        Lang::ZhTw => "Traditional Chinese",
    }
}

/// Asks for a new definition of `term` in `lang`.
pub fn definition_request(term: &str, kind: Option<TermType>, lang: Lang) -> ChatRequest {
    let hint = match kind {
        Some(kind) if kind != TermType::General => {
            format!(" It is a {} term.", kind.as_str())
        }
        _ => String::new(),
    };
    ChatRequest::new(
        EDITOR,
        format!(
            "Define the musical term \"{term}\".{hint} Write every text value in {}. {SHAPE}",
            language_name(lang)
        ),
    )
}

/// Asks for a better version of an existing entry (fuller, clearer, still accurate).
pub fn enhancement_request(entry: &Entry) -> ChatRequest {
    let current = serde_json::json!({
        "type": entry.kind,
        "concise": entry.definition.concise,
        "detailed": entry.definition.detailed,
        "etymology": entry.definition.etymology,
        "pronunciation": entry.definition.pronunciation,
        "usage_example": entry.definition.usage_example,
    });
    ChatRequest::new(
        EDITOR,
        format!(
            "Improve this dictionary entry for the musical term \"{}\": correct any error, \
             fill in missing parts, keep what is right. Write every text value in {}. \
             Current entry: {current} {SHAPE}",
            entry.term,
            language_name(entry.lang)
        ),
    )
}

/// Why a model's answer was not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("the answer holds no JSON object")]
    NoJson,
    #[error("the answer is not a definition: {0}")]
    Shape(String),
    #[error("the definition is unusable: {0}")]
    Invalid(String),
}

/// The text of a Workers AI answer's `response`: models in JSON mode give an object.
pub fn answer_text(response: &Value) -> String {
    match response {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[derive(Deserialize)]
struct RawPronunciation {
    ipa: Option<String>,
    syllables: Option<Value>,
    stress_pattern: Option<Value>,
}

#[derive(Deserialize)]
struct RawAnswer {
    #[serde(rename = "type")]
    kind: Option<String>,
    concise: String,
    detailed: Option<String>,
    etymology: Option<String>,
    pronunciation: Option<RawPronunciation>,
    usage_example: Option<String>,
}

/// A definition the model wrote, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    pub kind: TermType,
    pub definition: Definition,
}

/// The JSON object of an answer, which models wrap in prose or code fences at times.
/// The outermost `{…}` of a model's answer (models wrap JSON in prose or code fences).
pub(crate) fn json_object(answer: &str) -> Result<&str, AnswerError> {
    let start = answer.find('{').ok_or(AnswerError::NoJson)?;
    let end = answer.rfind('}').ok_or(AnswerError::NoJson)?;
    answer.get(start..=end).ok_or(AnswerError::NoJson)
}

pub(crate) fn filled(text: Option<String>) -> Option<String> {
    text.map(|text| text.trim().to_string())
        .filter(|text| !text.is_empty())
}

/// Syllables come as `"al-le-gro"` or `["al", "le", "gro"]`.
fn syllable_text(value: Option<Value>) -> Option<String> {
    match value? {
        Value::String(text) => filled(Some(text)),
        Value::Array(parts) => filled(Some(
            parts
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("-"),
        )),
        _ => None,
    }
}

/// Reads and checks a model's definition. The type is `asked` when the caller knew it, else
/// the model's, else `general`.
pub fn parse_definition(answer: &str, asked: Option<TermType>) -> Result<Generated, AnswerError> {
    let raw: RawAnswer = serde_json::from_str(json_object(answer)?)
        .map_err(|err| AnswerError::Shape(err.to_string()))?;
    let concise = raw.concise.trim().to_string();
    if concise.is_empty() {
        return Err(AnswerError::Invalid(
            "the concise definition is empty".into(),
        ));
    }
    if concise.chars().count() > CONCISE_MAX_CHARS {
        return Err(AnswerError::Invalid(format!(
            "the concise definition is longer than {CONCISE_MAX_CHARS} characters"
        )));
    }
    let pronunciation = raw.pronunciation.and_then(|raw| {
        Some(Pronunciation {
            ipa: filled(raw.ipa)?,
            syllables: syllable_text(raw.syllables),
            stress_pattern: syllable_text(raw.stress_pattern),
        })
    });
    let definition = Definition {
        concise,
        detailed: filled(raw.detailed),
        etymology: filled(raw.etymology),
        pronunciation,
        usage_example: filled(raw.usage_example),
        translations: Default::default(),
    };
    definition
        .validate()
        .map_err(|err| AnswerError::Invalid(err.to_string()))?;
    let kind = match asked {
        Some(kind) if kind != TermType::General => kind,
        _ => raw
            .kind
            .as_deref()
            .and_then(|kind| TermType::parse(kind.trim()).ok())
            .unwrap_or(TermType::General),
    };
    Ok(Generated { kind, definition })
}

/// An enhanced definition, if it is at least as complete as the current one: what the model
/// left out is kept from the current definition, and so are the translated names (the model
/// is not asked for them).
pub fn merge_enhancement(current: &Definition, enhanced: Definition) -> Option<Definition> {
    let merged = Definition {
        concise: enhanced.concise,
        detailed: enhanced.detailed.or_else(|| current.detailed.clone()),
        etymology: enhanced.etymology.or_else(|| current.etymology.clone()),
        pronunciation: enhanced
            .pronunciation
            .or_else(|| current.pronunciation.clone()),
        usage_example: enhanced
            .usage_example
            .or_else(|| current.usage_example.clone()),
        translations: current.translations.clone(),
    };
    (merged.completeness() >= current.completeness() && merged != *current).then_some(merged)
}

/// Whether a request estimated at `next` tokens still fits today's `budget`, `used` spent.
pub fn within_budget(budget: i64, used: i64, next: i64) -> bool {
    used + next <= budget * BUDGET_SHARE_PERCENT / 100
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dictionary::entry::QualityScore;
    use serde_json::json;

    const GOOD: &str = r#"{"type": "tempo", "concise": "A fast, lively tempo.",
        "detailed": "Allegro indicates a brisk tempo, usually between 120 and 156 beats per minute.",
        "etymology": "Italian, 'cheerful'", "pronunciation": {"ipa": "/əˈlɛɡroʊ/",
        "syllables": ["al", "le", "gro"], "stress_pattern": "weak-strong-weak"},
        "usage_example": "The first movement is marked allegro."}"#;

    #[test]
    fn a_good_answer_becomes_a_definition() {
        let generated = parse_definition(GOOD, None).unwrap();
        assert_eq!(generated.kind, TermType::Tempo);
        assert_eq!(generated.definition.concise, "A fast, lively tempo.");
        let pronunciation = generated.definition.pronunciation.as_ref().unwrap();
        assert_eq!(pronunciation.syllables.as_deref(), Some("al-le-gro"));
        assert_eq!(generated.definition.completeness(), 100);
    }

    #[test]
    fn prose_and_code_fences_around_the_json_are_ignored() {
        let wrapped = format!("Here is the entry:\n```json\n{GOOD}\n```\nHope this helps!");
        assert_eq!(
            parse_definition(&wrapped, None),
            parse_definition(GOOD, None)
        );
    }

    #[test]
    fn the_asked_type_wins_and_unknown_types_are_general() {
        let answer = r#"{"type": "banana", "concise": "A rapid alternation of two notes."}"#;
        assert_eq!(
            parse_definition(answer, None).unwrap().kind,
            TermType::General
        );
        assert_eq!(
            parse_definition(answer, Some(TermType::Technique))
                .unwrap()
                .kind,
            TermType::Technique
        );
        assert_eq!(
            parse_definition(GOOD, Some(TermType::General))
                .unwrap()
                .kind,
            TermType::Tempo
        );
    }

    #[test]
    fn empty_parts_are_absent_and_a_pronunciation_needs_ipa() {
        let answer = r#"{"concise": "Soft.", "detailed": "  ", "etymology": null,
            "pronunciation": {"ipa": "", "syllables": "pia-no"}, "usage_example": ""}"#;
        let definition = parse_definition(answer, None).unwrap().definition;
        assert_eq!(definition.detailed, None);
        assert_eq!(definition.pronunciation, None);
        assert_eq!(definition.usage_example, None);
        assert_eq!(definition.completeness(), 30);
    }

    #[test]
    fn malformed_answers_are_refused() {
        assert_eq!(
            parse_definition("I cannot help with that.", None),
            Err(AnswerError::NoJson)
        );
        assert!(matches!(
            parse_definition(r#"{"concise": "cut off"#, None),
            Err(AnswerError::NoJson)
        ));
        assert!(matches!(
            parse_definition(r#"{"definition": "no concise key"}"#, None),
            Err(AnswerError::Shape(_))
        ));
        assert!(matches!(
            parse_definition(r#"{"concise": 42}"#, None),
            Err(AnswerError::Shape(_))
        ));
        assert!(matches!(
            parse_definition(r#"{"concise": "   "}"#, None),
            Err(AnswerError::Invalid(_))
        ));
        let long = json!({"concise": "x".repeat(CONCISE_MAX_CHARS + 1)}).to_string();
        assert!(matches!(
            parse_definition(&long, None),
            Err(AnswerError::Invalid(_))
        ));
        let huge = json!({"concise": "Fine.", "detailed": "x".repeat(5000)}).to_string();
        assert!(matches!(
            parse_definition(&huge, None),
            Err(AnswerError::Invalid(_))
        ));
    }

    #[test]
    fn answers_in_json_mode_are_read_as_text() {
        assert_eq!(answer_text(&json!("{\"a\":1}")), "{\"a\":1}");
        assert_eq!(answer_text(&json!({"a": 1})), "{\"a\":1}");
    }

    #[test]
    fn prompts_name_the_term_language_and_shape() {
        let request = definition_request("rubato", Some(TermType::Technique), Lang::ZhTw);
        assert_eq!(request.messages[0].role, "system");
        let user = &request.messages[1].content;
        assert!(user.contains("\"rubato\""));
        assert!(user.contains("technique term"));
        assert!(user.contains("Traditional Chinese"));
        assert!(user.contains("\"concise\""));
        let general = definition_request("rubato", Some(TermType::General), Lang::En);
        assert!(!general.messages[1].content.contains("general term"));
        assert!(request.token_estimate() > i64::from(MAX_TOKENS));
    }

    fn entry(definition: Definition) -> Entry {
        Entry {
            id: "allegro:en".into(),
            term: "allegro".into(),
            normalized_term: "allegro".into(),
            lang: Lang::En,
            source_lang: Some("it".into()),
            lang_confidence: 1.0,
            kind: TermType::Tempo,
            quality_score: QualityScore::compute(&definition, &json!({}), false),
            definition,
            references: json!({}),
            metadata: json!({}),
            created_at: String::new(),
            updated_at: String::new(),
            version: 1,
        }
    }

    #[test]
    fn enhancement_prompts_carry_the_current_entry() {
        let current = parse_definition(r#"{"concise": "Fast."}"#, None)
            .unwrap()
            .definition;
        let user = &enhancement_request(&entry(current)).messages[1].content;
        assert!(user.contains("\"allegro\""));
        assert!(user.contains("\"concise\":\"Fast.\""));
        assert!(user.contains("English"));
    }

    #[test]
    fn enhancements_keep_what_they_omit_and_never_lose_completeness() {
        let mut current = parse_definition(
            r#"{"concise": "Fast.", "etymology": "Italian, 'cheerful'"}"#,
            None,
        )
        .unwrap()
        .definition;
        current.translations.insert(Lang::Fr, "allègrement".into());
        let enhanced = parse_definition(GOOD, None).unwrap().definition;
        let merged = merge_enhancement(&current, enhanced).unwrap();
        assert_eq!(merged.completeness(), 100);
        assert_eq!(merged.translations, current.translations);

        let sparse = parse_definition(r#"{"concise": "Quick."}"#, None)
            .unwrap()
            .definition;
        let kept = merge_enhancement(&current, sparse).unwrap();
        assert_eq!(kept.etymology, current.etymology);
        assert_eq!(kept.concise, "Quick.");

        let same = current.clone();
        assert_eq!(merge_enhancement(&current, same), None);
    }

    #[test]
    fn the_budget_keeps_a_tenth_in_reserve() {
        assert!(within_budget(4500, 0, 4050));
        assert!(!within_budget(4500, 0, 4051));
        assert!(!within_budget(4500, 4000, 100));
        assert!(!within_budget(0, 0, 1));
    }
}
