//! Operations against the real local stack: the debug headers every response carries, and the
//! Analytics Engine record of each request and domain event (local development drops the
//! writes, so the same record is read from the request's log line).

use std::time::Duration;

use mirubato_blackbox::session::{sign_in, unique_client_ip, unique_email};
use mirubato_blackbox::{
    Stack, Worker, await_window_with_room, client, log_line, random_hex, shared, spawn_stack_with,
};
use serde_json::{Value, json};

#[tokio::test]
async fn every_response_carries_version_and_processing_time() {
    let stack = shared();
    for worker in Worker::ALL {
        for path in ["/livez", "/no/such/route"] {
            let response = client()
                .get(format!("{}{path}", stack.url(worker)))
                .send()
                .await
                .unwrap();
            let headers = response.headers();
            let version = headers["x-worker-version"].to_str().unwrap();
            assert!(
                version.starts_with(env!("CARGO_PKG_VERSION")),
                "{worker:?} {path}: {version}"
            );
            let time = headers["x-processing-time"].to_str().unwrap();
            assert!(
                time.strip_suffix("ms")
                    .is_some_and(|ms| ms.parse::<u64>().is_ok()),
                "{worker:?} {path}: {time}"
            );
        }
    }
}

#[tokio::test]
async fn each_request_is_one_data_point_with_a_hashed_user() {
    let stack = shared();
    let session = sign_in(stack, &unique_email("ops-analytics")).await;
    let request_id = format!("ops-{}", random_hex(8));
    let response = session
        .get(format!("{}/api/goals/goal_missing", stack.url(Worker::Api)))
        .header("X-Request-Id", &request_id)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let line = log_line(
        stack,
        Worker::Api,
        &[&format!("\"requestId\":\"{request_id}\"")],
    )
    .await;
    let point = &line["analytics"];
    assert_eq!(point["indexes"], json!(["api"]));
    let blobs = point["blobs"].as_array().expect("blobs");
    assert_eq!(
        blobs[..4],
        [
            json!("/api/goals/{id}"),
            json!("GET"),
            json!("4xx"),
            json!("NONE")
        ]
    );
    let hash = blobs[5].as_str().unwrap();
    assert_eq!(hash.len(), 32, "{hash}");
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
    assert!(
        !line.to_string().contains(session.user_id()),
        "no raw user id: {line}"
    );
    assert!(
        !line.to_string().contains("ops-analytics"),
        "no email: {line}"
    );
    let doubles = point["doubles"].as_array().expect("doubles");
    assert_eq!(doubles.len(), 3);
    assert!(doubles[2].as_f64().unwrap() > 0.0, "response bytes: {line}");

    // The same user hashes the same on the next request (daily active users add up).
    let second_id = format!("ops-{}", random_hex(8));
    session
        .get(format!("{}/api/goals", stack.url(Worker::Api)))
        .header("X-Request-Id", &second_id)
        .send()
        .await
        .unwrap();
    let second = log_line(
        stack,
        Worker::Api,
        &[&format!("\"requestId\":\"{second_id}\"")],
    )
    .await;
    assert_eq!(second["analytics"]["blobs"][5], hash);
    assert_eq!(second["analytics"]["blobs"][2], "2xx");
}

