//! `cargo xtask import-original`: brings a user base across from the original TypeScript
//! Mirubato. The folder holds `wrangler d1 export` dumps of its databases (`api.sql`,
//! `scores.sql`, `dictionary.sql`, any may be absent) and its R2 objects (`r2/<bucket>/<key>`).
//!
//! Each dump is loaded into an in-memory SQLite, its rows are mapped onto our schema in Rust
//! (documents through core's own normalisation), and the result is written as idempotent SQL
//! through `wrangler d1 execute --file`: every statement inserts only what is not there yet,
//! so a second run changes nothing and a run cut short can simply be run again. A row that
//! cannot be mapped is reported with the reason and left out; it never stops the run.

mod api;
mod dictionary;
mod dump;
mod scores;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use mirubato_stack::Worker;

use crate::d1::{Object, Place, Source, absolute, execute_file, put_object, query};
use crate::setup;
use crate::util::{TaskError, TaskResult, capture, root};

use dump::{Dump, lit};

#[derive(clap::Args)]
pub struct ImportArgs {
    /// The folder with the original's exports: api.sql, scores.sql, dictionary.sql, r2/.
    #[arg(long)]
    from: PathBuf,
    #[command(flatten)]
    target: Source,
    /// The local state folder to import into (with `--local`).
    #[arg(long, default_value = ".state/dev")]
    state_dir: PathBuf,
    /// Print what would be written and every row that would be rejected; write nothing.
    #[arg(long)]
    dry_run: bool,
}

/// Failures of the import itself (a bad row is not one: it is a [`Reject`]).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{file} cannot be loaded as a SQLite dump: {message}")]
    Load { file: String, message: String },
    #[error("reading table {table}: {message}")]
    Read { table: String, message: String },
}

impl From<ImportError> for TaskError {
    fn from(err: ImportError) -> Self {
        TaskError::Message(err.to_string())
    }
}

/// An original row left out, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Reject {
    pub table: String,
    pub key: String,
    pub reason: String,
}

/// One row of ours, as SQL that writes it only when it is not there yet. `<table> <key>`
/// names it the way [`presence`] lists what the target holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub table: &'static str,
    pub key: String,
    pub sql: String,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub statements: Vec<Statement>,
    pub rejects: Vec<Reject>,
}

pub fn run(args: ImportArgs) -> TaskResult {
    let from = absolute(&args.from);
    let dumps = Dumps::load(&from)?;
    if !args.dry_run {
        setup::run()?;
    }
    let place = Place::new(&args.target, &args.state_dir);
    let now = Utc::now();
    let mut import = Import {
        place,
        dry_run: args.dry_run,
        rejects: Vec::new(),
        summary: Vec::new(),
    };
    let mut owners = None;
    if let Some(dump) = &dumps.api {
        owners = Some(import.api(dump, now)?);
    }
    if let Some(dump) = &dumps.scores {
        import.scores(dump, &from.join("r2"), &owners, now)?;
    }
    if let Some(dump) = &dumps.dictionary {
        import.dictionary(dump, &owners, now)?;
    }
    import.finish()
}

/// The dumps the folder holds.
struct Dumps {
    api: Option<Dump>,
    scores: Option<Dump>,
    dictionary: Option<Dump>,
}

impl Dumps {
    fn load(from: &Path) -> TaskResult<Self> {
        let one = |name: &str| -> TaskResult<Option<Dump>> {
            let file = from.join(name);
            if !file.exists() {
                return Ok(None);
            }
            Ok(Some(Dump::load(name, &fs::read_to_string(&file)?)?))
        };
        let dumps = Self {
            api: one("api.sql")?,
            scores: one("scores.sql")?,
            dictionary: one("dictionary.sql")?,
        };
        if dumps.api.is_none() && dumps.scores.is_none() && dumps.dictionary.is_none() {
            return Err(TaskError::Message(format!(
                "{} holds none of api.sql, scores.sql, dictionary.sql",
                from.display()
            )));
        }
        Ok(dumps)
    }
}

struct Import<'a> {
    place: Place<'a>,
    dry_run: bool,
    rejects: Vec<Reject>,
    summary: Vec<String>,
}

