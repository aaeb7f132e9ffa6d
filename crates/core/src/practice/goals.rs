//! Goals: `goal` documents, their progress records and the figures derived from the logbook
//! entries that name them (`goalIds`).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use super::{
    array_or_empty, double_option, entry_minutes, entry_time, is_live, iso, new_id, number,
    short_strings, stamp, text, unix_seconds,
};
use crate::ApiError;
use crate::score_id::normalize_existing_score_id;

pub const TYPES: [&str; 4] = ["practice_time", "accuracy", "repertoire", "custom"];
pub const STATUSES: [&str; 3] = ["active", "completed", "abandoned"];
/// Progress records kept per goal (newest).
pub const MAX_PROGRESS: usize = 500;
/// Recent sessions in a goal's stats.
pub const RECENT_SESSIONS: usize = 10;

fn one_of(value: &str, allowed: &[&str]) -> Result<(), ValidationError> {
    if allowed.contains(&value.trim().to_lowercase().as_str()) {
        Ok(())
    } else {
        Err(ValidationError::new("enum")
            .with_message(format!("must be one of {}", allowed.join(", ")).into()))
    }
}

fn valid_type(value: &str) -> Result<(), ValidationError> {
    one_of(value, &TYPES)
}

fn valid_status(value: &str) -> Result<(), ValidationError> {
    one_of(value, &STATUSES)
}

fn non_negative(value: f64) -> Result<(), ValidationError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(ValidationError::new("range").with_message("must be a number of at least 0".into()))
    }
}

fn date_like(value: &str) -> Result<(), ValidationError> {
    let ok = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok()
        || DateTime::parse_from_rfc3339(value).is_ok();
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("date")
            .with_message("must be a date (YYYY-MM-DD) or an ISO-8601 date-time".into()))
    }
}

fn is_object(value: &Value) -> Result<(), ValidationError> {
    if value.is_object() {
        Ok(())
    } else {
        Err(ValidationError::new("type").with_message("must be an object".into()))
    }
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Milestone {
    #[validate(length(min = 1, max = 128, message = "must be 1 to 128 characters"))]
    pub id: String,
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    pub title: String,
    #[validate(custom(function = "date_like"))]
    pub target_date: Option<String>,
    #[serde(default)]
    pub completed: bool,
    #[validate(custom(function = "date_like"))]
    pub completed_at: Option<String>,
}

/// `POST /api/goals`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateGoalRequest {
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    pub title: String,
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    pub description: Option<String>,
    #[validate(custom(function = "valid_type"))]
    pub r#type: String,
    #[validate(custom(function = "non_negative"))]
    pub target_value: Option<f64>,
    #[validate(custom(function = "date_like"))]
    pub target_date: Option<String>,
    #[validate(length(max = 1000, message = "must be at most 1000 characters"))]
    pub score_id: Option<String>,
    #[validate(custom(function = "short_strings"))]
    pub measures: Option<Vec<String>>,
    #[validate(custom(function = "is_object"))]
    #[schema(value_type = Option<Object>)]
    pub practice_plan: Option<Value>,
    #[validate(nested, length(max = 100, message = "must have at most 100 items"))]
    pub milestones: Option<Vec<Milestone>>,
}

/// `PUT /api/goals/{id}`: every field optional; `null` clears an optional one.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateGoalRequest {
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[validate(custom(function = "valid_type"))]
    pub r#type: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(custom(function = "non_negative"))]
    #[schema(value_type = Option<f64>)]
    pub target_value: Option<Option<f64>>,
    #[validate(custom(function = "non_negative"))]
    pub current_value: Option<f64>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(custom(function = "date_like"))]
    #[schema(value_type = Option<String>)]
    pub target_date: Option<Option<String>>,
    #[validate(custom(function = "valid_status"))]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 1000, message = "must be at most 1000 characters"))]
    #[schema(value_type = Option<String>)]
    pub score_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(custom(function = "short_strings"))]
    #[schema(value_type = Option<Vec<String>>)]
    pub measures: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(custom(function = "is_object"))]
    #[schema(value_type = Option<Object>)]
    pub practice_plan: Option<Option<Value>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(nested)]
    #[schema(value_type = Option<Vec<Milestone>>)]
    pub milestones: Option<Option<Vec<Milestone>>>,
}

