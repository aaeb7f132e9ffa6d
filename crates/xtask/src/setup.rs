//! Installs, idempotently and only from the package registries, everything the project needs.
//! Each step first checks what is there, so a second run takes seconds.

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use crate::util::{TaskError, TaskResult, exec, locked_version, npm, output, root};

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

pub fn run() -> TaskResult {
    prerequisites()?;
    wasm_target()?;
    cargo_tool(
        "wasm-bindgen-cli",
        "wasm-bindgen",
        &locked_version("wasm-bindgen")?,
    )?;
    // worker-build must match the `worker` crate it builds.
    cargo_tool("worker-build", "worker-build", &locked_version("worker")?)?;
    node_packages()?;
    node_runtime()?;
    local_secrets()
}

/// `.dev.vars` from `.dev.vars.example` on first run, and a link to it beside the wrangler
/// configs, where plain `wrangler dev -c wrangler/<worker>.toml` looks for it.
fn local_secrets() -> TaskResult {
    let secrets = root().join(".dev.vars");
    if !secrets.exists() {
        fs::copy(root().join(".dev.vars.example"), &secrets)?;
        println!("created .dev.vars from .dev.vars.example (local secrets; never commit it)");
    }
    let beside_configs = root().join("wrangler/.dev.vars");
    if fs::symlink_metadata(&beside_configs).is_err() {
        std::os::unix::fs::symlink("../.dev.vars", &beside_configs)?;
    }
    Ok(())
}

/// What only the browser tests, the local Browser Rendering and the metronome bench need.
pub fn browser() -> TaskResult {
    chromium()
}

/// Where `cargo install` puts binaries.
pub fn cargo_bin(name: &str) -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"));
    home.join("bin").join(name)
}

/// What setup cannot install itself, each named with how to get it.
fn prerequisites() -> TaskResult {
    if output(Command::new("rustup").arg("--version")).is_none() {
        return Err(TaskError::Message(
            "rustup is missing: install it from https://rustup.rs (it adds the wasm32 target)"
                .into(),
        ));
    }
    if output(npm().arg("--version")).is_none() {
        return Err(TaskError::Message(
            "npm is missing: install Node.js (any version; it brings npm) from https://nodejs.org \
             or your package manager"
                .into(),
        ));
    }
    Ok(())
}

/// The oldest Node that wrangler runs on.
const NODE_MAJOR_MINOR: (u32, u32) = (22, 12);

/// The pinned Node package for this platform (Linux x64/arm64, macOS x64), or the system's
/// when it is new enough (macOS arm64 has no Node 22 package on npm).
fn node_runtime() -> TaskResult {
    if root().join("node_modules/.bin/node").exists() {
        return Ok(());
    }
    let version = output(Command::new("node").arg("--version")).unwrap_or_default();
    let mut parts = version
        .trim_start_matches('v')
        .split('.')
        .map(|part| part.parse::<u32>().unwrap_or(0));
    let found = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if found >= NODE_MAJOR_MINOR {
        return Ok(());
    }
    Err(TaskError::Message(format!(
        "wrangler needs Node {}.{} or newer and this platform has no pinned Node package (found \
         {}): install Node 22 (e.g. `brew install node@22`, or from https://nodejs.org)",
        NODE_MAJOR_MINOR.0,
        NODE_MAJOR_MINOR.1,
        if version.is_empty() { "none" } else { &version }
    )))
}

fn wasm_target() -> TaskResult {
    let installed =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed.lines().any(|line| line.trim() == WASM_TARGET) {
        return Ok(());
    }
    exec(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

/// Installs a cargo binary at exactly `version` unless that version is already there.
/// (`--locked` is not used: wasm-bindgen-cli's own lock pins a crate missing from the index.)
fn cargo_tool(package: &str, binary: &str, version: &str) -> TaskResult {
    let bin = cargo_bin(binary);
    let current = output(Command::new(&bin).arg("--version")).unwrap_or_default();
    if current.split_whitespace().any(|word| word == version) {
        return Ok(());
    }
    println!("installing {package} {version} (a few minutes, once per machine)");
    exec(Command::new("cargo").args(["install", package, "--version", &format!("={version}")]))
}

/// Installs the locked Node packages when node_modules does not match package-lock.json.
/// The Node runtime packages are optional and per platform: npm installs the one that runs here.
/// `npm install` rather than `npm ci`: the registry here lacks workerd's macOS and Windows
/// builds, so the lock cannot list them and `npm ci` would refuse it; `npm install` follows
/// the lock for everything it lists and leaves it unchanged.
fn node_packages() -> TaskResult {
    let lock = root().join("package-lock.json");
    let installed_copy = root().join("node_modules/.mirubato-package-lock.json");
    let wanted = fs::read(&lock)?;
    if fs::read(&installed_copy).ok().as_deref() == Some(wanted.as_slice())
        && root().join("node_modules/.bin/wrangler").exists()
    {
        return Ok(());
    }
    exec(npm().args(["install", "--no-audit", "--no-fund"]))?;
    fs::write(&installed_copy, wanted)?;
    Ok(())
}

pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Debian's Chromium for the browser tests (Playwright cannot download its own here), or the
/// one `MIRUBATO_CHROMIUM` names.
fn chromium() -> TaskResult {
    if let Some(chosen) = std::env::var_os("MIRUBATO_CHROMIUM") {
        return if PathBuf::from(&chosen).exists() {
            Ok(())
        } else {
            Err(TaskError::Message(format!(
                "MIRUBATO_CHROMIUM names {}, which does not exist",
                PathBuf::from(chosen).display()
            )))
        };
    }
    if PathBuf::from(CHROMIUM).exists() {
        return Ok(());
    }
    if output(Command::new("apt-get").arg("--version")).is_none() {
        return Err(TaskError::Message(format!(
            "the browser tests need Chromium: install it (macOS: `brew install --cask chromium`) \
             and set MIRUBATO_CHROMIUM to its executable, or put it at {CHROMIUM}"
        )));
    }
    let is_root = output(Command::new("id").arg("-u")).as_deref() == Some("0");
    let apt = |args: &[&str]| {
        let mut command = if is_root {
            Command::new("apt-get")
        } else {
            let mut sudo = Command::new("sudo");
            sudo.arg("apt-get");
            sudo
        };
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        command
    };
    exec(&mut apt(&["update", "-q"]))?;
    exec(&mut apt(&[
        "install",
        "-y",
        "-q",
        "--no-install-recommends",
        "chromium",
    ]))?;
    if PathBuf::from(CHROMIUM).exists() {
        Ok(())
    } else {
        Err(TaskError::Message(format!(
            "chromium was installed but {CHROMIUM} is missing"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `npm install` works on every supported platform only if nothing built for one OS or CPU
    /// is a hard dependency.
    #[test]
    fn no_platform_locked_package_is_a_hard_dependency() {
        let lock: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(root().join("package-lock.json")).unwrap())
                .unwrap();
        let packages = lock["packages"].as_object().expect("lockfile v3 packages");
        let locked: Vec<&String> = packages
            .iter()
            .filter(|(_, package)| {
                let platform_bound = package.get("os").is_some() || package.get("cpu").is_some();
                platform_bound && package["optional"] != true
            })
            .map(|(path, _)| path)
            .collect();
        assert!(
            locked.is_empty(),
            "platform-locked hard dependencies: {locked:?}"
        );
        let node_runtimes = packages
            .keys()
            .filter(|path| path.starts_with("node_modules/node-"))
            .count();
        assert!(
            node_runtimes >= 3,
            "the per-platform Node runtimes are in the lock"
        );
    }
}
