//! Validation and normalisation of synced documents, shared by the REST and WebSocket write paths
//! so that both store exactly the same thing for the same input.
//!
//! The server stores what the client sent once it is valid: enums are lowercased, score ids
//! normalised, epoch-millisecond clocks turned into ISO strings and the legacy `goal_ids` renamed,
//! but no key is ever dropped (the original's Zod schemas silently stripped unknown fields and lost
//! data). `null` stands for "absent" in every optional field and is kept as sent.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, Utc, Weekday};
use serde_json::{Map, Value};

use super::EntityType;
use crate::recordings::{AudioType, MAX_RECORDING_DURATION_MS, MAX_WAVEFORM_PEAKS};
use crate::score_id::{generate_score_id, normalize_existing_score_id};

/// Largest stored document (its serialized JSON), before and after normalisation.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

const MAX_ID_CHARS: usize = 128;
/// Normalised score ids: a 300-character title, a 200-character composer and room for case
/// folding that lengthens a few characters.
const MAX_SCORE_ID_CHARS: usize = 1024;
const MAX_TITLE_CHARS: usize = 200;
const MAX_LONG_TEXT_CHARS: usize = 10_000;
const MAX_LIST_ITEMS: usize = 100;
const MAX_LIST_ITEM_CHARS: usize = 100;
const MAX_URL_CHARS: usize = 2048;
const MAX_RULE_CHARS: usize = 1000;
/// Longest practice session: a whole day, in minutes.
const MAX_DURATION_MINUTES: f64 = 1440.0;

const ENTRY_TYPES: &[&str] = &[
    "practice",
    "performance",
    "lesson",
    "rehearsal",
    "technique",
    "status_change",
    "masterclass",
    "other",
];
const MOODS: &[&str] = &["frustrated", "neutral", "satisfied", "excited", "proud"];
const GOAL_TYPES: &[&str] = &["practice_time", "accuracy", "repertoire", "custom"];
const GOAL_STATUSES: &[&str] = &["active", "completed", "abandoned"];
const PLAN_TYPES: &[&str] = &["bootcamp", "course", "custom"];
const PLAN_STATUSES: &[&str] = &["draft", "active", "completed", "archived"];
const PLAN_VISIBILITIES: &[&str] = &["private", "shared", "template"];
const OCCURRENCE_STATUSES: &[&str] = &["scheduled", "completed", "skipped", "expired"];
const TEMPLATE_VISIBILITIES: &[&str] = &["public", "private"];
const REPERTOIRE_STATUSES: &[&str] = &[
    "planned",
    "learning",
    "working",
    "polished",
    "performance_ready",
    "dropped",
    "archived",
];

/// Why a document was refused: `field` is a JSON path (`id`, `pieces[0].title`, `updatedAt`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct DocumentError {
    pub field: String,
    pub message: String,
}

impl DocumentError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

type Result<T> = std::result::Result<T, DocumentError>;

/// Validates `document` as an `entity` and returns the normalised document to store.
pub fn normalize_document(entity: EntityType, document: Value) -> Result<Value> {
    check_size(&document)?;
    let Value::Object(mut map) = document else {
        return Err(DocumentError::new("document", "must be a JSON object"));
    };
    let mut doc = Fields::root(&mut map);
    normalize_clock(&mut doc)?;
    if entity != EntityType::RepertoireItem {
        doc.id("id", Need::Required)?;
    }
    // A delete is pushed as `{id, deletedAt}`: only what is present gets checked.
    doc.lenient = is_tombstone_map(doc.map);
    if entity == EntityType::RepertoireItem {
        repertoire_item(&mut doc)?;
    }
    doc.integer("version", Need::Optional, 1, i64::MAX)?;
    match entity {
        EntityType::LogbookEntry => logbook_entry(&mut doc)?,
        EntityType::Goal => goal(&mut doc)?,
        EntityType::PracticePlan => practice_plan(&mut doc)?,
        EntityType::PlanOccurrence => plan_occurrence(&mut doc)?,
        EntityType::PlanTemplate => plan_template(&mut doc)?,
        EntityType::Recording => recording(&mut doc)?,
        EntityType::RepertoireItem | EntityType::UserPreferences => {}
    }
    let normalized = Value::Object(map);
    // Normalisation can lengthen a document (generated piece ids, ISO clocks).
    check_size(&normalized)?;
    Ok(normalized)
}

/// The instant a write happened, for last-writer-wins: the later of `updatedAt` and `deletedAt`.
pub fn document_clock(doc: &Value) -> Option<DateTime<Utc>> {
    let at = |key| doc.get(key).and_then(parse_instant);
    at("updatedAt").max(at("deletedAt"))
}

/// Whether `doc` is a delete (tombstone): its `deletedAt` is set.
pub fn is_tombstone(doc: &Value) -> bool {
    doc.as_object().is_some_and(is_tombstone_map)
}

fn is_tombstone_map(map: &Map<String, Value>) -> bool {
    map.get("deletedAt").is_some_and(Value::is_string)
}

fn check_size(document: &Value) -> Result<()> {
    if serialized_len(document) > MAX_DOCUMENT_BYTES {
        return Err(DocumentError::new("document", "is larger than 64 KiB"));
    }
    Ok(())
}

/// Length of the JSON text of `value`, without building it.
fn serialized_len(value: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    serde_json::to_writer(&mut counter, value).map_or(usize::MAX, |()| counter.0)
}

/// The merge rule orders writes by these clocks, so every document needs one.
fn normalize_clock(doc: &mut Fields) -> Result<()> {
    for key in ["createdAt", "updatedAt", "deletedAt"] {
        doc.instant(key, Need::Optional, Epoch::ToIso)?;
    }
    if doc.get("updatedAt", Need::Optional)?.is_none()
        && doc.get("deletedAt", Need::Optional)?.is_none()
    {
        return Err(DocumentError::new(
            "updatedAt",
            "is required (or deletedAt for a delete)",
        ));
    }
    Ok(())
}

fn logbook_entry(doc: &mut Fields) -> Result<()> {
    doc.instant("timestamp", Need::Required, Epoch::Keep)?;
    doc.number("duration", Need::Required, 0.0, MAX_DURATION_MINUTES)?;
    doc.one_of("type", Need::Required, ENTRY_TYPES)?;
    doc.lowercase_text("instrument", Need::Required, 50)?;
    doc.one_of("mood", Need::Optional, MOODS)?;
    doc.objects("pieces", 50, piece)?;
    // Legacy clients wrote `goal_ids`; the api reads `goalIds`.
    if doc.get("goalIds", Need::Optional)?.is_none()
        && let Some(ids) = doc.map.remove("goal_ids")
    {
        doc.map.insert("goalIds".to_owned(), ids);
    }
    for key in ["techniques", "tags", "goalIds"] {
        doc.strings(key, MAX_LIST_ITEMS, MAX_LIST_ITEM_CHARS)?;
    }
    doc.text("notes", Need::Optional, MAX_LONG_TEXT_CHARS)?;
    doc.score_id("scoreId", Need::Optional)?;
    Ok(())
}

