//! Adopting a plan template (`POST /api/templates/adopt`): a private copy of the template as a
//! `practice_plan`, and its `plan_occurrence`s expanded from the template's schedule.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use super::{array_or_empty, iso, new_id, short_strings, text};
use crate::ApiError;
use crate::sync::entities::{Frequency, RecurrenceRule, Until, parse_rrule};

/// How far ahead a recurring schedule is expanded.
pub const HORIZON_DAYS: i64 = 90;
/// Most occurrences one adoption creates.
pub const MAX_OCCURRENCES: usize = 200;
/// Session length when neither the customisation nor the template names one.
const DEFAULT_MINUTES: i64 = 60;
/// Start time when neither the customisation nor the template names one (UTC).
const DEFAULT_TIME: &str = "09:00";
const PLAN_TYPES: [&str; 3] = ["bootcamp", "course", "custom"];

fn date_like(value: &str) -> Result<(), ValidationError> {
    if parse_start(value).is_some() {
        Ok(())
    } else {
        Err(ValidationError::new("date")
            .with_message("must be a date (YYYY-MM-DD) or an ISO-8601 date-time".into()))
    }
}

fn valid_time_of_day(value: &str) -> Result<(), ValidationError> {
    if parse_time(value).is_some() {
        Ok(())
    } else {
        Err(ValidationError::new("time").with_message("must be a time of day, HH:MM".into()))
    }
}

#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleCustomization {
    #[validate(custom(function = "date_like"))]
    pub start_date: Option<String>,
    #[validate(custom(function = "date_like"))]
    pub end_date: Option<String>,
    #[validate(custom(function = "valid_time_of_day"))]
    pub time_of_day: Option<String>,
    #[validate(range(min = 1, max = 1440, message = "must be an integer from 1 to 1440"))]
    pub duration_minutes: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Customization {
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    pub title: Option<String>,
    #[validate(custom(function = "short_strings"))]
    pub focus_areas: Option<Vec<String>>,
    #[validate(custom(function = "short_strings"))]
    pub tags: Option<Vec<String>>,
    #[validate(nested)]
    pub schedule: Option<ScheduleCustomization>,
}

/// `POST /api/templates/adopt`.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdoptRequest {
    #[validate(length(min = 1, max = 128, message = "must be 1 to 128 characters"))]
    pub template_id: String,
    #[validate(nested)]
    pub customization: Option<Customization>,
}

/// The plan and occurrences an adoption creates.
#[derive(Debug, Clone, PartialEq)]
pub struct Adoption {
    pub plan: Value,
    pub occurrences: Vec<Value>,
}

/// A start date (`YYYY-MM-DD`) or date-time (its UTC date and time).
fn parse_start(value: &str) -> Option<(NaiveDate, Option<NaiveTime>)> {
    let value = value.trim();
    if let Ok(date) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Some((date, None));
    }
    DateTime::parse_from_rfc3339(value).ok().map(|at| {
        let at = at.with_timezone(&Utc);
        (at.date_naive(), Some(at.time()))
    })
}

