//! The app in a real browser: the Playwright suite in `frontend/e2e` (headless Debian
//! Chromium) against the local stack this harness boots.

use std::process::Command;

use mirubato_blackbox::{Worker, root, shared};

#[test]
fn playwright_suite_passes_against_the_local_stack() {
    let stack = shared();
    let path = format!(
        "{}:{}",
        root().join("node_modules/.bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let status = Command::new("npm")
        .current_dir(root())
        .env("PATH", path)
        .env("MIRUBATO_BASE_URL", stack.url(Worker::Frontend))
        .args(["run", "e2e", "-w", "frontend"])
        .status()
        .expect("run the Playwright suite");
    assert!(status.success(), "Playwright suite failed ({status})");
}
