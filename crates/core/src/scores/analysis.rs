//! Score metadata from Workers AI, where the `AI` binding is configured: the model reads what
//! the local PDF inspection found (info dictionary and the first page's text) and names the
//! title, composer and opus. Its answer, once checked, ranks above the PDF's own metadata but
//! below what the user typed (`scores::title`). Without the binding the local inspection
//! stands alone.

use serde::Deserialize;

use crate::dictionary::generate::{AnswerError, ChatRequest, filled, json_object};
use crate::scores::pdf::PdfFacts;

/// The model asked first, and the one tried when it does not answer.
pub const METADATA_MODELS: [&str; 2] = [
    "@cf/meta/llama-3.1-8b-instruct",
    "@cf/meta/llama-3.2-3b-instruct",
];

/// Characters of page text sent: a title page rarely needs more.
const PAGE_TEXT_CHARS: usize = 1500;
const FIELD_MAX_CHARS: usize = 200;

const LIBRARIAN: &str = "You are a music librarian cataloguing sheet music. From what a PDF \
says about itself, you name the piece. You answer with one JSON object and nothing else.";

/// Asks for the title, composer and opus of the score `facts` describe.
pub fn metadata_request(facts: &PdfFacts) -> ChatRequest {
    let field = |value: &Option<String>| value.as_deref().unwrap_or("(none)").to_string();
    let page_text: String = facts
        .first_page_text
        .as_deref()
        .unwrap_or("(none)")
        .chars()
        .take(PAGE_TEXT_CHARS)
        .collect();
    ChatRequest::new(
        LIBRARIAN,
        format!(
            "PDF title: {}\nPDF author: {}\nPDF subject: {}\nText of page 1:\n{page_text}\n\n\
             Answer with a JSON object with the keys \"title\" (the piece's title without the \
             composer), \"composer\" (the composer's full name), \"opus\" (the catalogue number \
             such as \"Op. 28 No. 4\" or \"BWV 846\"). Use null for what the text does not say; \
             do not guess.",
            field(&facts.title),
            field(&facts.author),
            field(&facts.subject)
        ),
    )
}

/// What the model named, each field checked (null, blank, placeholder or overlong → `None`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuggestedMetadata {
    pub title: Option<String>,
    pub composer: Option<String>,
    pub opus: Option<String>,
}

#[derive(Deserialize)]
struct RawMetadata {
    title: Option<String>,
    composer: Option<String>,
    opus: Option<String>,
}

fn usable(value: Option<String>) -> Option<String> {
    filled(value).filter(|text| {
        let lowered = text.to_lowercase();
        text.chars().count() <= FIELD_MAX_CHARS
            && !["unknown", "null", "none", "n/a", "anonymous"].contains(&lowered.as_str())
    })
}

/// Reads a model's answer to [`metadata_request`].
pub fn parse_metadata(answer: &str) -> Result<SuggestedMetadata, AnswerError> {
    let raw: RawMetadata = serde_json::from_str(json_object(answer)?)
        .map_err(|err| AnswerError::Shape(err.to_string()))?;
    let suggested = SuggestedMetadata {
        title: usable(raw.title),
        composer: usable(raw.composer),
        opus: usable(raw.opus),
    };
    if suggested == SuggestedMetadata::default() {
        return Err(AnswerError::Invalid("the answer names nothing".into()));
    }
    Ok(suggested)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> PdfFacts {
        PdfFacts {
            page_count: 2,
            title: Some("prelude_e_minor.pdf".into()),
            author: None,
            subject: None,
            first_page_text: Some("Prelude in E minor Op. 28 No. 4 Frédéric Chopin Largo".into()),
            first_page_heading: Some("Prelude in E minor".into()),
        }
    }

    #[test]
    fn the_request_carries_what_the_pdf_says_and_asks_for_json() {
        let request = metadata_request(&facts());
        let user = &request.messages[1].content;
        assert!(user.contains("PDF title: prelude_e_minor.pdf"));
        assert!(user.contains("PDF author: (none)"));
        assert!(user.contains("Frédéric Chopin"));
        assert!(request.messages[0].content.contains("JSON"));
        let long = PdfFacts {
            first_page_text: Some("x".repeat(10_000)),
            ..facts()
        };
        assert!(metadata_request(&long).messages[1].content.len() < 2_500);
    }

    #[test]
    fn answers_are_read_from_prose_and_placeholders_dropped() {
        let answer = "Here you go:\n```json\n{\"title\": \"Prelude in E minor\", \"composer\": \"Frédéric Chopin\", \"opus\": \"Op. 28 No. 4\"}\n```";
        assert_eq!(
            parse_metadata(answer).unwrap(),
            SuggestedMetadata {
                title: Some("Prelude in E minor".into()),
                composer: Some("Frédéric Chopin".into()),
                opus: Some("Op. 28 No. 4".into()),
            }
        );
        let partial =
            parse_metadata(r#"{"title": " Lagrima ", "composer": "Unknown", "opus": null}"#)
                .unwrap();
        assert_eq!(partial.title.as_deref(), Some("Lagrima"));
        assert_eq!(partial.composer, None);
    }

    #[test]
    fn malformed_or_empty_answers_are_refused() {
        assert!(matches!(
            parse_metadata("I cannot tell."),
            Err(AnswerError::NoJson)
        ));
        assert!(matches!(
            parse_metadata(r#"{"title": 42}"#),
            Err(AnswerError::Shape(_))
        ));
        assert!(matches!(
            parse_metadata(r#"{"title": null, "composer": "N/A", "opus": ""}"#),
            Err(AnswerError::Invalid(_))
        ));
        let overlong = format!(r#"{{"title": "{}", "composer": "Bach"}}"#, "a".repeat(300));
        assert_eq!(parse_metadata(&overlong).unwrap().title, None);
    }
}
