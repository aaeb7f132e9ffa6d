//! The scores database and bucket: scores with their metadata, owner and visibility, their
//! files copied into our key layout, collections with their members and shares, favourites.
//!
//! Previews are not copied: the original's are WebP pages and thumbnails our worker does not
//! serve, and ours come from our own renderer. Every imported score with a file is left
//! `pending` with its original `updated_at`, so the hourly upkeep (`REPROCESSABLE_SQL`)
//! finds it stale and queues it, and processing makes its pages, thumbnail and text.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use mirubato_core::practice::iso;
use mirubato_core::score_id::generate_score_id;
use mirubato_core::scores::import::slugify;
use mirubato_core::scores::model::{Difficulty, Instrument, Source, StylePeriod, Visibility};
use mirubato_core::scores::sharing::collection_slug;
use mirubato_core::scores::upkeep::score_id_of;
use serde_json::{Map, Value, json};

use super::dump::{Dump, Row, lit, opt_int, opt_lit};
use super::{ImportError, Outcome, Reject, Statement};

/// Original tables the import does not carry over, and why.
pub const SKIPPED_TABLES: [(&str, &str); 3] = [
    (
        "collections",
        "the legacy curated collections, copied into user_collections by the original's 0014",
    ),
    ("collection_visibility_log", "never written by the original"),
    (
        "score_versions",
        "read for each score's file and text; processing makes ours afresh",
    ),
];

/// The scores worker's bucket (wrangler/scores.toml).
pub const BUCKET: &str = "mirubato-scores";

/// An original R2 object to store under our key.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectCopy {
    pub file: PathBuf,
    pub key: String,
    pub content_type: &'static str,
}

#[derive(Debug, Default)]
pub struct ScoresImport {
    pub outcome: Outcome,
    pub objects: Vec<ObjectCopy>,
}

/// Where an original user id lands: `None` means keep ids as they are (no api dump given).
pub type OwnerIds = Option<HashMap<String, String>>;

fn reject(table: &str, key: impl Into<String>, reason: impl Into<String>) -> Reject {
    Reject {
        table: table.to_string(),
        key: key.into(),
        reason: reason.into(),
    }
}

/// The file of the original's export folder holding `key` (`r2/<any bucket>/<key>`).
fn exported_object(r2: &Path, key: &str) -> Option<PathBuf> {
    if key
        .split('/')
        .any(|segment| segment == ".." || segment.is_empty())
    {
        return None;
    }
    let buckets = std::fs::read_dir(r2).ok()?;
    buckets
        .flatten()
        .map(|bucket| bucket.path().join(key))
        .find(|file| file.is_file())
}

fn owner(owners: &OwnerIds, original: &str) -> Option<String> {
    match owners {
        None => Some(original.to_string()),
        Some(map) => map.get(original).cloned(),
    }
}

