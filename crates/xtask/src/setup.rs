//! Installs, idempotently and only from the package registries, everything the project needs.
//! Each step first checks what is there, so a second run takes seconds.

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use crate::util::{TaskError, TaskResult, exec, locked_version, npm, output, root};

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

pub fn run() -> TaskResult {
    wasm_target()?;
    cargo_tool(
        "wasm-bindgen-cli",
        "wasm-bindgen",
        &locked_version("wasm-bindgen")?,
    )?;
    // worker-build must match the `worker` crate it builds.
    cargo_tool("worker-build", "worker-build", &locked_version("worker")?)?;
    node_packages()?;
    chromium()?;
    Ok(())
}

/// Where `cargo install` puts binaries.
pub fn cargo_bin(name: &str) -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"));
    home.join("bin").join(name)
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

/// Debian's Chromium for the browser tests (Playwright cannot download its own here).
fn chromium() -> TaskResult {
    if PathBuf::from(CHROMIUM).exists() {
        return Ok(());
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
