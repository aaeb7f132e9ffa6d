//! `SyncCoordinator`: one Durable Object per user, holding that user's device sockets with the
//! WebSocket Hibernation API (who is connected lives in each socket's attachment, so the
//! object can be evicted and woken without forgetting anyone).
//!
//! Every mutation frame gets exactly one reply to its sender — `SYNC_RESPONSE` once the api
//! has stored it, `SYNC_CONFLICT` when something newer is stored, `ERROR` when it is invalid
//! or could not be stored — and only a stored change is broadcast to the user's other sockets.

use std::time::Duration;

use mirubato_core::sync::protocol::{
    Change, ClientFrame, Mutation, ServerFrame, broadcast_frame, catch_up_frames, decode,
    metronome_start, mutation_reply,
};
use mirubato_edge::INTERNAL_HOST;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use worker::{
    DurableObject, Env, Headers, Method, Request, RequestInit, Response, State, WebSocket,
    WebSocketIncomingMessage, WebSocketPair, durable_object,
};

/// Sockets one user may hold open at once.
const MAX_SOCKETS: usize = 10;
/// Pages of changes one catch-up sends before asking the device to continue.
const MAX_CATCH_UP_PAGES: usize = 100;
/// Close code for a refused or idle socket (application range).
const CLOSE_POLICY: u16 = 1008;
const CLOSE_IDLE: u16 = 4000;

/// Who a socket belongs to; kept in the socket's attachment so it survives hibernation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Peer {
    user_id: String,
    device_id: String,
    connected_at: i64,
    last_seen: i64,
}

#[durable_object]
pub struct SyncCoordinator {
    state: State,
    env: Env,
}

fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}

