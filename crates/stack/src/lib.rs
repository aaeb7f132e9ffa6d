//! Boots Mirubato's five workers locally: `wrangler dev` per worker on loopback, local D1, KV,
//! R2, Queues and Durable Objects persisted in one state folder, migrations applied first.
//!
//! `cargo xtask dev` and the black-box tests use this one launcher, so what the tests boot is
//! what a developer runs. Every process lives in its own process group; [`Stack`] kills the
//! groups when dropped, and a watchdog process kills them if the owner dies without dropping
//! it (a killed test run, a timeout).

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The five workers, in start order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Worker {
    Api,
    Sync,
    Scores,
    Dictionary,
    Frontend,
}

impl Worker {
    pub const ALL: [Worker; 5] = [
        Worker::Api,
        Worker::Sync,
        Worker::Scores,
        Worker::Dictionary,
        Worker::Frontend,
    ];

    /// Deploy order: the sync worker before the api that binds it; the app last.
    pub const DEPLOY_ORDER: [Worker; 5] = [
        Worker::Sync,
        Worker::Api,
        Worker::Scores,
        Worker::Dictionary,
        Worker::Frontend,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Worker::Api => "api",
            Worker::Sync => "sync",
            Worker::Scores => "scores",
            Worker::Dictionary => "dictionary",
            Worker::Frontend => "frontend",
        }
    }

    /// The wrangler configuration, relative to the workspace root.
    pub fn config(self) -> String {
        format!("wrangler/{}.toml", self.name())
    }

    /// The D1 database this worker owns, if any. Only its owner touches a database: the sync
    /// worker reaches the api's data through the api (a service binding).
    pub fn owned_database(self) -> Option<&'static str> {
        match self {
            Worker::Api => Some("mirubato-api"),
            Worker::Scores => Some("mirubato-scores"),
            Worker::Dictionary => Some("mirubato-dictionary"),
            Worker::Sync | Worker::Frontend => None,
        }
    }

    /// The port the original system used, the default of `cargo xtask dev`.
    pub fn default_port(self) -> u16 {
        match self {
            Worker::Frontend => 4000,
            Worker::Api => 9797,
            Worker::Scores => 9788,
            Worker::Dictionary => 9799,
            Worker::Sync => 8787,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("{0}")]
    Missing(String),
    #[error("could not {action}: {source}")]
    Io {
        action: String,
        source: std::io::Error,
    },
    #[error("{command} failed with {status}; its output:\n{output}")]
    CommandFailed {
        command: String,
        status: String,
        output: String,
    },
    #[error("{worker} did not become ready within {secs} s; last lines of its log:\n{log}")]
    NotReady {
        worker: &'static str,
        secs: u64,
        log: String,
    },
}

fn io_err(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> StackError {
    let action = action.into();
    move |source| StackError::Io { action, source }
}

/// How to boot a stack.
#[derive(Debug, Clone)]
pub struct StackOptions {
    /// Workspace root (holds `wrangler/`, `node_modules/`, the built workers).
    pub root: PathBuf,
    /// Folder for local state (D1, KV, R2, DO), wrangler's config and the logs.
    pub state_dir: PathBuf,
    /// Host in every URL the workers are told about. One host for all services keeps them
    /// same-site, so cookies flow as they do in production.
    pub host: String,
    /// Port per worker; 0 picks a free one.
    pub ports: Vec<(Worker, u16)>,
    /// `KEY=value` lines given to every worker as secrets (`--env-file`).
    pub secrets_file: Option<PathBuf>,
    /// Apply every D1 migration before starting (turn off only to test an unmigrated database).
    pub apply_migrations: bool,
    /// Extra `KEY:value` vars for one worker, after the ones the stack derives.
    pub extra_vars: Vec<(Worker, String, String)>,
    /// Also print every worker's output, prefixed with its name (for `cargo xtask dev`).
    pub echo_logs: bool,
    /// How long to wait for every worker to answer `/livez`.
    pub ready_timeout: Duration,
    /// Give the scores worker a `BROWSER` (Browser Rendering) binding, served locally by
    /// Miniflare through this machine's Chromium (see [`browser_rendering`]).
    pub browser_rendering: bool,
}

impl StackOptions {
    /// Options for a throw-away stack: every port picked free, host 127.0.0.1.
    pub fn ephemeral(root: impl Into<PathBuf>, state_dir: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            state_dir: state_dir.into(),
            host: "127.0.0.1".into(),
            ports: Worker::ALL.iter().map(|&worker| (worker, 0)).collect(),
            secrets_file: None,
            apply_migrations: true,
            extra_vars: Vec::new(),
            echo_logs: false,
            ready_timeout: Duration::from_secs(120),
            browser_rendering: false,
        }
    }
}

