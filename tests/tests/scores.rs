//! The scores worker against the real local stack (D1, R2, KV and the PDF queue): imports of
//! every kind processed to completion, previews that are real PNGs, visibility and ownership,
//! search, downloads with ETag/Range/304, collections, favourites, the import limit and ban,
//! and bad input that gets its 4xx and stores nothing.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mirubato_blackbox::pdfs::{LARGE_SCAN_PAGES, Outcome, ink, large_scan, samples};
use mirubato_blackbox::session::{
    Session, processed_score, sign_in, unique_client_ip, unique_email,
};
use mirubato_blackbox::{Worker, call_scores as call, client, log_line, random_hex, shared};
use mirubato_core::scores::engrave::engrave;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn scores() -> String {
    shared().url(Worker::Scores)
}

async fn new_user(tag: &str) -> Session {
    sign_in(shared(), &unique_email(tag)).await
}

/// A 1×1 PNG.
const PNG_1X1: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

fn pdf_data_url(pdf: &[u8]) -> String {
    format!("data:application/pdf;base64,{}", STANDARD.encode(pdf))
}

/// Serves `body` with `content_type` to every request, on a loopback port, from a task.
async fn serve_once_forever(body: Vec<u8>, content_type: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&body).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://127.0.0.1:{}", address.port())
}

async fn processed(session: Option<&Session>, id: &str) -> Value {
    processed_score(&scores(), session, id).await
}

/// Width and height of a PNG, from its IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let word =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    (word(16), word(20))
}

async fn get_bytes(
    session: Option<&Session>,
    path: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = client().get(format!("{}{path}", scores()));
    if let Some(session) = session {
        request = request.header("Authorization", session.bearer());
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// Imports `bytes` as `user` through the multipart route under `file_name`; returns the id.
async fn import_file(user: &Session, bytes: Vec<u8>, file_name: &str) -> String {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes)
            .file_name(file_name.to_string())
            .mime_str("application/pdf")
            .unwrap(),
    );
    let response = user
        .post(format!("{}/api/import/pdf", scores()))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 201, "{file_name}: {body}");
    body["data"]["id"].as_str().unwrap().to_string()
}

/// The score's thumbnail: a PNG 400 px wide with ink on it.
async fn assert_real_thumbnail(user: &Session, id: &str, name: &str) {
    let thumbnail = get_bytes(Some(user), &format!("/api/pdf/v2/thumbnail/{id}"), &[]).await;
    assert_eq!(thumbnail.status(), 200, "{name}");
    let png = thumbnail.bytes().await.unwrap();
    assert_eq!(png_size(&png).0, 400, "{name}");
    let ink = ink(&png);
    assert!(ink > 0.005, "{name}: the thumbnail is blank ({ink})");
}

#[tokio::test]
async fn every_file_of_the_hard_pdf_corpus_is_processed_or_refused_with_a_reason() {
    let user = new_user("scores-corpus").await;
    let mut imported = Vec::new();
    for sample in samples() {
        let id = import_file(&user, sample.bytes.clone(), sample.file_name).await;
        imported.push((sample, id));
    }
    for (sample, id) in imported {
        let score = processed(Some(&user), &id).await;
        match sample.outcome {
            Outcome::Processed { pages, title } => {
                assert_eq!(
                    score["processingStatus"], "completed",
                    "{}: {score}",
                    sample.name
                );
                assert_eq!(score["pageCount"], pages, "{}", sample.name);
                if let Some(title) = title {
                    assert_eq!(score["title"], title, "{}", sample.name);
                }
                assert_real_thumbnail(&user, &id, sample.name).await;
            }
            Outcome::Refused(reason) => {
                assert_eq!(
                    score["processingStatus"], "failed",
                    "{}: {score}",
                    sample.name
                );
                let error = score["processingError"].as_str().unwrap_or_default();
                assert!(
                    error.contains(reason),
                    "{}: {error:?} does not say {reason:?}",
                    sample.name
                );
                // The score stays readable, with its file-name title.
                let (status, body) =
                    call(Some(&user), "GET", &format!("/api/scores/{id}"), None).await;
                assert_eq!(status, 200, "{}: {body}", sample.name);
            }
        }
    }
}

