//! Scores and collections as stored and as sent: the D1 row, its JSON view, and the bodies
//! clients send (validated; updates name only known columns).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use validator::Validate;

use crate::ApiError;

/// A value bound into a D1 statement.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Text(String),
    Integer(i64),
    Null,
}

impl From<&str> for SqlValue {
    fn from(text: &str) -> Self {
        Self::Text(text.to_string())
    }
}

impl From<Option<String>> for SqlValue {
    fn from(text: Option<String>) -> Self {
        text.map_or(Self::Null, Self::Text)
    }
}

macro_rules! wire_enum {
    ($name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }
        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}

wire_enum!(Instrument { Piano = "piano", Guitar = "guitar", Both = "both" });
wire_enum!(Difficulty { Beginner = "beginner", Intermediate = "intermediate", Advanced = "advanced" });
wire_enum!(StylePeriod { Baroque = "baroque", Classical = "classical", Romantic = "romantic", Modern = "modern", Contemporary = "contemporary" });
wire_enum!(Source { Imslp = "imslp", Upload = "upload", Generated = "generated", Manual = "manual" });
wire_enum!(Visibility { Private = "private", Public = "public", Unlisted = "unlisted" });

/// `Cache-Control` of a public score's page images, thumbnail and previews: their bytes never
/// change under a key, so shared caches may keep them for a year.
pub const CACHE_PUBLIC_IMAGE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of a public score's PDF (a re-import may replace it): a day.
pub const CACHE_PUBLIC_FILE: &str = "public, max-age=86400";
/// `Cache-Control` of every file of a score that is not public (private or unlisted): only
/// the caller's browser may keep it, and it asks again each time, so a score made private
/// stops being served from any cache that saw it while it was public.
pub const CACHE_PRIVATE_FILE: &str = "private, max-age=0, must-revalidate";

/// What a stored file of a score is, for its cache policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreFile {
    /// The original PDF.
    Original,
    /// A page image, thumbnail or rendered preview.
    Image,
}

/// The `Cache-Control` of a score's file for the score's stored `visibility`: the long
/// public policies only for `public`; anything else (also an unknown value) is private.
pub fn file_cache_control(visibility: &str, file: ScoreFile) -> &'static str {
    match (Visibility::parse(visibility), file) {
        (Some(Visibility::Public), ScoreFile::Image) => CACHE_PUBLIC_IMAGE,
        (Some(Visibility::Public), ScoreFile::Original) => CACHE_PUBLIC_FILE,
        _ => CACHE_PRIVATE_FILE,
    }
}

/// `POST /api/scores`.
#[derive(Debug, Deserialize, Validate)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateScore {
    #[validate(length(min = 1, max = 300))]
    pub title: String,
    #[validate(length(min = 1, max = 200))]
    pub composer: String,
    pub instrument: Instrument,
    pub difficulty: Difficulty,
    pub source: Source,
    #[validate(length(max = 100))]
    pub opus: Option<String>,
    #[validate(length(max = 200))]
    pub movement: Option<String>,
    #[validate(range(min = 1, max = 10))]
    pub difficulty_level: Option<i64>,
    #[validate(length(max = 50))]
    pub grade_level: Option<String>,
    #[validate(range(min = 1, max = 36000))]
    pub duration_seconds: Option<i64>,
    #[validate(length(max = 20))]
    pub time_signature: Option<String>,
    #[validate(length(max = 30))]
    pub key_signature: Option<String>,
    #[validate(length(max = 50))]
    pub tempo_marking: Option<String>,
    #[validate(range(min = 10, max = 400))]
    pub suggested_tempo: Option<i64>,
    pub style_period: Option<StylePeriod>,
    #[validate(url, length(max = 2048))]
    pub imslp_url: Option<String>,
    #[validate(length(max = 30))]
    #[serde(default)]
    pub tags: Vec<String>,
    pub metadata: Option<Map<String, Value>>,
    pub visibility: Option<Visibility>,
}

