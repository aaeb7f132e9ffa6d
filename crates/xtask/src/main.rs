//! `cargo xtask …`: the only entry points a person needs.
//!
//! - `setup`  installs the toolchain pieces (idempotent; seconds when all is present)
//! - `build`  builds the app and the five workers, skipping what has not changed
//! - `dev`    runs all five workers locally with migrated, seeded state
//! - `test`   every check and suite, ending with one summary line
//! - `deploy` deploys all five workers gradually with health checks (`--dry-run` prints the plan)
//! - `rollback` returns the workers to their previous versions
//! - `backup` / `restore`  exports every D1 database / loads an export into fresh databases
//! - `import-original`  brings the original Mirubato's D1 exports and R2 objects across
//! - `bench`  measures the sync engine against a fresh local stack, and the metronome's click
//!   timing in Chromium (docs/PERFORMANCE.md)

mod backup;
mod build;
mod d1;
mod deploy;
mod dev;
#[cfg(test)]
mod docs_check;
mod import;
mod setup;
mod test;
mod util;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Mirubato's build, run, test and deploy tasks"
)]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Install the wasm32 target, wasm-bindgen CLI, worker-build, Node packages and (for the
    /// browser tests) Chromium.
    Setup,
    /// Build the app (frontend/dist) and the five workers (release WASM), skipping what is unchanged.
    Build(build::BuildArgs),
    /// Run all five workers locally on loopback with migrated, seeded state.
    Dev(dev::DevArgs),
    /// Run every check and test suite.
    Test(test::TestArgs),
    /// Deploy all five workers with wrangler.
    Deploy(deploy::DeployArgs),
    /// Return every worker (or one) to the version it served before its last deployment.
    Rollback(deploy::RollbackArgs),
    /// Export every D1 database (local state or a deployed environment) to a timestamped folder.
    Backup(backup::BackupArgs),
    /// Load a backup folder into fresh databases (refused when its schema does not match).
    Restore(backup::RestoreArgs),
    /// Bring the original Mirubato's data across: its D1 exports and R2 objects, into our
    /// schema (idempotent; `--dry-run` lists what would be written and every rejected row).
    ImportOriginal(import::ImportArgs),
    /// Benchmark the sync engine against a fresh local stack; writes docs/PERFORMANCE.md.
    Bench,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Task::Setup => setup::run().and_then(|()| setup::browser()),
        Task::Build(args) => setup::run().and_then(|()| build::run(args)),
        Task::Dev(args) => dev::run(args),
        Task::Test(args) => test::run(args),
        Task::Deploy(args) => deploy::run(args),
        Task::Rollback(args) => deploy::rollback(args),
        Task::Backup(args) => backup::backup(args),
        Task::Restore(args) => backup::restore(args),
        Task::ImportOriginal(args) => import::run(args),
        Task::Bench => setup::run()
            .and_then(|()| setup::browser())
            .and_then(|()| build::run(build::BuildArgs::default()))
            .and_then(|()| {
                util::exec(util::cargo().args(["run", "-p", "mirubato-blackbox", "--bin", "bench"]))
            })
            // The metronome's click timing, in Chromium (docs/PERFORMANCE.md, bench:metronome).
            .and_then(|()| {
                util::exec(util::npm().args(["run", "bench:metronome", "-w", "frontend"]))
            }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: {err}");
            ExitCode::FAILURE
        }
    }
}