/// `POST /api/goals/{id}/progress`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProgressRequest {
    #[validate(custom(function = "finite"))]
    pub value: f64,
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    pub notes: Option<String>,
    #[validate(length(min = 1, max = 128, message = "must be 1 to 128 characters"))]
    pub session_id: Option<String>,
}

fn finite(value: f64) -> Result<(), ValidationError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(ValidationError::new("range").with_message("must be a finite number".into()))
    }
}

/// The filters of `GET /api/goals`, checked.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct GoalFilter {
    pub status: Option<String>,
    pub goal_type: Option<String>,
    pub score_id: Option<String>,
}

impl GoalFilter {
    pub fn parse(
        status: Option<String>,
        goal_type: Option<String>,
        score_id: Option<String>,
    ) -> Result<Self, ApiError> {
        let check = |name: &str, value: Option<String>, allowed: &[&str]| match value
            .map(|v| v.trim().to_lowercase())
            .filter(|v| !v.is_empty())
        {
            Some(v) if !allowed.contains(&v.as_str()) => Err(ApiError::Validation {
                message: format!("{name} must be one of {}", allowed.join(", ")),
                details: Some(
                    json!({"fields": {name: [format!("must be one of {}", allowed.join(", "))]}}),
                ),
            }),
            other => Ok(other),
        };
        Ok(Self {
            status: check("status", status, &STATUSES)?,
            goal_type: check("type", goal_type, &TYPES)?,
            score_id: score_id
                .filter(|id| !id.trim().is_empty())
                .map(|id| normalize_existing_score_id(id.trim())),
        })
    }

    pub fn matches(&self, goal: &Value) -> bool {
        let field = |key, wanted: &Option<String>| {
            wanted
                .as_deref()
                .is_none_or(|wanted| text(goal, key) == Some(wanted))
        };
        is_live(goal)
            && field("status", &self.status)
            && field("type", &self.goal_type)
            && field("scoreId", &self.score_id)
    }
}

/// The document of a new goal.
pub fn new_goal(request: &CreateGoalRequest, now: DateTime<Utc>) -> Value {
    let at = iso(now);
    let score_id = request
        .score_id
        .as_deref()
        .filter(|id| !id.trim().is_empty())
        .map(|id| normalize_existing_score_id(id.trim()));
    json!({
        "id": new_id("goal"),
        "title": request.title.trim(),
        "description": request.description,
        "type": request.r#type.trim().to_lowercase(),
        "targetValue": request.target_value,
        "currentValue": 0,
        "targetDate": request.target_date,
        "status": "active",
        "scoreId": score_id,
        "measures": request.measures,
        "practicePlan": request.practice_plan,
        "milestones": request.milestones,
        "progress": [],
        "createdAt": at,
        "updatedAt": at,
        "version": 1,
    })
}

/// The repertoire item a `repertoire` goal with a score implies, when none is live.
pub fn implied_repertoire_item(
    goal: &Value,
    stored_item: Option<&Value>,
    now: DateTime<Utc>,
) -> Option<Value> {
    let score_id = text(goal, "scoreId")?;
    if text(goal, "type") != Some("repertoire") || stored_item.is_some_and(is_live) {
        return None;
    }
    let mut doc = Map::new();
    doc.insert("id".into(), score_id.into());
    doc.insert("scoreId".into(), score_id.into());
    doc.insert("status".into(), "planned".into());
    doc.insert("difficultyRating".into(), Value::Null);
    doc.insert("personalNotes".into(), Value::Null);
    doc.insert("referenceLinks".into(), json!([]));
    doc.insert("statusHistory".into(), json!([]));
    doc.insert("createdAt".into(), iso(now).into());
    stamp(&mut doc, stored_item, now);
    Some(Value::Object(doc))
}

impl UpdateGoalRequest {
    pub fn is_empty(&self) -> bool {
        self.title.is_none()
            && self.description.is_none()
            && self.r#type.is_none()
            && self.target_value.is_none()
            && self.current_value.is_none()
            && self.target_date.is_none()
            && self.status.is_none()
            && self.score_id.is_none()
            && self.measures.is_none()
            && self.practice_plan.is_none()
            && self.milestones.is_none()
    }
}

