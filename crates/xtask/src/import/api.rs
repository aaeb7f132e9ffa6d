//! The api database: users, and every synced document (the original's `sync_data` rows, its
//! `user_repertoire` and `goals` tables with `goal_progress`, and its legacy preferences).
//!
//! Documents go through core's own validation and normalisation (`normalize_document`, the
//! merge rule's stamp, the clock bound), so an imported document is stored exactly as a
//! device pushing it would have it stored.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use mirubato_core::auth::normalize_email;
use mirubato_core::practice::goals::MAX_PROGRESS;
use mirubato_core::practice::iso;
use mirubato_core::score_id::normalize_existing_score_id;
use mirubato_core::sync::EntityType;
use mirubato_core::sync::clock::{ReceiveClock, bound_write};
use mirubato_core::sync::entities::normalize_document;
use mirubato_core::sync::merge::{Decision, IncomingWrite, decide};
use serde_json::{Map, Value, json};

use super::dump::{Dump, Row, lit, opt_int, opt_lit};
use super::{ImportError, Outcome, Reject, Statement};

/// The device id stamped on documents whose original row named none.
pub const IMPORT_DEVICE: &str = "import";

/// Original tables the import does not carry over, and why (reported, never silently ignored).
pub const SKIPPED_TABLES: [(&str, &str); 9] = [
    (
        "sync_metadata",
        "per-device sync bookkeeping; our cursor is the per-user seq",
    ),
    (
        "sync_sequence",
        "the original's global counter; seq is assigned afresh per user",
    ),
    (
        "idempotency_keys",
        "push replay records that expire after 24 hours",
    ),
    ("sync_events", "never written by the original"),
    ("score_annotations", "never written by the original"),
    ("sheet_music", "legacy table the original no longer read"),
    (
        "practice_sessions",
        "legacy table the original no longer read",
    ),
    ("practice_logs", "legacy table the original no longer read"),
    (
        "logbook_entries",
        "legacy table the original no longer read (entries live in sync_data)",
    ),
];

/// A user as we store it; `original_id` is kept as our id unless the email already has one.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub original_id: String,
    pub email: String,
    pub display_name: Option<String>,
    pub auth_provider: &'static str,
    pub google_id: Option<String>,
    pub role: &'static str,
    pub created_at: String,
    pub updated_at: String,
    pub last_login_at: Option<String>,
    pub login_count: i64,
    /// Original ids of other accounts with the same email once lower-cased (the original did
    /// not normalise emails): the same mailbox, so their data joins this account.
    pub aliases: Vec<String>,
}

/// Who an original user id is in our database.
#[derive(Debug, Clone, PartialEq)]
pub struct Owner {
    pub id: String,
    pub email: String,
}

fn reject(table: &str, key: impl Into<String>, reason: impl Into<String>) -> Reject {
    Reject {
        table: table.to_string(),
        key: key.into(),
        reason: reason.into(),
    }
}

/// The original's users, mapped; emails are compared lower-cased as ours are, so two
/// originals differing only in case are one account here (the later's row is reported, and
/// its data joins the first).
pub fn users(dump: &Dump, now: DateTime<Utc>) -> Result<(Vec<User>, Vec<Reject>), ImportError> {
    let mut users: Vec<User> = Vec::new();
    let mut rejects = Vec::new();
    for row in dump.rows("users")? {
        let key = row.text("id").unwrap_or_default();
        match user(&row, now) {
            Ok(user) => {
                if let Some(first) = users.iter_mut().find(|other| other.email == user.email) {
                    rejects.push(reject(
                        "users",
                        key,
                        format!(
                            "email {} is already user {} once lower-cased: its data joins that account",
                            user.email, first.original_id
                        ),
                    ));
                    first.aliases.push(user.original_id);
                } else {
                    users.push(user);
                }
            }
            Err(reason) => rejects.push(reject("users", key, reason)),
        }
    }
    Ok((users, rejects))
}

fn user(row: &Row, now: DateTime<Utc>) -> Result<User, String> {
    let original_id = row.present("id").ok_or("no id")?;
    let raw_email = row.present("email").ok_or("no email")?;
    let email = normalize_email(&raw_email).map_err(|err| format!("email {raw_email:?}: {err}"))?;
    let created = row.instant("created_at");
    let updated = row.instant("updated_at").or(created);
    Ok(User {
        original_id,
        email,
        display_name: row.present("display_name"),
        auth_provider: match row.text("auth_provider").as_deref() {
            Some("google") => "google",
            _ => "magic_link",
        },
        google_id: row.present("google_id"),
        role: match row.text("role").as_deref() {
            Some("admin") => "admin",
            Some("teacher") => "teacher",
            _ => "user",
        },
        created_at: iso(created.unwrap_or(now)),
        updated_at: iso(updated.unwrap_or(now)),
        last_login_at: row.instant("last_login_at").map(iso),
        login_count: row.int("login_count").unwrap_or(0).max(0),
        aliases: Vec::new(),
    })
}