struct Running {
    worker: Worker,
    config: PathBuf,
    port: u16,
    inspector_port: u16,
    vars: Vec<(String, String)>,
    child: Child,
    log_path: PathBuf,
}

/// A running local stack. Dropping it stops every process it started.
pub struct Stack {
    running: Vec<Running>,
    watchdog: Option<Child>,
    host: String,
    state_dir: PathBuf,
    options: StackOptions,
}

impl Stack {
    pub fn port(&self, worker: Worker) -> u16 {
        self.running
            .iter()
            .find(|running| running.worker == worker)
            .map(|running| running.port)
            .unwrap_or_default()
    }

    /// `http://host:port` of a worker.
    pub fn url(&self, worker: Worker) -> String {
        format!("http://{}:{}", self.host, self.port(worker))
    }

    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// Everything a worker has printed so far (its structured request log lines among it).
    pub fn log(&self, worker: Worker) -> String {
        self.running
            .iter()
            .find(|running| running.worker == worker)
            .and_then(|running| fs::read_to_string(&running.log_path).ok())
            .unwrap_or_default()
    }

    /// True while every worker process is still running.
    pub fn is_alive(&mut self) -> bool {
        self.running
            .iter_mut()
            .all(|running| matches!(running.child.try_wait(), Ok(None)))
    }

    /// Stops one worker (to see how the others notice), the way [`shutdown`](Self::shutdown)
    /// stops them all.
    pub fn stop(&mut self, worker: Worker) {
        if let Some(index) = self.index_of(worker) {
            let mut running = self.running.remove(index);
            stop_process(&mut running);
        }
    }

    /// Runs SQL on a worker's own D1 database (for tests that need a state no client can
    /// produce, such as an import whose queue message was lost): stops the worker, since
    /// workerd and wrangler must not share its SQLite files, executes, and starts it again on
    /// the same port with the same configuration. Returns wrangler's output.
    pub fn execute_sql(&mut self, worker: Worker, sql: &str) -> Result<String, StackError> {
        let database = worker.owned_database().ok_or_else(|| {
            StackError::Missing(format!("{} has no database of its own", worker.name()))
        })?;
        let options = self.options.clone();
        self.run_between_restarts(worker, || {
            let mut command = wrangler_command(&options);
            command
                .args(["d1", "execute", database, "--local", "--persist-to"])
                .arg(persist_dir(&options.state_dir, worker))
                .arg("-c")
                .arg(worker.config())
                .args(["--command", sql])
                .stdin(Stdio::null());
            let output = command
                .output()
                .map_err(io_err(format!("run wrangler d1 execute {database}")))?;
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            if !output.status.success() {
                return Err(StackError::CommandFailed {
                    command: format!("wrangler d1 execute {database}"),
                    status: output.status.to_string(),
                    output: text,
                });
            }
            Ok(text)
        })
    }

    /// Stops one worker, runs `while_down`, then starts the worker again on its port with
    /// its configuration, and waits until it answers `/livez`.
    fn run_between_restarts<T>(
        &mut self,
        worker: Worker,
        while_down: impl FnOnce() -> Result<T, StackError>,
    ) -> Result<T, StackError> {
        self.suspend(worker)?;
        let outcome = while_down();
        self.resume(worker)?;
        outcome
    }

