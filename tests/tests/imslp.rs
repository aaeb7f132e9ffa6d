//! IMSLP imports end to end, against a local stand-in for imslp.org (`IMSLP_DEV_ORIGIN`):
//! a work page read through Browser Rendering (served locally by this machine's Chromium),
//! batch imports that wait out an outage with backoff and give up through the dead-letter
//! queue, and the hourly upkeep picking up imports whose queue message was lost.

use std::sync::OnceLock;

use mirubato_blackbox::session::{Session, call_json, processed_score, sign_in, unique_email};
use mirubato_blackbox::site::Site;
use mirubato_blackbox::{Stack, StackOptions, Worker, client, spawn_stack_with};
use mirubato_core::scores::engrave::engrave;
use serde_json::{Value, json};

const ADMIN_EMAIL: &str = "imslp-admin@example.com";
const UPKEEP_CRON: &str = "23 * * * *";

/// The stand-in IMSLP, shared by every stack of this binary.
fn site() -> &'static Site {
    static SITE: OnceLock<Site> = OnceLock::new();
    SITE.get_or_init(Site::start)
}

/// Vars every stack here needs: IMSLP is the stand-in, retries come after 1, 2, 4 s.
fn configure(options: &mut StackOptions) {
    for (key, value) in [
        ("IMSLP_DEV_ORIGIN", site().origin()),
        ("QUEUE_RETRY_SECONDS", "1"),
        ("ADMIN_EMAILS", ADMIN_EMAIL),
    ] {
        options
            .extra_vars
            .push((Worker::Scores, key.into(), value.into()));
    }
}

/// The stack with a Browser Rendering binding.
fn browser_stack() -> &'static Stack {
    static STACK: OnceLock<Stack> = OnceLock::new();
    STACK.get_or_init(|| {
        spawn_stack_with(|options| {
            configure(options);
            options.browser_rendering = true;
        })
    })
}

/// Sends a request to the scores worker and returns status and JSON body.
async fn call(
    stack: &Stack,
    session: Option<&Session>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let url = format!("{}{path}", stack.url(Worker::Scores));
    call_json(url, session, method, body, |request| request).await
}

async fn processed(stack: &Stack, user: &Session, id: &str) -> Value {
    processed_score(&stack.url(Worker::Scores), Some(user), id).await
}

/// `POST /api/import/imslp` of the stand-in's `path`, as `user`.
async fn import_link(stack: &Stack, user: &Session, path: &str) -> (u16, Value) {
    let url = site().url(path);
    call(
        stack,
        Some(user),
        "POST",
        "/api/import/imslp",
        Some(json!({ "url": url })),
    )
    .await
}

/// What the administrators see of a score's processing (attempts, stored files).
async fn score_status(stack: &Stack, admin: &Session, id: &str) -> Value {
    let (status, body) = call(
        stack,
        Some(admin),
        "GET",
        &format!("/api/admin/score-status/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["data"].clone()
}

/// A work page, titled the way IMSLP titles them.
fn work_page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title} - IMSLP</title></head><body>{body}</body></html>"
    )
}

