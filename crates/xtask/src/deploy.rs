//! `cargo xtask deploy --env staging|production [--dry-run] [--all-at-once]` and
//! `cargo xtask rollback --env … [--worker …] [--dry-run]`.
//!
//! A deploy builds and measures every bundle, applies pending D1 migrations first, then per
//! worker uploads a new version (`wrangler versions upload`) and rolls it out in steps
//! (`wrangler versions deploy new@p% old@(100-p)%`), checking the new version's `/health`
//! (addressed with Cloudflare's version-override header) after each step. A failed check
//! returns that worker to its previous version and stops with the reason. `--dry-run` lets
//! wrangler validate every bundle and prints every command of the real run, in order.

use std::fs;
use std::process::Command;

use mirubato_stack::Worker;

use crate::util::{TaskError, TaskResult, capture, describe, exec, node_path, output, root};
use crate::{build, setup};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
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
    /// Validate every bundle and print every command a real deploy runs, uploading nothing.
    #[arg(long)]
    dry_run: bool,
    /// Traffic percentages of the gradual rollout, each followed by a health check.
    #[arg(long, value_delimiter = ',', default_value = "10,50,100")]
    steps: Vec<u8>,
    /// `wrangler deploy` each worker at 100% at once: needed for a worker's first deploy and
    /// for one that adds a Durable Object class (versions cannot carry DO migrations).
    #[arg(long)]
    all_at_once: bool,
}

#[derive(clap::Args)]
pub struct RollbackArgs {
    #[arg(long, value_enum)]
    env: DeployEnv,
    /// Only this worker (default: all, in reverse deploy order).
    #[arg(long, value_parser = build::parse_worker)]
    worker: Option<Worker>,
    /// Print the commands without running them.
    #[arg(long)]
    dry_run: bool,
}

/// Cloudflare's limits on a worker's upload after compression: 3 MB on the Workers Free
/// plan, 10 MB on Workers Paid.
const FREE_PLAN_LIMIT: u64 = 3 * 1000 * 1000;
const PAID_PLAN_LIMIT: u64 = 10 * 1000 * 1000;

/// The cheapest plan whose size limit a bundle of `gzipped` bytes fits, if any.
fn plan_needed(gzipped: u64) -> Option<&'static str> {
    if gzipped <= FREE_PLAN_LIMIT {
        Some("free")
    } else if gzipped <= PAID_PLAN_LIMIT {
        Some("paid")
    } else {
        None
    }
}

const ORDER: [Worker; 5] = Worker::DEPLOY_ORDER;

pub fn wrangler() -> Command {
    let mut command = Command::new(root().join("node_modules/.bin/wrangler"));
    command
        .current_dir(root())
        .env("PATH", node_path())
        // `deploy` builds every bundle first: skip each config's `[build]`.
        .env("MIRUBATO_PREBUILT", "1")
        .env("WRANGLER_SEND_METRICS", "false");
    command
}

/// What the deploy knows of a worker in one environment, from its wrangler config.
struct Deployed {
    worker: Worker,
    /// The script name in that environment (`mirubato-api-staging`).
    script: String,
    /// The public host its `/health` is reached on.
    host: String,
}

impl Deployed {
    fn read(worker: Worker, env: DeployEnv) -> TaskResult<Self> {
        let path = root().join(worker.config());
        let config: toml::Table = fs::read_to_string(&path)?
            .parse()
            .map_err(|err| TaskError::Message(format!("{}: {err}", path.display())))?;
        let section = config
            .get("env")
            .and_then(|envs| envs.get(env.name()))
            .ok_or_else(|| {
                TaskError::Message(format!("{} has no [env.{}]", worker.config(), env.name()))
            })?;
        let text = |value: Option<&toml::Value>, what: &str| {
            value
                .and_then(toml::Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| {
                    TaskError::Message(format!(
                        "{} [env.{}] has no {what}",
                        worker.config(),
                        env.name()
                    ))
                })
        };
        Ok(Self {
            worker,
            script: text(section.get("name"), "name")?,
            host: text(
                section
                    .get("routes")
                    .and_then(|routes| routes.get(0))
                    .and_then(|route| route.get("pattern")),
                "route pattern",
            )?,
        })
    }

    fn wrangler(&self, env: DeployEnv, args: &[&str]) -> Command {
        let mut command = wrangler();
        command
            .args(args)
            .args(["-c", &self.worker.config(), "--env", env.name()]);
        command
    }

