//! Repertoire: the pieces a musician is working on, one `repertoire_item` document per score
//! (entity id = normalised score id), with practice figures derived from logbook entries.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use super::{
    array_or_empty, double_option, entry_links_score, entry_minutes, entry_time, is_live, iso,
    number, stamp, text, unix_seconds,
};
use crate::ApiError;
use crate::score_id::normalize_existing_score_id;

/// Statuses the REST endpoints accept: the api's and the app's sets together.
pub const STATUSES: [&str; 6] = [
    "planned",
    "learning",
    "working",
    "polished",
    "performance_ready",
    "dropped",
];
/// Recent sessions in a stats answer.
pub const RECENT_SESSIONS: usize = 50;
/// Status-history records kept per item (newest).
const MAX_HISTORY: usize = 200;

fn valid_status(status: &str) -> Result<(), ValidationError> {
    if STATUSES.contains(&status.trim().to_lowercase().as_str()) {
        Ok(())
    } else {
        Err(ValidationError::new("status")
            .with_message(format!("must be one of {}", STATUSES.join(", ")).into()))
    }
}

fn http_links(links: &[String]) -> Result<(), ValidationError> {
    let bad = links.len() > 20
        || links.iter().any(|link| {
            let lower = link.to_ascii_lowercase();
            !(lower.starts_with("http://") || lower.starts_with("https://"))
                || link.len() > 2048
                || link.chars().any(char::is_whitespace)
        });
    if bad {
        Err(ValidationError::new("url")
            .with_message("must be at most 20 http(s) URLs without spaces".into()))
    } else {
        Ok(())
    }
}

/// `POST /api/repertoire`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddRepertoireRequest {
    #[validate(length(min = 1, max = 1000, message = "must be 1 to 1000 characters"))]
    pub score_id: String,
    #[validate(custom(function = "valid_status"))]
    pub status: Option<String>,
    #[validate(range(min = 1, max = 5, message = "must be an integer from 1 to 5"))]
    pub difficulty_rating: Option<i64>,
    #[validate(length(max = 10000, message = "must be at most 10000 characters"))]
    pub personal_notes: Option<String>,
    #[validate(custom(function = "http_links"))]
    pub reference_links: Option<Vec<String>>,
}

/// `PUT /api/repertoire/{scoreId}`: every field optional; `null` clears a rating or notes.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateRepertoireRequest {
    #[validate(custom(function = "valid_status"))]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(range(min = 1, max = 5, message = "must be an integer from 1 to 5"))]
    #[schema(value_type = Option<i64>)]
    pub difficulty_rating: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 10000, message = "must be at most 10000 characters"))]
    #[schema(value_type = Option<String>)]
    pub personal_notes: Option<Option<String>>,
    #[validate(custom(function = "http_links"))]
    pub reference_links: Option<Vec<String>>,
}

impl UpdateRepertoireRequest {
    pub fn is_empty(&self) -> bool {
        self.status.is_none()
            && self.difficulty_rating.is_none()
            && self.personal_notes.is_none()
            && self.reference_links.is_none()
    }
}

/// The score id a path or body names, normalised as stored.
pub fn item_id(score_id: &str) -> String {
    normalize_existing_score_id(score_id.trim())
}

/// The document of a newly added item. `stored` is what storage holds under its id (a
/// tombstone may be there: re-adding revives it); a live item is a 409.
pub fn new_item(
    request: &AddRepertoireRequest,
    stored: Option<&Value>,
    now: DateTime<Utc>,
) -> Result<Value, ApiError> {
    if stored.is_some_and(is_live) {
        return Err(ApiError::Conflict(
            "This piece is already in your repertoire".into(),
        ));
    }
    let id = item_id(&request.score_id);
    if id.is_empty() {
        return Err(ApiError::validation("scoreId must not be blank"));
    }
    let status = request
        .status
        .as_deref()
        .map_or("planned".to_owned(), |s| s.trim().to_lowercase());
    let mut doc = Map::new();
    doc.insert("id".into(), id.clone().into());
    doc.insert("scoreId".into(), id.into());
    doc.insert("status".into(), status.into());
    doc.insert("difficultyRating".into(), json!(request.difficulty_rating));
    doc.insert("personalNotes".into(), json!(request.personal_notes));
    doc.insert(
        "referenceLinks".into(),
        json!(request.reference_links.clone().unwrap_or_default()),
    );
    doc.insert("statusHistory".into(), json!([]));
    doc.insert("createdAt".into(), iso(now).into());
    stamp(&mut doc, stored, now);
    Ok(Value::Object(doc))
}

