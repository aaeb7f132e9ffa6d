//! Practice recordings against the real local stack with real R2: uploads of every audio type
//! (byte-equal downloads), range and conditional requests, multipart uploads, bad input that
//! stores nothing, ownership, quota, account deletion removing the objects, the `recording`
//! sync entity seen by another device, and the cron that aborts abandoned uploads.

use std::time::Duration;

use mirubato_blackbox::session::{Session, sign_in, unique_email};
use mirubato_blackbox::socket::{next, next_of, open, send};
use mirubato_blackbox::{Stack, Worker, client, root, shared, spawn_stack_with, wav};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// R2 wants every multipart part but the last to be this size.
const PART_SIZE: usize = 5 * 1024 * 1024;

fn api(stack: &Stack) -> String {
    stack.url(Worker::Api)
}

/// A real MPEG-1 Layer III stream: frames of digital silence (128 kbit/s, 44.1 kHz).
fn mp3(frames: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..frames {
        let mut frame = vec![0u8; 417];
        frame[..4].copy_from_slice(&[0xFF, 0xFB, 0x90, 0x00]);
        out.extend_from_slice(&frame);
    }
    out
}

/// CRC-32 of Ogg pages (polynomial 0x04C11DB7, not reflected).
fn ogg_crc(data: &[u8]) -> u32 {
    let mut crc = 0u32;
    for &byte in data {
        crc ^= u32::from(byte) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04C1_1DB7
            } else {
                crc << 1
            };
        }
    }
    crc
}

fn ogg_page(packet: &[u8], sequence: u32, granule: u64, flags: u8) -> Vec<u8> {
    let mut page = b"OggS".to_vec();
    page.push(0);
    page.push(flags);
    page.extend_from_slice(&granule.to_le_bytes());
    page.extend_from_slice(&0x4D52_4241u32.to_le_bytes()); // stream serial
    page.extend_from_slice(&sequence.to_le_bytes());
    page.extend_from_slice(&[0; 4]); // CRC, filled below
    page.push(1);
    page.push(packet.len() as u8);
    page.extend_from_slice(packet);
    let crc = ogg_crc(&page);
    page[22..26].copy_from_slice(&crc.to_le_bytes());
    page
}

/// A real Ogg Opus stream: the two header packets and a second of silent 20 ms frames.
fn ogg_opus() -> Vec<u8> {
    let mut head = b"OpusHead".to_vec();
    head.extend_from_slice(&[1, 1]); // version, channels
    head.extend_from_slice(&312u16.to_le_bytes()); // pre-skip
    head.extend_from_slice(&48_000u32.to_le_bytes());
    head.extend_from_slice(&[0, 0, 0]); // gain, mapping family
    let mut tags = b"OpusTags".to_vec();
    tags.extend_from_slice(&8u32.to_le_bytes());
    tags.extend_from_slice(b"mirubato");
    tags.extend_from_slice(&0u32.to_le_bytes());
    let mut out = ogg_page(&head, 0, 0, 0x02);
    out.extend(ogg_page(&tags, 1, 0, 0));
    for frame in 0..50u32 {
        let last = frame == 49;
        // TOC 0xF8: CELT fullband 20 ms, mono, one frame; no payload is a silent frame.
        out.extend(ogg_page(
            &[0xF8],
            frame + 2,
            u64::from(frame + 1) * 960,
            if last { 0x04 } else { 0 },
        ));
    }
    out
}

fn fixture(name: &str) -> Vec<u8> {
    let path = root().join("tests/fixtures/audio").join(name);
    std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// One small real file of every accepted type.
fn samples() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("audio/wav", wav(8000)),
        ("audio/webm", fixture("tone.webm")),
        ("audio/mp4", fixture("tone.m4a")),
        ("audio/mpeg", mp3(10)),
        ("audio/ogg", ogg_opus()),
    ]
}

