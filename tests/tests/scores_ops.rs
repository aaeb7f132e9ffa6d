//! The scores worker's shared and featured collections, admin routes, import health, domain
//! event and upkeep cron, against a real local stack of their own: its scores worker has an
//! administrator (`ADMIN_EMAILS`) and a two-second orphan grace period, so the cron's sweep
//! can be watched (local R2 stamps every object "uploaded now").

use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mirubato_blackbox::session::{
    Session, call_json, processed_score, sign_in, unique_client_ip, unique_email,
};
use mirubato_blackbox::{Stack, Worker, client, log_line, random_hex, spawn_stack_with};
use mirubato_core::scores::engrave::engrave;
use serde_json::{Value, json};

const ADMIN_EMAIL: &str = "scores-admin@example.com";
const UPKEEP_CRON: &str = "23 * * * *";

fn stack() -> &'static Stack {
    static STACK: OnceLock<Stack> = OnceLock::new();
    STACK.get_or_init(|| {
        spawn_stack_with(|options| {
            options
                .extra_vars
                .push((Worker::Scores, "ADMIN_EMAILS".into(), ADMIN_EMAIL.into()));
            options
                .extra_vars
                .push((Worker::Scores, "ORPHAN_GRACE_SECONDS".into(), "2".into()));
        })
    })
}

fn scores() -> String {
    stack().url(Worker::Scores)
}

async fn new_user(tag: &str) -> Session {
    sign_in(stack(), &unique_email(tag)).await
}

/// The administrator, signed in once: the tests run in parallel, and concurrent sign-ins of
/// one address would take each other's magic links.
async fn admin() -> Session {
    static ADMIN: tokio::sync::Mutex<Option<Session>> = tokio::sync::Mutex::const_new(None);
    let mut signed_in = ADMIN.lock().await;
    if let Some(session) = signed_in.as_ref() {
        return session.clone();
    }
    let session = sign_in(stack(), ADMIN_EMAIL).await;
    *signed_in = Some(session.clone());
    session
}

/// Sends a request (as `session`, or anonymously) and returns status and JSON body.
async fn call(
    session: Option<&Session>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    call_json(
        format!("{}{path}", scores()),
        session,
        method,
        body,
        |request| request,
    )
    .await
}

fn pdf_data_url(pdf: &[u8]) -> String {
    format!("data:application/pdf;base64,{}", STANDARD.encode(pdf))
}