    /// Stops one worker's process but keeps its place (port, configuration), so
    /// [`resume`](Self::resume) starts it again as it was: to see how the others cope with a
    /// worker that is down for a while.
    pub fn suspend(&mut self, worker: Worker) -> Result<(), StackError> {
        let index = self
            .index_of(worker)
            .ok_or_else(|| StackError::Missing(format!("{} is not running", worker.name())))?;
        stop_process(&mut self.running[index]);
        Ok(())
    }

    /// Starts a suspended (or stopped-by-restart) worker again on its port with its
    /// configuration, and waits until it answers `/livez`.
    pub fn resume(&mut self, worker: Worker) -> Result<(), StackError> {
        let index = self
            .index_of(worker)
            .ok_or_else(|| StackError::Missing(format!("{} is not running", worker.name())))?;
        let previous = &self.running[index];
        let mut replacement = spawn_worker(
            &self.options,
            worker,
            &previous.config,
            previous.port,
            previous.inspector_port,
            &previous.vars,
        )?;
        let deadline = Instant::now() + self.options.ready_timeout;
        while http_status(replacement.port, "/livez") != Some(200) {
            if Instant::now() > deadline || matches!(replacement.child.try_wait(), Ok(Some(_))) {
                stop_process(&mut replacement);
                return Err(not_ready(&replacement, &self.options));
            }
            thread::sleep(Duration::from_millis(250));
        }
        self.running[index] = replacement;
        self.rewatch()
    }

    fn index_of(&self, worker: Worker) -> Option<usize> {
        self.running
            .iter()
            .position(|running| running.worker == worker)
    }

    /// Replaces the watchdog, which must know the process group of every worker (after a
    /// worker was started again).
    fn rewatch(&mut self) -> Result<(), StackError> {
        if let Some(mut old) = self.watchdog.take() {
            let _ = old.kill();
            let _ = old.wait();
        }
        self.watchdog = Some(spawn_watchdog(self)?);
        Ok(())
    }