/// `INSERT … ON CONFLICT DO NOTHING`: a user who already signed in to us (same email) or an
/// earlier run keeps the row it has.
pub fn users_sql(users: &[User]) -> Vec<Statement> {
    users
        .iter()
        .map(|user| Statement {
            table: "users",
            key: user.email.clone(),
            sql: format!(
                "INSERT INTO users (id, email, display_name, auth_provider, google_id, role, created_at, updated_at, last_login_at, login_count) \
                 VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}) ON CONFLICT DO NOTHING;",
                lit(&user.original_id),
                lit(&user.email),
                opt_lit(user.display_name.as_deref()),
                lit(user.auth_provider),
                opt_lit(user.google_id.as_deref()),
                lit(user.role),
                lit(&user.created_at),
                lit(&user.updated_at),
                opt_lit(user.last_login_at.as_deref()),
                user.login_count
            ),
        })
        .collect()
}

/// Who each original user id (aliases included) is here, given our id of each user (`None`:
/// not here, and their rows are rejected).
pub fn owners_by_original_id(
    users: &[User],
    our_id: impl Fn(&User) -> Option<String>,
) -> HashMap<String, Owner> {
    let mut owners = HashMap::new();
    for user in users {
        let Some(id) = our_id(user) else {
            continue;
        };
        let owner = Owner {
            id,
            email: user.email.clone(),
        };
        for original in std::iter::once(&user.original_id).chain(&user.aliases) {
            owners.insert(original.clone(), owner.clone());
        }
    }
    owners
}

/// A document on its way in, with where it came from and when the original last wrote it.
#[derive(Debug, Clone)]
struct Candidate {
    write: IncomingWrite,
    /// The original's write time (its `updated_at`), which orders the fresh seqs.
    written: DateTime<Utc>,
    /// The original's global seq, breaking ties of `written`.
    original_seq: i64,
    source: String,
}

/// Every document of every imported user, as SQL: per user in the original's write order,
/// each taking the user's next seq, skipped when the user already has that document.
pub fn documents(
    dump: &Dump,
    owners: &HashMap<String, Owner>,
    now: DateTime<Utc>,
) -> Result<Outcome, ImportError> {
    let mut outcome = Outcome::default();
    let clock = ReceiveClock::with_default_skew(now);
    let mut candidates: BTreeMap<String, Vec<Candidate>> = BTreeMap::new();
    let mut admit = |table: &str,
                     key: String,
                     user: Option<String>,
                     made: Result<Candidate, String>,
                     outcome: &mut Outcome| {
        let Some(owner) = user.as_ref().and_then(|user| owners.get(user)) else {
            outcome.rejects.push(reject(
                table,
                key,
                format!("its user {} was not imported", user.unwrap_or_default()),
            ));
            return;
        };
        match made {
            Ok(mut candidate) => {
                candidate.write = bound_write(candidate.write, &clock);
                candidates
                    .entry(owner.id.clone())
                    .or_default()
                    .push(candidate);
            }
            Err(reason) => outcome.rejects.push(reject(table, key, reason)),
        }
    };

    for row in dump.rows("sync_data")? {
        let key = format!(
            "{}/{}",
            row.text("entity_type").unwrap_or_default(),
            row.text("entity_id").unwrap_or_default()
        );
        let user = row.text("user_id");
        let owner = user.as_ref().and_then(|user| owners.get(user));
        let made = owner.map_or(Err(String::new()), |owner| sync_document(&row, owner, now));
        admit("sync_data", key, user, made, &mut outcome);
    }
    for row in dump.rows("user_repertoire")? {
        let key = row.text("id").unwrap_or_default();
        let made = repertoire_document(&row).map(|write| Candidate {
            written: row.instant("updated_at").unwrap_or(now),
            original_seq: i64::MAX,
            source: format!("user_repertoire {key}"),
            write,
        });
        admit(
            "user_repertoire",
            key,
            row.text("user_id"),
            made,
            &mut outcome,
        );
    }
    let mut progress = goal_progress(dump, &mut outcome)?;
    for row in dump.rows("goals")? {
        let key = row.text("id").unwrap_or_default();
        let mut records = progress.remove(&key).unwrap_or_default();
        // A goal keeps its newest MAX_PROGRESS records (as `record_progress` does): the older
        // ones are reported, and the goal comes in.
        records.sort_by_key(|record| record.at);
        let excess = records.len().saturating_sub(MAX_PROGRESS);
        for record in records.drain(..excess) {
            outcome.rejects.push(reject(
                "goal_progress",
                record.id,
                format!("older than the {MAX_PROGRESS} newest records goal {key} keeps"),
            ));
        }
        let made = goal_document(&row, records).map(|write| Candidate {
            written: row.instant("updated_at").unwrap_or(now),
            original_seq: i64::MAX,
            source: format!("goals {key}"),
            write,
        });
        admit("goals", key, row.text("user_id"), made, &mut outcome);
    }
    for (goal, records) in progress {
        for record in records {
            outcome.rejects.push(reject(
                "goal_progress",
                record.id,
                format!("its goal {goal} is not among the imported goals"),
            ));
        }
    }
    for row in dump.rows("user_preferences")? {
        let key = row.text("user_id").unwrap_or_default();
        let owner = owners.get(&key);
        let made = owner.map_or(Err(String::new()), |owner| {
            legacy_preferences(&row, owner, now)
        });
        admit(
            "user_preferences",
            key.clone(),
            Some(key),
            made,
            &mut outcome,
        );
    }

    for (user, list) in candidates {
        for candidate in winners(list, &mut outcome) {
            outcome.statements.push(Statement {
                table: "sync_data",
                key: format!(
                    "{user} {}/{}",
                    candidate.write.entity_type.as_str(),
                    candidate.write.entity_id
                ),
                sql: document_sql(&user, &candidate),
            });
        }
    }
    Ok(outcome)
}