async fn upload(
    stack: &Stack,
    session: &Session,
    content_type: &str,
    bytes: Vec<u8>,
    query: &[(&str, &str)],
) -> (StatusCode, Value) {
    let response = session
        .post(format!("{}/api/recordings", api(stack)))
        .query(query)
        .header("Content-Type", content_type)
        .body(bytes)
        .send()
        .await
        .expect("upload");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn upload_ok(stack: &Stack, session: &Session, content_type: &str, bytes: Vec<u8>) -> Value {
    let (status, body) = upload(
        stack,
        session,
        content_type,
        bytes,
        &[("durationMs", "1000"), ("entryId", "entry_rec")],
    )
    .await;
    assert_eq!(status, 201, "{content_type}: {body}");
    body
}

async fn get_json(session: &Session, url: String) -> (StatusCode, Value) {
    let response = session.get(url).send().await.expect("GET");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn audio(stack: &Stack, session: &Session, id: &str) -> reqwest::Response {
    session
        .get(format!("{}/api/recordings/{id}/audio", api(stack)))
        .send()
        .await
        .expect("GET audio")
}

async fn usage(stack: &Stack, session: &Session) -> u64 {
    let (_, me) = get_json(session, format!("{}/api/user/me", api(stack))).await;
    me["recordingStorage"]["usedBytes"]
        .as_u64()
        .unwrap_or_else(|| panic!("no usage in {me}"))
}

async fn recordings(stack: &Stack, session: &Session) -> Vec<Value> {
    let (status, body) = get_json(session, format!("{}/api/recordings", api(stack))).await;
    assert_eq!(status, 200, "{body}");
    body["recordings"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn every_audio_type_round_trips_byte_equal() {
    let stack = shared();
    let session = sign_in(stack, &unique_email("rec-types")).await;
    let mut total = 0;
    for (content_type, bytes) in samples() {
        let doc = upload_ok(stack, &session, content_type, bytes.clone()).await;
        assert_eq!(doc["contentType"], content_type);
        assert_eq!(doc["size"], bytes.len());
        assert_eq!(doc["durationMs"], 1000);
        assert_eq!(doc["entryId"], "entry_rec");
        let id = doc["id"].as_str().expect("id");
        let response = audio(stack, &session, id).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], content_type);
        assert!(response.headers().contains_key("etag"));
        assert_eq!(response.bytes().await.unwrap().as_ref(), bytes.as_slice());
        let (status, meta) =
            get_json(&session, format!("{}/api/recordings/{id}", api(stack))).await;
        assert_eq!((status.as_u16(), &meta["id"]), (200, &doc["id"]));
        total += bytes.len() as u64;
    }
    assert_eq!(recordings(stack, &session).await.len(), 5);
    assert_eq!(usage(stack, &session).await, total);
    let (_, other_entry) = get_json(
        &session,
        format!("{}/api/recordings?entryId=another", api(stack)),
    )
    .await;
    assert_eq!(other_entry["recordings"], json!([]));
    // Codec parameters are accepted as browsers send them.
    let (status, _) = upload(
        stack,
        &session,
        "audio/webm;codecs=opus",
        fixture("tone.webm"),
        &[("durationMs", "1000")],
    )
    .await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn ranges_and_conditional_requests() {
    let stack = shared();
    let session = sign_in(stack, &unique_email("rec-range")).await;
    let bytes = wav(4000);
    let doc = upload_ok(stack, &session, "audio/wav", bytes.clone()).await;
    let url = format!(
        "{}/api/recordings/{}/audio",
        api(stack),
        doc["id"].as_str().unwrap()
    );
    let size = bytes.len();

    let response = session
        .get(&url)
        .header("Range", "bytes=0-9")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 206);
    assert_eq!(
        response.headers()["content-range"],
        format!("bytes 0-9/{size}").as_str()
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), &bytes[..10]);

    let response = session
        .get(&url)
        .header("Range", "bytes=-100")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 206);
    assert_eq!(
        response.bytes().await.unwrap().as_ref(),
        &bytes[size - 100..]
    );

    let response = session
        .get(&url)
        .header("Range", format!("bytes={size}-"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 416);
    assert_eq!(
        response.headers()["content-range"],
        format!("bytes */{size}").as_str()
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "RANGE_NOT_SATISFIABLE");

    let etag = session.get(&url).send().await.unwrap().headers()["etag"]
        .to_str()
        .unwrap()
        .to_string();
    let response = session
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 304);
    let response = session
        .get(&url)
        .header("If-None-Match", "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// Content type, body, query, expected status and code.
type BadUpload = (
    &'static str,
    Vec<u8>,
    Vec<(&'static str, &'static str)>,
    u16,
    &'static str,
);

#[tokio::test]
async fn bad_uploads_are_refused_and_store_nothing() {
    let stack = shared();
    let session = sign_in(stack, &unique_email("rec-bad")).await;
    let duration = [("durationMs", "1000")];
    let cases: Vec<BadUpload> = vec![
        (
            "text/plain",
            wav(100),
            duration.to_vec(),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "audio/webm",
            wav(100),
            duration.to_vec(),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "audio/wav",
            b"%PDF-1.7 not audio".to_vec(),
            duration.to_vec(),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "audio/wav",
            Vec::new(),
            duration.to_vec(),
            400,
            "VALIDATION_ERROR",
        ),
        ("audio/wav", wav(100), Vec::new(), 400, "VALIDATION_ERROR"),
        (
            "audio/wav",
            wav(100),
            vec![("durationMs", "soon")],
            400,
            "VALIDATION_ERROR",
        ),
        (
            "audio/wav",
            wav(100),
            vec![("durationMs", "1000"), ("entryId", "has spaces")],
            400,
            "VALIDATION_ERROR",
        ),
        (
            "audio/wav",
            wav(13 * 1024 * 1024),
            duration.to_vec(),
            413,
            "PAYLOAD_TOO_LARGE",
        ),
    ];
    for (content_type, bytes, query, status, code) in cases {
        let (got, body) = upload(stack, &session, content_type, bytes, &query).await;
        assert_eq!(
            (got.as_u16(), body["code"].as_str()),
            (status, Some(code)),
            "{content_type} {query:?}: {body}"
        );
        assert_eq!(body["success"], false);
    }
    let anonymous = client()
        .post(format!("{}/api/recordings?durationMs=1", api(stack)))
        .header("Content-Type", "audio/wav")
        .body(wav(10))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert!(recordings(stack, &session).await.is_empty());
    assert_eq!(usage(stack, &session).await, 0);
}

async fn create_upload(stack: &Stack, session: &Session, body: Value) -> (StatusCode, Value) {
    let response = session
        .post(format!("{}/api/recordings/uploads", api(stack)))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn put_part(
    stack: &Stack,
    session: &Session,
    upload_id: &str,
    number: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let response = session
        .put(format!(
            "{}/api/recordings/uploads/{upload_id}/parts/{number}",
            api(stack)
        ))
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn complete(stack: &Stack, session: &Session, upload_id: &str) -> (StatusCode, Value) {
    let response = session
        .post(format!(
            "{}/api/recordings/uploads/{upload_id}/complete",
            api(stack)
        ))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn multipart_uploads_resume_complete_and_abort() {
    let stack = shared();
    let session = sign_in(stack, &unique_email("rec-multi")).await;
    let other = sign_in(stack, &unique_email("rec-multi-other")).await;
    let bytes = wav(PART_SIZE / 2 + 300_000);
    assert!(bytes.len() > PART_SIZE);
    let (status, created) = create_upload(
        stack,
        &session,
        json!({"contentType": "audio/wav", "size": bytes.len(), "durationMs": 700_000, "title": "Long run"}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["partSize"], PART_SIZE);
    assert_eq!(created["partCount"], 2);
    let upload_id = created["uploadId"].as_str().unwrap().to_string();
    let (first, second) = bytes.split_at(PART_SIZE);

    // Bad parts: out of range, wrong length, spoofed first bytes; another user's upload.
    for (number, body, status) in [
        ("0", second.to_vec(), 400),
        ("3", second.to_vec(), 400),
        ("x", second.to_vec(), 400),
        ("2", second[1..].to_vec(), 400),
    ] {
        let (got, body) = put_part(stack, &session, &upload_id, number, body).await;
        assert_eq!(got.as_u16(), status, "part {number}: {body}");
    }
    let mut spoofed = first.to_vec();
    spoofed[..4].copy_from_slice(b"OggS");
    let (got, _) = put_part(stack, &session, &upload_id, "1", spoofed).await;
    assert_eq!(got, 415);
    let (got, _) = put_part(stack, &other, &upload_id, "2", second.to_vec()).await;
    assert_eq!(got, 404);

    // The last part first; completing now names what is missing; the status says it too.
    let (got, body) = put_part(stack, &session, &upload_id, "2", second.to_vec()).await;
    assert_eq!(got, 200, "{body}");
    let (got, body) = complete(stack, &session, &upload_id).await;
    assert_eq!(got, 400);
    assert_eq!(body["details"]["missingParts"], json!([1]));
    let (_, status_body) = get_json(
        &session,
        format!("{}/api/recordings/uploads/{upload_id}", api(stack)),
    )
    .await;
    assert_eq!(status_body["receivedParts"], json!([2]));
    assert_eq!(status_body["missingParts"], json!([1]));
    // The declared size is reserved while the upload is open.
    assert_eq!(usage(stack, &session).await, bytes.len() as u64);

    let (got, _) = put_part(stack, &session, &upload_id, "1", first.to_vec()).await;
    assert_eq!(got, 200);
    let (got, other_complete) = complete(stack, &other, &upload_id).await;
    assert_eq!(got, 404, "{other_complete}");
    let (got, doc) = complete(stack, &session, &upload_id).await;
    assert_eq!(got, 201, "{doc}");
    assert_eq!(doc["title"], "Long run");
    assert_eq!(doc["size"], bytes.len());
    let downloaded = audio(stack, &session, doc["id"].as_str().unwrap()).await;
    assert_eq!(downloaded.bytes().await.unwrap().as_ref(), bytes.as_slice());
    assert_eq!(usage(stack, &session).await, bytes.len() as u64);
    let (got, _) = get_json(
        &session,
        format!("{}/api/recordings/uploads/{upload_id}", api(stack)),
    )
    .await;
    assert_eq!(got, 404, "a completed upload is gone");

    // Abort: nothing stays, not even the reservation.
    let (_, aborted) = create_upload(
        stack,
        &session,
        json!({"contentType": "audio/wav", "size": 1000, "durationMs": 10}),
    )
    .await;
    let aborted_id = aborted["uploadId"].as_str().unwrap();
    let response = other
        .delete(format!(
            "{}/api/recordings/uploads/{aborted_id}",
            api(stack)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let response = session
        .delete(format!(
            "{}/api/recordings/uploads/{aborted_id}",
            api(stack)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (got, _) = put_part(stack, &session, aborted_id, "1", wav(478)).await;
    assert_eq!(got, 404);
    assert_eq!(usage(stack, &session).await, bytes.len() as u64);

    // Bad declarations.
    for (body, status) in [
        (
            json!({"contentType": "video/mp4", "size": 10, "durationMs": 1}),
            415,
        ),
        (
            json!({"contentType": "audio/wav", "size": 0, "durationMs": 1}),
            400,
        ),
        (
            json!({"contentType": "audio/wav", "size": 600_000_000u64, "durationMs": 1}),
            413,
        ),
        (
            json!({"contentType": "audio/wav", "size": 10, "durationMs": -5}),
            400,
        ),
        (
            json!({"contentType": "audio/wav", "size": 10, "durationMs": 1, "peaks": [2]}),
            400,
        ),
        (json!({"contentType": "audio/wav", "size": 10}), 400),
        (
            json!({"contentType": "audio/wav", "size": 10, "durationMs": 1, "owner": "x"}),
            400,
        ),
    ] {
        let (got, answer) = create_upload(stack, &session, body.clone()).await;
        assert_eq!(got.as_u16(), status, "{body}: {answer}");
    }
    assert_eq!(usage(stack, &session).await, bytes.len() as u64);
}

#[tokio::test]
async fn recordings_are_private_editable_and_deletable() {
    let stack = shared();
    let owner = sign_in(stack, &unique_email("rec-own")).await;
    let stranger = sign_in(stack, &unique_email("rec-stranger")).await;
    let doc = upload_ok(stack, &owner, "audio/wav", wav(800)).await;
    let id = doc["id"].as_str().unwrap();
    let base = format!("{}/api/recordings/{id}", api(stack));

    for response in [
        stranger.get(&base).send().await.unwrap(),
        stranger.get(format!("{base}/audio")).send().await.unwrap(),
        stranger
            .request(reqwest::Method::PATCH, &base)
            .json(&json!({"title": "mine now"}))
            .send()
            .await
            .unwrap(),
        stranger.delete(&base).send().await.unwrap(),
    ] {
        assert_eq!(response.status(), 404);
    }
    assert!(recordings(stack, &stranger).await.is_empty());

    let patch = |body: Value| {
        owner
            .request(reqwest::Method::PATCH, &base)
            .json(&body)
            .send()
    };
    let response = patch(json!({"title": "Take 2", "entryId": null, "peaks": [0.0, 0.5, 1.0]}))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["title"], "Take 2");
    assert!(updated.get("entryId").is_none());
    assert_eq!(updated["version"], 2);
    let too_many: Vec<f64> = vec![0.5; 2001];
    for bad in [
        json!({"peaks": [0.5, 1.5]}),
        json!({"peaks": too_many}),
        json!({"size": 1}),
        json!({}),
        json!({"title": "x".repeat(201)}),
    ] {
        let response = patch(bad.clone()).await.unwrap();
        assert_eq!(response.status(), 400, "{bad}");
    }
    let (_, unchanged) = get_json(&owner, base.clone()).await;
    assert_eq!(unchanged["version"], 2);

    let response = owner.delete(&base).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(owner.get(&base).send().await.unwrap().status(), 404);
    assert_eq!(audio(stack, &owner, id).await.status(), 404);
    assert_eq!(usage(stack, &owner).await, 0);
}

#[tokio::test]
async fn another_device_learns_of_a_recording_by_pull_and_catch_up() {
    let stack = shared();
    let session = sign_in(stack, &unique_email("rec-sync")).await;
    let doc = upload_ok(stack, &session, "audio/webm", fixture("tone.webm")).await;

    let response = session
        .post(format!("{}/api/sync/pull", api(stack)))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let pulled: Value = response.json().await.unwrap();
    let pulled_recordings = pulled["recordings"]
        .as_array()
        .unwrap_or_else(|| panic!("no recordings in {pulled}"));
    assert_eq!(pulled_recordings.len(), 1);
    assert_eq!(pulled_recordings[0]["id"], doc["id"]);

    let mut socket = open(stack, &session, "phone").await;
    send(&mut socket, json!({"type": "SYNC_REQUEST", "lastSeq": 0})).await;
    let mut seen = false;
    loop {
        let frame = next(&mut socket).await;
        if frame["type"] == "DOCUMENTS_SYNC" && frame["entityType"] == "recording" {
            seen = frame["documents"][0]["id"] == doc["id"];
        }
        if frame["type"] == "SYNC_RESPONSE" {
            break;
        }
    }
    assert!(seen, "catch-up carried the recording");

    // Devices cannot forge recording metadata.
    let response = session
        .post(format!("{}/api/sync/push", api(stack)))
        .json(&json!({"changes": {"recordings": [doc]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

/// Waits until the recordings bucket holds `expected` objects (Miniflare removes deleted
/// blobs in the background).
async fn await_stored_blobs(stack: &Stack, expected: usize) {
    for _ in 0..100 {
        if stored_blobs(stack) == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "recording objects stored: {} (expected {expected})",
        stored_blobs(stack)
    );
}

/// Objects' bytes kept by the api's local R2 bucket (Miniflare's blob store).
fn stored_blobs(stack: &Stack) -> usize {
    let blobs = mirubato_stack::persist_dir(stack.state_dir(), Worker::Api)
        .join("v3/r2/mirubato-recordings/blobs");
    std::fs::read_dir(blobs).map_or(0, |entries| entries.count())
}

#[tokio::test]
async fn quota_and_account_deletion() {
    let stack = spawn_stack_with(|options| {
        options
            .extra_vars
            .push((Worker::Api, "RECORDINGS_QUOTA_BYTES".into(), "20000".into()));
    });
    let session = sign_in(&stack, &unique_email("rec-quota")).await;
    let before = stored_blobs(&stack);
    let first = upload_ok(&stack, &session, "audio/wav", wav(6000)).await;
    assert_eq!(first["size"], 12_044);
    let (status, body) = upload(
        &stack,
        &session,
        "audio/wav",
        wav(6000),
        &[("durationMs", "5")],
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["code"], "QUOTA_EXCEEDED");
    assert_eq!(body["details"]["usedBytes"], 12_044);
    assert_eq!(body["details"]["quotaBytes"], 20_000);
    assert_eq!(body["details"]["requestedBytes"], 12_044);
    let (status, body) = create_upload(
        &stack,
        &session,
        json!({"contentType": "audio/wav", "size": 9000, "durationMs": 1}),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body["code"].as_str()),
        (413, Some("QUOTA_EXCEEDED"))
    );
    let (_, me) = get_json(&session, format!("{}/api/user/me", api(&stack))).await;
    assert_eq!(
        me["recordingStorage"],
        json!({"usedBytes": 12_044, "quotaBytes": 20_000})
    );

    // An open upload too: deleting the account removes every object and upload.
    let (status, _) = create_upload(
        &stack,
        &session,
        json!({"contentType": "audio/wav", "size": 5000, "durationMs": 1}),
    )
    .await;
    assert_eq!(status, 201);
    assert!(stored_blobs(&stack) > before);
    let response = session
        .delete(format!("{}/api/user/me", api(&stack)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    await_stored_blobs(&stack, before).await;
}

#[tokio::test]
async fn the_cron_aborts_only_abandoned_uploads() {
    let stack = shared();
    let session = sign_in(stack, &unique_email("rec-cron")).await;
    let (_, created) = create_upload(
        stack,
        &session,
        json!({"contentType": "audio/wav", "size": 1000, "durationMs": 10}),
    )
    .await;
    let upload_id = created["uploadId"].as_str().unwrap();
    let response = client()
        .get(format!("{}/__scheduled?cron=17+*+*+*+*", api(stack)))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let mut logged = false;
    for _ in 0..50 {
        if stack
            .log(Worker::Api)
            .contains("\"job\":\"abort-abandoned-uploads\"")
        {
            logged = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(logged, "the cron logs what it did");
    let (status, _) = get_json(
        &session,
        format!("{}/api/recordings/uploads/{upload_id}", api(stack)),
    )
    .await;
    assert_eq!(status, 200, "a fresh upload is kept");
}

#[tokio::test]
async fn the_recordings_of_a_deleted_entry_go_after_the_grace_period() {
    let mut stack = spawn_stack_with(|options| {
        options.extra_vars.push((
            Worker::Api,
            "DELETED_ENTRY_RECORDINGS_HOURS".into(),
            "0".into(),
        ));
    });
    let session = sign_in(&stack, &unique_email("rec-entry-gone")).await;
    let push = |entries: Value| {
        session
            .post(format!("{}/api/sync/push", api(&stack)))
            .json(&json!({ "changes": { "entries": entries } }))
            .send()
    };
    let entry = |id: &str| {
        json!({"id": id, "timestamp": "2026-03-01T09:00:00.000Z", "duration": 20,
               "type": "practice", "instrument": "piano", "updatedAt": "2026-03-01T09:00:00.000Z"})
    };
    assert_eq!(
        push(json!([entry("entry_gone"), entry("entry_kept")]))
            .await
            .unwrap()
            .status(),
        200
    );
    let mut ids = Vec::new();
    for (entry_id, samples) in [
        ("entry_gone", 800),
        ("entry_gone", 900),
        ("entry_kept", 700),
    ] {
        let (status, doc) = upload(
            &stack,
            &session,
            "audio/wav",
            wav(samples),
            &[("durationMs", "1000"), ("entryId", entry_id)],
        )
        .await;
        assert_eq!(status, 201, "{doc}");
        ids.push(doc["id"].as_str().unwrap().to_string());
    }
    let kept_bytes = wav(700).len() as u64;
    let deleted = json!([{"id": "entry_gone", "deletedAt": mirubato_core::practice::iso(chrono::Utc::now())}]);
    assert_eq!(push(deleted).await.unwrap().status(), 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // A device connected meanwhile is told at once.
    let mut socket = open(&stack, &session, "tablet").await;
    send(&mut socket, json!({"type": "SYNC_REQUEST", "lastSeq": 0})).await;
    next_of(&mut socket, "SYNC_RESPONSE").await;

    let response = client()
        .get(format!("{}/__scheduled?cron=17+*+*+*+*", api(&stack)))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let line = mirubato_blackbox::log_line(
        &stack,
        Worker::Api,
        &["\"job\":\"delete-recordings-of-deleted-entries\""],
    )
    .await;
    assert_eq!(line["result"]["deleted"], 2, "{line}");
    let mut told = Vec::new();
    while told.len() < 2 {
        let frame = next(&mut socket).await;
        if frame["type"] == "DOCUMENTS_SYNC" && frame["entityType"] == "recording" {
            for doc in frame["documents"].as_array().unwrap() {
                assert!(doc["deletedAt"].is_string(), "{frame}");
                told.push(doc["id"].as_str().unwrap().to_string());
            }
        }
    }
    told.sort();
    let mut gone = ids[..2].to_vec();
    gone.sort();
    assert_eq!(told, gone);

    // The deleted entry's takes are gone everywhere: document, audio, quota; the other stays.
    let left: Vec<String> = recordings(&stack, &session)
        .await
        .iter()
        .map(|doc| doc["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(left, [ids[2].clone()]);
    for id in &ids[..2] {
        assert_eq!(audio(&stack, &session, id).await.status(), 404);
    }
    assert_eq!(audio(&stack, &session, &ids[2]).await.status(), 200);
    assert_eq!(usage(&stack, &session).await, kept_bytes);
    await_stored_blobs(&stack, 1).await;
    // Other devices learn of it as tombstones on their next pull.
    let pulled: Value = session
        .post(format!("{}/api/sync/pull", api(&stack)))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tombstones = pulled["recordings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|doc| doc.get("deletedAt").is_some_and(|at| !at.is_null()))
        .count();
    assert_eq!(tombstones, 2, "{pulled}");
    stack.shutdown();
}

#[tokio::test]
async fn the_grace_period_runs_from_when_the_server_saw_the_delete() {
    // The shared stack keeps a deleted entry's recordings for the default week.
    let stack = shared();
    let session = sign_in(stack, &unique_email("rec-late-clock")).await;
    let push = |entries: Value| {
        session
            .post(format!("{}/api/sync/push", api(stack)))
            .json(&json!({ "changes": { "entries": entries } }))
            .send()
    };
    let entry = json!({"id": "entry_late_clock", "timestamp": "2026-03-01T09:00:00.000Z", "duration": 20,
                       "type": "practice", "instrument": "piano", "updatedAt": "2026-03-01T09:00:00.000Z"});
    assert_eq!(push(json!([entry])).await.unwrap().status(), 200);
    let (status, doc) = upload(
        stack,
        &session,
        "audio/wav",
        wav(600),
        &[("durationMs", "1000"), ("entryId", "entry_late_clock")],
    )
    .await;
    assert_eq!(status, 201, "{doc}");
    let id = doc["id"].as_str().unwrap().to_string();

    // Deleted today by a device whose clock is eight days behind.
    let behind = chrono::Utc::now() - chrono::Duration::days(8);
    let deleted =
        json!([{"id": "entry_late_clock", "deletedAt": mirubato_core::practice::iso(behind)}]);
    assert_eq!(push(deleted).await.unwrap().status(), 200);

    let runs = |log: String| {
        log.matches("\"job\":\"delete-recordings-of-deleted-entries\"")
            .count()
    };
    let before = runs(stack.log(Worker::Api));
    let response = client()
        .get(format!("{}/__scheduled?cron=17+*+*+*+*", api(stack)))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let mut ran = false;
    for _ in 0..100 {
        if runs(stack.log(Worker::Api)) > before {
            ran = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ran, "the cron ran");
    let kept: Vec<Value> = recordings(stack, &session).await;
    assert!(
        kept.iter().any(|doc| doc["id"] == id.as_str()),
        "kept for a week after the server saw the delete: {kept:?}"
    );
    assert_eq!(audio(stack, &session, &id).await.status(), 200);
}