impl CreateScore {
    /// Column/value pairs for the insert (besides the id, owner and timestamps).
    pub fn columns(&self) -> Result<Vec<(&'static str, SqlValue)>, ApiError> {
        let tags = clean_tags(&self.tags)?;
        let mut columns = vec![
            ("title", SqlValue::from(self.title.trim())),
            ("composer", SqlValue::from(self.composer.trim())),
            ("instrument", SqlValue::from(self.instrument.as_str())),
            ("difficulty", SqlValue::from(self.difficulty.as_str())),
            ("source", SqlValue::from(self.source.as_str())),
            ("tags", SqlValue::Text(json!(tags).to_string())),
            (
                "visibility",
                SqlValue::from(self.visibility.unwrap_or(Visibility::Private).as_str()),
            ),
            (
                "metadata",
                SqlValue::Text(
                    Value::Object(self.metadata.clone().unwrap_or_default()).to_string(),
                ),
            ),
            (
                "style_period",
                self.style_period.map(|p| p.as_str().to_string()).into(),
            ),
        ];
        for (column, value) in [
            ("opus", &self.opus),
            ("movement", &self.movement),
            ("grade_level", &self.grade_level),
            ("time_signature", &self.time_signature),
            ("key_signature", &self.key_signature),
            ("tempo_marking", &self.tempo_marking),
            ("imslp_url", &self.imslp_url),
        ] {
            columns.push((column, value.clone().into()));
        }
        for (column, value) in [
            ("difficulty_level", self.difficulty_level),
            ("duration_seconds", self.duration_seconds),
            ("suggested_tempo", self.suggested_tempo),
        ] {
            columns.push((column, value.map_or(SqlValue::Null, SqlValue::Integer)));
        }
        Ok(columns)
    }
}

/// Tags: trimmed, non-empty, at most 50 characters each, no repeats.
pub fn clean_tags(tags: &[String]) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.trim();
        if tag.is_empty() || tag.chars().count() > 50 {
            return Err(ApiError::validation("tags must be 1 to 50 characters each"));
        }
        if !out.iter().any(|known| known.eq_ignore_ascii_case(tag)) {
            out.push(tag.to_string());
        }
    }
    Ok(out)
}

/// `PUT /api/scores/:id`: any subset of the creatable fields (camelCase), each mapped to its
/// own column; unknown fields are a 400 rather than a broken statement.
pub fn update_columns(body: &Value) -> Result<Vec<(&'static str, SqlValue)>, ApiError> {
    let object = body
        .as_object()
        .ok_or_else(|| ApiError::validation("Request body must be a JSON object"))?;
    if object.is_empty() {
        return Err(ApiError::validation("No fields to update"));
    }
    let text = |key: &str, max: usize, value: &Value| -> Result<SqlValue, ApiError> {
        match value {
            Value::Null => Ok(SqlValue::Null),
            Value::String(text) if !text.trim().is_empty() && text.chars().count() <= max => {
                Ok(SqlValue::Text(text.trim().to_string()))
            }
            _ => Err(ApiError::validation(format!(
                "{key} must be a string of 1 to {max} characters"
            ))),
        }
    };
    let required = |key: &str, max: usize, value: &Value| match value {
        Value::Null => Err(ApiError::validation(format!("{key} cannot be null"))),
        other => text(key, max, other),
    };
    let integer = |key: &str, min: i64, max: i64, value: &Value| match value {
        Value::Null => Ok(SqlValue::Null),
        other => other
            .as_i64()
            .filter(|n| (min..=max).contains(n))
            .map(SqlValue::Integer)
            .ok_or_else(|| {
                ApiError::validation(format!("{key} must be an integer from {min} to {max}"))
            }),
    };
    fn choice(
        key: &str,
        value: &Value,
        parse: fn(&str) -> bool,
        nullable: bool,
    ) -> Result<SqlValue, ApiError> {
        match value {
            Value::Null if nullable => Ok(SqlValue::Null),
            Value::String(text) if parse(text) => Ok(SqlValue::Text(text.clone())),
            _ => Err(ApiError::validation(format!("{key} has an invalid value"))),
        }
    }
    let mut columns = Vec::new();
    for (key, value) in object {
        let column = match key.as_str() {
            "title" => ("title", required(key, 300, value)?),
            "composer" => ("composer", required(key, 200, value)?),
            "opus" => ("opus", text(key, 100, value)?),
            "movement" => ("movement", text(key, 200, value)?),
            "gradeLevel" => ("grade_level", text(key, 50, value)?),
            "timeSignature" => ("time_signature", text(key, 20, value)?),
            "keySignature" => ("key_signature", text(key, 30, value)?),
            "tempoMarking" => ("tempo_marking", text(key, 50, value)?),
            "difficultyLevel" => ("difficulty_level", integer(key, 1, 10, value)?),
            "durationSeconds" => ("duration_seconds", integer(key, 1, 36000, value)?),
            "suggestedTempo" => ("suggested_tempo", integer(key, 10, 400, value)?),
            "instrument" => (
                "instrument",
                choice(key, value, |t| Instrument::parse(t).is_some(), false)?,
            ),
            "difficulty" => (
                "difficulty",
                choice(key, value, |t| Difficulty::parse(t).is_some(), false)?,
            ),
            "stylePeriod" => (
                "style_period",
                choice(key, value, |t| StylePeriod::parse(t).is_some(), true)?,
            ),
            "visibility" => (
                "visibility",
                choice(key, value, |t| Visibility::parse(t).is_some(), false)?,
            ),
            "tags" => {
                let tags: Vec<String> = serde_json::from_value(value.clone())
                    .map_err(|_| ApiError::validation("tags must be an array of strings"))?;
                if tags.len() > 30 {
                    return Err(ApiError::validation("tags must have at most 30 entries"));
                }
                (
                    "tags",
                    SqlValue::Text(json!(clean_tags(&tags)?).to_string()),
                )
            }
            "metadata" => match value {
                Value::Object(_) => ("metadata", SqlValue::Text(value.to_string())),
                _ => return Err(ApiError::validation("metadata must be an object")),
            },
            other => {
                return Err(ApiError::validation(format!("{other} cannot be updated")));
            }
        };
        columns.push(column);
    }
    Ok(columns)
}