/// One document per key: where the original held two copies (a `goals` row and a `goal`
/// document, say) the merge rule picks the one a device would have kept. The result is in
/// the original's write order.
fn winners(list: Vec<Candidate>, outcome: &mut Outcome) -> Vec<Candidate> {
    let mut kept: HashMap<(EntityType, String), Candidate> = HashMap::new();
    for candidate in list {
        let key = (
            candidate.write.entity_type,
            candidate.write.entity_id.clone(),
        );
        let loser = match kept.remove(&key) {
            None => {
                kept.insert(key, candidate);
                None
            }
            Some(stored) => match decide(Some(&stored.write.stamp), &candidate.write.stamp) {
                Decision::Apply => {
                    kept.insert(key, candidate);
                    Some(stored)
                }
                Decision::Duplicate | Decision::Stale => {
                    kept.insert(key, stored);
                    Some(candidate)
                }
            },
        };
        if let Some(loser) = loser {
            let winner = &kept[&(loser.write.entity_type, loser.write.entity_id.clone())];
            outcome.rejects.push(reject(
                loser.source.split(' ').next().unwrap_or_default(),
                loser.source.split(' ').nth(1).unwrap_or_default(),
                format!(
                    "superseded by {} (the same {} {}, written later)",
                    winner.source,
                    loser.write.entity_type.as_str(),
                    loser.write.entity_id
                ),
            ));
        }
    }
    let mut list: Vec<Candidate> = kept.into_values().collect();
    list.sort_by(|a, b| {
        (
            a.written,
            a.original_seq,
            a.write.entity_type.as_str(),
            &a.write.entity_id,
        )
            .cmp(&(
                b.written,
                b.original_seq,
                b.write.entity_type.as_str(),
                &b.write.entity_id,
            ))
    });
    list
}

/// A `sync_data` row as the document a push of it would store. The original kept a REST
/// delete only in the row's `deleted_at`, so that becomes the document's `deletedAt`.
fn sync_document(row: &Row, owner: &Owner, now: DateTime<Utc>) -> Result<Candidate, String> {
    let name = row.present("entity_type").ok_or("no entity_type")?;
    let entity = EntityType::parse(&name).ok_or(format!("unknown entity type {name:?}"))?;
    let entity_id = row.present("entity_id").ok_or("no entity_id")?;
    let data = row.present("data").ok_or("no data")?;
    let Value::Object(mut doc) =
        serde_json::from_str::<Value>(&data).map_err(|err| format!("data is not JSON: {err}"))?
    else {
        return Err("data is not a JSON object".into());
    };
    let written = row.instant("updated_at").or(row.instant("created_at"));
    if entity == EntityType::UserPreferences {
        // Preferences are keyed by the user: ours, if the email already had an account.
        doc.insert("id".into(), owner.id.clone().into());
    } else if entity != EntityType::RepertoireItem && !doc.get("id").is_some_and(Value::is_string) {
        doc.insert("id".into(), entity_id.into());
    }
    if !doc.contains_key("updatedAt") {
        let at = written.ok_or("no updatedAt in the document and no updated_at on the row")?;
        doc.insert("updatedAt".into(), iso(at).into());
    }
    if let Some(deleted) = row.instant("deleted_at")
        && !doc.get("deletedAt").is_some_and(Value::is_string)
    {
        doc.insert("deletedAt".into(), iso(deleted).into());
    }
    if !doc.contains_key("version")
        && let Some(version) = row.int("version").filter(|version| *version >= 1)
    {
        doc.insert("version".into(), version.into());
    }
    let device = row
        .present("device_id")
        .unwrap_or_else(|| IMPORT_DEVICE.to_string());
    let write = stamped(entity, Value::Object(doc), &device)?;
    Ok(Candidate {
        write,
        written: written.unwrap_or(now),
        original_seq: row.int("seq").unwrap_or(i64::MAX),
        source: format!("sync_data {}", row.text("id").unwrap_or_default()),
    })
}

