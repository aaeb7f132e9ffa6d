//! Docs that stay true: every public route a worker's router declares is in docs/API.md, and
//! every route docs/API.md names is in a router. Run with the unit tests (`cargo xtask test`).

use std::collections::BTreeSet;
use std::fs;

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
