//! `SyncCoordinator`: one Durable Object per user, holding that user's device sockets with the
//! WebSocket Hibernation API (who is connected lives in each socket's attachment, so the
//! object can be evicted and woken without forgetting anyone).
//!
//! Every mutation frame gets exactly one reply to its sender — `SYNC_RESPONSE` once the api
//! has stored it, `SYNC_CONFLICT` when something newer is stored, `ERROR` when it is invalid
//! or could not be stored — and only a stored change is broadcast to the user's other sockets.
//!
//! The socket follows its token: a frame after the token's expiry is answered
//! `TOKEN_EXPIRED` and the socket closed (4401), the alarm closes expired sockets on time, and
//! the api's sessions-ended call closes the sockets of ended sessions. Every frame counts
//! against the user's `sync` rate limit (a catch-up one unit per page); a refused frame is not
//! applied, and a socket that keeps sending while refused is closed (1008).

use mirubato_core::ApiError;
use mirubato_core::rate_limit::{Caller, Decision, Scope};
use mirubato_core::sync::protocol::{
    Change, ClientFrame, Mutation, ServerFrame, broadcast_frame, catch_up_frames, decode,
    metronome_start, mutation_reply,
};
use mirubato_core::sync::socket::{
    CLOSE_POLICY, CLOSE_UNAUTHORIZED, Peer, SUBPROTOCOL, SessionsEnded, next_alarm_ms,
};
use mirubato_edge::rate_limit::admit_caller;
use mirubato_edge::{error_response, post_internal};
use serde::Deserialize;
use serde_json::{Value, json};
use worker::{
    DurableObject, Env, Headers, Method, Request, Response, State, WebSocket,
    WebSocketIncomingMessage, WebSocketPair, durable_object,
};

/// Sockets one user may hold open at once.
const MAX_SOCKETS: usize = 10;
/// Pages of changes one catch-up sends before asking the device to continue.
const MAX_CATCH_UP_PAGES: usize = 100;
/// Close code for an idle socket (application range).
const CLOSE_IDLE: u16 = 4000;

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

fn log_error(event: &str, detail: Value) {
    worker::console_log!(
        "{}",
        json!({"level": "error", "message": event, "detail": detail})
    );
}

