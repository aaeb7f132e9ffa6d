//! Practice recordings: which audio is accepted (by declared type and by its first bytes), how a
//! large file is cut into multipart parts, the storage quota, and the synced metadata document.
//!
//! The audio lives in R2 under `recordings/<userId>/<id>.<ext>`; the metadata is a `recording`
//! sync document, so every device of the user learns of a recording through pull and the socket.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use validator::Validate;

use crate::ApiError;
use crate::practice::{double_option, iso, stamp};

/// Largest body of a single-request upload.
pub const MAX_SINGLE_UPLOAD_BYTES: u64 = 25 * 1024 * 1024;
/// Largest recording, uploaded in parts.
pub const MAX_RECORDING_BYTES: u64 = 500 * 1024 * 1024;
/// Size of every part but the last (R2 wants equal parts of at least 5 MiB).
pub const PART_SIZE_BYTES: u64 = 5 * 1024 * 1024;
/// A whole day of audio.
pub const MAX_RECORDING_DURATION_MS: i64 = 24 * 60 * 60 * 1000;
/// Waveform peaks a client may attach (one per pixel column of a wide player).
pub const MAX_WAVEFORM_PEAKS: usize = 2_000;
/// Default storage per user, unless `RECORDINGS_QUOTA_BYTES` says otherwise.
pub const DEFAULT_QUOTA_BYTES: u64 = 2 * 1024 * 1024 * 1024;
/// A multipart upload untouched this long is aborted by the api's cron.
pub const ABANDONED_UPLOAD_HOURS: i64 = 24;
/// How long the recordings of a deleted logbook entry are kept, unless
/// `DELETED_ENTRY_RECORDINGS_HOURS` says otherwise: long enough that an entry brought back by
/// a later edit from a device that was offline still has them.
pub const DELETED_ENTRY_RECORDINGS_HOURS: i64 = 7 * 24;
/// Bytes the type check needs to see.
pub const SNIFF_BYTES: usize = 12;

/// The audio formats a recording may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioType {
    Webm,
    Ogg,
    Mp4,
    Mpeg,
    Wav,
}

impl AudioType {
    pub const ALL: [AudioType; 5] = [Self::Webm, Self::Ogg, Self::Mp4, Self::Mpeg, Self::Wav];
    pub const NAMES: [&'static str; 5] = [
        "audio/webm",
        "audio/ogg",
        "audio/mp4",
        "audio/mpeg",
        "audio/wav",
    ];

    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Webm => "webm",
            Self::Ogg => "ogg",
            Self::Mp4 => "m4a",
            Self::Mpeg => "mp3",
            Self::Wav => "wav",
        }
    }

    /// The type of a `Content-Type` header: parameters (`;codecs=opus`) and case are ignored,
    /// and the common aliases browsers send are accepted.
    pub fn from_content_type(header: &str) -> Result<Self, ApiError> {
        let essence = header
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let kind = match essence.as_str() {
            "audio/webm" => Self::Webm,
            "audio/ogg" | "audio/opus" => Self::Ogg,
            "audio/mp4" | "audio/x-m4a" | "audio/aac" => Self::Mp4,
            "audio/mpeg" | "audio/mp3" => Self::Mpeg,
            "audio/wav" | "audio/wave" | "audio/x-wav" | "audio/vnd.wave" => Self::Wav,
            _ => {
                return Err(ApiError::UnsupportedMediaType(format!(
                    "Content-Type must be one of {}",
                    Self::NAMES.join(", ")
                )));
            }
        };
        Ok(kind)
    }

    /// Whether `head` (the first bytes of the file) looks like this type.
    pub fn matches(self, head: &[u8]) -> bool {
        match self {
            Self::Webm => head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]),
            Self::Ogg => head.starts_with(b"OggS"),
            Self::Mp4 => head.len() >= 8 && &head[4..8] == b"ftyp",
            Self::Mpeg => {
                head.starts_with(b"ID3")
                    || (head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0)
            }
            Self::Wav => head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WAVE",
        }
    }

    /// Refuses a body whose first bytes are not this type (a spoofed or wrong `Content-Type`).
    pub fn check_head(self, head: &[u8]) -> Result<(), ApiError> {
        if self.matches(head) {
            Ok(())
        } else {
            Err(ApiError::UnsupportedMediaType(format!(
                "The file is not {} audio (its first bytes do not match)",
                self.as_str()
            )))
        }
    }
}