/// Imports `pdf` as `user`; returns the new score's id.
async fn import(user: &Session, pdf: &[u8]) -> String {
    let (status, body) = call(
        Some(user),
        "POST",
        "/api/import",
        Some(json!({ "url": pdf_data_url(pdf) })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["data"]["id"].as_str().unwrap().to_string()
}

async fn processed(user: &Session, id: &str) -> Value {
    processed_score(&scores(), Some(user), id).await
}

/// A public score of `owner`, in a new collection of theirs with `visibility`.
async fn collection_with_score(owner: &Session, name: &str, visibility: &str) -> (String, String) {
    let (status, score) = call(
        Some(owner),
        "POST",
        "/api/scores",
        Some(
            json!({"title": format!("{name} piece"), "composer": "Sor", "instrument": "guitar",
            "difficulty": "beginner", "source": "manual", "visibility": "public"}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{score}");
    let score_id = score["data"]["id"].as_str().unwrap().to_string();
    let (status, collection) = call(
        Some(owner),
        "POST",
        "/api/user/collections",
        Some(json!({"name": name, "visibility": visibility})),
    )
    .await;
    assert_eq!(status, 201, "{collection}");
    let collection_id = collection["data"]["id"].as_str().unwrap().to_string();
    let (status, added) = call(
        Some(owner),
        "POST",
        &format!("/api/user/collections/{collection_id}/scores"),
        Some(json!({"scoreId": score_id})),
    )
    .await;
    assert_eq!(status, 200, "{added}");
    (collection_id, score_id)
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn teachers_and_admins_share_and_recipients_are_matched_exactly() {
    let admin = admin().await;
    let student = new_user("share-student").await;
    let outsider = new_user("share-outsider").await;
    let (shared, score_id) =
        collection_with_score(&admin, &format!("Studio {}", random_hex(3)), "private").await;
    let (lookalike, _) =
        collection_with_score(&admin, &format!("Lookalike {}", random_hex(3)), "private").await;

    // Ordinary users neither share nor list what they shared.
    let share_path = format!("/api/collections/shared/{shared}/share");
    let body = json!({"userIds": [student.user_id()]});
    assert_eq!(
        call(Some(&outsider), "POST", &share_path, Some(body.clone()))
            .await
            .0,
        403
    );
    assert_eq!(
        call(
            Some(&outsider),
            "GET",
            "/api/collections/shared/by-me",
            None
        )
        .await
        .0,
        403
    );
    assert_eq!(
        call(None, "POST", &share_path, Some(body.clone())).await.0,
        401
    );

    // Bad bodies are 400 and change nothing; someone else's collection is a 404.
    for bad in [
        json!({"userIds": []}),
        json!({"userIds": ["not an id"]}),
        json!({"users": [student.user_id()]}),
    ] {
        assert_eq!(
            call(Some(&admin), "POST", &share_path, Some(bad.clone()))
                .await
                .0,
            400,
            "{bad}"
        );
    }
    let (status, _) = call(
        Some(&student),
        "POST",
        "/api/user/collections",
        Some(json!({"name": "Mine"})),
    )
    .await;
    assert_eq!(status, 201);
    let (_, student_collections) = call(Some(&student), "GET", "/api/user/collections", None).await;
    let students_own = &ids(&student_collections["data"])[0];
    assert_eq!(
        call(
            Some(&admin),
            "POST",
            &format!("/api/collections/shared/{students_own}/share"),
            Some(body.clone())
        )
        .await
        .0,
        404
    );

    let (status, done) = call(Some(&admin), "POST", &share_path, Some(body.clone())).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["data"]["sharedWith"], json!([student.user_id()]));
    // An id that merely contains the student's id is someone else.
    let (status, _) = call(
        Some(&admin),
        "POST",
        &format!("/api/collections/shared/{lookalike}/share"),
        Some(json!({"userIds": [format!("{}x", student.user_id()), admin.user_id()]})),
    )
    .await;
    assert_eq!(status, 200);

    let (status, with_me) = call(
        Some(&student),
        "GET",
        "/api/collections/shared/with-me",
        None,
    )
    .await;
    assert_eq!(status, 200, "{with_me}");
    assert_eq!(ids(&with_me["data"]), vec![shared.clone()]);
    assert_eq!(ids(&with_me["data"][0]["scores"]), vec![score_id]);
    let (_, by_me) = call(Some(&admin), "GET", "/api/collections/shared/by-me", None).await;
    let mut listed = ids(&by_me["data"]);
    listed.sort();
    let mut expected = vec![shared.clone(), lookalike.clone()];
    expected.sort();
    assert_eq!(listed, expected);
    // Sharing with yourself is a no-op: the lookalike lists only the other id.
    assert_eq!(
        by_me["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == json!(lookalike))
            .unwrap()["sharedWith"],
        json!([format!("{}x", student.user_id())])
    );

    let (status, undone) = call(Some(&admin), "DELETE", &share_path, Some(body)).await;
    assert_eq!(status, 200, "{undone}");
    assert_eq!(undone["data"]["sharedWith"], json!([]));
    let (_, with_me) = call(
        Some(&student),
        "GET",
        "/api/collections/shared/with-me",
        None,
    )
    .await;
    assert_eq!(with_me["data"], json!([]));
}

#[tokio::test]
async fn admins_feature_public_collections_and_order_them() {
    let admin = admin().await;
    let user = new_user("feature-user").await;
    // Not shadowed by /api/collections/{slug}: the seeded platform collections are listed.
    let (status, featured) = call(None, "GET", "/api/collections/featured", None).await;
    assert_eq!(status, 200, "{featured}");
    assert_eq!(
        ids(&featured["data"]),
        [
            "featured-piano-beginner",
            "featured-baroque",
            "featured-guitar"
        ]
    );

    let (public, score_id) =
        collection_with_score(&admin, &format!("Feature me {}", random_hex(3)), "public").await;
    let (private, _) =
        collection_with_score(&admin, &format!("Keep me {}", random_hex(3)), "private").await;
    let feature = |id: &str| json!({"collectionId": id});
    let path = "/api/collections/featured/feature";
    assert_eq!(
        call(None, "POST", path, Some(feature(&public))).await.0,
        401
    );
    assert_eq!(
        call(Some(&user), "POST", path, Some(feature(&public)))
            .await
            .0,
        403
    );
    assert_eq!(
        call(Some(&admin), "POST", path, Some(feature(&private)))
            .await
            .0,
        400
    );
    assert_eq!(
        call(
            Some(&admin),
            "POST",
            path,
            Some(feature("no-such-collection"))
        )
        .await
        .0,
        404
    );
    let (status, done) = call(
        Some(&admin),
        "POST",
        path,
        Some(json!({"collectionId": public, "displayOrder": 9})),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert!(done["data"]["featuredAt"].is_string());

    let (_, featured) = call(None, "GET", "/api/collections/featured", None).await;
    assert_eq!(ids(&featured["data"]).last(), Some(&public));
    assert_eq!(ids(&featured["data"][3]["scores"]), vec![score_id]);

    // Reordering: all listed ids must be featured, or nothing changes.
    let order = "/api/collections/featured/order";
    let new_order = json!({"collectionIds": [public, "featured-guitar", "featured-baroque", "featured-piano-beginner"]});
    assert_eq!(
        call(Some(&user), "PUT", order, Some(new_order.clone()))
            .await
            .0,
        403
    );
    assert_eq!(
        call(
            Some(&admin),
            "PUT",
            order,
            Some(json!({"collectionIds": [private, "featured-guitar"]}))
        )
        .await
        .0,
        404
    );
    assert_eq!(
        call(
            Some(&admin),
            "PUT",
            order,
            Some(json!({"collectionIds": ["featured-guitar", "featured-guitar"]}))
        )
        .await
        .0,
        400
    );
    let (_, unchanged) = call(None, "GET", "/api/collections/featured", None).await;
    assert_eq!(ids(&unchanged["data"])[0], "featured-piano-beginner");
    let (status, _) = call(Some(&admin), "PUT", order, Some(new_order)).await;
    assert_eq!(status, 200);
    let (_, reordered) = call(None, "GET", "/api/collections/featured", None).await;
    assert_eq!(
        ids(&reordered["data"]),
        [
            public.as_str(),
            "featured-guitar",
            "featured-baroque",
            "featured-piano-beginner"
        ]
    );

    let unfeature = format!("/api/collections/featured/feature/{public}");
    assert_eq!(call(Some(&user), "DELETE", &unfeature, None).await.0, 403);
    assert_eq!(call(Some(&admin), "DELETE", &unfeature, None).await.0, 200);
    assert_eq!(call(Some(&admin), "DELETE", &unfeature, None).await.0, 404);
    let (_, after) = call(None, "GET", "/api/collections/featured", None).await;
    assert!(!ids(&after["data"]).contains(&public));
}

#[tokio::test]
async fn an_accepted_import_is_a_score_imported_event() {
    let user = new_user("import-event").await;
    let send = |request_id: String, url: String| {
        let user = user.clone();
        async move {
            client()
                .post(format!("{}/api/import", scores()))
                .header("Authorization", user.bearer())
                .header("X-Request-Id", request_id)
                .json(&json!({ "url": url }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let refused = format!("refused-{}", random_hex(8));
    assert_eq!(
        send(refused.clone(), "ftp://example.com/x.pdf".into()).await,
        400
    );
    let accepted = format!("accepted-{}", random_hex(8));
    let pdf = engrave("Event Etude", "Carcassi", 1);
    assert_eq!(send(accepted.clone(), pdf_data_url(&pdf)).await, 201);

    let line = log_line(
        stack(),
        Worker::Scores,
        &["\"event\":\"score_imported\"", &accepted],
    )
    .await;
    assert_eq!(line["analytics"]["blobs"][1], "score_imported");
    assert_eq!(line["analytics"]["blobs"][3], "url");
    assert_eq!(line["analytics"]["doubles"], json!([1.0]));
    // The refused import's request has finished (its own log line), with no event.
    log_line(stack(), Worker::Scores, &[&refused]).await;
    assert!(
        !stack()
            .log(Worker::Scores)
            .lines()
            .any(|line| line.contains(&refused) && line.contains("score_imported"))
    );
}

#[tokio::test]
async fn import_health_reports_the_configuration_in_force() {
    let (status, health) = call(None, "GET", "/api/import/health", None).await;
    assert_eq!(status, 200, "{health}");
    let data = &health["data"];
    // Local development has neither binding (wrangler/scores.toml declares them deployed only).
    assert_eq!(data["ai"]["configured"], false);
    assert_eq!(data["browserRendering"]["configured"], false);
    let anonymous = &data["rateLimit"]["anonymous"];
    assert_eq!(
        (
            anonymous["imports"].as_i64(),
            anonymous["windowSeconds"].as_i64()
        ),
        (Some(1), Some(600))
    );
    // And that is the limit in force: a second anonymous import from one address is refused.
    let address = unique_client_ip();
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let response = client()
            .post(format!("{}/api/import", scores()))
            .header("X-Forwarded-For", &address)
            .json(&json!({ "url": pdf_data_url(&engrave("Limit Study", "Sor", 1)) }))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [201, 429]);
}

#[tokio::test]
async fn admins_reprocess_failed_imports_and_read_any_score_status() {
    let admin = admin().await;
    let user = new_user("reprocess-user").await;
    let broken = import(&user, b"%PDF-1.4\nnot really a pdf").await;
    assert_eq!(
        processed(&user, &broken).await["processingStatus"],
        "failed"
    );

    let status_path = format!("/api/admin/score-status/{broken}");
    assert_eq!(call(Some(&user), "GET", &status_path, None).await.0, 403);
    assert_eq!(call(None, "GET", &status_path, None).await.0, 401);
    assert_eq!(
        call(
            Some(&admin),
            "GET",
            "/api/admin/score-status/score_missing",
            None
        )
        .await
        .0,
        404
    );
    let (status, before) = call(Some(&admin), "GET", &status_path, None).await;
    assert_eq!(status, 200, "{before}");
    assert_eq!(before["data"]["processingStatus"], "failed");
    assert_eq!(before["data"]["processingAttempts"], 1);
    assert_eq!(before["data"]["stored"]["file"], true);
    assert!(
        before["data"]["processingError"]
            .as_str()
            .unwrap()
            .contains("PDF")
    );

    let path = "/api/admin/reprocess-imports";
    assert_eq!(
        call(Some(&user), "POST", path, Some(json!({}))).await.0,
        403
    );
    for bad in [
        json!({"limit": 0}),
        json!({"limit": 101}),
        json!({"all": true}),
    ] {
        assert_eq!(
            call(Some(&admin), "POST", path, Some(bad.clone())).await.0,
            400,
            "{bad}"
        );
    }
    // A dry run lists and changes nothing.
    let (status, dry) = call(Some(&admin), "POST", path, Some(json!({"limit": 100}))).await;
    assert_eq!(status, 200, "{dry}");
    assert_eq!(dry["data"]["dryRun"], true);
    assert!(ids(&dry["data"]["scores"]).contains(&broken), "{dry}");
    let (_, unchanged) = call(Some(&admin), "GET", &status_path, None).await;
    assert_eq!(unchanged["data"], before["data"]);

    let (status, run) = call(
        Some(&admin),
        "POST",
        path,
        Some(json!({"dryRun": false, "limit": 100})),
    )
    .await;
    assert_eq!(status, 200, "{run}");
    assert!(ids(&run["data"]["scores"]).contains(&broken), "{run}");
    // Processed again from a clean slate: a new attempt, failed again for the same reason.
    let again = processed(&user, &broken).await;
    assert_eq!(again["processingStatus"], "failed");
    let (_, after) = call(Some(&admin), "GET", &status_path, None).await;
    assert_eq!(after["data"]["processingAttempts"], 1);
    assert_ne!(
        after["data"]["processingStartedAt"],
        before["data"]["processingStartedAt"]
    );
}

async fn run_cron(cron: &str) {
    let response = client()
        .get(format!("{}/__scheduled", scores()))
        .query(&[("cron", cron)])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
}

fn cron_lines(job: &str) -> Vec<Value> {
    stack()
        .log(Worker::Scores)
        .lines()
        .filter(|line| line.contains(&format!("\"job\":\"{job}\"")))
        .filter_map(|line| serde_json::from_str(&line[line.find('{')?..]).ok())
        .collect()
}

/// Runs the upkeep cron and returns its orphan sweep's result.
async fn sweep() -> Value {
    let before = cron_lines("delete-orphaned-files").len();
    run_cron(UPKEEP_CRON).await;
    for _ in 0..100 {
        if let Some(line) = cron_lines("delete-orphaned-files").get(before) {
            assert_eq!(line["level"], "info", "{line}");
            return line["result"].clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the upkeep cron logged no sweep");
}

#[tokio::test]
async fn the_upkeep_cron_deletes_orphaned_files_and_keeps_owned_ones() {
    let admin = admin().await;
    let owner = new_user("upkeep-owner").await;
    let kept = import(&owner, &engrave("Kept Study", "Giuliani", 1)).await;
    assert_eq!(
        processed(&owner, &kept).await["processingStatus"],
        "completed"
    );

    let upload = |key: String| async move {
        client()
            .post(format!("{}/api/dev/upload", scores()))
            .query(&[("key", key)])
            .header("Content-Type", "image/png")
            .body(vec![0x89, b'P', b'N', b'G'])
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(upload("../escape".into()).await, 400);
    let orphan = format!("rendered/score_gone{}/page-1.png", random_hex(6));
    let stranger = format!("elsewhere/{}.png", random_hex(6));
    assert_eq!(upload(orphan.clone()).await, 200);
    assert_eq!(upload(stranger.clone()).await, 200);
    // Older than the stack's two-second grace period.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let result = sweep().await;
    let deleted: Vec<&str> = result["deletedKeys"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(deleted.contains(&orphan.as_str()), "{result}");
    assert!(!deleted.iter().any(|key| key.contains(&kept)), "{result}");
    assert!(!deleted.contains(&stranger.as_str()), "{result}");
    let stuck = cron_lines("requeue-stuck-imports");
    assert_eq!(stuck.last().unwrap()["level"], "info");

    // The owned score keeps its PDF and thumbnail.
    let (_, status) = call(
        Some(&admin),
        "GET",
        &format!("/api/admin/score-status/{kept}"),
        None,
    )
    .await;
    assert_eq!(
        status["data"]["stored"],
        json!({"file": true, "thumbnail": true})
    );
    let pdf = client()
        .get(format!("{}/api/scores/{kept}/download/pdf", scores()))
        .header("Authorization", owner.bearer())
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), 200);

    // Idempotent: the next run finds nothing more of it.
    let again = sweep().await;
    assert!(!again.to_string().contains(&orphan), "{again}");
}
