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