/// Applies an update to a stored goal.
pub fn apply_update(stored: &Value, request: &UpdateGoalRequest, now: DateTime<Utc>) -> Value {
    let mut doc = stored.as_object().cloned().unwrap_or_default();
    let mut set = |key: &str, value: Value| {
        doc.insert(key.into(), value);
    };
    if let Some(title) = &request.title {
        set("title", title.trim().into());
    }
    if let Some(description) = &request.description {
        set("description", json!(description));
    }
    if let Some(kind) = &request.r#type {
        set("type", kind.trim().to_lowercase().into());
    }
    if let Some(target) = request.target_value {
        set("targetValue", json!(target));
    }
    if let Some(current) = request.current_value {
        set("currentValue", json!(current));
    }
    if let Some(date) = &request.target_date {
        set("targetDate", json!(date));
    }
    if let Some(status) = &request.status {
        set("status", status.trim().to_lowercase().into());
    }
    if let Some(score_id) = &request.score_id {
        let normalized = score_id
            .as_deref()
            .filter(|id| !id.trim().is_empty())
            .map(|id| normalize_existing_score_id(id.trim()));
        set("scoreId", json!(normalized));
    }
    if let Some(measures) = &request.measures {
        set("measures", json!(measures));
    }
    if let Some(plan) = &request.practice_plan {
        set("practicePlan", json!(plan));
    }
    if let Some(milestones) = &request.milestones {
        set("milestones", json!(milestones));
    }
    stamp(&mut doc, Some(stored), now);
    Value::Object(doc)
}

/// What recording progress did.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressOutcome {
    pub document: Value,
    pub current_value: f64,
    pub target_value: Option<f64>,
    pub status: String,
    pub completed: bool,
}

/// Adds `value` to the goal's `currentValue`, keeps the record (newest 500), and completes
/// the goal once it reaches its target. A total below zero is refused.
pub fn record_progress(
    stored: &Value,
    request: &ProgressRequest,
    now: DateTime<Utc>,
) -> Result<ProgressOutcome, ApiError> {
    let current = stored
        .get("currentValue")
        .and_then(Value::as_f64)
        .unwrap_or(0.0)
        + request.value;
    if current < 0.0 {
        return Err(ApiError::Validation {
            message: "value would take currentValue below 0".into(),
            details: Some(json!({"fields": {"value": ["would take currentValue below 0"]}})),
        });
    }
    let target = stored.get("targetValue").and_then(Value::as_f64);
    let mut status = text(stored, "status").unwrap_or("active").to_owned();
    let completed = target.is_some_and(|target| current >= target);
    if completed {
        status = "completed".into();
    }
    let mut doc = stored.as_object().cloned().unwrap_or_default();
    let mut records = doc
        .get("progress")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    records.push(json!({
        "value": request.value,
        "notes": request.notes,
        "sessionId": request.session_id,
        "at": iso(now),
    }));
    let excess = records.len().saturating_sub(MAX_PROGRESS);
    records.drain(..excess);
    doc.insert("progress".into(), Value::Array(records));
    doc.insert("currentValue".into(), number(current));
    doc.insert("status".into(), status.clone().into());
    stamp(&mut doc, Some(stored), now);
    Ok(ProgressOutcome {
        document: Value::Object(doc),
        current_value: current,
        target_value: target,
        status,
        completed,
    })
}

/// Whether a live entry names the goal in `goalIds`.
fn names_goal(entry: &Value, goal_id: &str) -> bool {
    is_live(entry)
        && entry
            .get("goalIds")
            .and_then(Value::as_array)
            .is_some_and(|ids| ids.iter().any(|id| id.as_str() == Some(goal_id)))
}

/// How many live entries name the goal.
pub fn related_sessions(entries: &[Value], goal_id: &str) -> usize {
    entries
        .iter()
        .filter(|entry| names_goal(entry, goal_id))
        .count()
}