fn stamped(entity: EntityType, doc: Value, device: &str) -> Result<IncomingWrite, String> {
    let doc = normalize_document(entity, doc).map_err(|err| err.to_string())?;
    IncomingWrite::new(entity, &doc, device).ok_or_else(|| "the document has no clock".into())
}

/// A JSON number, integral when it is one (`10`, not `10.0`).
fn number(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() < 9e15 {
        json!(value as i64)
    } else {
        json!(value)
    }
}

/// A JSON-array column; a bare string (an older client's single value) is one item.
fn list(row: &Row, column: &str) -> Value {
    match row.json(column) {
        Some(Value::Array(items)) => Value::Array(items),
        Some(Value::Null) | None if row.present(column).is_none() => Value::Null,
        _ => json!([row.text(column)]),
    }
}

fn repertoire_document(row: &Row) -> Result<IncomingWrite, String> {
    let score_id = row.present("score_id").ok_or("no score_id")?;
    let created = row.instant("created_at");
    let updated = row
        .instant("updated_at")
        .or(created)
        .ok_or("no created_at or updated_at")?;
    let id = normalize_existing_score_id(score_id.trim());
    let links = match list(row, "reference_links") {
        Value::Null => json!([]),
        links => links,
    };
    let doc = json!({
        "id": id,
        "scoreId": id,
        "status": row.present("status").map(|status| status.trim().to_lowercase()),
        "difficultyRating": row.int("difficulty_rating"),
        "personalNotes": row.text("personal_notes"),
        "referenceLinks": links,
        "statusHistory": [],
        "createdAt": iso(created.unwrap_or(updated)),
        "updatedAt": iso(updated),
        "version": 1,
    });
    stamped(EntityType::RepertoireItem, doc, IMPORT_DEVICE)
}

/// A `goal_progress` row, in the shape `record_progress` keeps.
#[derive(Debug, Clone)]
struct Progress {
    id: String,
    at: DateTime<Utc>,
    record: Value,
}

fn goal_progress(
    dump: &Dump,
    outcome: &mut Outcome,
) -> Result<HashMap<String, Vec<Progress>>, ImportError> {
    let mut by_goal: HashMap<String, Vec<Progress>> = HashMap::new();
    for row in dump.rows("goal_progress")? {
        let id = row.text("id").unwrap_or_default();
        let (Some(goal), Some(value), Some(at)) = (
            row.present("goal_id"),
            row.real("value"),
            row.instant("recorded_at"),
        ) else {
            outcome.rejects.push(reject(
                "goal_progress",
                id,
                "needs a goal_id, a numeric value and a recorded_at",
            ));
            continue;
        };
        let record = json!({
            "value": number(value),
            "notes": row.text("notes"),
            "sessionId": row.text("session_id"),
            "at": iso(at),
        });
        by_goal
            .entry(goal)
            .or_default()
            .push(Progress { id, at, record });
    }
    Ok(by_goal)
}

fn goal_document(row: &Row, progress: Vec<Progress>) -> Result<IncomingWrite, String> {
    let id = row.present("id").ok_or("no id")?;
    let created = row.instant("created_at");
    let updated = row
        .instant("updated_at")
        .or(created)
        .ok_or("no created_at or updated_at")?;
    let object = |column: &str| match row.json(column) {
        Some(value) => value,
        None => row.text(column).map_or(Value::Null, Value::String),
    };
    let doc = json!({
        "id": id,
        "title": row.text("title"),
        "description": row.text("description"),
        "type": row.text("type").map(|kind| kind.trim().to_lowercase()),
        "targetValue": row.real("target_value").map(number),
        "currentValue": number(row.real("current_value").unwrap_or(0.0)),
        "targetDate": row.present("target_date"),
        "status": row.present("status").map_or("active".to_string(), |status| status.trim().to_lowercase()),
        "scoreId": row.present("score_id").map(|score| normalize_existing_score_id(score.trim())),
        "measures": list(row, "measures"),
        "practicePlan": object("practice_plan"),
        "milestones": object("milestones"),
        "progress": progress.into_iter().map(|record| record.record).collect::<Vec<_>>(),
        "createdAt": iso(created.unwrap_or(updated)),
        "updatedAt": iso(updated),
        "version": 1,
    });
    stamped(EntityType::Goal, doc, IMPORT_DEVICE)
}