fn timestamp() -> String {
    mirubato_edge::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn send(ws: &WebSocket, frame: &ServerFrame) {
    // A socket that cannot take a frame is closing; its device catches up on reconnect.
    let _ = ws.send_with_str(frame.to_text());
}

fn log(event: &str, detail: Value) {
    worker::console_log!(
        "{}",
        json!({"level": "info", "message": event, "detail": detail})
    );
}

impl SyncCoordinator {
    fn setting(&self, name: &str, default: u64) -> u64 {
        self.env
            .var(name)
            .ok()
            .and_then(|value| value.to_string().parse().ok())
            .unwrap_or(default)
    }

    fn idle_timeout_ms(&self) -> i64 {
        self.setting("SYNC_IDLE_SECS", 300) as i64 * 1000
    }

    fn alarm_interval(&self) -> Duration {
        Duration::from_secs(self.setting("SYNC_ALARM_SECS", 60))
    }

    async fn ensure_alarm(&self) {
        let storage = self.state.storage();
        if matches!(storage.get_alarm().await, Ok(None)) {
            let _ = storage.set_alarm(self.alarm_interval()).await;
        }
    }

    /// The socket upgrade, after the worker has checked the token.
    async fn accept_device(&self, req: Request) -> worker::Result<Response> {
        let url = req.url()?;
        let query = |name: &str| {
            url.query_pairs()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.into_owned())
        };
        let user_id = query("userId").unwrap_or_default();
        let device_id = query("deviceId")
            .filter(|id| mirubato_core::sync::rest::valid_client_token(id))
            .unwrap_or_else(|| format!("ws_{}", uuid::Uuid::new_v4().simple()));
        let open = self.state.get_websockets().len();

        let pair = WebSocketPair::new()?;
        self.state.accept_web_socket(&pair.server);
        if open >= MAX_SOCKETS {
            pair.server.close(
                Some(CLOSE_POLICY),
                Some(format!(
                    "Too many connections: at most {MAX_SOCKETS} devices per user"
                )),
            )?;
            return Response::from_websocket(pair.client);
        }
        let now = now_ms();
        pair.server.serialize_attachment(Peer {
            user_id,
            device_id,
            connected_at: now,
            last_seen: now,
        })?;
        send(
            &pair.server,
            &ServerFrame::Welcome {
                message: "Connected to Mirubato sync".into(),
                timestamp: timestamp(),
            },
        );
        self.ensure_alarm().await;
        Response::from_websocket(pair.client)
    }

    /// Changes stored through the api: every socket of the user hears of them.
    async fn broadcast_from_api(&self, mut req: Request) -> worker::Result<Response> {
        #[derive(Deserialize)]
        struct Body {
            changes: Vec<Change>,
        }
        let body: Body = match req.json().await {
            Ok(body) => body,
            Err(_) => return Response::error("Invalid broadcast", 400),
        };
        let sockets = self.state.get_websockets();
        let stamp = timestamp();
        for change in &body.changes {
            let frame = broadcast_frame(change, &stamp);
            for ws in &sockets {
                send(ws, &frame);
            }
        }
        Response::from_json(&json!({"success": true, "delivered": sockets.len()}))
    }

    /// A call to the api over the service binding.
    async fn call_api(&self, path: &str, body: &Value) -> Result<(u16, Value), worker::Error> {
        let headers = Headers::new();
        headers.set("Content-Type", "application/json")?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(body.to_string().into()));
        let mut response = self
            .env
            .service("API")?
            .fetch(format!("https://{INTERNAL_HOST}{path}"), Some(init))
            .await?;
        let status = response.status_code();
        let answer = response.json::<Value>().await.unwrap_or(Value::Null);
        Ok((status, answer))
    }

    async fn on_text(&self, ws: &WebSocket, peer: &Peer, text: &str) {
        let stamp = timestamp();
        let frame = match decode(text) {
            Ok(frame) => frame,
            Err(err) => {
                let message = match &err {
                    mirubato_core::sync::protocol::FrameError::InvalidJson => {
                        "Invalid JSON format".to_string()
                    }
                    other => other.to_string(),
                };
                send(ws, &ServerFrame::error(err.code(), message, None, &stamp));
                return;
            }
        };
        if let Some(mutation) = frame.mutation() {
            self.mutate(ws, peer, mutation).await;
            return;
        }
        match frame {
            ClientFrame::Ping { timestamp } => send(ws, &ServerFrame::Pong { timestamp }),
            ClientFrame::ClockSync { client_time } => send(
                ws,
                &ServerFrame::ClockSync {
                    client_time,
                    server_time: now_ms(),
                },
            ),
            ClientFrame::SyncRequest { last_seq } => {
                self.catch_up(ws, peer, last_seq.unwrap_or(0)).await
            }
            ClientFrame::MetronomeStart {
                bpm,
                beats_per_bar,
                start_at,
            } => {
                if !(20.0..=400.0).contains(&bpm) || !(1..=16).contains(&beats_per_bar) {
                    send(
                        ws,
                        &ServerFrame::error(
                            "INVALID_DATA",
                            "bpm must be 20 to 400 and beatsPerBar 1 to 16",
                            None,
                            &stamp,
                        ),
                    );
                    return;
                }
                let now = now_ms();
                let frame = ServerFrame::MetronomeStart {
                    bpm,
                    beats_per_bar,
                    start_at: metronome_start(start_at, now),
                    server_time: now,
                };
                for socket in self.state.get_websockets() {
                    send(&socket, &frame);
                }
            }
            ClientFrame::MetronomeStop {} => {
                let frame = ServerFrame::MetronomeStop { timestamp: stamp };
                for socket in self.state.get_websockets() {
                    send(&socket, &frame);
                }
            }
            // Mutations were handled above.
            _ => {}
        }
    }

    /// Stores a mutation through the api, replies once to the sender, and broadcasts what was
    /// stored to the user's other sockets.
    async fn mutate(&self, ws: &WebSocket, peer: &Peer, mutation: Mutation) {
        let stamp = timestamp();
        let entity_id = Some(mutation.entity_id.clone());
        let documents: Vec<Value> = mutation
            .documents
            .iter()
            .map(|(kind, document)| json!({"entityType": kind.as_str(), "document": document}))
            .collect();
        let body =
            json!({"userId": peer.user_id, "deviceId": peer.device_id, "documents": documents});
        let unavailable = ServerFrame::error(
            "UNAVAILABLE",
            "The change could not be stored; send it again",
            entity_id.clone(),
            &stamp,
        );
        let answer = match self.call_api("/internal/sync/apply", &body).await {
            Ok((200, answer)) => answer,
            Ok((400 | 413, answer)) => {
                let message = answer["error"]
                    .as_str()
                    .unwrap_or("Invalid data")
                    .to_string();
                send(
                    ws,
                    &ServerFrame::error("INVALID_DATA", message, entity_id, &stamp),
                );
                return;
            }
            other => {
                log(
                    "sync apply failed",
                    json!({"outcome": format!("{other:?}")}),
                );
                send(ws, &unavailable);
                return;
            }
        };
        send(ws, &mutation_reply(&mutation, &answer, &stamp));
        let changes: Vec<Change> =
            serde_json::from_value(answer["changes"].clone()).unwrap_or_default();
        if changes.is_empty() {
            return;
        }
        let others: Vec<WebSocket> = self
            .state
            .get_websockets()
            .into_iter()
            .filter(|socket| socket != ws)
            .collect();
        for change in &changes {
            let frame = broadcast_frame(change, &stamp);
            for socket in &others {
                send(socket, &frame);
            }
        }
    }

    /// Streams every change after `since`, of every type, tombstones included, in pages; then
    /// `SYNC_RESPONSE` with the new cursor.
    async fn catch_up(&self, ws: &WebSocket, peer: &Peer, since: i64) {
        let mut cursor = since.max(0);
        let mut sent_any = false;
        for _ in 0..MAX_CATCH_UP_PAGES {
            let body = json!({"userId": peer.user_id, "since": cursor});
            let answer = match self.call_api("/internal/sync/changes", &body).await {
                Ok((200, answer)) => answer,
                other => {
                    log("catch-up failed", json!({"outcome": format!("{other:?}")}));
                    send(
                        ws,
                        &ServerFrame::error(
                            "UNAVAILABLE",
                            "Error fetching sync data; send SYNC_REQUEST again",
                            None,
                            &timestamp(),
                        ),
                    );
                    return;
                }
            };
            let changes: Vec<Change> =
                serde_json::from_value(answer["changes"].clone()).unwrap_or_default();
            sent_any |= !changes.is_empty();
            for frame in catch_up_frames(&changes, &timestamp()) {
                send(ws, &frame);
            }
            cursor = answer["lastSeq"].as_i64().unwrap_or(cursor);
            if answer["hasMore"] != true {
                break;
            }
        }
        send(
            ws,
            &ServerFrame::SyncResponse {
                message: if sent_any {
                    "Sync complete"
                } else {
                    "No new data to sync"
                }
                .into(),
                last_seq: cursor,
                entity_id: None,
                clock_adjusted: false,
                timestamp: timestamp(),
            },
        );
    }
}