    /// Stops every worker: SIGTERM to each process group, SIGKILL after a grace period.
    pub fn shutdown(&mut self) {
        let groups: Vec<u32> = self
            .running
            .iter()
            .map(|running| running.child.id())
            .collect();
        signal_groups("TERM", &groups);
        let deadline = Instant::now() + Duration::from_secs(5);
        for running in &mut self.running {
            while Instant::now() < deadline && matches!(running.child.try_wait(), Ok(None)) {
                thread::sleep(Duration::from_millis(50));
            }
        }
        signal_groups("KILL", &groups);
        for running in &mut self.running {
            let _ = running.child.wait();
        }
        self.running.clear();
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// SIGTERM to the worker's process group, SIGKILL after a grace period.
fn stop_process(running: &mut Running) {
    let group = [running.child.id()];
    signal_groups("TERM", &group);
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline && matches!(running.child.try_wait(), Ok(None)) {
        thread::sleep(Duration::from_millis(50));
    }
    signal_groups("KILL", &group);
    let _ = running.child.wait();
}

fn signal_groups(signal: &str, groups: &[u32]) {
    if groups.is_empty() {
        return;
    }
    let mut kill = Command::new("kill");
    kill.arg(format!("-{signal}")).arg("--");
    for group in groups {
        kill.arg(format!("-{group}"));
    }
    let _ = kill.stdout(Stdio::null()).stderr(Stdio::null()).status();
}

/// Environment for every wrangler process: never prompt, never phone home, shared dev
/// registry (so service bindings resolve between the processes), Node 22 first on PATH.
fn wrangler_command(options: &StackOptions) -> Command {
    let bin = options.root.join("node_modules/.bin");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new(bin.join("wrangler"));
    command
        .current_dir(&options.root)
        .env("PATH", path)
        .env("CI", "true")
        // The bundles are built before a stack starts: skip each config's `[build]`.
        .env("MIRUBATO_PREBUILT", "1")
        .env("WRANGLER_SEND_METRICS", "false")
        .env("DO_NOT_TRACK", "1")
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env("NO_COLOR", "1")
        .env("FORCE_COLOR", "0")
        .env("XDG_CONFIG_HOME", options.state_dir.join("xdg"))
        // Miniflare looks for its Chrome in the cache (see `browser_rendering`).
        .env("XDG_CACHE_HOME", options.state_dir.join("xdg-cache"))
        .env("WRANGLER_LOG_PATH", options.state_dir.join("logs"));
    command
}

/// Chromium builds this machine may have (Debian's real binary first: its `/usr/bin`
/// launcher script reads `/etc/chromium.d`, which may fail under Miniflare's bare env).
const CHROMIUM: [&str; 4] = [
    "/usr/lib/chromium/chromium",
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
];

/// Prepares local Browser Rendering without a download. Miniflare launches the Chrome build
/// it pins from `$XDG_CACHE_HOME/.wrangler/chrome/linux-<version>/chrome-linux64/chrome` and
/// downloads it when missing (impossible offline); this puts a launcher for the system's
/// Chromium there, marked installed. Returns the scores config with the binding added, which
/// lives in the state folder (paths made absolute) so the checked-in config stays as it is.
pub fn browser_rendering(options: &StackOptions) -> Result<PathBuf, StackError> {
    let chosen = std::env::var_os("MIRUBATO_CHROMIUM").map(PathBuf::from);
    let chromium = chosen
        .iter()
        .map(PathBuf::as_path)
        .chain(CHROMIUM.iter().map(Path::new))
        .find(|path| path.exists())
        .ok_or_else(|| {
            StackError::Missing(format!(
                "Browser Rendering needs Chromium ({}): run `cargo xtask setup`",
                CHROMIUM.join(", ")
            ))
        })?;
    let miniflare = options
        .root
        .join("node_modules/miniflare/dist/src/index.js");
    let source =
        fs::read_to_string(&miniflare).map_err(io_err(format!("read {}", miniflare.display())))?;
    let version = source
        .split("BROWSER_VERSION = \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .ok_or_else(|| {
            StackError::Missing(format!(
                "{} no longer names its BROWSER_VERSION",
                miniflare.display()
            ))
        })?;
    let install = options
        .state_dir
        .join("xdg-cache/.wrangler/chrome")
        .join(format!("linux-{version}"));
    let bin = install.join("chrome-linux64");
    fs::create_dir_all(&bin).map_err(io_err(format!("create {}", bin.display())))?;
    let launcher = bin.join("chrome");
    fs::write(
        &launcher,
        format!(
            "#!/bin/sh\nexec {} --no-sandbox \"$@\"\n",
            chromium.display()
        ),
    )
    .map_err(io_err(format!("write {}", launcher.display())))?;
    fs::set_permissions(
        &launcher,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .map_err(io_err(format!("make {} executable", launcher.display())))?;
    let marker = install.join(".miniflare-install-complete");
    fs::write(&marker, "").map_err(io_err(format!("write {}", marker.display())))?;

    let checked_in = options.root.join(Worker::Scores.config());
    let config = fs::read_to_string(&checked_in)
        .map_err(io_err(format!("read {}", checked_in.display())))?;
    let wrangler_dir = options.root.join("wrangler");
    let config = format!(
        "browser = {{ binding = \"BROWSER\" }}\n{}",
        config.replace("\"../", &format!("\"{}/../", wrangler_dir.display()))
    );
    let derived = options.state_dir.join("config").join("scores.toml");
    fs::create_dir_all(options.state_dir.join("config"))
        .map_err(io_err("create the derived config folder"))?;
    fs::write(&derived, config).map_err(io_err(format!("write {}", derived.display())))?;
    Ok(derived)
}

/// Where one worker's local D1, KV, R2 and Durable Object state lives. Each wrangler process
/// gets its own folder: workerd holds its SQLite files without waiting on locks, so two
/// processes sharing one file fail with SQLITE_BUSY.
pub fn persist_dir(state_dir: &Path, worker: Worker) -> PathBuf {
    state_dir.join("data").join(worker.name())
}

/// Applies every D1 migration of every database to the state folder (in parallel: they are
/// separate databases).
pub fn apply_migrations(options: &StackOptions) -> Result<(), StackError> {
    let mut pending = Vec::new();
    for worker in Worker::ALL {
        let Some(database) = worker.owned_database() else {
            continue;
        };
        let mut command = wrangler_command(options);
        command
            .args([
                "d1",
                "migrations",
                "apply",
                database,
                "--local",
                "--persist-to",
            ])
            .arg(persist_dir(&options.state_dir, worker))
            .arg("-c")
            .arg(worker.config())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let child = command.spawn().map_err(io_err(format!(
            "run wrangler d1 migrations apply {database}"
        )))?;
        pending.push((database, child));
    }
    for (database, child) in pending {
        let output = child
            .wait_with_output()
            .map_err(io_err(format!("wait for migrations of {database}")))?;
        if !output.status.success() {
            return Err(StackError::CommandFailed {
                command: format!("wrangler d1 migrations apply {database}"),
                status: output.status.to_string(),
                output: format!(
                    "{}{}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                ),
            });
        }
    }
    Ok(())
}

/// Asks the OS for a free loopback port.
pub fn free_port() -> Result<u16, StackError> {
    Ok(free_ports(1)?[0])
}

/// Picks `count` distinct free loopback ports.
///
/// They come from below the kernel's ephemeral range: a port from inside it could be taken as
/// the local end of some outgoing connection (there are many between wrangler and workerd)
/// in the moment between choosing it and wrangler binding it. The listeners are held until all
/// are chosen, and no port is handed out twice in this process, so stacks booting side by side
/// never collide.
pub fn free_ports(count: usize) -> Result<Vec<u16>, StackError> {
    static HANDED_OUT: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    let mut handed_out = HANDED_OUT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let (low, high) = port_window();
    let span = u64::from(high - low);
    let mut state = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |elapsed| elapsed.as_nanos() as u64)
        ^ u64::from(std::process::id()) << 32
        | 1;
    let mut listeners = Vec::new();
    let mut ports = Vec::new();
    let mut attempts = 0;
    while ports.len() < count {
        attempts += 1;
        if attempts > 10_000 {
            return Err(StackError::Missing(format!(
                "no free loopback port between {low} and {high}"
            )));
        }
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let port = low + (state % span) as u16;
        if handed_out.contains(&port) {
            continue;
        }
        if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)) {
            handed_out.insert(port);
            ports.push(port);
            listeners.push(listener);
        }
    }
    Ok(ports)
}