/// The columns every score query selects, in [`ScoreRow`]'s order.
pub const SCORE_COLUMNS: &str = "id, title, composer, opus, movement, instrument, difficulty, \
    difficulty_level, grade_level, duration_seconds, time_signature, key_signature, tempo_marking, \
    suggested_tempo, style_period, source, imslp_url, tags, metadata, slug, pdf_url, user_id, \
    visibility, source_type, source_url, page_count, subject, processing_status, processing_error, \
    thumbnail_key, normalized_id, view_count, download_count, file_size_bytes, imported_at, \
    created_at, updated_at, r2_key";

/// A `scores` row.
#[derive(Debug, Clone, Deserialize)]
pub struct ScoreRow {
    pub id: String,
    pub title: String,
    pub composer: String,
    pub opus: Option<String>,
    pub movement: Option<String>,
    pub instrument: String,
    pub difficulty: String,
    pub difficulty_level: Option<i64>,
    pub grade_level: Option<String>,
    pub duration_seconds: Option<i64>,
    pub time_signature: Option<String>,
    pub key_signature: Option<String>,
    pub tempo_marking: Option<String>,
    pub suggested_tempo: Option<i64>,
    pub style_period: Option<String>,
    pub source: String,
    pub imslp_url: Option<String>,
    pub tags: String,
    pub metadata: String,
    pub slug: String,
    pub pdf_url: Option<String>,
    pub user_id: Option<String>,
    pub visibility: String,
    pub source_type: String,
    pub source_url: Option<String>,
    pub page_count: i64,
    pub subject: Option<String>,
    pub processing_status: String,
    pub processing_error: Option<String>,
    pub thumbnail_key: Option<String>,
    pub normalized_id: String,
    pub view_count: i64,
    pub download_count: i64,
    pub file_size_bytes: Option<i64>,
    pub imported_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub r2_key: Option<String>,
}

impl ScoreRow {
    /// Whether `viewer` may see this score: public and unlisted scores are anyone's to open
    /// by id; private ones only their owner's.
    pub fn visible_to(&self, viewer: Option<&str>) -> bool {
        self.visibility != "private" || self.owned_by(viewer)
    }

    pub fn owned_by(&self, viewer: Option<&str>) -> bool {
        viewer.is_some() && self.user_id.as_deref() == viewer
    }

