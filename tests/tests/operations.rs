//! Operations against the real local stack: the debug headers every response carries, and the
//! Analytics Engine record of each request and domain event (local development drops the
//! writes, so the same record is read from the request's log line).

use std::time::Duration;

use mirubato_blackbox::session::{sign_in, unique_email};
use mirubato_blackbox::{Stack, Worker, client, random_hex, shared};
use serde_json::{Value, json};

/// The JSON log line of `worker` that contains every needle, waiting briefly for it.
async fn log_line(stack: &Stack, worker: Worker, needles: &[&str]) -> Value {
    for _ in 0..50 {
        let log = stack.log(worker);
        if let Some(line) = log
            .lines()
            .find(|line| needles.iter().all(|needle| line.contains(needle)))
        {
            let start = line.find('{').expect("a JSON log line");
            return serde_json::from_str(&line[start..]).expect("log line is JSON");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {worker:?} log line with {needles:?}");
}

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
    assert_eq!(point["dataset"], "mirubato_analytics");
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