    /// `curl` of the worker's `/health` (any answer but 2xx fails). With a version, the
    /// override header sends the request to it whatever the traffic split.
    fn health_check(&self, version: Option<&str>) -> Command {
        let mut command = Command::new("curl");
        command.args(["--fail", "--silent", "--show-error", "--max-time", "20"]);
        if let Some(version) = version {
            command.arg("-H").arg(format!(
                "Cloudflare-Workers-Version-Overrides: {}=\"{version}\"",
                self.script
            ));
        }
        command.arg(format!("https://{}/health", self.host));
        command
    }
}

/// Runs commands for real, or prints them (a dry run); answers what they printed.
struct Runner {
    dry_run: bool,
}

impl Runner {
    fn run(&self, command: &mut Command) -> TaskResult<String> {
        if self.dry_run {
            println!("would run: {}", describe(command));
            return Ok(String::new());
        }
        let out = capture(command)?;
        print!("{out}");
        Ok(out)
    }
}

/// The version id in wrangler's `versions upload` output ("Worker Version ID: …").
fn uploaded_version(out: &str) -> Option<String> {
    out.lines()
        .find_map(|line| line.trim().strip_prefix("Worker Version ID:"))
        .map(|id| id.trim().to_string())
}

/// The version serving 100% now, from `wrangler deployments status --json`.
fn current_version(out: &str) -> Option<String> {
    let status: serde_json::Value = serde_json::from_str(out).ok()?;
    status["versions"]
        .as_array()?
        .iter()
        .max_by_key(|version| version["percentage"].as_f64().unwrap_or(0.0) as u64)?["version_id"]
        .as_str()
        .map(str::to_string)
}

pub fn run(args: DeployArgs) -> TaskResult {
    if args.steps.is_empty() || args.steps.iter().any(|&p| p == 0 || p > 100) {
        return Err(TaskError::Message(
            "--steps are percentages between 1 and 100".into(),
        ));
    }
    let mut steps = args.steps.clone();
    steps.sort_unstable();
    steps.dedup();
    if steps.last() != Some(&100) {
        steps.push(100);
    }
    setup::run()?;
    build::run(build::BuildArgs::default())?;
    let env = args.env;
    let sha =
        output(
            Command::new("git")
                .current_dir(root())
                .args(["rev-parse", "--short=12", "HEAD"]),
        )
        .unwrap_or_else(|| "unknown".into());
    check_sizes()?;
    let workers: Vec<Deployed> = ORDER
        .into_iter()
        .map(|worker| Deployed::read(worker, env))
        .collect::<TaskResult<_>>()?;

    if args.dry_run {
        // wrangler bundles and validates each worker and its bindings, uploading nothing.
        let out_dir = root().join("target/deploy-dry-run");
        for deployed in &workers {
            exec(
                deployed
                    .wrangler(env, &["versions", "upload", "--dry-run"])
                    .arg("--outdir")
                    .arg(out_dir.join(deployed.worker.name())),
            )?;
        }
        println!("\nThe deploy would run, in order:");
    } else {
        refuse_placeholders(env)?;
    }
    let runner = Runner {
        dry_run: args.dry_run,
    };
    for deployed in &workers {
        if let Some(database) = deployed.worker.owned_database() {
            runner.run(&mut deployed.wrangler(
                env,
                &[
                    "d1",
                    "migrations",
                    "apply",
                    &format!("{database}-{}", env.name()),
                    "--remote",
                ],
            ))?;
        }
    }
    let build_var = format!("BUILD_SHA:{sha}");
    for deployed in &workers {
        if args.all_at_once {
            runner.run(&mut deployed.wrangler(env, &["deploy", "--var", &build_var]))?;
            runner.run(&mut deployed.health_check(None))?;
            continue;
        }
        let previous = current_version(
            &runner.run(&mut deployed.wrangler(env, &["deployments", "status", "--json"]))?,
        )
        .unwrap_or_else(|| format!("<current version of {}>", deployed.script));
        let uploaded = runner.run(&mut deployed.wrangler(
            env,
            &[
                "versions",
                "upload",
                "--var",
                &build_var,
                "--tag",
                &sha,
                "--message",
                &format!("build {sha}"),
            ],
        ))?;
        let version = match uploaded_version(&uploaded) {
            Some(version) => version,
            None if args.dry_run => format!("<new version of {}>", deployed.script),
            None => {
                return Err(TaskError::Message(format!(
                    "wrangler versions upload printed no version id for {}",
                    deployed.script
                )));
            }
        };
        for &percent in &steps {
            let mut split = vec![format!("{version}@{percent}%")];
            if percent < 100 {
                split.push(format!("{previous}@{}%", 100 - percent));
            }
            let mut deploy = deployed.wrangler(env, &["versions", "deploy", "--yes"]);
            deploy
                .args(&split)
                .args(["--message", &format!("build {sha} at {percent}%")]);
            runner.run(&mut deploy)?;
            if let Err(failure) = runner.run(&mut deployed.health_check(Some(&version))) {
                println!("health check failed at {percent}%: returning to {previous}");
                runner.run(&mut deployed.wrangler(
                    env,
                    &["versions", "deploy", "--yes", &format!("{previous}@100%")],
                ))?;
                return Err(TaskError::Message(format!(
                    "{} {version} failed its health check at {percent}% and was rolled back to \
                     {previous}; workers deployed before it keep their new version \
                     (`cargo xtask rollback --env {}` returns them too). {failure}",
                    deployed.script,
                    env.name()
                )));
            }
        }
    }
    println!(
        "\n{} {} to {} (build {sha})",
        if args.dry_run {
            "dry run: validated"
        } else {
            "deployed"
        },
        ORDER.map(Worker::name).join(", "),
        env.name()
    );
    Ok(())
}