    /// The JSON clients get.
    pub fn view(&self) -> Value {
        let parse = |text: &str, fallback: Value| serde_json::from_str(text).unwrap_or(fallback);
        json!({
            "id": self.id,
            "title": self.title,
            "composer": self.composer,
            "opus": self.opus,
            "movement": self.movement,
            "instrument": self.instrument,
            "difficulty": self.difficulty,
            "difficultyLevel": self.difficulty_level,
            "gradeLevel": self.grade_level,
            "durationSeconds": self.duration_seconds,
            "timeSignature": self.time_signature,
            "keySignature": self.key_signature,
            "tempoMarking": self.tempo_marking,
            "suggestedTempo": self.suggested_tempo,
            "stylePeriod": self.style_period,
            "source": self.source,
            "imslpUrl": self.imslp_url,
            "tags": parse(&self.tags, json!([])),
            "metadata": parse(&self.metadata, json!({})),
            "slug": self.slug,
            "pdfUrl": self.pdf_url,
            "userId": self.user_id,
            "visibility": self.visibility,
            "sourceType": self.source_type,
            "sourceUrl": self.source_url,
            "pageCount": self.page_count,
            "subject": self.subject,
            "processingStatus": self.processing_status,
            "processingError": self.processing_error,
            "thumbnailUrl": self.thumbnail_key.as_ref().map(|_| format!("/api/pdf/v2/thumbnail/{}", self.id)),
            "normalizedId": self.normalized_id,
            "viewCount": self.view_count,
            "downloadCount": self.download_count,
            "fileSizeBytes": self.file_size_bytes,
            "importedAt": self.imported_at,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        })
    }
}

/// `POST /api/user/collections`.
#[derive(Debug, Deserialize, Validate)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateCollection {
    #[validate(length(min = 1, max = 200))]
    pub name: String,
    #[validate(length(max = 2000))]
    pub description: Option<String>,
    pub visibility: Option<Visibility>,
    #[validate(length(max = 30))]
    #[serde(default)]
    pub tags: Vec<String>,
}

/// `PUT /api/user/collections/:id`: at least one field.
#[derive(Debug, Deserialize, Validate)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateCollection {
    #[validate(length(min = 1, max = 200))]
    pub name: Option<String>,
    #[validate(length(max = 2000))]
    pub description: Option<String>,
    pub visibility: Option<Visibility>,
    #[validate(length(max = 30))]
    pub tags: Option<Vec<String>>,
}

impl UpdateCollection {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.description.is_none()
            && self.visibility.is_none()
            && self.tags.is_none()
    }
}

/// A body of 1 to 100 score ids (`scoreIds`).
#[derive(Debug, Deserialize, Validate)]
#[serde(rename_all = "camelCase")]
pub struct ScoreIds {
    #[validate(length(min = 1, max = 100, message = "must list 1 to 100 score ids"))]
    pub score_ids: Vec<String>,
}

/// A body naming one score (`scoreId`).
#[derive(Debug, Deserialize, Validate)]
#[serde(rename_all = "camelCase")]
pub struct ScoreRef {
    #[validate(length(min = 1, max = 200))]
    pub score_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_map_camel_case_fields_to_columns() {
        let columns = update_columns(
            &json!({"difficultyLevel": 4, "title": " Lagrima ", "stylePeriod": null}),
        )
        .unwrap();
        assert!(columns.contains(&("difficulty_level", SqlValue::Integer(4))));
        assert!(columns.contains(&("title", SqlValue::Text("Lagrima".into()))));
        assert!(columns.contains(&("style_period", SqlValue::Null)));
    }

    #[test]
    fn updates_refuse_unknown_and_invalid_fields() {
        for body in [
            json!({}),
            json!([]),
            json!({"userId": "someone-else"}),
            json!({"id": "x"}),
            json!({"difficultyLevel": 11}),
            json!({"title": ""}),
            json!({"title": null}),
            json!({"instrument": "violin"}),
            json!({"visibility": "secret"}),
            json!({"tags": "a,b"}),
            json!({"metadata": 3}),
        ] {
            assert_eq!(update_columns(&body).unwrap_err().status(), 400, "{body}");
        }
    }

    #[test]
    fn tags_are_trimmed_and_deduplicated() {
        assert_eq!(
            clean_tags(&[" a ".into(), "A".into(), "b".into()]).unwrap(),
            ["a", "b"]
        );
        assert!(clean_tags(&[" ".into()]).is_err());
    }

    #[test]
    fn only_public_score_files_are_publicly_cacheable() {
        assert_eq!(
            file_cache_control("public", ScoreFile::Image),
            CACHE_PUBLIC_IMAGE
        );
        assert_eq!(
            file_cache_control("public", ScoreFile::Original),
            CACHE_PUBLIC_FILE
        );
        for visibility in ["private", "unlisted", "", "PUBLIC"] {
            for file in [ScoreFile::Image, ScoreFile::Original] {
                let policy = file_cache_control(visibility, file);
                assert!(policy.starts_with("private"), "{visibility}: {policy}");
            }
        }
    }
}
