//! Running commands and finding the workspace.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error("`{command}` failed ({status})")]
    Failed { command: String, status: String },
    #[error("could not run `{command}`: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Message(String),
    #[error(transparent)]
    Stack(#[from] mirubato_stack::StackError),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

pub type TaskResult<T = ()> = Result<T, TaskError>;

/// The workspace root (where the top Cargo.toml is).
pub fn root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .nth(2)
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    })
}

/// `node_modules/.bin` first on PATH: wrangler needs the pinned Node 22 found there.
pub fn node_path() -> String {
    format!(
        "{}:{}",
        root().join("node_modules/.bin").display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

pub fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// Runs a command with inherited output; fails on a non-zero exit.
pub fn exec(command: &mut Command) -> TaskResult {
    let text = describe(command);
    println!("$ {text}");
    let status = command.status().map_err(|source| TaskError::Spawn {
        command: text.clone(),
        source,
    })?;
    if status.success() {
        Ok(())
    } else {
        Err(TaskError::Failed {
            command: text,
            status: status.to_string(),
        })
    }
}

/// Runs a command (shown as `$ …`) and returns its stdout; a failure carries the command's
/// own output.
pub fn capture(command: &mut Command) -> TaskResult<String> {
    let text = describe(command);
    println!("$ {text}");
    let out = command.output().map_err(|source| TaskError::Spawn {
        command: text.clone(),
        source,
    })?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(TaskError::Message(format!(
            "`{text}` failed ({}):\n{stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// Runs a command quietly and returns its trimmed stdout, or `None` if it cannot run or fails.
pub fn output(command: &mut Command) -> Option<String> {
    let out = command.stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

pub fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(root());
    command
}

pub fn npm() -> Command {
    let mut command = Command::new("npm");
    command.current_dir(root()).env("PATH", node_path());
    command
}

/// The version Cargo.lock resolves for a package (the exact version tools must match).
pub fn locked_version(package: &str) -> TaskResult<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))?;
    let marker = format!("name = \"{package}\"\nversion = \"");
    let start = lock
        .find(&marker)
        .map(|at| at + marker.len())
        .ok_or_else(|| TaskError::Message(format!("{package} is not in Cargo.lock")))?;
    let end = lock[start..]
        .find('"')
        .ok_or_else(|| TaskError::Message(format!("Cargo.lock entry of {package} is cut off")))?;
    Ok(lock[start..start + end].to_string())
}