/// Applies an update to a live item. A status change is recorded twice: structured in
/// `statusHistory` (`{from, to, at}`), and as the `[STATUS_CHANGE:<ISO>:<old>:<new>]` line the
/// original appended to `personalNotes`, which older clients parse.
pub fn apply_update(
    stored: &Value,
    request: &UpdateRepertoireRequest,
    now: DateTime<Utc>,
) -> Value {
    let mut doc = stored.as_object().cloned().unwrap_or_default();
    if let Some(rating) = request.difficulty_rating {
        doc.insert("difficultyRating".into(), json!(rating));
    }
    if let Some(notes) = &request.personal_notes {
        doc.insert("personalNotes".into(), json!(notes));
    }
    if let Some(links) = &request.reference_links {
        doc.insert("referenceLinks".into(), json!(links));
    }
    if let Some(status) = &request.status {
        let new = status.trim().to_lowercase();
        let old = text(stored, "status").unwrap_or("planned").to_owned();
        if new != old {
            let at = iso(now);
            let mut history = doc
                .get("statusHistory")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            history.push(json!({ "from": old, "to": new, "at": at }));
            let excess = history.len().saturating_sub(MAX_HISTORY);
            history.drain(..excess);
            doc.insert("statusHistory".into(), Value::Array(history));
            let notes = doc
                .get("personalNotes")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let notes = format!("{notes}\n[STATUS_CHANGE:{at}:{old}:{new}]");
            doc.insert("personalNotes".into(), notes.into());
        }
        doc.insert("status".into(), new.into());
    }
    stamp(&mut doc, Some(stored), now);
    Value::Object(doc)
}

/// Practice figures of one score, from the user's logbook entries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PracticeStats {
    pub practice_count: usize,
    /// Minutes (entries record their duration in minutes).
    pub total_minutes: f64,
    pub first_practiced: Option<i64>,
    pub last_practiced: Option<i64>,
    /// Newest first: `{id, timestamp, duration, notes}`.
    pub recent_sessions: Vec<Value>,
}

/// The figures of the entries about `score_id` (by `scoreId` or a piece id). Deleted entries
/// (tombstones) do not count.
pub fn practice_stats(entries: &[Value], score_id: &str, recent: usize) -> PracticeStats {
    let mut linked: Vec<&Value> = entries
        .iter()
        .filter(|entry| is_live(entry) && entry_links_score(entry, score_id))
        .collect();
    linked.sort_by_key(|entry| std::cmp::Reverse(entry_time(entry)));
    let times: Vec<i64> = linked
        .iter()
        .filter_map(|entry| entry_time(entry))
        .collect();
    PracticeStats {
        practice_count: linked.len(),
        total_minutes: linked.iter().map(|entry| entry_minutes(entry)).sum(),
        first_practiced: times.iter().copied().min(),
        last_practiced: times.iter().copied().max(),
        recent_sessions: linked
            .iter()
            .take(recent)
            .map(|entry| {
                json!({
                    "id": entry.get("id"),
                    "timestamp": entry_time(entry),
                    "duration": number(entry_minutes(entry)),
                    "notes": entry.get("notes").filter(|n| n.is_string()),
                })
            })
            .collect(),
    }
}

fn base_view(doc: &Value) -> Map<String, Value> {
    let mut view = Map::new();
    for key in [
        "id",
        "scoreId",
        "status",
        "difficultyRating",
        "personalNotes",
    ] {
        view.insert(key.into(), doc.get(key).cloned().unwrap_or(Value::Null));
    }
    view.insert(
        "referenceLinks".into(),
        array_or_empty(doc, "referenceLinks"),
    );
    view.insert("statusHistory".into(), array_or_empty(doc, "statusHistory"));
    for key in ["createdAt", "updatedAt"] {
        view.insert(key.into(), json!(unix_seconds(doc.get(key))));
    }
    view
}