/// A goal as the REST answers show it (times in unix seconds).
pub fn goal_view(goal: &Value, related: usize, with_progress: bool) -> Value {
    let mut view = Map::new();
    for key in [
        "id",
        "title",
        "description",
        "type",
        "targetValue",
        "targetDate",
        "status",
        "scoreId",
        "measures",
        "practicePlan",
        "milestones",
    ] {
        view.insert(key.into(), goal.get(key).cloned().unwrap_or(Value::Null));
    }
    view.insert(
        "currentValue".into(),
        goal.get("currentValue").cloned().unwrap_or(json!(0)),
    );
    view.insert("relatedSessions".into(), json!(related));
    for key in ["createdAt", "updatedAt"] {
        view.insert(key.into(), json!(unix_seconds(goal.get(key))));
    }
    if with_progress {
        view.insert("progress".into(), array_or_empty(goal, "progress"));
    }
    Value::Object(view)
}

/// `GET /api/goals/{id}`: the goal and the figures of the entries that name it.
pub fn goal_detail(goal: &Value, entries: &[Value]) -> Value {
    let goal_id = text(goal, "id").unwrap_or_default();
    let mut related: Vec<&Value> = entries.iter().filter(|e| names_goal(e, goal_id)).collect();
    related.sort_by_key(|entry| std::cmp::Reverse(entry_time(entry)));
    let total: f64 = related.iter().map(|entry| entry_minutes(entry)).sum();
    let recent: Vec<Value> = related
        .iter()
        .take(RECENT_SESSIONS)
        .map(|entry| {
            json!({
                "id": entry.get("id"),
                "timestamp": entry_time(entry),
                "duration": number(entry_minutes(entry)),
                "notes": entry.get("notes").filter(|n| n.is_string()),
            })
        })
        .collect();
    json!({
        "goal": goal_view(goal, related.len(), true),
        "stats": {
            "relatedSessions": related.len(),
            "totalPracticeTime": number(total),
            "recentSessions": recent,
        }
    })
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

    fn create(kind: &str, target: Option<f64>) -> CreateGoalRequest {
        serde_json::from_value(json!({
            "title": " Learn the Ballade ", "type": kind, "targetValue": target,
            "scoreId": "Ballade No. 1-Chopin", "milestones": [{"id": "m1", "title": "Coda"}],
        }))
        .unwrap()
    }

    #[test]
    fn new_goals_are_valid_documents() {
        let goal = new_goal(&create("Repertoire", Some(10.0)), now());
        assert!(goal["id"].as_str().unwrap().starts_with("goal_"));
        assert_eq!(goal["title"], "Learn the Ballade");
        assert_eq!(goal["type"], "repertoire");
        assert_eq!(goal["status"], "active");
        assert_eq!(goal["scoreId"], "ballade no. 1-chopin");
        assert_eq!(goal["milestones"][0]["completed"], false);
        normalize_document(EntityType::Goal, goal).unwrap();
    }

    #[test]
    fn repertoire_goals_imply_a_planned_item_unless_one_is_live() {
        let goal = new_goal(&create("repertoire", None), now());
        let item = implied_repertoire_item(&goal, None, now()).unwrap();
        assert_eq!(item["status"], "planned");
        assert_eq!(item["scoreId"], "ballade no. 1-chopin");
        normalize_document(EntityType::RepertoireItem, item.clone()).unwrap();
        assert!(implied_repertoire_item(&goal, Some(&item), now()).is_none());
        let revived =
            implied_repertoire_item(&goal, Some(&tombstone(&item, now())), now()).unwrap();
        assert_eq!(revived["version"], 3);
        let custom = new_goal(&create("custom", None), now());
        assert!(implied_repertoire_item(&custom, None, now()).is_none());
    }

    #[test]
    fn invalid_bodies_name_their_fields() {
        let bad: CreateGoalRequest =
            serde_json::from_value(json!({"title": "", "type": "fame", "targetValue": -1}))
                .unwrap();
        let envelope = serde_json::to_value(
            crate::input::validation_error(validator::Validate::validate(&bad).unwrap_err())
                .envelope(),
        )
        .unwrap();
        let fields = &envelope["details"]["fields"];
        for field in ["title", "type", "targetValue"] {
            assert!(fields.get(field).is_some(), "{field}: {fields}");
        }
        let progress: ProgressRequest = serde_json::from_value(json!({"value": 2})).unwrap();
        assert!(progress.validate().is_ok());
    }

    #[test]
    fn progress_accumulates_and_completes_at_the_target() {
        let goal = new_goal(&create("practice_time", Some(60.0)), now());
        let step = |value: f64| ProgressRequest {
            value,
            notes: Some("ok".into()),
            session_id: None,
        };
        let first = record_progress(&goal, &step(30.0), now()).unwrap();
        assert_eq!(first.current_value, 30.0);
        assert!(!first.completed);
        assert_eq!(first.status, "active");
        assert_eq!(first.document["version"], 2);
        let second = record_progress(&first.document, &step(30.0), now()).unwrap();
        assert!(second.completed);
        assert_eq!(second.status, "completed");
        assert_eq!(second.document["currentValue"], 60);
        assert_eq!(second.document["progress"].as_array().unwrap().len(), 2);
        assert_eq!(
            record_progress(&goal, &step(-1.0), now())
                .unwrap_err()
                .status(),
            400
        );
        normalize_document(EntityType::Goal, second.document).unwrap();
    }

    #[test]
    fn progress_records_are_capped() {
        let mut goal = new_goal(&create("custom", None), now());
        goal["progress"] = Value::Array((0..MAX_PROGRESS).map(|i| json!({"value": i})).collect());
        let next = record_progress(
            &goal,
            &ProgressRequest {
                value: 1.0,
                notes: None,
                session_id: None,
            },
            now(),
        )
        .unwrap();
        let records = next.document["progress"].as_array().unwrap();
        assert_eq!(records.len(), MAX_PROGRESS);
        assert_eq!(records[0]["value"], 1, "the oldest went");
    }

    #[test]
    fn updates_set_and_clear_fields() {
        let goal = new_goal(&create("custom", Some(5.0)), now());
        let update: UpdateGoalRequest = serde_json::from_value(
            json!({"status": "Abandoned", "targetValue": null, "description": "x"}),
        )
        .unwrap();
        assert!(!update.is_empty());
        let doc = apply_update(&goal, &update, now());
        assert_eq!(doc["status"], "abandoned");
        assert!(doc["targetValue"].is_null());
        assert_eq!(doc["description"], "x");
        assert_eq!(doc["version"], 2);
        assert!(UpdateGoalRequest::default().is_empty());
    }

    #[test]
    fn related_sessions_ignore_deleted_entries() {
        let entry = |id: &str, goals: Value, minutes: f64| json!({"id": id, "goalIds": goals, "duration": minutes, "timestamp": "2026-01-01T00:00:00.000Z"});
        let entries = vec![
            entry("1", json!(["g1"]), 20.0),
            entry("2", json!(["g1", "g2"]), 10.0),
            entry("3", json!(["g2"]), 5.0),
            tombstone(&entry("4", json!(["g1"]), 50.0), now()),
        ];
        assert_eq!(related_sessions(&entries, "g1"), 2);
        let goal = json!({"id": "g1", "title": "t", "type": "custom", "createdAt": "2026-01-01T00:00:00.000Z"});
        let detail = goal_detail(&goal, &entries);
        assert_eq!(detail["stats"]["relatedSessions"], 2);
        assert_eq!(detail["stats"]["totalPracticeTime"], 30);
        assert_eq!(detail["goal"]["createdAt"], 1_767_225_600);
        assert_eq!(detail["goal"]["currentValue"], 0);
    }

    #[test]
    fn filters_check_their_values() {
        assert_eq!(
            GoalFilter::parse(Some("fame".into()), None, None)
                .unwrap_err()
                .status(),
            400
        );
        let filter = GoalFilter::parse(
            Some("Active".into()),
            None,
            Some("Ballade No. 1-Chopin".into()),
        )
        .unwrap();
        let goal = new_goal(&create("repertoire", None), now());
        assert!(filter.matches(&goal));
        assert!(!filter.matches(&tombstone(&goal, now())));
        let other = GoalFilter::parse(None, Some("custom".into()), None).unwrap();
        assert!(!other.matches(&goal));
    }
}
