//! The sync socket's protocol: JSON text frames tagged by `type`, used by the sync worker's
//! Durable Object and by the api (which turns its own changes into the same broadcast frames).
//!
//! Decoding fails closed: an unknown `type`, a missing field or a wrong type is an error frame,
//! never a guess. Extra fields that old clients send (`timestamp`, `userId`, `seq`) are
//! accepted and ignored.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::EntityType;

/// Largest frame the socket accepts.
pub const MAX_FRAME_BYTES: usize = 1024 * 1024;
/// Documents per catch-up frame.
pub const CATCH_UP_CHUNK: usize = 250;

/// A frame a device sends.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "SCREAMING_SNAKE_CASE",
    rename_all_fields = "camelCase"
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ClientFrame {
    Ping {
        #[serde(default)]
        timestamp: Value,
    },
    SyncRequest {
        #[serde(default)]
        last_seq: Option<i64>,
    },
    EntryCreated {
        entry: Value,
    },
    EntryUpdated {
        entry: Value,
    },
    EntryDeleted {
        entry_id: String,
        timestamp: Value,
    },
    PieceAdded {
        piece: Value,
    },
    PieceUpdated {
        piece: Value,
    },
    PieceRemoved {
        score_id: String,
        timestamp: Value,
    },
    PieceDissociated {
        score_id: String,
        timestamp: Value,
    },
    PlanCreated {
        plan: Value,
        #[serde(default)]
        occurrences: Vec<Value>,
    },
    PlanUpdated {
        plan: Value,
        #[serde(default)]
        occurrences: Vec<Value>,
    },
    PlanOccurrenceCompleted {
        occurrence: Value,
    },
    ClockSync {
        client_time: f64,
    },
    MetronomeStart {
        bpm: f64,
        beats_per_bar: u32,
        /// When the device wants the first beat (ms since the epoch); the server moves it a
        /// little into the future if it is too soon for every device to hear it.
        #[serde(default)]
        start_at: Option<i64>,
    },
    MetronomeStop {},
}

/// Why a frame was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("frame is larger than {MAX_FRAME_BYTES} bytes")]
    TooLarge,
    #[error("frame is not valid JSON")]
    InvalidJson,
    #[error("frame is not a known sync event: {0}")]
    InvalidEvent(String),
}

impl FrameError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge => "FRAME_TOO_LARGE",
            Self::InvalidJson => "INVALID_JSON",
            Self::InvalidEvent(_) => "INVALID_EVENT",
        }
    }
}

/// Decodes one text frame.
pub fn decode(text: &str) -> Result<ClientFrame, FrameError> {
    if text.len() > MAX_FRAME_BYTES {
        return Err(FrameError::TooLarge);
    }
    let value: Value = serde_json::from_str(text).map_err(|_| FrameError::InvalidJson)?;
    serde_json::from_value(value).map_err(|err| FrameError::InvalidEvent(err.to_string()))
}

/// The documents a mutation frame writes, and the id its acknowledgement names.
#[derive(Debug, Clone, PartialEq)]
pub struct Mutation {
    pub entity_id: String,
    pub entity_type: EntityType,
    pub documents: Vec<(EntityType, Value)>,
}