/// The R2 key of a recording's audio.
pub fn object_key(user_id: &str, recording_id: &str, kind: AudioType) -> String {
    format!(
        "{}{recording_id}.{}",
        user_prefix(user_id),
        kind.extension()
    )
}

/// The R2 prefix that holds all of a user's recordings.
pub fn user_prefix(user_id: &str) -> String {
    format!("recordings/{user_id}/")
}

/// Refuses an upload that would take the user past the quota: 413 `QUOTA_EXCEEDED` with the
/// numbers, so a client can tell the musician how much room is left.
pub fn check_quota(used_bytes: u64, incoming_bytes: u64, quota_bytes: u64) -> Result<(), ApiError> {
    if used_bytes.saturating_add(incoming_bytes) > quota_bytes {
        return Err(ApiError::QuotaExceeded {
            used_bytes,
            requested_bytes: incoming_bytes,
            quota_bytes,
        });
    }
    Ok(())
}

/// Checks a declared body size against the single-request limit.
pub fn check_single_upload_size(content_length: Option<u64>) -> Result<u64, ApiError> {
    match content_length {
        None => Err(ApiError::validation(
            "Content-Length is required: recordings are streamed to storage",
        )),
        Some(0) => Err(ApiError::validation("The recording is empty")),
        Some(length) if length > MAX_SINGLE_UPLOAD_BYTES => Err(ApiError::PayloadTooLarge {
            limit_bytes: MAX_SINGLE_UPLOAD_BYTES,
        }),
        Some(length) => Ok(length),
    }
}

/// How a multipart upload of `size` bytes is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartPlan {
    pub size: u64,
    pub part_size: u64,
}

impl PartPlan {
    pub fn new(size: u64) -> Result<Self, ApiError> {
        if size == 0 {
            return Err(ApiError::validation("size must be at least 1 byte"));
        }
        if size > MAX_RECORDING_BYTES {
            return Err(ApiError::PayloadTooLarge {
                limit_bytes: MAX_RECORDING_BYTES,
            });
        }
        Ok(Self {
            size,
            part_size: PART_SIZE_BYTES,
        })
    }

    pub fn part_count(&self) -> u16 {
        // At most 100 parts (500 MiB / 5 MiB), so the cast cannot truncate.
        self.size.div_ceil(self.part_size) as u16
    }

    /// The exact length part `number` (1-based) must have.
    pub fn part_length(&self, number: u16) -> Result<u64, ApiError> {
        let count = self.part_count();
        if number == 0 || number > count {
            return Err(ApiError::Validation {
                message: format!("Part number must be from 1 to {count}"),
                details: Some(json!({ "field": "partNumber", "partCount": count })),
            });
        }
        Ok(if number == count {
            self.size - self.part_size * (u64::from(count) - 1)
        } else {
            self.part_size
        })
    }

    /// Refuses a part whose length is not the planned one.
    pub fn check_part(&self, number: u16, length: Option<u64>) -> Result<u64, ApiError> {
        let expected = self.part_length(number)?;
        match length {
            Some(length) if length == expected => Ok(length),
            Some(length) if length > expected => Err(ApiError::PayloadTooLarge {
                limit_bytes: expected,
            }),
            _ => Err(ApiError::Validation {
                message: format!("Part {number} must be exactly {expected} bytes"),
                details: Some(json!({ "field": "Content-Length", "expected": expected })),
            }),
        }
    }

    /// The parts still missing, given the ones received; completing needs none missing.
    pub fn missing(&self, received: &[u16]) -> Vec<u16> {
        (1..=self.part_count())
            .filter(|number| !received.contains(number))
            .collect()
    }
}

