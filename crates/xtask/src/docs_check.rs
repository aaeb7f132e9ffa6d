//! Docs that stay true: every public route a worker's router declares is in docs/API.md, and
//! every route docs/API.md names is in a router; every var, secret and binding the code reads is
//! in docs/OPERATIONS.md and declared in `.dev.vars.example` or a wrangler config. Run with the
//! unit tests (`cargo xtask test`).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use mirubato_stack::Worker;

use crate::util::root;

/// Routes every worker gets from the pipeline (README "Every worker answers"), routes only
/// other workers reach over a service binding, and wrangler's local cron trigger.
fn is_documented_elsewhere(path: &str) -> bool {
    matches!(
        path,
        "/health" | "/livez" | "/readyz" | "/metrics" | "/__scheduled"
    ) || path.starts_with("/internal/")
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// `(METHOD, pattern)` of each route in a worker's `fn routes() -> Router`.
fn router_routes(worker: Worker) -> BTreeSet<(String, String)> {
    let path = root().join(format!("workers/{}/src/lib.rs", worker.name()));
    let source = fs::read_to_string(&path).unwrap_or_else(|err| panic!("read {path:?}: {err}"));
    let start = source
        .find("fn routes() -> Router {")
        .unwrap_or_else(|| panic!("{path:?} has no `fn routes() -> Router`"));
    let body = &source[start..];
    let body = &body[..body.find("\n}\n").unwrap_or(body.len())];
    let mut routes = BTreeSet::new();
    for method in METHODS {
        let call = format!(".{method}(");
        for (at, _) in body.match_indices(&call) {
            // rustfmt may put the pattern on the next line.
            let Some(rest) = body[at + call.len()..].trim_start().strip_prefix('"') else {
                continue;
            };
            let pattern = &rest[..rest.find('"').unwrap_or(0)];
            routes.insert((method.to_uppercase(), pattern.to_string()));
        }
    }
    routes
}

/// `(METHOD, path)` of each route docs/API.md names as `` `METHOD /path` ``.
fn documented_routes() -> BTreeSet<(String, String)> {
    let doc = fs::read_to_string(root().join("docs/API.md")).expect("read docs/API.md");
    let mut routes = BTreeSet::new();
    for piece in doc.split('`').skip(1).step_by(2) {
        let Some((method, path)) = piece.split_once(' ') else {
            continue;
        };
        if METHODS.contains(&method.to_lowercase().as_str()) && path.starts_with('/') {
            let path = path.split(['?', ' ', '\n']).next().unwrap_or(path);
            routes.insert((method.to_string(), path.to_string()));
        }
    }
    routes
}

/// Whether a documented path is an instance of a router pattern: `{name}` matches one
/// segment (whatever the docs call it, `{id}` or `:id`), `{*rest}` the remaining ones.
fn matches(pattern: &str, path: &str) -> bool {
    let mut pattern_segments = pattern.split('/');
    let mut path_segments = path.split('/');
    loop {
        match (pattern_segments.next(), path_segments.next()) {
            (None, None) => return true,
            (Some(p), Some(_)) if p.starts_with("{*") => return true,
            (Some(p), Some(s)) if p == s || (p.starts_with('{') && p.ends_with('}')) => {}
            (Some(p), Some(s)) if p.starts_with('{') && s.starts_with(':') => {}
            _ => return false,
        }
    }
}

#[test]
fn every_public_route_is_documented_and_every_documented_route_exists() {
    let routers: BTreeSet<(String, String)> = Worker::ALL
        .into_iter()
        .flat_map(router_routes)
        .filter(|(_, pattern)| !is_documented_elsewhere(pattern))
        .collect();
    let documented: BTreeSet<(String, String)> = documented_routes()
        .into_iter()
        .filter(|(_, path)| !is_documented_elsewhere(path))
        .collect();
    let undocumented: Vec<_> = routers
        .iter()
        .filter(|(method, pattern)| {
            !documented
                .iter()
                .any(|(m, path)| m == method && matches(pattern, path))
        })
        .collect();
    let missing: Vec<_> = documented
        .iter()
        .filter(|(method, path)| {
            !routers
                .iter()
                .any(|(m, pattern)| m == method && matches(pattern, path))
        })
        .collect();
    assert!(
        undocumented.is_empty() && missing.is_empty(),
        "routes without docs/API.md entry: {undocumented:?}\ndocs/API.md routes no router has: {missing:?}"
    );
}

#[test]
fn route_patterns_match_documented_paths() {
    assert!(matches("/api/goals/{id}", "/api/goals/{goalId}"));
    assert!(matches("/dictionary/{*rest}", "/dictionary/en/allegro"));
    assert!(!matches("/api/goals/{id}", "/api/goals"));
    assert!(!matches("/api/goals", "/api/goals/{id}"));
    assert!(!matches("/api/goals/{id}/x", "/api/goals/{id}/y"));
}

/// Whether `name` looks like a Cloudflare var, secret or binding name: SCREAMING_SNAKE_CASE.
fn is_setting_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.len() > 1
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Whether the code before a string literal (whitespace removed) hands it to the environment:
/// as the first or second argument of a reader (`env.var(`, `ctx.secret(`, `self.setting(`,
/// `non_negative_var(env, `, config's `lookup(`/`named(`), as a `&str` constant, as a
/// `key:` of config's checks, or as a rate-limit scope's variable.
fn reads_setting(before: &str, name: &str) -> bool {
    if before.ends_with(":&str=") || before.ends_with(":&'staticstr=") || before.ends_with("key:") {
        return true;
    }
    let Some(open) = before.rfind('(') else {
        return false;
    };
    let arguments = &before[open + 1..];
    if !(arguments.is_empty() || (arguments.ends_with(',') && !arguments.contains(')'))) {
        return false;
    }
    let callee = &before[..open];
    let function = callee
        .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or_default();
    // `std::env::var` reads the build machine's environment, not a worker's.
    let worker_env = !callee[..callee.len() - function.len()].ends_with("::");
    let reader = ["var", "secret", "setting", "lookup", "named"]
        .iter()
        .any(|word| function.contains(word));
    (reader && worker_env) || (function == "new" && name.starts_with("RATE_LIMIT_"))
}

/// Every var, secret and binding name the workers' code reads, with a file that reads it.
fn settings_read() -> BTreeMap<String, String> {
    let mut files = Vec::new();
    for dir in ["workers", "crates/edge/src", "crates/core/src"] {
        collect_rust_files(&root().join(dir), &mut files);
    }
    let mut names = BTreeMap::new();
    for file in files {
        let source = fs::read_to_string(&file).unwrap_or_else(|err| panic!("read {file:?}: {err}"));
        // Test modules come last in a file; their names are fixtures.
        let source = &source[..source.find("#[cfg(test)]").unwrap_or(source.len())];
        for (at, _) in source.match_indices('"') {
            let rest = &source[at + 1..];
            let Some(end) = rest.find('"') else { continue };
            let name = &rest[..end];
            if !is_setting_name(name) {
                continue;
            }
            let before: String = source[..at]
                .chars()
                .rev()
                .take(120)
                .filter(|c| !c.is_whitespace())
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            if reads_setting(&before, name) {
                let relative = file.strip_prefix(root()).unwrap_or(&file);
                names
                    .entry(name.to_string())
                    .or_insert_with(|| relative.display().to_string());
            }
        }
    }
    names
}

fn collect_rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() && path.file_name().is_some_and(|name| name != "build") {
            collect_rust_files(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
}

#[test]
fn every_setting_the_code_reads_is_documented_and_declared() {
    let operations = fs::read_to_string(root().join("docs/OPERATIONS.md")).expect("OPERATIONS.md");
    let mut declared = fs::read_to_string(root().join(".dev.vars.example")).expect(".dev.vars");
    for worker in Worker::ALL {
        let config = root().join(format!("wrangler/{}.toml", worker.name()));
        declared += &fs::read_to_string(&config).unwrap_or_else(|err| panic!("{config:?}: {err}"));
    }
    let names = settings_read();
    // The scanner itself must see the settings every worker is known to read.
    for known in [
        "JWT_SECRET",
        "ENVIRONMENT",
        "RATE_LIMIT_SYNC",
        "MAX_CLOCK_SKEW",
    ] {
        assert!(names.contains_key(known), "{known} not found by the scan");
    }
    let undocumented: Vec<_> = names
        .iter()
        .filter(|(name, _)| !operations.contains(&format!("`{name}`")))
        .collect();
    let undeclared: Vec<_> = names
        .iter()
        .filter(|(name, _)| !declared.contains(name.as_str()))
        .collect();
    assert!(
        undocumented.is_empty() && undeclared.is_empty(),
        "read by the code but not in docs/OPERATIONS.md: {undocumented:?}\n\
         in neither .dev.vars.example nor a wrangler config: {undeclared:?}"
    );
}

#[test]
fn the_setting_scan_knows_readers_from_other_strings() {
    assert!(reads_setting("letx=ctx.env.var(", "X_Y"));
    assert!(reads_setting("non_negative_var(&ctx.env,", "X_Y"));
    assert!(reads_setting("pubconstBUCKET:&str=", "X_Y"));
    assert!(reads_setting(
        "pubconstSYNC:Self=Self::new(\"sync\",",
        "RATE_LIMIT_SYNC"
    ));
    assert!(!reads_setting("std::env::var(", "X_Y"));
    assert!(!reads_setting("error(code:", "NOT_FOUND"));
    assert!(!reads_setting("frame_type(", "SYNC_REQUEST"));
    assert!(!is_setting_name("Jwt_Secret"));
    assert!(!is_setting_name("S"));
    assert!(is_setting_name("ENVIRONMENT"));
}