/// One item of `GET /api/repertoire` (times in unix seconds, practice time in minutes).
pub fn item_view(doc: &Value, stats: &PracticeStats) -> Value {
    let mut view = base_view(doc);
    view.insert("practiceCount".into(), json!(stats.practice_count));
    view.insert("totalPracticeTime".into(), number(stats.total_minutes));
    view.insert("lastPracticed".into(), json!(stats.last_practiced));
    Value::Object(view)
}

/// `GET /api/repertoire/{scoreId}/stats`.
pub fn stats_view(doc: &Value, stats: &PracticeStats) -> Value {
    let average = if stats.practice_count == 0 {
        0.0
    } else {
        stats.total_minutes / stats.practice_count as f64
    };
    json!({
        "repertoire": Value::Object(base_view(doc)),
        "stats": {
            "practiceCount": stats.practice_count,
            "totalPracticeTime": number(stats.total_minutes),
            "avgSessionDuration": number(average),
            "lastPracticed": stats.last_practiced,
            "firstPracticed": stats.first_practiced,
            "recentSessions": stats.recent_sessions,
        }
    })
}

/// What dissociating an item does to the user's logbook.
#[derive(Debug, Clone, PartialEq)]
pub struct Dissociation {
    /// Entries rewritten: `scoreId` removed, `scoreTitle`/`scoreComposer` embedded.
    pub entries: Vec<Value>,
    /// Live entries about the piece; all of them are kept.
    pub preserved_logs: usize,
    pub title: String,
    pub composer: Option<String>,
}

/// Title and composer of a score id when nothing better is known: the id's two parts.
fn split_score_id(score_id: &str) -> (String, Option<String>) {
    let parts = score_id
        .split_once("||")
        .or_else(|| score_id.rsplit_once('-'));
    match parts {
        Some((title, composer)) if composer != "unknown" => {
            (title.to_owned(), Some(composer.to_owned()))
        }
        Some((title, _)) => (title.to_owned(), None),
        None => (score_id.to_owned(), None),
    }
}

/// The piece's readable title and composer: the item's own fields, else a linked entry's
/// piece or embedded names, else the id's parts.
fn piece_names(item: &Value, linked: &[&Value], score_id: &str) -> (String, Option<String>) {
    let owned = |doc: &Value, keys: [&str; 2]| {
        keys.iter()
            .find_map(|key| text(doc, key).filter(|t| !t.trim().is_empty()))
            .map(str::to_owned)
    };
    if let Some(title) = owned(item, ["scoreTitle", "title"]) {
        return (title, owned(item, ["scoreComposer", "composer"]));
    }
    for entry in linked {
        let piece = entry
            .get("pieces")
            .and_then(Value::as_array)
            .and_then(|pieces| pieces.iter().find(|p| text(p, "id") == Some(score_id)));
        if let Some(piece) = piece
            && let Some(title) = owned(piece, ["title", "title"])
        {
            return (title, owned(piece, ["composer", "composer"]));
        }
        if let Some(title) = owned(entry, ["scoreTitle", "scoreTitle"]) {
            return (title, owned(entry, ["scoreComposer", "scoreComposer"]));
        }
    }
    split_score_id(score_id)
}