impl Import<'_> {
    /// Returns where each original user id landed (our id, by email).
    fn api(&mut self, dump: &Dump, now: DateTime<Utc>) -> TaskResult<HashMap<String, String>> {
        self.skipped(dump, &api::SKIPPED_TABLES);
        let (users, rejects) = api::users(dump, now)?;
        self.rejects.extend(rejects);
        self.migrate(Worker::Api)?;
        let emails: Vec<String> = users.iter().map(|user| user.email.clone()).collect();
        let users_sql = api::users_sql(&users);
        self.apply(Worker::Api, "api-users", &users_sql, |place| {
            presence_of(place, Worker::Api, &emails, users_presence)
        })?;
        let owners = if self.dry_run {
            // Nothing is read from the target in a dry run: ids are the original's.
            api::owners_by_original_id(&users, |user| Some(user.original_id.clone()))
        } else {
            self.owners(&users)?
        };
        let outcome = api::documents(dump, &owners, now)?;
        self.rejects.extend(outcome.rejects);
        let ids: Vec<String> = owners
            .values()
            .map(|owner| owner.id.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        self.apply(Worker::Api, "api-documents", &outcome.statements, |place| {
            presence_of(place, Worker::Api, &ids, documents_presence)
        })?;
        Ok(owners
            .into_iter()
            .map(|(original, owner)| (original, owner.id))
            .collect())
    }

    fn scores(
        &mut self,
        dump: &Dump,
        r2: &Path,
        owners: &Option<HashMap<String, String>>,
        now: DateTime<Utc>,
    ) -> TaskResult {
        self.skipped(dump, &scores::SKIPPED_TABLES);
        let import = scores::import(dump, r2, owners, now)?;
        self.rejects.extend(import.outcome.rejects);
        self.migrate(Worker::Scores)?;
        // Files first: a score row never names an object that is not there yet.
        for object in &import.objects {
            if self.dry_run {
                println!("would store r2 {}", object.key);
            } else {
                let object = Object {
                    bucket: scores::BUCKET,
                    key: &object.key,
                    content_type: object.content_type,
                    file: &object.file,
                };
                put_object(&self.place, Worker::Scores, &object)?;
            }
        }
        let stored = if self.dry_run {
            "would store"
        } else {
            "stored"
        };
        self.summary
            .push(format!("r2 objects: {stored} {}", import.objects.len()));
        self.apply(
            Worker::Scores,
            "scores",
            &import.outcome.statements,
            |place| presence(place, Worker::Scores, scores::presence_sql()),
        )
    }

    fn dictionary(
        &mut self,
        dump: &Dump,
        owners: &Option<HashMap<String, String>>,
        now: DateTime<Utc>,
    ) -> TaskResult {
        self.skipped(dump, &dictionary::SKIPPED_TABLES);
        let outcome = dictionary::import(dump, owners, now)?;
        self.rejects.extend(outcome.rejects);
        self.migrate(Worker::Dictionary)?;
        self.apply(
            Worker::Dictionary,
            "dictionary",
            &outcome.statements,
            |place| presence(place, Worker::Dictionary, dictionary::presence_sql()),
        )
    }

    /// Our id of every imported user: the original's, unless the email already had an
    /// account here (then that one's, so their data joins it).
    fn owners(&self, users: &[api::User]) -> TaskResult<HashMap<String, api::Owner>> {
        let mut by_email = HashMap::new();
        for chunk in users.chunks(OWNERS_PER_QUERY) {
            let emails: Vec<String> = chunk.iter().map(|user| lit(&user.email)).collect();
            let rows = query(
                &self.place,
                Worker::Api,
                &format!(
                    "SELECT id, email FROM users WHERE email IN ({})",
                    emails.join(", ")
                ),
            )?;
            for row in rows {
                if let (Some(id), Some(email)) = (row["id"].as_str(), row["email"].as_str()) {
                    by_email.insert(email.to_string(), id.to_string());
                }
            }
        }
        Ok(api::owners_by_original_id(users, |user| {
            by_email.get(&user.email).cloned()
        }))
    }

    fn skipped(&mut self, dump: &Dump, tables: &[(&str, &str)]) {
        for (table, why) in tables {
            let count = dump.rows(table).map(|rows| rows.len()).unwrap_or(0);
            if count > 0 {
                self.summary
                    .push(format!("skipped table {table} ({count} rows): {why}"));
            }
        }
    }

    /// Brings the target database to our schema first (a fresh state has none).
    fn migrate(&self, worker: Worker) -> TaskResult {
        if self.dry_run {
            return Ok(());
        }
        if let Place::Local { state_dir } = self.place {
            fs::create_dir_all(mirubato_stack::persist_dir(&absolute(state_dir), worker))?;
        }
        capture(&mut self.place.d1(&["migrations", "apply"], worker)?)?;
        Ok(())
    }

    /// Writes `statements` as one script and applies it, counting what was new by what the
    /// target held before and after (`present` lists the keys it holds).
    fn apply(
        &mut self,
        worker: Worker,
        name: &str,
        statements: &[Statement],
        present: impl Fn(&Place) -> TaskResult<HashSet<String>>,
    ) -> TaskResult {
        let mut by_table: BTreeMap<&str, Vec<&Statement>> = BTreeMap::new();
        for statement in statements {
            by_table.entry(statement.table).or_default().push(statement);
        }
        if statements.is_empty() {
            return Ok(());
        }
        // The script is written in a dry run too: it is exactly what a run would apply.
        let dir = root()
            .join("target/import-scripts")
            .join(self.place.label());
        fs::create_dir_all(&dir)?;
        let file = dir.join(format!("{name}.sql"));
        let script: Vec<&str> = statements
            .iter()
            .map(|statement| statement.sql.as_str())
            .collect();
        fs::write(&file, script.join("\n"))?;
        if self.dry_run {
            for statement in statements {
                println!("would write {} {}", statement.table, statement.key);
            }
            for (table, list) in by_table {
                self.summary
                    .push(format!("{table}: would write {} rows", list.len()));
            }
            self.summary
                .push(format!("script (not applied): {}", file.display()));
            return Ok(());
        }
        let before = present(&self.place)?;
        execute_file(&self.place, worker, &file)?;
        let after = present(&self.place)?;
        let (summary, rejects) = tally(&by_table, &before, &after);
        self.summary.extend(summary);
        self.rejects.extend(rejects);
        Ok(())
    }

    fn finish(self) -> TaskResult {
        for reject in &self.rejects {
            println!(
                "rejected {} {}: {}",
                reject.table, reject.key, reject.reason
            );
        }
        println!();
        for line in &self.summary {
            println!("{line}");
        }
        println!("rejected rows: {}", self.rejects.len());
        println!(
            "{} into {}",
            if self.dry_run {
                "dry run: nothing written"
            } else {
                "import done"
            },
            self.place.label()
        );
        Ok(())
    }
}