#[tokio::test]
async fn a_work_page_is_read_as_the_browser_renders_it() {
    let stack = browser_stack();
    // The page's only PDF link is written by its script: only a browser sees it.
    let page = "/wiki/Lagrima_(Tarrega,_Francisco)";
    site().serve(
        page,
        "text/html; charset=utf-8",
        work_page(
            "Lágrima (Tárrega, Francisco)",
            "<p>Files</p><script>document.addEventListener('DOMContentLoaded', () => {\
             const link = document.createElement('a'); link.href = '/images/lagrima.pdf';\
             link.textContent = 'Complete score'; document.body.appendChild(link); });</script>",
        ),
    );
    site().serve(
        "/images/lagrima.pdf",
        "application/pdf",
        engrave("Lagrima", "Francisco Tarrega", 2),
    );

    let (status, health) = call(stack, None, "GET", "/health", None).await;
    assert_eq!(status, 200, "{health}");
    assert_eq!(
        health["services"]["browser"]["status"], "configured",
        "{health}"
    );
    let (_, imports) = call(stack, None, "GET", "/api/import/health", None).await;
    assert_eq!(imports["data"]["browserRendering"]["configured"], true);
    assert_eq!(imports["data"]["browserRendering"]["usedForImports"], true);

    let user = sign_in(stack, &unique_email("imslp-browser")).await;
    let (status, body) = import_link(stack, &user, page).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["title"], "Lágrima");
    assert_eq!(body["data"]["composer"], "Francisco Tárrega");
    assert_eq!(body["data"]["processingStatus"], "pending");
    let score = processed(stack, &user, body["data"]["id"].as_str().unwrap()).await;
    assert_eq!(score["processingStatus"], "completed", "{score}");
    assert_eq!(score["pageCount"], 2);
    assert_eq!(score["source"], "imslp");
    assert_eq!(score["imslpUrl"], site().url(page));
    assert_eq!(score["sourceUrl"], site().url("/images/lagrima.pdf"));
    // The page's title is the score's, over the PDF's own.
    assert_eq!(score["title"], "Lágrima");

    // The same link again, alone or in a batch, is the same score: nothing is fetched again.
    let fetched = site().hits("/images/lagrima.pdf");
    let (status, again) = import_link(stack, &user, page).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["data"]["id"], score["id"]);
    assert_eq!(again["data"]["duplicate"], true);
    let (status, batch) = call(
        stack,
        Some(&user),
        "POST",
        "/api/import/batch",
        Some(json!({ "urls": [site().url(page)] })),
    )
    .await;
    assert_eq!(status, 201, "{batch}");
    assert_eq!(batch["data"]["results"][0]["status"], "exists");
    assert_eq!(batch["data"]["results"][0]["id"], score["id"]);
    assert_eq!(site().hits("/images/lagrima.pdf"), fetched);
    // Another musician's import of it is their own.
    let other = sign_in(stack, &unique_email("imslp-other")).await;
    let (status, theirs) = import_link(stack, &other, page).await;
    assert_eq!(status, 201, "{theirs}");
    assert_ne!(theirs["data"]["id"], score["id"]);
}