/// The legacy `user_preferences` table (theme only maps onto ours); a `user_preferences`
/// document in `sync_data`, which the original read instead, wins when both exist.
fn legacy_preferences(row: &Row, owner: &Owner, now: DateTime<Utc>) -> Result<Candidate, String> {
    let theme = match row.text("theme").as_deref() {
        Some("dark") => "dark",
        Some("system") => "auto",
        _ => "light",
    };
    let written = row.instant("updated_at").or(row.instant("created_at"));
    // Older than any document: a synced copy always supersedes this one.
    let at = DateTime::<Utc>::UNIX_EPOCH;
    let mut doc = Map::new();
    doc.insert("id".into(), owner.id.clone().into());
    doc.insert("theme".into(), theme.into());
    doc.insert("updatedAt".into(), iso(at).into());
    let write = stamped(
        EntityType::UserPreferences,
        Value::Object(doc),
        IMPORT_DEVICE,
    )?;
    Ok(Candidate {
        write,
        written: written.unwrap_or(now),
        original_seq: i64::MAX,
        source: format!(
            "user_preferences {}",
            row.text("user_id").unwrap_or_default()
        ),
    })
}

/// The user's next seq: past both the counter and every stored row, so an interrupted run
/// (rows in, counter not yet moved) resumes without reusing a seq.
fn next_seq(user: &str) -> String {
    let user = lit(user);
    format!(
        "MAX(COALESCE((SELECT last_seq FROM sync_state WHERE user_id = {user}), 0), \
         COALESCE((SELECT MAX(seq) FROM sync_data WHERE user_id = {user}), 0)) + 1"
    )
}