/// Per table, how many statements wrote a new row and how many found theirs already there,
/// from what the target held before and after; a row in neither was kept out by another
/// unique value of the target's (a collection slug, a Google id), and is reported.
fn tally(
    by_table: &BTreeMap<&str, Vec<&Statement>>,
    before: &HashSet<String>,
    after: &HashSet<String>,
) -> (Vec<String>, Vec<Reject>) {
    let mut summary = Vec::new();
    let mut rejects = Vec::new();
    for (table, list) in by_table {
        let (mut new, mut kept) = (0, 0);
        for statement in list {
            let name = format!("{} {}", statement.table, statement.key);
            if before.contains(&name) {
                kept += 1;
            } else if after.contains(&name) {
                new += 1;
            } else {
                rejects.push(Reject {
                    table: table.to_string(),
                    key: statement.key.clone(),
                    reason: "not written: the target already has a row with the same unique value"
                        .into(),
                });
            }
        }
        summary.push(format!(
            "{table}: {} rows, {new} new, {kept} already present",
            list.len()
        ));
    }
    (summary, rejects)
}

/// The rows `sql` lists (its column `k`, as `<table> <key>`).
fn presence(place: &Place, worker: Worker, sql: &str) -> TaskResult<HashSet<String>> {
    Ok(query(place, worker, sql)?
        .iter()
        .filter_map(|row| row["k"].as_str().map(str::to_string))
        .collect())
}

/// [`presence`] over a long list of users, a few hundred at a time (D1 caps a statement at
/// 100 KB).
fn presence_of(
    place: &Place,
    worker: Worker,
    values: &[String],
    sql: fn(&[String]) -> String,
) -> TaskResult<HashSet<String>> {
    let mut found = HashSet::new();
    for chunk in values.chunks(OWNERS_PER_QUERY) {
        found.extend(presence(place, worker, &sql(chunk))?);
    }
    Ok(found)
}

/// Users named per lookup query.
const OWNERS_PER_QUERY: usize = 200;

fn in_list(values: &[String]) -> String {
    let quoted: Vec<String> = values.iter().map(|value| lit(value)).collect();
    quoted.join(", ")
}

fn users_presence(emails: &[String]) -> String {
    format!(
        "SELECT 'users ' || email AS k FROM users WHERE email IN ({})",
        in_list(emails)
    )
}

fn documents_presence(user_ids: &[String]) -> String {
    format!(
        "SELECT 'sync_data ' || user_id || ' ' || entity_type || '/' || entity_id AS k FROM sync_data WHERE user_id IN ({})",
        in_list(user_ids)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(table: &'static str, key: &str) -> Statement {
        Statement {
            table,
            key: key.into(),
            sql: String::new(),
        }
    }

    #[test]
    fn the_tally_counts_new_and_present_rows_and_reports_the_ones_kept_out() {
        let statements = [
            statement("users", "a@example.com"),
            statement("users", "b@example.com"),
            statement("users", "c@example.com"),
        ];
        let mut by_table: BTreeMap<&str, Vec<&Statement>> = BTreeMap::new();
        by_table.insert("users", statements.iter().collect());
        let set = |keys: &[&str]| {
            keys.iter()
                .map(|key| key.to_string())
                .collect::<HashSet<_>>()
        };
        let before = set(&["users a@example.com"]);
        let after = set(&["users a@example.com", "users b@example.com"]);
        let (summary, rejects) = tally(&by_table, &before, &after);
        assert_eq!(summary, ["users: 3 rows, 1 new, 1 already present"]);
        assert_eq!(rejects.len(), 1);
        assert_eq!(rejects[0].key, "c@example.com");
        assert!(rejects[0].reason.contains("same unique value"));
    }
}
