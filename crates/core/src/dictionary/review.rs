//! What stands between a Workers AI answer and a public dictionary page: the review gate a
//! generated entry must pass to be published without an administrator, and each user's daily
//! allowance of generations.
//!
//! A model can return every field and still be wrong, empty of meaning, a refusal, or carry
//! a link. The gate is therefore about content, not presence: anything it doubts goes to the
//! review queue, where only an administrator's approval publishes it.

use chrono::{DateTime, Duration, Utc};

use super::{Definition, normalize_term};
use crate::ApiError;

/// The var with each user's daily number of AI generations.
pub const DAILY_GENERATIONS_VAR: &str = "AI_DAILY_GENERATIONS_PER_USER";
/// Generations per user and UTC day when the var is not set.
pub const DEFAULT_DAILY_GENERATIONS: u64 = 10;

/// Shortest and longest concise definition published unreviewed (characters).
const CONCISE_CHARS: std::ops::RangeInclusive<usize> = 20..=300;
/// Least words of the concise and of the detailed definition.
const CONCISE_WORDS: usize = 4;
const DETAILED_WORDS: usize = 15;

/// Phrases of refusals, disclaimers, placeholders and chatter, never in a real definition.
const SUSPECT_PHRASES: &[&str] = &[
    "as an ai",
    "language model",
    "i'm sorry",
    "i am sorry",
    "i cannot",
    "i can't",
    "i don't know",
    "not a musical term",
    "not a recognized",
    "no information",
    "lorem ipsum",
    "placeholder",
    "todo",
    "n/a",
    "example.com",
    "here is",
    "json",
];

/// Why a generated definition is not published without review; empty when it passes.
pub fn review_gate(term: &str, definition: &Definition) -> Vec<String> {
    let mut reasons = Vec::new();
    let concise = definition.concise.trim();
    let detailed = definition.detailed.as_deref().map(str::trim).unwrap_or("");
    let example = definition
        .usage_example
        .as_deref()
        .map(str::trim)
        .unwrap_or("");
    let words = |text: &str| text.split_whitespace().count();

    if !CONCISE_CHARS.contains(&concise.chars().count()) || words(concise) < CONCISE_WORDS {
        reasons.push("the concise definition is not a short sentence".to_string());
    }
    if words(detailed) < DETAILED_WORDS {
        reasons.push("the detailed definition is missing or too short".to_string());
    }
    let key = normalize_term(term);
    if normalize_term(concise) == key || normalize_term(detailed) == normalize_term(concise) {
        reasons.push("the definition only repeats the term or itself".to_string());
    }
    if example.is_empty() || !normalize_term(example).contains(&key) {
        reasons.push("the usage example does not use the term".to_string());
    }
    let texts = [
        concise,
        detailed,
        example,
        definition.etymology.as_deref().unwrap_or(""),
    ];
    let all = texts.join("\n").to_lowercase();
    if let Some(phrase) = SUSPECT_PHRASES.iter().find(|phrase| all.contains(*phrase)) {
        reasons.push(format!("the text contains {phrase:?}"));
    }
    if ["http://", "https://", "www.", "<", ">", "{", "}", "```"]
        .iter()
        .any(|mark| all.contains(mark))
    {
        reasons.push("the text contains links or markup".to_string());
    }
    let mostly_words = |text: &str| {
        let letters = text.chars().filter(|c| c.is_alphabetic()).count();
        let visible = text.chars().filter(|c| !c.is_whitespace()).count();
        letters * 10 >= visible * 7
    };
    if !mostly_words(concise) || !mostly_words(detailed) {
        reasons.push("the text is mostly not words".to_string());
    }
    reasons
}

/// Admits a user's generation when `used` (generations already counted today, this one
/// included) is within `limit`; else the 429 that names the limit and waits until the next
/// UTC day.
pub fn admit_generation(used: u64, limit: u64, now: DateTime<Utc>) -> Result<(), ApiError> {
    if used <= limit {
        return Ok(());
    }
    let tomorrow = (now + Duration::days(1))
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|midnight| midnight.and_utc())
        .unwrap_or(now + Duration::days(1));
    Err(ApiError::DailyLimit {
        what: "AI generation",
        limit,
        retry_after_secs: (tomorrow - now).num_seconds().max(1) as u64,
    })
}

/// The configured daily generations per user: a whole number, else the default.
pub fn daily_generations(raw: Option<&str>) -> u64 {
    raw.and_then(|raw| raw.trim().parse::<u64>().ok())
        .unwrap_or(DEFAULT_DAILY_GENERATIONS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn good() -> Definition {
        Definition {
            concise: "A slow and broad tempo, slower than andante.".into(),
            detailed: Some(
                "Largo asks the performer for a very slow, dignified pace with a broad, singing \
                 tone; it is slower than adagio in most eighteenth-century usage."
                    .into(),
            ),
            etymology: Some("Italian largo, broad.".into()),
            pronunciation: None,
            usage_example: Some("The famous Largo from Handel's Serse is often sung.".into()),
            translations: Default::default(),
        }
    }

    #[test]
    fn a_full_sensible_definition_passes() {
        assert_eq!(review_gate("largo", &good()), Vec::<String>::new());
    }

    #[test]
    fn fields_present_are_not_enough() {
        let mut thin = good();
        thin.concise = "Largo.".into();
        thin.detailed = Some("Largo.".into());
        assert!(review_gate("largo", &thin).len() >= 2);

        let mut refusal = good();
        refusal.detailed = Some(
            "I'm sorry, but as an AI I do not have reliable information about this term in \
             music so I cannot define it with confidence here."
                .into(),
        );
        assert!(!review_gate("largo", &refusal).is_empty());

        let mut link = good();
        link.etymology = Some("See https://spam.example for more".into());
        assert!(!review_gate("largo", &link).is_empty());

        let mut off_topic = good();
        off_topic.usage_example = Some("Play this passage slowly.".into());
        assert!(!review_gate("largo", &off_topic).is_empty());

        let mut noise = good();
        noise.concise = "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17".into();
        assert!(!review_gate("largo", &noise).is_empty());
    }

    #[test]
    fn the_daily_generation_limit_waits_for_the_next_utc_day() {
        let now = Utc.with_ymd_and_hms(2026, 12, 3, 23, 0, 0).unwrap();
        assert!(admit_generation(10, 10, now).is_ok());
        let refused = admit_generation(11, 10, now).unwrap_err();
        assert_eq!(refused.status(), 429);
        assert_eq!(refused.headers(), vec![("Retry-After", "3600".to_string())]);
        let envelope = serde_json::to_value(refused.envelope()).unwrap();
        assert_eq!(envelope["code"], "RATE_LIMITED");
        assert_eq!(envelope["details"]["limit"], 10);
        assert!(
            envelope["error"]
                .as_str()
                .unwrap()
                .contains("AI generation")
        );
        assert_eq!(daily_generations(Some(" 3 ")), 3);
        assert_eq!(daily_generations(Some("lots")), DEFAULT_DAILY_GENERATIONS);
        assert_eq!(daily_generations(None), DEFAULT_DAILY_GENERATIONS);
    }
}