#[tokio::test]
async fn a_100_page_300_dpi_scan_near_the_size_limit_is_processed_within_the_isolates_memory() {
    let user = new_user("scores-scan").await;
    let id = import_file(&user, large_scan().to_vec(), "goldberg_variations_scan.pdf").await;
    let score = processed(Some(&user), &id).await;
    assert_eq!(score["processingStatus"], "completed", "{score}");
    assert_eq!(score["pageCount"], LARGE_SCAN_PAGES);
    // No usable metadata and no text: the file name names it.
    assert_eq!(score["title"], "goldberg variations scan");
    assert_real_thumbnail(&user, &id, "large scan").await;
    // Scan pages are too heavy to preview ahead of time: drawn on first request.
    let page = get_bytes(
        Some(&user),
        &format!("/api/pdf/v2/render/{id}/page/57"),
        &[],
    )
    .await;
    assert_eq!(page.status(), 200);
    let page = page.bytes().await.unwrap();
    assert_eq!(png_size(&page).0, 1200);
    assert!(ink(&page) > 0.005);
    let processed = log_line(shared(), Worker::Scores, &["pdf-processed", &id]).await;
    assert_eq!(processed["preRenderedPages"], 0, "{processed}");
    let memory = processed["wasmMemoryBytes"].as_u64().unwrap();
    assert!(
        memory < 128 * 1024 * 1024,
        "processing the scan took {} MB of WASM memory",
        memory / 1_048_576
    );
}

