//! The sync socket against the real local stack: the upgrade's checks, the protocol, one reply
//! per mutation, broadcasts only after storage, catch-up of everything (REST changes and
//! deletes included), REST changes pushed live, limits, isolation, clock and metronome.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use mirubato_blackbox::session::{sign_in, unique_email};
use mirubato_blackbox::socket::{next, next_of, open, send, ws_url};
use mirubato_blackbox::{Worker, shared};
use serde_json::{Value, json};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

fn entry(id: &str, updated_at: &str, notes: &str) -> Value {
    json!({
        "id": id, "timestamp": "2026-03-01T09:00:00.000Z", "duration": 25, "type": "practice",
        "instrument": "violin", "notes": notes, "createdAt": "2026-03-01T09:00:00.000Z", "updatedAt": updated_at,
    })
}

#[tokio::test]
async fn the_upgrade_checks_its_parameters_and_token() {
    let stack = shared();
    let alice = sign_in(stack, &unique_email("ws-auth")).await;
    let bob = sign_in(stack, &unique_email("ws-other")).await;
    let base = format!("http://127.0.0.1:{}/sync/ws", stack.port(Worker::Sync));
    let get = |query: String| {
        let url = format!("{base}{query}");
        async move {
            mirubato_blackbox::client()
                .get(url)
                .header("Upgrade", "websocket")
                .header("Connection", "Upgrade")
                .header("Sec-WebSocket-Version", "13")
                .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(get(String::new()).await.status(), 400);
    assert_eq!(
        get(format!("?userId={}", alice.user_id())).await.status(),
        400
    );
    assert_eq!(
        get(format!("?userId={}&token=garbage", alice.user_id()))
            .await
            .status(),
        401
    );
    assert_eq!(
        get(format!(
            "?userId={}&token={}",
            alice.user_id(),
            alice.refresh_token
        ))
        .await
        .status(),
        401
    );
    let mismatch = get(format!(
        "?userId={}&token={}",
        bob.user_id(),
        alice.access_token
    ))
    .await;
    assert_eq!(mismatch.status(), 403);
    let body: Value = mismatch.json().await.unwrap();
    assert_eq!(body["code"], "FORBIDDEN");
    assert_eq!(
        get(format!(
            "?userId={}&token={}",
            alice.user_id(),
            alice.access_token
        ))
        .await
        .status(),
        101
    );
}

#[tokio::test]
async fn mutations_are_acknowledged_once_and_broadcast_to_other_devices() {
    let session = sign_in(shared(), &unique_email("ws-live")).await;
    let mut phone = open(shared(), &session, "dev_phone").await;
    let mut laptop = open(shared(), &session, "dev_laptop").await;

    send(
        &mut phone,
        json!({"type": "PING", "timestamp": "2026-03-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(
        next(&mut phone).await,
        json!({"type": "PONG", "timestamp": "2026-03-01T00:00:00Z"})
    );

    send(&mut phone, json!({"type": "ENTRY_CREATED", "entry": entry("w1", "2026-03-01T10:00:00.000Z", "scales"), "timestamp": "x"})).await;
    let ack = next(&mut phone).await;
    assert_eq!(ack["type"], "SYNC_RESPONSE", "{ack}");
    assert_eq!(ack["message"], "Mutation applied");
    assert_eq!(ack["entityId"], "w1");
    assert_eq!(ack["lastSeq"], 1);
    let live = next(&mut laptop).await;
    assert_eq!(live["type"], "ENTRY_UPDATED", "{live}");
    assert_eq!(live["entry"]["notes"], "scales");
    assert_eq!(live["seq"], 1);

    // Older than what is stored: a conflict with the stored entry, and no broadcast.
    send(
        &mut laptop,
        json!({"type": "ENTRY_UPDATED", "entry": entry("w1", "2026-02-01T10:00:00.000Z", "stale")}),
    )
    .await;
    let conflict = next(&mut laptop).await;
    assert_eq!(conflict["type"], "SYNC_CONFLICT", "{conflict}");
    assert_eq!(conflict["reason"], "stale");
    assert_eq!(conflict["current"]["notes"], "scales");

    // Invalid: an error naming the entity, and the socket stays usable.
    send(&mut laptop, json!({"type": "ENTRY_CREATED", "entry": {"id": "w2", "updatedAt": "2026-03-01T10:00:00.000Z"}})).await;
    let error = next(&mut laptop).await;
    assert_eq!(error["type"], "ERROR");
    assert_eq!(error["code"], "INVALID_DATA");
    assert_eq!(error["entityId"], "w2");
    send(&mut laptop, json!({"type": "NOT_A_THING"})).await;
    assert_eq!(next(&mut laptop).await["code"], "INVALID_EVENT");
    laptop
        .send(Message::Text("{not json".into()))
        .await
        .unwrap();
    assert_eq!(next(&mut laptop).await["error"], "Invalid JSON format");

    send(
        &mut laptop,
        json!({"type": "ENTRY_DELETED", "entryId": "w1", "timestamp": "2026-03-02T10:00:00.000Z"}),
    )
    .await;
    let ack = next(&mut laptop).await;
    assert_eq!(
        (ack["type"].as_str(), ack["lastSeq"].as_i64()),
        (Some("SYNC_RESPONSE"), Some(2)),
        "{ack}"
    );
    let deleted = next(&mut phone).await;
    assert_eq!(deleted["type"], "ENTRY_DELETED");
    assert_eq!(deleted["entryId"], "w1");
}

#[tokio::test]
async fn catch_up_covers_everything_after_the_cursor_including_rest_changes() {
    let stack = shared();
    let session = sign_in(stack, &unique_email("ws-catchup")).await;
    let api = stack.url(Worker::Api);
    // A device online during the REST writes hears each one live.
    let mut online = open(shared(), &session, "dev_online").await;
    let response = session
        .post(format!("{api}/api/sync/push"))
        .json(&json!({"changes": {
            "entries": [entry("c1", "2026-03-01T10:00:00.000Z", "one"), entry("c2", "2026-03-01T10:00:00.000Z", "two")],
            "goals": [{"id": "g1", "title": "Vibrato", "type": "custom", "updatedAt": "2026-03-01T10:00:00.000Z"}],
        }}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    session
        .post(format!("{api}/api/sync/push"))
        .json(&json!({"changes": {"entries": [{"id": "c1", "deletedAt": "2026-03-02T10:00:00.000Z"}]}}))
        .send()
        .await
        .unwrap();
    // (Each REST request notifies after its response, so two requests' frames may cross.)
    let mut live = Vec::new();
    for _ in 0..4 {
        live.push(
            next(&mut online).await["type"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    live.sort();
    assert_eq!(
        live,
        [
            "DOCUMENTS_SYNC",
            "ENTRY_DELETED",
            "ENTRY_UPDATED",
            "ENTRY_UPDATED"
        ]
    );

    // A device that was away catches up on all of it.
    let mut socket = open(shared(), &session, "dev_new").await;
    send(&mut socket, json!({"type": "SYNC_REQUEST", "lastSeq": 0})).await;
    let mut frames = Vec::new();
    loop {
        let frame = next(&mut socket).await;
        if frame["type"] == "SYNC_RESPONSE" {
            assert_eq!(frame["lastSeq"], 4);
            assert_eq!(frame["message"], "Sync complete");
            break;
        }
        frames.push(frame);
    }
    let kinds: Vec<&str> = frames
        .iter()
        .map(|frame| frame["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["BULK_SYNC", "DOCUMENTS_SYNC", "ENTRY_DELETED"],
        "{frames:?}"
    );
    assert_eq!(
        frames[0]["entries"].as_array().unwrap().len(),
        1,
        "c1 and c2 were pushed, but c1's latest state is its delete"
    );
    assert_eq!(frames[1]["entityType"], "goal");
    assert_eq!(frames[2]["entryId"], "c1");

    send(&mut socket, json!({"type": "SYNC_REQUEST", "lastSeq": 4})).await;
    let done = next(&mut socket).await;
    assert_eq!(
        (done["message"].as_str(), done["lastSeq"].as_i64()),
        (Some("No new data to sync"), Some(4))
    );

    // A REST change reaches the connected device live.
    session
        .put(format!("{api}/api/user/preferences"))
        .json(&json!({"theme": "dark"}))
        .send()
        .await
        .unwrap();
    let live = next_of(&mut socket, "DOCUMENTS_SYNC").await;
    assert_eq!(live["entityType"], "user_preferences");
    assert_eq!(live["documents"][0]["theme"], "dark");
}

#[tokio::test]
async fn users_are_isolated_and_limits_hold() {
    let stack = shared();
    let alice = sign_in(stack, &unique_email("ws-alice")).await;
    let bob = sign_in(stack, &unique_email("ws-bob")).await;
    let mut alice_socket = open(shared(), &alice, "dev_a").await;
    let mut bob_socket = open(shared(), &bob, "dev_b").await;
    send(&mut alice_socket, json!({"type": "ENTRY_CREATED", "entry": entry("private", "2026-03-01T10:00:00.000Z", "alice only")})).await;
    assert_eq!(next(&mut alice_socket).await["type"], "SYNC_RESPONSE");
    send(&mut bob_socket, json!({"type": "SYNC_REQUEST"})).await;
    let bob_frame = next(&mut bob_socket).await;
    assert_eq!(
        bob_frame["message"], "No new data to sync",
        "bob sees nothing of alice: {bob_frame}"
    );

    // An oversized frame is refused with an error; the socket stays open.
    let huge = json!({"type": "PING", "timestamp": "x".repeat(1_100_000)});
    send(&mut bob_socket, huge).await;
    assert_eq!(next(&mut bob_socket).await["code"], "FRAME_TOO_LARGE");
    send(&mut bob_socket, json!({"type": "PING", "timestamp": 1})).await;
    assert_eq!(next(&mut bob_socket).await["type"], "PONG");

    // At most ten sockets per user: the eleventh is closed with a reason.
    let mut sockets = vec![];
    for n in 0..9 {
        sockets.push(open(shared(), &bob, &format!("dev_{n}")).await);
    }
    let (mut eleventh, _) = connect_async(ws_url(stack, &bob, "dev_x")).await.unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(10), eleventh.next())
        .await
        .unwrap();
    match closed {
        Some(Ok(Message::Close(Some(frame)))) => {
            assert_eq!(u16::from(frame.code), 1008);
            assert!(frame.reason.contains("at most 10"), "{}", frame.reason);
        }
        other => panic!("expected a close frame, got {other:?}"),
    }
}

#[tokio::test]
async fn clock_sync_and_the_ensemble_metronome() {
    let session = sign_in(shared(), &unique_email("ws-metronome")).await;
    let mut first = open(shared(), &session, "dev_1").await;
    let mut second = open(shared(), &session, "dev_2").await;
    send(
        &mut first,
        json!({"type": "CLOCK_SYNC", "clientTime": 1234.5}),
    )
    .await;
    let clock = next(&mut first).await;
    assert_eq!(clock["type"], "CLOCK_SYNC");
    assert_eq!(clock["clientTime"], 1234.5);
    let server_time = clock["serverTime"].as_i64().unwrap();
    assert!((server_time - chrono::Utc::now().timestamp_millis()).abs() < 60_000);

    send(
        &mut first,
        json!({"type": "METRONOME_START", "bpm": 96, "beatsPerBar": 3}),
    )
    .await;
    for socket in [&mut first, &mut second] {
        let start = next(socket).await;
        assert_eq!(start["type"], "METRONOME_START", "{start}");
        assert_eq!(start["bpm"], 96.0);
        assert!(
            start["startAt"].as_i64().unwrap() > start["serverTime"].as_i64().unwrap(),
            "starts in the future"
        );
    }
    send(
        &mut second,
        json!({"type": "METRONOME_START", "bpm": 1000, "beatsPerBar": 3}),
    )
    .await;
    assert_eq!(next(&mut second).await["code"], "INVALID_DATA");
    send(&mut second, json!({"type": "METRONOME_STOP"})).await;
    assert_eq!(next(&mut first).await["type"], "METRONOME_STOP");
}

/// Sockets that send no frame for the idle timeout are closed by the coordinator's alarm.
/// (A private stack with a 2-second timeout and a 1-second alarm, instead of 5 minutes.)
#[tokio::test]
async fn idle_sockets_are_closed_by_the_alarm() {
    let stack = mirubato_blackbox::spawn_stack_with(|options| {
        options
            .extra_vars
            .push((Worker::Sync, "SYNC_IDLE_SECS".into(), "2".into()));
        options
            .extra_vars
            .push((Worker::Sync, "SYNC_ALARM_SECS".into(), "1".into()));
    });
    let session = sign_in(&stack, &unique_email("ws-idle")).await;
    let (mut socket, _) = connect_async(ws_url(&stack, &session, "dev_idle"))
        .await
        .unwrap();
    assert_eq!(next(&mut socket).await["type"], "WELCOME");
    let closed = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => continue,
                other => panic!("socket ended without a close frame: {other:?}"),
            }
        }
    })
    .await
    .expect("idle socket was not closed");
    let frame = closed.expect("close frame with a code");
    assert_eq!(u16::from(frame.code), 4000);
    assert!(frame.reason.contains("Idle"), "{}", frame.reason);
}

fn now_iso() -> String {
    mirubato_core::practice::iso(chrono::Utc::now())
}

#[tokio::test]
async fn a_future_device_clock_is_bounded_and_a_correct_device_still_wins() {
    let stack = shared();
    let session = sign_in(stack, &unique_email("ws-clock")).await;
    let mut phone = open(stack, &session, "phone-2099").await;
    let mut laptop = open(stack, &session, "laptop").await;

    // The phone's clock says 2099: its write is kept, bounded, and the reply says so.
    send(
        &mut phone,
        json!({"type": "ENTRY_CREATED", "entry": entry("fc1", "2099-01-01T00:00:00.000Z", "from 2099")}),
    )
    .await;
    let reply = next(&mut phone).await;
    assert_eq!(reply["type"], "SYNC_RESPONSE", "{reply}");
    assert_eq!(reply["entityId"], "fc1");
    assert_eq!(reply["clockAdjusted"], true, "{reply}");
    let told = next_of(&mut laptop, "ENTRY_UPDATED").await;
    assert_eq!(
        told["entry"]["metadata"]["clientClock"],
        "2099-01-01T00:00:00.000Z"
    );
    let stored_at = told["entry"]["updatedAt"].as_str().unwrap().to_string();
    assert!(
        stored_at < now_iso(),
        "stored as of its arrival: {stored_at}"
    );

    // A correctly-timed edit, then a correctly-timed delete, both win.
    tokio::time::sleep(Duration::from_millis(5)).await;
    send(
        &mut laptop,
        json!({"type": "ENTRY_UPDATED", "entry": entry("fc1", &now_iso(), "from the laptop")}),
    )
    .await;
    let reply = next(&mut laptop).await;
    assert_eq!(reply["type"], "SYNC_RESPONSE", "{reply}");
    assert!(reply.get("clockAdjusted").is_none(), "{reply}");
    tokio::time::sleep(Duration::from_millis(5)).await;
    send(
        &mut laptop,
        json!({"type": "ENTRY_DELETED", "entryId": "fc1", "timestamp": now_iso()}),
    )
    .await;
    let reply = next(&mut laptop).await;
    assert_eq!(reply["type"], "SYNC_RESPONSE", "{reply}");

    // A delete frame's timestamp is a document clock too.
    send(
        &mut phone,
        json!({"type": "ENTRY_CREATED", "entry": entry("fc2", &now_iso(), "two")}),
    )
    .await;
    assert_eq!(
        next_of(&mut phone, "SYNC_RESPONSE").await["entityId"],
        "fc2"
    );
    send(
        &mut phone,
        json!({"type": "ENTRY_DELETED", "entryId": "fc2", "timestamp": "2099-06-01T00:00:00.000Z"}),
    )
    .await;
    let reply = next_of(&mut phone, "SYNC_RESPONSE").await;
    assert_eq!(reply["clockAdjusted"], true, "{reply}");
    tokio::time::sleep(Duration::from_millis(5)).await;
    send(
        &mut laptop,
        json!({"type": "ENTRY_UPDATED", "entry": entry("fc2", &now_iso(), "restored")}),
    )
    .await;
    let reply = next_of(&mut laptop, "SYNC_RESPONSE").await;
    assert_eq!(reply["entityId"], "fc2", "{reply}");
    let pulled: Value = session
        .post(format!("{}/api/sync/pull", stack.url(Worker::Api)))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries = pulled["entries"].as_array().unwrap();
    let by_id = |id: &str| entries.iter().find(|doc| doc["id"] == id).unwrap().clone();
    assert!(by_id("fc1")["deletedAt"].is_string(), "{pulled}");
    assert_eq!(by_id("fc2")["notes"], "restored");
    assert!(by_id("fc2")["deletedAt"].is_null());
}

#[tokio::test]
async fn a_stale_occurrence_in_a_plan_frame_is_a_conflict() {
    let stack = shared();
    let session = sign_in(stack, &unique_email("ws-plan")).await;
    let mut tablet = open(stack, &session, "tablet").await;
    let occurrence = |updated_at: &str, status: &str| json!({"id": "occ_stale", "planId": "plan_stale", "status": status, "updatedAt": updated_at});
    send(
        &mut tablet,
        json!({"type": "PLAN_CREATED",
               "plan": {"id": "plan_stale", "title": "Etudes", "updatedAt": "2026-03-01T10:00:00.000Z"},
               "occurrences": [occurrence("2026-03-02T10:00:00.000Z", "completed")]}),
    )
    .await;
    let reply = next(&mut tablet).await;
    assert_eq!(reply["type"], "SYNC_RESPONSE", "{reply}");

    // The plan is newer, its occurrence older than the stored one: not "applied".
    send(
        &mut tablet,
        json!({"type": "PLAN_CREATED",
               "plan": {"id": "plan_stale", "title": "Etudes, again", "updatedAt": "2026-03-03T10:00:00.000Z"},
               "occurrences": [occurrence("2026-03-01T11:00:00.000Z", "scheduled")]}),
    )
    .await;
    let reply = next(&mut tablet).await;
    assert_eq!(reply["type"], "SYNC_CONFLICT", "{reply}");
    assert_eq!(reply["entityType"], "plan_occurrence");
    assert_eq!(reply["entityId"], "occ_stale");
    assert_eq!(reply["reason"], "stale");
    assert_eq!(reply["current"]["status"], "completed");
}
