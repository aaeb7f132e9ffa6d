//! `wrangler d1` and `wrangler r2` against local state or a deployed environment: the plumbing
//! `backup`, `restore` and `import-original` share.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

use mirubato_stack::{Worker, persist_dir};

use crate::deploy::{DeployEnv, wrangler};
use crate::util::{TaskError, TaskResult, capture, root};

/// Which databases: a deployed environment's, or local state.
#[derive(clap::Args)]
#[group(required = true, multiple = false)]
pub struct Source {
    /// A deployed environment (its databases are read with `--remote`).
    #[arg(long, value_enum)]
    pub env: Option<DeployEnv>,
    /// Local state instead: `cargo xtask dev`'s, or the one under `--state-dir`.
    #[arg(long)]
    pub local: bool,
}

/// Where a wrangler command finds a database: local state or the environment's remote one.
pub enum Place<'a> {
    Local { state_dir: &'a Path },
    Remote { env: DeployEnv },
}

impl<'a> Place<'a> {
    pub fn new(source: &Source, state_dir: &'a Path) -> Self {
        match source.env {
            Some(env) if !source.local => Place::Remote { env },
            _ => Place::Local { state_dir },
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Place::Local { .. } => "local",
            Place::Remote { env } => env.name(),
        }
    }

    pub fn database_name(&self, database: &str) -> String {
        match self {
            Place::Local { .. } => database.to_string(),
            Place::Remote { env } => format!("{database}-{}", env.name()),
        }
    }

    /// `wrangler d1 <verb…> <database> …` against this place.
    pub fn d1(&self, verb: &[&str], worker: Worker) -> TaskResult<Command> {
        let database = worker
            .owned_database()
            .ok_or_else(|| TaskError::Message(format!("{} has no database", worker.name())))?;
        let mut command = wrangler();
        command
            .arg("d1")
            .args(verb)
            .arg(self.database_name(database));
        match self {
            Place::Remote { env } => {
                command.args(["--remote", "-c", &worker.config(), "--env", env.name()]);
            }
            Place::Local { state_dir } if verb == ["export"] => {
                // `d1 export` has no --persist-to: it reads the state next to its config, so
                // it is given a copy of the config beside a link to the state folder.
                command
                    .arg("--local")
                    .arg("-c")
                    .arg(export_config(state_dir, worker)?);
            }
            Place::Local { state_dir } => {
                command
                    .args(["--local", "--persist-to"])
                    .arg(persist_dir(&absolute(state_dir), worker))
                    .args(["-c", &worker.config()]);
            }
        }
        Ok(command)
    }
}

pub fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        root().join(path)
    }
}

/// A config for `d1 export --local` whose neighbouring `.wrangler/state` is the worker's
/// local state.
fn export_config(state_dir: &Path, worker: Worker) -> TaskResult<PathBuf> {
    let persist = persist_dir(&absolute(state_dir), worker);
    if !persist.exists() {
        return Err(TaskError::Message(format!(
            "no local state for {} under {}",
            worker.name(),
            persist.display()
        )));
    }
    let dir = absolute(state_dir)
        .join("export-config")
        .join(worker.name());
    fs::create_dir_all(dir.join(".wrangler"))?;
    let link = dir.join(".wrangler/state");
    if link.exists() || link.is_symlink() {
        fs::remove_file(&link)?;
    }
    symlink(&persist, &link)?;
    let config = dir.join("wrangler.toml");
    fs::copy(root().join(worker.config()), &config)?;
    Ok(config)
}

/// One query through `wrangler d1 execute --json`: the rows of its result.
pub fn query(place: &Place, worker: Worker, sql: &str) -> TaskResult<Vec<serde_json::Value>> {
    let out = capture(
        place
            .d1(&["execute"], worker)?
            .args(["--json", "--command", sql]),
    )?;
    let results: Vec<serde_json::Value> = serde_json::from_str(&out).map_err(|err| {
        TaskError::Message(format!(
            "wrangler d1 execute answered no JSON ({err}): {out}"
        ))
    })?;
    Ok(results
        .first()
        .and_then(|result| result.get("results"))
        .and_then(|rows| rows.as_array())
        .cloned()
        .unwrap_or_default())
}

/// Runs a SQL script (`wrangler d1 execute --file`) against `worker`'s database.
pub fn execute_file(place: &Place, worker: Worker, file: &Path) -> TaskResult {
    capture(
        place
            .d1(&["execute"], worker)?
            .arg("--yes")
            .arg("--file")
            .arg(file),
    )?;
    Ok(())
}

/// An object to store with [`put_object`].
pub struct Object<'a> {
    /// The bucket's local name (an environment's is `<name>-<env>`, as its databases').
    pub bucket: &'a str,
    pub key: &'a str,
    pub content_type: &'a str,
    pub file: &'a Path,
}

/// Stores a file in `worker`'s R2 bucket (`wrangler r2 object put`), replacing any object
/// under its key: the same file twice is the same object.
pub fn put_object(place: &Place, worker: Worker, object: &Object) -> TaskResult {
    let Object {
        bucket,
        key,
        content_type,
        file,
    } = object;
    let mut command = wrangler();
    command
        .args(["r2", "object", "put"])
        .arg(format!("{}/{key}", place.database_name(bucket)))
        .arg("--file")
        .arg(file)
        .args(["--content-type", content_type]);
    match place {
        Place::Remote { env } => {
            command.args(["--remote", "-c", &worker.config(), "--env", env.name()]);
        }
        Place::Local { state_dir } => {
            command
                .args(["--local", "--persist-to"])
                .arg(persist_dir(&absolute(state_dir), worker))
                .args(["-c", &worker.config()]);
        }
    }
    capture(&mut command)?;
    Ok(())
}
