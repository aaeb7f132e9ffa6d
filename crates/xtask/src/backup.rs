//! `cargo xtask backup` and `cargo xtask restore`: every D1 database exported with
//! `wrangler d1 export` into one timestamped folder, with a manifest naming the schema version
//! (the migrations applied) of each; a restore loads such a folder into fresh databases and
//! refuses one whose schema is not this checkout's.
//!
//! D1 cannot export a database holding FTS5 tables, so a backup is the rows of every ordinary
//! table (`--no-schema --table …`), and the schema is the migrations': a restore applies them
//! (the same versions, checked), replaces what seed migrations inserted with the backup's rows,
//! and the search triggers rebuild the FTS indexes as the rows go in.
//!
//! For point-in-time recovery of a deployed database, D1 Time Travel is the first tool
//! (docs/OPERATIONS.md); these exports are the copies kept outside Cloudflare.

use std::fs;
use std::path::PathBuf;

use mirubato_stack::{Worker, persist_dir};
use serde::{Deserialize, Serialize};

use crate::d1::{Place, Source, absolute, execute_file, query};
use crate::setup;
use crate::util::{TaskError, TaskResult, capture, root};

#[derive(clap::Args)]
pub struct BackupArgs {
    #[command(flatten)]
    source: Source,
    /// The local state folder (with `--local`).
    #[arg(long, default_value = ".state/dev")]
    state_dir: PathBuf,
    /// Where the timestamped backup folder is created.
    #[arg(long, default_value = "backups")]
    out: PathBuf,
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    target: Source,
    /// The local state folder to restore into (with `--local`).
    #[arg(long, default_value = ".state/dev")]
    state_dir: PathBuf,
    /// A folder written by `cargo xtask backup`.
    #[arg(long)]
    from: PathBuf,
}

/// What a backup folder holds, written last (a folder without it is incomplete).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    created_at: String,
    source: String,
    databases: Vec<DatabaseExport>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DatabaseExport {
    database: String,
    worker: String,
    file: String,
    /// The migrations applied when the export was taken, in order: the schema version.
    migrations: Vec<String>,
    /// The tables whose rows the file holds.
    tables: Vec<String>,
}

const MANIFEST: &str = "manifest.json";

fn applied_migrations(place: &Place, worker: Worker) -> TaskResult<Vec<String>> {
    let rows = query(place, worker, "SELECT name FROM d1_migrations ORDER BY id")?;
    Ok(rows
        .iter()
        .filter_map(|row| row.get("name")?.as_str().map(str::to_string))
        .collect())
}

/// Every table of the database that is not SQLite's or Cloudflare's own.
const USER_TABLES: &str = "SELECT name, sql FROM sqlite_master WHERE type = 'table' \
     AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name";

/// The tables holding rows to back up: not FTS5 tables nor their shadow tables (derived from
/// the rows by triggers), nor SQLite's or Cloudflare's own.
fn data_tables(place: &Place, worker: Worker) -> TaskResult<Vec<String>> {
    let rows = query(place, worker, USER_TABLES)?;
    let text = |row: &serde_json::Value, key: &str| {
        row.get(key)
            .and_then(|value| value.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let virtual_tables: Vec<String> = rows
        .iter()
        .filter(|row| text(row, "sql").starts_with("CREATE VIRTUAL TABLE"))
        .map(|row| text(row, "name"))
        .collect();
    Ok(rows
        .iter()
        .map(|row| text(row, "name"))
        .filter(|name| {
            !virtual_tables
                .iter()
                .any(|fts| name == fts || name.starts_with(&format!("{fts}_")))
        })
        .collect())
}

/// The migrations this checkout has for `worker`'s database, in order.
fn known_migrations(worker: Worker) -> TaskResult<Vec<String>> {
    let dir = root().join("migrations").join(worker.name());
    let mut names: Vec<String> = fs::read_dir(&dir)?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".sql"))
        .collect();
    names.sort();
    Ok(names)
}

/// Runs `task` for every database at once (they are independent; each wrangler call takes
/// seconds), returning the results in database order or the first failure.
fn per_database<T: Send>(
    task: impl Fn(Worker, &'static str) -> TaskResult<T> + Sync,
) -> TaskResult<Vec<T>> {
    let task = &task;
    std::thread::scope(|scope| {
        let running: Vec<_> = Worker::ALL
            .into_iter()
            .filter_map(|worker| worker.owned_database().map(|database| (worker, database)))
            .map(|(worker, database)| scope.spawn(move || task(worker, database)))
            .collect();
        running
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .map_err(|_| TaskError::Message("a database task panicked".into()))?
            })
            .collect()
    })
}

