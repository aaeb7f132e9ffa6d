//! `cargo xtask test`: every check and suite, then one summary line.
//!
//! Steps run in order; a failed step does not stop independent later ones, but nothing that
//! needs the build runs after a failed build.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::thread;
use std::time::Instant;

use crate::util::{TaskError, TaskResult, cargo, describe, npm};
use crate::{build, setup};

#[derive(clap::Args)]
pub struct TestArgs {
    /// Skip formatting and clippy (for a quick local loop; CI never skips them).
    #[arg(long)]
    no_lint: bool,
}

const NATIVE_PACKAGES: [&str; 4] = [
    "mirubato-core",
    "mirubato-stack",
    "xtask",
    "mirubato-blackbox",
];
const WASM_PACKAGES: [&str; 7] = [
    "mirubato-core",
    "mirubato-edge",
    "mirubato-frontend",
    "mirubato-api",
    "mirubato-scores",
    "mirubato-dictionary",
    "mirubato-sync",
];

/// Core's TypeScript bindings for the web app, checked against `frontend/src/generated` by a
/// unit test that only exists with this feature.
const CORE_TS_FEATURE: &str = "mirubato-core/ts";

/// Tests counted in one step's output.
#[derive(Default, Clone, Copy)]
struct Counts {
    passed: u64,
    failed: u64,
}

struct StepResult {
    name: &'static str,
    ok: bool,
    counts: Counts,
    secs: f64,
}

pub fn run(args: TestArgs) -> TaskResult {
    let mut results = Vec::new();
    let mut step = |name: &'static str, action: &mut dyn FnMut() -> TaskResult<Counts>| {
        println!("\n==> {name}");
        let started = Instant::now();
        let outcome = action();
        if let Err(err) = &outcome {
            eprintln!("step {name} failed: {err}");
        }
        let ok = outcome.is_ok();
        results.push(StepResult {
            name,
            ok,
            counts: outcome.unwrap_or_default(),
            secs: started.elapsed().as_secs_f64(),
        });
        ok
    };

    // Chromium too: the black-box suite drives the app in it.
    let setup_all = || setup::run().and_then(|()| setup::browser());
    if !step("setup", &mut || setup_all().map(|()| Counts::default())) {
        return summarize(&results);
    }
    if !args.no_lint {
        step("fmt", &mut || {
            checked(cargo().args(["fmt", "--all", "--", "--check"]))
        });
        step("clippy (native)", &mut || {
            let mut command = cargo();
            command.arg("clippy").arg("--all-targets");
            for package in NATIVE_PACKAGES {
                command.args(["-p", package]);
            }
            // The TypeScript bindings check is compiled only with core's `ts` feature.
            command.args(["--features", CORE_TS_FEATURE]);
            checked(command.args(["--", "-D", "warnings"]))
        });
        step("clippy (wasm32)", &mut || {
            let mut command = cargo();
            command.args(["clippy", "--target", setup::WASM_TARGET]);
            for package in WASM_PACKAGES {
                command.args(["-p", package]);
            }
            checked(command.args(["--", "-D", "warnings"]))
        });
    }
    step("unit tests (core, stack, xtask)", &mut || {
        counted(cargo().args([
            "test",
            "-p",
            "mirubato-core",
            "-p",
            "mirubato-stack",
            "-p",
            "xtask",
            "--features",
            CORE_TS_FEATURE,
        ]))
    });
    let built = step("build (app + release WASM)", &mut || {
        build::run(build::BuildArgs::default()).map(|()| Counts::default())
    });
    step("frontend unit tests (vitest)", &mut || {
        counted(npm().args(["test", "-w", "frontend"]))
    });
    if built {
        step("black-box tests (local stack)", &mut || {
            counted(cargo().args([
                "test",
                "-p",
                "mirubato-blackbox",
                "--no-fail-fast",
                "--",
                "--nocapture",
            ]))
        });
    }
    summarize(&results)
}

