//! Property-based fuzzing of what takes untrusted input first: the sync socket's frame
//! decoder, the push and batch validators, and the score import checks (PDF and image data).
//! Arbitrary bytes and arbitrary JSON never panic (a panic aborts a worker's WASM instance
//! and fails every request in flight); every refusal is a 4xx-class error.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, Utc};
use mirubato_core::ApiError;
use mirubato_core::input::parse_json_unvalidated;
use mirubato_core::scores::engrave::engrave;
use mirubato_core::scores::import::{check_pdf, decode_data_url, import_source, page_images};
use mirubato_core::scores::pdf::inspect;
use mirubato_core::sync::EntityType;
use mirubato_core::sync::clock::{ReceiveClock, bound_write};
use mirubato_core::sync::entities::normalize_document;
use mirubato_core::sync::merge::IncomingWrite;
use mirubato_core::sync::protocol::{FrameError, decode};
use mirubato_core::sync::rest::{
    BatchRequest, MAX_PUSH_BYTES, PushRequest, validate_batch, validate_push,
};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Field names the code under test looks for, so arbitrary JSON reaches past the first check.
const KEYS: &[&str] = &[
    "type",
    "id",
    "entry",
    "entryId",
    "timestamp",
    "piece",
    "scoreId",
    "plan",
    "occurrences",
    "occurrence",
    "updatedAt",
    "deletedAt",
    "createdAt",
    "version",
    "changes",
    "entries",
    "goals",
    "practicePlans",
    "planOccurrences",
    "planTemplates",
    "repertoireItems",
    "userPreferences",
    "recordings",
    "title",
    "duration",
    "pieces",
    "metadata",
    "goalIds",
    "goal_ids",
    "status",
    "rrule",
    "schedule",
    "lastSeq",
    "clientTime",
    "bpm",
    "beatsPerBar",
    "startAt",
    "entities",
    "data",
    "syncToken",
    "lastSyncToken",
    "instrument",
    "mood",
    "techniques",
    "targetValue",
    "currentValue",
    "referenceLinks",
    "difficultyRating",
    "statusHistory",
    "peaks",
    "durationMs",
];

/// String values the code under test treats specially.
const WORDS: &[&str] = &[
    "",
    "e1",
    "doc_1",
    "2099-01-01T00:00:00Z",
    "2026-03-01T12:00:00.000Z",
    "1970-01-01T00:00:00Z",
    "+275760-09-13T00:00:00Z",
    "2026-02-30T00:00:00Z",
    "PING",
    "SYNC_REQUEST",
    "ENTRY_CREATED",
    "ENTRY_UPDATED",
    "ENTRY_DELETED",
    "PIECE_ADDED",
    "PIECE_UPDATED",
    "PIECE_REMOVED",
    "PIECE_DISSOCIATED",
    "PLAN_CREATED",
    "PLAN_UPDATED",
    "PLAN_OCCURRENCE_COMPLETED",
    "CLOCK_SYNC",
    "METRONOME_START",
    "METRONOME_STOP",
    "logbook_entry",
    "goal",
    "practice_plan",
    "plan_occurrence",
    "plan_template",
    "repertoire_item",
    "user_preferences",
    "recording",
    "practice",
    "piano",
    "FREQ=WEEKLY;BYDAY=MO,WE",
    "FREQ=DAILY;COUNT=0",
    "seq_1",
    "é",
    "\u{0}",
    "Clair de lune-Debussy",
    "https://example.com/a",
    "javascript:alert(1)",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(KEYS).prop_map(str::to_string),
        1 => ".{0,8}",
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        prop::sample::select(WORDS).prop_map(|word| Value::String(word.into())),
        ".{0,24}".prop_map(Value::String),
    ]
}

