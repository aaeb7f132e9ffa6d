//! The REST sync engine against the real local stack: pull (full, delta, paged), push
//! (atomic, idempotent, merged by the one rule), status, isolation between users, and a
//! randomized multi-device scenario checked against a model.

use std::collections::HashMap;

use mirubato_blackbox::session::{Session, sign_in, unique_email};
use mirubato_blackbox::{Worker, client, random_hex, shared};
use serde_json::{Value, json};

fn api() -> String {
    shared().url(Worker::Api)
}

async fn new_user(tag: &str) -> Session {
    sign_in(shared(), &unique_email(tag)).await
}

async fn push_as(
    session: &Session,
    device: &str,
    body: &Value,
    key: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = session
        .post(format!("{}/api/sync/push", api()))
        .header("X-Device-ID", device)
        .json(body);
    if let Some(key) = key {
        request = request.header("X-Idempotency-Key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response.json().await.unwrap_or(Value::Null),
    )
}

async fn push(session: &Session, body: Value) -> Value {
    let (status, _, answer) = push_as(session, "dev_test", &body, None).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

async fn pull(session: &Session, body: Value) -> Value {
    let response = session
        .post(format!("{}/api/sync/pull", api()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn entry(id: &str, updated_at: &str, notes: &str) -> Value {
    json!({
        "id": id, "timestamp": "2026-03-01T09:00:00.000Z", "duration": 30, "type": "Practice",
        "instrument": "Piano", "pieces": [{"title": "Clair de Lune", "composer": "Debussy"}],
        "techniques": ["scales"], "mood": "SATISFIED", "notes": notes, "tags": [], "goalIds": [],
        "createdAt": "2026-03-01T09:00:00.000Z", "updatedAt": updated_at,
        "clientOnlyField": {"kept": true},
    })
}

#[tokio::test]
async fn push_then_pull_returns_the_documents_as_stored() {
    let session = new_user("pushpull").await;
    let answer = push(&session, json!({"changes": {
        "entries": [entry("e1", "2026-03-01T10:00:00.000Z", "first")],
        "goals": [{"id": "g1", "title": "Learn the Ballade", "type": "repertoire", "updatedAt": "2026-03-01T10:00:00.000Z"}],
    }})).await;
    assert_eq!(answer["success"], true);
    assert_eq!(answer["conflicts"], json!([]));
    assert_eq!(answer["stats"]["applied"], 2);
    assert_eq!(answer["stats"]["entriesProcessed"], 1);
    assert_eq!(answer["lastSeq"], 2);
    assert_eq!(answer["syncToken"], "seq_2");

    let all = pull(&session, json!({})).await;
    assert_eq!(all["hasMore"], false);
    assert_eq!(all["syncToken"], "seq_2");
    let stored = &all["entries"][0];
    assert_eq!(stored["type"], "practice", "enums are normalised");
    assert_eq!(stored["instrument"], "piano");
    assert_eq!(stored["mood"], "satisfied");
    assert_eq!(
        stored["clientOnlyField"],
        json!({"kept": true}),
        "unknown fields survive"
    );
    assert_eq!(stored["notes"], "first");
    assert!(
        stored["pieces"][0]["id"]
            .as_str()
            .unwrap()
            .contains("debussy"),
        "{stored}"
    );
    assert_eq!(all["goals"][0]["title"], "Learn the Ballade");
    assert_eq!(all["practicePlans"], json!([]));
}

#[tokio::test]
async fn delta_pulls_include_tombstones_and_only_newer_changes() {
    let session = new_user("delta").await;
    push(&session, json!({"changes": {"entries": [
        entry("a", "2026-03-01T10:00:00.000Z", "a"), entry("b", "2026-03-01T10:00:00.000Z", "b")]}})).await;
    let first = pull(&session, json!({})).await;
    let token = first["syncToken"].clone();

    push(
        &session,
        json!({"changes": {"entries": [{"id": "a", "deletedAt": "2026-03-02T10:00:00.000Z"}]}}),
    )
    .await;
    let delta = pull(&session, json!({"since": token})).await;
    let entries = delta["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{delta}");
    assert_eq!(entries[0]["id"], "a");
    assert_eq!(entries[0]["deletedAt"], "2026-03-02T10:00:00.000Z");
    assert_eq!(delta["lastSeq"], 3);

    let nothing = pull(&session, json!({"since": delta["syncToken"]})).await;
    assert_eq!(nothing["entries"], json!([]));
    assert_eq!(
        nothing["syncToken"], delta["syncToken"],
        "the cursor stays put when nothing changed"
    );

    // An edit older than the delete does not resurrect the entry.
    let answer = push(
        &session,
        json!({"changes": {"entries": [entry("a", "2026-03-01T12:00:00.000Z", "late edit")]}}),
    )
    .await;
    assert_eq!(answer["conflicts"][0]["entityId"], "a");
    assert_eq!(answer["conflicts"][0]["reason"], "stale");
    assert_eq!(
        answer["conflicts"][0]["current"]["deletedAt"],
        "2026-03-02T10:00:00.000Z"
    );
}

#[tokio::test]
async fn pulls_are_paged_in_seq_order() {
    let session = new_user("pages").await;
    let entries: Vec<Value> = (0..25)
        .map(|i| entry(&format!("p{i:02}"), "2026-03-01T10:00:00.000Z", "x"))
        .collect();
    push(&session, json!({"changes": {"entries": entries}})).await;
    let mut since = json!(null);
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = pull(&session, json!({"since": since, "limit": 10})).await;
        pages += 1;
        seen.extend(
            page["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_string()),
        );
        since = page["syncToken"].clone();
        if page["hasMore"] == false {
            break;
        }
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(pages, 3);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 25);

    let response = session
        .post(format!("{}/api/sync/pull", api()))
        .json(&json!({"limit": 5000}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn idempotent_pushes_replay_and_refuse_a_different_body() {
    let session = new_user("idem").await;
    let key = format!("push-{}", random_hex(8));
    let body = json!({"changes": {"entries": [entry("i1", "2026-03-01T10:00:00.000Z", "once")]}});
    let (status, headers, first) = push_as(&session, "dev_a", &body, Some(&key)).await;
    assert_eq!(status, 200);
    assert!(headers.get("x-idempotent-replay").is_none());
    let (status, headers, replay) = push_as(&session, "dev_a", &body, Some(&key)).await;
    assert_eq!(status, 200);
    assert_eq!(headers["x-idempotent-replay"], "true");
    assert_eq!(replay, first);

    let other =
        json!({"changes": {"entries": [entry("i1", "2026-03-01T11:00:00.000Z", "changed")]}});
    let (status, _, refused) = push_as(&session, "dev_a", &other, Some(&key)).await;
    assert_eq!((status, refused["code"].as_str()), (409, Some("CONFLICT")));
    let all = pull(&session, json!({})).await;
    assert_eq!(
        all["lastSeq"], 1,
        "the replay and the refused push wrote nothing"
    );
    assert_eq!(all["entries"][0]["notes"], "once");
}

#[tokio::test]
async fn invalid_pushes_are_refused_whole() {
    let session = new_user("invalid").await;
    push(
        &session,
        json!({"changes": {"entries": [entry("ok", "2026-03-01T10:00:00.000Z", "x")]}}),
    )
    .await;
    let mut bad = entry("bad", "2026-03-01T10:00:00.000Z", "x");
    bad["type"] = json!("juggling");
    let cases = [
        (
            json!({"changes": {"entries": [entry("fine", "2026-03-01T10:00:00.000Z", "x"), bad]}}),
            400,
            "changes.entries[1].type",
        ),
        (
            json!({"changes": {"entries": [{"id": "no-clock", "timestamp": 1, "duration": 1, "type": "practice", "instrument": "piano"}]}}),
            400,
            "changes.entries[0]",
        ),
        (json!({"changes": {"gadgets": []}}), 400, "changes.gadgets"),
        (json!({"changes": []}), 400, ""),
        (json!({"nothing": true}), 400, ""),
    ];
    for (body, status, field) in cases {
        let (got, _, answer) = push_as(&session, "dev", &body, None).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert_eq!(answer["code"], "VALIDATION_ERROR");
        assert!(
            answer["error"].as_str().unwrap().contains(field),
            "{answer}"
        );
    }
    let many: Vec<Value> = (0..1001)
        .map(|i| json!({"id": format!("d{i}"), "deletedAt": "2026-03-01T10:00:00.000Z"}))
        .collect();
    let (got, _, answer) = push_as(
        &session,
        "dev",
        &json!({"changes": {"entries": many}}),
        None,
    )
    .await;
    assert_eq!(
        (got, answer["code"].as_str()),
        (413, Some("PAYLOAD_TOO_LARGE"))
    );

    let all = pull(&session, json!({})).await;
    assert_eq!(
        all["lastSeq"], 1,
        "nothing of the refused pushes was written: {all}"
    );
    assert_eq!(all["entries"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn users_never_see_or_change_each_others_documents() {
    let alice = new_user("alice").await;
    let bob = new_user("bob").await;
    push(&alice, json!({"changes": {"entries": [entry("shared-id", "2026-03-01T10:00:00.000Z", "alice's")]}})).await;
    let answer = push(
        &bob,
        json!({"changes": {"entries": [entry("shared-id", "2026-03-05T10:00:00.000Z", "bob's")]}}),
    )
    .await;
    assert_eq!(answer["conflicts"], json!([]));
    assert_eq!(
        pull(&alice, json!({})).await["entries"][0]["notes"],
        "alice's"
    );
    assert_eq!(pull(&bob, json!({})).await["entries"][0]["notes"], "bob's");

    let response = client()
        .post(format!("{}/api/sync/pull", api()))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn status_and_preferences_are_part_of_the_history() {
    let session = new_user("status").await;
    push(
        &session,
        json!({"changes": {"entries": [entry("s1", "2026-03-01T10:00:00.000Z", "x")]}}),
    )
    .await;
    let response = session
        .put(format!("{}/api/user/preferences", api()))
        .json(&json!({"theme": "dark"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let delta = pull(&session, json!({"since": "seq_1"})).await;
    assert_eq!(delta["userPreferences"][0]["theme"], "dark");

    let status: Value = session
        .get(format!("{}/api/sync/status", api()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["lastSeq"], 2);
    assert_eq!(status["syncToken"], "seq_2");
    assert_eq!(status["entityCount"], 2);
    assert_eq!(status["deviceCount"], 2, "dev_test and the server");
}

/// Several devices push shuffled, duplicated writes of the same documents concurrently; the
/// final pull equals the model: per document, the write with the greatest
/// (updatedAt, version, device id).
#[tokio::test]
async fn concurrent_devices_converge_to_the_model() {
    let session = new_user("devices").await;
    let devices = ["dev_a", "dev_b", "dev_c", "dev_d"];
    let mut writes: Vec<(String, Value)> = Vec::new();
    let mut seed: u64 = u64::from_str_radix(&random_hex(8), 16).unwrap() | 1;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for n in 0..120 {
        let doc = next() % 12;
        let device = devices[(next() % 4) as usize];
        // Distinct (clock, version, device) per write: the model never needs the checksum.
        let clock = format!(
            "2026-04-01T10:{:02}:{:02}.{:03}Z",
            n / 60,
            n % 60,
            next() % 1000
        );
        let version = 1 + (next() % 3) as i64;
        let mut document = entry(&format!("doc{doc}"), &clock, &format!("{device} write {n}"));
        document["version"] = json!(version);
        if next() % 7 == 0 {
            document = json!({"id": format!("doc{doc}"), "updatedAt": clock, "deletedAt": clock, "version": version});
        }
        writes.push((device.to_string(), document));
    }
    let key = |(device, doc): &(String, Value)| {
        (
            doc["updatedAt"].as_str().unwrap().to_string(),
            doc["version"].as_i64().unwrap(),
            device.clone(),
        )
    };
    let mut model: HashMap<String, (String, Value)> = HashMap::new();
    for write in &writes {
        let id = write.1["id"].as_str().unwrap().to_string();
        let wins = model.get(&id).is_none_or(|best| key(write) > key(best));
        if wins {
            model.insert(id, write.clone());
        }
    }

    // Each device pushes its own writes plus some duplicates, in shuffled batches, all at once.
    let mut tasks = Vec::new();
    for device in devices {
        let mut mine: Vec<Value> = writes
            .iter()
            .filter(|(d, _)| d == device)
            .map(|(_, w)| w.clone())
            .collect();
        let again: Vec<Value> = mine.iter().step_by(3).cloned().collect();
        mine.extend(again);
        for i in (1..mine.len()).rev() {
            mine.swap(i, (next() % (i as u64 + 1)) as usize);
        }
        let session = session.clone();
        tasks.push(tokio::spawn(async move {
            for batch in mine.chunks(7) {
                let (status, _, answer) = push_as(
                    &session,
                    device,
                    &json!({"changes": {"entries": batch}}),
                    None,
                )
                .await;
                assert_eq!(status, 200, "{answer}");
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }

    let all = pull(&session, json!({})).await;
    let stored: HashMap<String, Value> = all["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|doc| (doc["id"].as_str().unwrap().to_string(), doc.clone()))
        .collect();
    assert_eq!(stored.len(), model.len());
    for (id, (_, expected)) in &model {
        let got = &stored[id];
        assert_eq!(got["updatedAt"], expected["updatedAt"], "{id}");
        assert_eq!(got["version"], expected["version"], "{id}");
        assert_eq!(got.get("deletedAt"), expected.get("deletedAt"), "{id}");
        assert_eq!(got.get("notes"), expected.get("notes"), "{id}");
    }
}

#[tokio::test]
async fn batch_uploads_and_returns_what_the_client_lacks() {
    let session = new_user("batch").await;
    push(&session, json!({"changes": {
        "entries": [entry("server-only", "2026-03-01T10:00:00.000Z", "from another device")],
        "goals": [{"id": "g-shared", "title": "Newer on the server", "type": "custom", "updatedAt": "2026-03-05T10:00:00.000Z", "version": 3}],
    }})).await;

    let response = session.post(format!("{}/api/sync/batch", api()))
        .header("X-Device-ID", "dev_batch")
        .json(&json!({"entities": [
            {"id": "mine", "type": "logbook_entry", "version": 1, "checksum": "ignored",
             "data": entry("mine", "2026-03-02T10:00:00.000Z", "uploaded by batch")},
            {"id": "g-shared", "type": "goal", "version": 1,
             "data": {"title": "Older on the client", "type": "custom", "updatedAt": "2026-03-01T10:00:00.000Z"}},
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["uploaded"], 1, "{answer}");
    assert_eq!(answer["conflicts"][0]["entityId"], "g-shared");
    assert_eq!(answer["conflicts"][0]["localVersion"], 1);
    assert_eq!(answer["conflicts"][0]["remoteVersion"], 3);
    let ids: Vec<&str> = answer["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"server-only") && ids.contains(&"g-shared"),
        "{answer}"
    );
    assert!(
        !ids.contains(&"mine"),
        "the client's own upload is not sent back: {answer}"
    );
    assert_eq!(answer["downloaded"], ids.len());
    assert_eq!(answer["newSyncToken"], "seq_3");

    // Nothing new since the token: nothing to download.
    let again: Value = session
        .post(format!("{}/api/sync/batch", api()))
        .json(&json!({"entities": [], "syncToken": answer["newSyncToken"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["entities"], json!([]));

    let bad = session
        .post(format!("{}/api/sync/batch", api()))
        .json(&json!({"entities": [{"id": "x", "type": "gadget", "data": {}}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

fn now_iso() -> String {
    mirubato_core::practice::iso(chrono::Utc::now())
}

#[tokio::test]
async fn a_future_clock_is_bounded_and_a_correctly_timed_push_wins_afterwards() {
    let session = new_user("future-push").await;
    let before = now_iso();
    let (status, _, answer) = push_as(
        &session,
        "phone_2099",
        &json!({"changes": {
            "entries": [entry("fut1", "2099-01-01T00:00:00.000Z", "from 2099")],
            "goals": [{"id": "fut-g", "title": "Scales", "type": "custom", "updatedAt": "2026-03-01T10:00:00.000Z"}],
        }}),
        None,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["conflicts"], json!([]));
    assert_eq!(answer["stats"]["applied"], 2);
    assert_eq!(answer["stats"]["clockAdjusted"], 1, "{answer}");
    let adjusted = &answer["adjusted"];
    assert_eq!(adjusted.as_array().map(Vec::len), Some(1), "{answer}");
    assert_eq!(adjusted[0]["entityId"], "fut1");
    assert_eq!(adjusted[0]["entityType"], "logbook_entry");
    assert_eq!(adjusted[0]["clockAdjusted"], true);
    assert_eq!(adjusted[0]["clientClock"], "2099-01-01T00:00:00.000Z");
    let clock = adjusted[0]["clock"].as_str().unwrap().to_string();
    assert!(clock >= before && clock <= now_iso(), "{clock}");

    // Stored as of its arrival, with the client's clock kept.
    let pulled = pull(&session, json!({})).await;
    let stored = pulled["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|doc| doc["id"] == "fut1")
        .unwrap()
        .clone();
    assert_eq!(stored["updatedAt"], clock.as_str());
    assert_eq!(
        stored["metadata"]["clientClock"],
        "2099-01-01T00:00:00.000Z"
    );
    assert_eq!(stored["clientOnlyField"]["kept"], true);

    // The request's log line counts it.
    let line = mirubato_blackbox::log_line(
        shared(),
        Worker::Api,
        &[
            "\"path\":\"/api/sync/push\"",
            "\"counts\":{\"clockAdjusted\":1}",
        ],
    )
    .await;
    assert_eq!(line["status"], 200, "{line}");

    // A correctly-timed device now wins: an edit, then a delete.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let (status, _, answer) = push_as(
        &session,
        "laptop",
        &json!({"changes": {"entries": [entry("fut1", &now_iso(), "from the laptop")]}}),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(answer["conflicts"], json!([]), "{answer}");
    assert_eq!(answer["stats"]["applied"], 1);
    assert_eq!(answer["adjusted"], json!([]));
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let answer = push(
        &session,
        json!({"changes": {"entries": [{"id": "fut1", "deletedAt": now_iso()}]}}),
    )
    .await;
    assert_eq!(answer["stats"]["applied"], 1, "{answer}");

    // The batch protocol is bounded the same way.
    let response = session
        .post(format!("{}/api/sync/batch", api()))
        .header("X-Device-ID", "phone_2099")
        .json(&json!({"entities": [
            {"id": "fut-g", "type": "goal", "data": {"title": "Scales 2099", "type": "custom", "updatedAt": "2099-01-01T00:00:00Z"}},
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["uploaded"], 1, "{answer}");
    assert_eq!(answer["adjusted"][0]["entityId"], "fut-g", "{answer}");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let answer = push(&session, json!({"changes": {"goals": [
        {"id": "fut-g", "title": "Scales, correct clock", "type": "custom", "updatedAt": now_iso()},
    ]}}))
    .await;
    assert_eq!(answer["stats"]["applied"], 1, "{answer}");
    let pulled = pull(&session, json!({})).await;
    let docs = |list: &str| pulled[list].as_array().unwrap().clone();
    assert!(
        docs("entries")
            .iter()
            .any(|doc| doc["id"] == "fut1" && doc["deletedAt"].is_string())
    );
    assert!(
        docs("goals")
            .iter()
            .any(|doc| doc["id"] == "fut-g" && doc["title"] == "Scales, correct clock")
    );
}

#[tokio::test]
async fn the_hourly_cron_repairs_documents_stored_with_a_future_clock() {
    let mut stack = mirubato_blackbox::spawn_stack();
    let api = stack.url(Worker::Api);
    let session = sign_in(&stack, &unique_email("clock-repair")).await;
    let response = session
        .post(format!("{api}/api/sync/push"))
        .json(&json!({"changes": {"goals": [
            {"id": "frozen", "title": "Frozen", "type": "custom", "updatedAt": "2026-03-01T10:00:00.000Z"},
        ]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // A row as stored before clocks were bounded: its document clock in 2099.
    stack
        .execute_sql(
            Worker::Api,
            "UPDATE sync_data SET data = json_set(data, '$.updatedAt', '2099-01-01T00:00:00.000Z'), \
             clock_ms = 4070908800000 WHERE entity_id = 'frozen'",
        )
        .unwrap();
    let stored_at = {
        let pulled: Value = session
            .post(format!("{api}/api/sync/pull"))
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(pulled["goals"][0]["updatedAt"], "2099-01-01T00:00:00.000Z");
        pulled["lastSeq"].as_i64().unwrap()
    };
    // Frozen: a correctly-timed delete loses to 2099 on every retry.
    let response = session
        .delete(format!("{api}/api/goals/frozen"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    let response = client()
        .get(format!("{api}/__scheduled?cron=17+*+*+*+*"))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let line =
        mirubato_blackbox::log_line(&stack, Worker::Api, &["\"job\":\"repair-future-clocks\""])
            .await;
    assert_eq!(line["result"]["repaired"], 1, "{line}");

    // Repaired as a new change: clamped to when the server stored it, client value kept.
    let pulled: Value = session
        .post(format!("{api}/api/sync/pull"))
        .json(&json!({"since": stored_at}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let goal = &pulled["goals"][0];
    assert_eq!(goal["id"], "frozen", "{pulled}");
    assert_eq!(goal["metadata"]["clientClock"], "2099-01-01T00:00:00.000Z");
    let repaired = goal["updatedAt"].as_str().unwrap();
    assert!(repaired < now_iso().as_str(), "{repaired}");

    // And a correct device's delete goes through.
    let response = session
        .delete(format!("{api}/api/goals/frozen"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}
