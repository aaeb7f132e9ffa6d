//! A user's whole account as one file, the pure part: the shape of the export's `data.json`
//! (`GET /api/user/export`, which also holds the user's files) and the checks of an import of
//! it (`POST /api/user/import`).
//!
//! `data.json` is written piece by piece ([`DataJsonWriter`]): the small sections first, then
//! every sync document by type, a page of rows at a time, so the export never holds the
//! account in memory. An import reads the same shape back ([`AccountData`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::ApiError;
use crate::sync::EntityType;
use crate::sync::entities::normalize_document;
use crate::sync::merge::IncomingWrite;

/// `data.json`'s `format`.
pub const FORMAT: &str = "mirubato-account";
/// `data.json`'s `version`: bumped when a change would make an older reader misread it.
pub const FORMAT_VERSION: u32 = 1;
/// The name of the data file inside the ZIP.
pub const DATA_FILE: &str = "data.json";
/// Largest `data.json` an import accepts.
pub const MAX_IMPORT_BYTES: usize = 25 * 1024 * 1024;
/// Most documents one import may carry.
pub const MAX_IMPORT_DOCUMENTS: usize = 100_000;
/// The device id of documents imported without one.
pub const IMPORT_DEVICE: &str = "import";

/// One stored sync document as exported: the document the client wrote, plus the server's
/// record of the write (the device that made it, when the server stored it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportedDocument {
    pub id: String,
    pub data: Value,
    #[serde(default = "one")]
    pub version: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// When the server stored this version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_at: Option<String>,
    /// Set for a delete (tombstone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
}

fn one() -> i64 {
    1
}

/// The whole `data.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountData {
    pub format: String,
    pub version: u32,
    #[serde(default)]
    pub exported_at: Option<String>,
    #[serde(default)]
    pub profile: Value,
    /// The preferences document's data, for reading (also under `documents`).
    #[serde(default)]
    pub preferences: Value,
    /// Recordings' storage records (`{id, contentType, size, createdAt, file}`), the audio in
    /// the ZIP under `file`; their documents are under `documents.recording`.
    #[serde(default)]
    pub recordings: Vec<Value>,
    /// The sheet-music library: `{scores, collections, favorites}` (scores with `files`).
    #[serde(default)]
    pub library: Value,
    /// Every sync document by entity type (`logbook_entry`, `goal`, `repertoire_item`, …),
    /// tombstones included.
    #[serde(default)]
    pub documents: BTreeMap<String, Vec<ExportedDocument>>,
}

/// The sections of `data.json` written before the documents.
#[derive(Debug, Clone)]
pub struct ExportHead<'a> {
    pub exported_at: &'a str,
    pub profile: &'a Value,
    pub preferences: &'a Value,
    pub recordings: &'a [Value],
    pub library: &'a Value,
}

/// Writes `data.json` in pieces: [`head`](Self::head), then each document in order of type,
/// then [`tail`](Self::tail). The pieces joined are one JSON object.
#[derive(Debug, Default)]
pub struct DataJsonWriter {
    current_type: Option<String>,
}

impl DataJsonWriter {
    pub fn head(head: &ExportHead) -> String {
        let mut text = json!({
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "exportedAt": head.exported_at,
            "profile": head.profile,
            "preferences": head.preferences,
            "recordings": head.recordings,
            "library": head.library,
        })
        .to_string();
        // Reopen the object for the documents.
        text.pop();
        text.push_str(",\"documents\":{");
        text
    }

    /// The piece for the next document; documents of one type must come together.
    pub fn document(&mut self, entity_type: &str, document: &ExportedDocument) -> String {
        let mut text = String::new();
        match &self.current_type {
            Some(current) if current == entity_type => text.push(','),
            Some(_) => text.push_str("],"),
            None => {}
        }
        if self.current_type.as_deref() != Some(entity_type) {
            text.push_str(&Value::from(entity_type).to_string());
            text.push_str(":[");
            self.current_type = Some(entity_type.to_string());
        }
        text.push_str(&serde_json::to_string(document).unwrap_or_else(|_| "null".into()));
        text
    }

    pub fn tail(&self) -> String {
        if self.current_type.is_some() {
            "]}}".into()
        } else {
            "}}".into()
        }
    }
}

/// The ZIP path of a score's file: `scores/<id>.pdf`, or `scores/<id>/page-<n>.<ext>` for a
/// score made of page images. Ids are reduced to safe characters, so no path escapes.
pub fn score_file_path(score_id: &str, page: Option<i64>, content_type: &str) -> String {
    let id = safe_name(score_id);
    match page {
        None => format!("scores/{id}.pdf"),
        Some(page) => format!("scores/{id}/page-{page}.{}", extension(content_type)),
    }
}

/// The ZIP path of a recording's audio: `recordings/<id>.<ext>`.
pub fn recording_file_path(recording_id: &str, content_type: &str) -> String {
    format!(
        "recordings/{}.{}",
        safe_name(recording_id),
        extension(content_type)
    )
}

fn safe_name(id: &str) -> String {
    let name: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() { "_".into() } else { name }
}