/// A piece of a logbook entry: its id is the piece's score id, generated when the client had none.
fn piece(piece: &mut Fields) -> Result<()> {
    let title = piece.text("title", Need::Required, 300)?.map(str::to_owned);
    let composer = piece
        .text("composer", Need::Optional, 200)?
        .map(str::to_owned);
    let has_id = piece
        .text("id", Need::Optional, usize::MAX)?
        .is_some_and(|id| !id.trim().is_empty());
    if has_id {
        piece.score_id("id", Need::Optional)?;
    } else if let Some(title) = title {
        let id = generate_score_id(&title, composer.as_deref());
        piece.map.insert("id".to_owned(), Value::String(id));
        piece.score_id("id", Need::Optional)?;
    }
    Ok(())
}

fn goal(doc: &mut Fields) -> Result<()> {
    doc.text("title", Need::Required, MAX_TITLE_CHARS)?;
    doc.one_of("type", Need::Required, GOAL_TYPES)?;
    doc.one_of("status", Need::Optional, GOAL_STATUSES)?;
    for key in ["targetValue", "currentValue"] {
        doc.number(key, Need::Optional, 0.0, f64::INFINITY)?;
    }
    doc.score_id("scoreId", Need::Optional)?;
    doc.text("description", Need::Optional, 2_000)?;
    doc.strings("measures", MAX_LIST_ITEMS, MAX_LIST_ITEM_CHARS)?;
    doc.objects("milestones", MAX_LIST_ITEMS, |milestone| {
        milestone.text("id", Need::Required, MAX_ID_CHARS)?;
        milestone.text("title", Need::Required, MAX_TITLE_CHARS)?;
        Ok(())
    })
}

fn practice_plan(doc: &mut Fields) -> Result<()> {
    doc.text("title", Need::Required, MAX_TITLE_CHARS)?;
    doc.one_of("type", Need::Optional, PLAN_TYPES)?;
    doc.one_of("status", Need::Optional, PLAN_STATUSES)?;
    doc.one_of("visibility", Need::Optional, PLAN_VISIBILITIES)?;
    doc.object("schedule", |schedule| {
        let recurring = schedule
            .map
            .get("kind")
            .and_then(Value::as_str)
            .is_some_and(|kind| kind.trim().eq_ignore_ascii_case("recurring"));
        if recurring && let Some(rule) = schedule.text("rule", Need::Required, MAX_RULE_CHARS)? {
            parse_rrule(rule)
                .map_err(|err| DocumentError::new(schedule.path("rule"), err.message))?;
        }
        Ok(())
    })
}

fn plan_occurrence(doc: &mut Fields) -> Result<()> {
    doc.id("planId", Need::Required)?;
    doc.one_of("status", Need::Optional, OCCURRENCE_STATUSES)?;
    let start = doc.instant("scheduledStart", Need::Optional, Epoch::Reject)?;
    let end = doc.instant("scheduledEnd", Need::Optional, Epoch::Reject)?;
    if let (Some(start), Some(end)) = (start, end)
        && end < start
    {
        return Err(doc.error("scheduledEnd", "must not be before scheduledStart"));
    }
    Ok(())
}

fn plan_template(doc: &mut Fields) -> Result<()> {
    doc.text("title", Need::Required, MAX_TITLE_CHARS)?;
    doc.one_of("visibility", Need::Optional, TEMPLATE_VISIBILITIES)
}

fn recording(doc: &mut Fields) -> Result<()> {
    doc.id("entryId", Need::Optional)?;
    doc.text("title", Need::Optional, MAX_TITLE_CHARS)?;
    doc.integer("durationMs", Need::Required, 0, MAX_RECORDING_DURATION_MS)?;
    doc.one_of("contentType", Need::Required, &AudioType::NAMES)?;
    doc.integer("size", Need::Required, 1, i64::MAX)?;
    doc.instant("createdAt", Need::Optional, Epoch::Reject)?;
    if let Some(peaks) = doc.array("peaks", MAX_WAVEFORM_PEAKS)?
        && let Some(index) = peaks.iter().position(|peak| {
            !peak
                .as_f64()
                .is_some_and(|peak| (0.0..=1.0).contains(&peak))
        })
    {
        return Err(doc.error(&format!("peaks[{index}]"), "must be a number from 0 to 1"));
    }
    Ok(())
}

/// Repertoire items are keyed by their score: the id defaults to the normalised `scoreId`.
fn repertoire_item(doc: &mut Fields) -> Result<()> {
    let score_id = doc.score_id("scoreId", Need::Required)?;
    let id = doc
        .text("id", Need::Optional, usize::MAX)?
        .map(str::to_owned);
    // A client may hold the item under its (possibly unnormalised) score id: store that normalised.
    let derived = match (id, score_id) {
        (Some(id), _) if is_valid_id(&id) => None,
        (Some(id), Some(score_id)) if normalize_existing_score_id(&id) == score_id => {
            Some(score_id)
        }
        (Some(_), _) => return Err(doc.error("id", "must be a valid id or the item's scoreId")),
        (None, Some(score_id)) => Some(score_id),
        (None, None) => return Err(doc.error("id", "is required (or scoreId)")),
    };
    if let Some(id) = derived {
        doc.replace("id", id);
    }
    if !doc.lenient && doc.get("status", Need::Optional)?.is_none() {
        doc.map
            .insert("status".to_owned(), Value::String("planned".to_owned()));
    }
    doc.one_of("status", Need::Optional, REPERTOIRE_STATUSES)?;
    doc.integer("difficultyRating", Need::Optional, 1, 5)?;
    doc.text("personalNotes", Need::Optional, MAX_LONG_TEXT_CHARS)?;
    doc.strings("referenceLinks", 20, MAX_URL_CHARS)?;
    let links = doc.get("referenceLinks", Need::Optional)?;
    let bad_link = links
        .and_then(Value::as_array)
        .and_then(|links| links.iter().position(|link| !is_http_url(link)));
    if let Some(index) = bad_link {
        return Err(doc.error(
            &format!("referenceLinks[{index}]"),
            "must be an http(s) URL",
        ));
    }
    Ok(())
}

/// Whether a field must be present (and, for strings, not blank).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    Required,
    Optional,
}

/// What a date-time field does with an epoch-milliseconds integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Epoch {
    /// Store it as an ISO string (clock fields, so clients compare like with like).
    ToIso,
    /// Accept and keep it (entry `timestamp`, which old clients send as a number).
    Keep,
    /// Only ISO strings are valid.
    Reject,
}

/// The object being checked, with the path of its fields for error messages.
struct Fields<'a> {
    map: &'a mut Map<String, Value>,
    /// JSON path of this object: empty at the root, else e.g. `pieces[2]`.
    at: String,
    /// Required fields may be missing (tombstones carry only their id and clock).
    lenient: bool,
}

impl<'a> Fields<'a> {
    fn root(map: &'a mut Map<String, Value>) -> Self {
        Self {
            map,
            at: String::new(),
            lenient: false,
        }
    }