#[tokio::test]
async fn url_import_is_processed_into_metadata_thumbnail_and_previews() {
    let user = new_user("scores-url").await;
    let origin = serve_once_forever(
        engrave("Gymnopedie No. 1", "Erik Satie", 2),
        "application/pdf",
    )
    .await;
    let (status, body) = call(
        Some(&user),
        "POST",
        "/api/import",
        Some(json!({"url": format!("{origin}/gymnopedie_1.pdf")})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["processingStatus"], "pending");
    assert_eq!(body["data"]["visibility"], "private");
    let id = body["data"]["id"].as_str().unwrap().to_string();

    let score = processed(Some(&user), &id).await;
    assert_eq!(score["processingStatus"], "completed", "{score}");
    assert_eq!(score["title"], "Gymnopedie No. 1");
    assert_eq!(score["composer"], "Erik Satie");
    assert_eq!(score["pageCount"], 2);
    assert_eq!(score["subject"], "Sheet music");

    let thumbnail = get_bytes(Some(&user), &format!("/api/pdf/v2/thumbnail/{id}"), &[]).await;
    assert_eq!(thumbnail.status(), 200);
    assert_eq!(thumbnail.headers()["content-type"], "image/png");
    // The score is private: its images must never sit in a shared cache.
    assert!(
        thumbnail.headers()["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("private")
    );
    let (width, height) = png_size(&thumbnail.bytes().await.unwrap());
    assert_eq!(width, 400);
    assert!((560..=570).contains(&height), "{height}");

    let page = get_bytes(Some(&user), &format!("/api/pdf/v2/render/{id}/page/2"), &[]).await;
    assert_eq!(page.status(), 200);
    assert_eq!(png_size(&page.bytes().await.unwrap()).0, 1200);
    assert_eq!(
        get_bytes(Some(&user), &format!("/api/pdf/v2/render/{id}/page/3"), &[])
            .await
            .status(),
        404
    );
    assert_eq!(
        get_bytes(Some(&user), &format!("/api/pdf/v2/render/{id}/page/x"), &[])
            .await
            .status(),
        400
    );
    // Private: nobody else sees the score or its previews.
    assert_eq!(
        get_bytes(None, &format!("/api/pdf/v2/thumbnail/{id}"), &[])
            .await
            .status(),
        404
    );
    assert_eq!(
        call(None, "GET", &format!("/api/import/{id}"), None)
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn base64_multipart_and_image_imports_are_processed() {
    let user = new_user("scores-kinds").await;
    let anonymous = call(None, "POST", "/api/import", Some(json!({"url": pdf_data_url(&engrave("Arabesque No. 1", "Claude Debussy", 1)), "filename": "arabesque.pdf"}))).await;
    assert_eq!(anonymous.0, 201, "{}", anonymous.1);
    assert_eq!(anonymous.1["data"]["visibility"], "public");
    let score = processed(None, anonymous.1["data"]["id"].as_str().unwrap()).await;
    assert_eq!(
        (score["processingStatus"].as_str(), score["title"].as_str()),
        (Some("completed"), Some("Arabesque No. 1"))
    );

    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(engrave("Etude Op. 10 No. 3", "Frederic Chopin", 3))
                .file_name("tristesse.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        )
        .text(
            "metadata",
            json!({"title": "Tristesse", "composer": "Chopin"}).to_string(),
        );
    let response = user
        .post(format!("{}/api/import/pdf", scores()))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    let score = processed(Some(&user), body["data"]["id"].as_str().unwrap()).await;
    assert_eq!(score["processingStatus"], "completed");
    // What the user typed wins over the PDF's own title.
    assert_eq!(
        (
            score["title"].as_str(),
            score["composer"].as_str(),
            score["pageCount"].as_i64()
        ),
        (Some("Tristesse"), Some("Chopin"), Some(3))
    );
    assert_eq!(score["source"], "upload");

    let image = format!("data:image/png;base64,{PNG_1X1}");
    let (status, body) = call(
        Some(&user),
        "POST",
        "/api/import/images",
        Some(json!({"images": [{"data": image}, {"data": image}], "title": "Sketches"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["data"]["id"].as_str().unwrap().to_string();
    let score = processed(Some(&user), &id).await;
    assert_eq!(
        (
            score["processingStatus"].as_str(),
            score["pageCount"].as_i64(),
            score["sourceType"].as_str()
        ),
        (Some("completed"), Some(2), Some("multi-image"))
    );
    let page = get_bytes(Some(&user), &format!("/api/scores/{id}/pages/2"), &[]).await;
    assert_eq!(page.status(), 200);
    assert_eq!(png_size(&page.bytes().await.unwrap()), (1, 1));
    let thumbnail = get_bytes(Some(&user), &format!("/api/pdf/v2/thumbnail/{id}"), &[]).await;
    assert_eq!(thumbnail.status(), 200);
    assert_eq!(
        get_bytes(None, &format!("/api/scores/{id}/pages/1"), &[])
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn a_pdf_that_cannot_be_read_ends_failed_with_a_reason() {
    let user = new_user("scores-broken").await;
    let (status, body) = call(
        Some(&user),
        "POST",
        "/api/import",
        Some(json!({"url": pdf_data_url(b"%PDF-1.4\nthis is not really a pdf")})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let score = processed(Some(&user), body["data"]["id"].as_str().unwrap()).await;
    assert_eq!(score["processingStatus"], "failed");
    assert!(
        score["processingError"].as_str().unwrap().contains("PDF"),
        "{score}"
    );
}

#[tokio::test]
async fn bad_input_gets_its_4xx_and_stores_nothing() {
    let user = new_user("scores-bad").await;
    let html = serve_once_forever(b"<html>not a pdf</html>".to_vec(), "text/html").await;
    let not_pdf = format!("data:application/pdf;base64,{}", STANDARD.encode("GIF89a"));
    let gif = format!("data:image/gif;base64,{}", STANDARD.encode("GIF89a"));
    let png = format!("data:image/png;base64,{PNG_1X1}");
    let too_many: Vec<Value> = (0..21).map(|_| json!({"data": png})).collect();
    let cases: Vec<(&str, Value, u16)> = vec![
        ("/api/import", json!({}), 400),
        ("/api/import", json!({"url": ""}), 400),
        ("/api/import", json!({"url": not_pdf}), 400),
        (
            "/api/import",
            json!({"url": "data:application/pdf;base64,@@@"}),
            400,
        ),
        (
            "/api/import",
            json!({"url": "ftp://example.com/a.pdf"}),
            400,
        ),
        (
            "/api/import",
            json!({"url": "http://example.com/a.pdf"}),
            400,
        ),
        ("/api/import", json!({"url": "https://10.0.0.1/a.pdf"}), 400),
        (
            "/api/import",
            json!({"url": "https://169.254.169.254/latest"}),
            400,
        ),
        (
            "/api/import",
            json!({"url": format!("{html}/page.pdf")}),
            400,
        ),
        (
            "/api/import/imslp",
            json!({"url": "https://example.com/wiki/Lagrima"}),
            400,
        ),
        (
            "/api/import/imslp",
            json!({"url": "http://imslp.org/wiki/Lagrima"}),
            400,
        ),
        (
            "/api/import/imslp",
            json!({"url": "https://imslp.org/"}),
            400,
        ),
        ("/api/import/batch", json!({"urls": []}), 400),
        (
            "/api/import/batch",
            json!({"urls": ["https://example.com/a.pdf"]}),
            400,
        ),
        (
            "/api/import/batch",
            json!({"urls": vec!["https://imslp.org/wiki/X"; 11]}),
            413,
        ),
        ("/api/import/images", json!({"images": []}), 400),
        (
            "/api/import/images",
            json!({"images": [{"data": gif}]}),
            415,
        ),
        ("/api/import/images", json!({"images": too_many}), 413),
        ("/api/scores", json!({"title": "x"}), 400),
        (
            "/api/scores",
            json!({"title": "x", "composer": "y", "instrument": "violin", "difficulty": "beginner", "source": "manual"}),
            400,
        ),
    ];
    for (path, body, expected) in cases {
        let (status, answer) = call(Some(&user), "POST", path, Some(body.clone())).await;
        assert_eq!(status, expected, "{path} {body}: {answer}");
        assert_eq!(answer["success"], false);
        assert!(answer["code"].is_string(), "{answer}");
    }
    let response = user
        .post(format!("{}/api/import/pdf", scores()))
        .body("plain")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"<html>".to_vec()).file_name("x.pdf"),
    );
    let response = user
        .post(format!("{}/api/import/pdf", scores()))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);

    let (status, library) = call(Some(&user), "GET", "/api/scores/user/library", None).await;
    assert_eq!(status, 200);
    assert_eq!(library["pagination"]["total"], 0, "{library}");
    assert_eq!(
        call(None, "GET", "/api/scores/user/library", None).await.0,
        401
    );
}

#[tokio::test]
async fn anonymous_imports_are_limited_and_repeated_bad_input_is_banned() {
    let address = unique_client_ip();
    let anonymous = |body: Value| {
        let address = address.clone();
        async move {
            let response = client()
                .post(format!("{}/api/import", scores()))
                .header("X-Forwarded-For", address)
                .json(&body)
                .send()
                .await
                .unwrap();
            let retry = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
            (response.status().as_u16(), retry)
        }
    };
    let pdf = json!({"url": pdf_data_url(&engrave("Canon", "Johann Pachelbel", 1))});
    assert_eq!(anonymous(pdf.clone()).await.0, 201);
    let (status, retry) = anonymous(pdf.clone()).await;
    assert_eq!(status, 429);
    assert!((1..=600).contains(&retry.unwrap()), "{retry:?}");

    // A made-up token is refused, never treated as a signed-in caller.
    let response = client()
        .post(format!("{}/api/import", scores()))
        .header("X-Forwarded-For", address.clone())
        .header("Authorization", "Bearer not-a-token")
        .json(&pdf)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    let other = unique_client_ip();
    for _ in 0..3 {
        let response = client()
            .post(format!("{}/api/import", scores()))
            .header("X-Forwarded-For", other.clone())
            .json(&json!({"url": "https://10.0.0.1/x.pdf"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
    }
    let response = client()
        .post(format!("{}/api/import", scores()))
        .header("X-Forwarded-For", other)
        .json(&pdf)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 3000, "{retry}");
}

async fn create_score(user: &Session, title: &str, composer: &str, visibility: &str) -> String {
    let (status, body) = call(
        Some(user),
        "POST",
        "/api/scores",
        Some(json!({"title": title, "composer": composer, "instrument": "piano", "difficulty": "beginner", "source": "manual", "visibility": visibility, "tags": ["study"]})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["data"]["id"].as_str().unwrap().to_string()
}

async fn search_total(session: Option<&Session>, word: &str) -> i64 {
    call(session, "GET", &format!("/api/search?query={word}"), None)
        .await
        .1["data"]["total"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn only_owners_change_scores_and_private_ones_stay_private() {
    let owner = new_user("scores-owner").await;
    let other = new_user("scores-other").await;
    let word = format!("zq{}", random_hex(4));
    let id = create_score(&owner, &format!("Nocturne {word}"), "John Field", "private").await;

    assert_eq!(
        call(Some(&other), "GET", &format!("/api/scores/{id}"), None)
            .await
            .0,
        404
    );
    assert_eq!(
        call(None, "GET", &format!("/api/scores/{id}"), None)
            .await
            .0,
        404
    );
    assert_eq!(
        call(
            Some(&other),
            "PUT",
            &format!("/api/scores/{id}"),
            Some(json!({"title": "Mine"}))
        )
        .await
        .0,
        404
    );
    assert_eq!(search_total(None, &word).await, 0);
    assert_eq!(search_total(Some(&other), &word).await, 0);
    assert_eq!(search_total(Some(&owner), &word).await, 1);

    let (status, body) = call(
        Some(&owner),
        "PUT",
        &format!("/api/scores/{id}"),
        Some(json!({"visibility": "public", "difficultyLevel": 3})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["difficultyLevel"], 3);
    assert_eq!(
        call(
            Some(&owner),
            "PUT",
            &format!("/api/scores/{id}"),
            Some(json!({"userId": "x"}))
        )
        .await
        .0,
        400
    );
    assert_eq!(
        call(Some(&other), "GET", &format!("/api/scores/{id}"), None)
            .await
            .0,
        200
    );
    assert_eq!(search_total(None, &word).await, 1);
    assert_eq!(
        call(
            Some(&other),
            "PUT",
            &format!("/api/scores/{id}"),
            Some(json!({"title": "Mine"}))
        )
        .await
        .0,
        403
    );
    assert_eq!(
        call(Some(&other), "DELETE", &format!("/api/scores/{id}"), None)
            .await
            .0,
        403
    );
    assert_eq!(
        call(
            Some(&other),
            "POST",
            "/api/scores/batch/delete",
            Some(json!({"scoreIds": [id]}))
        )
        .await
        .0,
        403
    );
    assert_eq!(
        call(None, "DELETE", &format!("/api/scores/{id}"), None)
            .await
            .0,
        401
    );
    assert_eq!(
        call(Some(&owner), "DELETE", &format!("/api/scores/{id}"), None)
            .await
            .0,
        200
    );
    assert_eq!(
        call(Some(&owner), "GET", &format!("/api/scores/{id}"), None)
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn search_ranks_title_matches_first_and_every_sort_works() {
    let user = new_user("scores-search").await;
    let word = format!("qx{}", random_hex(4));
    let in_title = create_score(&user, &format!("Waltz {word}"), "Frederic Chopin", "public").await;
    let in_composer = create_score(&user, "Mazurka", &format!("Composer {word}"), "public").await;
    let (status, body) = call(None, "GET", &format!("/api/search?query={word}"), None).await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<&str> = body["data"]["scores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [in_title.as_str(), in_composer.as_str()]);
    // Prefixes match, diacritics do not matter.
    let prefix = &word[..5];
    assert!(
        call(None, "GET", &format!("/api/search?query={prefix}"), None)
            .await
            .1["data"]["total"]
            .as_i64()
            .unwrap()
            >= 2
    );
    for sort in [
        "relevance",
        "title",
        "composer",
        "difficulty",
        "createdAt",
        "popularity",
    ] {
        let (status, body) = call(
            None,
            "GET",
            &format!(
                "/api/search?query={word}&sortBy={sort}&sortOrder=desc&instrument=piano&tags=study"
            ),
            None,
        )
        .await;
        assert_eq!(status, 200, "{sort}: {body}");
        assert_eq!(body["data"]["total"], 2, "{sort}");
    }
    for bad in [
        "sortBy=rowid",
        "limit=1000",
        "instrument=violin",
        "sortOrder=sideways",
    ] {
        assert_eq!(
            call(None, "GET", &format!("/api/search?{bad}"), None)
                .await
                .0,
            400,
            "{bad}"
        );
    }
}

#[tokio::test]
async fn downloads_answer_etag_range_and_not_modified() {
    let user = new_user("scores-download").await;
    let pdf = engrave("Fur Elise", "Ludwig van Beethoven", 1);
    let (status, body) = call(
        Some(&user),
        "POST",
        "/api/import",
        Some(json!({"url": pdf_data_url(&pdf)})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["data"]["id"].as_str().unwrap().to_string();
    let path = format!("/api/scores/{id}/download/pdf");
    let whole = get_bytes(Some(&user), &path, &[]).await;
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    assert_eq!(whole.headers()["content-type"], "application/pdf");
    let etag = whole.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(whole.bytes().await.unwrap().to_vec(), pdf);

    let part = get_bytes(Some(&user), &path, &[("Range", "bytes=0-4")]).await;
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 0-4/{}", pdf.len()).as_str()
    );
    assert_eq!(&part.bytes().await.unwrap()[..], b"%PDF-");
    let tail = get_bytes(Some(&user), &path, &[("Range", "bytes=-5")]).await;
    assert_eq!(tail.status(), 206);
    assert_eq!(
        tail.bytes().await.unwrap().to_vec(),
        pdf[pdf.len() - 5..].to_vec()
    );
    assert_eq!(
        get_bytes(Some(&user), &path, &[("Range", "bytes=99999999-")])
            .await
            .status(),
        416
    );
    assert_eq!(
        get_bytes(Some(&user), &path, &[("If-None-Match", &etag)])
            .await
            .status(),
        304
    );
    assert_eq!(get_bytes(None, &path, &[]).await.status(), 404);
}

#[tokio::test]
async fn collections_and_favourites_belong_to_their_user() {
    let user = new_user("scores-collections").await;
    let other = new_user("scores-collections-other").await;
    let (status, body) = call(Some(&user), "GET", "/api/user/collections", None).await;
    assert_eq!(status, 200, "{body}");
    let general = &body["data"][0];
    assert_eq!(
        (general["name"].as_str(), general["isDefault"].as_bool()),
        (Some("General"), Some(true))
    );
    let general_id = general["id"].as_str().unwrap().to_string();
    assert_eq!(
        call(
            Some(&user),
            "DELETE",
            &format!("/api/user/collections/{general_id}"),
            None
        )
        .await
        .0,
        400
    );

    let (status, body) = call(
        Some(&user),
        "POST",
        "/api/user/collections",
        Some(json!({"name": "Exam pieces", "tags": ["grade 3"]})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let collection = body["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        call(
            Some(&user),
            "POST",
            "/api/user/collections",
            Some(json!({"name": "Exam Pieces"}))
        )
        .await
        .0,
        409
    );
    assert_eq!(
        call(
            Some(&user),
            "POST",
            "/api/user/collections",
            Some(json!({"name": ""}))
        )
        .await
        .0,
        400
    );

    let score = create_score(&user, "Sonatina Op. 36 No. 1", "Muzio Clementi", "private").await;
    let foreign = create_score(&other, "Secret", "Someone", "private").await;
    let add = |id: &str| json!({"scoreId": id});
    assert_eq!(
        call(
            Some(&user),
            "POST",
            &format!("/api/user/collections/{collection}/scores"),
            Some(add(&score))
        )
        .await
        .0,
        200
    );
    assert_eq!(
        call(
            Some(&user),
            "POST",
            &format!("/api/user/collections/{collection}/scores"),
            Some(add(&score))
        )
        .await
        .0,
        409
    );
    assert_eq!(
        call(
            Some(&user),
            "POST",
            &format!("/api/user/collections/{collection}/scores"),
            Some(add(&foreign))
        )
        .await
        .0,
        404
    );
    assert_eq!(
        call(
            Some(&other),
            "POST",
            &format!("/api/user/collections/{collection}/scores"),
            Some(add(&foreign))
        )
        .await
        .0,
        404
    );
    assert_eq!(
        call(
            None,
            "POST",
            &format!("/api/user/collections/{collection}/scores"),
            Some(add(&score))
        )
        .await
        .0,
        401
    );
    let (_, body) = call(
        Some(&user),
        "GET",
        &format!("/api/user/collections/{collection}"),
        None,
    )
    .await;
    assert_eq!(body["data"]["scores"][0]["id"], score.as_str());
    let (_, body) = call(
        Some(&user),
        "POST",
        "/api/user/collections/batch/score-collections",
        Some(json!({"scoreIds": [score]})),
    )
    .await;
    assert_eq!(body["data"][&score][0]["name"], "Exam pieces");
    assert_eq!(
        call(
            Some(&other),
            "GET",
            &format!("/api/user/collections/{collection}"),
            None
        )
        .await
        .0,
        404
    );
    assert_eq!(
        call(
            Some(&user),
            "DELETE",
            &format!("/api/user/collections/{collection}/scores/{score}"),
            None
        )
        .await
        .0,
        200
    );

    let (status, body) = call(None, "GET", "/api/collections/featured", None).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"].as_array().unwrap().len() >= 3);
    assert_eq!(
        call(None, "GET", "/api/collections/featured-baroque", None)
            .await
            .0,
        200
    );

    assert_eq!(
        call(
            Some(&user),
            "POST",
            &format!("/api/user/favorites/{score}"),
            None
        )
        .await
        .0,
        201
    );
    assert_eq!(
        call(
            Some(&user),
            "POST",
            &format!("/api/user/favorites/{score}"),
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(
        call(
            Some(&user),
            "POST",
            &format!("/api/user/favorites/{foreign}"),
            None
        )
        .await
        .0,
        404
    );
    let (_, ids) = call(Some(&user), "GET", "/api/user/favorites/ids", None).await;
    assert_eq!(ids["data"], json!([score]));
    let (_, list) = call(Some(&user), "GET", "/api/user/favorites", None).await;
    assert_eq!(list["data"][0]["score"]["id"], score.as_str());
    let (_, checked) = call(
        Some(&user),
        "POST",
        "/api/user/favorites/batch/check",
        Some(json!({"scoreIds": [score, foreign]})),
    )
    .await;
    assert_eq!(
        checked["data"],
        json!({ score.clone(): true, foreign.clone(): false })
    );
    assert_eq!(
        call(
            Some(&user),
            "POST",
            "/api/user/favorites/batch/check",
            Some(json!({"scoreIds": []}))
        )
        .await
        .0,
        400
    );
    let (_, toggled) = call(
        Some(&user),
        "POST",
        &format!("/api/user/favorites/{score}/toggle"),
        None,
    )
    .await;
    assert_eq!(toggled["data"]["isFavorited"], false);
    assert_eq!(call(None, "GET", "/api/user/favorites", None).await.0, 401);
}

#[tokio::test]
async fn the_seed_library_is_imported_once_and_fills_the_featured_collections() {
    let (status, first) = call(None, "POST", "/api/dev/seed", None).await;
    assert_eq!(status, 200, "{first}");
    let (status, again) = call(None, "POST", "/api/dev/seed", None).await;
    assert_eq!(status, 200);
    assert_eq!(again["data"]["created"], json!([]));
    let score = processed(None, "score_seed_bach_prelude_c").await;
    assert_eq!(
        (
            score["processingStatus"].as_str(),
            score["pageCount"].as_i64()
        ),
        (Some("completed"), Some(2))
    );
    assert_eq!(score["visibility"], "public");
    let (_, baroque) = call(None, "GET", "/api/collections/featured-baroque", None).await;
    assert_eq!(
        baroque["data"]["scores"][0]["id"],
        "score_seed_bach_prelude_c"
    );
}