/// Metadata given with an upload (query or headers for a single request, JSON for multipart).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecordingFields {
    pub entry_id: Option<String>,
    pub title: Option<String>,
    pub duration_ms: Option<i64>,
    pub peaks: Option<Vec<f64>>,
}

/// `POST /api/recordings/uploads`. The document rules (`entities.rs`) check the rest.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Validate)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateUploadRequest {
    pub content_type: String,
    /// Checked by [`PartPlan::new`] (0 → 400, over the limit → 413).
    pub size: u64,
    #[validate(range(min = 0, max = MAX_RECORDING_DURATION_MS))]
    pub duration_ms: i64,
    pub entry_id: Option<String>,
    pub title: Option<String>,
    pub peaks: Option<Vec<f64>>,
}

/// `PATCH /api/recordings/:id`: a field that is present is set; `entryId: null` unlinks.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Validate)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateRecordingRequest {
    #[serde(default, deserialize_with = "double_option")]
    pub entry_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub title: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub peaks: Option<Option<Vec<f64>>>,
}

/// What the server knows of a stored recording.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAudio {
    pub id: String,
    pub kind: AudioType,
    pub size: u64,
    pub created_at: DateTime<Utc>,
}

/// The `recording` sync document for freshly stored audio. It goes through the same
/// validation as every synced document, so bad metadata is refused before anything is kept.
pub fn new_recording_document(audio: &StoredAudio, fields: &RecordingFields) -> Value {
    let at = iso(audio.created_at);
    let mut doc = json!({
        "id": audio.id,
        "contentType": audio.kind.as_str(),
        "size": audio.size,
        "durationMs": fields.duration_ms,
        "createdAt": at,
        "updatedAt": at,
        "version": 1,
    });
    let map = doc.as_object_mut().expect("a JSON object literal");
    if let Some(entry_id) = &fields.entry_id {
        map.insert("entryId".into(), json!(entry_id));
    }
    if let Some(title) = &fields.title {
        map.insert("title".into(), json!(title));
    }
    if let Some(peaks) = &fields.peaks {
        map.insert("peaks".into(), json!(peaks));
    }
    doc
}

/// The recording document after a PATCH, one version later.
pub fn apply_update(
    current: &Value,
    update: &UpdateRecordingRequest,
    at: DateTime<Utc>,
) -> Result<Value, ApiError> {
    if update == &UpdateRecordingRequest::default() {
        return Err(ApiError::validation(
            "Nothing to update: give entryId, title or peaks",
        ));
    }
    let mut doc = current.clone();
    let map = doc
        .as_object_mut()
        .ok_or_else(|| ApiError::internal("stored recording is not an object"))?;
    let mut set = |key: &str, value: Option<Value>| match value {
        Some(value) => map.insert(key.to_string(), value),
        None => map.remove(key),
    };
    if let Some(entry_id) = &update.entry_id {
        set("entryId", entry_id.as_ref().map(|id| json!(id)));
    }
    if let Some(title) = &update.title {
        set("title", title.as_ref().map(|title| json!(title)));
    }
    if let Some(peaks) = &update.peaks {
        set("peaks", peaks.as_ref().map(|peaks| json!(peaks)));
    }
    stamp(map, Some(current), at);
    Ok(doc)
}

