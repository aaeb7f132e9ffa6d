//! `cargo xtask deploy --env staging|production [--dry-run]`: builds, checks sizes, applies
//! D1 migrations, then deploys each worker with wrangler.

use std::fs;
use std::process::Command;

use mirubato_stack::Worker;

use crate::util::{TaskError, TaskResult, exec, node_path, output, root};
use crate::{build, setup};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DeployEnv {
    Staging,
    Production,
}

impl DeployEnv {
    pub fn name(self) -> &'static str {
        match self {
            Self::Staging => "staging",
            Self::Production => "production",
        }
    }
}

#[derive(clap::Args)]
pub struct DeployArgs {
    #[arg(long, value_enum)]
    env: DeployEnv,
    /// Build, measure and let wrangler validate each bundle, without uploading anything.
    #[arg(long)]
    dry_run: bool,
}

/// Cloudflare's upload limit per worker (gzipped). The scores worker carries the PDF
/// libraries and runs on the paid plan's larger limit.
fn size_limit(worker: Worker) -> u64 {
    match worker {
        Worker::Scores => 3 * 1024 * 1024,
        _ => 1024 * 1024,
    }
}

/// Deploy order: the sync worker before the api that binds it; the app last.
const ORDER: [Worker; 5] = [
    Worker::Sync,
    Worker::Api,
    Worker::Scores,
    Worker::Dictionary,
    Worker::Frontend,
];

pub fn wrangler() -> Command {
    let mut command = Command::new(root().join("node_modules/.bin/wrangler"));
    command
        .current_dir(root())
        .env("PATH", node_path())
        .env("WRANGLER_SEND_METRICS", "false");
    command
}

pub fn run(args: DeployArgs) -> TaskResult {
    setup::run()?;
    build::run()?;
    let env = args.env.name();
    let sha =
        output(
            Command::new("git")
                .current_dir(root())
                .args(["rev-parse", "--short=12", "HEAD"]),
        )
        .unwrap_or_else(|| "unknown".into());

    println!(
        "\n{:<11} {:>12} {:>12} {:>12}",
        "worker", "raw", "gzipped", "limit"
    );
    let mut too_big = Vec::new();
    for worker in ORDER {
        let (raw, gzipped) = build::bundle_size(worker)?;
        let limit = size_limit(worker);
        println!(
            "{:<11} {:>9} KiB {:>9} KiB {:>9} KiB",
            worker.name(),
            raw / 1024,
            gzipped / 1024,
            limit / 1024
        );
        if gzipped > limit {
            too_big.push(worker.name());
        }
    }
    if !too_big.is_empty() {
        return Err(TaskError::Message(format!(
            "over the size limit: {}",
            too_big.join(", ")
        )));
    }

    if !args.dry_run {
        refuse_placeholders(env)?;
        for worker in ORDER {
            if let Some(database) = worker.owned_database() {
                exec(
                    wrangler()
                        .args([
                            "d1",
                            "migrations",
                            "apply",
                            &format!("{database}-{env}"),
                            "--remote",
                        ])
                        .args(["-c", &worker.config(), "--env", env]),
                )?;
            }
        }
    }
    let out_dir = root().join("target/deploy-dry-run");
    for worker in ORDER {
        let mut command = wrangler();
        command
            .args(["deploy", "-c", &worker.config(), "--env", env])
            .args(["--var", &format!("BUILD_SHA:{sha}")]);
        if args.dry_run {
            command
                .arg("--dry-run")
                .arg("--outdir")
                .arg(out_dir.join(worker.name()));
        }
        exec(&mut command)?;
    }
    println!(
        "\n{} {} to {env} (build {sha})",
        if args.dry_run {
            "dry run: validated"
        } else {
            "deployed"
        },
        ORDER.map(Worker::name).join(", ")
    );
    Ok(())
}

/// A real deploy needs the account's resource ids in the configs (docs/OPERATIONS.md).
fn refuse_placeholders(env: &str) -> TaskResult {
    for worker in Worker::ALL {
        let config = fs::read_to_string(root().join(worker.config()))?;
        let section = config
            .split(&format!("[env.{env}]"))
            .nth(1)
            .unwrap_or_default();
        if section.contains("REPLACE_WITH_") {
            return Err(TaskError::Message(format!(
                "{} still has REPLACE_WITH_… ids for {env}: create the resources and fill them in (docs/OPERATIONS.md)",
                worker.config()
            )));
        }
    }
    Ok(())
}
