//! The REST sync contract (`/api/sync/pull`, `/api/sync/push`): request parsing, validation
//! of whole pushes (all or nothing), cursors and idempotency hashing.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::EntityType;
use super::entities::normalize_document;
use super::merge::IncomingWrite;
use crate::ApiError;

/// Most documents one push may carry.
pub const MAX_PUSH_ENTITIES: usize = 1_000;
/// Largest push body.
pub const MAX_PUSH_BYTES: u64 = 5 * 1024 * 1024;
/// Page size of a pull when the client names none, and the largest it may ask for.
pub const PULL_PAGE: i64 = 1_000;
/// How long a push answered under an idempotency key is replayed.
pub const IDEMPOTENCY_HOURS: i64 = 24;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushRequest {
    pub changes: BTreeMap<String, Vec<Value>>,
    /// Accepted for compatibility; pushes do not depend on it.
    #[serde(default)]
    pub last_sync_token: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PullRequest {
    /// A previous `syncToken` (`"seq_42"`), or the seq itself; absent for everything.
    #[serde(default)]
    pub since: Option<Value>,
    #[serde(default)]
    pub limit: Option<i64>,
    /// Accepted for compatibility with clients that send them; a pull covers every type.
    #[serde(default)]
    pub types: Option<Value>,
    #[serde(default)]
    pub filters: Option<Value>,
}

/// The cursor a `since` value names. Legacy tokens (`sync_…`) carry no position: they mean
/// "from the beginning", which is always safe.
pub fn parse_cursor(since: Option<&Value>) -> Result<i64, ApiError> {
    let invalid = || {
        ApiError::validation(
            "since must be a syncToken from a previous pull (\"seq_<n>\") or a non-negative integer",
        )
    };
    match since {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(number)) => number.as_i64().filter(|n| *n >= 0).ok_or_else(invalid),
        Some(Value::String(text)) => {
            let digits = text.strip_prefix("seq_").unwrap_or(text);
            if text.starts_with("sync_") || text.is_empty() {
                Ok(0)
            } else {
                digits
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0)
                    .ok_or_else(invalid)
            }
        }
        Some(_) => Err(invalid()),
    }
}

/// The page size a pull asks for, checked.
pub fn parse_limit(limit: Option<i64>) -> Result<i64, ApiError> {
    match limit {
        None => Ok(PULL_PAGE),
        Some(limit) if (1..=PULL_PAGE).contains(&limit) => Ok(limit),
        Some(_) => Err(ApiError::validation(format!(
            "limit must be between 1 and {PULL_PAGE}"
        ))),
    }
}

/// The token naming a position in the user's change history.
pub fn sync_token(seq: i64) -> String {
    format!("seq_{seq}")
}