/// An instant (ms since the epoch) for `set_alarm`, which reads a bare number as an offset.
fn epoch(at_ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(at_ms).unwrap_or_default()
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

    fn alarm_interval_ms(&self) -> i64 {
        self.setting("SYNC_ALARM_SECS", 60) as i64 * 1000
    }

    /// Makes the alarm run by `at_ms` (ms since the epoch): an alarm set for later is
    /// brought forward.
    async fn alarm_by(&self, at_ms: i64) -> worker::Result<()> {
        let storage = self.state.storage();
        let scheduled = storage.get_alarm().await?;
        if scheduled.is_none_or(|scheduled| scheduled > at_ms) {
            storage.set_alarm(epoch(at_ms)).await?;
        }
        Ok(())
    }

    /// Counts `cost` units of the socket's user against the `sync` scope: the refusal, if
    /// refused. A limiter that fails lets the frame through (logged): a user's writes are
    /// never dropped for our fault.
    async fn refused(&self, peer: &Peer, cost: u32) -> Option<Decision> {
        let caller = Caller::User {
            id: peer.user_id.clone(),
        };
        match admit_caller(&self.env, Scope::SYNC, &caller, cost).await {
            Ok(decision) if !decision.allowed => Some(decision),
            Ok(_) => None,
            Err(err) => {
                log_error(
                    "sync rate limiter failed; frame admitted",
                    json!({"error": err.to_string()}),
                );
                None
            }
        }
    }

    /// Answers a refused frame with `RATE_LIMITED`, or closes a socket that keeps sending
    /// while refused.
    fn refuse(&self, ws: &WebSocket, peer: &mut Peer, decision: &Decision) {
        let close = peer.refuse(now_ms(), decision.retry_after_secs);
        let _ = ws.serialize_attachment(&*peer);
        if close {
            let _ = ws.close(
                Some(CLOSE_POLICY),
                Some("Too many frames while rate limited"),
            );
        } else {
            send(
                ws,
                &ServerFrame::rate_limited(decision.retry_after_secs, &timestamp()),
            );
        }
    }

    /// The socket upgrade, after the worker has checked the token (and told its session and
    /// expiry in headers it set itself).
    async fn accept_device(&self, req: Request) -> worker::Result<Response> {
        let url = req.url()?;
        let query = |name: &str| {
            url.query_pairs()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.into_owned())
        };
        let header = |name: &str| req.headers().get(name).ok().flatten();
        let user_id = query("userId").unwrap_or_default();
        let device_id = query("deviceId")
            .filter(|id| mirubato_core::sync::rest::valid_client_token(id))
            .unwrap_or_else(|| format!("ws_{}", uuid::Uuid::new_v4().simple()));
        if self.state.get_websockets().len() >= MAX_SOCKETS {
            return error_response(&ApiError::TooManyConnections {
                limit: MAX_SOCKETS,
                retry_after_secs: (self.alarm_interval_ms() / 1000).max(1) as u64,
            });
        }
        let now = now_ms();
        let peer = Peer::new(
            user_id,
            device_id,
            header(crate::SESSION_HEADER),
            header(crate::EXPIRES_HEADER).and_then(|exp| exp.parse().ok()),
            now,
        );

        let pair = WebSocketPair::new()?;
        self.state.accept_web_socket(&pair.server);
        pair.server.serialize_attachment(&peer)?;
        send(
            &pair.server,
            &ServerFrame::Welcome {
                message: "Connected to Mirubato sync".into(),
                timestamp: timestamp(),
            },
        );
        // The socket is accepted by now: a failed alarm is logged, not the upgrade's failure
        // (the next upgrade or alarm sets it again).
        if let Err(err) = self
            .alarm_by(next_alarm_ms(now, self.alarm_interval_ms(), [&peer]))
            .await
        {
            log_error("sync alarm not set", json!({"error": err.to_string()}));
        }
        let headers = Headers::new();
        if header(crate::SUBPROTOCOL_HEADER).is_some() {
            headers.set("Sec-WebSocket-Protocol", SUBPROTOCOL)?;
        }
        Ok(Response::from_websocket(pair.client)?.with_headers(headers))
    }

    /// The api ended some of the user's sessions (or all): their sockets are closed.
    async fn end_sessions(&self, mut req: Request) -> worker::Result<Response> {
        let body = req.bytes().await?;
        let ended = match SessionsEnded::parse(&body) {
            Ok(ended) => ended,
            Err(err) => return error_response(&err),
        };
        let mut closed = 0;
        for ws in self.state.get_websockets() {
            let ends = ws
                .deserialize_attachment::<Peer>()
                .ok()
                .flatten()
                .is_some_and(|peer| peer.ended_by(&ended.ended));
            if ends
                && ws
                    .close(Some(CLOSE_UNAUTHORIZED), Some("session ended"))
                    .is_ok()
            {
                closed += 1;
            }
        }
        Response::from_json(&json!({ "closed": closed }))
    }

    /// The user's account is being erased: every socket is closed and the object keeps
    /// nothing (storage and alarm deleted).
    async fn erase(&self) -> worker::Result<Response> {
        let mut closed = 0;
        for ws in self.state.get_websockets() {
            if ws
                .close(Some(CLOSE_UNAUTHORIZED), Some("account deleted"))
                .is_ok()
            {
                closed += 1;
            }
        }
        let storage = self.state.storage();
        storage.delete_alarm().await?;
        storage.delete_all().await?;
        Response::from_json(&json!({ "success": true, "closed": closed }))
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
        let mut response = post_internal(&self.env, "API", path, body, None).await?;
        let status = response.status_code();
        let answer = response.json::<Value>().await.unwrap_or(Value::Null);
        Ok((status, answer))
    }

    async fn on_text(&self, ws: &WebSocket, peer: &mut Peer, text: &str) {
        let stamp = timestamp();
        let decoded = decode(text);
        // A catch-up is charged per page as it goes; every other frame costs one unit.
        let catch_up = matches!(decoded, Ok(ClientFrame::SyncRequest { .. }));
        if !catch_up && let Some(decision) = self.refused(peer, 1).await {
            self.refuse(ws, peer, &decision);
            return;
        }
        let frame = match decoded {
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
            self.mutate(ws, &*peer, mutation).await;
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
    /// `SYNC_RESPONSE` with the new cursor. Each page costs one unit of the rate limit, paid
    /// before it is fetched: refused after some pages, the device gets the cursor reached and
    /// then `RATE_LIMITED`.
    async fn catch_up(&self, ws: &WebSocket, peer: &mut Peer, since: i64) {
        let mut cursor = since.max(0);
        let mut sent_any = false;
        for page in 0..MAX_CATCH_UP_PAGES {
            if let Some(decision) = self.refused(peer, 1).await {
                if page > 0 {
                    send(
                        ws,
                        &ServerFrame::SyncResponse {
                            message: "Sync paused by the rate limit; send SYNC_REQUEST again"
                                .into(),
                            last_seq: cursor,
                            entity_id: None,
                            clock_adjusted: false,
                            timestamp: timestamp(),
                        },
                    );
                }
                self.refuse(ws, peer, &decision);
                return;
            }
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
            (Method::Post, "/sessions/ended") => self.end_sessions(req).await,
            (Method::Post, "/erase") => self.erase().await,
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
        let now = now_ms();
        if peer.token_expired(now) {
            send(
                &ws,
                &ServerFrame::error(
                    "TOKEN_EXPIRED",
                    "The access token expired; reconnect with a fresh one",
                    None,
                    &timestamp(),
                ),
            );
            let _ = ws.close(Some(CLOSE_UNAUTHORIZED), Some("token expired"));
            return Ok(());
        }
        peer.last_seen = now;
        let _ = ws.serialize_attachment(&peer);
        match message {
            WebSocketIncomingMessage::String(text) => self.on_text(&ws, &mut peer, &text).await,
            WebSocketIncomingMessage::Binary(_) => match self.refused(&peer, 1).await {
                Some(decision) => self.refuse(&ws, &mut peer, &decision),
                None => send(
                    &ws,
                    &ServerFrame::error(
                        "INVALID_EVENT",
                        "Frames are JSON text; binary frames are not accepted",
                        None,
                        &timestamp(),
                    ),
                ),
            },
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

    /// Closes sockets whose token has expired (4401) and sockets silent for the idle timeout
    /// (4000); runs again while any socket remains, by the next token expiry at the latest.
    async fn alarm(&self) -> worker::Result<Response> {
        let now = now_ms();
        let idle_timeout = self.idle_timeout_ms();
        let mut remaining = Vec::new();
        for ws in self.state.get_websockets() {
            let Some(peer) = ws.deserialize_attachment::<Peer>().ok().flatten() else {
                let _ = ws.close(Some(CLOSE_POLICY), Some("Unknown connection"));
                continue;
            };
            if peer.token_expired(now) {
                let _ = ws.close(Some(CLOSE_UNAUTHORIZED), Some("token expired"));
            } else if peer.idle(now, idle_timeout) {
                let _ = ws.close(
                    Some(CLOSE_IDLE),
                    Some("Idle timeout: no frame for too long"),
                );
            } else {
                remaining.push(peer);
            }
        }
        if !remaining.is_empty() {
            let next = next_alarm_ms(now, self.alarm_interval_ms(), &remaining);
            self.state.storage().set_alarm(epoch(next)).await?;
        }
        Response::ok("")
    }
}