/// Unlinks the user's entries from an item about to be removed, so the logs survive with
/// their meaning: entries linked through `scoreId` lose it and get the piece's title and
/// composer embedded. Entries naming the piece in `pieces` already carry its title and
/// composer (the piece id is derived from them), so they need no change.
pub fn dissociate(item: &Value, entries: &[Value], now: DateTime<Utc>) -> Dissociation {
    let score_id = text(item, "scoreId")
        .or(text(item, "id"))
        .unwrap_or_default();
    let linked: Vec<&Value> = entries
        .iter()
        .filter(|entry| is_live(entry) && entry_links_score(entry, score_id))
        .collect();
    let (title, composer) = piece_names(item, &linked, score_id);
    let rewritten = linked
        .iter()
        .filter(|entry| text(entry, "scoreId") == Some(score_id))
        .map(|entry| {
            let mut doc = entry.as_object().cloned().unwrap_or_default();
            doc.remove("scoreId");
            if text(entry, "scoreTitle").is_none_or(|t| t.trim().is_empty()) {
                doc.insert("scoreTitle".into(), title.clone().into());
            }
            if text(entry, "scoreComposer").is_none_or(|t| t.trim().is_empty())
                && let Some(composer) = &composer
            {
                doc.insert("scoreComposer".into(), composer.clone().into());
            }
            stamp(&mut doc, Some(entry), now);
            Value::Object(doc)
        })
        .collect();
    Dissociation {
        entries: rewritten,
        preserved_logs: linked.len(),
        title,
        composer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::practice::tombstone;
    use crate::sync::EntityType;
    use crate::sync::entities::normalize_document;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_772_323_200, 0).unwrap()
    }

    fn entry(id: &str, score: Option<&str>, piece: Option<&str>, minutes: f64, at: &str) -> Value {
        let mut doc = json!({
            "id": id, "timestamp": at, "duration": minutes, "type": "practice",
            "instrument": "piano", "updatedAt": at, "notes": format!("n{id}"),
            "pieces": piece.map(|p| vec![json!({"id": p, "title": "Clair de Lune", "composer": "Debussy"})]).unwrap_or_default(),
        });
        if let Some(score) = score {
            doc["scoreId"] = score.into();
        }
        doc
    }

    fn add(score_id: &str) -> AddRepertoireRequest {
        AddRepertoireRequest {
            score_id: score_id.into(),
            status: Some("Learning".into()),
            difficulty_rating: Some(3),
            personal_notes: None,
            reference_links: Some(vec!["https://imslp.org/x".into()]),
        }
    }

    #[test]
    fn new_items_are_keyed_by_the_normalised_score_id() {
        let doc = new_item(&add("Clair  de Lune-Debussy"), None, now()).unwrap();
        assert_eq!(doc["id"], "clair de lune-debussy");
        assert_eq!(doc["scoreId"], "clair de lune-debussy");
        assert_eq!(doc["status"], "learning");
        assert_eq!(doc["version"], 1);
        assert_eq!(doc["updatedAt"], "2026-03-01T00:00:00.000Z");
        let normalized = normalize_document(EntityType::RepertoireItem, doc).unwrap();
        assert_eq!(normalized["id"], "clair de lune-debussy");
    }

    #[test]
    fn adding_a_live_item_again_is_a_conflict_but_a_deleted_one_revives() {
        let live = new_item(&add("a-b"), None, now()).unwrap();
        let err = new_item(&add("a-b"), Some(&live), now()).unwrap_err();
        assert_eq!(err.status(), 409);
        let dead = tombstone(&live, now());
        let revived = new_item(&add("a-b"), Some(&dead), now()).unwrap();
        assert_eq!(revived["version"], 3, "supersedes the tombstone");
        assert!(revived.get("deletedAt").is_none());
    }

    #[test]
    fn status_changes_are_recorded_structured_and_in_the_notes() {
        let item = json!({"id": "a-b", "scoreId": "a-b", "status": "planned", "personalNotes": "hi", "version": 2});
        let update = UpdateRepertoireRequest {
            status: Some("learning".into()),
            ..Default::default()
        };
        let doc = apply_update(&item, &update, now());
        assert_eq!(doc["status"], "learning");
        assert_eq!(
            doc["statusHistory"],
            json!([{"from": "planned", "to": "learning", "at": "2026-03-01T00:00:00.000Z"}])
        );
        assert_eq!(
            doc["personalNotes"],
            "hi\n[STATUS_CHANGE:2026-03-01T00:00:00.000Z:planned:learning]"
        );
        assert_eq!(doc["version"], 3);

        let same = apply_update(&doc, &update, now());
        assert_eq!(
            same["statusHistory"].as_array().unwrap().len(),
            1,
            "no change, no record"
        );

        let clear = UpdateRepertoireRequest {
            difficulty_rating: Some(None),
            ..Default::default()
        };
        assert!(apply_update(&doc, &clear, now())["difficultyRating"].is_null());
        assert!(UpdateRepertoireRequest::default().is_empty());
        assert!(!clear.is_empty());
    }

    #[test]
    fn update_bodies_tell_null_from_absent() {
        let parsed: UpdateRepertoireRequest =
            serde_json::from_value(json!({"difficultyRating": null})).unwrap();
        assert_eq!(parsed.difficulty_rating, Some(None));
        let parsed: UpdateRepertoireRequest = serde_json::from_value(json!({})).unwrap();
        assert!(parsed.is_empty());
        let bad: UpdateRepertoireRequest =
            serde_json::from_value(json!({"status": "famous", "difficultyRating": 9})).unwrap();
        let err = crate::input::validation_error(validator::Validate::validate(&bad).unwrap_err());
        let envelope = serde_json::to_value(err.envelope()).unwrap();
        let fields = &envelope["details"]["fields"];
        assert!(
            fields.get("status").is_some() && fields.get("difficultyRating").is_some(),
            "{fields}"
        );
    }

    #[test]
    fn stats_count_live_linked_entries_only() {
        let entries = vec![
            entry("1", Some("a-b"), None, 30.0, "2026-01-01T10:00:00.000Z"),
            entry("2", None, Some("a-b"), 15.0, "2026-02-01T10:00:00.000Z"),
            entry("3", Some("x-y"), None, 99.0, "2026-02-02T10:00:00.000Z"),
            tombstone(
                &entry("4", Some("a-b"), None, 60.0, "2026-02-03T10:00:00.000Z"),
                now(),
            ),
        ];
        let stats = practice_stats(&entries, "a-b", RECENT_SESSIONS);
        assert_eq!(stats.practice_count, 2);
        assert_eq!(stats.total_minutes, 45.0);
        assert_eq!(stats.first_practiced, Some(1_767_261_600));
        assert_eq!(stats.last_practiced, Some(1_769_940_000));
        assert_eq!(stats.recent_sessions[0]["id"], "2", "newest first");
        let item = json!({"id": "a-b", "scoreId": "a-b", "status": "planned",
            "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z"});
        let view = item_view(&item, &stats);
        assert_eq!(view["practiceCount"], 2);
        assert_eq!(view["totalPracticeTime"], 45);
        assert_eq!(view["createdAt"], 1_767_225_600);
        assert_eq!(view["referenceLinks"], json!([]));
        let full = stats_view(&item, &stats);
        assert_eq!(full["stats"]["avgSessionDuration"], 22.5);
        assert_eq!(full["repertoire"]["scoreId"], "a-b");
    }

    #[test]
    fn dissociating_keeps_logs_and_embeds_names() {
        let item = json!({"id": "clair de lune-debussy", "scoreId": "clair de lune-debussy", "version": 1});
        let entries = vec![
            entry(
                "1",
                Some("clair de lune-debussy"),
                Some("clair de lune-debussy"),
                30.0,
                "2026-01-01T10:00:00.000Z",
            ),
            entry(
                "2",
                None,
                Some("clair de lune-debussy"),
                15.0,
                "2026-01-02T10:00:00.000Z",
            ),
            tombstone(
                &entry(
                    "3",
                    Some("clair de lune-debussy"),
                    None,
                    10.0,
                    "2026-01-03T10:00:00.000Z",
                ),
                now(),
            ),
        ];
        let result = dissociate(&item, &entries, now());
        assert_eq!(result.preserved_logs, 2);
        assert_eq!(result.title, "Clair de Lune");
        assert_eq!(result.composer.as_deref(), Some("Debussy"));
        assert_eq!(result.entries.len(), 1);
        let rewritten = &result.entries[0];
        assert!(rewritten.get("scoreId").is_none());
        assert_eq!(rewritten["scoreTitle"], "Clair de Lune");
        assert_eq!(rewritten["scoreComposer"], "Debussy");
        assert_eq!(rewritten["version"], 1);
        normalize_document(EntityType::LogbookEntry, rewritten.clone()).unwrap();
    }

    #[test]
    fn names_fall_back_to_the_score_id_parts() {
        assert_eq!(
            split_score_id("sonatina op. 36||clementi"),
            ("sonatina op. 36".into(), Some("clementi".into()))
        );
        assert_eq!(
            split_score_id("gymnopedie-unknown"),
            ("gymnopedie".into(), None)
        );
        let result = dissociate(&json!({"scoreId": "nocturne-chopin"}), &[], now());
        assert_eq!(
            (result.title.as_str(), result.composer.as_deref()),
            ("nocturne", Some("chopin"))
        );
        assert_eq!(result.preserved_logs, 0);
    }
}