#[tokio::test]
async fn logging_an_entry_is_an_event() {
    let stack = shared();
    let session = sign_in(stack, &unique_email("ops-event")).await;
    let request_id = format!("ops-{}", random_hex(8));
    let response = session
        .post(format!("{}/api/sync/push", stack.url(Worker::Api)))
        .header("X-Request-Id", &request_id)
        .json(&json!({"changes": {"entries": [{
            "id": format!("entry_{}", random_hex(4)), "timestamp": "2026-03-01T09:00:00.000Z",
            "duration": 20, "type": "practice", "instrument": "piano",
            "updatedAt": "2026-03-01T09:00:00.000Z"
        }]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let line = log_line(
        stack,
        Worker::Api,
        &["\"event\":\"entry_logged\"", &request_id],
    )
    .await;
    assert_eq!(line["analytics"]["blobs"][1], "entry_logged");
    assert_eq!(line["analytics"]["doubles"], json!([1.0]));
}

/// A local webhook receiver: every POSTed JSON body arrives on the channel.
async fn webhook() -> (String, tokio::sync::mpsc::UnboundedReceiver<Value>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let sender = sender.clone();
            tokio::spawn(async move {
                let mut data = Vec::new();
                let mut buffer = [0u8; 4096];
                loop {
                    let read = stream.read(&mut buffer).await.unwrap_or(0);
                    if read == 0 {
                        return;
                    }
                    data.extend_from_slice(&buffer[..read]);
                    let text = String::from_utf8_lossy(&data).to_string();
                    let Some(split) = text.find("\r\n\r\n") else {
                        continue;
                    };
                    let length = text[..split]
                        .lines()
                        .find_map(|line| {
                            let (name, value) = line.split_once(':')?;
                            name.eq_ignore_ascii_case("content-length")
                                .then(|| value.trim().parse::<usize>().ok())?
                        })
                        .unwrap_or(0);
                    if data.len() >= split + 4 + length {
                        let body = &data[split + 4..split + 4 + length];
                        if let Ok(json) = serde_json::from_slice(body) {
                            let _ = sender.send(json);
                        }
                        let _ = stream
                            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                            .await;
                        return;
                    }
                }
            });
        }
    });
    (url, receiver)
}

async fn run_cron(stack: &Stack, cron: &str) {
    let response = client()
        .get(format!("{}/__scheduled", stack.url(Worker::Api)))
        .query(&[("cron", cron)])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
}

#[tokio::test]
async fn a_worker_going_down_is_one_alert() {
    // Without a webhook, /health says so and the cron sends nothing.
    let health: Value = client()
        .get(format!("{}/health", shared().url(Worker::Api)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["services"]["alerts"]["status"], "not configured");

    let (url, mut alerts) = webhook().await;
    let mut stack = mirubato_blackbox::spawn_stack_with(|options| {
        options
            .extra_vars
            .push((Worker::Api, "ALERT_WEBHOOK_URL".into(), url.clone()));
    });
    let health: Value = client()
        .get(format!("{}/health", stack.url(Worker::Api)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["services"]["alerts"]["status"], "configured");

    // All healthy on first sight: nothing to tell.
    run_cron(&stack, "*/5 * * * *").await;
    log_line(
        &stack,
        Worker::Api,
        &["\"job\":\"health-alerts\"", "\"alertsSent\":0"],
    )
    .await;
    assert!(alerts.try_recv().is_err());

    stack.stop(Worker::Dictionary);
    run_cron(&stack, "*/5 * * * *").await;
    let alert = tokio::time::timeout(Duration::from_secs(30), alerts.recv())
        .await
        .expect("an alert within 30 s")
        .expect("alert");
    assert_eq!(alert["worker"], "dictionary");
    assert_eq!(alert["status"], "degraded");
    assert_eq!(alert["previousStatus"], "healthy");
    assert_eq!(alert["environment"], "local");
    assert!(
        alert["text"]
            .as_str()
            .unwrap()
            .contains("dictionary is degraded")
    );

    // Still down on the next run: no second alert.
    run_cron(&stack, "*/5 * * * *").await;
    log_line(
        &stack,
        Worker::Api,
        &[
            "\"job\":\"health-alerts\"",
            "\"dictionary\":\"degraded\"",
            "\"alertsSent\":0",
        ],
    )
    .await;
    assert!(alerts.try_recv().is_err(), "one alert per change");
}

/// One anonymous magic-link request from `ip`, as `session` when given.
async fn ask_for_link(
    stack: &Stack,
    ip: &str,
    bearer: Option<&str>,
    email: &str,
) -> reqwest::Response {
    let mut request = client()
        .post(format!(
            "{}/api/auth/request-magic-link",
            stack.url(Worker::Api)
        ))
        .header("X-Forwarded-For", ip)
        .json(&json!({ "email": email }));
    if let Some(bearer) = bearer {
        request = request.header("Authorization", bearer);
    }
    request.send().await.unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> u64 {
    response.headers()[name]
        .to_str()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("{name} is a number"))
}

async fn outbox_count(stack: &Stack, email: &str) -> usize {
    let outbox: Value = client()
        .get(format!("{}/api/dev/outbox", stack.url(Worker::Api)))
        .header("X-Forwarded-For", unique_client_ip())
        .query(&[("email", email)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    outbox["messages"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn rate_limit_headers_count_down_to_a_429_that_does_nothing() {
    let stack = shared();
    // Every request of the test counts against one one-minute window.
    await_window_with_room(60, 15).await;
    let ip = unique_client_ip();
    // A fresh address each time: only the per-client count is at work (one address takes
    // at most 5 links an hour, whoever asks).
    let mut remaining = Vec::new();
    for _ in 0..10 {
        let response = ask_for_link(stack, &ip, None, &unique_email("ops-limit")).await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "x-ratelimit-limit"), 10);
        let reset = header(&response, "x-ratelimit-reset");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(
            reset > now - 2 && reset <= now + 61,
            "reset {reset}, now {now}"
        );
        remaining.push(header(&response, "x-ratelimit-remaining"));
    }
    assert_eq!(remaining, (0..10).rev().collect::<Vec<u64>>());

    let email = unique_email("ops-limit-refused");
    let refused = ask_for_link(stack, &ip, None, &unique_email("ops-limit-target")).await;
    assert_eq!(refused.status(), 429);
    assert_eq!(header(&refused, "x-ratelimit-remaining"), 0);
    let retry_after = header(&refused, "retry-after");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "RATE_LIMITED");
    assert_eq!(body["success"], false);
    // The refused request sent no email.
    assert_eq!(outbox_count(stack, &email).await, 0);
}

#[tokio::test]
async fn addresses_and_users_are_counted_independently() {
    let stack = shared();
    // Every request of the test counts against one one-minute window.
    await_window_with_room(60, 15).await;
    let session = sign_in(stack, &unique_email("ops-limit-user")).await;
    let bearer = session.bearer();
    let ip = unique_client_ip();
    for _ in 0..10 {
        assert_eq!(
            ask_for_link(stack, &ip, None, &unique_email("ops-limit-target"))
                .await
                .status(),
            200
        );
    }
    assert_eq!(
        ask_for_link(stack, &ip, None, &unique_email("ops-limit-target"))
            .await
            .status(),
        429
    );
    // The same address, signed in: the user's own count.
    for expected_remaining in (0..10).rev() {
        let response =
            ask_for_link(stack, &ip, Some(&bearer), &unique_email("ops-limit-target")).await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            header(&response, "x-ratelimit-remaining"),
            expected_remaining
        );
    }
    // The user is now limited from any address; a fresh address is not.
    let other_ip = unique_client_ip();
    assert_eq!(
        ask_for_link(
            stack,
            &other_ip,
            Some(&bearer),
            &unique_email("ops-limit-target")
        )
        .await
        .status(),
        429
    );
    assert_eq!(
        ask_for_link(stack, &other_ip, None, &unique_email("ops-limit-target"))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_burst_of_concurrent_requests_cannot_pass_the_limit() {
    let stack = shared();
    // Every request of the test counts against one one-minute window.
    await_window_with_room(60, 15).await;
    let ip = unique_client_ip();
    let emails: Vec<String> = (0..30).map(|_| unique_email("ops-limit-burst")).collect();
    let burst = emails
        .iter()
        .map(|email| ask_for_link(stack, &ip, None, email));
    let statuses: Vec<u16> = futures_util::future::join_all(burst)
        .await
        .iter()
        .map(|response| response.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 429).count(),
        20,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn every_worker_limits_its_public_routes_but_not_internal_calls() {
    let stack = shared();
    let ip = unique_client_ip();
    for (worker, path, limit) in [
        (Worker::Api, "/api/user/me", 300),
        (Worker::Scores, "/api/scores", 300),
        (Worker::Dictionary, "/api/v1/search?q=forte", 100),
        (Worker::Sync, "/health", 300),
        (Worker::Frontend, "/config.json", 2000),
    ] {
        let response = client()
            .get(format!("{}{path}", stack.url(worker)))
            .header("X-Forwarded-For", &ip)
            .send()
            .await
            .unwrap();
        assert_eq!(
            header(&response, "x-ratelimit-limit"),
            limit,
            "{worker:?} {path}"
        );
        assert_eq!(
            header(&response, "x-ratelimit-remaining"),
            limit - 1,
            "{worker:?} {path}"
        );
    }
    // A dictionary export is 5 per minute for an address; the sixth is refused.
    let export = format!(
        "{}/api/v1/export?format=json",
        stack.url(Worker::Dictionary)
    );
    for _ in 0..5 {
        let response = client()
            .get(&export)
            .header("X-Forwarded-For", &ip)
            .send()
            .await
            .unwrap();
        assert_ne!(response.status(), 429);
    }
    let refused = client()
        .get(&export)
        .header("X-Forwarded-For", &ip)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn a_dictionary_lookup_is_an_event_and_reports_its_cache_status() {
    let stack = shared();
    let session = sign_in(stack, &unique_email("ops-lookup")).await;
    let mut statuses = Vec::new();
    let mut request_ids = Vec::new();
    for _ in 0..2 {
        let request_id = format!("ops-{}", random_hex(8));
        let response = session
            .get(format!(
                "{}/api/v1/terms/allegretto",
                stack.url(Worker::Dictionary)
            ))
            .header("X-Request-Id", &request_id)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        statuses.push(
            response.headers()["x-cache-status"]
                .to_str()
                .unwrap()
                .to_string(),
        );
        request_ids.push(request_id);
    }
    assert_eq!(statuses, ["MISS", "HIT"]);
    let event = log_line(
        stack,
        Worker::Dictionary,
        &["\"event\":\"term_looked_up\"", &request_ids[0]],
    )
    .await;
    assert_eq!(event["analytics"]["blobs"][1], "term_looked_up");
    assert!(event.to_string().contains("\"found\""), "{event}");
    assert!(!event.to_string().contains(session.user_id()), "{event}");
    // The request's own data point carries the cache status.
    let request = log_line(
        stack,
        Worker::Dictionary,
        &["\"route\":\"/api/v1/terms/{term}\"", &request_ids[1]],
    )
    .await;
    assert!(
        request["analytics"].to_string().contains("HIT"),
        "{request}"
    );
}

#[tokio::test]
async fn the_hourly_cron_purges_expired_idempotency_keys_and_keeps_fresh_ones() {
    let mut stack = spawn_stack_with(|options| {
        options
            .extra_vars
            .push((Worker::Api, "IDEMPOTENCY_TTL_SECS".into(), "4".into()));
    });
    let session = sign_in(&stack, &unique_email("ops-purge")).await;
    let push = |key: &'static str, minutes: u32| {
        session
            .post(format!("{}/api/sync/push", stack.url(Worker::Api)))
            .header("X-Idempotency-Key", key)
            .json(&json!({"changes": {"entries": [{
                "id": format!("entry_purge_{key}"), "timestamp": "2026-03-01T09:00:00.000Z",
                "duration": minutes, "type": "practice", "instrument": "piano",
                "updatedAt": "2026-03-01T09:00:00.000Z"
            }]}}))
            .send()
    };
    assert_eq!(push("expiring", 10).await.unwrap().status(), 200);
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(push("fresh", 10).await.unwrap().status(), 200);

    run_cron(&stack, "17 * * * *").await;
    let line = log_line(&stack, Worker::Api, &["\"job\":\"purge-expired\""]).await;
    assert_eq!(line["result"]["idempotency_keys"], 1, "{line}");
    // The fresh key still replays; the expired one is gone, so a new body is a new request.
    let replay = push("fresh", 10).await.unwrap();
    assert_eq!(replay.headers()["x-idempotent-replay"], "true");
    let reused = push("expiring", 25).await.unwrap();
    assert_eq!(reused.status(), 200);
    assert!(!reused.headers().contains_key("x-idempotent-replay"));
    stack.shutdown();
}