impl ClientFrame {
    /// The writes of a mutation frame; `None` for frames that write nothing. Deletes become
    /// tombstones stamped with the frame's `timestamp` (the device's clock at the delete).
    pub fn mutation(&self) -> Option<Mutation> {
        let id_of = |doc: &Value, key: &str| {
            doc.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let single = |kind: EntityType, doc: &Value, key: &str| Mutation {
            entity_id: id_of(doc, key),
            entity_type: kind,
            documents: vec![(kind, doc.clone())],
        };
        Some(match self {
            Self::EntryCreated { entry } | Self::EntryUpdated { entry } => {
                single(EntityType::LogbookEntry, entry, "id")
            }
            Self::EntryDeleted {
                entry_id,
                timestamp,
            } => Mutation {
                entity_id: entry_id.clone(),
                entity_type: EntityType::LogbookEntry,
                documents: vec![(
                    EntityType::LogbookEntry,
                    json!({"id": entry_id, "deletedAt": timestamp}),
                )],
            },
            Self::PieceAdded { piece } | Self::PieceUpdated { piece } => {
                single(EntityType::RepertoireItem, piece, "scoreId")
            }
            Self::PieceRemoved {
                score_id,
                timestamp,
            }
            | Self::PieceDissociated {
                score_id,
                timestamp,
            } => Mutation {
                entity_id: score_id.clone(),
                entity_type: EntityType::RepertoireItem,
                documents: vec![(
                    EntityType::RepertoireItem,
                    json!({"scoreId": score_id, "deletedAt": timestamp}),
                )],
            },
            Self::PlanCreated { plan, occurrences } | Self::PlanUpdated { plan, occurrences } => {
                let mut documents = vec![(EntityType::PracticePlan, plan.clone())];
                documents.extend(
                    occurrences
                        .iter()
                        .map(|occurrence| (EntityType::PlanOccurrence, occurrence.clone())),
                );
                Mutation {
                    entity_id: id_of(plan, "id"),
                    entity_type: EntityType::PracticePlan,
                    documents,
                }
            }
            Self::PlanOccurrenceCompleted { occurrence } => {
                single(EntityType::PlanOccurrence, occurrence, "id")
            }
            Self::Ping { .. }
            | Self::SyncRequest { .. }
            | Self::ClockSync { .. }
            | Self::MetronomeStart { .. }
            | Self::MetronomeStop {} => return None,
        })
    }
}

/// A frame the server sends.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(
    tag = "type",
    rename_all = "SCREAMING_SNAKE_CASE",
    rename_all_fields = "camelCase"
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ServerFrame {
    Welcome {
        message: String,
        timestamp: String,
    },
    Pong {
        timestamp: Value,
    },
    /// The one reply to a mutation that was applied (or was already stored), or the end of a
    /// catch-up.
    SyncResponse {
        message: String,
        last_seq: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        entity_id: Option<String>,
        // Present (`true`) when the server bounded the clock of a document of the frame:
        // the device's clock is ahead of the server's by more than `MAX_CLOCK_SKEW`, and
        // the document was stored with the server's receive time.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
        clock_adjusted: bool,
        timestamp: String,
    },
    /// The one reply to a mutation older than what is stored: `current` is the stored document.
    SyncConflict {
        entity_id: String,
        entity_type: String,
        reason: String,
        current: Value,
        timestamp: String,
    },
    /// The one reply to an invalid frame. `error` repeats `message` for older clients.
    Error {
        code: String,
        message: String,
        error: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        entity_id: Option<String>,
        /// With `RATE_LIMITED`: seconds until frames are accepted again.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        retry_after: Option<u64>,
        timestamp: String,
    },
    BulkSync {
        entries: Vec<Value>,
        last_seq: i64,
        timestamp: String,
    },
    RepertoireBulkSync {
        pieces: Vec<Value>,
        last_seq: i64,
        timestamp: String,
    },
    /// Catch-up and live changes of the types older clients have no frame for (goals, plans
    /// and templates in catch-up, preferences).
    DocumentsSync {
        entity_type: String,
        documents: Vec<Value>,
        last_seq: i64,
        timestamp: String,
    },
    EntryUpdated {
        entry: Value,
        seq: i64,
        timestamp: String,
    },
    EntryDeleted {
        entry_id: String,
        seq: i64,
        last_seq: i64,
        timestamp: String,
    },
    PieceUpdated {
        piece: Value,
        seq: i64,
        timestamp: String,
    },
    PieceRemoved {
        score_id: String,
        seq: i64,
        timestamp: String,
    },
    PlanUpdated {
        plan: Value,
        occurrences: Vec<Value>,
        seq: i64,
        timestamp: String,
    },
    PlanOccurrenceCompleted {
        occurrence: Value,
        seq: i64,
        timestamp: String,
    },
    ClockSync {
        client_time: f64,
        server_time: i64,
    },
    MetronomeStart {
        bpm: f64,
        beats_per_bar: u32,
        start_at: i64,
        server_time: i64,
    },
    MetronomeStop {
        timestamp: String,
    },
}

impl ServerFrame {
    pub fn error(
        code: &str,
        message: impl Into<String>,
        entity_id: Option<String>,
        timestamp: &str,
    ) -> Self {
        let message = message.into();
        Self::Error {
            code: code.into(),
            error: message.clone(),
            message,
            entity_id,
            retry_after: None,
            timestamp: timestamp.into(),
        }
    }