pub fn import(
    dump: &Dump,
    r2: &Path,
    owners: &OwnerIds,
    now: DateTime<Utc>,
) -> Result<ScoresImport, ImportError> {
    let mut out = ScoresImport::default();
    let analytics: HashMap<String, Row> = dump
        .rows("score_analytics")?
        .into_iter()
        .filter_map(|row| Some((row.text("score_id")?, row)))
        .collect();
    let mut versions: HashMap<String, Vec<Row>> = HashMap::new();
    for row in dump.rows("score_versions")? {
        if let Some(score) = row.text("score_id") {
            versions.entry(score).or_default().push(row);
        }
    }
    let mut pages: HashMap<String, Vec<Row>> = HashMap::new();
    for row in dump.rows("score_pages")? {
        if let Some(score) = row.text("score_id") {
            pages.entry(score).or_default().push(row);
        }
    }
    let mut imported: HashSet<String> = HashSet::new();
    for row in dump.rows("scores")? {
        let id = row.text("id").unwrap_or_default();
        let score_versions = versions.remove(&id).unwrap_or_default();
        let score_pages = pages.remove(&id).unwrap_or_default();
        match score(
            &row,
            &score_versions,
            &score_pages,
            analytics.get(&id),
            r2,
            owners,
            now,
            &mut out,
        ) {
            Ok(()) => {
                imported.insert(id);
            }
            Err(reason) => out.outcome.rejects.push(reject("scores", id, reason)),
        }
    }
    collections(dump, owners, &imported, now, &mut out.outcome)?;
    for row in dump.rows("user_score_favorites")? {
        let key = row.text("id").unwrap_or_default();
        let (Some(user), Some(score)) = (row.present("user_id"), row.present("score_id")) else {
            out.outcome.rejects.push(reject(
                "user_score_favorites",
                key,
                "needs a user_id and a score_id",
            ));
            continue;
        };
        let Some(user) = owner(owners, &user) else {
            out.outcome.rejects.push(reject(
                "user_score_favorites",
                key,
                format!("its user {user} was not imported"),
            ));
            continue;
        };
        if !imported.contains(&score) {
            out.outcome.rejects.push(reject(
                "user_score_favorites",
                key,
                format!("its score {score} was not imported"),
            ));
            continue;
        }
        out.outcome.statements.push(Statement {
            table: "user_score_favorites",
            key: format!("{user}/{score}"),
            sql: format!(
                "INSERT INTO user_score_favorites (id, user_id, score_id, created_at) VALUES ({}, {}, {}, {}) ON CONFLICT DO NOTHING;",
                lit(&key),
                lit(&user),
                lit(&score),
                lit(&iso(row.instant("created_at").unwrap_or(now)))
            ),
        });
    }
    Ok(out)
}

/// A value of one of our enums, or the reason it is not one.
fn one_of<T>(
    row: &Row,
    column: &str,
    parse: fn(&str) -> Option<T>,
    default: Option<T>,
) -> Result<Option<T>, String> {
    match row.present(column) {
        None => Ok(default),
        Some(text) => parse(&text.trim().to_lowercase())
            .map(Some)
            .ok_or_else(|| format!("{column} {text:?} is not one we know")),
    }
}

