//! The black-box test harness: boots the real local stack (`wrangler dev` for all five
//! workers, local D1/KV/R2/Queues/DO) with a fresh state folder on free loopback ports, and
//! tears it down however the test ends.
//!
//! - [`shared`] is one stack per test binary, booted on first use; tests in a binary share it
//!   (they use distinct users and ids). It stops when the binary exits: the launcher's
//!   watchdog kills it once the test process is gone.
//! - [`spawn_stack_with`] boots a private stack (for tests that need different settings);
//!   dropping it, also while unwinding from a panic or a timeout, stops it.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

pub use mirubato_stack::{Stack, StackOptions, Worker};

pub mod pdfs;
pub mod session;
pub mod site;
pub mod socket;

/// The Google client id the stack's api is configured with.
pub const GOOGLE_CLIENT_ID: &str = "mirubato-test.apps.googleusercontent.com";

/// The one administrator of the test stacks' dictionary (its `ADMIN_EMAILS`).
pub const DICTIONARY_ADMIN_EMAIL: &str = "dictionary-admin@example.com";

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// A fresh, empty state folder for one stack of this test binary.
fn fresh_state_dir(label: &str) -> PathBuf {
    let binary = std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "tests".into());
    // Strip cargo's hash suffix so reruns reuse (and wipe) the same folder.
    let binary = binary.split('-').next().unwrap_or("tests").to_string();
    let dir = root()
        .join("target/blackbox")
        .join(format!("{binary}-{label}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap_or_else(|err| panic!("create {}: {err}", dir.display()));
    dir
}

/// Random secrets for this run, handed to every worker as `--env-file`.
fn write_secrets(state_dir: &Path) -> PathBuf {
    let path = state_dir.join("secrets.env");
    let mut lines = String::new();
    for name in ["JWT_SECRET", "MAGIC_LINK_SECRET", "SERVICE_SECRET"] {
        lines.push_str(&format!("{name}={}\n", random_hex(32)));
    }
    fs::write(&path, lines).unwrap_or_else(|err| panic!("write {}: {err}", path.display()));
    path
}

pub fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    fs::File::open("/dev/urandom")
        .and_then(|mut file| file.read_exact(&mut buffer))
        .unwrap_or_else(|err| panic!("read /dev/urandom: {err}"));
    buffer.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Options every test stack starts from: free ports, fresh random secrets, and the api
/// pointed at the local "Google" key server.
fn test_options(state_dir: &Path) -> StackOptions {
    let mut options = StackOptions::ephemeral(root(), state_dir);
    options.secrets_file = Some(write_secrets(state_dir));
    options.extra_vars = vec![
        (
            Worker::Api,
            "GOOGLE_CLIENT_ID".into(),
            GOOGLE_CLIENT_ID.into(),
        ),
        (
            Worker::Api,
            "GOOGLE_JWKS_URL".into(),
            google_jwks_url().into(),
        ),
        (
            Worker::Dictionary,
            "ADMIN_EMAILS".into(),
            DICTIONARY_ADMIN_EMAIL.into(),
        ),
    ];
    options
}

/// A secret the given stack's workers were started with.
pub fn stack_secret(stack: &Stack, name: &str) -> String {
    let file = stack.state_dir().join("secrets.env");
    let text =
        fs::read_to_string(&file).unwrap_or_else(|err| panic!("read {}: {err}", file.display()));
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("{name} is not in {}", file.display()))
        .to_string()
}

/// A loopback stand-in for Google's key endpoint, serving the test key set
/// (`crates/core/testdata/google-test-jwks.json`), started once per test binary.
pub fn google_jwks_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|err| panic!("bind JWKS server: {err}"));
        let port = listener.local_addr().map(|addr| addr.port()).unwrap_or_default();
        let jwks = fs::read_to_string(root().join("crates/core/testdata/google-test-jwks.json"))
            .unwrap_or_else(|err| panic!("read test JWKS: {err}"));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(&stream);
                // Read the request head; the answer is the same for any path.
                let mut line = String::new();
                while reader.read_line(&mut line).map(|n| n > 2).unwrap_or(false) {
                    line.clear();
                }
                let mut stream = &stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: public, max-age=300\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{jwks}",
                    jwks.len()
                );
            }
        });
        format!("http://127.0.0.1:{port}/oauth2/v3/certs")
    })
}