    /// The reply to a frame over the user's sync rate limit: it was not applied.
    pub fn rate_limited(retry_after_secs: u64, timestamp: &str) -> Self {
        let message = format!("Too many sync frames; send again in {retry_after_secs} s");
        Self::Error {
            code: "RATE_LIMITED".into(),
            error: message.clone(),
            message,
            entity_id: None,
            retry_after: Some(retry_after_secs),
            timestamp: timestamp.into(),
        }
    }

    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| {
            r#"{"type":"ERROR","code":"INTERNAL","message":"unencodable frame"}"#.into()
        })
    }
}

/// The one reply to a mutation frame, given the api's answer to `/internal/sync/apply`
/// (`{stale:[{entityType, entityId, current}], lastSeq, clockAdjusted}`): `SYNC_CONFLICT`
/// when any document of the frame lost to a newer stored one — the frame's own document
/// first, else the first other (a stale occurrence of a `PLAN_CREATED` is a conflict, not
/// "applied") — else `SYNC_RESPONSE`, with `clockAdjusted` when the server bounded a clock.
pub fn mutation_reply(mutation: &Mutation, answer: &Value, timestamp: &str) -> ServerFrame {
    let kind = mutation.entity_type.as_str();
    let stale = answer["stale"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let conflict = stale
        .iter()
        .find(|item| item["entityType"] == kind && item["entityId"] == mutation.entity_id.as_str())
        .or_else(|| stale.iter().find(|item| item["entityType"] == kind))
        .or_else(|| stale.first());
    match conflict {
        Some(stale) => ServerFrame::SyncConflict {
            entity_id: stale["entityId"]
                .as_str()
                .unwrap_or(&mutation.entity_id)
                .to_string(),
            entity_type: stale["entityType"].as_str().unwrap_or(kind).to_string(),
            reason: "stale".into(),
            current: stale["current"].clone(),
            timestamp: timestamp.into(),
        },
        None => ServerFrame::SyncResponse {
            message: "Mutation applied".into(),
            last_seq: answer["lastSeq"].as_i64().unwrap_or(0),
            entity_id: Some(mutation.entity_id.clone()),
            clock_adjusted: answer["clockAdjusted"].as_bool().unwrap_or(false),
            timestamp: timestamp.into(),
        },
    }
}

/// One stored change, as catch-up and live broadcasts carry it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub entity_type: String,
    pub entity_id: String,
    pub seq: i64,
    pub deleted: bool,
    pub document: Value,
}

/// The frame that tells other devices of one stored change.
pub fn broadcast_frame(change: &Change, timestamp: &str) -> ServerFrame {
    let ts = timestamp.to_string();
    match (EntityType::parse(&change.entity_type), change.deleted) {
        (Some(EntityType::LogbookEntry), true) => ServerFrame::EntryDeleted {
            entry_id: change.entity_id.clone(),
            seq: change.seq,
            last_seq: change.seq,
            timestamp: ts,
        },
        (Some(EntityType::LogbookEntry), false) => ServerFrame::EntryUpdated {
            entry: change.document.clone(),
            seq: change.seq,
            timestamp: ts,
        },
        (Some(EntityType::RepertoireItem), true) => ServerFrame::PieceRemoved {
            score_id: change.entity_id.clone(),
            seq: change.seq,
            timestamp: ts,
        },
        (Some(EntityType::RepertoireItem), false) => ServerFrame::PieceUpdated {
            piece: change.document.clone(),
            seq: change.seq,
            timestamp: ts,
        },
        (Some(EntityType::PracticePlan), false) => ServerFrame::PlanUpdated {
            plan: change.document.clone(),
            occurrences: Vec::new(),
            seq: change.seq,
            timestamp: ts,
        },
        (Some(EntityType::PlanOccurrence), false)
            if change.document.get("status").and_then(Value::as_str) == Some("completed") =>
        {
            ServerFrame::PlanOccurrenceCompleted {
                occurrence: change.document.clone(),
                seq: change.seq,
                timestamp: ts,
            }
        }
        _ => ServerFrame::DocumentsSync {
            entity_type: change.entity_type.clone(),
            documents: vec![change.document.clone()],
            last_seq: change.seq,
            timestamp: ts,
        },
    }
}