/// The ports to choose from: the 10,000 just below the ephemeral range (`ip_local_port_range`).
fn port_window() -> (u16, u16) {
    let ephemeral_low = fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| {
            range
                .split_whitespace()
                .next()
                .and_then(|low| low.parse::<u16>().ok())
        })
        .unwrap_or(32_768);
    let high = ephemeral_low.max(12_000);
    (high - 10_000, high)
}

/// Boots the stack and waits until every worker answers `/livez`.
pub fn start(options: &StackOptions) -> Result<Stack, StackError> {
    for worker in Worker::ALL {
        let main = options
            .root
            .join(format!("workers/{}/build/index.js", worker.name()));
        if !main.exists() {
            return Err(StackError::Missing(format!(
                "{} is not built ({} is missing): run `cargo xtask build`",
                worker.name(),
                main.display()
            )));
        }
    }
    if !options.root.join("frontend/dist/index.html").exists() {
        return Err(StackError::Missing(
            "the app is not built (frontend/dist/index.html is missing): run `cargo xtask build`"
                .into(),
        ));
    }
    if !options.root.join("node_modules/.bin/wrangler").exists() {
        return Err(StackError::Missing(
            "wrangler is not installed: run `cargo xtask setup`".into(),
        ));
    }
    let logs = options.state_dir.join("logs");
    fs::create_dir_all(&logs).map_err(io_err(format!("create {}", logs.display())))?;
    if options.apply_migrations {
        apply_migrations(options)?;
    }
    let browser_config = if options.browser_rendering {
        Some(browser_rendering(options)?)
    } else {
        None
    };

    // Every port this stack needs (the workers' own where not fixed, and one inspector port
    // per worker), chosen at once so none collide.
    let mut fresh = free_ports(options.ports.len() * 2)?.into_iter();
    let mut ports = Vec::new();
    let mut inspector_ports = Vec::new();
    for (worker, port) in &options.ports {
        let chosen = fresh.next().unwrap_or_default();
        ports.push((*worker, if *port == 0 { chosen } else { *port }));
        inspector_ports.push(fresh.next().unwrap_or_default());
    }
    let port_of = |worker: Worker| {
        ports
            .iter()
            .find(|(w, _)| *w == worker)
            .map(|(_, port)| *port)
            .unwrap_or_else(|| worker.default_port())
    };
    let host = &options.host;
    let url = |worker: Worker| format!("http://{host}:{}", port_of(worker));
    let frontend_port = port_of(Worker::Frontend);
    let allowed_origins =
        format!("http://localhost:{frontend_port},http://127.0.0.1:{frontend_port}");

    let mut stack = Stack {
        running: Vec::new(),
        watchdog: None,
        host: host.clone(),
        state_dir: options.state_dir.clone(),
        options: options.clone(),
    };
    for (&(worker, port), &inspector_port) in ports.iter().zip(&inspector_ports) {
        let mut vars = vec![("ALLOWED_ORIGINS".to_string(), allowed_origins.clone())];
        match worker {
            Worker::Api | Worker::Dictionary => {
                vars.push(("FRONTEND_URL".into(), url(Worker::Frontend)))
            }
            Worker::Frontend => vars.extend([
                ("API_URL".into(), url(Worker::Api)),
                ("SCORES_URL".into(), url(Worker::Scores)),
                ("DICTIONARY_URL".into(), url(Worker::Dictionary)),
                (
                    "SYNC_URL".into(),
                    format!("ws://{host}:{}/sync/ws", port_of(Worker::Sync)),
                ),
            ]),
            _ => {}
        }
        vars.extend(
            options
                .extra_vars
                .iter()
                .filter(|(w, _, _)| *w == worker)
                .map(|(_, key, value)| (key.clone(), value.clone())),
        );
        let config = match (worker, &browser_config) {
            (Worker::Scores, Some(derived)) => derived.clone(),
            _ => PathBuf::from(worker.config()),
        };
        let running = spawn_worker(options, worker, &config, port, inspector_port, &vars)?;
        stack.running.push(running);
    }
    stack.watchdog = Some(spawn_watchdog(&stack)?);

    let deadline = Instant::now() + options.ready_timeout;
    let mut restarted = false;
    for running in &mut stack.running {
        let mut restarts_left = STARTUP_RESTARTS;
        loop {
            if http_status(running.port, "/livez") == Some(200) {
                break;
            }
            let exited = matches!(running.child.try_wait(), Ok(Some(_)));
            if exited && restarts_left > 0 && Instant::now() < deadline {
                // wrangler occasionally dies while starting on a busy machine (its bundler
                // crashes); a second start of the same worker on the same port succeeds.
                restarts_left -= 1;
                restarted = true;
                let replacement = spawn_worker(
                    options,
                    running.worker,
                    &running.config,
                    running.port,
                    running.inspector_port,
                    &running.vars,
                )?;
                *running = replacement;
                continue;
            }
            if exited || Instant::now() > deadline {
                return Err(not_ready(running, options));
            }
            thread::sleep(Duration::from_millis(250));
        }
    }
    if restarted {
        stack.rewatch()?;
    }
    Ok(stack)
}