    fn path(&self, key: &str) -> String {
        if self.at.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.at)
        }
    }

    fn error(&self, key: &str, message: impl Into<String>) -> DocumentError {
        DocumentError::new(self.path(key), message)
    }

    /// The value of `key` unless it is absent or `null`, which a required field may not be.
    fn get(&self, key: &str, need: Need) -> Result<Option<&Value>> {
        match self.map.get(key) {
            Some(value) if !value.is_null() => Ok(Some(value)),
            _ if need == Need::Required && !self.lenient => Err(self.error(key, "is required")),
            _ => Ok(None),
        }
    }

    /// A string of at most `max_chars` characters; a required one must not be blank.
    fn text(&self, key: &str, need: Need, max_chars: usize) -> Result<Option<&str>> {
        let Some(value) = self.get(key, need)? else {
            return Ok(None);
        };
        let text = value
            .as_str()
            .ok_or_else(|| self.error(key, "must be a string"))?;
        if need == Need::Required && text.trim().is_empty() {
            return Err(self.error(key, "must not be empty"));
        }
        if text.chars().count() > max_chars {
            return Err(self.error(key, format!("must be at most {max_chars} characters")));
        }
        Ok(Some(text))
    }

    fn replace(&mut self, key: &str, text: String) {
        self.map.insert(key.to_owned(), Value::String(text));
    }

    /// A string stored trimmed and lowercased (free-typed names such as instruments).
    fn lowercase_text(&mut self, key: &str, need: Need, max_chars: usize) -> Result<()> {
        let Some(text) = self.text(key, need, usize::MAX)? else {
            return Ok(());
        };
        let text = text.trim().to_lowercase();
        if need == Need::Required && text.is_empty() {
            return Err(self.error(key, "must not be empty"));
        }
        if text.chars().count() > max_chars {
            return Err(self.error(key, format!("must be at most {max_chars} characters")));
        }
        self.replace(key, text);
        Ok(())
    }

    /// An enum: accepted in any case, stored trimmed and lowercased.
    fn one_of(&mut self, key: &str, need: Need, allowed: &[&str]) -> Result<()> {
        let Some(text) = self.text(key, need, usize::MAX)? else {
            return Ok(());
        };
        let text = text.trim().to_lowercase();
        if !allowed.contains(&text.as_str()) {
            return Err(self.error(key, format!("must be one of {}", allowed.join(", "))));
        }
        self.replace(key, text);
        Ok(())
    }

    fn id(&self, key: &str, need: Need) -> Result<()> {
        match self.text(key, need, usize::MAX)? {
            Some(id) if !is_valid_id(id) => Err(self.error(
                key,
                "must be 1 to 128 characters of letters, digits, '_', '.', ':' or '-'",
            )),
            _ => Ok(()),
        }
    }

    /// A score id, stored normalised; a blank optional one is kept as sent (it means "none").
    fn score_id(&mut self, key: &str, need: Need) -> Result<Option<String>> {
        let Some(raw) = self.text(key, need, usize::MAX)? else {
            return Ok(None);
        };
        if raw.trim().is_empty() {
            return Ok(None);
        }
        let id = normalize_existing_score_id(raw);
        if id.chars().count() > MAX_SCORE_ID_CHARS {
            return Err(self.error(
                key,
                format!("must be at most {MAX_SCORE_ID_CHARS} characters"),
            ));
        }
        self.replace(key, id.clone());
        Ok(Some(id))
    }

    fn number(&self, key: &str, need: Need, min: f64, max: f64) -> Result<()> {
        let Some(value) = self.get(key, need)? else {
            return Ok(());
        };
        match value.as_f64() {
            Some(number) if (min..=max).contains(&number) => Ok(()),
            _ if max.is_finite() => {
                Err(self.error(key, format!("must be a number from {min} to {max}")))
            }
            _ => Err(self.error(key, format!("must be a number of at least {min}"))),
        }
    }

    fn integer(&self, key: &str, need: Need, min: i64, max: i64) -> Result<()> {
        let Some(value) = self.get(key, need)? else {
            return Ok(());
        };
        match value.as_i64() {
            Some(number) if (min..=max).contains(&number) => Ok(()),
            _ if max == i64::MAX => {
                Err(self.error(key, format!("must be an integer of at least {min}")))
            }
            _ => Err(self.error(key, format!("must be an integer from {min} to {max}"))),
        }
    }

    /// A date-time with a timezone, or (per `epoch`) epoch milliseconds; returns the instant.
    fn instant(&mut self, key: &str, need: Need, epoch: Epoch) -> Result<Option<DateTime<Utc>>> {
        let Some(value) = self.get(key, need)? else {
            return Ok(None);
        };
        let is_number = value.is_number();
        let parsed = if is_number && epoch == Epoch::Reject {
            None
        } else {
            parse_instant(value)
        };
        let Some(instant) = parsed else {
            let message = if epoch == Epoch::Reject {
                "must be an ISO-8601 date-time with a timezone"
            } else {
                "must be an ISO-8601 date-time with a timezone or epoch milliseconds"
            };
            return Err(self.error(key, message));
        };
        if is_number && epoch == Epoch::ToIso {
            self.replace(key, instant.to_rfc3339_opts(SecondsFormat::Millis, true));
        }
        Ok(Some(instant))
    }

    fn array(&self, key: &str, max_items: usize) -> Result<Option<&Vec<Value>>> {
        let Some(value) = self.get(key, Need::Optional)? else {
            return Ok(None);
        };
        let items = value
            .as_array()
            .ok_or_else(|| self.error(key, "must be an array"))?;
        if items.len() > max_items {
            return Err(self.error(key, format!("must have at most {max_items} items")));
        }
        Ok(Some(items))
    }

    /// An optional array of strings.
    fn strings(&self, key: &str, max_items: usize, max_chars: usize) -> Result<()> {
        let Some(items) = self.array(key, max_items)? else {
            return Ok(());
        };
        for (index, item) in items.iter().enumerate() {
            let item_error = |message: String| self.error(&format!("{key}[{index}]"), message);
            let text = item
                .as_str()
                .ok_or_else(|| item_error("must be a string".to_owned()))?;
            if text.chars().count() > max_chars {
                return Err(item_error(format!(
                    "must be at most {max_chars} characters"
                )));
            }
        }
        Ok(())
    }

    /// An optional array of objects, each checked by `check`.
    fn objects(
        &mut self,
        key: &str,
        max_items: usize,
        check: impl Fn(&mut Fields) -> Result<()>,
    ) -> Result<()> {
        if self.array(key, max_items)?.is_none() {
            return Ok(());
        }
        let path = self.path(key);
        let Some(Value::Array(items)) = self.map.get_mut(key) else {
            return Ok(());
        };
        for (index, item) in items.iter_mut().enumerate() {
            let at = format!("{path}[{index}]");
            let Value::Object(map) = item else {
                return Err(DocumentError::new(at, "must be an object"));
            };
            check(&mut Fields {
                map,
                at,
                lenient: false,
            })?;
        }
        Ok(())
    }

    /// An optional object, checked by `check`.
    fn object(&mut self, key: &str, check: impl Fn(&mut Fields) -> Result<()>) -> Result<()> {
        if self.get(key, Need::Optional)?.is_none() {
            return Ok(());
        }
        let at = self.path(key);
        let Some(Value::Object(map)) = self.map.get_mut(key) else {
            return Err(DocumentError::new(at, "must be an object"));
        };
        check(&mut Fields {
            map,
            at,
            lenient: false,
        })
    }
}

/// Ids travel in URLs, D1 keys and log lines: a short, plain alphabet keeps them safe there.
fn is_valid_id(id: &str) -> bool {
    (1..=MAX_ID_CHARS).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
}

fn is_http_url(link: &Value) -> bool {
    let Some(link) = link.as_str() else {
        return false;
    };
    let lower = link.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    rest.is_some_and(|rest| {
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        !host.is_empty() && !link.chars().any(char::is_whitespace)
    })
}