fn document_sql(user: &str, candidate: &Candidate) -> String {
    let write = &candidate.write;
    let deleted_at = serde_json::from_str::<Value>(&write.data)
        .ok()
        .and_then(|doc| {
            doc.get("deletedAt")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
    let (u, kind, id) = (
        lit(user),
        lit(write.entity_type.as_str()),
        lit(&write.entity_id),
    );
    format!(
        "INSERT INTO sync_data (user_id, entity_type, entity_id, data, checksum, version, seq, updated_at, deleted_at, device_id, clock_ms) \
         SELECT {u}, {kind}, {id}, {data}, {checksum}, {version}, {seq}, {updated}, {deleted}, {device}, {clock} \
         WHERE NOT EXISTS (SELECT 1 FROM sync_data WHERE user_id = {u} AND entity_type = {kind} AND entity_id = {id});\n\
         INSERT INTO sync_state (user_id, last_seq) SELECT {u}, COALESCE(MAX(seq), 0) FROM sync_data WHERE user_id = {u} \
         ON CONFLICT (user_id) DO UPDATE SET last_seq = MAX(sync_state.last_seq, excluded.last_seq);",
        data = lit(&write.data),
        checksum = lit(&write.stamp.checksum),
        version = write.stamp.version,
        seq = next_seq(user),
        updated = lit(&iso(candidate.written)),
        deleted = opt_lit(deleted_at.as_deref()),
        device = lit(&write.stamp.device_id),
        clock = opt_int(Some(write.stamp.clock_ms)),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rusqlite::Connection;

    const FIXTURE: &str = include_str!("../../../../tests/fixtures/original/api.sql");

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z")
            .map(|at| at.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn fixture() -> Dump {
        Dump::load("api.sql", FIXTURE).unwrap()
    }

    fn identity(users: &[User]) -> HashMap<String, Owner> {
        owners_by_original_id(users, |user| Some(user.original_id.clone()))
    }

    /// Our schema of `database`, from its migrations, in memory.
    pub(crate) fn our_schema(database: &str) -> Connection {
        let dir = crate::util::root().join("migrations").join(database);
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
            .collect();
        files.sort();
        let conn = Connection::open_in_memory().unwrap();
        for file in files {
            conn.execute_batch(&std::fs::read_to_string(&file).unwrap())
                .unwrap_or_else(|err| panic!("{}: {err}", file.display()));
        }
        conn
    }

    fn doc(outcome: &Outcome, key: &str) -> Value {
        let statement = outcome
            .statements
            .iter()
            .find(|statement| statement.key == key)
            .unwrap_or_else(|| panic!("no statement for {key}"));
        // The data literal is the fourth value of the SELECT.
        let conn = our_schema("api");
        conn.execute_batch(
            &users_sql(&users(&fixture(), now()).unwrap().0)
                .iter()
                .map(|statement| statement.sql.clone())
                .collect::<Vec<_>>()
                .join("\n"),
        )
        .unwrap();
        conn.execute_batch(&statement.sql).unwrap();
        let (kind, id) = key.split_once(' ').unwrap().1.split_once('/').unwrap();
        let data: String = conn
            .query_row(
                "SELECT data FROM sync_data WHERE entity_type = ?1 AND entity_id = ?2",
                [kind, id],
                |row| row.get(0),
            )
            .unwrap();
        serde_json::from_str(&data).unwrap()
    }

    fn rejected<'a>(outcome: &'a Outcome, table: &str, key: &str) -> &'a str {
        outcome
            .rejects
            .iter()
            .find(|reject| reject.table == table && reject.key == key)
            .map(|reject| reject.reason.as_str())
            .unwrap_or_else(|| panic!("{table} {key} not rejected: {:?}", outcome.rejects))
    }

    #[test]
    fn users_are_lowercased_and_collisions_and_bad_emails_rejected() {
        let (users, rejects) = users(&fixture(), now()).unwrap();
        let emails: Vec<&str> = users.iter().map(|user| user.email.as_str()).collect();
        assert_eq!(
            emails,
            ["alice.import@example.com", "bob.import@example.com"]
        );
        let alice = &users[0];
        assert_eq!(alice.created_at, "2023-11-02T08:15:00.000Z");
        assert_eq!(alice.auth_provider, "magic_link");
        let bob = &users[1];
        assert_eq!(bob.auth_provider, "google");
        assert_eq!(bob.google_id.as_deref(), Some("google-sub-1234"));
        assert_eq!(bob.role, "teacher");
        let reasons: Vec<(&str, &str)> = rejects
            .iter()
            .map(|reject| (reject.key.as_str(), reject.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert_eq!(reasons[0].0, "user_alice_again");
        assert!(
            reasons[0].1.contains("already user user_alice"),
            "{reasons:?}"
        );
        assert_eq!(reasons[1].0, "user_broken");
        assert!(reasons[1].1.contains("not-an-email"), "{reasons:?}");
    }

    #[test]
    fn documents_are_normalised_as_a_push_would_store_them() {
        let dump = fixture();
        let (users, _) = users(&dump, now()).unwrap();
        let outcome = documents(&dump, &identity(&users), now()).unwrap();

        let entry = doc(&outcome, "user_alice logbook_entry/entry_scales");
        assert_eq!(entry["type"], "practice");
        assert_eq!(entry["instrument"], "piano");
        assert_eq!(entry["mood"], "satisfied");
        assert_eq!(entry["goalIds"], json!(["goal_memorise"]));
        assert!(entry.get("goal_ids").is_none(), "{entry}");
        assert!(
            entry["pieces"][0]["id"]
                .as_str()
                .is_some_and(|id| !id.is_empty()),
            "{entry}"
        );
        // Fields the original's schemas did not know are kept.
        assert_eq!(entry["tags"], json!(["morning"]));

        // A REST delete lived only in the row: it is a tombstone now.
        let deleted = doc(&outcome, "user_alice logbook_entry/entry_deleted");
        assert_eq!(deleted["deletedAt"], "2024-01-12T07:00:00.000Z");

        // Epoch-millisecond clocks become ISO, enums lowercase.
        let bob = doc(&outcome, "user_bob logbook_entry/entry_bob");
        assert_eq!(bob["updatedAt"], "2024-01-01T11:00:00.000Z");
        assert_eq!(bob["instrument"], "guitar");

        let prefs = doc(&outcome, "user_alice user_preferences/user_alice");
        assert_eq!(prefs["theme"], "dark");
        assert_eq!(prefs["updatedAt"], "2024-01-20T10:00:00.000Z");
        assert_eq!(prefs["version"], 4);
        let legacy = doc(&outcome, "user_bob user_preferences/user_bob");
        assert_eq!(legacy["theme"], "auto");
    }

    #[test]
    fn repertoire_and_goal_tables_become_documents() {
        let dump = fixture();
        let (users, _) = users(&dump, now()).unwrap();
        let outcome = documents(&dump, &identity(&users), now()).unwrap();

        let satie = doc(&outcome, "user_alice repertoire_item/score_gymnopedie");
        assert_eq!(satie["status"], "polished");
        assert_eq!(satie["difficultyRating"], 2);
        assert_eq!(satie["createdAt"], "2023-11-14T22:13:20.000Z");
        assert_eq!(
            satie["referenceLinks"],
            json!(["https://imslp.org/wiki/Gymnop%C3%A9dies_(Satie,_Erik)"])
        );
        // The table row and the synced document of one piece: the later write wins.
        let moonlight = doc(&outcome, "user_alice repertoire_item/score_moonlight");
        assert_eq!(moonlight["status"], "learning");
        assert!(
            rejected(&outcome, "user_repertoire", "rep_1")
                .contains("superseded by sync_data sync_8")
        );

        let hours = doc(&outcome, "user_alice goal/goal_hours");
        assert_eq!(hours["targetValue"], 1200);
        assert_eq!(hours["currentValue"], 150);
        assert_eq!(hours["targetDate"], "2024-01-31");
        let progress: Vec<&Value> = hours["progress"].as_array().unwrap().iter().collect();
        assert_eq!(progress.len(), 2);
        assert_eq!(progress[0]["value"], 60);
        assert_eq!(progress[1]["sessionId"], "entry_scales");
        assert_eq!(progress[1]["at"], "2024-01-03T16:40:00.000Z");
        let bars = doc(&outcome, "user_bob goal/goal_bars");
        assert_eq!(bars["measures"], json!(["1-8"]));
        assert_eq!(bars["practicePlan"], json!({"dailyMinutes": 15}));
        assert_eq!(bars["scoreId"], "score_lagrima");
        assert!(bars["milestones"].is_null());
    }

    #[test]
    fn every_unmappable_row_is_rejected_with_its_reason() {
        let dump = fixture();
        let (users, _) = users(&dump, now()).unwrap();
        let outcome = documents(&dump, &identity(&users), now()).unwrap();
        assert!(rejected(&outcome, "sync_data", "mystery/m1").contains("unknown entity type"));
        assert!(
            rejected(&outcome, "sync_data", "logbook_entry/entry_garbled").contains("not JSON")
        );
        let mood = rejected(&outcome, "sync_data", "logbook_entry/entry_bad_mood");
        assert!(mood.contains("mood"), "{mood}");
        assert!(
            rejected(&outcome, "sync_data", "logbook_entry/entry_ghost").contains("user_ghost")
        );
        assert!(rejected(&outcome, "goal_progress", "prog_orphan").contains("goal_gone"));
        assert_eq!(outcome.rejects.len(), 6, "{:?}", outcome.rejects);
        assert_eq!(outcome.statements.len(), 14);
    }

    fn snapshot(conn: &Connection) -> Vec<(String, String, String, i64, String)> {
        let mut statement = conn
            .prepare("SELECT user_id, entity_type, entity_id, seq, checksum FROM sync_data ORDER BY user_id, seq")
            .unwrap();
        statement
            .query_map([], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn the_sql_assigns_seqs_in_write_order_and_a_second_run_changes_nothing() {
        let dump = fixture();
        let (users, _) = users(&dump, now()).unwrap();
        let outcome = documents(&dump, &identity(&users), now()).unwrap();
        let script: Vec<String> = users_sql(&users)
            .into_iter()
            .chain(outcome.statements)
            .map(|statement| statement.sql)
            .collect();
        let conn = our_schema("api");
        // A document the user already has on our side stays as it is.
        conn.execute_batch(
            "INSERT INTO users (id, email, auth_provider, role, created_at, updated_at) VALUES ('user_bob', 'bob.import@example.com', 'google', 'user', 'x', 'x');
             INSERT INTO sync_data (user_id, entity_type, entity_id, data, checksum, version, seq, updated_at, clock_ms) VALUES ('user_bob', 'logbook_entry', 'entry_bob', '{}', 'mine', 9, 1, 'x', 0);
             INSERT INTO sync_state VALUES ('user_bob', 1);",
        )
        .unwrap();
        conn.execute_batch(&script.join("\n")).unwrap();
        let first = snapshot(&conn);
        let alice: Vec<(&str, i64)> = first
            .iter()
            .filter(|row| row.0 == "user_alice")
            .map(|row| (row.2.as_str(), row.3))
            .collect();
        assert_eq!(
            alice,
            [
                ("plan_daily", 1),
                ("tmpl_1", 2),
                ("occ_1", 3),
                ("goal_memorise", 4),
                ("goal_hours", 5),
                ("entry_scales", 6),
                ("entry_deleted", 7),
                ("score_moonlight", 8),
                ("user_alice", 9),
                ("score_gymnopedie", 10),
            ]
        );
        let bob: Vec<(&str, i64, &str)> = first
            .iter()
            .filter(|row| row.0 == "user_bob")
            .map(|row| (row.2.as_str(), row.3, row.4.as_str()))
            .collect();
        assert_eq!(bob[0], ("entry_bob", 1, "mine"));
        assert_eq!(bob.len(), 4, "{bob:?}");
        let last_seq = |user: &str| -> i64 {
            conn.query_row(
                "SELECT last_seq FROM sync_state WHERE user_id = ?1",
                [user],
                |row| row.get(0),
            )
            .unwrap()
        };
        assert_eq!(last_seq("user_alice"), 10);
        assert_eq!(last_seq("user_bob"), 4);
        let deleted: Option<String> = conn
            .query_row(
                "SELECT deleted_at FROM sync_data WHERE entity_id = 'entry_deleted'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(deleted.as_deref(), Some("2024-01-12T07:00:00.000Z"));

        conn.execute_batch(&script.join("\n")).unwrap();
        assert_eq!(snapshot(&conn), first);
        assert_eq!(last_seq("user_alice"), 10);
        let users: i64 = conn
            .query_row("SELECT COUNT(*) FROM users", [], |row| row.get(0))
            .unwrap();
        assert_eq!(users, 2);
    }

    #[test]
    fn a_goal_keeps_its_newest_progress_and_the_rest_is_reported() {
        let mut sql = String::from(
            "CREATE TABLE users (id TEXT, email TEXT);
             INSERT INTO users VALUES('u1','p@example.com');
             CREATE TABLE goals (id TEXT, user_id TEXT, title TEXT, type TEXT, created_at INTEGER, updated_at INTEGER);
             INSERT INTO goals VALUES('g1','u1','Daily','practice_time',1700000000,1700000000);
             CREATE TABLE goal_progress (id TEXT, goal_id TEXT, value REAL, recorded_at INTEGER);",
        );
        for n in 0..MAX_PROGRESS + 2 {
            sql.push_str(&format!(
                "INSERT INTO goal_progress VALUES('p{n}','g1',1,{});",
                1_700_000_000 + n
            ));
        }
        let dump = Dump::load("api.sql", &sql).unwrap();
        let (users, _) = users(&dump, now()).unwrap();
        let outcome = documents(&dump, &identity(&users), now()).unwrap();
        let dropped: Vec<&str> = outcome
            .rejects
            .iter()
            .map(|reject| reject.key.as_str())
            .collect();
        assert_eq!(dropped, ["p0", "p1"]);
        let sql = &outcome.statements[0].sql;
        assert!(sql.contains("\"at\":\"2023-11-14T22:13:22.000Z\""), "{sql}");
        assert!(!sql.contains("\"at\":\"2023-11-14T22:13:21.000Z\""));
    }

    #[test]
    fn older_dumps_without_later_columns_still_import() {
        // Before migrations 0008 and 0011: no device_id, no seq, no auth columns.
        let dump = Dump::load(
            "api.sql",
            "CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT, display_name TEXT, created_at DATETIME, updated_at DATETIME);
             INSERT INTO users VALUES('u1','old@example.com',NULL,'2022-05-01 10:00:00','2022-05-01 10:00:00');
             CREATE TABLE sync_data (id TEXT, user_id TEXT, entity_type TEXT, entity_id TEXT, data TEXT, checksum TEXT, version INTEGER, created_at TIMESTAMP, updated_at TIMESTAMP, deleted_at TIMESTAMP);
             INSERT INTO sync_data VALUES('s1','u1','goal','g1','{\"title\":\"Old goal\",\"type\":\"custom\"}','x',2,'2022-05-01 10:00:00','2022-05-02 10:00:00',NULL);",
        )
        .unwrap();
        let (users, rejects) = users(&dump, now()).unwrap();
        assert!(rejects.is_empty());
        assert_eq!(users[0].auth_provider, "magic_link");
        assert_eq!(users[0].role, "user");
        let outcome = documents(&dump, &identity(&users), now()).unwrap();
        assert!(outcome.rejects.is_empty(), "{:?}", outcome.rejects);
        let sql = &outcome.statements[0].sql;
        assert!(
            sql.contains("\"updatedAt\":\"2022-05-02T10:00:00.000Z\""),
            "{sql}"
        );
        assert!(sql.contains("\"version\":2"), "{sql}");
        assert!(sql.contains(&format!("'{IMPORT_DEVICE}'")), "{sql}");
    }
}