/// The error of a worker that did not answer `/livez` in time, with the end of its log.
fn not_ready(running: &Running, options: &StackOptions) -> StackError {
    let log = fs::read_to_string(&running.log_path).unwrap_or_default();
    let tail: Vec<&str> = log.lines().rev().take(40).collect();
    StackError::NotReady {
        worker: running.worker.name(),
        secs: options.ready_timeout.as_secs(),
        log: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
    }
}

/// Times one worker may be started again when wrangler exits during start-up.
const STARTUP_RESTARTS: u32 = 2;

fn spawn_worker(
    options: &StackOptions,
    worker: Worker,
    config: &Path,
    port: u16,
    inspector_port: u16,
    vars: &[(String, String)],
) -> Result<Running, StackError> {
    let log_path = options
        .state_dir
        .join("logs")
        .join(format!("{}.log", worker.name()));
    let mut command = wrangler_command(options);
    command
        .arg("dev")
        .arg("-c")
        .arg(config)
        .args(["--ip", "127.0.0.1", "--port", &port.to_string()])
        .args(["--inspector-port", &inspector_port.to_string()])
        .arg("--persist-to")
        .arg(persist_dir(&options.state_dir, worker))
        .args(["--show-interactive-dev-session=false", "--log-level", "log"])
        // Crons run on request at `/__scheduled`, so tests and operators can trigger them.
        .arg("--test-scheduled");
    if let Some(secrets) = &options.secrets_file {
        command.arg("--env-file").arg(secrets);
    }
    for (key, value) in vars {
        command.arg("--var").arg(format!("{key}:{value}"));
    }
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = command
        .spawn()
        .map_err(io_err(format!("start wrangler dev for {}", worker.name())))?;
    // Appended to, so a restarted worker's log keeps what the failed start printed.
    let log = Arc::new(Mutex::new(
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(io_err(format!("open {}", log_path.display())))?,
    ));
    let prefix = format!("[{:>10}] ", worker.name());
    if let Some(stdout) = child.stdout.take() {
        pump(stdout, Arc::clone(&log), options.echo_logs, prefix.clone());
    }
    if let Some(stderr) = child.stderr.take() {
        pump(stderr, log, options.echo_logs, prefix);
    }
    Ok(Running {
        worker,
        config: config.to_path_buf(),
        port,
        inspector_port,
        vars: vars.to_vec(),
        child,
        log_path,
    })
}