fn summarize(results: &[StepResult]) -> TaskResult {
    println!(
        "\n{:<34} {:>6} {:>8} {:>8}",
        "step", "result", "tests", "seconds"
    );
    let mut total = Counts::default();
    for result in results {
        total.passed += result.counts.passed;
        total.failed += result.counts.failed;
        println!(
            "{:<34} {:>6} {:>8} {:>8.1}",
            result.name,
            if result.ok { "ok" } else { "FAILED" },
            result.counts.passed + result.counts.failed,
            result.secs
        );
    }
    let failed_steps: Vec<&str> = results.iter().filter(|r| !r.ok).map(|r| r.name).collect();
    // The closing line CI reads: tests passed and failed across every suite.
    println!("xtask: {} passed, {} failed", total.passed, total.failed);
    if failed_steps.is_empty() {
        Ok(())
    } else {
        Err(TaskError::Message(format!(
            "failed steps: {}",
            failed_steps.join(", ")
        )))
    }
}

fn checked(command: &mut Command) -> TaskResult<Counts> {
    crate::util::exec(command).map(|()| Counts::default())
}

/// Runs a test command, echoing its output, and counts the tests its runner reports:
/// cargo's `test result: … N passed; M failed` lines, Vitest's `Tests  N passed` line and
/// Playwright's closing `N passed (12.3s)` / `N failed` lines.
fn counted(command: &mut Command) -> TaskResult<Counts> {
    let text = describe(command);
    println!("$ {text}");
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| TaskError::Spawn {
            command: text.clone(),
            source,
        })?;
    let stderr = child.stderr.take().map(|stderr| {
        thread::spawn(move || {
            let mut counts = Counts::default();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("{line}");
                add_counts(&mut counts, &line);
            }
            counts
        })
    });
    let mut counts = Counts::default();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("{line}");
            add_counts(&mut counts, &line);
        }
    }
    if let Some(handle) = stderr
        && let Ok(more) = handle.join()
    {
        counts.passed += more.passed;
        counts.failed += more.failed;
    }
    let status = child.wait()?;
    if status.success() {
        Ok(counts)
    } else {
        Err(TaskError::Failed {
            command: text,
            status: status.to_string(),
        })
    }
}

fn add_counts(counts: &mut Counts, line: &str) {
    let line = strip_ansi(line);
    let trimmed = line.trim();
    let playwright = trimmed
        .split_whitespace()
        .collect::<Vec<_>>()
        .get(..2)
        .is_some_and(|pair| {
            pair[0].parse::<u64>().is_ok() && matches!(pair[1], "passed" | "failed")
        });
    let is_summary =
        trimmed.starts_with("test result:") || trimmed.starts_with("Tests ") || playwright;
    if !is_summary {
        return;
    }
    let words: Vec<&str> = trimmed
        .split(|c: char| c.is_whitespace() || matches!(c, ';' | ',' | '|' | '(' | ')'))
        .filter(|word| !word.is_empty())
        .collect();
    for pair in words.windows(2) {
        if let Ok(number) = pair[0].parse::<u64>() {
            match pair[1] {
                "passed" => counts.passed += number,
                "failed" => counts.failed += number,
                _ => {}
            }
        }
    }
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // Skip to the end of the escape sequence (a letter).
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(lines: &[&str]) -> (u64, u64) {
        let mut counts = Counts::default();
        for line in lines {
            add_counts(&mut counts, line);
        }
        (counts.passed, counts.failed)
    }

    #[test]
    fn counts_cargo_test_results() {
        assert_eq!(
            count(&[
                "test result: ok. 29 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s",
                "test result: FAILED. 3 passed; 2 failed; 0 ignored",
                "running 5 tests",
            ]),
            (32, 2)
        );
    }

    #[test]
    fn counts_vitest_results() {
        assert_eq!(count(&["      Tests  12 passed (12)"]), (12, 0));
        assert_eq!(
            count(&[
                "\u{1b}[2m      Tests \u{1b}[22m \u{1b}[1m\u{1b}[31m1 failed\u{1b}[39m\u{1b}[22m | \u{1b}[1m\u{1b}[32m3 passed\u{1b}[39m (4)"
            ]),
            (3, 1)
        );
        assert_eq!(count(&[" Test Files  2 passed (2)"]), (0, 0));
    }

    #[test]
    fn counts_playwright_results() {
        assert_eq!(count(&["  9 passed (14.2s)"]), (9, 0));
        assert_eq!(count(&["  1 failed", "  8 passed (20.0s)"]), (8, 1));
        assert_eq!(
            count(&["  ✓  1 [chromium] › e2e/status.spec.ts:3:1 › 2 passed"]),
            (0, 0)
        );
    }
}