/// A file extension for a stored content type.
pub fn extension(content_type: &str) -> &'static str {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/pdf" => "pdf",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "audio/webm" | "video/webm" => "webm",
        "audio/ogg" | "audio/opus" => "ogg",
        "audio/mp4" | "audio/x-m4a" | "audio/aac" | "video/mp4" => "m4a",
        "audio/mpeg" => "mp3",
        "audio/wav" | "audio/x-wav" | "audio/wave" => "wav",
        "audio/flac" => "flac",
        _ => "bin",
    }
}

/// The export's file name without its `.zip`: `mirubato-<date>`.
pub fn export_file_stem(date: &str) -> String {
    format!("mirubato-{}", safe_name(date))
}

/// An import's writes, validated as the socket and push validate them, and what was left
/// out.
#[derive(Debug)]
pub struct ImportPlan {
    pub writes: Vec<IncomingWrite>,
    /// Documents that only the server writes (recordings, whose audio an import cannot
    /// carry), by type: counted, not imported.
    pub skipped: BTreeMap<String, usize>,
}

fn invalid(message: impl Into<String>, path: impl Into<String>) -> ApiError {
    ApiError::Validation {
        message: message.into(),
        details: Some(json!({ "path": path.into() })),
    }
}

/// Reads an import body (the `data.json` of an export) for the account `user_id`. Every
/// error is a 400 naming where in the file it is (`details.path`); nothing is imported
/// unless all of it is valid. The preferences document is the account's own (its id is the
/// user id), so an export of another account lands on this one's.
pub fn plan_import(body: &[u8], user_id: &str) -> Result<ImportPlan, ApiError> {
    if body.len() > MAX_IMPORT_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit_bytes: MAX_IMPORT_BYTES as u64,
        });
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|err| invalid(format!("The file is not JSON: {err}"), "$"))?;
    if value.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(invalid(
            format!("This is not a Mirubato export (format must be \"{FORMAT}\")"),
            "format",
        ));
    }
    let version = value.get("version").and_then(Value::as_u64);
    if version != Some(u64::from(FORMAT_VERSION)) {
        return Err(invalid(
            format!("Unsupported export version (this server reads version {FORMAT_VERSION})"),
            "version",
        ));
    }
    let data: AccountData = serde_json::from_value(value)
        .map_err(|err| invalid(format!("The export's shape is wrong: {err}"), "$"))?;
    let total: usize = data.documents.values().map(Vec::len).sum();
    if total > MAX_IMPORT_DOCUMENTS {
        return Err(ApiError::TooManyItems {
            limit: MAX_IMPORT_DOCUMENTS,
            count: total,
        });
    }
    let mut writes = Vec::with_capacity(total);
    let mut skipped = BTreeMap::new();
    for (name, documents) in data.documents {
        let kind = EntityType::parse(&name)
            .ok_or_else(|| invalid(format!("Unknown document type {name:?}"), "documents"))?;
        if kind == EntityType::Recording {
            *skipped.entry(name.clone()).or_default() += documents.len();
            continue;
        }
        for (index, mut document) in documents.into_iter().enumerate() {
            let path = format!("documents.{name}[{index}]");
            if kind == EntityType::UserPreferences {
                document.id = user_id.to_string();
                if let Some(data) = document.data.as_object_mut() {
                    data.insert("id".into(), Value::from(user_id));
                }
            }
            let id_matches = document.data.get("id").and_then(Value::as_str)
                == Some(document.id.as_str())
                || kind == EntityType::RepertoireItem;
            if !id_matches {
                return Err(invalid("The document's data.id differs from its id", path));
            }
            let normalized = normalize_document(kind, document.data)
                .map_err(|err| invalid(format!("Invalid {name}: {err}"), path.clone()))?;
            let device = document
                .device_id
                .filter(|device| crate::sync::rest::valid_client_token(device))
                .unwrap_or_else(|| IMPORT_DEVICE.to_string());
            let write = IncomingWrite::new(kind, &normalized, &device).ok_or_else(|| {
                invalid(
                    format!("Invalid {name}: needs an id and updatedAt or deletedAt"),
                    path,
                )
            })?;
            writes.push(write);
        }
    }
    Ok(ImportPlan { writes, skipped })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, deleted: bool) -> ExportedDocument {
        let mut data = json!({
            "id": id, "timestamp": "2026-03-01T10:00:00.000Z", "duration": 30,
            "type": "practice", "instrument": "piano", "pieces": [], "techniques": [],
            "goalIds": [], "tags": [], "createdAt": "2026-03-01T10:00:00.000Z",
            "updatedAt": "2026-03-01T10:30:00.000Z",
        });
        if deleted {
            data = json!({"id": id, "deletedAt": "2026-03-02T10:00:00.000Z"});
        }
        ExportedDocument {
            id: id.into(),
            data,
            version: 2,
            device_id: Some("phone-1".into()),
            stored_at: Some("2026-03-01T10:30:01.000Z".into()),
            deleted_at: deleted.then(|| "2026-03-02T10:00:00.000Z".into()),
        }
    }

    fn head_values() -> (Value, Value, Vec<Value>, Value) {
        (
            json!({"id": "user_1", "email": "a@example.com"}),
            json!({"theme": "dark"}),
            vec![json!({"id": "rec_1", "file": "recordings/rec_1.webm"})],
            json!({"scores": [], "collections": [], "favorites": []}),
        )
    }

    fn written(documents: &[(&str, ExportedDocument)]) -> String {
        let (profile, preferences, recordings, library) = head_values();
        let mut text = DataJsonWriter::head(&ExportHead {
            exported_at: "2026-03-03T00:00:00.000Z",
            profile: &profile,
            preferences: &preferences,
            recordings: &recordings,
            library: &library,
        });
        let mut writer = DataJsonWriter::default();
        for (kind, document) in documents {
            text.push_str(&writer.document(kind, document));
        }
        text.push_str(&writer.tail());
        text
    }

    #[test]
    fn the_pieces_make_one_json_object_that_reads_back() {
        let text = written(&[
            ("goal", entry("g1", false)),
            ("logbook_entry", entry("e1", false)),
            ("logbook_entry", entry("e2", true)),
        ]);
        let data: AccountData = serde_json::from_str(&text).unwrap();
        assert_eq!(data.format, FORMAT);
        assert_eq!(data.preferences["theme"], "dark");
        assert_eq!(data.documents["logbook_entry"].len(), 2);
        assert_eq!(data.documents["logbook_entry"][1], entry("e2", true));
        assert_eq!(data.documents["goal"][0].id, "g1");
        assert_eq!(data.recordings[0]["file"], "recordings/rec_1.webm");
    }

    #[test]
    fn an_account_without_documents_is_still_valid_json() {
        let data: AccountData = serde_json::from_str(&written(&[])).unwrap();
        assert!(data.documents.is_empty());
    }

    #[test]
    fn an_export_plans_back_into_writes_and_skips_recordings() {
        let mut text = written(&[
            ("logbook_entry", entry("e1", false)),
            ("logbook_entry", entry("e2", true)),
        ]);
        let mut value: Value = serde_json::from_str(&text).unwrap();
        value["documents"]["recording"] = json!([{"id": "r1", "data": {"id": "r1"}}]);
        text = value.to_string();
        let plan = plan_import(text.as_bytes(), "user_2").unwrap();
        assert_eq!(plan.writes.len(), 2);
        assert!(plan.writes[1].deleted);
        assert_eq!(plan.writes[0].stamp.device_id, "phone-1");
        assert_eq!(plan.skipped["recording"], 1);
    }

    #[test]
    fn bad_imports_are_4xx_and_say_where() {
        let good: Value =
            serde_json::from_str(&written(&[("logbook_entry", entry("e1", false))])).unwrap();
        let with = |change: &dyn Fn(&mut Value)| {
            let mut value = good.clone();
            change(&mut value);
            plan_import(value.to_string().as_bytes(), "user_2").unwrap_err()
        };
        let path = |err: &ApiError| match err {
            ApiError::Validation { details, .. } => details.clone().unwrap()["path"].clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(plan_import(b"{", "user_2").unwrap_err().status(), 400);
        assert_eq!(path(&with(&|v| v["format"] = json!("zip"))), "format");
        assert_eq!(path(&with(&|v| v["version"] = json!(99))), "version");
        assert_eq!(
            path(&with(&|v| v["documents"]["widgets"] = json!([]))),
            "documents"
        );
        assert_eq!(
            path(&with(
                &|v| v["documents"]["logbook_entry"][0]["data"]["duration"] = json!("long")
            )),
            "documents.logbook_entry[0]"
        );
        assert_eq!(
            path(&with(
                &|v| v["documents"]["logbook_entry"][0]["id"] = json!("other")
            )),
            "documents.logbook_entry[0]"
        );
        let huge = vec![b' '; MAX_IMPORT_BYTES + 1];
        assert_eq!(plan_import(&huge, "user_2").unwrap_err().status(), 413);
    }

    #[test]
    fn file_paths_stay_inside_their_folder() {
        assert_eq!(
            score_file_path("abc-1", None, "application/pdf"),
            "scores/abc-1.pdf"
        );
        assert_eq!(
            score_file_path("abc", Some(2), "image/jpeg"),
            "scores/abc/page-2.jpg"
        );
        assert_eq!(
            recording_file_path("../../etc/passwd", "audio/webm;codecs=opus"),
            "recordings/______etc_passwd.webm"
        );
        assert_eq!(
            recording_file_path("r", "application/x-unknown"),
            "recordings/r.bin"
        );
        assert_eq!(export_file_stem("2026-03-03"), "mirubato-2026-03-03");
    }

    #[test]
    fn preferences_land_on_the_importing_account() {
        let mut value: Value = serde_json::from_str(&written(&[])).unwrap();
        value["documents"]["user_preferences"] = json!([{
            "id": "user_1",
            "data": {"id": "user_1", "theme": "dark", "updatedAt": "2026-03-01T10:00:00.000Z"},
        }]);
        let plan = plan_import(value.to_string().as_bytes(), "user_2").unwrap();
        assert_eq!(plan.writes[0].entity_id, "user_2");
        assert!(plan.writes[0].data.contains("\"user_2\""));
    }
}