impl DurableObject for SyncCoordinator {
    fn new(state: State, env: Env) -> Self {
        // A literal "ping" is answered without waking the object.
        if let Ok(pair) = worker::WebSocketRequestResponsePair::new("ping", "pong") {
            state.set_websocket_auto_response(&pair);
        }
        Self { state, env }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        match (req.method(), req.path().as_str()) {
            (Method::Get, "/sync/ws") => self.accept_device(req).await,
            (Method::Post, "/broadcast") => self.broadcast_from_api(req).await,
            _ => Response::error("Not found", 404),
        }
    }

    async fn websocket_message(
        &self,
        ws: WebSocket,
        message: WebSocketIncomingMessage,
    ) -> worker::Result<()> {
        let Ok(Some(mut peer)) = ws.deserialize_attachment::<Peer>() else {
            let _ = ws.close(Some(CLOSE_POLICY), Some("Unknown connection"));
            return Ok(());
        };
        peer.last_seen = now_ms();
        let _ = ws.serialize_attachment(&peer);
        match message {
            WebSocketIncomingMessage::String(text) => self.on_text(&ws, &peer, &text).await,
            WebSocketIncomingMessage::Binary(_) => send(
                &ws,
                &ServerFrame::error(
                    "INVALID_EVENT",
                    "Frames are JSON text; binary frames are not accepted",
                    None,
                    &timestamp(),
                ),
            ),
        }
        Ok(())
    }

    async fn websocket_close(
        &self,
        ws: WebSocket,
        code: usize,
        _reason: String,
        _was_clean: bool,
    ) -> worker::Result<()> {
        // Complete the closing handshake; 1005/1006 are not codes one may send.
        let code = u16::try_from(code)
            .ok()
            .filter(|code| (1000..=4999).contains(code) && ![1005, 1006, 1015].contains(code));
        let _ = ws.close(Some(code.unwrap_or(1000)), Some("closed"));
        Ok(())
    }

    async fn websocket_error(&self, ws: WebSocket, _error: worker::Error) -> worker::Result<()> {
        let _ = ws.close(Some(1011), Some("socket error"));
        Ok(())
    }

    /// Idle cleanup: sockets silent for the idle timeout are closed; the alarm runs again
    /// while any socket remains.
    async fn alarm(&self) -> worker::Result<Response> {
        let cutoff = now_ms() - self.idle_timeout_ms();
        let mut remaining = 0;
        for ws in self.state.get_websockets() {
            let idle = ws
                .deserialize_attachment::<Peer>()
                .ok()
                .flatten()
                .is_none_or(|peer| peer.last_seen < cutoff);
            if idle {
                let _ = ws.close(
                    Some(CLOSE_IDLE),
                    Some("Idle timeout: no frame for too long"),
                );
            } else {
                remaining += 1;
            }
        }
        if remaining > 0 {
            self.state
                .storage()
                .set_alarm(self.alarm_interval())
                .await?;
        }
        Response::ok("")
    }
}
