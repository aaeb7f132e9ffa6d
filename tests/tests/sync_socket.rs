//! The sync socket against the real local stack: the upgrade's checks, the protocol, one reply
//! per mutation, broadcasts only after storage, catch-up of everything (REST changes and
//! deletes included), REST changes pushed live, limits, isolation, clock and metronome.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use std::sync::OnceLock;

use mirubato_blackbox::session::{sign_in, unique_email};
use mirubato_blackbox::socket::{closed, next, next_of, open, send, short_lived_token, ws_url};
use mirubato_blackbox::{Stack, Worker, log_line, shared};
use serde_json::{Value, json};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

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

    // At most ten sockets per user: the eleventh is refused at the upgrade, before any
    // socket exists, with a 429 in the error envelope.
    let mut sockets = vec![];
    for n in 0..9 {
        sockets.push(open(shared(), &bob, &format!("dev_{n}")).await);
    }
    let eleventh = upgrade(&ws_url(stack, &bob, "dev_x").replacen("ws://", "http://", 1)).await;
    assert_eq!(eleventh.status(), 429);
    assert!(eleventh.headers().contains_key("Retry-After"));
    let body: Value = eleventh.json().await.unwrap();
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["code"], "RATE_LIMITED", "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("at most 10"),
        "{body}"
    );
    // Closing one makes room again.
    sockets.pop().unwrap().close(None).await.unwrap();
    let mut room = None;
    for _ in 0..50 {
        match connect_async(ws_url(stack, &bob, "dev_y")).await {
            Ok((socket, _)) => {
                room = Some(socket);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let mut room = room.expect("a socket closed leaves room for another");
    assert_eq!(next(&mut room).await["type"], "WELCOME");
}

/// A plain HTTP request for a socket upgrade (so a refusal's status and body can be read).
async fn upgrade(url: &str) -> reqwest::Response {
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

/// The private stack of this file's tests that need other settings: a 2-second idle timeout
/// with a 1-second alarm (instead of 5 minutes and 1 minute), and a sync rate limit of 12
/// units a minute per user. Booted once, shared by those tests (distinct users).
fn tight() -> &'static Stack {
    static TIGHT: OnceLock<Stack> = OnceLock::new();
    TIGHT.get_or_init(|| {
        mirubato_blackbox::spawn_stack_with(|options| {
            for (name, value) in [
                ("SYNC_IDLE_SECS", "2"),
                ("SYNC_ALARM_SECS", "1"),
                ("RATE_LIMIT_SYNC", "anonymous=100/60,user=12/60"),
            ] {
                options
                    .extra_vars
                    .push((Worker::Sync, name.into(), value.into()));
            }
        })
    })
}

/// Sockets that send no frame for the idle timeout are closed by the coordinator's alarm.
#[tokio::test]
async fn idle_sockets_are_closed_by_the_alarm() {
    let stack = tight();
    let session = sign_in(stack, &unique_email("ws-idle")).await;
    let (mut socket, _) = connect_async(ws_url(stack, &session, "dev_idle"))
        .await
        .unwrap();
    assert_eq!(next(&mut socket).await["type"], "WELCOME");
    let (code, reason) = closed(&mut socket, 20).await;
    assert_eq!(code, 4000);
    assert!(reason.contains("Idle"), "{reason}");
}

/// Every frame counts against the user's sync limit (12 a minute here; the connect counted
/// one): beyond it a frame gets RATE_LIMITED with retryAfter and is not applied, and a socket
/// that keeps sending is closed with 1008.
#[tokio::test]
async fn frames_beyond_the_sync_limit_are_refused_and_a_flood_is_closed() {
    let stack = tight();
    let session = sign_in(stack, &unique_email("ws-limit")).await;
    // Room for the whole test in one fixed window of the limit.
    mirubato_blackbox::await_window_with_room(60, 25).await;
    let mut socket = open(stack, &session, "dev_flood").await;
    for n in 0..11 {
        send(&mut socket, json!({"type": "PING", "timestamp": n})).await;
        let pong = next(&mut socket).await;
        assert_eq!(pong["type"], "PONG", "frame {n}: {pong}");
    }
    // The thirteenth unit: a write, refused and not stored.
    send(
        &mut socket,
        json!({"type": "ENTRY_CREATED", "entry": entry("limited1", "2026-03-01T10:00:00.000Z", "refused")}),
    )
    .await;
    let refused = next(&mut socket).await;
    assert_eq!(refused["type"], "ERROR", "{refused}");
    assert_eq!(refused["code"], "RATE_LIMITED", "{refused}");
    let retry_after = refused["retryAfter"].as_u64().unwrap();
    assert!((1..=60).contains(&retry_after), "{refused}");
    // A catch-up refused at its first page sends nothing but the refusal.
    send(&mut socket, json!({"type": "SYNC_REQUEST", "lastSeq": 0})).await;
    let refused = next(&mut socket).await;
    assert_eq!(refused["code"], "RATE_LIMITED", "{refused}");
    // Eight more refused frames are answered; the eleventh refused frame closes the socket.
    for n in 0..8 {
        send(&mut socket, json!({"type": "PING", "timestamp": n})).await;
        assert_eq!(
            next(&mut socket).await["code"],
            "RATE_LIMITED",
            "refusal {n}"
        );
    }
    send(
        &mut socket,
        json!({"type": "PING", "timestamp": "one too many"}),
    )
    .await;
    let (code, reason) = closed(&mut socket, 10).await;
    assert_eq!(code, 1008, "{reason}");
    assert!(reason.contains("rate limited"), "{reason}");

    let pulled: Value = session
        .post(format!("{}/api/sync/pull", stack.url(Worker::Api)))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries = pulled["entries"].as_array().cloned().unwrap_or_default();
    assert!(
        entries.iter().all(|doc| doc["id"] != "limited1"),
        "a refused write is not stored: {pulled}"
    );
}

/// The token may come in `Sec-WebSocket-Protocol` (browsers cannot set headers on a socket);
/// the answer then selects `mirubato-sync`, or the browser would fail the socket.
#[tokio::test]
async fn the_token_may_be_offered_as_a_subprotocol() {
    let stack = shared();
    let session = sign_in(stack, &unique_email("ws-subprotocol")).await;
    let url = format!(
        "ws://127.0.0.1:{}/sync/ws?userId={}&deviceId=dev_browser",
        stack.port(Worker::Sync),
        session.user_id()
    );
    let mut request = url.as_str().into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_str(&format!("mirubato-sync, bearer.{}", session.access_token)).unwrap(),
    );
    let (mut socket, response) = connect_async(request).await.unwrap();
    assert_eq!(
        response.headers().get("Sec-WebSocket-Protocol").unwrap(),
        "mirubato-sync"
    );
    assert_eq!(next(&mut socket).await["type"], "WELCOME");
    send(&mut socket, json!({"type": "PING", "timestamp": 7})).await;
    assert_eq!(next(&mut socket).await["type"], "PONG");

    // A token offered without our subprotocol, or a bad one, is refused before any socket.
    let http = url.replacen("ws://", "http://", 1);
    let refused = mirubato_blackbox::client()
        .get(&http)
        .header("Upgrade", "websocket")
        .header("Connection", "Upgrade")
        .header("Sec-WebSocket-Version", "13")
        .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header(
            "Sec-WebSocket-Protocol",
            format!("bearer.{}", session.access_token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let forged = mirubato_blackbox::client()
        .get(&http)
        .header("Upgrade", "websocket")
        .header("Connection", "Upgrade")
        .header("Sec-WebSocket-Version", "13")
        .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("Sec-WebSocket-Protocol", "mirubato-sync, bearer.garbage")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
}

/// A socket follows its token: the coordinator's alarm is set for the token's expiry (not
/// the one-minute idle round) and closes the socket then with 4401.
#[tokio::test]
async fn a_socket_is_closed_when_its_token_expires() {
    let stack = shared();
    let session = sign_in(stack, &unique_email("ws-expiry")).await;
    let (token, exp) = short_lived_token(stack, &session, 3);
    let url = format!(
        "ws://127.0.0.1:{}/sync/ws?userId={}&token={token}&deviceId=dev_expiring",
        stack.port(Worker::Sync),
        session.user_id()
    );
    let (mut socket, _) = connect_async(url).await.unwrap();
    assert_eq!(next(&mut socket).await["type"], "WELCOME");
    send(&mut socket, json!({"type": "PING", "timestamp": 1})).await;
    assert_eq!(next(&mut socket).await["type"], "PONG");
    let (code, reason) = closed(&mut socket, 15).await;
    assert_eq!((code, reason.as_str()), (4401, "token expired"));
    let now = chrono::Utc::now().timestamp_millis();
    assert!(now >= exp * 1000, "closed before the token expired");
    assert!(
        now < exp * 1000 + 10_000,
        "closed long after the token expired"
    );
}

/// A frame that arrives after the token's expiry is not applied: TOKEN_EXPIRED, then 4401.
/// The alarm closes the socket at the expiry too, so the device keeps writing through the
/// expiry, a frame every 20 ms, each stamped with when it was sent: no frame sent after the
/// expiry (on the server's clock: same machine) is stored, and at least one of three
/// sockets must see its late frame answered TOKEN_EXPIRED before the close (the alarm may
/// win the race for the others).
#[tokio::test]
async fn a_frame_after_the_token_expired_is_refused() {
    let stack = shared();
    let session = sign_in(stack, &unique_email("ws-expired-frame")).await;
    let mut answered = 0;
    for attempt in 0..3 {
        answered += writes_through_expiry(stack, &session, attempt).await;
        if answered > 0 {
            break;
        }
    }
    assert_eq!(answered, 1, "no late frame was answered TOKEN_EXPIRED");
}

/// One socket whose token expires in two seconds, written to until it is closed: how many
/// TOKEN_EXPIRED errors it got (0 or 1) before its 4401 close.
async fn writes_through_expiry(
    stack: &Stack,
    session: &mirubato_blackbox::session::Session,
    attempt: usize,
) -> usize {
    let (token, exp) = short_lived_token(stack, session, 2);
    let url = format!(
        "ws://127.0.0.1:{}/sync/ws?userId={}&token={token}&deviceId=dev_late{attempt}",
        stack.port(Worker::Sync),
        session.user_id()
    );
    let (socket, _) = connect_async(url).await.unwrap();
    let (mut sink, mut stream) = socket.split();
    let sender = tokio::spawn(async move {
        let mut n = 0;
        loop {
            let sent_at = chrono::Utc::now().timestamp_millis();
            let id = format!("late{attempt}_{n}");
            let frame = json!({"type": "ENTRY_CREATED", "entry": entry(&id, "2026-03-01T10:00:00.000Z", &sent_at.to_string())});
            if sink
                .send(Message::Text(frame.to_string().into()))
                .await
                .is_err()
            {
                return;
            }
            n += 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let mut expired_errors = 0;
    let (code, reason) = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            match stream.next().await {
                Some(Ok(Message::Text(text))) => {
                    let frame: Value = serde_json::from_str(&text).unwrap();
                    match frame["type"].as_str() {
                        Some("WELCOME") | Some("SYNC_RESPONSE") => {}
                        _ => {
                            assert_eq!(frame["code"], "TOKEN_EXPIRED", "{frame}");
                            expired_errors += 1;
                        }
                    }
                }
                Some(Ok(Message::Close(Some(close)))) => {
                    return (u16::from(close.code), close.reason.to_string());
                }
                Some(Ok(_)) => {}
                other => panic!("socket ended without a close frame: {other:?}"),
            }
        }
    })
    .await
    .expect("the socket was not closed");
    sender.abort();
    assert_eq!((code, reason.as_str()), (4401, "token expired"));
    assert!(expired_errors <= 1, "one TOKEN_EXPIRED, then the close");
    let pulled: Value = session
        .post(format!("{}/api/sync/pull", stack.url(Worker::Api)))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let late: Vec<&Value> = pulled["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|doc| {
            let sent_at: i64 = doc["notes"].as_str().unwrap().parse().unwrap();
            sent_at >= exp * 1000
        })
        .collect();
    assert!(
        late.is_empty(),
        "frames sent after the expiry were stored: {late:?}"
    );
    expired_errors
}

/// The token in a socket URL's query is never written to our logs (the request log line has
/// the path only).
#[tokio::test]
async fn the_socket_token_is_not_logged() {
    let stack = shared();
    let session = sign_in(stack, &unique_email("ws-log")).await;
    let mut socket = open(stack, &session, "dev_logged").await;
    send(&mut socket, json!({"type": "PING", "timestamp": 1})).await;
    assert_eq!(next(&mut socket).await["type"], "PONG");
    socket.close(None).await.unwrap();
    log_line(
        stack,
        Worker::Sync,
        &["\"path\":\"/sync/ws\"", "\"status\":101"],
    )
    .await;
    let log = stack.log(Worker::Sync);
    assert!(
        !log.contains(&session.access_token),
        "the sync worker's log holds the token"
    );
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

/// `POST /internal/sessions/ended` closes the sockets of the ended sessions (or all of the
/// user's) with 4401 "session ended", answers how many, and refuses bad bodies. The api calls
/// it over its service binding; here a request addressed to the internal host stands in for
/// that call (the local server takes the host from the `Host` header), and the public host
/// gets 404. (Which sockets a list of session ids closes is core's `Peer::ended_by`, unit
/// tested; the stack's tokens carry no session until the api issues sessions.)
#[tokio::test]
async fn ending_sessions_closes_their_sockets() {
    let stack = shared();
    let session = sign_in(stack, &unique_email("ws-ended")).await;
    let other = sign_in(stack, &unique_email("ws-ended-other")).await;
    let user = session.user_id().to_string();
    let mut phone = open(stack, &session, "dev_phone").await;
    let mut laptop = open(stack, &session, "dev_laptop").await;
    let mut bystander = open(stack, &other, "dev_other").await;

    let ended = |body: Value, host: &'static str| {
        let url = format!(
            "http://127.0.0.1:{}/internal/sessions/ended",
            stack.port(Worker::Sync)
        );
        async move {
            mirubato_blackbox::client()
                .post(url)
                .header("Host", host)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let public = ended(json!({"userId": user, "all": true}), "127.0.0.1").await;
    assert_eq!(public.status(), 404);
    for bad in [
        json!({"userId": user}),
        json!({"userId": user, "all": false}),
        json!({"userId": user, "all": true, "sessionIds": ["sess_a"]}),
        json!({"sessionIds": ["sess_a"]}),
        json!({"userId": user, "sessionIds": ["not an id"]}),
    ] {
        let refused = ended(bad.clone(), "internal.mirubato").await;
        assert_eq!(refused.status(), 400, "{bad}");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["code"], "VALIDATION_ERROR", "{body}");
    }

    // A session none of the sockets belongs to closes nothing.
    let answer = ended(
        json!({"userId": user, "sessionIds": ["sess_0123456789abcdef"]}),
        "internal.mirubato",
    )
    .await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.json::<Value>().await.unwrap(), json!({"closed": 0}));
    send(&mut phone, json!({"type": "PING", "timestamp": "still"})).await;
    assert_eq!(next(&mut phone).await["type"], "PONG");

    let answer = ended(json!({"userId": user, "all": true}), "internal.mirubato").await;
    assert_eq!(answer.json::<Value>().await.unwrap(), json!({"closed": 2}));
    for socket in [&mut phone, &mut laptop] {
        let (code, reason) = closed(socket, 10).await;
        assert_eq!((code, reason.as_str()), (4401, "session ended"));
    }
    send(&mut bystander, json!({"type": "PING", "timestamp": "b"})).await;
    assert_eq!(
        next(&mut bystander).await["type"],
        "PONG",
        "another user's socket stays"
    );
}