#[allow(clippy::too_many_arguments)]
fn score(
    row: &Row,
    versions: &[Row],
    pages: &[Row],
    analytics: Option<&Row>,
    r2: &Path,
    owners: &OwnerIds,
    now: DateTime<Utc>,
    out: &mut ScoresImport,
) -> Result<(), String> {
    let id = row.present("id").ok_or("no id")?;
    let title = row.present("title").ok_or("no title")?;
    let composer = row.present("composer").unwrap_or_else(|| "Unknown".into());
    let instrument = one_of(
        row,
        "instrument",
        Instrument::parse,
        Some(Instrument::Piano),
    )?
    .map(Instrument::as_str);
    let difficulty = one_of(
        row,
        "difficulty",
        Difficulty::parse,
        Some(Difficulty::Intermediate),
    )?
    .map(Difficulty::as_str);
    let style = one_of(row, "style_period", StylePeriod::parse, None)?.map(StylePeriod::as_str);
    let source = one_of(row, "source", Source::parse, Some(Source::Manual))?.map(Source::as_str);
    let original_owner = row.present("user_id").or_else(|| row.present("created_by"));
    let user = match &original_owner {
        None => None,
        Some(original) => {
            Some(owner(owners, original).ok_or(format!("its owner {original} was not imported"))?)
        }
    };
    let default_visibility = if user.is_some() {
        Visibility::Private
    } else {
        Visibility::Public
    };
    let visibility = one_of(
        row,
        "visibility",
        Visibility::parse,
        Some(default_visibility),
    )?
    .map_or("private", Visibility::as_str);
    let source_type = match row.present("source_type").as_deref() {
        Some("image") => "image",
        Some("multi-image") => "multi-image",
        _ => "pdf",
    };

    // The PDF: named by pdf_url (`/files/<key>`) or the pdf version's r2_key.
    let pdf_version = versions
        .iter()
        .find(|version| version.text("format").as_deref() == Some("pdf"));
    let original_key = row
        .present("pdf_url")
        .and_then(|url| url.strip_prefix("/files/").map(str::to_string))
        .or_else(|| pdf_version.and_then(|version| version.present("r2_key")));
    let mut file = None;
    if let Some(key) = &original_key {
        match exported_object(r2, key) {
            Some(path) => {
                let ours = if score_id_of(key) == Some(id.as_str()) {
                    key.clone()
                } else {
                    format!("scores/{id}/original.pdf")
                };
                file = Some((path, ours));
            }
            None => out.outcome.rejects.push(reject(
                "r2",
                key.clone(),
                format!("the file of score {id} is not in the export; the score comes without it"),
            )),
        }
    }

    // Source pages of image scores: under our user-uploads/<owner>/<id>/ layout.
    let mut page_rows = Vec::new();
    if source_type != "pdf" {
        for page in pages {
            let number = page.int("page_number").unwrap_or(0);
            let Some(key) = page.present("r2_key") else {
                continue;
            };
            let mime = match page.text("mime_type").as_deref() {
                Some("image/png") => "image/png",
                Some("image/jpeg" | "image/jpg") => "image/jpeg",
                other => {
                    out.outcome.rejects.push(reject(
                        "score_pages",
                        format!("{id}/{number}"),
                        format!("mime type {other:?} is not an image type we store"),
                    ));
                    continue;
                }
            };
            let Some(path) = exported_object(r2, &key) else {
                out.outcome.rejects.push(reject(
                    "r2",
                    key,
                    format!("page {number} of score {id} is not in the export"),
                ));
                continue;
            };
            let extension = if mime == "image/png" { "png" } else { "jpeg" };
            let ours = format!(
                "user-uploads/{}/{id}/page-{number}.{extension}",
                user.as_deref().unwrap_or("anonymous")
            );
            let size = std::fs::metadata(&path).map(|meta| meta.len() as i64).ok();
            out.objects.push(ObjectCopy {
                file: path,
                key: ours.clone(),
                content_type: mime,
            });
            page_rows.push((number, ours, mime, size, page));
        }
    }

    let (r2_key, size) = match &file {
        Some((path, key)) => (
            Some(key.clone()),
            std::fs::metadata(path).map(|meta| meta.len() as i64).ok(),
        ),
        None => (None, None),
    };
    let has_source = r2_key.is_some() || !page_rows.is_empty();
    let (status, error) = if has_source {
        ("pending", None)
    } else if original_key.is_some() {
        (
            "failed",
            Some("the file was missing from the original's export"),
        )
    } else {
        ("completed", None)
    };

    // Columns we have no place for stay in metadata, never dropped.
    let mut metadata = match row.json("metadata") {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let mut original = Map::new();
    for column in [
        "subtitle",
        "year",
        "description",
        "file_name",
        "derived_visibility",
        "created_by",
        "pdf_url",
    ] {
        if let Some(value) = row.text(column) {
            original.insert(column.into(), value.into());
        }
    }
    for column in ["ai_metadata", "visual_analysis"] {
        if let Some(value) = row.json(column) {
            original.insert(column.into(), value);
        }
    }
    if let Some(confidence) = row.real("visual_confidence") {
        original.insert("visual_confidence".into(), json!(confidence));
    }
    if !original.is_empty() {
        metadata.insert("original".into(), Value::Object(original));
    }
    let tags = match row.json("tags") {
        Some(Value::Array(tags)) => Value::Array(tags),
        _ => json!([]),
    };
    let extracted = pdf_version.and_then(|version| version.text("extracted_text"));
    let created = row.instant("created_at").unwrap_or(now);
    let updated = row.instant("updated_at").unwrap_or(created);
    let slug = row
        .present("slug")
        .unwrap_or_else(|| slugify(&title, row.text("opus").as_deref()));
    let normalized = row
        .present("normalized_id")
        .unwrap_or_else(|| generate_score_id(&title, Some(&composer)));
    let count = |column: &str| analytics.and_then(|row| row.int(column)).unwrap_or(0);

    let values: Vec<(&str, String)> = vec![
        ("id", lit(&id)),
        ("title", lit(&title)),
        ("composer", lit(&composer)),
        ("opus", opt_lit(row.text("opus").as_deref())),
        ("movement", opt_lit(row.text("movement").as_deref())),
        ("instrument", opt_lit(instrument)),
        ("difficulty", opt_lit(difficulty)),
        (
            "difficulty_level",
            opt_int(
                row.int("difficulty_level")
                    .filter(|level| (1..=10).contains(level)),
            ),
        ),
        ("grade_level", opt_lit(row.text("grade_level").as_deref())),
        ("duration_seconds", opt_int(row.int("duration_seconds"))),
        (
            "time_signature",
            opt_lit(row.text("time_signature").as_deref()),
        ),
        (
            "key_signature",
            opt_lit(row.text("key_signature").as_deref()),
        ),
        (
            "tempo_marking",
            opt_lit(row.text("tempo_marking").as_deref()),
        ),
        ("suggested_tempo", opt_int(row.int("suggested_tempo"))),
        ("style_period", opt_lit(style)),
        ("source", opt_lit(source)),
        ("imslp_url", opt_lit(row.text("imslp_url").as_deref())),
        ("tags", lit(&tags.to_string())),
        ("metadata", lit(&Value::Object(metadata).to_string())),
        ("slug", lit(&slug)),
        (
            "pdf_url",
            opt_lit(
                r2_key
                    .as_ref()
                    .map(|_| format!("/api/scores/{id}/download/pdf"))
                    .as_deref(),
            ),
        ),
        ("r2_key", opt_lit(r2_key.as_deref())),
        ("file_size_bytes", opt_int(size)),
        ("user_id", opt_lit(user.as_deref())),
        ("visibility", lit(visibility)),
        ("source_type", lit(source_type)),
        ("source_url", opt_lit(row.text("source_url").as_deref())),
        (
            "page_count",
            row.int("page_count").unwrap_or(1).max(1).to_string(),
        ),
        ("extracted_text", opt_lit(extracted.as_deref())),
        ("processing_status", lit(status)),
        ("processing_error", opt_lit(error)),
        ("normalized_id", lit(&normalized)),
        ("view_count", count("view_count").to_string()),
        ("download_count", count("download_count").to_string()),
        (
            "imported_at",
            opt_lit(row.instant("imported_at").map(iso).as_deref()),
        ),
        ("created_at", lit(&iso(created))),
        ("updated_at", lit(&iso(updated))),
    ];
    let (columns, literals): (Vec<&str>, Vec<String>) = values.into_iter().unzip();
    out.outcome.statements.push(Statement {
        table: "scores",
        key: id.clone(),
        sql: format!(
            "INSERT INTO scores ({}) VALUES ({}) ON CONFLICT DO NOTHING;",
            columns.join(", "),
            literals.join(", ")
        ),
    });
    if let Some((path, key)) = file {
        out.objects.push(ObjectCopy {
            file: path,
            key,
            content_type: "application/pdf",
        });
    }
    for (number, key, mime, size, page) in page_rows {
        out.outcome.statements.push(Statement {
            table: "score_pages",
            key: format!("{id}/{number}"),
            sql: format!(
                "INSERT INTO score_pages (id, score_id, page_number, r2_key, width, height, file_size_bytes, mime_type, created_at) \
                 VALUES ({}, {}, {number}, {}, {}, {}, {}, {}, {}) ON CONFLICT DO NOTHING;",
                lit(&format!("{id}-page-{number}")),
                lit(&id),
                lit(&key),
                opt_int(page.int("width")),
                opt_int(page.int("height")),
                opt_int(size),
                lit(mime),
                lit(&iso(page.instant("created_at").unwrap_or(created)))
            ),
        });
    }
    Ok(())
}

fn collections(
    dump: &Dump,
    owners: &OwnerIds,
    scores: &HashSet<String>,
    now: DateTime<Utc>,
    outcome: &mut Outcome,
) -> Result<(), ImportError> {
    let mut members: HashMap<String, Vec<Row>> = HashMap::new();
    for row in dump.rows("collection_members")? {
        if let Some(collection) = row.text("collection_id") {
            members.entry(collection).or_default().push(row);
        }
    }
    for row in dump.rows("user_collections")? {
        let id = row.text("id").unwrap_or_default();
        let (Some(name), Some(original_user)) = (row.present("name"), row.present("user_id"))
        else {
            outcome
                .rejects
                .push(reject("user_collections", id, "needs a name and a user_id"));
            continue;
        };
        // Platform collections belong to no user.
        let user = if original_user == "system" {
            Some(original_user.clone())
        } else {
            owner(owners, &original_user)
        };
        let Some(user) = user else {
            outcome.rejects.push(reject(
                "user_collections",
                id,
                format!("its user {original_user} was not imported"),
            ));
            continue;
        };
        let visibility = Visibility::parse(&row.text("visibility").unwrap_or_default())
            .unwrap_or(Visibility::Private);
        let slug = match visibility {
            // Reachable by link alone: a random slug, kept when it already is one.
            Visibility::Unlisted => {
                let current = row.present("slug").unwrap_or_default();
                collection_slug(&name, visibility, Some((&current, Visibility::Unlisted)))
            }
            _ => row
                .present("slug")
                .unwrap_or_else(|| collection_slug(&name, visibility, None)),
        };
        let kind = match row.text("collection_type").as_deref() {
            Some("professional") => "professional",
            Some("platform") => "platform",
            _ => "personal",
        };
        let shared: Vec<Value> = match row.json("shared_with") {
            Some(Value::Array(users)) => users
                .into_iter()
                .map(
                    |user| match user.as_str().and_then(|user| owner(owners, user)) {
                        Some(ours) => Value::String(ours),
                        None => user,
                    },
                )
                .collect(),
            _ => Vec::new(),
        };
        let tags = match row.json("tags") {
            Some(Value::Array(tags)) => Value::Array(tags),
            _ => json!([]),
        };
        let created = row.instant("created_at").unwrap_or(now);
        let updated = row.instant("updated_at").unwrap_or(created);
        outcome.statements.push(Statement {
            table: "user_collections",
            key: id.clone(),
            sql: format!(
                "INSERT INTO user_collections (id, user_id, name, description, slug, visibility, is_default, collection_type, tags, shared_with, featured_at, display_order, created_at, updated_at, featured_order, featured_by) \
                 VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}) ON CONFLICT DO NOTHING;",
                lit(&id),
                lit(&user),
                lit(&name),
                opt_lit(row.text("description").as_deref()),
                lit(&slug),
                lit(visibility.as_str()),
                i64::from(row.int("is_default").unwrap_or(0) != 0),
                lit(kind),
                lit(&tags.to_string()),
                lit(&Value::Array(shared).to_string()),
                opt_lit(row.instant("featured_at").map(iso).as_deref()),
                row.int("display_order").unwrap_or(0),
                lit(&iso(created)),
                lit(&iso(updated)),
                row.int("featured_order").unwrap_or(0),
                opt_lit(row.text("featured_by").as_deref()),
            ),
        });
        // Members: the member rows, then any score only the legacy score_ids list names.
        let mut seen = BTreeSet::new();
        let mut list: Vec<(String, i64, DateTime<Utc>)> = Vec::new();
        for member in members.remove(&id).unwrap_or_default() {
            if let Some(score) = member.present("score_id")
                && seen.insert(score.clone())
            {
                list.push((
                    score,
                    member.int("display_order").unwrap_or(0),
                    member.instant("added_at").unwrap_or(created),
                ));
            }
        }
        if let Some(Value::Array(ids)) = row.json("score_ids") {
            for score in ids.iter().filter_map(Value::as_str) {
                if seen.insert(score.to_string()) {
                    list.push((score.to_string(), list.len() as i64, created));
                }
            }
        }
        for (score, order, added) in list {
            let key = format!("{id}/{score}");
            if !scores.contains(&score) {
                outcome.rejects.push(reject(
                    "collection_members",
                    key,
                    format!("its score {score} was not imported"),
                ));
                continue;
            }
            outcome.statements.push(Statement {
                table: "collection_members",
                key,
                sql: format!(
                    "INSERT INTO collection_members (collection_id, score_id, display_order, added_at) VALUES ({}, {}, {order}, {}) ON CONFLICT DO NOTHING;",
                    lit(&id),
                    lit(&score),
                    lit(&iso(added))
                ),
            });
        }
    }
    for (collection, rows) in members {
        for row in rows {
            outcome.rejects.push(reject(
                "collection_members",
                format!("{collection}/{}", row.text("score_id").unwrap_or_default()),
                format!("its collection {collection} was not imported"),
            ));
        }
    }
    Ok(())
}

/// What the target holds of the tables this module writes, as `<table> <key>`.
pub fn presence_sql() -> &'static str {
    "SELECT 'scores ' || id AS k FROM scores \
     UNION ALL SELECT 'score_pages ' || score_id || '/' || page_number FROM score_pages \
     UNION ALL SELECT 'user_collections ' || id FROM user_collections \
     UNION ALL SELECT 'collection_members ' || collection_id || '/' || score_id FROM collection_members \
     UNION ALL SELECT 'user_score_favorites ' || user_id || '/' || score_id FROM user_score_favorites"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::api::tests::our_schema;
    use crate::util::root;
    use rusqlite::Connection;

    const FIXTURE: &str = include_str!("../../../../tests/fixtures/original/scores.sql");

    fn run() -> ScoresImport {
        let dump = Dump::load("scores.sql", FIXTURE).unwrap();
        let owners: HashMap<String, String> =
            [("user_alice", "user_alice"), ("user_bob", "user_bob_ours")]
                .into_iter()
                .map(|(from, to)| (from.to_string(), to.to_string()))
                .collect();
        let now = DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        import(
            &dump,
            &root().join("tests/fixtures/original/r2"),
            &Some(owners),
            now,
        )
        .unwrap()
    }

    fn rejected(out: &ScoresImport, table: &str, key: &str) -> String {
        out.outcome
            .rejects
            .iter()
            .find(|reject| reject.table == table && reject.key == key)
            .map(|reject| reject.reason.clone())
            .unwrap_or_else(|| panic!("{table} {key} not rejected: {:?}", out.outcome.rejects))
    }

    fn script(out: &ScoresImport) -> String {
        out.outcome
            .statements
            .iter()
            .map(|statement| statement.sql.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn files_move_to_our_layout_and_unmappable_rows_are_rejected() {
        let out = run();
        let keys: Vec<&str> = out
            .objects
            .iter()
            .map(|object| object.key.as_str())
            .collect();
        assert_eq!(
            keys,
            [
                "scores/score_moonlight/original.pdf",
                "imports/score_public/aire-sureno.pdf"
            ]
        );
        assert!(
            out.objects[0]
                .file
                .ends_with("scores/1704000000-abc123-moonlight.pdf")
        );
        assert!(rejected(&out, "scores", "score_violin").contains("instrument \"violin\""));
        assert!(rejected(&out, "scores", "score_ghost").contains("user_ghost"));
        assert!(
            rejected(&out, "r2", "scores/1704000001-def456-lagrima.pdf")
                .contains("score_lost_file")
        );
        assert!(
            rejected(&out, "collection_members", "coll_recital/score_violin")
                .contains("score_violin")
        );
        assert!(
            rejected(&out, "collection_members", "coll_gone/score_public").contains("coll_gone")
        );
        assert!(rejected(&out, "user_score_favorites", "fav_2").contains("score_violin"));
        assert_eq!(out.outcome.rejects.len(), 6, "{:?}", out.outcome.rejects);
    }

    #[test]
    fn rows_land_in_our_schema_once() {
        let out = run();
        let conn = our_schema("scores");
        conn.execute_batch(&script(&out)).unwrap();
        let score = |id: &str, column: &str| -> Option<String> {
            conn.query_row(
                &format!("SELECT CAST({column} AS TEXT) FROM scores WHERE id = ?1"),
                [id],
                |row| row.get(0),
            )
            .unwrap()
        };
        assert_eq!(
            score("score_moonlight", "user_id").as_deref(),
            Some("user_alice")
        );
        assert_eq!(
            score("score_moonlight", "processing_status").as_deref(),
            Some("pending")
        );
        assert_eq!(
            score("score_moonlight", "r2_key").as_deref(),
            Some("scores/score_moonlight/original.pdf")
        );
        assert_eq!(
            score("score_moonlight", "pdf_url").as_deref(),
            Some("/api/scores/score_moonlight/download/pdf")
        );
        assert_eq!(
            score("score_moonlight", "view_count").as_deref(),
            Some("12")
        );
        assert_eq!(
            score("score_moonlight", "updated_at").as_deref(),
            Some("2024-01-04T10:05:00.000Z")
        );
        assert_eq!(
            score("score_moonlight", "extracted_text").as_deref(),
            Some("Sonata quasi una fantasia Adagio sostenuto")
        );
        let metadata: Value =
            serde_json::from_str(&score("score_moonlight", "metadata").unwrap()).unwrap();
        assert_eq!(metadata["uploadedFrom"], "web");
        assert_eq!(
            metadata["original"]["subtitle"],
            "Sonata quasi una fantasia"
        );
        assert_eq!(metadata["original"]["ai_metadata"]["confidence"], 0.9);
        assert_eq!(score("score_public", "user_id"), None);
        assert_eq!(
            score("score_public", "visibility").as_deref(),
            Some("public")
        );
        assert_eq!(
            score("score_lost_file", "user_id").as_deref(),
            Some("user_bob_ours")
        );
        assert_eq!(
            score("score_lost_file", "processing_status").as_deref(),
            Some("failed")
        );
        assert_eq!(score("score_lost_file", "r2_key"), None);

        let collection = |id: &str, column: &str| -> String {
            conn.query_row(
                &format!("SELECT {column} FROM user_collections WHERE id = ?1"),
                [id],
                |row| row.get(0),
            )
            .unwrap()
        };
        assert_eq!(
            collection("coll_recital", "shared_with"),
            "[\"user_bob_ours\"]"
        );
        assert_eq!(collection("coll_recital", "slug"), "spring-recital");
        assert!(mirubato_core::scores::sharing::is_random_slug(&collection(
            "coll_secret",
            "slug"
        )));
        // Our own seeded platform collection of the same id stays as it is.
        assert_eq!(
            collection("featured-baroque", "COALESCE(featured_by, 'ours')"),
            "ours"
        );
        let members: Vec<String> = conn
            .prepare("SELECT score_id FROM collection_members WHERE collection_id = 'coll_recital' ORDER BY display_order")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(members, ["score_moonlight", "score_public"]);

        let counts = |conn: &Connection| -> Vec<i64> {
            [
                "scores",
                "user_collections",
                "collection_members",
                "user_score_favorites",
            ]
            .iter()
            .map(|table| {
                conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |row| {
                    row.get(0)
                })
                .unwrap()
            })
            .collect()
        };
        let first = counts(&conn);
        conn.execute_batch(&script(&out)).unwrap();
        assert_eq!(counts(&conn), first);
        assert_eq!(first[0], 3);
    }
}