/// Reads upload metadata from query parameters (`entryId`, `durationMs`, `title`), with the
/// `X-Recording-*` headers as the fallback for clients that prefer headers.
pub fn fields_from_params(
    param: impl Fn(&str, &str) -> Option<String>,
) -> Result<RecordingFields, ApiError> {
    let duration_ms = match param("durationMs", "X-Recording-Duration-Ms") {
        None => {
            return Err(ApiError::Validation {
                message: "durationMs is required".into(),
                details: Some(json!({ "field": "durationMs" })),
            });
        }
        Some(raw) => raw
            .trim()
            .parse::<i64>()
            .map_err(|_| ApiError::Validation {
                message: "durationMs must be an integer number of milliseconds".into(),
                details: Some(json!({ "field": "durationMs" })),
            })?,
    };
    Ok(RecordingFields {
        entry_id: param("entryId", "X-Recording-Entry-Id"),
        title: param("title", "X-Recording-Title"),
        duration_ms: Some(duration_ms),
        peaks: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::EntityType;
    use crate::sync::entities::normalize_document;

    fn wav_head() -> Vec<u8> {
        let mut head = b"RIFF".to_vec();
        head.extend_from_slice(&36u32.to_le_bytes());
        head.extend_from_slice(b"WAVEfmt ");
        head
    }

    #[test]
    fn content_types_are_parsed_with_parameters_and_aliases() {
        assert_eq!(
            AudioType::from_content_type("audio/webm;codecs=opus").unwrap(),
            AudioType::Webm
        );
        assert_eq!(
            AudioType::from_content_type(" Audio/X-WAV ").unwrap(),
            AudioType::Wav
        );
        for bad in ["", "video/webm", "application/octet-stream", "audio/flac"] {
            assert_eq!(AudioType::from_content_type(bad).unwrap_err().status(), 415);
        }
        for kind in AudioType::ALL {
            assert_eq!(AudioType::from_content_type(kind.as_str()).unwrap(), kind);
        }
    }

    #[test]
    fn magic_bytes_must_match_the_declared_type() {
        let heads: [(AudioType, Vec<u8>); 5] = [
            (AudioType::Webm, vec![0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42]),
            (AudioType::Ogg, b"OggS\0\x02".to_vec()),
            (AudioType::Mp4, b"\0\0\0\x20ftypM4A ".to_vec()),
            (AudioType::Mpeg, b"ID3\x04\0\0".to_vec()),
            (AudioType::Wav, wav_head()),
        ];
        for (kind, head) in &heads {
            for (other, other_head) in &heads {
                assert_eq!(
                    kind.matches(other_head),
                    kind == other,
                    "{kind:?} vs {other:?}"
                );
            }
            assert!(kind.check_head(head).is_ok());
            assert_eq!(kind.check_head(b"%PDF-1.7").unwrap_err().status(), 415);
            assert!(!kind.matches(&[]));
        }
        assert!(AudioType::Mpeg.matches(&[0xFF, 0xFB, 0x90]));
    }

    #[test]
    fn keys_live_under_the_users_prefix() {
        let key = object_key("user_1", "rec_1", AudioType::Webm);
        assert_eq!(key, "recordings/user_1/rec_1.webm");
        assert!(key.starts_with(&user_prefix("user_1")));
    }

    #[test]
    fn quota_counts_what_is_stored_plus_what_comes() {
        assert!(check_quota(10, 90, 100).is_ok());
        let err = check_quota(10, 91, 100).unwrap_err();
        assert_eq!(err.status(), 413);
        assert_eq!(err.code(), crate::error::ErrorCode::QuotaExceeded);
        assert!(check_quota(u64::MAX, 1, 100).is_err());
    }

    #[test]
    fn single_uploads_need_a_length_within_the_limit() {
        assert_eq!(check_single_upload_size(None).unwrap_err().status(), 400);
        assert_eq!(check_single_upload_size(Some(0)).unwrap_err().status(), 400);
        assert_eq!(
            check_single_upload_size(Some(MAX_SINGLE_UPLOAD_BYTES + 1))
                .unwrap_err()
                .status(),
            413
        );
        assert_eq!(check_single_upload_size(Some(44)).unwrap(), 44);
    }

    #[test]
    fn parts_are_equal_but_the_last() {
        let plan = PartPlan::new(PART_SIZE_BYTES * 2 + 7).unwrap();
        assert_eq!(plan.part_count(), 3);
        assert_eq!(plan.part_length(1).unwrap(), PART_SIZE_BYTES);
        assert_eq!(plan.part_length(3).unwrap(), 7);
        assert_eq!(plan.part_length(0).unwrap_err().status(), 400);
        assert_eq!(plan.part_length(4).unwrap_err().status(), 400);
        assert!(plan.check_part(3, Some(7)).is_ok());
        assert_eq!(plan.check_part(3, Some(6)).unwrap_err().status(), 400);
        assert_eq!(plan.check_part(3, Some(8)).unwrap_err().status(), 413);
        assert_eq!(plan.check_part(1, None).unwrap_err().status(), 400);
        assert_eq!(plan.missing(&[1, 3]), vec![2]);
        assert!(plan.missing(&[3, 1, 2]).is_empty());

        assert_eq!(PartPlan::new(0).unwrap_err().status(), 400);
        assert_eq!(
            PartPlan::new(MAX_RECORDING_BYTES + 1).unwrap_err().status(),
            413
        );
        let largest = PartPlan::new(MAX_RECORDING_BYTES).unwrap();
        assert_eq!(largest.part_count(), 100);
        assert_eq!(largest.part_length(100).unwrap(), PART_SIZE_BYTES);
    }

    fn stored() -> StoredAudio {
        StoredAudio {
            id: "rec_1".into(),
            kind: AudioType::Ogg,
            size: 1234,
            created_at: DateTime::from_timestamp(1_767_323_045, 0).unwrap(),
        }
    }

    #[test]
    fn new_documents_are_valid_sync_documents() {
        let fields = RecordingFields {
            entry_id: Some("entry_1".into()),
            title: Some("Scales".into()),
            duration_ms: Some(3000),
            peaks: Some(vec![0.1, 0.9]),
        };
        let doc = new_recording_document(&stored(), &fields);
        let normalized = normalize_document(EntityType::Recording, doc.clone()).unwrap();
        assert_eq!(normalized, doc);
        assert_eq!(doc["contentType"], "audio/ogg");
        assert_eq!(doc["size"], 1234);

        let missing_duration = RecordingFields::default();
        let doc = new_recording_document(&stored(), &missing_duration);
        assert!(normalize_document(EntityType::Recording, doc).is_err());
        let bad_peaks = RecordingFields {
            duration_ms: Some(1),
            peaks: Some(vec![2.0]),
            ..RecordingFields::default()
        };
        let doc = new_recording_document(&stored(), &bad_peaks);
        assert!(normalize_document(EntityType::Recording, doc).is_err());
    }

    #[test]
    fn updates_set_unlink_and_bump_the_version() {
        let fields = RecordingFields {
            entry_id: Some("entry_1".into()),
            duration_ms: Some(3000),
            ..RecordingFields::default()
        };
        let doc = new_recording_document(&stored(), &fields);
        let later = DateTime::from_timestamp(1_767_323_100, 0).unwrap();
        let update: UpdateRecordingRequest =
            serde_json::from_value(json!({"entryId": null, "title": "Take 2"})).unwrap();
        let updated = apply_update(&doc, &update, later).unwrap();
        assert!(updated.get("entryId").is_none());
        assert_eq!(updated["title"], "Take 2");
        assert_eq!(updated["version"], 2);
        assert_eq!(updated["updatedAt"], "2026-01-02T03:05:00.000Z");
        assert_eq!(updated["createdAt"], doc["createdAt"]);

        let nothing = apply_update(&doc, &UpdateRecordingRequest::default(), later);
        assert_eq!(nothing.unwrap_err().status(), 400);
        assert!(
            serde_json::from_value::<UpdateRecordingRequest>(json!({"size": 1})).is_err(),
            "server-owned fields cannot be patched"
        );
    }

    #[test]
    fn upload_fields_come_from_query_or_headers() {
        let params = |query: &'static [(&'static str, &'static str)]| {
            move |name: &str, _header: &str| {
                query
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| value.to_string())
            }
        };
        let fields =
            fields_from_params(params(&[("durationMs", "3000"), ("entryId", "e1")])).unwrap();
        assert_eq!(fields.duration_ms, Some(3000));
        assert_eq!(fields.entry_id.as_deref(), Some("e1"));
        assert_eq!(fields_from_params(params(&[])).unwrap_err().status(), 400);
        assert_eq!(
            fields_from_params(params(&[("durationMs", "3s")]))
                .unwrap_err()
                .status(),
            400
        );
    }
}