/// An RFC 3339 string with a timezone, or non-negative epoch milliseconds.
fn parse_instant(value: &Value) -> Option<DateTime<Utc>> {
    match value {
        Value::String(text) => DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|instant| instant.with_timezone(&Utc)),
        Value::Number(number) => number
            .as_u64()
            .and_then(|ms| i64::try_from(ms).ok())
            .and_then(DateTime::from_timestamp_millis),
        _ => None,
    }
}

/// The subset of RFC 5545 recurrence rules that practice plans use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecurrenceRule {
    pub freq: Frequency,
    /// Every `interval` periods; 1 when not given.
    pub interval: u32,
    /// Days of the week (`BYDAY`); empty when not given.
    pub by_day: Vec<Weekday>,
    pub count: Option<u32>,
    pub until: Option<Until>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    Daily,
    Weekly,
    Monthly,
}

/// `UNTIL` keeps its form: a date means "through that whole day", a date-time is an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    Date(NaiveDate),
    DateTime(DateTime<Utc>),
}

/// Parses `[RRULE:]FREQ=…;INTERVAL=…;BYDAY=…;COUNT=…;UNTIL=…` (case-insensitive).
///
/// Errors name the field `rule`. Unknown or repeated parts are refused rather than ignored, so a
/// rule the app cannot expand never gets stored.
pub fn parse_rrule(rule: &str) -> std::result::Result<RecurrenceRule, DocumentError> {
    let fail = |message: String| DocumentError::new("rule", message);
    let upper = rule.trim().to_ascii_uppercase();
    let body = upper.strip_prefix("RRULE:").unwrap_or(&upper);
    let (mut freq, mut interval, mut by_day, mut count, mut until) = (None, None, None, None, None);
    for part in body.split(';').filter(|part| !part.trim().is_empty()) {
        let (name, value) = part
            .split_once('=')
            .ok_or_else(|| fail(format!("part {part:?} is not NAME=VALUE")))?;
        let (name, value) = (name.trim(), value.trim());
        match name {
            "FREQ" => set(
                &mut freq,
                name,
                parse_frequency(value),
                "DAILY, WEEKLY or MONTHLY",
            )?,
            "INTERVAL" => set(&mut interval, name, positive(value), "a positive integer")?,
            "COUNT" => set(&mut count, name, positive(value), "a positive integer")?,
            "BYDAY" => set(
                &mut by_day,
                name,
                parse_days(value),
                "two-letter days such as MO,WE,FR",
            )?,
            "UNTIL" => set(
                &mut until,
                name,
                parse_until(value),
                "YYYYMMDD or YYYYMMDDTHHMMSSZ",
            )?,
            _ => return Err(fail(format!("unknown part {name}"))),
        }
    }
    let freq = freq.ok_or_else(|| fail("FREQ is required".to_owned()))?;
    if count.is_some() && until.is_some() {
        return Err(fail("COUNT and UNTIL cannot both be given".to_owned()));
    }
    Ok(RecurrenceRule {
        freq,
        interval: interval.unwrap_or(1),
        by_day: by_day.unwrap_or_default(),
        count,
        until,
    })
}

/// Stores one rule part, refusing a value that did not parse or a part given twice.
fn set<T>(slot: &mut Option<T>, name: &str, parsed: Option<T>, expected: &str) -> Result<()> {
    let value =
        parsed.ok_or_else(|| DocumentError::new("rule", format!("{name} must be {expected}")))?;
    if slot.replace(value).is_some() {
        return Err(DocumentError::new("rule", format!("{name} is given twice")));
    }
    Ok(())
}

fn parse_frequency(value: &str) -> Option<Frequency> {
    match value {
        "DAILY" => Some(Frequency::Daily),
        "WEEKLY" => Some(Frequency::Weekly),
        "MONTHLY" => Some(Frequency::Monthly),
        _ => None,
    }
}

fn positive(value: &str) -> Option<u32> {
    value.parse().ok().filter(|&n| n >= 1)
}

fn parse_days(value: &str) -> Option<Vec<Weekday>> {
    value
        .split(',')
        .map(|day| match day.trim() {
            "MO" => Some(Weekday::Mon),
            "TU" => Some(Weekday::Tue),
            "WE" => Some(Weekday::Wed),
            "TH" => Some(Weekday::Thu),
            "FR" => Some(Weekday::Fri),
            "SA" => Some(Weekday::Sat),
            "SU" => Some(Weekday::Sun),
            _ => None,
        })
        .collect()
}