/// Arbitrary JSON, biased towards the shapes of frames and documents.
fn any_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..8)
                .prop_map(|map| Value::Object(map.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// An object with a given `type` and arbitrary other fields.
fn typed_object(types: &'static [&'static str]) -> impl Strategy<Value = Value> {
    (
        prop::sample::select(types),
        prop::collection::btree_map(key(), any_json(), 0..6),
    )
        .prop_map(|(kind, fields)| {
            let mut map: Map<String, Value> = fields.into_iter().collect();
            map.insert("type".into(), Value::String(kind.into()));
            Value::Object(map)
        })
}

fn is_client_error(err: &ApiError) -> bool {
    (400..500).contains(&err.status())
}

const FRAME_TYPES: &[&str] = &[
    "PING",
    "SYNC_REQUEST",
    "ENTRY_CREATED",
    "ENTRY_UPDATED",
    "ENTRY_DELETED",
    "PIECE_ADDED",
    "PIECE_UPDATED",
    "PIECE_REMOVED",
    "PIECE_DISSOCIATED",
    "PLAN_CREATED",
    "PLAN_UPDATED",
    "PLAN_OCCURRENCE_COMPLETED",
    "CLOCK_SYNC",
    "METRONOME_START",
    "METRONOME_STOP",
];

/// What the socket path does with a frame: decode, take its mutation, and validate, stamp and
/// bound each document as `/internal/sync/apply` does. Refusals are error frames (the
/// decoder's codes) or 400s.
fn socket_path(text: &str) {
    match decode(text) {
        Err(err) => {
            assert!(matches!(
                err,
                FrameError::TooLarge | FrameError::InvalidJson | FrameError::InvalidEvent(_)
            ));
            assert!(["FRAME_TOO_LARGE", "INVALID_JSON", "INVALID_EVENT"].contains(&err.code()));
        }
        Ok(frame) => {
            let Some(mutation) = frame.mutation() else {
                return;
            };
            let clock = ReceiveClock::new(DateTime::<Utc>::UNIX_EPOCH, Duration::minutes(5));
            for (kind, document) in mutation.documents {
                if let Ok(document) = normalize_document(kind, document)
                    && let Some(write) = IncomingWrite::new(kind, &document, "dev")
                {
                    let bounded = bound_write(write, &clock);
                    assert!(bounded.stamp.clock_ms <= clock.limit().timestamp_millis());
                }
            }
        }
    }
}

/// Starts of image files (and of files that are no images).
const IMAGE_MAGIC: &[&[u8]] = &[
    b"",
    b"\x89PNG\r\n\x1a\n",
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
    b"\xff\xd8\xff",
    b"\xff\xd8\xff\xe0\0\x10JFIF\0",
    b"GIF89a",
];

/// A small valid PDF, made once.
fn sample_pdf() -> &'static [u8] {
    static PDF: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    PDF.get_or_init(|| engrave("Fuzz", "Nobody", 1))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn socket_frames_of_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        socket_path(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn socket_frames_of_arbitrary_json(value in any_json()) {
        socket_path(&value.to_string());
    }

    #[test]
    fn socket_frames_of_every_type_with_arbitrary_fields(frame in typed_object(FRAME_TYPES)) {
        socket_path(&frame.to_string());
    }

    #[test]
    fn pushes_of_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        match parse_json_unvalidated::<PushRequest>(&bytes, MAX_PUSH_BYTES) {
            Err(err) => prop_assert!(is_client_error(&err), "{err:?}"),
            Ok(request) => {
                if let Err(err) = validate_push(request, "dev") {
                    prop_assert!(is_client_error(&err), "{err:?}");
                }
            }
        }
    }

    #[test]
    fn pushes_of_arbitrary_json(
        body in prop_oneof![
            any_json(),
            prop::collection::btree_map(
                prop::sample::select(KEYS).prop_map(str::to_string),
                prop::collection::vec(any_json(), 0..4).prop_map(Value::Array),
                0..4,
            )
            .prop_map(|changes| json!({ "changes": changes })),
        ],
    ) {
        let bytes = body.to_string().into_bytes();
        match parse_json_unvalidated::<PushRequest>(&bytes, MAX_PUSH_BYTES) {
            Err(err) => prop_assert!(is_client_error(&err), "{err:?}"),
            Ok(request) => match validate_push(request, "dev") {
                Err(err) => prop_assert!(is_client_error(&err), "{err:?}"),
                Ok(writes) => {
                    for write in writes {
                        prop_assert_eq!(write.stamp.checksum, mirubato_core::sync::checksum(&write.data));
                    }
                }
            },
        }
    }

    #[test]
    fn batches_of_arbitrary_json(
        entities in prop::collection::vec(
            (any_json(), prop::sample::select(WORDS), any_json(), any_json())
                .prop_map(|(id, kind, data, version)| json!({"id": id, "type": kind, "data": data, "version": version})),
            0..4,
        ),
        extra in any_json(),
    ) {
        for body in [json!({ "entities": entities }), extra] {
            let bytes = body.to_string().into_bytes();
            match parse_json_unvalidated::<BatchRequest>(&bytes, MAX_PUSH_BYTES) {
                Err(err) => prop_assert!(is_client_error(&err), "{err:?}"),
                Ok(request) => {
                    if let Err(err) = validate_batch(request.entities, "dev") {
                        prop_assert!(is_client_error(&err), "{err:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn documents_of_every_type_with_arbitrary_fields(
        fields in prop::collection::btree_map(key(), any_json(), 0..10),
        clock in prop::sample::select(WORDS),
    ) {
        for kind in EntityType::ALL {
            let mut map: Map<String, Value> = fields.clone().into_iter().collect();
            map.entry("updatedAt").or_insert_with(|| Value::String(clock.into()));
            // Whatever the document, refusal is a DocumentError naming a field.
            if let Err(err) = normalize_document(kind, Value::Object(map)) {
                prop_assert!(!err.field.is_empty());
            }
        }
    }

    #[test]
    fn import_urls_of_arbitrary_text(
        text in prop_oneof![
            ".{0,64}",
            ".{0,16}".prop_map(|tail| format!("data:{tail}")),
            "[a-zA-Z]{0,3}[é€😀][^,]{0,8},.{0,16}",
            prop::collection::vec(any::<u8>(), 0..128)
                .prop_map(|bytes| format!("data:application/pdf;base64,{}", STANDARD.encode(bytes))),
            prop::collection::vec(any::<u8>(), 0..128)
                .prop_map(|bytes| format!("data:application/pdf;base64,{}", STANDARD.encode([b"%PDF-1.7\n".as_slice(), &bytes].concat()))),
        ],
        loopback in any::<bool>(),
    ) {
        if let Err(err) = import_source(&text, loopback) {
            prop_assert!(is_client_error(&err), "{err:?}");
        }
        if let Err(err) = decode_data_url(&text) {
            prop_assert!(is_client_error(&err), "{err:?}");
        }
    }

    #[test]
    fn pdf_checks_of_arbitrary_bytes(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..512),
            prop::collection::vec(any::<u8>(), 0..512)
                .prop_map(|bytes| [b"%PDF-1.4\n".as_slice(), &bytes].concat()),
        ],
    ) {
        if let Err(err) = check_pdf(&bytes) {
            prop_assert!(is_client_error(&err), "{err:?}");
        }
        // The scores worker answers every inspection failure with a 400.
        let _ = inspect(&bytes);
    }

    #[test]
    fn pdf_inspection_of_damaged_files(
        damage in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut pdf = sample_pdf().to_vec();
        for (at, byte) in damage {
            let index = at.index(pdf.len());
            pdf[index] = byte;
        }
        if truncate {
            pdf.truncate(cut.index(pdf.len()).max(1));
        }
        let _ = inspect(&pdf);
        if let Err(err) = check_pdf(&pdf) {
            prop_assert!(is_client_error(&err), "{err:?}");
        }
    }

    #[test]
    fn page_images_of_arbitrary_data(
        images in prop::collection::vec(
            (
                prop::sample::select(&["image/png", "image/jpeg", "image/jpg", "image/gif", "application/pdf", ""][..]),
                prop::sample::select(IMAGE_MAGIC),
                prop::collection::vec(any::<u8>(), 0..96),
                any::<bool>(),
            )
                .prop_map(|(declared, magic, tail, base64)| {
                    let bytes = [magic, &tail].concat();
                    if base64 {
                        format!("data:{declared};base64,{}", STANDARD.encode(bytes))
                    } else {
                        format!("data:{declared},{}", String::from_utf8_lossy(&bytes))
                    }
                }),
            0..4,
        ),
    ) {
        let refs: Vec<&str> = images.iter().map(String::as_str).collect();
        if let Err(err) = page_images(&refs) {
            prop_assert!(is_client_error(&err), "{err:?}");
        }
    }
}