/// The frames of a catch-up page, in seq order: runs of live entries become `BULK_SYNC`, of
/// live pieces `REPERTOIRE_BULK_SYNC`, of other live documents `DOCUMENTS_SYNC` (at most
/// [`CATCH_UP_CHUNK`] documents each); deletes of entries and pieces their delete frames.
/// Every frame carries the seq of its last change, so a device can resume from any of them.
pub fn catch_up_frames(changes: &[Change], timestamp: &str) -> Vec<ServerFrame> {
    let mut frames: Vec<ServerFrame> = Vec::new();
    for change in changes {
        let kind = EntityType::parse(&change.entity_type);
        let appended = match (frames.last_mut(), kind, change.deleted) {
            (
                Some(ServerFrame::BulkSync {
                    entries, last_seq, ..
                }),
                Some(EntityType::LogbookEntry),
                false,
            ) if entries.len() < CATCH_UP_CHUNK => {
                entries.push(change.document.clone());
                *last_seq = change.seq;
                true
            }
            (
                Some(ServerFrame::RepertoireBulkSync {
                    pieces, last_seq, ..
                }),
                Some(EntityType::RepertoireItem),
                false,
            ) if pieces.len() < CATCH_UP_CHUNK => {
                pieces.push(change.document.clone());
                *last_seq = change.seq;
                true
            }
            (
                Some(ServerFrame::DocumentsSync {
                    entity_type,
                    documents,
                    last_seq,
                    ..
                }),
                _,
                _,
            ) if *entity_type == change.entity_type
                && documents.len() < CATCH_UP_CHUNK
                && !is_delete_frame_type(kind, change.deleted) =>
            {
                documents.push(change.document.clone());
                *last_seq = change.seq;
                true
            }
            _ => false,
        };
        if appended {
            continue;
        }
        let ts = timestamp.to_string();
        frames.push(match (kind, change.deleted) {
            (Some(EntityType::LogbookEntry), false) => ServerFrame::BulkSync {
                entries: vec![change.document.clone()],
                last_seq: change.seq,
                timestamp: ts,
            },
            (Some(EntityType::RepertoireItem), false) => ServerFrame::RepertoireBulkSync {
                pieces: vec![change.document.clone()],
                last_seq: change.seq,
                timestamp: ts,
            },
            (Some(EntityType::LogbookEntry | EntityType::RepertoireItem), true) => {
                broadcast_frame(change, timestamp)
            }
            _ => ServerFrame::DocumentsSync {
                entity_type: change.entity_type.clone(),
                documents: vec![change.document.clone()],
                last_seq: change.seq,
                timestamp: ts,
            },
        });
    }
    frames
}

/// Entry and piece deletes have frames of their own; other types' tombstones travel as documents.
fn is_delete_frame_type(kind: Option<EntityType>, deleted: bool) -> bool {
    deleted
        && matches!(
            kind,
            Some(EntityType::LogbookEntry | EntityType::RepertoireItem)
        )
}

/// How far ahead of "now" an ensemble metronome starts, so every device hears the first beat.
pub const METRONOME_LEAD_MS: i64 = 1_500;

