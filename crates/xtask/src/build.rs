//! Builds the app and the five workers. Unchanged pieces are not rebuilt: the app when no
//! input is newer than its last build, a worker when its compiled WASM is byte-identical to
//! the one its last bundle came from.

use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use flate2::Compression;
use flate2::write::GzEncoder;
use mirubato_stack::Worker;

use crate::setup::{WASM_TARGET, cargo_bin};
use crate::util::{TaskResult, cargo, exec, node_path, npm, root};

#[derive(clap::Args, Default)]
pub struct BuildArgs {
    /// Build only this worker (api, sync, scores, dictionary or frontend; the frontend with
    /// its app). What each `wrangler/<worker>.toml` runs as its `[build]` command.
    #[arg(long, value_parser = parse_worker)]
    pub worker: Option<Worker>,
}

pub(crate) fn parse_worker(name: &str) -> Result<Worker, String> {
    Worker::ALL
        .into_iter()
        .find(|worker| worker.name() == name)
        .ok_or_else(|| {
            format!(
                "unknown worker {name:?} (one of {})",
                Worker::ALL.map(Worker::name).join(", ")
            )
        })
}

pub fn run(args: BuildArgs) -> TaskResult {
    match args.worker {
        Some(Worker::Frontend) => app().and_then(|()| worker_bundle(Worker::Frontend)),
        Some(worker) => worker_bundle(worker),
        None => {
            app()?;
            for worker in Worker::ALL {
                worker_bundle(worker)?;
            }
            Ok(())
        }
    }
}

/// Builds `frontend/dist` when any input changed since the last build.
pub fn app() -> TaskResult {
    let frontend = root().join("frontend");
    let stamp = frontend.join("dist/.build-stamp");
    let built_at = fs::metadata(&stamp).and_then(|meta| meta.modified()).ok();
    let inputs = [
        frontend.join("src"),
        frontend.join("public"),
        frontend.join("index.html"),
        frontend.join("package.json"),
        frontend.join("vite.config.ts"),
        frontend.join("tsconfig.json"),
        root().join("package-lock.json"),
    ];
    let newest = inputs.iter().filter_map(|path| newest_mtime(path)).max();
    if let (Some(built), Some(newest)) = (built_at, newest)
        && newest <= built
    {
        return Ok(());
    }
    exec(npm().args(["run", "build", "-w", "frontend"]))?;
    fs::write(stamp, b"")?;
    Ok(())
}

fn newest_mtime(path: &Path) -> Option<SystemTime> {
    let meta = fs::metadata(path).ok()?;
    if meta.is_file() {
        return meta.modified().ok();
    }
    fs::read_dir(path)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| newest_mtime(&entry.path()))
        .max()
}

fn crate_dir(worker: Worker) -> PathBuf {
    root().join("workers").join(worker.name())
}

/// The WASM that cargo writes for a worker crate.
fn compiled_wasm(worker: Worker) -> PathBuf {
    root()
        .join("target")
        .join(WASM_TARGET)
        .join("release")
        .join(format!("mirubato_{}.wasm", worker.name()))
}

/// Compiles a worker and, if its WASM changed, bundles it with worker-build (wasm-bindgen,
/// wasm-opt, esbuild) into `workers/<name>/build/`.
pub fn worker_bundle(worker: Worker) -> TaskResult {
    // The same cargo invocation worker-build makes, so its own build step is a no-op.
    exec(cargo().current_dir(crate_dir(worker)).args([
        "build",
        "--lib",
        "--release",
        "--target",
        WASM_TARGET,
    ]))?;
    let fingerprint = {
        let mut hasher = DefaultHasher::new();
        fs::read(compiled_wasm(worker))?.hash(&mut hasher);
        format!("{:016x}", hasher.finish())
    };
    let stamp = crate_dir(worker).join("build/.source-wasm-hash");
    let bundle = crate_dir(worker).join("build/index.js");
    if bundle.exists() && fs::read_to_string(&stamp).ok() == Some(fingerprint.clone()) {
        return Ok(());
    }
    exec(
        std::process::Command::new(cargo_bin("worker-build"))
            .current_dir(crate_dir(worker))
            .env("PATH", node_path())
            .env("WASM_BINDGEN_BIN", cargo_bin("wasm-bindgen"))
            .env("WASM_OPT_BIN", root().join("node_modules/.bin/wasm-opt"))
            .args(["--release", "."]),
    )?;
    fs::write(stamp, fingerprint)?;
    Ok(())
}

/// Raw and gzipped size of a worker's upload (its JS glue and WASM).
pub fn bundle_size(worker: Worker) -> TaskResult<(u64, u64)> {
    let dir = crate_dir(worker).join("build");
    let mut raw = 0;
    let mut gzipped = 0;
    for entry in fs::read_dir(&dir)? {
        let path = entry?.path();
        // The bundle wrangler uploads: the JS glue and the WASM (not the shim alias).
        let is_upload = matches!(
            path.extension().and_then(|ext| ext.to_str()),
            Some("js" | "wasm")
        );
        if !path.is_file() || !is_upload {
            continue;
        }
        let bytes = fs::read(&path)?;
        raw += bytes.len() as u64;
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(&bytes)?;
        gzipped += encoder.finish()?.len() as u64;
    }
    Ok((raw, gzipped))
}
