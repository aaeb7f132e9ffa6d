//! Foundation: every worker's operational endpoints, the error envelope, CORS, request ids
//! and logs, and the app shell's serving rules — against the real local stack.

use mirubato_blackbox::{Worker, client, root, shared, spawn_stack_with};
use serde_json::Value;

const API_WORKERS: [Worker; 4] = [
    Worker::Api,
    Worker::Scores,
    Worker::Dictionary,
    Worker::Sync,
];

async fn get_json(url: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = client().get(url).send().await.expect("request failed");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json::<Value>().await.expect("body is not JSON");
    (status, headers, body)
}

/// Dependency checks each worker must report, by key.
fn expected_dependencies(worker: Worker) -> &'static [&'static str] {
    match worker {
        Worker::Api => &["database", "kvStore", "storage"],
        Worker::Sync => &["api"],
        Worker::Scores | Worker::Dictionary => &["database", "kvStore", "storage", "api"],
        Worker::Frontend => &["assets"],
    }
}

#[tokio::test]
async fn every_worker_is_healthy_with_real_dependency_checks() {
    let stack = shared();
    for worker in Worker::ALL {
        let (status, headers, body) = get_json(&format!("{}/health", stack.url(worker))).await;
        assert_eq!(status, 200, "{}: {body}", worker.name());
        assert_eq!(body["service"], worker.name());
        assert_eq!(body["status"], "healthy");
        assert_eq!(body["environment"], "local");
        assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
        assert!(
            body["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')),
            "{body}"
        );
        assert_eq!(headers["cache-control"], "no-store");
        for key in expected_dependencies(worker) {
            let check = &body["services"][key];
            assert_eq!(
                check["status"],
                "healthy",
                "{} {key}: {body}",
                worker.name()
            );
            assert!(
                check["latency"].is_number(),
                "{} {key}: {body}",
                worker.name()
            );
        }
    }
}

#[tokio::test]
async fn optional_capabilities_are_reported_as_not_configured_locally() {
    let stack = shared();
    let (_, _, scores) = get_json(&format!("{}/health", stack.url(Worker::Scores))).await;
    assert_eq!(scores["services"]["ai"]["status"], "not configured");
    assert_eq!(scores["services"]["browser"]["status"], "not configured");
    let (_, _, dictionary) = get_json(&format!("{}/health", stack.url(Worker::Dictionary))).await;
    assert_eq!(dictionary["services"]["ai"]["status"], "not configured");
}

#[tokio::test]
async fn liveness_and_readiness() {
    let stack = shared();
    for worker in Worker::ALL {
        let (status, _, body) = get_json(&format!("{}/livez", stack.url(worker))).await;
        assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
        let (status, _, body) = get_json(&format!("{}/readyz", stack.url(worker))).await;
        assert_eq!(
            (status, body["status"].as_str()),
            (200, Some("ready")),
            "{}",
            worker.name()
        );
    }
}

#[tokio::test]
async fn unknown_routes_get_the_404_envelope() {
    let stack = shared();
    for worker in API_WORKERS {
        let (status, headers, body) =
            get_json(&format!("{}/no/such/route", stack.url(worker))).await;
        assert_eq!(status, 404, "{}", worker.name());
        assert_eq!(body["success"], false);
        assert_eq!(body["code"], "NOT_FOUND");
        assert!(
            body["error"]
                .as_str()
                .is_some_and(|e| e.contains("/no/such/route"))
        );
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
    }
}

#[tokio::test]
async fn wrong_method_gets_405_with_allow() {
    let stack = shared();
    let response = client()
        .delete(format!("{}/health", stack.url(Worker::Api)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "METHOD_NOT_ALLOWED");
    assert_eq!(body["details"]["allowed"], serde_json::json!(["GET"]));
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let stack = shared();
    let api = stack.url(Worker::Api);
    for _ in 0..3 {
        client().get(format!("{api}/livez")).send().await.unwrap();
    }
    client().get(format!("{api}/nope")).send().await.unwrap();
    let response = client().get(format!("{api}/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = response.text().await.unwrap();
    let count = |needle: &str| -> u64 {
        text.lines()
            .find(|line| line.starts_with("mirubato_http_requests_total{") && line.contains(needle))
            .and_then(|line| line.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    assert!(
        count("route=\"/livez\",method=\"GET\",status=\"200\"") >= 3,
        "{text}"
    );
    assert!(
        count("route=\"unmatched\",method=\"GET\",status=\"404\"") >= 1,
        "{text}"
    );
    assert!(
        text.contains("mirubato_build_info{service=\"api\""),
        "{text}"
    );
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let stack = shared();
    let api = stack.url(Worker::Api);
    let allowed = format!("http://localhost:{}", stack.port(Worker::Frontend));

    let response = client()
        .get(format!("{api}/health"))
        .header("Origin", &allowed)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        allowed.as_str()
    );
    assert_eq!(
        response.headers()["access-control-allow-credentials"],
        "true"
    );

    let response = client()
        .get(format!("{api}/health"))
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    let preflight = |origin: String| {
        client()
            .request(reqwest::Method::OPTIONS, format!("{api}/api/sync/push"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "content-type,authorization",
            )
            .send()
    };
    let response = preflight(allowed.clone()).await.unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        allowed.as_str()
    );
    assert!(
        response.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    assert!(
        response.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("Authorization")
    );

    let response = preflight("https://evil.example".into()).await.unwrap();
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    assert!(
        response
            .headers()
            .get("access-control-allow-methods")
            .is_none()
    );
}

#[tokio::test]
async fn request_ids_are_echoed_and_logged() {
    let stack = shared();
    let scores = stack.url(Worker::Scores);
    let response = client()
        .get(format!("{scores}/livez"))
        .header("X-Request-Id", "blackbox-trace-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "blackbox-trace-42");

    let response = client()
        .get(format!("{scores}/missing"))
        .send()
        .await
        .unwrap();
    let minted = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(minted.len(), 36, "{minted}");

    // The structured log line reaches wrangler's output shortly after the response.
    let mut line = None;
    for _ in 0..50 {
        line = stack
            .log(Worker::Scores)
            .lines()
            .find(|line| line.contains("blackbox-trace-42"))
            .map(str::to_string);
        if line.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let line = line.expect("no log line for the request");
    let json: Value = serde_json::from_str(&line[line.find('{').unwrap()..]).unwrap();
    assert_eq!(json["service"], "scores");
    assert_eq!(json["method"], "GET");
    assert_eq!(json["path"], "/livez");
    assert_eq!(json["route"], "/livez");
    assert_eq!(json["status"], 200);
    assert!(json["durationMs"].is_number());
}

fn hashed_asset() -> String {
    let assets = root().join("frontend/dist/assets");
    let name = std::fs::read_dir(&assets)
        .expect("frontend/dist/assets")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .find(|name| name.ends_with(".js"))
        .expect("a built JS asset");
    format!("/assets/{name}")
}

#[tokio::test]
async fn app_shell_is_served_with_spa_fallback_and_security_headers() {
    let stack = shared();
    let frontend = stack.url(Worker::Frontend);
    for path in ["/", "/logbook", "/scorebook/score_abc"] {
        let response = client()
            .get(format!("{frontend}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers().clone();
        assert_eq!(headers["cache-control"], "no-cache", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(
            headers["referrer-policy"],
            "strict-origin-when-cross-origin"
        );
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(csp.contains(&stack.url(Worker::Api)), "{csp}");
        let body = response.text().await.unwrap();
        assert!(body.contains("<div id=\"root\">"), "{path}: {body}");
    }
}

#[tokio::test]
async fn hashed_assets_are_immutable_and_missing_files_are_404() {
    let stack = shared();
    let frontend = stack.url(Worker::Frontend);
    let response = client()
        .get(format!("{frontend}{}", hashed_asset()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );

    let (status, _, body) = get_json(&format!("{frontend}/assets/missing-123.js")).await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], "NOT_FOUND");
}

#[tokio::test]
async fn app_config_names_every_service() {
    let stack = shared();
    let (status, _, body) = get_json(&format!("{}/config.json", stack.url(Worker::Frontend))).await;
    assert_eq!(status, 200);
    assert_eq!(body["apiUrl"], stack.url(Worker::Api));
    assert_eq!(body["scoresUrl"], stack.url(Worker::Scores));
    assert_eq!(body["dictionaryUrl"], stack.url(Worker::Dictionary));
    assert_eq!(
        body["syncUrl"],
        format!("ws://127.0.0.1:{}/sync/ws", stack.port(Worker::Sync))
    );
}

/// With the schema not migrated, the database check fails honestly: /health is degraded
/// (503) and /readyz is not ready, while /livez still answers.
#[tokio::test]
async fn readiness_fails_when_the_database_is_not_migrated() {
    let stack = spawn_stack_with(|options| {
        options.apply_migrations = false;
        options.ports = vec![(Worker::Api, 0)];
    });
    let api = stack.url(Worker::Api);
    let (status, _, body) = get_json(&format!("{api}/health")).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["services"]["database"]["status"], "unhealthy");
    assert_eq!(
        body["services"]["database"]["error"],
        "database schema is not migrated"
    );
    assert_eq!(body["services"]["kvStore"]["status"], "healthy");

    let (status, _, body) = get_json(&format!("{api}/readyz")).await;
    assert_eq!(status, 503);
    assert_eq!(body["status"], "not ready");
    let (status, _, _) = get_json(&format!("{api}/livez")).await;
    assert_eq!(status, 200);
}

/// Outside local development `/metrics` is for the scraper holding `METRICS_TOKEN`: no bearer
/// or a wrong one is 401, and the text follows Prometheus conventions (`_total` counters,
/// `_seconds` histograms).
#[tokio::test]
async fn a_deployed_worker_serves_metrics_only_with_the_token() {
    let token = mirubato_blackbox::random_hex(32);
    let stack = spawn_stack_with(|options| {
        options.ports = vec![(Worker::Api, 0)];
        options.extra_vars.extend([
            (Worker::Api, "ENVIRONMENT".into(), "staging".into()),
            (Worker::Api, "METRICS_TOKEN".into(), token.clone()),
        ]);
    });
    let metrics = format!("{}/metrics", stack.url(Worker::Api));
    client()
        .get(format!("{}/livez", stack.url(Worker::Api)))
        .send()
        .await
        .unwrap();

    let anonymous = client().get(&metrics).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let body: serde_json::Value = anonymous.json().await.unwrap();
    assert_eq!(body["code"], "UNAUTHORIZED");
    let wrong = client()
        .get(&metrics)
        .bearer_auth(mirubato_blackbox::random_hex(32))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    let scraped = client()
        .get(&metrics)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
    let text = scraped.text().await.unwrap();
    assert!(text.contains("environment=\"staging\""), "{text}");
    assert!(
        text.contains("# TYPE mirubato_http_request_duration_seconds histogram"),
        "{text}"
    );
    assert!(
        text.contains(
            "mirubato_http_request_duration_seconds_count{service=\"api\",route=\"/livez\",method=\"GET\"} "
        ),
        "{text}"
    );
    assert!(text.contains("le=\"+Inf\""), "{text}");
}

/// A deployed worker started with the example secrets serves nothing but `/livez` (and says
/// which secrets are weak in its log, never their values).
#[tokio::test]
async fn a_deployed_worker_with_weak_secrets_serves_only_livez() {
    let stack = spawn_stack_with(|options| {
        options.ports = vec![(Worker::Api, 0)];
        options.secrets_file = Some(root().join(".dev.vars.example"));
        options
            .extra_vars
            .push((Worker::Api, "ENVIRONMENT".into(), "staging".into()));
    });
    let api = stack.url(Worker::Api);
    let (status, _, _) = get_json(&format!("{api}/livez")).await;
    assert_eq!(status, 200);
    for path in ["/readyz", "/api/auth/sessions", "/metrics"] {
        let response = client().get(format!("{api}{path}")).send().await.unwrap();
        assert_eq!(response.status(), 503, "{path}");
    }
    // The line is written as the refused request finishes; give it a moment.
    let mut log = stack.log(Worker::Api);
    for _ in 0..100 {
        if log.contains("refusing to serve: weak secrets") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        log = stack.log(Worker::Api);
    }
    assert!(log.contains("refusing to serve: weak secrets"), "{log}");
    assert!(
        log.contains("JWT_SECRET is the public example value"),
        "{log}"
    );
    assert!(
        !log.contains("local-dev-jwt-secret"),
        "a secret's value reached the log"
    );
}