/// Returns each worker (or one) to the version it served before its last deployment.
pub fn rollback(args: RollbackArgs) -> TaskResult {
    let runner = Runner {
        dry_run: args.dry_run,
    };
    if !args.dry_run {
        setup::run()?;
    }
    let message = "cargo xtask rollback";
    for worker in ORDER.into_iter().rev() {
        if args.worker.is_some_and(|only| only != worker) {
            continue;
        }
        let deployed = Deployed::read(worker, args.env)?;
        runner
            .run(&mut deployed.wrangler(args.env, &["rollback", "--yes", "--message", message]))?;
        runner.run(&mut deployed.health_check(None))?;
    }
    Ok(())
}

fn check_sizes() -> TaskResult {
    println!(
        "\n{:<11} {:>12} {:>12}  plan (free ≤ {} KB, paid ≤ {} KB gzipped)",
        "worker",
        "raw",
        "gzipped",
        FREE_PLAN_LIMIT / 1000,
        PAID_PLAN_LIMIT / 1000
    );
    let mut too_big = Vec::new();
    for worker in ORDER {
        let (raw, gzipped) = build::bundle_size(worker)?;
        let plan = plan_needed(gzipped);
        println!(
            "{:<11} {:>9} KiB {:>9} KiB  {}",
            worker.name(),
            raw / 1024,
            gzipped / 1024,
            plan.unwrap_or("too big for any plan")
        );
        if plan.is_none() {
            too_big.push(worker.name());
        }
    }
    if too_big.is_empty() {
        Ok(())
    } else {
        Err(TaskError::Message(format!(
            "over Cloudflare's {} KB limit: {}",
            PAID_PLAN_LIMIT / 1000,
            too_big.join(", ")
        )))
    }
}

/// A real deploy needs the account's resource ids in the configs (docs/OPERATIONS.md).
fn refuse_placeholders(env: DeployEnv) -> TaskResult {
    for worker in Worker::ALL {
        let config = fs::read_to_string(root().join(worker.config()))?;
        let section = config
            .split(&format!("[env.{}]", env.name()))
            .nth(1)
            .unwrap_or_default();
        if section.contains("REPLACE_WITH_") {
            return Err(TaskError::Message(format!(
                "{} still has REPLACE_WITH_… ids for {}: create the resources and fill them in (docs/OPERATIONS.md)",
                worker.config(),
                env.name()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_needs_the_cheapest_plan_it_fits() {
        assert_eq!(plan_needed(900_000), Some("free"));
        assert_eq!(plan_needed(3_000_000), Some("free"));
        assert_eq!(plan_needed(3_000_001), Some("paid"));
        assert_eq!(plan_needed(10_000_000), Some("paid"));
        assert_eq!(plan_needed(10_000_001), None);
    }

    #[test]
    fn wrangler_output_gives_the_versions() {
        let upload = "Total Upload: 3.1 MiB\nWorker Version ID: 7b1c0a3e-1111-4222-8333-944445555666\nVersion Preview URL: …";
        assert_eq!(
            uploaded_version(upload).as_deref(),
            Some("7b1c0a3e-1111-4222-8333-944445555666")
        );
        assert_eq!(uploaded_version("no id here"), None);
        let status = r#"{"id":"d1","versions":[{"version_id":"old","percentage":10},{"version_id":"cur","percentage":90}]}"#;
        assert_eq!(current_version(status).as_deref(), Some("cur"));
        assert_eq!(current_version("not json"), None);
    }

    #[test]
    fn every_config_names_its_script_and_public_host() {
        for env in [DeployEnv::Staging, DeployEnv::Production] {
            for worker in Worker::ALL {
                let deployed = Deployed::read(worker, env).unwrap();
                assert!(deployed.script.ends_with(env.name()), "{}", deployed.script);
                assert!(deployed.host.ends_with("mirubato.com"), "{}", deployed.host);
            }
        }
    }
}