/// The start time the server announces: the device's wish, but never sooner than the lead.
pub fn metronome_start(requested: Option<i64>, server_now_ms: i64) -> i64 {
    requested
        .unwrap_or(0)
        .max(server_now_ms + METRONOME_LEAD_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_client_frame_and_fails_closed() {
        let ok = [
            r#"{"type":"PING","timestamp":"2026-01-01T00:00:00Z"}"#,
            r#"{"type":"SYNC_REQUEST","lastSeq":4,"userId":"user_1","timestamp":"x"}"#,
            r#"{"type":"SYNC_REQUEST"}"#,
            r#"{"type":"ENTRY_CREATED","entry":{"id":"e1"},"timestamp":"t","seq":3}"#,
            r#"{"type":"ENTRY_DELETED","entryId":"e1","timestamp":"2026-01-01T00:00:00Z"}"#,
            r#"{"type":"PIECE_REMOVED","scoreId":"s","timestamp":"2026-01-01T00:00:00Z"}"#,
            r#"{"type":"PLAN_UPDATED","plan":{"id":"p"}}"#,
            r#"{"type":"CLOCK_SYNC","clientTime":1700000000000.5}"#,
            r#"{"type":"METRONOME_START","bpm":96,"beatsPerBar":4}"#,
            r#"{"type":"METRONOME_STOP"}"#,
        ];
        for text in ok {
            assert!(decode(text).is_ok(), "{text}: {:?}", decode(text));
        }
        assert_eq!(decode("{nope"), Err(FrameError::InvalidJson));
        for bad in [
            r#"{"type":"SELF_DESTRUCT"}"#,
            r#"{"entry":{}}"#,
            r#"{"type":"ENTRY_DELETED"}"#,
            r#"{"type":"SYNC_REQUEST","lastSeq":"many"}"#,
            r#"{"type":"CLOCK_SYNC"}"#,
        ] {
            assert!(
                matches!(decode(bad), Err(FrameError::InvalidEvent(_))),
                "{bad}"
            );
        }
        let huge = format!(
            r#"{{"type":"PING","timestamp":"{}"}}"#,
            "x".repeat(MAX_FRAME_BYTES)
        );
        assert_eq!(decode(&huge), Err(FrameError::TooLarge));
    }

    #[test]
    fn mutations_name_their_documents() {
        let deleted =
            decode(r#"{"type":"ENTRY_DELETED","entryId":"e9","timestamp":"2026-01-01T00:00:00Z"}"#)
                .unwrap();
        let mutation = deleted.mutation().unwrap();
        assert_eq!(mutation.entity_id, "e9");
        assert_eq!(
            mutation.documents[0].1,
            json!({"id": "e9", "deletedAt": "2026-01-01T00:00:00Z"})
        );

        let plan = decode(
            r#"{"type":"PLAN_CREATED","plan":{"id":"p1"},"occurrences":[{"id":"o1"},{"id":"o2"}]}"#,
        )
        .unwrap();
        let mutation = plan.mutation().unwrap();
        assert_eq!(mutation.entity_id, "p1");
        assert_eq!(mutation.documents.len(), 3);
        assert_eq!(mutation.documents[2].0, EntityType::PlanOccurrence);
        assert!(decode(r#"{"type":"PING"}"#).unwrap().mutation().is_none());
    }

    fn change(kind: &str, id: &str, seq: i64, deleted: bool) -> Change {
        Change {
            entity_type: kind.into(),
            entity_id: id.into(),
            seq,
            deleted,
            document: json!({"id": id}),
        }
    }

    #[test]
    fn a_mutation_gets_one_reply_naming_any_stale_document() {
        let frame = decode(
            r#"{"type":"PLAN_CREATED","plan":{"id":"plan_1"},"occurrences":[{"id":"occ_1"},{"id":"occ_2"}]}"#,
        )
        .unwrap();
        let mutation = frame.mutation().unwrap();
        let reply =
            |answer: Value| serde_json::to_value(mutation_reply(&mutation, &answer, "t")).unwrap();

        let applied = reply(json!({"stale": [], "lastSeq": 9, "clockAdjusted": false}));
        assert_eq!(
            applied,
            json!({"type": "SYNC_RESPONSE", "message": "Mutation applied", "lastSeq": 9, "entityId": "plan_1", "timestamp": "t"})
        );
        let adjusted = reply(json!({"stale": [], "lastSeq": 9, "clockAdjusted": true}));
        assert_eq!(adjusted["clockAdjusted"], true);

        // The plan applied, one occurrence stale: a conflict naming the occurrence.
        let occurrence = reply(json!({"lastSeq": 9, "stale": [
            {"entityType": "plan_occurrence", "entityId": "occ_2", "current": {"id": "occ_2", "v": 1}}]}));
        assert_eq!(
            occurrence,
            json!({"type": "SYNC_CONFLICT", "entityId": "occ_2", "entityType": "plan_occurrence",
                   "reason": "stale", "current": {"id": "occ_2", "v": 1}, "timestamp": "t"})
        );
        // The plan itself stale comes first.
        let plan = reply(json!({"stale": [
            {"entityType": "plan_occurrence", "entityId": "occ_1", "current": null},
            {"entityType": "practice_plan", "entityId": "plan_1", "current": {"id": "plan_1"}}]}));
        assert_eq!(plan["entityType"], "practice_plan");
        assert_eq!(plan["entityId"], "plan_1");
    }

    #[test]
    fn catch_up_groups_runs_and_keeps_seq_order() {
        let mut changes: Vec<Change> = (1..=300)
            .map(|seq| change("logbook_entry", &format!("e{seq}"), seq, false))
            .collect();
        changes.push(change("logbook_entry", "e1", 301, true));
        changes.push(change("goal", "g1", 302, false));
        changes.push(change("goal", "g2", 303, true));
        changes.push(change("repertoire_item", "s1", 304, false));
        let frames = catch_up_frames(&changes, "t");
        let kinds: Vec<String> = frames
            .iter()
            .map(|frame| {
                serde_json::to_value(frame).unwrap()["type"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "BULK_SYNC",
                "BULK_SYNC",
                "ENTRY_DELETED",
                "DOCUMENTS_SYNC",
                "REPERTOIRE_BULK_SYNC"
            ]
        );
        let first = serde_json::to_value(&frames[0]).unwrap();
        assert_eq!(first["entries"].as_array().unwrap().len(), CATCH_UP_CHUNK);
        assert_eq!(first["lastSeq"], 250);
        let goals = serde_json::to_value(&frames[3]).unwrap();
        assert_eq!(
            goals["documents"].as_array().unwrap().len(),
            2,
            "goal tombstones travel as documents"
        );
        assert_eq!(goals["lastSeq"], 303);
    }

    #[test]
    fn server_frames_use_the_wire_names() {
        let frame = ServerFrame::SyncResponse {
            message: "Mutation applied".into(),
            last_seq: 7,
            entity_id: Some("e1".into()),
            clock_adjusted: false,
            timestamp: "t".into(),
        };
        assert_eq!(
            serde_json::to_value(&frame).unwrap(),
            json!({"type": "SYNC_RESPONSE", "message": "Mutation applied", "lastSeq": 7, "entityId": "e1", "timestamp": "t"})
        );
        let error = serde_json::to_value(ServerFrame::error(
            "INVALID_JSON",
            "Invalid JSON format",
            None,
            "t",
        ))
        .unwrap();
        assert_eq!(error["error"], "Invalid JSON format");
        assert_eq!(error["code"], "INVALID_JSON");
        let clock = serde_json::to_value(ServerFrame::ClockSync {
            client_time: 1.5,
            server_time: 2,
        })
        .unwrap();
        assert_eq!(
            clock,
            json!({"type": "CLOCK_SYNC", "clientTime": 1.5, "serverTime": 2})
        );
    }

    #[test]
    fn metronome_starts_in_the_future() {
        assert_eq!(metronome_start(None, 10_000), 10_000 + METRONOME_LEAD_MS);
        assert_eq!(
            metronome_start(Some(10_100), 10_000),
            10_000 + METRONOME_LEAD_MS
        );
        assert_eq!(metronome_start(Some(20_000), 10_000), 20_000);
    }
}