/// Copies a process's output into its log file (and to the console when echoing).
fn pump(stream: impl Read + Send + 'static, log: Arc<Mutex<fs::File>>, echo: bool, prefix: String) {
    thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if let Ok(mut file) = log.lock() {
                let _ = writeln!(file, "{line}");
            }
            if echo {
                println!("{prefix}{line}");
            }
        }
    });
}

/// A shell that waits for this process to die, then kills the stack's process groups: the
/// stack is stopped even when its owner is killed without running destructors.
fn spawn_watchdog(stack: &Stack) -> Result<Child, StackError> {
    let groups: Vec<String> = stack
        .running
        .iter()
        .map(|running| format!("-{}", running.child.id()))
        .collect();
    let groups = groups.join(" ");
    let script = format!(
        "while kill -0 {owner} 2>/dev/null; do sleep 1; done; \
         kill -TERM {groups} 2>/dev/null; sleep 3; kill -KILL {groups} 2>/dev/null",
        owner = std::process::id()
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(io_err("start the stack watchdog"))
}

/// Status of a plain HTTP GET on loopback, or `None` while nothing answers. Short timeouts:
/// wrangler accepts connections while it is still starting and holds them.
pub fn http_status(port: u16, path: &str) -> Option<u16> {
    http_request(port, "GET", path, Duration::from_secs(2))
}

/// Status of an HTTP request without a body on loopback (e.g. a local-only `POST` that seeds
/// data), waiting at most `timeout` for the answer.
pub fn http_request(port: u16, method: &str, path: &str, timeout: Duration) -> Option<u16> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_millis(500)).ok()?;
    stream.set_read_timeout(Some(timeout)).ok()?;
    stream
        .set_write_timeout(Some(Duration::from_secs(2)))
        .ok()?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut status_line = String::new();
    BufReader::new(stream).read_line(&mut status_line).ok()?;
    status_line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_worker_has_a_config_and_distinct_default_port() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut ports: Vec<u16> = Worker::ALL.iter().map(|w| w.default_port()).collect();
        for worker in Worker::ALL {
            assert!(root.join(worker.config()).exists(), "{}", worker.config());
        }
        ports.sort_unstable();
        ports.dedup();
        assert_eq!(ports.len(), Worker::ALL.len());
    }

    #[test]
    fn free_ports_are_free_and_distinct() {
        let port = free_port().unwrap();
        assert!(TcpListener::bind(("127.0.0.1", port)).is_ok());
        assert_eq!(http_status(port, "/livez"), None);
        let mut many = free_ports(10).unwrap();
        many.sort_unstable();
        many.dedup();
        assert_eq!(many.len(), 10);
    }
}