/// Boots a private stack after letting `configure` adjust the options.
pub fn spawn_stack_with(configure: impl FnOnce(&mut StackOptions)) -> Stack {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let label = format!("private{}", COUNTER.fetch_add(1, Ordering::SeqCst));
    let state_dir = fresh_state_dir(&label);
    let mut options = test_options(&state_dir);
    configure(&mut options);
    mirubato_stack::start(&options).unwrap_or_else(|err| panic!("local stack did not start: {err}"))
}

/// Boots a private stack with the default options.
pub fn spawn_stack() -> Stack {
    spawn_stack_with(|_| {})
}

/// The stack shared by every test of this binary.
pub fn shared() -> &'static Stack {
    static SHARED: OnceLock<Stack> = OnceLock::new();
    SHARED.get_or_init(|| {
        let state_dir = fresh_state_dir("shared");
        mirubato_stack::start(&test_options(&state_dir))
            .unwrap_or_else(|err| panic!("local stack did not start: {err}"))
    })
}

/// An HTTP client for tests: no redirects followed (tests check them), short timeouts.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap_or_else(|err| panic!("build HTTP client: {err}"))
}

/// Runs `cargo xtask <args>` in the workspace, one at a time per test binary (each runs setup
/// and may build, which share files); returns whether it succeeded and its whole output.
pub fn xtask(args: &[&str]) -> (bool, String) {
    static XTASK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = XTASK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let output = std::process::Command::new(env!("CARGO"))
        .current_dir(root())
        .arg("xtask")
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("run cargo xtask: {err}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// The JSON log line of `worker` that contains every needle, waiting up to ten seconds for it
/// (log lines are written as the request finishes, and events after it).
pub async fn log_line(stack: &Stack, worker: Worker, needles: &[&str]) -> serde_json::Value {
    for _ in 0..100 {
        let log = stack.log(worker);
        if let Some(line) = log
            .lines()
            .find(|line| needles.iter().all(|needle| line.contains(needle)))
        {
            let start = line.find('{').expect("a JSON log line");
            return serde_json::from_str(&line[start..]).expect("log line is JSON");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no {worker:?} log line with {needles:?}");
}

/// Waits, when needed, until at least `margin_secs` remain in the current fixed window of
/// `window_secs` (windows start at multiples of their length since the epoch), so a test
/// that counts requests against one window does not straddle two.
pub async fn await_window_with_room(window_secs: u64, margin_secs: u64) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| since.as_secs_f64())
        .unwrap_or_default();
    let left = window_secs as f64 - now % window_secs as f64;
    if left < margin_secs as f64 {
        tokio::time::sleep(std::time::Duration::from_secs_f64(left + 0.1)).await;
    }
}

/// A real PCM WAV: a 440 Hz tone, 8 kHz mono 16-bit.
pub fn wav(samples: usize) -> Vec<u8> {
    let data_len = (samples * 2) as u32;
    let mut out = Vec::with_capacity(44 + samples * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&8000u32.to_le_bytes());
    out.extend_from_slice(&16000u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for n in 0..samples {
        let phase = n as f64 * 440.0 * std::f64::consts::TAU / 8000.0;
        out.extend_from_slice(&((phase.sin() * 8000.0) as i16).to_le_bytes());
    }
    out
}

/// Sends a request to the shared stack's scores worker (as `session`, or anonymously from a
/// client address of its own, so per-address limits never join two tests) and returns status
/// and JSON body.
pub async fn call_scores(
    session: Option<&session::Session>,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    session::call_json(
        format!("{}{path}", shared().url(Worker::Scores)),
        session,
        method,
        body,
        |request| request.header("X-Forwarded-For", session::unique_client_ip()),
    )
    .await
}
