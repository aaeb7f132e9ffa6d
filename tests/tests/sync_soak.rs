//! Soak: 21 sockets across 3 users, thousands of random mutations with random disconnects and
//! reconnects. In the end every device's catch-up, the REST pull and the model computed here
//! agree: per entry, the write with the greatest (updatedAt, version, device id).

use std::collections::HashMap;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use mirubato_blackbox::session::{Session, sign_in, unique_email};
use mirubato_blackbox::{Worker, random_hex, shared};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

const USERS: usize = 3;
const DEVICES_PER_USER: usize = 7;
const MUTATIONS_PER_USER: usize = 700;
const DOCS_PER_USER: u64 = 20;

/// A device: a socket whose frames a reader task forwards to `frames`.
struct Device {
    name: String,
    sink: futures_util::stream::SplitSink<
        tokio_tungstenite::WebSocketStream<
            tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
        >,
        Message,
    >,
    frames: mpsc::UnboundedReceiver<Value>,
}

async fn connect(session: &Session, name: &str) -> Device {
    let url = format!(
        "ws://127.0.0.1:{}/sync/ws?userId={}&token={}&deviceId={name}",
        shared().port(Worker::Sync),
        session.user_id(),
        session.access_token
    );
    let (socket, _) = connect_async(url).await.expect("connect");
    let (sink, mut stream) = socket.split();
    let (tx, frames) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(Ok(message)) = stream.next().await {
            if let Message::Text(text) = message
                && let Ok(frame) = serde_json::from_str::<Value>(&text)
                && tx.send(frame).is_err()
            {
                break;
            }
        }
    });
    let mut device = Device {
        name: name.to_string(),
        sink,
        frames,
    };
    assert_eq!(device.next_of(&["WELCOME"]).await["type"], "WELCOME");
    device
}

impl Device {
    async fn send(&mut self, frame: Value) {
        self.sink
            .send(Message::Text(frame.to_string().into()))
            .await
            .expect("send");
    }

    /// The next frame of one of `kinds`, skipping broadcasts from other devices.
    async fn next_of(&mut self, kinds: &[&str]) -> Value {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(20), self.frames.recv())
                .await
                .expect("no frame within 20 s")
                .expect("socket closed");
            if kinds.iter().any(|kind| frame["type"] == *kind) {
                return frame;
            }
        }
    }

    /// The state a fresh catch-up from seq 0 describes: live entries by id with their updatedAt.
    async fn catch_up(&mut self) -> HashMap<String, String> {
        self.send(json!({"type": "SYNC_REQUEST", "lastSeq": 0}))
            .await;
        let mut state = HashMap::new();
        loop {
            let frame = self
                .next_of(&["BULK_SYNC", "ENTRY_DELETED", "SYNC_RESPONSE"])
                .await;
            match frame["type"].as_str() {
                Some("BULK_SYNC") => {
                    for entry in frame["entries"].as_array().unwrap() {
                        state.insert(
                            entry["id"].as_str().unwrap().to_string(),
                            entry["updatedAt"].as_str().unwrap().to_string(),
                        );
                    }
                }
                Some("ENTRY_DELETED") => {
                    state.remove(frame["entryId"].as_str().unwrap());
                }
                _ => return state,
            }
        }
    }
}

/// One write, with what the model orders it by.
#[derive(Clone)]
struct Write {
    doc: String,
    updated_at: String,
    version: i64,
    device: String,
    deleted: bool,
}

fn order_key(write: &Write) -> (String, i64, String) {
    (
        write.updated_at.clone(),
        write.version,
        write.device.clone(),
    )
}

async fn run_user(user: usize) {
    let session = sign_in(shared(), &unique_email(&format!("soak{user}"))).await;
    let mut devices = Vec::new();
    for d in 0..DEVICES_PER_USER {
        devices.push(connect(&session, &format!("dev_{user}_{d}")).await);
    }
    let mut seed: u64 = u64::from_str_radix(&random_hex(8), 16).unwrap() | 1;
    let mut random = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut writes: Vec<Write> = Vec::new();
    for n in 0..MUTATIONS_PER_USER {
        let index = (random() % DEVICES_PER_USER as u64) as usize;
        // Now and then a device drops off and comes back.
        if random() % 40 == 0 {
            let name = devices[index].name.clone();
            let _ = devices[index].sink.close().await;
            devices[index] = connect(&session, &name).await;
        }
        let device = &mut devices[index];
        let write = Write {
            doc: format!("doc{}", random() % DOCS_PER_USER),
            // Shuffled clocks: later mutations are not always newer.
            updated_at: format!(
                "2026-05-01T{:02}:{:02}:{:02}.{:03}Z",
                random() % 24,
                random() % 60,
                random() % 60,
                n % 1000
            ),
            version: 1 + (random() % 3) as i64,
            device: device.name.clone(),
            deleted: random() % 8 == 0,
        };
        let frame = if write.deleted {
            json!({"type": "ENTRY_DELETED", "entryId": write.doc, "timestamp": write.updated_at})
        } else {
            json!({"type": if n % 2 == 0 { "ENTRY_CREATED" } else { "ENTRY_UPDATED" }, "entry": {
                "id": write.doc, "timestamp": "2026-05-01T08:00:00.000Z", "duration": 10, "type": "practice",
                "instrument": "cello", "notes": format!("write {n}"), "updatedAt": write.updated_at, "version": write.version,
            }})
        };
        device.send(frame).await;
        let reply = device
            .next_of(&["SYNC_RESPONSE", "SYNC_CONFLICT", "ERROR"])
            .await;
        assert_ne!(reply["type"], "ERROR", "{reply}");
        writes.push(write);
    }

    // The model: per document, the greatest write (a delete's version is 1: it carries none).
    let mut model: HashMap<String, Write> = HashMap::new();
    for write in &writes {
        let mut write = write.clone();
        if write.deleted {
            write.version = 1;
        }
        if model
            .get(&write.doc)
            .is_none_or(|best| order_key(&write) > order_key(best))
        {
            model.insert(write.doc.clone(), write);
        }
    }
    let expected: HashMap<String, String> = model
        .values()
        .filter(|write| !write.deleted)
        .map(|write| (write.doc.clone(), write.updated_at.clone()))
        .collect();

    // Every device's catch-up…
    for device in devices.iter_mut() {
        assert_eq!(
            device.catch_up().await,
            expected,
            "catch-up of {}",
            device.name
        );
    }
    // …and the REST pull agree with the model.
    let pulled: Value = session
        .post(format!("{}/api/sync/pull", shared().url(Worker::Api)))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rest: HashMap<String, String> = pulled["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry.get("deletedAt").is_none_or(Value::is_null))
        .map(|entry| {
            (
                entry["id"].as_str().unwrap().to_string(),
                entry["updatedAt"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(rest, expected, "REST pull of user {user}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_devices_converge_on_the_model() {
    shared();
    let users: Vec<_> = (0..USERS)
        .map(|user| tokio::spawn(run_user(user)))
        .collect();
    for user in users {
        user.await.unwrap();
    }
}