fn parse_time(value: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(value.trim(), "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(value.trim(), "%H:%M:%S"))
        .ok()
}

/// The first value among the customisation's and the template schedule's.
fn pick<'a>(custom: Option<&'a str>, schedule: &'a Value, key: &str) -> Option<&'a str> {
    custom.or_else(|| text(schedule, key))
}

/// The days a rule produces from `start` up to `last` (inclusive), at most `max`.
pub fn expand_days(
    rule: &RecurrenceRule,
    start: NaiveDate,
    last: NaiveDate,
    max: usize,
) -> Vec<NaiveDate> {
    let interval = i64::from(rule.interval.max(1));
    let limit = rule.count.map_or(max, |count| (count as usize).min(max));
    let week_of = |day: NaiveDate| {
        (day - Duration::days(i64::from(day.weekday().num_days_from_monday()))).num_days_from_ce()
    };
    let month_of = |day: NaiveDate| i64::from(day.year()) * 12 + i64::from(day.month0());
    let mut days = Vec::new();
    let mut day = start;
    while day <= last && days.len() < limit {
        let weekday_ok = |default: bool| {
            if rule.by_day.is_empty() {
                default
            } else {
                rule.by_day.contains(&day.weekday())
            }
        };
        let matches = match rule.freq {
            Frequency::Daily => (day - start).num_days() % interval == 0 && weekday_ok(true),
            Frequency::Weekly => {
                i64::from((week_of(day) - week_of(start)) / 7) % interval == 0
                    && weekday_ok(day.weekday() == start.weekday())
            }
            Frequency::Monthly => {
                (month_of(day) - month_of(start)) % interval == 0
                    && weekday_ok(day.day() == start.day())
            }
        };
        let before_until = match rule.until {
            None => true,
            Some(Until::Date(until)) => day <= until,
            Some(Until::DateTime(until)) => day <= until.date_naive(),
        };
        if !before_until {
            break;
        }
        if matches {
            days.push(day);
        }
        day = match day.succ_opt() {
            Some(next) => next,
            None => break,
        };
    }
    days
}

/// Builds the adopted plan (owned by `user_id`, private, active) and its occurrences.
pub fn adopt(
    template: &Value,
    request: &AdoptRequest,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<Adoption, ApiError> {
    let custom = request.customization.clone().unwrap_or_default();
    let custom_schedule = custom.schedule.clone().unwrap_or_default();
    let template_id = text(template, "id").unwrap_or(&request.template_id);
    let schedule = template
        .get("schedule")
        .filter(|s| s.is_object())
        .cloned()
        .unwrap_or_else(|| json!({}));
    let at = iso(now);

    let title = match &custom.title {
        Some(title) => title.trim().to_owned(),
        None => {
            let base: String = text(template, "title")
                .unwrap_or("Practice plan")
                .chars()
                .take(193)
                .collect();
            format!("{base} (Copy)")
        }
    };
    let recurring =
        text(&schedule, "kind").is_some_and(|k| k.trim().eq_ignore_ascii_case("recurring"));
    let rule = if recurring {
        let raw = text(&schedule, "rule").unwrap_or_default();
        Some(parse_rrule(raw).map_err(|err| ApiError::Validation {
            message: format!(
                "The template's schedule cannot be expanded: {}",
                err.message
            ),
            details: Some(
                json!({"fields": {"templateId": [format!("schedule rule: {}", err.message)]}}),
            ),
        })?)
    } else {
        None
    };

    let (start_date, start_time) = pick(
        custom_schedule.start_date.as_deref(),
        &schedule,
        "startDate",
    )
    .and_then(parse_start)
    .unwrap_or((now.date_naive(), None));
    let time = pick(
        custom_schedule.time_of_day.as_deref(),
        &schedule,
        "timeOfDay",
    )
    .and_then(parse_time)
    .or(start_time)
    .or_else(|| parse_time(DEFAULT_TIME))
    .unwrap_or_default();
    let minutes = custom_schedule
        .duration_minutes
        .or_else(|| schedule.get("durationMinutes").and_then(Value::as_i64))
        .filter(|m| (1..=1440).contains(m))
        .unwrap_or(DEFAULT_MINUTES);
    let end_date = pick(custom_schedule.end_date.as_deref(), &schedule, "endDate")
        .and_then(parse_start)
        .map(|(date, _)| date);

    let mut plan_schedule = schedule.as_object().cloned().unwrap_or_default();
    plan_schedule.insert(
        "startDate".into(),
        start_date.format("%Y-%m-%d").to_string().into(),
    );
    plan_schedule.insert("timeOfDay".into(), time.format("%H:%M").to_string().into());
    plan_schedule.insert("durationMinutes".into(), minutes.into());
    if let Some(end) = end_date {
        plan_schedule.insert("endDate".into(), end.format("%Y-%m-%d").to_string().into());
    }

    let mut metadata = template
        .get("metadata")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    metadata.insert("adoptedFrom".into(), template_id.into());
    metadata.insert("adoptedAt".into(), at.clone().into());

    let plan_type = text(template, "type")
        .map(|t| t.trim().to_lowercase())
        .filter(|t| PLAN_TYPES.contains(&t.as_str()))
        .unwrap_or_else(|| "custom".into());
    let plan_id = new_id("plan");
    let mut plan = Map::new();
    for key in ["description", "techniques", "pieceRefs", "segments"] {
        if let Some(value) = template.get(key) {
            plan.insert(key.into(), value.clone());
        }
    }
    let list = |custom: &Option<Vec<String>>, key: &str| {
        custom
            .as_ref()
            .map(|v| json!(v))
            .or_else(|| template.get(key).cloned())
            .unwrap_or_else(|| json!([]))
    };
    plan.insert("focusAreas".into(), list(&custom.focus_areas, "focusAreas"));
    plan.insert("tags".into(), list(&custom.tags, "tags"));
    plan.insert("id".into(), plan_id.clone().into());
    plan.insert("title".into(), title.into());
    plan.insert("type".into(), plan_type.into());
    plan.insert("status".into(), "active".into());
    plan.insert("visibility".into(), "private".into());
    plan.insert("ownerId".into(), user_id.into());
    plan.insert("sourceTemplateId".into(), template_id.into());
    plan.insert("schedule".into(), Value::Object(plan_schedule));
    plan.insert("metadata".into(), Value::Object(metadata));
    plan.insert("createdAt".into(), at.clone().into());
    plan.insert("updatedAt".into(), at.clone().into());
    plan.insert("version".into(), 1.into());

    let days = match &rule {
        Some(rule) => {
            let horizon = start_date + Duration::days(HORIZON_DAYS - 1);
            let last = end_date.map_or(horizon, |end| end.min(horizon));
            expand_days(rule, start_date, last, MAX_OCCURRENCES)
        }
        None => vec![start_date],
    };
    let flexible = !text(&schedule, "flexibility").is_some_and(|f| f.eq_ignore_ascii_case("fixed"));
    let segments = array_or_empty(template, "segments");
    let occurrences = days
        .into_iter()
        .map(|day| {
            let start = day.and_time(time).and_utc();
            json!({
                "id": new_id("plan_occ"),
                "planId": plan_id,
                "scheduledStart": iso(start),
                "scheduledEnd": iso(start + Duration::minutes(minutes)),
                "flexWindow": if flexible { json!("same-day") } else { Value::Null },
                "recurrenceKey": if rule.is_some() { json!(day.format("%Y-%m-%d").to_string()) } else { Value::Null },
                "segments": segments,
                "status": "scheduled",
                "createdAt": at,
                "updatedAt": at,
                "version": 1,
            })
        })
        .collect();
    Ok(Adoption {
        plan: Value::Object(plan),
        occurrences,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::EntityType;
    use crate::sync::entities::normalize_document;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-02T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn template(schedule: Value) -> Value {
        json!({"id": "tpl_1", "title": "Scales bootcamp", "type": "bootcamp", "visibility": "public",
               "focusAreas": ["scales"], "segments": [{"label": "Warm-up", "durationMinutes": 10}],
               "schedule": schedule, "metadata": {"level": "beginner"}, "updatedAt": "2026-01-01T00:00:00.000Z"})
    }

    fn request(customization: Option<Value>) -> AdoptRequest {
        serde_json::from_value(json!({"templateId": "tpl_1", "customization": customization}))
            .unwrap()
    }

    #[test]
    fn weekly_rules_expand_over_the_horizon() {
        let rule = parse_rrule("FREQ=WEEKLY;BYDAY=MO,WE,FR").unwrap();
        let days = expand_days(&rule, date("2026-03-02"), date("2026-03-15"), 200);
        let expected: Vec<NaiveDate> = [
            "2026-03-02",
            "2026-03-04",
            "2026-03-06",
            "2026-03-09",
            "2026-03-11",
            "2026-03-13",
        ]
        .iter()
        .map(|d| date(d))
        .collect();
        assert_eq!(days, expected);
        let biweekly = parse_rrule("FREQ=WEEKLY;INTERVAL=2").unwrap();
        let days = expand_days(&biweekly, date("2026-03-03"), date("2026-03-31"), 200);
        assert_eq!(
            days,
            vec![date("2026-03-03"), date("2026-03-17"), date("2026-03-31")]
        );
    }

    #[test]
    fn count_until_and_the_cap_stop_expansion() {
        let daily = parse_rrule("FREQ=DAILY;COUNT=3").unwrap();
        assert_eq!(
            expand_days(&daily, date("2026-03-01"), date("2026-05-29"), 200).len(),
            3
        );
        let until = parse_rrule("FREQ=DAILY;UNTIL=20260305").unwrap();
        assert_eq!(
            expand_days(&until, date("2026-03-01"), date("2026-05-29"), 200).len(),
            5
        );
        let many = parse_rrule("FREQ=DAILY").unwrap();
        assert_eq!(
            expand_days(&many, date("2026-01-01"), date("2027-12-31"), 200).len(),
            200
        );
        let monthly = parse_rrule("FREQ=MONTHLY").unwrap();
        assert_eq!(
            expand_days(&monthly, date("2026-01-31"), date("2026-05-31"), 200),
            vec![date("2026-01-31"), date("2026-03-31"), date("2026-05-31")],
            "months without the day are skipped"
        );
    }

    #[test]
    fn adoption_copies_the_template_privately() {
        let tpl = template(
            json!({"kind": "recurring", "rule": "FREQ=DAILY", "timeOfDay": "18:30", "durationMinutes": 45}),
        );
        let adoption = adopt(&tpl, &request(None), "user_1", now()).unwrap();
        let plan = &adoption.plan;
        assert!(plan["id"].as_str().unwrap().starts_with("plan_"));
        assert_eq!(plan["title"], "Scales bootcamp (Copy)");
        assert_eq!(plan["visibility"], "private");
        assert_eq!(plan["status"], "active");
        assert_eq!(plan["ownerId"], "user_1");
        assert_eq!(plan["sourceTemplateId"], "tpl_1");
        assert_eq!(plan["metadata"]["adoptedFrom"], "tpl_1");
        assert_eq!(plan["metadata"]["level"], "beginner");
        assert_eq!(plan["metadata"]["adoptedAt"], "2026-03-02T08:00:00.000Z");
        assert_eq!(adoption.occurrences.len(), 90);
        let first = &adoption.occurrences[0];
        assert!(first["id"].as_str().unwrap().starts_with("plan_occ_"));
        assert_eq!(first["planId"], plan["id"]);
        assert_eq!(first["scheduledStart"], "2026-03-02T18:30:00.000Z");
        assert_eq!(first["scheduledEnd"], "2026-03-02T19:15:00.000Z");
        assert_eq!(first["flexWindow"], "same-day");
        assert_eq!(first["recurrenceKey"], "2026-03-02");
        assert_eq!(first["status"], "scheduled");
        assert_eq!(first["segments"][0]["label"], "Warm-up");
        normalize_document(EntityType::PracticePlan, plan.clone()).unwrap();
        for occurrence in &adoption.occurrences {
            normalize_document(EntityType::PlanOccurrence, occurrence.clone()).unwrap();
        }
    }

    #[test]
    fn customisation_overrides_title_and_schedule() {
        let tpl = template(json!({"kind": "single", "flexibility": "fixed"}));
        let custom = json!({"title": "Mine", "tags": ["x"], "schedule": {"startDate": "2026-04-01", "timeOfDay": "07:00", "durationMinutes": 20}});
        let adoption = adopt(&tpl, &request(Some(custom)), "u", now()).unwrap();
        assert_eq!(adoption.plan["title"], "Mine");
        assert_eq!(adoption.plan["tags"], json!(["x"]));
        assert_eq!(adoption.plan["focusAreas"], json!(["scales"]));
        assert_eq!(adoption.occurrences.len(), 1);
        let only = &adoption.occurrences[0];
        assert_eq!(only["scheduledStart"], "2026-04-01T07:00:00.000Z");
        assert_eq!(only["scheduledEnd"], "2026-04-01T07:20:00.000Z");
        assert!(only["flexWindow"].is_null());
        assert!(only["recurrenceKey"].is_null());
    }

    #[test]
    fn defaults_and_bad_rules() {
        let adoption = adopt(&template(json!(null)), &request(None), "u", now()).unwrap();
        assert_eq!(
            adoption.occurrences[0]["scheduledStart"],
            "2026-03-02T09:00:00.000Z"
        );
        assert_eq!(
            adoption.occurrences[0]["scheduledEnd"],
            "2026-03-02T10:00:00.000Z"
        );
        let bad = template(json!({"kind": "recurring", "rule": "FREQ=HOURLY"}));
        assert_eq!(
            adopt(&bad, &request(None), "u", now())
                .unwrap_err()
                .status(),
            400
        );
        let invalid: AdoptRequest = serde_json::from_value(
            json!({"templateId": "", "customization": {"schedule": {"timeOfDay": "25:99"}}}),
        )
        .unwrap();
        let envelope = serde_json::to_value(
            crate::input::validation_error(validator::Validate::validate(&invalid).unwrap_err())
                .envelope(),
        )
        .unwrap();
        assert!(
            envelope["details"]["fields"].get("templateId").is_some(),
            "{envelope}"
        );
    }
}
