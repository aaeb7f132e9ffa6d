//! `cargo xtask dev`: all five workers on loopback with migrated local state, until Ctrl-C.

use std::fs;
use std::sync::mpsc;
use std::time::Duration;

use mirubato_stack::{StackOptions, Worker, http_request, start};

use crate::util::{TaskError, TaskResult, root};
use crate::{build, setup};

#[derive(clap::Args)]
pub struct DevArgs {
    /// Start from empty local state (the default keeps data between runs).
    #[arg(long)]
    fresh: bool,
    #[arg(long, default_value_t = Worker::Frontend.default_port())]
    frontend_port: u16,
    #[arg(long, default_value_t = Worker::Api.default_port())]
    api_port: u16,
    #[arg(long, default_value_t = Worker::Scores.default_port())]
    scores_port: u16,
    #[arg(long, default_value_t = Worker::Dictionary.default_port())]
    dictionary_port: u16,
    #[arg(long, default_value_t = Worker::Sync.default_port())]
    sync_port: u16,
    /// Give the scores worker a local Browser Rendering binding, served with this machine's
    /// Chromium (IMSLP work pages are then read as a browser renders them).
    #[arg(long)]
    browser_rendering: bool,
}

pub fn run(args: DevArgs) -> TaskResult {
    setup::run()?;
    if args.browser_rendering {
        setup::browser()?;
    }
    build::run(build::BuildArgs::default())?;
    let state_dir = root().join(".state/dev");
    if args.fresh && state_dir.exists() {
        fs::remove_dir_all(&state_dir)?;
    }
    let secrets = root().join(".dev.vars");

    let mut options = StackOptions::ephemeral(root(), &state_dir);
    options.host = "localhost".into();
    options.ports = vec![
        (Worker::Api, args.api_port),
        (Worker::Sync, args.sync_port),
        (Worker::Scores, args.scores_port),
        (Worker::Dictionary, args.dictionary_port),
        (Worker::Frontend, args.frontend_port),
    ];
    options.secrets_file = Some(secrets);
    options.echo_logs = true;
    options.ready_timeout = Duration::from_secs(180);
    options.browser_rendering = args.browser_rendering;

    let (stop_tx, stop_rx) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    })
    .map_err(|err| TaskError::Message(format!("cannot handle Ctrl-C: {err}")))?;

    println!(
        "starting the five workers (state in {})",
        state_dir.display()
    );
    let mut stack = start(&options)?;
    // The scores worker engraves and imports its seed library (idempotent, local only).
    match http_request(
        stack.port(Worker::Scores),
        "POST",
        "/api/dev/seed",
        Duration::from_secs(60),
    ) {
        Some(200) => println!("seed scores imported (processing in the background)"),
        other => println!("warning: seeding the scores library answered {other:?}"),
    }
    println!("\nMirubato is running:");
    for worker in Worker::ALL {
        println!("  {:<10} {}", worker.name(), stack.url(worker));
    }
    println!(
        "  sync socket ws://localhost:{}/sync/ws",
        stack.port(Worker::Sync)
    );
    println!("Press Ctrl-C to stop.\n");

    loop {
        if stop_rx.recv_timeout(Duration::from_secs(1)).is_ok() {
            println!("\nstopping…");
            stack.shutdown();
            return Ok(());
        }
        if !stack.is_alive() {
            stack.shutdown();
            return Err(TaskError::Message(
                "a worker exited; see its output above".into(),
            ));
        }
    }
}
