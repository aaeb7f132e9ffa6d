//! The practice-data domain (repertoire, goals, piece names, plan templates, autocomplete):
//! the pure part of its REST endpoints.
//!
//! Every practice record is a synced document (`sync_data`), so these functions take and
//! return documents (`serde_json::Value`); the worker reads them from D1, calls in here, and
//! stores what comes back through the one merge rule. Server-authored writes carry
//! `updatedAt = now` and `version = stored version + 1`, so each REST change supersedes the
//! last even within one millisecond.

pub mod catalogue;
pub mod goals;
pub mod pieces;
pub mod repertoire;
pub mod templates;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::ApiError;
use crate::sync::EntityType;
use crate::sync::entities::{DocumentError, is_tombstone, normalize_document};
use crate::sync::merge::IncomingWrite;

/// The device id the server stamps its own writes with.
pub const SERVER_DEVICE: &str = "server";

/// An instant as stored in documents: ISO-8601, milliseconds, `Z`.
pub fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A document instant (ISO string or epoch milliseconds) as unix seconds, the unit the REST
/// answers use for times.
pub fn unix_seconds(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::String(text) => DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|at| at.timestamp()),
        Value::Number(number) => number
            .as_i64()
            .or_else(|| number.as_f64().map(|ms| ms as i64))
            .map(|ms| ms.div_euclid(1000)),
        _ => None,
    }
}

/// The stored version of a document (1 when it has none).
pub fn stored_version(stored: Option<&Value>) -> i64 {
    stored
        .and_then(|doc| doc.get("version"))
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

/// Stamps a server-authored write: `updatedAt = now`, `version = stored version + 1`.
pub fn stamp(doc: &mut Map<String, Value>, stored: Option<&Value>, now: DateTime<Utc>) {
    doc.insert("updatedAt".into(), iso(now).into());
    doc.insert("version".into(), (stored_version(stored) + 1).into());
}

/// The tombstone of a stored document: the document itself plus `deletedAt`, so a device
/// that missed the delete still knows what was deleted.
pub fn tombstone(stored: &Value, now: DateTime<Utc>) -> Value {
    let mut doc = stored.as_object().cloned().unwrap_or_default();
    stamp(&mut doc, Some(stored), now);
    doc.insert("deletedAt".into(), iso(now).into());
    Value::Object(doc)
}

/// Whether a document read from storage is live (not a tombstone).
pub fn is_live(doc: &Value) -> bool {
    doc.is_object() && !is_tombstone(doc)
}

/// A refused document as a 400 naming the field, in the shape of every validation error.
pub fn document_error(err: DocumentError) -> ApiError {
    ApiError::Validation {
        message: format!("Invalid request body: {} {}", err.field, err.message),
        details: Some(json!({ "fields": { err.field: [err.message] } })),
    }
}

/// Validates, normalises and stamps a server-built document for `apply_writes`.
pub fn prepare_write(entity: EntityType, doc: Value) -> Result<IncomingWrite, ApiError> {
    let doc = normalize_document(entity, doc).map_err(document_error)?;
    IncomingWrite::new(entity, &doc, SERVER_DEVICE)
        .ok_or_else(|| ApiError::internal(format!("{} document has no stamp", entity.as_str())))
}

/// A document field as a string.
pub(crate) fn text<'a>(doc: &'a Value, key: &str) -> Option<&'a str> {
    doc.get(key).and_then(Value::as_str)
}

/// A fresh server id: `<prefix>_<uuid v4, simple form>`.
/// A document's array field, or `[]` when it is absent or not an array.
pub(crate) fn array_or_empty(doc: &Value, key: &str) -> Value {
    doc.get(key)
        .filter(|value| value.is_array())
        .cloned()
        .unwrap_or_else(|| json!([]))
}

/// `validator` rule for tag-like lists: at most 100 strings of at most 100 characters.
pub(crate) fn short_strings(items: &[String]) -> Result<(), validator::ValidationError> {
    if items.len() > 100 || items.iter().any(|item| item.chars().count() > 100) {
        Err(validator::ValidationError::new("length")
            .with_message("must be at most 100 strings of at most 100 characters".into()))
    } else {
        Ok(())
    }
}

pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// A logbook entry's duration in minutes (0 when absent or malformed).
pub(crate) fn entry_minutes(entry: &Value) -> f64 {
    entry
        .get("duration")
        .and_then(Value::as_f64)
        .filter(|minutes| minutes.is_finite() && *minutes >= 0.0)
        .unwrap_or(0.0)
}

