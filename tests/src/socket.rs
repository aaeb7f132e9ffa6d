//! The sync socket as a device uses it: open (after the WELCOME frame), send frames, read the
//! next frame or the next of a kind.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use crate::session::Session;
use crate::{Stack, Worker};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The socket URL of `session`'s user as device `device`.
pub fn ws_url(stack: &Stack, session: &Session, device: &str) -> String {
    format!(
        "ws://127.0.0.1:{}/sync/ws?userId={}&token={}&deviceId={device}",
        stack.port(Worker::Sync),
        session.user_id(),
        session.access_token
    )
}

/// Connects as `device` and reads the WELCOME frame.
pub async fn open(stack: &Stack, session: &Session, device: &str) -> Socket {
    let (mut socket, _) = connect_async(ws_url(stack, session, device))
        .await
        .expect("connect");
    let welcome = next(&mut socket).await;
    assert_eq!(welcome["type"], "WELCOME", "{welcome}");
    socket
}

/// The next text frame, within 10 s.
pub async fn next(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("no frame within 10 s")
            .expect("socket ended")
            .expect("socket error");
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).expect("frame is JSON");
        }
    }
}

/// The next frame of type `kind`, skipping at most 49 others.
pub async fn next_of(socket: &mut Socket, kind: &str) -> Value {
    for _ in 0..50 {
        let frame = next(socket).await;
        if frame["type"] == kind {
            return frame;
        }
    }
    panic!("no {kind} frame");
}

pub async fn send(socket: &mut Socket, frame: Value) {
    socket
        .send(Message::Text(frame.to_string().into()))
        .await
        .expect("send");
}

/// The close frame that ends `socket` within `secs` (skipping other frames): its code and
/// reason.
pub async fn closed(socket: &mut Socket, secs: u64) -> (u16, String) {
    tokio::time::timeout(Duration::from_secs(secs), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(Some(frame)))) => {
                    return (u16::from(frame.code), frame.reason.to_string());
                }
                Some(Ok(Message::Close(None))) => panic!("close frame without a code"),
                Some(Ok(_)) => continue,
                other => panic!("socket ended without a close frame: {other:?}"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("socket was not closed within {secs} s"))
}

/// `session`'s access token re-signed with the stack's `JWT_SECRET` to expire `secs` from
/// now (same claims otherwise, so the same user and sign-in session, and a fresh `jti`).
pub fn short_lived_token(stack: &Stack, session: &Session, secs: i64) -> (String, i64) {
    let exp = chrono::Utc::now().timestamp() + secs;
    let token = resign(stack, session, |claims| claims["exp"] = exp.into());
    (token, exp)
}

/// `session`'s access token with its claims changed by `change`, a fresh `iat` and `jti`,
/// signed with the stack's `JWT_SECRET`.
fn resign(stack: &Stack, session: &Session, change: impl FnOnce(&mut Value)) -> String {
    use base64::Engine as _;
    let payload = session
        .access_token
        .split('.')
        .nth(1)
        .expect("a JWT has a payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("payload is base64url");
    let mut claims: Value = serde_json::from_slice(&bytes).expect("claims are JSON");
    claims["iat"] = chrono::Utc::now().timestamp().into();
    claims["jti"] = crate::random_hex(16).into();
    change(&mut claims);
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(
            crate::stack_secret(stack, "JWT_SECRET").as_bytes(),
        ),
    )
    .expect("sign the token")
}