/// Validates and stamps every document of a push; the first invalid one fails the whole
/// push with a 400 naming the list, the index and the field.
pub fn validate_push(
    request: PushRequest,
    device_id: &str,
) -> Result<Vec<IncomingWrite>, ApiError> {
    let total: usize = request.changes.values().map(Vec::len).sum();
    if total > MAX_PUSH_ENTITIES {
        return Err(ApiError::TooManyItems {
            limit: MAX_PUSH_ENTITIES,
            count: total,
        });
    }
    let mut writes = Vec::with_capacity(total);
    for (bucket, documents) in request.changes {
        let entity = EntityType::from_bucket(&bucket)
            .filter(|kind| kind.accepts_client_writes())
            .ok_or_else(|| ApiError::Validation {
                message: format!(
                    "changes.{bucket} is not a list devices write (expected one of {})",
                    EntityType::ALL
                        .into_iter()
                        .filter(|kind| kind.accepts_client_writes())
                        .map(EntityType::bucket)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                details: Some(serde_json::json!({ "field": format!("changes.{bucket}") })),
            })?;
        for (index, document) in documents.into_iter().enumerate() {
            let at = |field: &str| {
                if field.is_empty() {
                    format!("changes.{bucket}[{index}]")
                } else {
                    format!("changes.{bucket}[{index}].{field}")
                }
            };
            let normalized = normalize_document(entity, document).map_err(|err| ApiError::Validation {
                message: format!("Invalid document: {}: {}", at(&err.field), err.message),
                details: Some(serde_json::json!({ "field": at(&err.field), "index": index, "list": bucket })),
            })?;
            let write = IncomingWrite::new(entity, &normalized, device_id).ok_or_else(|| {
                ApiError::Validation {
                    message: format!(
                        "Invalid document: {}: needs an id and updatedAt or deletedAt",
                        at("")
                    ),
                    details: Some(
                        serde_json::json!({ "field": at(""), "index": index, "list": bucket }),
                    ),
                }
            })?;
            writes.push(write);
        }
    }
    Ok(writes)
}

/// One document of a `/api/sync/batch` request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchEntity {
    pub id: String,
    /// The stored type name (`logbook_entry`, `goal`, …).
    #[serde(rename = "type")]
    pub entity_type: String,
    pub data: Value,
    /// Accepted for compatibility; the server computes its own.
    #[serde(default)]
    pub checksum: Option<String>,
    #[serde(default)]
    pub version: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BatchRequest {
    pub entities: Vec<BatchEntity>,
    #[serde(default)]
    pub sync_token: Option<Value>,
}

/// Validates and stamps a batch: each entity's `data` with its `id` and `version` set from
/// the envelope. All or nothing, like a push.
pub fn validate_batch(
    entities: Vec<BatchEntity>,
    device_id: &str,
) -> Result<Vec<IncomingWrite>, ApiError> {
    if entities.len() > MAX_PUSH_ENTITIES {
        return Err(ApiError::TooManyItems {
            limit: MAX_PUSH_ENTITIES,
            count: entities.len(),
        });
    }
    let mut writes = Vec::with_capacity(entities.len());
    for (index, entity) in entities.into_iter().enumerate() {
        let at = |field: &str| {
            format!(
                "entities[{index}]{}{field}",
                if field.is_empty() { "" } else { "." }
            )
        };
        let invalid = |field: &str, message: &str| ApiError::Validation {
            message: format!("Invalid document: {}: {message}", at(field)),
            details: Some(serde_json::json!({ "field": at(field), "index": index })),
        };
        let kind = EntityType::parse_client_write(&entity.entity_type)
            .map_err(|reason| invalid("type", &reason))?;
        let Value::Object(mut data) = entity.data else {
            return Err(invalid("data", "must be an object"));
        };
        data.insert("id".into(), Value::String(entity.id));
        if let Some(version) = entity.version {
            if version < 1 {
                return Err(invalid("version", "must be at least 1"));
            }
            data.insert("version".into(), version.into());
        }
        let normalized = normalize_document(kind, Value::Object(data))
            .map_err(|err| invalid(&format!("data.{}", err.field), &err.message))?;
        let write = IncomingWrite::new(kind, &normalized, device_id)
            .ok_or_else(|| invalid("data", "needs updatedAt or deletedAt"))?;
        writes.push(write);
    }
    Ok(writes)
}

/// Hash of a request body for idempotency: canonical JSON (keys sorted), SHA-256.
pub fn request_hash(body: &Value) -> String {
    super::checksum(&body.to_string())
}

/// A client-chosen idempotency key or device id: short and printable.
pub fn valid_client_token(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 128
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cursors() {
        assert_eq!(parse_cursor(None).unwrap(), 0);
        assert_eq!(parse_cursor(Some(&json!("seq_42"))).unwrap(), 42);
        assert_eq!(parse_cursor(Some(&json!(7))).unwrap(), 7);
        assert_eq!(parse_cursor(Some(&json!("17"))).unwrap(), 17);
        assert_eq!(parse_cursor(Some(&json!("sync_abc"))).unwrap(), 0);
        for bad in [
            json!(-1),
            json!("seq_x"),
            json!(true),
            json!(1.5),
            json!({}),
        ] {
            assert_eq!(parse_cursor(Some(&bad)).unwrap_err().status(), 400, "{bad}");
        }
        assert_eq!(sync_token(9), "seq_9");
        assert_eq!(parse_limit(None).unwrap(), PULL_PAGE);
        assert!(parse_limit(Some(0)).is_err());
        assert!(parse_limit(Some(PULL_PAGE + 1)).is_err());
    }

    #[test]
    fn hash_ignores_key_order() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":{"y":2,"x":3}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":{"x":3,"y":2},"b":1}"#).unwrap();
        assert_eq!(request_hash(&a), request_hash(&b));
    }

    #[test]
    fn batch_entities_take_id_and_version_from_the_envelope() {
        let entity = BatchEntity {
            id: "g1".into(),
            entity_type: "goal".into(),
            data: json!({"title": "Scales", "type": "custom", "updatedAt": "2026-01-01T00:00:00Z"}),
            checksum: None,
            version: Some(4),
        };
        let writes = validate_batch(vec![entity], "dev").unwrap();
        assert_eq!(writes[0].entity_id, "g1");
        assert_eq!(writes[0].stamp.version, 4);

        let unknown = BatchEntity {
            id: "x".into(),
            entity_type: "gadget".into(),
            data: json!({}),
            checksum: None,
            version: None,
        };
        let err = validate_batch(vec![unknown], "dev").unwrap_err();
        assert!(err.to_string().contains("entities[0].type"), "{err}");
    }

    #[test]
    fn client_tokens() {
        assert!(valid_client_token("dev_abc-123"));
        assert!(!valid_client_token(""));
        assert!(!valid_client_token("has space"));
        assert!(!valid_client_token(&"x".repeat(129)));
    }
}