/// When a logbook entry's session happened, in unix seconds.
pub(crate) fn entry_time(entry: &Value) -> Option<i64> {
    unix_seconds(entry.get("timestamp"))
}

/// Whether an entry is about the given score: its `scoreId`, or the id of one of its pieces.
pub fn entry_links_score(entry: &Value, score_id: &str) -> bool {
    text(entry, "scoreId") == Some(score_id)
        || entry
            .get("pieces")
            .and_then(Value::as_array)
            .is_some_and(|pieces| pieces.iter().any(|p| text(p, "id") == Some(score_id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_seconds_reads_iso_and_epoch_ms() {
        assert_eq!(
            unix_seconds(Some(&json!("2026-03-01T00:00:01.500Z"))),
            Some(1_772_323_201)
        );
        assert_eq!(
            unix_seconds(Some(&json!(1_772_323_201_500_i64))),
            Some(1_772_323_201)
        );
        assert_eq!(unix_seconds(Some(&json!(true))), None);
        assert_eq!(unix_seconds(None), None);
    }

    #[test]
    fn tombstones_keep_the_document_and_bump_the_version() {
        let now = DateTime::from_timestamp(1_772_323_200, 0).unwrap();
        let stored = json!({"id": "g1", "title": "T", "version": 3, "updatedAt": "2026-01-01T00:00:00.000Z"});
        let dead = tombstone(&stored, now);
        assert_eq!(dead["title"], "T");
        assert_eq!(dead["version"], 4);
        assert_eq!(dead["deletedAt"], "2026-03-01T00:00:00.000Z");
        assert_eq!(dead["updatedAt"], dead["deletedAt"]);
        assert!(!is_live(&dead));
        assert!(is_live(&stored));
    }

    #[test]
    fn entries_link_by_score_id_or_piece_id() {
        let entry = json!({"scoreId": "a-b", "pieces": [{"id": "c-d"}]});
        assert!(entry_links_score(&entry, "a-b"));
        assert!(entry_links_score(&entry, "c-d"));
        assert!(!entry_links_score(&entry, "e-f"));
    }

    #[test]
    fn new_ids_are_prefixed_and_unique() {
        let (a, b) = (new_id("goal"), new_id("goal"));
        assert!(a.starts_with("goal_") && a.len() == 37, "{a}");
        assert_ne!(a, b);
    }
}

/// Tells "absent" (`None`) from "null" (`Some(None)`) in partial updates, where null clears.
pub fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}

/// A JSON number that prints as an integer when it is whole (minutes summed from entries).
pub(crate) fn number(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() < 9e15 {
        json!(value as i64)
    } else {
        json!((value * 100.0).round() / 100.0)
    }
}

/// Decodes a percent-encoded path segment (score ids hold spaces, `|`, quotes…); `None` when
/// the escapes are malformed or the bytes are not UTF-8.
pub fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = segment.get(index + 1..index + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod helper_tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(
            percent_decode("clair%20de%20lune-debussy").as_deref(),
            Some("clair de lune-debussy")
        );
        assert_eq!(percent_decode("a%7C%7Cb").as_deref(), Some("a||b"));
        assert_eq!(percent_decode("caf%C3%A9").as_deref(), Some("café"));
        assert_eq!(percent_decode("bad%2"), None);
        assert_eq!(percent_decode("bad%zz"), None);
    }

    #[test]
    fn whole_numbers_print_as_integers() {
        assert_eq!(number(30.0), json!(30));
        assert_eq!(number(12.5), json!(12.5));
    }
}

#[cfg(test)]
mod validation_tests {
    use super::*;

    #[test]
    fn validation_errors_name_fields_in_camel_case() {
        let body: templates::AdoptRequest = serde_json::from_value(json!({
            "templateId": "", "customization": {"schedule": {"timeOfDay": "25:00"}}
        }))
        .unwrap();
        let errors = validator::Validate::validate(&body).unwrap_err();
        let ApiError::Validation { message, details } = crate::input::validation_error(errors)
        else {
            panic!("not a validation error");
        };
        let fields = &details.unwrap()["fields"];
        assert!(fields.get("templateId").is_some(), "{fields}");
        assert!(
            fields.get("customization.schedule.timeOfDay").is_some(),
            "{fields}"
        );
        assert!(message.contains("templateId"), "{message}");
    }
}