#[tokio::test]
async fn batch_imports_wait_out_an_outage_and_give_up_on_a_lasting_one() {
    let stack = browser_stack();
    let admin = sign_in(stack, ADMIN_EMAIL).await;
    let page = "/wiki/Gymnopedie_No.1_(Satie,_Erik)";
    site().serve(
        page,
        "text/html",
        work_page(
            "Gymnopédie No.1 (Satie, Erik)",
            "<a href=\"/images/gymnopedie.pdf\">Complete score</a>",
        ),
    );
    site().serve(
        "/images/gymnopedie.pdf",
        "application/pdf",
        engrave("Gymnopedie No. 1", "Erik Satie", 1),
    );
    // The file fails twice, then comes back; the other is down for good.
    site().fail("/images/gymnopedie.pdf", 503, Some(2));
    site().serve(
        "/images/down.pdf",
        "application/pdf",
        engrave("Down", "Nobody", 1),
    );
    site().fail("/images/down.pdf", 503, None);

    let (status, body) = call(
        stack,
        Some(&admin),
        "POST",
        "/api/import/batch",
        Some(json!({ "urls": [
            site().url(page),
            site().url("/images/down.pdf"),
            "https://example.com/wiki/Not_IMSLP",
        ] })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let results = body["data"]["results"].as_array().unwrap();
    assert_eq!(
        results
            .iter()
            .map(|item| item["status"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["queued", "queued", "failed"]
    );
    assert!(results[2].get("id").is_none());
    let (recovering, lasting) = (
        results[0]["id"].as_str().unwrap().to_string(),
        results[1]["id"].as_str().unwrap().to_string(),
    );

    // Each queued link is a score in the user's library at once, named after its link.
    let (status, placeholder) = call(
        stack,
        Some(&admin),
        "GET",
        &format!("/api/import/{recovering}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{placeholder}");
    assert_eq!(placeholder["data"]["title"], "Gymnopedie No.1");
    assert_eq!(placeholder["data"]["composer"], "Erik Satie");
    assert_eq!(placeholder["data"]["visibility"], "private");
    assert_ne!(placeholder["data"]["processingStatus"], "completed");
    // Nobody else sees it.
    let stranger = sign_in(stack, &unique_email("imslp-stranger")).await;
    let (status, _) = call(
        stack,
        Some(&stranger),
        "GET",
        &format!("/api/import/{recovering}"),
        None,
    )
    .await;
    assert_eq!(status, 404);

    let score = processed(stack, &admin, &recovering).await;
    assert_eq!(score["processingStatus"], "completed", "{score}");
    assert_eq!(score["title"], "Gymnopédie No.1");
    assert_eq!(score["processingError"], Value::Null);
    let progress = score_status(stack, &admin, &recovering).await;
    // Three attempts at the import, then one at processing the file.
    assert_eq!(progress["processingAttempts"], 4, "{progress}");
    assert_eq!(progress["stored"]["file"], true, "{progress}");
    assert_eq!(site().hits("/images/gymnopedie.pdf"), 3);

    let score = processed(stack, &admin, &lasting).await;
    assert_eq!(score["processingStatus"], "failed", "{score}");
    let reason = score["processingError"].as_str().unwrap();
    assert!(reason.starts_with("gave up after retries:"), "{reason}");
    assert!(reason.contains("503"), "{reason}");
    // The first delivery and three retries, then the dead-letter queue.
    assert_eq!(site().hits("/images/down.pdf"), 4);
    let progress = score_status(stack, &admin, &lasting).await;
    assert_eq!(progress["stored"]["file"], Value::Null, "{progress}");
}

#[tokio::test]
async fn a_single_import_reports_an_outage_as_a_bad_gateway_and_counts_no_strike() {
    let stack = browser_stack();
    site().serve(
        "/images/flaky.pdf",
        "application/pdf",
        engrave("Flaky", "Nobody", 1),
    );
    site().fail("/images/flaky.pdf", 502, None);
    let user = sign_in(stack, &unique_email("imslp-outage")).await;
    for _ in 0..3 {
        let (status, body) = import_link(stack, &user, "/images/flaky.pdf").await;
        assert_eq!(status, 502, "{body}");
        assert_eq!(body["code"], "BAD_GATEWAY");
        assert!(
            body["error"].as_str().unwrap().contains("answered 502"),
            "{body}"
        );
    }
    // An outage is nobody's bad input: the user is not backed off or banned for it.
    site().serve(
        "/images/flaky.pdf",
        "application/pdf",
        engrave("Flaky", "Nobody", 1),
    );
    let (status, body) = import_link(stack, &user, "/images/flaky.pdf").await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn the_hourly_upkeep_picks_up_imports_whose_message_was_lost() {
    let mut stack = spawn_stack_with(configure);
    let admin = sign_in(&stack, ADMIN_EMAIL).await;
    let page = "/wiki/Arabesque_No.1_(Debussy,_Claude)";
    site().serve(
        page,
        "text/html",
        work_page(
            "Arabesque No.1 (Debussy, Claude)",
            "<a href=\"/images/arabesque.pdf\">Complete score</a>",
        ),
    );
    site().serve(
        "/images/arabesque.pdf",
        "application/pdf",
        engrave("Arabesque No. 1", "Claude Debussy", 1),
    );
    let (status, body) = call(
        &stack,
        Some(&admin),
        "POST",
        "/api/import/batch",
        Some(json!({ "urls": [site().url(page)] })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let batch = body["data"]["results"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = import_link(&stack, &admin, "/images/arabesque.pdf").await;
    assert_eq!(status, 201, "{body}");
    let single = body["data"]["id"].as_str().unwrap().to_string();
    for id in [&batch, &single] {
        assert_eq!(
            processed(&stack, &admin, id).await["processingStatus"],
            "completed"
        );
    }
    let fetched = site().hits("/images/arabesque.pdf");

    // As if the consumer died long ago: the batch import before its file was stored, the
    // other one while processing.
    let sql = format!(
        "UPDATE scores SET r2_key = NULL, processing_status = 'pending', processing_attempts = 4, \
         processing_started_at = NULL, updated_at = '2000-01-01T00:00:00.000Z' WHERE id = '{batch}'; \
         UPDATE scores SET processing_status = 'processing', processing_attempts = 4, \
         processing_started_at = '2000-01-01T00:00:00.000Z' WHERE id = '{single}';"
    );
    stack.execute_sql(Worker::Scores, &sql).unwrap();
    let (_, stuck) = call(
        &stack,
        Some(&admin),
        "GET",
        &format!("/api/import/{single}"),
        None,
    )
    .await;
    assert_eq!(stuck["data"]["processingStatus"], "processing");

    let response = client()
        .get(format!("{}/__scheduled", stack.url(Worker::Scores)))
        .query(&[("cron", UPKEEP_CRON)])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    // Counted afresh: the batch import's one import and one processing attempt, the other's
    // one processing attempt.
    for (id, attempts) in [(&batch, 2), (&single, 1)] {
        let score = processed(&stack, &admin, id).await;
        assert_eq!(score["processingStatus"], "completed", "{score}");
        let progress = score_status(&stack, &admin, id).await;
        assert_eq!(progress["processingAttempts"], attempts, "{progress}");
        assert_eq!(progress["stored"]["file"], true, "{progress}");
    }
    // The batch import fetched its file again; the other one only was processed again.
    assert_eq!(site().hits("/images/arabesque.pdf"), fetched + 1);
}
