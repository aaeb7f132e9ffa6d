//! The dictionary worker against the real local stack: lookups in several languages, search
//! quality, feedback, reports, the cache, rate limits, admin access by JWT and by service
//! token, exports, the public pages, and the cron.

use hmac::{Hmac, Mac};
use mirubato_blackbox::session::{Session, sign_in, unique_client_ip, unique_email};
use mirubato_blackbox::{DICTIONARY_ADMIN_EMAIL, Worker, client, shared, stack_secret};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};
use sha2::Sha256;

fn dictionary() -> String {
    shared().url(Worker::Dictionary)
}

/// A request from a client address of its own, so rate limits of one test never touch another.
fn request(method: Method, path: &str, ip: &str) -> RequestBuilder {
    client()
        .request(method, format!("{}{path}", dictionary()))
        .header("X-Forwarded-For", ip)
}

async fn body(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(path: &str) -> (u16, Value) {
    body(
        request(Method::GET, path, &unique_client_ip())
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn post(path: &str, payload: Value) -> (u16, Value) {
    body(
        request(Method::POST, path, &unique_client_ip())
            .json(&payload)
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() {
                (byte as char).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

/// The entry id of a seed term.
async fn id_of(term: &str) -> String {
    let (status, answer) = get(&format!("/api/v1/terms/{}", percent(term))).await;
    assert_eq!(status, 200, "{term}: {answer}");
    answer["data"]["entry"]["id"].as_str().unwrap().to_string()
}

fn service_token(service: &str) -> String {
    let secret = stack_secret(shared(), "SERVICE_SECRET");
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(service.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

async fn admin() -> Session {
    sign_in(shared(), DICTIONARY_ADMIN_EMAIL).await
}

fn entry_body(concise: &str) -> Value {
    json!({
        "type": "technique",
        "definition": {
            "concise": concise,
            "detailed": "A longer explanation written by an editor.",
            "translations": {"es": "prueba", "fr": "essai", "de": "Probe", "zh-CN": "测试", "zh-TW": "測試"}
        },
        "references": {"books": [{"title": "A book"}]}
    })
}

#[tokio::test]
async fn lookups_answer_in_the_requested_language_with_fallbacks() {
    let (status, answer) = get("/api/v1/terms/Allegro?lang=de").await;
    assert_eq!(status, 200, "{answer}");
    let data = &answer["data"];
    assert_eq!(data["entry"]["normalized_term"], "allegro");
    assert_eq!(data["entry"]["type"], "tempo");
    assert_eq!(data["requested_lang"], "de");
    assert_eq!(data["fallback"], true);
    assert!(
        data["entry"]["definition"]["concise"]
            .as_str()
            .unwrap()
            .contains("Fast")
    );
    assert!(!data["related_terms"].as_array().unwrap().is_empty());

    // Accept-Language decides when there is no parameter; names come back translated.
    let response = request(Method::GET, "/api/v1/terms/crescendo", &unique_client_ip())
        .header("Accept-Language", "ja;q=0.9, zh-TW;q=0.8, en;q=0.1")
        .send()
        .await
        .unwrap();
    let (status, answer) = body(response).await;
    assert_eq!(status, 200);
    assert_eq!(answer["data"]["requested_lang"], "zh-TW");
    assert_eq!(answer["data"]["display_term"], "漸強");

    // A translated name finds the term, case and diacritics folded as written.
    for (name, expected) in [
        ("渐强", "crescendo"),
        ("Kontrapunkt", "counterpoint"),
        ("clé de sol", "treble clef"),
        ("ÉTUDE", "étude"),
    ] {
        let (status, answer) = get(&format!("/api/v1/terms/{}?lang=fr", percent(name))).await;
        assert_eq!(status, 200, "{name}: {answer}");
        assert_eq!(
            answer["data"]["entry"]["normalized_term"], expected,
            "{name}"
        );
    }

    let (status, answer) = get("/api/v1/terms/allegro?lang=klingon").await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["code"], "VALIDATION_ERROR");
}

#[tokio::test]
async fn unknown_terms_are_404_with_suggestions() {
    let (status, answer) = get("/api/v1/terms/alegro").await;
    assert_eq!(status, 404, "{answer}");
    assert_eq!(answer["success"], false);
    assert_eq!(answer["code"], "NOT_FOUND");
    let suggestions = answer["details"]["suggestions"].as_array().unwrap();
    assert_eq!(suggestions.first().unwrap(), "allegro", "{answer}");
}

#[tokio::test]
async fn missing_terms_are_generated_only_for_signed_in_callers_with_ai() {
    let path = "/api/v1/terms/zzgeneratedterm?generate_if_missing=true";
    let (status, answer) = get(path).await;
    assert_eq!(status, 404, "{answer}");
    let generation = &answer["details"]["generation"];
    assert_eq!(generation["generated"], false, "{answer}");
    assert!(generation["reason"].as_str().unwrap().contains("Sign in"));

    let user = sign_in(shared(), &unique_email("dict-generate")).await;
    let response = request(Method::GET, path, &unique_client_ip())
        .header("Authorization", user.bearer())
        .send()
        .await
        .unwrap();
    assert!(response.headers().get("X-Generated").is_none());
    let (status, answer) = body(response).await;
    assert_eq!(status, 404, "{answer}");
    let generation = &answer["details"]["generation"];
    assert_eq!(generation["generated"], false, "{answer}");
    assert!(
        generation["reason"]
            .as_str()
            .unwrap()
            .contains("Workers AI is not configured")
    );

    // Without the flag a miss says nothing about generation.
    let (status, answer) = get("/api/v1/terms/zzgeneratedterm").await;
    assert_eq!(status, 404);
    assert!(answer["details"].get("generation").is_none(), "{answer}");
    let (status, answer) = get("/api/v1/terms/zzgeneratedterm?generate_if_missing=yes").await;
    assert_eq!(status, 400, "{answer}");
    // Nothing was created or queued for review.
    let (_, stats) = get("/api/v1/batch/stats").await;
    assert!(
        stats["data"]["queues"]["review"]
            .as_object()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn entries_by_id_and_in_every_language() {
    let id = id_of("fugue").await;
    let (status, answer) = get(&format!("/api/v1/terms/id/{id}?lang=es")).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["data"]["display_term"], "fuga");
    let (status, _) = get("/api/v1/terms/id/dict_nothing").await;
    assert_eq!(status, 404);

    let (status, answer) = get("/api/v1/terms/fugue/languages?languages=en,de,zh-CN").await;
    assert_eq!(status, 200, "{answer}");
    let languages = answer["data"]["languages"].as_object().unwrap();
    assert_eq!(languages.len(), 3);
    assert_eq!(languages["de"]["display_term"], "Fuge");
    assert_eq!(languages["zh-CN"]["display_term"], "赋格");
    let (status, _) = get("/api/v1/terms/fugue/languages?languages=en,xx").await;
    assert_eq!(status, 400);
    let (status, _) = get("/api/v1/terms/no-such-term/languages").await;
    assert_eq!(status, 404);
}

async fn top_result(query: &str) -> String {
    let (status, answer) = get(&format!("/api/v1/search?q={}", percent(query))).await;
    assert_eq!(status, 200, "{query}: {answer}");
    answer["data"]["results"][0]["normalized_term"]
        .as_str()
        .unwrap_or_else(|| panic!("no result for {query}: {answer}"))
        .to_string()
}

#[tokio::test]
async fn search_puts_the_expected_term_first() {
    let cases = [
        ("crescendo", "crescendo"),
        ("FUGUE", "fugue"),
        ("etude", "étude"),
        ("pizz", "pizzicato"),
        ("circle of fifths", "circle of fifths"),
        ("sonata form", "sonata form"),
        ("Kontrapunkt", "counterpoint"),
        ("渐强", "crescendo"),
        ("vibrato", "vibrato"),
        ("dominant seventh", "dominant seventh chord"),
        ("gradually getting faster", "accelerando"),
    ];
    for (query, expected) in cases {
        assert_eq!(top_result(query).await, expected, "query {query:?}");
    }
}

#[tokio::test]
async fn search_filters_sorts_and_pages() {
    let (status, answer) = get("/api/v1/search?q=forte&type=dynamics&limit=3").await;
    assert_eq!(status, 200, "{answer}");
    let results = answer["data"]["results"].as_array().unwrap();
    assert!(!results.is_empty() && results.len() <= 3);
    assert!(results.iter().all(|entry| entry["type"] == "dynamics"));
    assert!(answer["data"]["total"].as_u64().unwrap() >= results.len() as u64);

    let (_, first) = get("/api/v1/search?type=tempo&sort_by=alphabetical&limit=5").await;
    let (_, second) = get("/api/v1/search?type=tempo&sort_by=alphabetical&limit=5&offset=5").await;
    let names = |answer: &Value| -> Vec<String> {
        answer["data"]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| entry["normalized_term"].as_str().unwrap().to_string())
            .collect()
    };
    let (first, second) = (names(&first), names(&second));
    assert_eq!(first.len(), 5);
    let mut sorted = first.clone();
    sorted.sort();
    assert_eq!(first, sorted);
    assert!(first.last() < second.first(), "{first:?} then {second:?}");

    // Whatever is typed, the search answers (no FTS syntax error becomes a 500).
    for hostile in [
        "\"",
        "*",
        "NEAR(a b",
        "term: x OR",
        "(((",
        "-",
        "%00",
        "a\"b*c",
        "1812",
        "2.5",
    ] {
        let (status, answer) = get(&format!("/api/v1/search?q={}", percent(hostile))).await;
        assert_eq!(status, 200, "{hostile:?}: {answer}");
    }
}

#[tokio::test]
async fn suggestions_popular_and_related_searches() {
    let (status, answer) = get("/api/v1/search/suggestions?q=alleg&limit=5").await;
    assert_eq!(status, 200, "{answer}");
    let terms: Vec<&str> = answer["data"]["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["normalized_term"].as_str().unwrap())
        .collect();
    assert!(
        terms.contains(&"allegro") && terms.contains(&"allegretto"),
        "{terms:?}"
    );

    for _ in 0..3 {
        get("/api/v1/terms/glissando").await;
    }
    let (status, answer) = get("/api/v1/search/popular?limit=50&days=1").await;
    assert_eq!(status, 200, "{answer}");
    assert!(
        answer["data"]["searches"]
            .as_array()
            .unwrap()
            .iter()
            .any(|item| item["term"] == "glissando" && item["searches"].as_f64().unwrap() >= 3.0),
        "{answer}"
    );

    let (status, answer) = get("/api/v1/search/related?term=glissando").await;
    assert_eq!(status, 200, "{answer}");
    let related: Vec<&str> = answer["data"]["related_terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["normalized_term"].as_str().unwrap())
        .collect();
    assert!(related.contains(&"portamento"), "{related:?}");
    let (status, _) = get("/api/v1/search/related?term=no-such-term").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn semantic_search_falls_back_to_full_text_without_ai() {
    let (status, answer) = post(
        "/api/v1/search/semantic",
        json!({"query": "gradually getting louder", "limit": 5}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["data"]["mode"], "fulltext");
    assert_eq!(
        answer["data"]["fallback_reason"],
        "Workers AI is not configured"
    );
    let results = answer["data"]["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .any(|item| item["entry"]["normalized_term"] == "crescendo"),
        "{answer}"
    );
    let (status, _) = post("/api/v1/search/semantic", json!({"query": "ab"})).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn batch_queries_answer_each_term() {
    let (status, answer) = post(
        "/api/v1/batch/query",
        json!({"terms": ["Allegro", "no-such-term", "渐强"], "lang": "zh-CN", "include_related": true}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let results = &answer["data"]["results"];
    assert_eq!(results["Allegro"]["display_term"], "快板");
    assert_eq!(results["no-such-term"]["found"], false);
    assert_eq!(results["渐强"]["entry"]["normalized_term"], "crescendo");
    assert_eq!(answer["data"]["summary"]["found"], 2);
    assert_eq!(answer["data"]["summary"]["not_found"], 1);

    let too_many: Vec<String> = (0..51).map(|n| format!("term{n}")).collect();
    let (status, _) = post("/api/v1/batch/query", json!({"terms": too_many})).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn feedback_changes_user_satisfaction() {
    let id = id_of("harp").await;
    let (status, answer) = post(
        &format!("/api/v1/terms/{id}/feedback"),
        json!({"rating": 5, "helpful": true, "feedback_type": "clarity"}),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["data"]["quality_score"]["user_satisfaction"], 100.0);

    let (status, answer) = post(
        &format!("/api/v1/terms/{id}/feedback"),
        json!({"rating": 1, "feedback_text": "Too short"}),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["data"]["quality_score"]["user_satisfaction"], 60.0);
    assert_eq!(answer["data"]["quality_score"]["ratings_count"], 2);

    // The stored entry (not a stale cached copy) shows the new figure.
    let (_, answer) = get("/api/v1/terms/harp").await;
    assert_eq!(
        answer["data"]["entry"]["quality_score"]["user_satisfaction"],
        60.0
    );

    for bad in [
        json!({"rating": 6}),
        json!({}),
        json!({"feedback_type": "rude", "rating": 3}),
        json!({"feedback_text": "x".repeat(1001)}),
    ] {
        let (status, answer) = post(&format!("/api/v1/terms/{id}/feedback"), bad.clone()).await;
        assert_eq!(status, 400, "{bad}: {answer}");
    }
    let (status, _) = post("/api/v1/terms/dict_nothing/feedback", json!({"rating": 4})).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn reports_are_accepted_and_validated() {
    let id = id_of("lute").await;
    let (status, answer) = post(
        &format!("/api/v1/terms/{id}/report"),
        json!({"issue_type": "incorrect", "description": "The tuning given is wrong."}),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    assert!(answer["data"]["report_id"].is_string());
    for bad in [
        json!({"issue_type": "incorrect", "description": "short"}),
        json!({"issue_type": "boring", "description": "Long enough description"}),
        json!({"description": "Long enough description"}),
    ] {
        let (status, _) = post(&format!("/api/v1/terms/{id}/report"), bad.clone()).await;
        assert_eq!(status, 400, "{bad}");
    }
}

#[tokio::test]
async fn lookups_are_cached_until_the_entry_changes() {
    let ip = unique_client_ip();
    let lookup = || async {
        let response = request(Method::GET, "/api/v1/terms/tremolo?lang=es", &ip)
            .send()
            .await
            .unwrap();
        let cache = response.headers()["X-Cache"].to_str().unwrap().to_string();
        let (_, answer) = body(response).await;
        (cache, answer)
    };
    let (first, answer) = lookup().await;
    let id = answer["data"]["entry"]["id"].as_str().unwrap().to_string();
    assert_eq!(first, "MISS");
    let (second, answer) = lookup().await;
    assert_eq!(second, "HIT");
    assert_eq!(answer["data"]["cache_hit"], true);

    // Feedback invalidates the entry's cached lookups.
    let (status, _) = post(
        &format!("/api/v1/terms/{id}/feedback"),
        json!({"rating": 4}),
    )
    .await;
    assert_eq!(status, 201);
    let (third, answer) = lookup().await;
    assert_eq!(third, "MISS");
    assert_eq!(answer["data"]["entry"]["quality_score"]["ratings_count"], 1);
}

#[tokio::test]
async fn rate_limits_count_per_address_and_per_user() {
    let ip = unique_client_ip();
    let id = id_of("oboe").await;
    let report = |ip: String, session: Option<Session>| {
        let id = id.clone();
        async move {
            let mut builder = request(Method::POST, &format!("/api/v1/terms/{id}/report"), &ip)
                .json(&json!({"issue_type": "other", "description": "Checking the report limit"}));
            if let Some(session) = session {
                builder = builder.header("Authorization", session.bearer());
            }
            builder.send().await.unwrap()
        }
    };
    // Anonymous reports: 5 per hour per address.
    for remaining in (0..5).rev() {
        let response = report(ip.clone(), None).await;
        assert_eq!(response.status(), 201);
        assert_eq!(response.headers()["X-RateLimit-Limit"], "5");
        assert_eq!(
            response.headers()["X-RateLimit-Remaining"],
            remaining.to_string().as_str()
        );
        assert!(response.headers().contains_key("X-RateLimit-Reset"));
    }
    let refused = report(ip.clone(), None).await;
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = refused.headers()["Retry-After"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry_after));
    assert_eq!(refused.headers()["X-RateLimit-Remaining"], "0");
    let (_, answer) = body(refused).await;
    assert_eq!(answer["code"], "RATE_LIMITED");
    assert_eq!(answer["details"]["retryAfter"], retry_after);

    // Another address, and a signed-in user on the same address, have their own counters.
    assert_eq!(report(unique_client_ip(), None).await.status(), 201);
    let user = sign_in(shared(), &unique_email("dict-limit")).await;
    let response = report(ip, Some(user)).await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["X-RateLimit-Limit"], "10");
}

#[tokio::test]
async fn admin_routes_need_an_admin_jwt() {
    let path = "/api/v1/admin/terms/Editorial%20Test";
    let (status, _) = body(
        request(Method::PUT, path, &unique_client_ip())
            .json(&entry_body("By nobody."))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);

    let user = sign_in(shared(), &unique_email("dict-user")).await;
    let (status, answer) = body(
        user.put(format!("{}{path}", dictionary()))
            .json(&entry_body("By a user."))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403, "{answer}");

    let admin = admin().await;
    let (status, answer) = body(
        admin
            .put(format!("{}{path}", dictionary()))
            .json(&entry_body("An editorial test term."))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    let entry = &answer["data"]["entry"];
    assert_eq!(entry["term"], "Editorial Test");
    assert_eq!(entry["version"], 1);
    // Quality by the formula: completeness 70, one reference (20): (70 + 70 + 70 + 20) / 4.
    assert_eq!(entry["quality_score"]["overall"], 58);
    assert_eq!(entry["quality_score"]["human_verified"], true);
    let id = entry["id"].as_str().unwrap().to_string();

    let (status, answer) = get("/api/v1/search?q=editorial").await;
    assert_eq!(status, 200);
    assert_eq!(answer["data"]["results"][0]["id"], id.as_str());
    let (status, answer) = body(
        admin
            .put(format!("{}{path}", dictionary()))
            .json(&entry_body("Revised by the editor."))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["data"]["entry"]["version"], 2);

    let (status, answer) = body(
        admin
            .put(format!("{}{path}", dictionary()))
            .json(&json!({"type": "technique", "definition": {}}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    let (status, _) = body(admin.put(format!("{}/api/v1/admin/terms/Other", dictionary())).json(&json!({"term": "Something else", "type": "technique", "definition": {"concise": "x"}})).send().await.unwrap()).await;
    assert_eq!(status, 400);

    let (status, answer) = body(admin.post(format!("{}/api/v1/admin/bulk", dictionary())).json(&json!({"entries": [
        {"term": "Bulk One", "type": "general", "definition": {"concise": "First bulk term."}},
        {"term": "Bulk Two", "type": "general", "definition": {"concise": "Second bulk term."}},
    ]})).send().await.unwrap()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["data"]["upserted"], 2);
    let (status, _) = body(
        admin
            .post(format!("{}/api/v1/admin/bulk", dictionary()))
            .json(&json!({"entries": [{"type": "general", "definition": {"concise": "No term."}}]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);

    let (status, _) = body(
        user.delete(format!("{}/api/v1/admin/terms/{id}", dictionary()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = body(
        admin
            .delete(format!("{}/api/v1/admin/terms/{id}", dictionary()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = get("/api/v1/terms/editorial%20test").await;
    assert_eq!(status, 404);
    let (status, _) = body(
        admin
            .delete(format!("{}/api/v1/admin/terms/{id}", dictionary()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 404);

    let (status, answer) = body(
        admin
            .get(format!("{}/api/v1/admin/seed/review-queue", dictionary()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer["data"]["items"].is_array());
    let (status, _) = body(
        admin
            .put(format!("{}/api/v1/admin/seed/review/none", dictionary()))
            .json(&json!({"action": "approve"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 404);
}

fn as_service(method: Method, path: &str, name: &str, token: &str) -> RequestBuilder {
    request(method, path, &unique_client_ip())
        .header("X-Service-Name", name)
        .header("X-Service-Token", token)
}

#[tokio::test]
async fn service_tokens_open_only_their_routes() {
    let path = "/api/v1/admin/terms/Service%20Term";
    let pipeline = service_token("content-pipeline");

    let (status, answer) = body(
        as_service(Method::PUT, path, "content-pipeline", &pipeline)
            .json(&entry_body("Written by a service."))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(
        answer["data"]["entry"]["metadata"]["created_by"],
        "service:content-pipeline"
    );

    // Wrong token, a token of another service, no token at all.
    let (status, answer) = body(
        as_service(Method::PUT, path, "content-pipeline", &"0".repeat(64))
            .json(&entry_body("x"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401, "{answer}");
    let (status, _) = body(
        as_service(Method::PUT, path, "scores", &pipeline)
            .json(&entry_body("x"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = body(
        request(Method::PUT, path, &unique_client_ip())
            .header("X-Service-Name", "content-pipeline")
            .json(&entry_body("x"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = body(
        as_service(Method::PUT, path, "content-pipeline", "not hex")
            .json(&entry_body("x"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);

    // A genuine service on a route that does not allow it.
    let scores = service_token("scores");
    let (status, answer) = body(
        as_service(Method::PUT, path, "scores", &scores)
            .json(&entry_body("Written by scores."))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = body(
        as_service(
            Method::POST,
            "/api/v1/admin/seed/bulk-import",
            "scores",
            &scores,
        )
        .json(&json!({"terms": "Passepied"}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 403, "{answer}");

    let (status, answer) = body(
        as_service(
            Method::POST,
            "/api/v1/admin/seed/bulk-import",
            "content-pipeline",
            &pipeline,
        )
        .json(&json!({"terms": "Passepied\nLoure\n\n", "priority": 7, "type": "genre"}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["data"]["queued"], 2);
    let (status, answer) = body(
        as_service(
            Method::GET,
            "/api/v1/admin/seed/status",
            "content-pipeline",
            &pipeline,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer["data"]["stats"]["pending"].as_u64().unwrap() >= 2);
    assert_eq!(answer["data"]["ai_configured"], false);
    let (status, _) = body(
        as_service(
            Method::POST,
            "/api/v1/admin/seed/bulk-import",
            "content-pipeline",
            &pipeline,
        )
        .json(&json!({"terms": "   "}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn exports_stream_json_and_csv() {
    let (status, answer) = get("/api/v1/export?format=json").await;
    assert_eq!(status, 200);
    let count = answer["data"]["count"].as_u64().unwrap();
    assert!(count >= 400, "{count}");
    assert_eq!(
        answer["data"]["entries"].as_array().unwrap().len() as u64,
        count
    );

    let (_, answer) = get("/api/v1/export?format=json&type=ornament&limit=3").await;
    let entries = answer["data"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert!(entries.iter().all(|entry| entry["type"] == "ornament"));

    let response = request(
        Method::GET,
        "/api/v1/export?format=csv&type=tempo",
        &unique_client_ip(),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["Content-Type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = response.text().await.unwrap();
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("id,term,lang,type,concise")
    );
    assert!(text.contains("快板"));
    assert!(lines.count() >= 40);

    for bad in [
        "format=sqlite",
        "limit=0",
        "limit=10001",
        "type=noise",
        "min_quality=101",
    ] {
        let (status, _) = get(&format!("/api/v1/export?{bad}")).await;
        assert_eq!(status, 400, "{bad}");
    }
}

#[tokio::test]
async fn term_pages_and_sitemap() {
    let response = request(Method::GET, "/dictionary/fr/allegro", &unique_client_ip())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["Content-Language"], "fr");
    assert!(
        response.headers()["Content-Type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("<html lang=\"fr\">"));
    assert!(html.contains("<h1>allegro</h1>"));
    assert!(html.contains("hreflang=\"zh-TW\""));

    let response = request(
        Method::GET,
        "/dictionary/zh-TW/crescendo",
        &unique_client_ip(),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("<h1>漸強</h1>"));

    for (path, location) in [
        ("/dictionary/xx/allegro", "/dictionary/en/allegro"),
        ("/dictionary/EN/allegro", "/dictionary/en/allegro"),
        ("/dictionary/de/Allegro", "/dictionary/de/allegro"),
    ] {
        let response = request(Method::GET, path, &unique_client_ip())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 301, "{path}");
        assert!(
            response.headers()["Location"]
                .to_str()
                .unwrap()
                .ends_with(location),
            "{path}"
        );
    }

    let response = request(Method::GET, "/dictionary/en/alegro", &unique_client_ip())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("/dictionary/en/allegro")
    );

    let response = request(Method::GET, "/dictionary/sitemap.xml", &unique_client_ip())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let xml = response.text().await.unwrap();
    assert!(xml.starts_with("<?xml"));
    assert!(xml.contains("/dictionary/zh-TW/allegro</loc>"));
    assert!(xml.matches("<url>").count() >= 400 * 6);

    let response = request(
        Method::GET,
        "/dictionary/sitemap-zh-TW.xml",
        &unique_client_ip(),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    let xml = response.text().await.unwrap();
    assert!(xml.contains("/dictionary/zh-TW/allegro</loc>"));
    assert!(!xml.contains("/dictionary/en/"));
    assert!(xml.matches("<url>").count() >= 400);
    for path in [
        "/dictionary/sitemap-xx.xml",
        "/dictionary/sitemap-zh-tw.xml",
    ] {
        let response = request(Method::GET, path, &unique_client_ip())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }

    let response = request(Method::GET, "/dictionary", &unique_client_ip())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 301);
    assert_eq!(
        response.headers()["Location"].to_str().unwrap(),
        format!("{}/toolbox", shared().url(Worker::Frontend))
    );
}

#[tokio::test]
async fn batch_stats_count_the_dictionary() {
    let (status, answer) = get("/api/v1/batch/stats").await;
    assert_eq!(status, 200, "{answer}");
    let stats = &answer["data"];
    let entries = stats["entries"].as_u64().unwrap();
    assert!(stats["terms"].as_u64().unwrap() >= 400);
    assert!(entries >= stats["terms"].as_u64().unwrap());
    let by_language: u64 = stats["by_language"]
        .as_object()
        .unwrap()
        .values()
        .map(|count| count.as_u64().unwrap())
        .sum();
    assert_eq!(by_language, entries);
    let by_type: u64 = stats["by_type"]
        .as_object()
        .unwrap()
        .values()
        .map(|count| count.as_u64().unwrap())
        .sum();
    assert_eq!(by_type, entries);
    assert!(stats["by_type"]["tempo"].as_u64().unwrap() > 0);
    let average = stats["average_quality"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&average));
    assert_eq!(stats["ai_configured"], false);
    assert!(stats["queues"]["seed"].is_object());
}

#[tokio::test]
async fn every_bad_input_is_a_4xx() {
    let long = "x".repeat(101);
    for path in [
        format!("/api/v1/terms/{long}"),
        "/api/v1/terms/%FF".to_string(),
        "/api/v1/terms/allegro?type=noise".to_string(),
        "/api/v1/search?limit=0".to_string(),
        "/api/v1/search?limit=abc".to_string(),
        "/api/v1/search?sort_by=random".to_string(),
        format!("/api/v1/search?q={}", "y".repeat(201)),
        "/api/v1/search/suggestions".to_string(),
        "/api/v1/search/suggestions?q=a&limit=21".to_string(),
        "/api/v1/search/popular?days=91".to_string(),
        "/api/v1/search/related".to_string(),
    ] {
        let (status, answer) = get(&path).await;
        assert!((400..500).contains(&status), "{path}: {status} {answer}");
        assert_eq!(answer["success"], false, "{path}");
    }
    for (path, payload) in [
        ("/api/v1/batch/query", json!({"terms": []})),
        (
            "/api/v1/batch/query",
            json!({"terms": ["ok"], "lang": "xx"}),
        ),
        ("/api/v1/batch/query", json!({"terms": [""]})),
        (
            "/api/v1/search/semantic",
            json!({"query": "valid query", "threshold": 2}),
        ),
        (
            "/api/v1/search/semantic",
            json!({"query": "valid query", "unknown": 1}),
        ),
    ] {
        let (status, answer) = post(path, payload.clone()).await;
        assert_eq!(status, 400, "{path} {payload}: {answer}");
    }
    let response = request(Method::POST, "/api/v1/batch/query", &unique_client_ip())
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let response = request(Method::DELETE, "/api/v1/search", &unique_client_ip())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
}

#[tokio::test]
async fn the_cron_says_enhancement_did_not_run_without_ai() {
    let response = client()
        .get(format!("{}/__scheduled?cron=0+3+*+*+*", dictionary()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut report = None;
    for _ in 0..50 {
        let log = shared().log(Worker::Dictionary);
        report = log
            .lines()
            .filter(|line| line.contains("\"event\":\"scheduled\""))
            .find_map(|line| {
                line.find('{')
                    .and_then(|start| serde_json::from_str::<Value>(&line[start..]).ok())
            });
        if report.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let report = report.expect("the cron logged its report");
    assert_eq!(report["enhancement"]["ran"], false);
    assert_eq!(
        report["enhancement"]["reason"],
        "Workers AI is not configured"
    );
    assert!(report["cleanup"]["search_analytics"].is_u64(), "{report}");
}
