//! Nothing leaked, memory bounded (issue #18, "Leaks and memory"), against the real local
//! stack: files of non-public scores are never publicly cacheable, unlisted collections are
//! unguessable and show strangers only public scores, a chunked body past its cap is a 413
//! that changes nothing, any title downloads, and AI generation has a daily quota.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mirubato_blackbox::session::{
    Session, processed_score, sign_in, unique_client_ip, unique_email,
};
use mirubato_blackbox::{Worker, call_scores as call, client, random_hex, shared};
use mirubato_core::scores::engrave::engrave;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn scores() -> String {
    shared().url(Worker::Scores)
}

async fn new_user(tag: &str) -> Session {
    sign_in(shared(), &unique_email(tag)).await
}

async fn get(session: Option<&Session>, path: &str) -> reqwest::Response {
    let request = match session {
        Some(session) => session.get(format!("{}{path}", scores())),
        None => client()
            .get(format!("{}{path}", scores()))
            .header("X-Forwarded-For", unique_client_ip()),
    };
    request.send().await.unwrap()
}

fn cache_control(response: &reqwest::Response) -> String {
    response.headers()["cache-control"]
        .to_str()
        .unwrap()
        .to_string()
}

/// Imports an engraved PDF as `user` (private, processed); returns its id.
async fn import_pdf(user: &Session, title: &str) -> String {
    let pdf = engrave("Leak check", "Anonymous", 1);
    let url = format!("data:application/pdf;base64,{}", STANDARD.encode(pdf));
    let (status, body) = call(
        Some(user),
        "POST",
        "/api/import",
        Some(json!({"url": url, "title": title})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["data"]["id"].as_str().unwrap().to_string();
    let score = processed_score(&scores(), Some(user), &id).await;
    assert_eq!(score["processingStatus"], "completed", "{score}");
    id
}

async fn set_visibility(user: &Session, id: &str, visibility: &str) {
    let (status, body) = call(
        Some(user),
        "PUT",
        &format!("/api/scores/{id}"),
        Some(json!({"visibility": visibility})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn files_of_a_non_public_score_are_cached_privately() {
    let owner = new_user("leaks-cache").await;
    let id = import_pdf(&owner, "Cache policy").await;
    let thumbnail = format!("/api/pdf/v2/thumbnail/{id}");
    let preview = format!("/api/pdf/v2/render/{id}/page/1");
    let pdf = format!("/api/scores/{id}/download/pdf");

    for path in [&thumbnail, &preview, &pdf] {
        let response = get(Some(&owner), path).await;
        assert_eq!(response.status(), 200, "{path}");
        let policy = cache_control(&response);
        assert!(policy.starts_with("private"), "{path}: {policy}");
    }

    set_visibility(&owner, &id, "public").await;
    for path in [&thumbnail, &preview] {
        let response = get(None, path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(cache_control(&response), IMMUTABLE, "{path}");
    }

    // Made private again: every new answer is private, and strangers get nothing.
    set_visibility(&owner, &id, "private").await;
    for path in [&thumbnail, &preview, &pdf] {
        let response = get(Some(&owner), path).await;
        assert_eq!(response.status(), 200, "{path}");
        let policy = cache_control(&response);
        assert!(policy.starts_with("private"), "{path}: {policy}");
        assert_eq!(get(None, path).await.status(), 404, "{path}");
    }

    // Unlisted is not public either.
    set_visibility(&owner, &id, "unlisted").await;
    let response = get(Some(&owner), &thumbnail).await;
    assert!(cache_control(&response).starts_with("private"));
}

/// Decodes RFC 3986 percent-encoding (a test's own, independent of the worker's encoder).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 3 <= bytes.len() {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn a_title_in_chinese_with_accents_downloads_under_its_name() {
    let owner = new_user("leaks-download").await;
    let title = "月光奏鸣曲 — Étude «Clair»";
    let id = import_pdf(&owner, title).await;
    let response = get(Some(&owner), &format!("/api/scores/{id}/download/pdf")).await;
    assert_eq!(response.status(), 200);
    let header = response.headers()["content-disposition"]
        .to_str()
        .expect("an ASCII header value")
        .to_string();
    assert!(response.bytes().await.unwrap().starts_with(b"%PDF-"));
    let (fallback, encoded) = header
        .split_once("; filename*=UTF-8''")
        .unwrap_or_else(|| panic!("no filename*: {header}"));
    assert!(fallback.starts_with("inline; filename=\""), "{header}");
    assert!(fallback.ends_with(".pdf\""), "{header}");
    assert_eq!(percent_decode(encoded), format!("{title}.pdf"));
}

/// Sends a JSON body of `size` bytes to the scores worker with `Transfer-Encoding: chunked`
/// (no `Content-Length`), as `user`; returns the status of the answer.
async fn post_chunked(user: &Session, path: &str, name: &str, size: usize) -> u16 {
    let address = shared().url(Worker::Scores).replace("http://", "");
    let mut stream = TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        user.bearer()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let prefix = format!("{{\"name\":\"{name}\",\"description\":\"");
    let suffix = "\"}";
    let filler = size.saturating_sub(prefix.len() + suffix.len());
    let mut body = prefix.into_bytes();
    body.extend(std::iter::repeat_n(b'a', filler));
    body.extend_from_slice(suffix.as_bytes());
    // The server may answer and close before the whole body is sent: a failed write is
    // expected then, the answer is what counts.
    for chunk in body.chunks(64 * 1024) {
        let frame = [
            format!("{:x}\r\n", chunk.len()).into_bytes(),
            chunk.to_vec(),
            b"\r\n".to_vec(),
        ]
        .concat();
        if stream.write_all(&frame).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    let status = answer
        .split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("no answer: {answer}"));
    if status == "413" {
        assert!(
            answer.contains("\"code\":\"PAYLOAD_TOO_LARGE\""),
            "{answer}"
        );
    }
    status.parse().unwrap()
}

#[tokio::test]
async fn a_chunked_body_past_its_cap_is_413_and_changes_nothing() {
    let user = new_user("leaks-chunked").await;
    let small = format!("Chunked {}", random_hex(3));
    assert_eq!(
        post_chunked(&user, "/api/user/collections", &small, 2_000).await,
        201
    );
    let large = format!("Chunked large {}", random_hex(3));
    assert_eq!(
        post_chunked(&user, "/api/user/collections", &large, 3 * 1024 * 1024).await,
        413
    );
    let (status, body) = call(Some(&user), "GET", "/api/user/collections", None).await;
    assert_eq!(status, 200, "{body}");
    let names: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|collection| collection["name"].as_str())
        .collect();
    assert!(names.contains(&small.as_str()), "{names:?}");
    assert!(!names.contains(&large.as_str()), "{names:?}");
}

async fn create_score(user: &Session, title: &str, visibility: &str) -> String {
    let (status, body) = call(
        Some(user),
        "POST",
        "/api/scores",
        Some(json!({"title": title, "composer": "Anon", "instrument": "piano", "difficulty": "beginner", "source": "manual", "visibility": visibility})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["data"]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn unlisted_collections_are_unguessable_and_show_strangers_only_public_scores() {
    let owner = new_user("leaks-collections").await;
    let stranger = new_user("leaks-collections-other").await;
    let name = format!("Exam pieces {}", random_hex(3));
    let (status, body) = call(
        Some(&owner),
        "POST",
        "/api/user/collections",
        Some(json!({"name": name, "visibility": "unlisted"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["data"]["id"].as_str().unwrap().to_string();
    let slug = body["data"]["slug"].as_str().unwrap().to_string();
    assert_eq!(slug.len(), 32, "{slug}");
    assert!(slug.bytes().all(|b| b.is_ascii_hexdigit()), "{slug}");
    let guessed = name.to_lowercase().replace(' ', "-");
    assert_eq!(
        call(None, "GET", &format!("/api/collections/{guessed}"), None)
            .await
            .0,
        404
    );

    let public_score = create_score(&owner, "Open study", "public").await;
    let private_score = create_score(&owner, "Hidden study", "private").await;
    for score in [&public_score, &private_score] {
        let (status, body) = call(
            Some(&owner),
            "POST",
            &format!("/api/user/collections/{id}/scores"),
            Some(json!({"scoreId": score})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }

    for viewer in [None, Some(&stranger)] {
        let (status, body) = call(viewer, "GET", &format!("/api/collections/{slug}"), None).await;
        assert_eq!(status, 200, "{body}");
        let collection = &body["data"]["collection"];
        assert_eq!(collection["scoreIds"], json!([public_score]), "{body}");
        assert!(collection.get("sharedWith").is_none(), "{body}");
        let shown: Vec<&str> = body["data"]["scores"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|score| score["id"].as_str())
            .collect();
        assert_eq!(shown, [public_score.as_str()]);
    }
    // The owner still sees everything.
    let (status, body) = call(
        Some(&owner),
        "GET",
        &format!("/api/user/collections/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["scoreIds"].as_array().unwrap().len(), 2);
    assert!(body["data"].get("sharedWith").is_some());

    // Renamed while unlisted: the link keeps working. Made public: a readable slug.
    let (status, body) = call(
        Some(&owner),
        "PUT",
        &format!("/api/user/collections/{id}"),
        Some(json!({"name": format!("{name} renamed")})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["slug"], slug.as_str());
    let (status, body) = call(
        Some(&owner),
        "PUT",
        &format!("/api/user/collections/{id}"),
        Some(json!({"visibility": "public"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let readable = body["data"]["slug"].as_str().unwrap().to_string();
    assert!(readable.starts_with("exam-pieces-"), "{readable}");
    assert_eq!(
        call(None, "GET", &format!("/api/collections/{readable}"), None)
            .await
            .0,
        200
    );
    assert_eq!(
        call(None, "GET", &format!("/api/collections/{slug}"), None)
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn each_user_has_a_daily_quota_of_ai_generations() {
    let dictionary = shared().url(Worker::Dictionary);
    let user = new_user("leaks-generations").await;
    let ask = |n: usize| {
        user.get(format!(
            "{dictionary}/api/v1/terms/zzquota{}{n}?generate_if_missing=true",
            random_hex(2)
        ))
        .send()
    };
    // The local stack's allowance is the default, 10 a day.
    for n in 0..10 {
        let response = ask(n).await.unwrap();
        assert_eq!(response.status(), 404, "request {n}");
    }
    let refused = ask(10).await.unwrap();
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=86_400).contains(&wait), "{wait}");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["success"], false);
    assert_eq!(body["code"], "RATE_LIMITED");
    assert_eq!(body["details"]["limit"], 10);
    assert!(
        body["error"].as_str().unwrap().contains("AI generation"),
        "{body}"
    );
    // Lookups without generation, and other users, are not affected.
    let plain = user
        .get(format!("{dictionary}/api/v1/terms/allegro"))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 200);
    let other = new_user("leaks-generations-other").await;
    let response = other
        .get(format!(
            "{dictionary}/api/v1/terms/zzquotaother?generate_if_missing=true"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

/// Serves `pdf` to every request without a `Content-Length` (chunked), followed by `pad`
/// more bytes of padding; returns the URL.
async fn serve_chunked(pdf: Vec<u8>, pad: usize) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let pdf = pdf.clone();
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
                let _ = socket.write_all(head.as_bytes()).await;
                let padding = vec![b' '; 256 * 1024];
                let mut pieces = vec![pdf];
                pieces.extend(std::iter::repeat_n(padding, pad.div_ceil(256 * 1024)));
                for piece in pieces {
                    let frame = [
                        format!("{:x}\r\n", piece.len()).into_bytes(),
                        piece,
                        b"\r\n".to_vec(),
                    ]
                    .concat();
                    // The worker hangs up once it has read enough.
                    if socket.write_all(&frame).await.is_err() {
                        return;
                    }
                }
                let _ = socket.write_all(b"0\r\n\r\n").await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://127.0.0.1:{}/score.pdf", address.port())
}

async fn library_total(user: &Session) -> i64 {
    let (status, body) = call(Some(user), "GET", "/api/scores/user/library", None).await;
    assert_eq!(status, 200, "{body}");
    body["pagination"]["total"].as_i64().unwrap()
}

#[tokio::test]
async fn a_linked_pdf_without_a_length_is_streamed_under_its_cap() {
    let user = new_user("leaks-stream").await;
    // Within the cap, without a length: imported and processed.
    let pdf = engrave("Streamed study", "Anonymous", 1);
    let url = serve_chunked(pdf.clone(), 0).await;
    let (status, body) = call(
        Some(&user),
        "POST",
        "/api/import",
        Some(json!({"url": url})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["data"]["id"].as_str().unwrap().to_string();
    let score = processed_score(&scores(), Some(&user), &id).await;
    assert_eq!(score["processingStatus"], "completed", "{score}");
    let file = get(Some(&user), &format!("/api/scores/{id}/download/pdf")).await;
    assert_eq!(file.bytes().await.unwrap().to_vec(), pdf);
    let before = library_total(&user).await;

    // Past 50 MB, without a length: 413, and no score.
    let url = serve_chunked(engrave("Endless", "Anonymous", 1), 51 * 1024 * 1024).await;
    let (status, body) = call(
        Some(&user),
        "POST",
        "/api/import",
        Some(json!({"url": url})),
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["code"], "PAYLOAD_TOO_LARGE");
    // Not a PDF: 400, and no score.
    let url = serve_chunked(b"<html>not a pdf</html>".to_vec(), 0).await;
    let (status, body) = call(
        Some(&user),
        "POST",
        "/api/import",
        Some(json!({"url": url})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(library_total(&user).await, before);
}