pub fn backup(args: BackupArgs) -> TaskResult {
    setup::run()?;
    let place = Place::new(&args.source, &args.state_dir);
    let created_at = chrono::Utc::now();
    let folder = absolute(&args.out).join(format!(
        "{}-{}",
        created_at.format("%Y%m%dT%H%M%SZ"),
        place.label()
    ));
    fs::create_dir_all(&folder)?;
    let exports = per_database(|worker, database| {
        let migrations = applied_migrations(&place, worker)?;
        let tables = data_tables(&place, worker)?;
        let file = format!("{database}.sql");
        let mut export = place.d1(&["export"], worker)?;
        export
            .arg("--no-schema")
            .arg("--output")
            .arg(folder.join(&file));
        for table in &tables {
            export.args(["--table", table]);
        }
        capture(&mut export)?;
        Ok(DatabaseExport {
            database: database.to_string(),
            worker: worker.name().to_string(),
            file,
            migrations,
            tables,
        })
    })?;
    let manifest = Manifest {
        created_at: created_at.to_rfc3339(),
        source: place.label().to_string(),
        databases: exports,
    };
    let text = serde_json::to_string_pretty(&manifest)
        .map_err(|err| TaskError::Message(format!("manifest: {err}")))?;
    fs::write(folder.join(MANIFEST), text)?;
    println!("\nbackup written to {}", folder.display());
    Ok(())
}

pub fn restore(args: RestoreArgs) -> TaskResult {
    setup::run()?;
    let from = absolute(&args.from);
    let manifest: Manifest =
        serde_json::from_str(&fs::read_to_string(from.join(MANIFEST)).map_err(|err| {
            TaskError::Message(format!(
                "{} is not a complete backup (no {MANIFEST}: {err})",
                from.display()
            ))
        })?)
        .map_err(|err| TaskError::Message(format!("{MANIFEST} is malformed: {err}")))?;
    let place = Place::new(&args.target, &args.state_dir);
    // Every check before the first write: a refused restore changes nothing. First what the
    // backup holds, against this checkout…
    let mut plan = Vec::new();
    for worker in Worker::ALL {
        let Some(database) = worker.owned_database() else {
            continue;
        };
        let export = manifest
            .databases
            .iter()
            .find(|export| export.database == database)
            .ok_or_else(|| TaskError::Message(format!("the backup has no {database}")))?;
        let known = known_migrations(worker)?;
        if export.migrations != known {
            return Err(TaskError::Message(format!(
                "schema mismatch for {database}: the backup was taken at [{}], this checkout's \
                 migrations are [{}]. Restore with the commit the backup was taken from.",
                export.migrations.join(", "),
                known.join(", ")
            )));
        }
        let file = from.join(&export.file);
        if !file.exists() {
            return Err(TaskError::Message(format!("{} is missing", file.display())));
        }
        plan.push((worker, export, file));
    }
    // …then that every target database is fresh.
    per_database(|worker, database| {
        if let Place::Local { state_dir } = place {
            fs::create_dir_all(persist_dir(&absolute(state_dir), worker))?;
        }
        let tables = query(&place, worker, USER_TABLES)?;
        if tables.is_empty() {
            Ok(())
        } else {
            Err(TaskError::Message(format!(
                "{} already has tables: a restore loads into a fresh database only",
                place.database_name(database)
            )))
        }
    })?;
    let staging = root().join("target/restore-scripts").join(place.label());
    fs::create_dir_all(&staging)?;
    let plan = &plan;
    per_database(|worker, _| {
        let Some((_, export, file)) = plan.iter().find(|(planned, _, _)| *planned == worker) else {
            return Ok(());
        };
        capture(&mut place.d1(&["migrations", "apply"], worker)?)?;
        // The rows replace whatever the seed migrations inserted, in one script.
        let mut script = String::from("PRAGMA defer_foreign_keys=TRUE;\n");
        for table in &export.tables {
            script.push_str(&format!("DELETE FROM \"{table}\";\n"));
        }
        script.push_str(&fs::read_to_string(file)?);
        let script_file = staging.join(&export.file);
        fs::write(&script_file, script)?;
        execute_file(&place, worker, &script_file)
    })?;
    println!(
        "\nrestored {} ({} backup of {}) into {}",
        from.display(),
        manifest.source,
        manifest.created_at,
        place.label()
    );
    Ok(())
}