fn parse_until(value: &str) -> Option<Until> {
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    match value.split_once('T') {
        None if value.len() == 8 && digits(value) => NaiveDate::parse_from_str(value, "%Y%m%d")
            .ok()
            .map(Until::Date),
        Some((date, time)) if date.len() == 8 && digits(date) => {
            let time = time.strip_suffix('Z')?;
            if time.len() != 6 || !digits(time) {
                return None;
            }
            let date = NaiveDate::parse_from_str(date, "%Y%m%d").ok()?;
            let time = NaiveTime::parse_from_str(time, "%H%M%S").ok()?;
            Some(Until::DateTime(NaiveDateTime::new(date, time).and_utc()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn ok(entity: EntityType, document: Value) -> Value {
        match normalize_document(entity, document) {
            Ok(normalized) => normalized,
            Err(err) => panic!("{} refused: {err}", entity.as_str()),
        }
    }

    fn refused(entity: EntityType, document: Value) -> DocumentError {
        match normalize_document(entity, document) {
            Ok(normalized) => panic!("{} accepted: {normalized}", entity.as_str()),
            Err(err) => err,
        }
    }

    /// Asserts that `document` is refused and the error names `field`.
    fn refused_at(entity: EntityType, document: Value, field: &str) -> String {
        let err = refused(entity, document);
        assert_eq!(err.field, field, "{err}");
        err.message
    }

    /// Merges `patch` into `base` (a `null` in the patch removes the key).
    fn with(mut base: Value, patch: Value) -> Value {
        if let (Some(map), Value::Object(patch)) = (base.as_object_mut(), patch) {
            for (key, value) in patch {
                if value.is_null() {
                    map.remove(&key);
                } else {
                    map.insert(key, value);
                }
            }
        }
        base
    }

    /// An entry as the original frontend pushes it, plus fields this server does not know.
    fn entry() -> Value {
        json!({
            "id": "entry_V1StGXR8_Z5jdHi6B-myT",
            "timestamp": "2026-01-02T03:04:05.678Z",
            "duration": 45,
            "type": "Practice",
            "instrument": " Piano ",
            "pieces": [
                {"title": "Clair de Lune", "composer": "Debussy", "measures": "1-20", "tempo": 60},
                {"id": "Prelude in C-J.S. Bach", "title": "Prelude in C", "composer": "J.S. Bach"},
                {"id": "score_abc123", "title": "Gymnopédie No. 1", "duration": 10}
            ],
            "techniques": ["scales", "arpeggios"],
            "goalIds": ["goal_1"],
            "notes": "Worked on voicing.",
            "mood": "Satisfied",
            "tags": ["evening"],
            "metadata": {"source": "manual", "planId": "plan_1"},
            "scoreId": "Clair de Lune-Debussy",
            "scoreTitle": "Clair de Lune",
            "scoreComposer": "Debussy",
            "autoTracked": false,
            "createdAt": "2026-01-02T03:04:05.678Z",
            "updatedAt": "2026-01-02T03:50:00.000Z",
            "deviceColour": "teal"
        })
    }

    fn goal() -> Value {
        json!({
            "id": "goal_1",
            "title": "Learn the Bach prelude",
            "description": "Hands together at 80 bpm",
            "type": "Repertoire",
            "status": "active",
            "targetValue": 100,
            "currentValue": 12.5,
            "targetDate": "2026-06-01T00:00:00.000Z",
            "scoreId": "Prelude in C-J.S. Bach",
            "measures": ["1-8", "9-16"],
            "practicePlan": {"dailyMinutes": 20, "focusAreas": ["left hand"]},
            "milestones": [{"id": "m1", "title": "Hands separately", "completed": true}],
            "updatedAt": "2026-01-02T03:04:05Z"
        })
    }

    fn plan() -> Value {
        json!({
            "id": "plan_abc",
            "title": "Scales bootcamp",
            "type": "Bootcamp",
            "status": "active",
            "visibility": "private",
            "schedule": {
                "kind": "recurring",
                "rule": "RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,WE,FR;COUNT=12",
                "startDate": "2026-01-05",
                "durationMinutes": 30
            },
            "segments": [{"label": "Warm-up", "durationMinutes": 5}],
            "createdAt": "2026-01-01T10:00:00.000Z",
            "updatedAt": "2026-01-01T10:00:00.000Z"
        })
    }

    fn occurrence() -> Value {
        json!({
            "id": "plan_occ_1",
            "planId": "plan_abc",
            "status": "Completed",
            "scheduledStart": "2026-01-05T18:00:00.000Z",
            "scheduledEnd": "2026-01-05T18:30:00.000Z",
            "reflection": {"text": "went well"},
            "updatedAt": "2026-01-05T18:31:00.000Z"
        })
    }

    fn template() -> Value {
        json!({
            "id": "tpl_1",
            "title": "Daily scales",
            "visibility": "Public",
            "authorId": "user_1",
            "updatedAt": "2026-01-05T18:31:00.000Z"
        })
    }

    fn recording() -> Value {
        json!({
            "id": "rec_1",
            "entryId": "entry_1",
            "title": "Etude, slow",
            "durationMs": 3000,
            "contentType": "audio/webm",
            "size": 48_213,
            "createdAt": "2026-01-02T03:04:05.000Z",
            "peaks": [0.0, 0.25, 1.0],
            "updatedAt": "2026-01-02T03:04:05.000Z"
        })
    }

    #[test]
    fn recordings_check_type_duration_size_and_peaks() {
        assert_eq!(ok(EntityType::Recording, recording()), recording());
        for (patch, field) in [
            (json!({"contentType": "video/mp4"}), "contentType"),
            (json!({"durationMs": -1}), "durationMs"),
            (json!({"size": 0}), "size"),
            (json!({"peaks": [0.5, 1.5]}), "peaks[1]"),
            (json!({"peaks": vec![0.5; 2_001]}), "peaks"),
            (json!({"entryId": "no spaces"}), "entryId"),
        ] {
            refused_at(EntityType::Recording, with(recording(), patch), field);
        }
    }

    fn repertoire() -> Value {
        json!({
            "scoreId": "Clair de Lune-Debussy",
            "status": "Learning",
            "difficultyRating": 3,
            "personalNotes": "Watch the pedalling",
            "referenceLinks": ["https://imslp.org/wiki/Clair_de_lune", "http://example.com"],
            "updatedAt": 1767322800000u64
        })
    }

    #[test]
    fn frontend_entry_is_normalised_and_keeps_every_field() {
        let out = ok(EntityType::LogbookEntry, entry());
        assert_eq!(out["type"], "practice");
        assert_eq!(out["mood"], "satisfied");
        assert_eq!(out["instrument"], "piano");
        assert_eq!(out["scoreId"], "clair de lune-debussy");
        assert_eq!(out["pieces"][0]["id"], "clair de lune-debussy");
        assert_eq!(out["pieces"][0]["measures"], "1-20");
        assert_eq!(out["pieces"][0]["tempo"], 60);
        assert_eq!(out["pieces"][1]["id"], "prelude in c-js bach");
        assert_eq!(out["pieces"][2]["id"], "score_abc123");
        assert_eq!(out["pieces"][2]["duration"], 10);
        // Untouched: unknown keys, legacy score fields, the timestamp as sent.
        for key in [
            "deviceColour",
            "metadata",
            "scoreTitle",
            "scoreComposer",
            "autoTracked",
        ] {
            assert_eq!(out[key], entry()[key], "{key}");
        }
        assert_eq!(out["timestamp"], "2026-01-02T03:04:05.678Z");
        assert_eq!(out["goalIds"], json!(["goal_1"]));
        assert_eq!(
            out.as_object().map(Map::len),
            entry().as_object().map(Map::len)
        );
    }

    #[test]
    fn every_type_accepts_a_realistic_document() {
        let goal = ok(EntityType::Goal, goal());
        assert_eq!(goal["type"], "repertoire");
        assert_eq!(goal["scoreId"], "prelude in c-js bach");
        assert_eq!(goal["practicePlan"]["dailyMinutes"], 20);
        assert_eq!(goal["milestones"][0]["completed"], true);

        let plan = ok(EntityType::PracticePlan, plan());
        assert_eq!(plan["type"], "bootcamp");
        assert_eq!(plan["segments"][0]["label"], "Warm-up");

        let occurrence = ok(EntityType::PlanOccurrence, occurrence());
        assert_eq!(occurrence["status"], "completed");
        assert_eq!(occurrence["reflection"]["text"], "went well");

        let template = ok(EntityType::PlanTemplate, template());
        assert_eq!(template["visibility"], "public");
        assert_eq!(template["authorId"], "user_1");

        let item = ok(EntityType::RepertoireItem, repertoire());
        assert_eq!(item["scoreId"], "clair de lune-debussy");
        assert_eq!(item["id"], "clair de lune-debussy");
        assert_eq!(item["status"], "learning");
        assert_eq!(item["updatedAt"], "2026-01-02T03:00:00.000Z");

        let prefs = json!({
            "id": "user_abc",
            "theme": "dark",
            "anything": {"nested": [1, 2]},
            "updatedAt": "2026-01-02T03:04:05Z"
        });
        assert_eq!(ok(EntityType::UserPreferences, prefs.clone()), prefs);
    }

    #[test]
    fn epoch_millisecond_clocks_become_iso_strings() {
        let out = ok(
            EntityType::LogbookEntry,
            with(
                entry(),
                json!({"createdAt": 0, "updatedAt": 1767323045678u64, "timestamp": 1767323045678u64}),
            ),
        );
        assert_eq!(out["createdAt"], "1970-01-01T00:00:00.000Z");
        assert_eq!(out["updatedAt"], "2026-01-02T03:04:05.678Z");
        // The entry's timestamp is kept as the client sent it.
        assert_eq!(out["timestamp"], 1767323045678u64);
    }

    #[test]
    fn legacy_goal_ids_move_to_goal_ids() {
        let out = ok(
            EntityType::LogbookEntry,
            with(entry(), json!({"goalIds": null, "goal_ids": ["g1", "g2"]})),
        );
        assert_eq!(out["goalIds"], json!(["g1", "g2"]));
        assert!(out.get("goal_ids").is_none());

        // With both present nothing is moved or dropped.
        let both = ok(
            EntityType::LogbookEntry,
            with(entry(), json!({"goal_ids": []})),
        );
        assert_eq!(both["goalIds"], json!(["goal_1"]));
        assert_eq!(both["goal_ids"], json!([]));
    }

    #[test]
    fn nulls_in_optional_fields_are_kept() {
        let out = ok(
            EntityType::LogbookEntry,
            with(entry(), json!({"deletedAt": Value::Null})),
        );
        assert!(out.get("deletedAt").is_none());
        let doc = json!({
            "id": "e1", "timestamp": 0, "duration": 0, "type": "lesson", "instrument": "voice",
            "mood": null, "notes": null, "scoreId": null, "deletedAt": null,
            "updatedAt": "2026-01-02T03:04:05+02:00"
        });
        let out = ok(EntityType::LogbookEntry, doc.clone());
        assert_eq!(out, doc);
        assert!(!is_tombstone(&out));
    }

    #[test]
    fn tombstones_need_only_an_id_and_a_clock() {
        for entity in EntityType::ALL {
            let out = ok(
                entity,
                json!({"id": "doc_1", "deletedAt": "2026-01-02T03:04:05.678Z"}),
            );
            assert!(is_tombstone(&out), "{}", entity.as_str());
            let epoch = ok(
                entity,
                json!({"id": "doc_1", "deletedAt": 1767323045678u64}),
            );
            assert_eq!(epoch["deletedAt"], "2026-01-02T03:04:05.678Z");
            refused_at(entity, json!({"deletedAt": "2026-01-02T03:04:05Z"}), "id");
        }
        // Fields present in a tombstone are still checked.
        refused_at(
            EntityType::LogbookEntry,
            json!({"id": "e1", "deletedAt": "2026-01-02T03:04:05Z", "type": "nap"}),
            "type",
        );
        // A repertoire delete may name the piece by score id only (PIECE_REMOVED).
        let removed = ok(
            EntityType::RepertoireItem,
            json!({"scoreId": "Waltz-Strauss", "deletedAt": "2026-01-02T03:04:05Z"}),
        );
        assert_eq!(removed["id"], "waltz-strauss");
        assert!(removed.get("status").is_none());
    }

    #[test]
    fn clock_helpers() {
        let doc = json!({"updatedAt": "2026-01-02T03:04:05Z", "deletedAt": "2026-01-03T00:00:00Z"});
        assert_eq!(
            document_clock(&doc).map(|t| t.to_rfc3339()),
            Some("2026-01-03T00:00:00+00:00".to_owned())
        );
        let live = json!({"updatedAt": "2026-01-02T03:04:05.5+01:00", "deletedAt": null});
        assert_eq!(
            document_clock(&live).map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true)),
            Some("2026-01-02T02:04:05.500Z".to_owned())
        );
        assert!(!is_tombstone(&live));
        assert_eq!(document_clock(&json!({})), None);
        assert_eq!(document_clock(&json!("x")), None);
        assert!(!is_tombstone(&json!([1])));
    }

    #[test]
    fn documents_must_be_objects_with_valid_ids_and_clocks() {
        for entity in EntityType::ALL {
            let err = refused(entity, json!(["not", "an", "object"]));
            assert_eq!(
                (err.field.as_str(), err.message.as_str()),
                ("document", "must be a JSON object")
            );
        }
        let pref = |patch| {
            with(
                json!({"id": "user_1", "updatedAt": "2026-01-02T03:04:05Z"}),
                patch,
            )
        };
        let prefs = EntityType::UserPreferences;
        refused_at(prefs, pref(json!({"id": null})), "id");
        refused_at(prefs, pref(json!({"id": ""})), "id");
        refused_at(prefs, pref(json!({"id": 7})), "id");
        refused_at(prefs, pref(json!({"id": "has space"})), "id");
        refused_at(prefs, pref(json!({"id": "x".repeat(129)})), "id");
        ok(
            prefs,
            pref(json!({"id": "A-z_0.9:x".to_owned() + &"x".repeat(119)})),
        );
        refused_at(prefs, pref(json!({"updatedAt": null})), "updatedAt");
        refused_at(
            prefs,
            pref(json!({"updatedAt": "2026-01-02T03:04:05"})),
            "updatedAt",
        );
        refused_at(prefs, pref(json!({"updatedAt": "yesterday"})), "updatedAt");
        refused_at(prefs, pref(json!({"updatedAt": -1})), "updatedAt");
        refused_at(prefs, pref(json!({"updatedAt": 1.5})), "updatedAt");
        refused_at(prefs, pref(json!({"createdAt": true})), "createdAt");
        refused_at(prefs, pref(json!({"deletedAt": "soon"})), "deletedAt");
        refused_at(prefs, pref(json!({"version": 0})), "version");
        refused_at(prefs, pref(json!({"version": 1.5})), "version");
        refused_at(prefs, pref(json!({"version": "2"})), "version");
        ok(prefs, pref(json!({"version": 3})));
    }

    #[test]
    fn oversized_documents_are_refused() {
        let big = json!({"id": "u", "updatedAt": "2026-01-02T03:04:05Z", "blob": "x".repeat(MAX_DOCUMENT_BYTES)});
        let err = refused(EntityType::UserPreferences, big);
        assert_eq!(err.to_string(), "document: is larger than 64 KiB");
    }

    #[test]
    fn entry_rejections_name_the_field() {
        let entries = EntityType::LogbookEntry;
        let cases = [
            (json!({"timestamp": null}), "timestamp"),
            (json!({"timestamp": "today"}), "timestamp"),
            (json!({"duration": null}), "duration"),
            (json!({"duration": -1}), "duration"),
            (json!({"duration": 1441}), "duration"),
            (json!({"duration": "30"}), "duration"),
            (json!({"type": null}), "type"),
            (json!({"instrument": "  "}), "instrument"),
            (json!({"instrument": "x".repeat(51)}), "instrument"),
            (json!({"mood": "sleepy"}), "mood"),
            (json!({"pieces": {}}), "pieces"),
            (json!({"pieces": vec![json!({"title": "t"}); 51]}), "pieces"),
            (json!({"pieces": ["Clair de Lune"]}), "pieces[0]"),
            (
                json!({"pieces": [{"title": "a"}, {"title": "b"}, {"composer": "c"}]}),
                "pieces[2].title",
            ),
            (
                json!({"pieces": [{"title": "x".repeat(301)}]}),
                "pieces[0].title",
            ),
            (
                json!({"pieces": [{"title": "a", "composer": 5}]}),
                "pieces[0].composer",
            ),
            (json!({"pieces": [{"title": "a", "id": 5}]}), "pieces[0].id"),
            (json!({"techniques": "scales"}), "techniques"),
            (json!({"tags": ["ok", 3]}), "tags[1]"),
            (json!({"goalIds": vec!["g"; 101]}), "goalIds"),
            (
                json!({"goal_ids": ["x".repeat(101)], "goalIds": null}),
                "goalIds[0]",
            ),
            (json!({"notes": "x".repeat(10_001)}), "notes"),
            (json!({"scoreId": 12}), "scoreId"),
        ];
        for (patch, field) in cases {
            refused_at(entries, with(entry(), patch), field);
        }
        let err = refused(entries, with(entry(), json!({"type": "nap"})));
        assert_eq!(
            err.to_string(),
            "type: must be one of practice, performance, lesson, rehearsal, technique, \
             status_change, masterclass, other"
        );
        let err = refused(
            entries,
            with(
                entry(),
                json!({"pieces": [{"title": "a"}, {"title": "b"}, {"composer": "c"}]}),
            ),
        );
        assert_eq!(err, DocumentError::new("pieces[2].title", "is required"));
        // Boundaries that are fine.
        ok(
            entries,
            with(
                entry(),
                json!({"duration": 1440, "mood": "PROUD", "type": "other "}),
            ),
        );
        ok(
            entries,
            with(
                entry(),
                json!({"duration": 0.5, "scoreId": "", "pieces": []}),
            ),
        );
    }

    #[test]
    fn goal_rejections() {
        let cases = [
            (json!({"title": ""}), "title"),
            (json!({"title": "x".repeat(201)}), "title"),
            (json!({"type": null}), "type"),
            (json!({"type": "speed"}), "type"),
            (json!({"status": "paused"}), "status"),
            (json!({"targetValue": -1}), "targetValue"),
            (json!({"currentValue": "3"}), "currentValue"),
            (json!({"description": "x".repeat(2001)}), "description"),
            (json!({"measures": [1]}), "measures[0]"),
            (json!({"milestones": [{"id": "m1"}]}), "milestones[0].title"),
            (json!({"milestones": [{"title": "t"}]}), "milestones[0].id"),
        ];
        for (patch, field) in cases {
            refused_at(EntityType::Goal, with(goal(), patch), field);
        }
    }

    #[test]
    fn plan_rejections() {
        let plans = EntityType::PracticePlan;
        refused_at(plans, with(plan(), json!({"title": null})), "title");
        refused_at(plans, with(plan(), json!({"type": "marathon"})), "type");
        refused_at(plans, with(plan(), json!({"status": "paused"})), "status");
        refused_at(
            plans,
            with(plan(), json!({"visibility": "public"})),
            "visibility",
        );
        refused_at(
            plans,
            with(plan(), json!({"schedule": "weekly"})),
            "schedule",
        );
        refused_at(
            plans,
            with(plan(), json!({"schedule": {"kind": "recurring"}})),
            "schedule.rule",
        );
        refused_at(
            plans,
            with(
                plan(),
                json!({"schedule": {"kind": "Recurring", "rule": ""}}),
            ),
            "schedule.rule",
        );
        let message = refused_at(
            plans,
            with(
                plan(),
                json!({"schedule": {"kind": "recurring", "rule": "FREQ=HOURLY"}}),
            ),
            "schedule.rule",
        );
        assert_eq!(message, "FREQ must be DAILY, WEEKLY or MONTHLY");
        // A single (non-recurring) schedule needs no rule.
        ok(
            plans,
            with(plan(), json!({"schedule": {"kind": "single", "rule": 5}})),
        );

        let occurrences = EntityType::PlanOccurrence;
        refused_at(
            occurrences,
            with(occurrence(), json!({"planId": null})),
            "planId",
        );
        refused_at(
            occurrences,
            with(occurrence(), json!({"planId": "plan 1"})),
            "planId",
        );
        refused_at(
            occurrences,
            with(occurrence(), json!({"status": "late"})),
            "status",
        );
        refused_at(
            occurrences,
            with(occurrence(), json!({"scheduledStart": 1767323045678u64})),
            "scheduledStart",
        );
        refused_at(
            occurrences,
            with(
                occurrence(),
                json!({"scheduledEnd": "2026-01-05T17:59:59Z"}),
            ),
            "scheduledEnd",
        );
        ok(
            occurrences,
            with(
                occurrence(),
                json!({"scheduledEnd": "2026-01-05T18:00:00Z"}),
            ),
        );

        refused_at(
            EntityType::PlanTemplate,
            with(template(), json!({"title": "  "})),
            "title",
        );
        refused_at(
            EntityType::PlanTemplate,
            with(template(), json!({"visibility": "shared"})),
            "visibility",
        );
    }

    #[test]
    fn repertoire_rules() {
        let items = EntityType::RepertoireItem;
        let planned = ok(items, with(repertoire(), json!({"status": null})));
        assert_eq!(planned["status"], "planned");
        ok(items, with(repertoire(), json!({"difficultyRating": null})));
        ok(
            items,
            with(
                repertoire(),
                json!({"id": "rep_1", "status": "performance_ready"}),
            ),
        );
        // A client-held id that is the (unnormalised) score id is normalised with it.
        let renamed = ok(
            items,
            with(repertoire(), json!({"id": "Clair de Lune-Debussy"})),
        );
        assert_eq!(renamed["id"], "clair de lune-debussy");
        let cases = [
            (json!({"scoreId": null}), "scoreId"),
            (json!({"scoreId": " "}), "scoreId"),
            (json!({"id": "not the score"}), "id"),
            (json!({"status": "mastered"}), "status"),
            (json!({"difficultyRating": 0}), "difficultyRating"),
            (json!({"difficultyRating": 6}), "difficultyRating"),
            (json!({"difficultyRating": 2.5}), "difficultyRating"),
            (
                json!({"personalNotes": "x".repeat(10_001)}),
                "personalNotes",
            ),
            (
                json!({"referenceLinks": vec!["https://a.b"; 21]}),
                "referenceLinks",
            ),
            (
                json!({"referenceLinks": ["https://a.b", "ftp://a.b"]}),
                "referenceLinks[1]",
            ),
            (json!({"referenceLinks": ["https://"]}), "referenceLinks[0]"),
            (
                json!({"referenceLinks": ["https://a.b/x y"]}),
                "referenceLinks[0]",
            ),
            (json!({"referenceLinks": [7]}), "referenceLinks[0]"),
        ];
        for (patch, field) in cases {
            refused_at(items, with(repertoire(), patch), field);
        }
    }

    #[test]
    fn rrule_subset() {
        let rule = parse_rrule("RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR;UNTIL=20260301");
        assert_eq!(
            rule,
            Ok(RecurrenceRule {
                freq: Frequency::Weekly,
                interval: 2,
                by_day: vec![Weekday::Mon, Weekday::Wed, Weekday::Fri],
                count: None,
                until: NaiveDate::from_ymd_opt(2026, 3, 1).map(Until::Date),
            })
        );
        let daily = parse_rrule("freq=daily;count=10;");
        assert_eq!(
            daily.as_ref().map(|r| (r.freq, r.interval, r.count)),
            Ok((Frequency::Daily, 1, Some(10)))
        );
        let until = parse_rrule("FREQ=MONTHLY;UNTIL=20261231T235959Z").map(|r| r.until);
        let expected = NaiveDate::from_ymd_opt(2026, 12, 31)
            .and_then(|d| d.and_hms_opt(23, 59, 59))
            .map(|t| Until::DateTime(t.and_utc()));
        assert_eq!(until, Ok(expected));

        let bad = [
            ("", "FREQ is required"),
            ("INTERVAL=2", "FREQ is required"),
            ("FREQ=YEARLY", "FREQ must be DAILY, WEEKLY or MONTHLY"),
            (
                "FREQ=DAILY;INTERVAL=0",
                "INTERVAL must be a positive integer",
            ),
            (
                "FREQ=DAILY;INTERVAL=x",
                "INTERVAL must be a positive integer",
            ),
            ("FREQ=DAILY;COUNT=-1", "COUNT must be a positive integer"),
            (
                "FREQ=WEEKLY;BYDAY=MON",
                "BYDAY must be two-letter days such as MO,WE,FR",
            ),
            (
                "FREQ=WEEKLY;BYDAY=1MO",
                "BYDAY must be two-letter days such as MO,WE,FR",
            ),
            (
                "FREQ=DAILY;UNTIL=2026-03-01",
                "UNTIL must be YYYYMMDD or YYYYMMDDTHHMMSSZ",
            ),
            (
                "FREQ=DAILY;UNTIL=20260230",
                "UNTIL must be YYYYMMDD or YYYYMMDDTHHMMSSZ",
            ),
            (
                "FREQ=DAILY;UNTIL=20260301T120000",
                "UNTIL must be YYYYMMDD or YYYYMMDDTHHMMSSZ",
            ),
            ("FREQ=DAILY;BYMONTH=1", "unknown part BYMONTH"),
            ("FREQ=DAILY;FREQ=WEEKLY", "FREQ is given twice"),
            ("FREQ=DAILY;WKST", "part \"WKST\" is not NAME=VALUE"),
            (
                "FREQ=DAILY;COUNT=3;UNTIL=20260301",
                "COUNT and UNTIL cannot both be given",
            ),
        ];
        for (rule, message) in bad {
            assert_eq!(
                parse_rrule(rule),
                Err(DocumentError::new("rule", message)),
                "{rule:?}"
            );
        }
    }

    #[test]
    fn normalised_documents_are_fixed_points() {
        let docs = [
            (EntityType::LogbookEntry, entry()),
            (EntityType::Goal, goal()),
            (EntityType::PracticePlan, plan()),
            (EntityType::PlanOccurrence, occurrence()),
            (EntityType::PlanTemplate, template()),
            (EntityType::RepertoireItem, repertoire()),
            (EntityType::Recording, recording()),
        ];
        for (entity, doc) in docs {
            let once = ok(entity, doc);
            assert_eq!(ok(entity, once.clone()), once, "{}", entity.as_str());
        }
    }

    fn mixed_case(words: &'static [&'static str]) -> impl Strategy<Value = String> {
        (
            proptest::sample::select(words),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(word, upper, pad)| {
                let word = if upper {
                    word.to_uppercase()
                } else {
                    word.to_owned()
                };
                if pad { format!(" {word} ") } else { word }
            })
    }

    fn clock() -> impl Strategy<Value = Value> {
        prop_oneof![
            (0u64..4_000_000_000_000).prop_map(Value::from),
            Just(json!("2026-01-02T03:04:05.678Z")),
            Just(json!("2026-01-02T03:04:05+05:30")),
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        "[a-zA-Z .'|\\-\u{2013}\u{2019}\u{201C}É]{1,20}"
    }

    fn piece_strategy() -> impl Strategy<Value = Value> {
        (
            text(),
            proptest::option::of(text()),
            proptest::option::of(text()),
        )
            .prop_filter("title must not be blank", |(title, _, _)| {
                !title.trim().is_empty()
            })
            .prop_map(|(title, composer, id)| {
                let mut piece = json!({"title": title, "tempo": 72});
                if let (Some(map), Some(composer)) = (piece.as_object_mut(), composer) {
                    map.insert("composer".to_owned(), Value::String(composer));
                }
                if let (Some(map), Some(id)) = (piece.as_object_mut(), id) {
                    map.insert("id".to_owned(), Value::String(id));
                }
                piece
            })
    }

    fn entry_strategy() -> impl Strategy<Value = Value> {
        (
            (clock(), clock(), proptest::option::of(clock())),
            (
                0u32..=1440,
                mixed_case(ENTRY_TYPES),
                mixed_case(&["Piano", "guitar", "VIOLIN"]),
            ),
            proptest::option::of(mixed_case(MOODS)),
            proptest::collection::vec(piece_strategy(), 0..4),
            proptest::option::of(text()),
            proptest::option::of(proptest::collection::vec("[a-z0-9_]{1,8}", 0..3)),
            any::<bool>(),
        )
            .prop_map(
                |(
                    (timestamp, updated, deleted),
                    (duration, kind, instrument),
                    mood,
                    pieces,
                    score,
                    goals,
                    legacy,
                )| {
                    let mut doc = json!({
                        "id": "entry_1", "timestamp": timestamp, "updatedAt": updated,
                        "duration": duration, "type": kind, "instrument": instrument,
                        "pieces": pieces, "mood": mood, "scoreId": score, "extra": {"kept": true},
                    });
                    if let Some(map) = doc.as_object_mut() {
                        if let Some(deleted) = deleted {
                            map.insert("deletedAt".to_owned(), deleted);
                        }
                        if let Some(goals) = goals {
                            let key = if legacy { "goal_ids" } else { "goalIds" };
                            map.insert(key.to_owned(), json!(goals));
                        }
                    }
                    doc
                },
            )
    }

    /// Arbitrary JSON, with keys biased towards the fields the validator looks at.
    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".{0,12}".prop_map(Value::from),
            Just(json!("2026-01-02T03:04:05Z")),
            Just(json!("FREQ=DAILY")),
            Just(json!("recurring")),
        ];
        let key = prop_oneof![
            proptest::sample::select(vec![
                "id",
                "updatedAt",
                "deletedAt",
                "createdAt",
                "version",
                "timestamp",
                "duration",
                "type",
                "instrument",
                "mood",
                "pieces",
                "title",
                "composer",
                "techniques",
                "tags",
                "goalIds",
                "goal_ids",
                "notes",
                "scoreId",
                "status",
                "targetValue",
                "measures",
                "milestones",
                "schedule",
                "kind",
                "rule",
                "planId",
                "scheduledStart",
                "scheduledEnd",
                "visibility",
                "difficultyRating",
                "referenceLinks",
            ])
            .prop_map(str::to_owned),
            "[a-z]{1,6}",
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
                proptest::collection::btree_map(key.clone(), inner, 0..8)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    /// A valid document of each type with some fields overwritten by arbitrary JSON.
    fn patched_document() -> impl Strategy<Value = (EntityType, Value)> {
        let bases = vec![
            (EntityType::LogbookEntry, entry()),
            (EntityType::Goal, goal()),
            (EntityType::PracticePlan, plan()),
            (EntityType::PlanOccurrence, occurrence()),
            (EntityType::PlanTemplate, template()),
            (EntityType::RepertoireItem, repertoire()),
            (EntityType::Recording, recording()),
        ];
        (proptest::sample::select(bases), any_json()).prop_map(|((entity, base), patch)| {
            let patch = match patch {
                Value::Object(map) => Value::Object(map),
                other => json!({ "pieces": [other], "schedule": {"kind": "recurring", "rule": "FREQ=DAILY"} }),
            };
            (entity, with(base, patch))
        })
    }

    proptest! {
        #[test]
        fn patched_documents_never_panic_and_results_are_stable((entity, doc) in patched_document()) {
            if let Ok(once) = normalize_document(entity, doc) {
                prop_assert_eq!(normalize_document(entity, once.clone()), Ok(once));
            }
        }

        #[test]
        fn entry_normalisation_is_idempotent(doc in entry_strategy()) {
            let once = normalize_document(EntityType::LogbookEntry, doc);
            prop_assert!(once.is_ok(), "{:?}", once);
            let once = once.unwrap_or_default();
            let twice = normalize_document(EntityType::LogbookEntry, once.clone());
            prop_assert_eq!(twice, Ok(once));
        }

        #[test]
        fn arbitrary_json_never_panics_and_results_are_stable(doc in any_json()) {
            for entity in EntityType::ALL {
                if let Ok(once) = normalize_document(entity, doc.clone()) {
                    prop_assert_eq!(normalize_document(entity, once.clone()), Ok(once));
                }
            }
        }
    }
}
