//! The practice-data endpoints (repertoire, goals, piece renames, template adoption,
//! autocomplete) against the real local stack: happy paths, 4xx paths, isolation between
//! users, and that every change is a sync change (seq bumped, visible to delta pulls).

use mirubato_blackbox::session::{Session, call_json, sign_in, unique_email};
use mirubato_blackbox::{Worker, client, shared};
use serde_json::{Value, json};

fn api() -> String {
    shared().url(Worker::Api)
}

async fn new_user(tag: &str) -> Session {
    sign_in(shared(), &unique_email(tag)).await
}

/// Sends a request as `session` (or anonymously) and returns status and JSON body.
async fn call(
    session: Option<&Session>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    call_json(
        format!("{}{path}", api()),
        session,
        method,
        body,
        |request| request,
    )
    .await
}

async fn ok(session: &Session, method: &str, path: &str, body: Option<Value>) -> Value {
    let (status, answer) = call(Some(session), method, path, body).await;
    assert!(
        (200..300).contains(&status),
        "{method} {path}: {status} {answer}"
    );
    answer
}

async fn pull_since(session: &Session, since: i64) -> Value {
    ok(
        session,
        "POST",
        "/api/sync/pull",
        Some(json!({"since": since})),
    )
    .await
}

async fn last_seq(session: &Session) -> i64 {
    ok(session, "GET", "/api/sync/status", None).await["lastSeq"]
        .as_i64()
        .unwrap()
}

async fn push(session: &Session, changes: Value) {
    ok(
        session,
        "POST",
        "/api/sync/push",
        Some(json!({"changes": changes})),
    )
    .await;
}

fn entry(id: &str, minutes: u32, score_id: Option<&str>, pieces: Value, goal_ids: Value) -> Value {
    let mut doc = json!({
        "id": id, "timestamp": "2026-03-01T09:00:00.000Z", "duration": minutes, "type": "practice",
        "instrument": "piano", "pieces": pieces, "goalIds": goal_ids, "notes": format!("note {id}"),
        "createdAt": "2026-03-01T09:00:00.000Z", "updatedAt": "2026-03-01T09:00:00.000Z",
    });
    if let Some(score_id) = score_id {
        doc["scoreId"] = score_id.into();
    }
    doc
}

fn encode(id: &str) -> String {
    id.replace(' ', "%20").replace('|', "%7C")
}

#[tokio::test]
async fn repertoire_lifecycle_is_synced_and_checked() {
    let user = new_user("rep").await;
    let before = last_seq(&user).await;

    let (status, created) = call(
        Some(&user),
        "POST",
        "/api/repertoire",
        Some(
            json!({"scoreId": "Clair de Lune-Debussy", "status": "Learning", "difficultyRating": 4,
                    "referenceLinks": ["https://imslp.org/wiki/Suite_bergamasque"]}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["scoreId"], "clair de lune-debussy");
    assert_eq!(created["status"], "learning");
    assert!(
        created["createdAt"].as_i64().unwrap() > 1_700_000_000,
        "unix seconds"
    );

    let delta = pull_since(&user, before).await;
    assert_eq!(
        delta["repertoireItems"][0]["id"], "clair de lune-debussy",
        "{delta}"
    );
    assert!(delta["lastSeq"].as_i64().unwrap() > before);

    // A duplicate add is a conflict, not an overwrite.
    let (status, answer) = call(
        Some(&user),
        "POST",
        "/api/repertoire",
        Some(json!({"scoreId": "clair de lune-debussy", "status": "planned"})),
    )
    .await;
    assert_eq!(status, 409, "{answer}");

    // Bad bodies name their fields.
    let (status, answer) = call(Some(&user), "POST", "/api/repertoire",
        Some(json!({"scoreId": "x-y", "status": "famous", "difficultyRating": 9, "referenceLinks": ["ftp://x"]}))).await;
    assert_eq!(status, 400, "{answer}");
    for field in ["status", "difficultyRating", "referenceLinks"] {
        assert!(
            answer["details"]["fields"].get(field).is_some(),
            "{field}: {answer}"
        );
    }
    let (status, _) = call(
        Some(&user),
        "POST",
        "/api/repertoire",
        Some(json!({"status": "planned"})),
    )
    .await;
    assert_eq!(status, 400);

    // Stats from live linked entries only: by scoreId or piece id; deleted entries do not count.
    push(&user, json!({"entries": [
        entry("rep-e1", 30, Some("clair de lune-debussy"), json!([]), json!([])),
        entry("rep-e2", 15, None, json!([{"title": "Clair de Lune", "composer": "Debussy"}]), json!([])),
        entry("rep-e3", 60, Some("clair de lune-debussy"), json!([]), json!([])),
        entry("rep-e4", 99, Some("other-piece"), json!([]), json!([])),
    ]})).await;
    push(
        &user,
        json!({"entries": [{"id": "rep-e3", "deletedAt": "2026-03-02T09:00:00.000Z"}]}),
    )
    .await;
    let path = format!("/api/repertoire/{}", encode("clair de lune-debussy"));
    let stats = ok(&user, "GET", &format!("{path}/stats"), None).await;
    assert_eq!(stats["stats"]["practiceCount"], 2, "{stats}");
    assert_eq!(stats["stats"]["totalPracticeTime"], 45);
    assert_eq!(
        stats["stats"]["recentSessions"].as_array().unwrap().len(),
        2
    );
    let list = ok(&user, "GET", "/api/repertoire", None).await;
    let item = &list["items"][0];
    assert_eq!(item["practiceCount"], 2, "{list}");
    assert_eq!(item["totalPracticeTime"], 45);
    assert_eq!(item["difficultyRating"], 4);

    // Status change: structured history plus the legacy note line.
    let seq = last_seq(&user).await;
    let answer = ok(&user, "PUT", &path, Some(json!({"status": "polished"}))).await;
    assert_eq!(answer["message"], "Repertoire updated successfully");
    let delta = pull_since(&user, seq).await;
    let stored = &delta["repertoireItems"][0];
    assert_eq!(stored["status"], "polished");
    assert_eq!(stored["statusHistory"][0]["from"], "learning");
    assert_eq!(stored["statusHistory"][0]["to"], "polished");
    assert!(
        stored["personalNotes"]
            .as_str()
            .unwrap()
            .contains(":learning:polished]"),
        "{stored}"
    );
    assert_eq!(stored["version"], 2);
    let answer = ok(&user, "PUT", &path, Some(json!({}))).await;
    assert_eq!(answer["message"], "No fields to update");
    let (status, _) = call(
        Some(&user),
        "PUT",
        &path,
        Some(json!({"difficultyRating": 0})),
    )
    .await;
    assert_eq!(status, 400);

    // Another user sees none of it.
    let other = new_user("rep-other").await;
    for (method, suffix) in [
        ("GET", "/stats"),
        ("PUT", ""),
        ("DELETE", ""),
        ("DELETE", "/dissociate"),
    ] {
        let body = (method == "PUT").then(|| json!({"status": "dropped"}));
        let (status, _) = call(Some(&other), method, &format!("{path}{suffix}"), body).await;
        assert_eq!(status, 404, "{method} {suffix}");
    }
    assert_eq!(
        ok(&other, "GET", "/api/repertoire", None).await["items"],
        json!([])
    );
    let (status, _) = call(None, "GET", "/api/repertoire", None).await;
    assert_eq!(status, 401);

    // Delete is a tombstone in the delta; a second delete is 404; re-adding works.
    let seq = last_seq(&user).await;
    let answer = ok(&user, "DELETE", &path, None).await;
    assert_eq!(answer["message"], "Removed from repertoire");
    let delta = pull_since(&user, seq).await;
    assert!(
        delta["repertoireItems"][0]["deletedAt"].is_string(),
        "{delta}"
    );
    let (status, _) = call(Some(&user), "DELETE", &path, None).await;
    assert_eq!(status, 404);
    let (status, _) = call(Some(&user), "GET", &format!("{path}/stats"), None).await;
    assert_eq!(status, 404);
    let (status, _) = call(
        Some(&user),
        "POST",
        "/api/repertoire",
        Some(json!({"scoreId": "clair de lune-debussy"})),
    )
    .await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn dissociate_keeps_the_logs_with_their_names() {
    let user = new_user("dissoc").await;
    ok(
        &user,
        "POST",
        "/api/repertoire",
        Some(json!({"scoreId": "nocturne op. 9 no. 2-chopin"})),
    )
    .await;
    push(
        &user,
        json!({"entries": [
            entry("dis-1", 20, Some("nocturne op. 9 no. 2-chopin"),
                  json!([{"title": "Nocturne Op. 9 No. 2", "composer": "Chopin"}]), json!([])),
            entry("dis-2", 25, Some("nocturne op. 9 no. 2-chopin"), json!([]), json!([])),
        ]}),
    )
    .await;
    let seq = last_seq(&user).await;
    let path = format!(
        "/api/repertoire/{}/dissociate",
        encode("nocturne op. 9 no. 2-chopin")
    );
    let answer = ok(&user, "DELETE", &path, None).await;
    assert_eq!(answer["message"], "Piece dissociated from repertoire");
    assert_eq!(answer["preservedLogs"], 2, "{answer}");
    assert_eq!(answer["pieceTitle"], "Nocturne Op. 9 No. 2");
    assert_eq!(answer["pieceComposer"], "Chopin");

    let delta = pull_since(&user, seq).await;
    assert_eq!(
        delta["lastSeq"].as_i64().unwrap(),
        seq + 3,
        "two entries and the tombstone, {delta}"
    );
    let entries = delta["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    for entry in entries {
        assert!(entry.get("scoreId").is_none(), "{entry}");
        assert_eq!(entry["scoreTitle"], "Nocturne Op. 9 No. 2");
        assert_eq!(entry["scoreComposer"], "Chopin");
        assert!(entry.get("deletedAt").is_none(), "logs are kept");
    }
    assert!(delta["repertoireItems"][0]["deletedAt"].is_string());
    let (status, _) = call(Some(&user), "DELETE", &path, None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn goals_lifecycle_progress_and_stats() {
    let user = new_user("goals").await;
    let seq = last_seq(&user).await;
    let (status, goal) = call(
        Some(&user),
        "POST",
        "/api/goals",
        Some(json!({
            "title": "Learn the Ballade", "type": "repertoire", "targetValue": 60,
            "scoreId": "Ballade No. 1-Chopin", "milestones": [{"id": "m1", "title": "Coda"}],
        })),
    )
    .await;
    assert_eq!(status, 201, "{goal}");
    let id = goal["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("goal_"));
    assert_eq!(goal["status"], "active");
    assert_eq!(goal["currentValue"], 0);
    // The repertoire goal added a planned item, in the same batch.
    let delta = pull_since(&user, seq).await;
    assert_eq!(delta["goals"][0]["id"], id.as_str());
    assert_eq!(
        delta["repertoireItems"][0]["scoreId"], "ballade no. 1-chopin",
        "{delta}"
    );
    assert_eq!(delta["repertoireItems"][0]["status"], "planned");
    assert_eq!(delta["lastSeq"].as_i64().unwrap(), seq + 2);

    let (status, answer) = call(
        Some(&user),
        "POST",
        "/api/goals",
        Some(json!({"title": "", "type": "fame", "targetValue": -1})),
    )
    .await;
    assert_eq!(status, 400);
    for field in ["title", "type", "targetValue"] {
        assert!(
            answer["details"]["fields"].get(field).is_some(),
            "{field}: {answer}"
        );
    }

    // Stats: live entries naming the goal.
    push(
        &user,
        json!({"entries": [
            entry("goal-e1", 20, None, json!([]), json!([id])),
            entry("goal-e2", 10, None, json!([]), json!([id, "goal_other"])),
            entry("goal-e3", 50, None, json!([]), json!([id])),
        ]}),
    )
    .await;
    push(
        &user,
        json!({"entries": [{"id": "goal-e3", "deletedAt": "2026-03-02T09:00:00.000Z"}]}),
    )
    .await;
    let detail = ok(&user, "GET", &format!("/api/goals/{id}"), None).await;
    assert_eq!(detail["stats"]["relatedSessions"], 2, "{detail}");
    assert_eq!(detail["stats"]["totalPracticeTime"], 30);
    assert_eq!(detail["goal"]["relatedSessions"], 2);

    // Filters.
    let list = ok(
        &user,
        "GET",
        "/api/goals?status=active&type=repertoire",
        None,
    )
    .await;
    assert_eq!(list["goals"].as_array().unwrap().len(), 1);
    assert_eq!(list["goals"][0]["relatedSessions"], 2);
    let list = ok(&user, "GET", "/api/goals?type=custom", None).await;
    assert_eq!(list["goals"], json!([]));
    let list = ok(
        &user,
        "GET",
        "/api/goals?scoreId=Ballade%20No.%201-Chopin",
        None,
    )
    .await;
    assert_eq!(list["goals"].as_array().unwrap().len(), 1);
    let (status, _) = call(Some(&user), "GET", "/api/goals?status=famous", None).await;
    assert_eq!(status, 400);

    // Progress: accumulates, completes at the target, each step a sync change.
    let seq = last_seq(&user).await;
    let step = ok(
        &user,
        "POST",
        &format!("/api/goals/{id}/progress"),
        Some(json!({"value": 40, "notes": "good"})),
    )
    .await;
    assert_eq!(step["currentValue"], 40);
    assert_eq!(step["completed"], false);
    let step = ok(
        &user,
        "POST",
        &format!("/api/goals/{id}/progress"),
        Some(json!({"value": 20, "sessionId": "goal-e1"})),
    )
    .await;
    assert_eq!(step["currentValue"], 60);
    assert_eq!(step["status"], "completed");
    assert_eq!(step["completed"], true);
    let delta = pull_since(&user, seq).await;
    assert_eq!(delta["lastSeq"].as_i64().unwrap(), seq + 2);
    let stored = &delta["goals"][0];
    assert_eq!(stored["progress"].as_array().unwrap().len(), 2, "{stored}");
    assert_eq!(stored["progress"][1]["sessionId"], "goal-e1");
    let (status, _) = call(
        Some(&user),
        "POST",
        &format!("/api/goals/{id}/progress"),
        Some(json!({"value": "lots"})),
    )
    .await;
    assert_eq!(status, 400);

    // Update, empty update, 404s, isolation.
    let answer = ok(
        &user,
        "PUT",
        &format!("/api/goals/{id}"),
        Some(json!({"title": "Ballade, all of it", "targetDate": null})),
    )
    .await;
    assert_eq!(answer["message"], "Goal updated successfully");
    let answer = ok(&user, "PUT", &format!("/api/goals/{id}"), Some(json!({}))).await;
    assert_eq!(answer["message"], "No fields to update");
    let (status, _) = call(
        Some(&user),
        "PUT",
        &format!("/api/goals/{id}"),
        Some(json!({"status": "famous"})),
    )
    .await;
    assert_eq!(status, 400);
    let other = new_user("goals-other").await;
    for (method, path, body) in [
        ("GET", format!("/api/goals/{id}"), None),
        (
            "PUT",
            format!("/api/goals/{id}"),
            Some(json!({"title": "mine"})),
        ),
        (
            "POST",
            format!("/api/goals/{id}/progress"),
            Some(json!({"value": 1})),
        ),
        ("DELETE", format!("/api/goals/{id}"), None),
    ] {
        let (status, _) = call(Some(&other), method, &path, body).await;
        assert_eq!(status, 404, "{method} {path}");
    }
    assert_eq!(
        ok(&other, "GET", "/api/goals", None).await["goals"],
        json!([])
    );
    let (status, _) = call(Some(&user), "GET", "/api/goals/goal_nope", None).await;
    assert_eq!(status, 404);

    // Delete.
    let seq = last_seq(&user).await;
    assert_eq!(
        ok(&user, "DELETE", &format!("/api/goals/{id}"), None).await["message"],
        "Goal deleted successfully"
    );
    assert!(pull_since(&user, seq).await["goals"][0]["deletedAt"].is_string());
    let (status, _) = call(Some(&user), "GET", &format!("/api/goals/{id}"), None).await;
    assert_eq!(status, 404);
    assert_eq!(
        ok(&user, "GET", "/api/goals", None).await["goals"],
        json!([])
    );
}

#[tokio::test]
async fn piece_renames_reach_every_live_entry() {
    let user = new_user("rename").await;
    push(&user, json!({"entries": [
        entry("ren-1", 10, Some("clair de lune-debussy"), json!([{"title": "Clair de Lune", "composer": "Debussy"}]), json!([])),
        entry("ren-2", 10, None, json!([{"title": "CLAIR de lune", "composer": "debussy"}, {"title": "Reverie", "composer": "Debussy"}]), json!([])),
        entry("ren-3", 10, None, json!([{"title": "Arabesque", "composer": "Debussy"}]), json!([])),
    ]})).await;
    let seq = last_seq(&user).await;
    let answer = ok(&user, "PUT", "/api/pieces/update-name", Some(json!({
        "oldPiece": {"title": "Clair de Lune", "composer": "Debussy"},
        "newPiece": {"title": "Clair de lune (Suite bergamasque)", "composer": "Claude Debussy"},
    }))).await;
    assert_eq!(
        answer,
        json!({"success": true, "updatedCount": 2, "message": "Updated 2 entries"})
    );
    let delta = pull_since(&user, seq).await;
    assert_eq!(delta["lastSeq"].as_i64().unwrap(), seq + 2);
    let new_id = "clair de lune (suite bergamasque)-claude debussy";
    for entry in delta["entries"].as_array().unwrap() {
        assert_eq!(entry["pieces"][0]["id"], new_id, "{entry}");
        assert_eq!(entry["pieces"][0]["composer"], "Claude Debussy");
    }
    let first = delta["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "ren-1")
        .unwrap();
    assert_eq!(first["scoreId"], new_id);

    let (status, answer) = call(
        Some(&user),
        "PUT",
        "/api/pieces/update-name",
        Some(json!({"oldPiece": {"title": ""}, "newPiece": {"title": "x"}})),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        answer["details"]["fields"].get("oldPiece.title").is_some(),
        "{answer}"
    );
    let (status, _) = call(
        Some(&user),
        "PUT",
        "/api/pieces/update-name",
        Some(json!({"newPiece": {"title": "x"}})),
    )
    .await;
    assert_eq!(status, 400);
    let nothing = ok(
        &user,
        "PUT",
        "/api/pieces/update-name",
        Some(json!({"oldPiece": {"title": "Nope"}, "newPiece": {"title": "Still nope"}})),
    )
    .await;
    assert_eq!(nothing["updatedCount"], 0);
}

#[tokio::test]
async fn templates_are_adoptable_when_owned_or_public() {
    let author = new_user("tpl-author").await;
    let adopter = new_user("tpl-adopter").await;
    let template = |id: &str, visibility: &str| {
        json!({
            "id": id, "title": "Scales bootcamp", "type": "bootcamp", "visibility": visibility,
            "focusAreas": ["scales"], "segments": [{"label": "Warm-up", "durationMinutes": 10}],
            "schedule": {"kind": "recurring", "rule": "FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=6", "timeOfDay": "18:00", "durationMinutes": 30},
            "updatedAt": "2026-03-01T09:00:00.000Z",
        })
    };
    push(&author, json!({"planTemplates": [template("tpl_public_x", "public"), template("tpl_private_x", "private")]})).await;

    let (status, answer) = call(
        Some(&adopter),
        "POST",
        "/api/templates/adopt",
        Some(json!({"templateId": "tpl_private_x"})),
    )
    .await;
    assert_eq!(status, 404, "another user's private template: {answer}");
    let (status, _) = call(
        Some(&adopter),
        "POST",
        "/api/templates/adopt",
        Some(json!({"templateId": "tpl_missing"})),
    )
    .await;
    assert_eq!(status, 404);
    let (status, answer) = call(
        Some(&adopter),
        "POST",
        "/api/templates/adopt",
        Some(json!({"templateId": "", "customization": {"schedule": {"timeOfDay": "25:00"}}})),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        answer["details"]["fields"]
            .get("customization.schedule.timeOfDay")
            .is_some(),
        "{answer}"
    );

    let seq = last_seq(&adopter).await;
    let adopted = ok(
        &adopter,
        "POST",
        "/api/templates/adopt",
        Some(json!({"templateId": "tpl_public_x"})),
    )
    .await;
    assert_eq!(adopted["success"], true);
    let plan = &adopted["plan"];
    assert_eq!(plan["title"], "Scales bootcamp (Copy)");
    assert_eq!(plan["visibility"], "private");
    assert_eq!(plan["status"], "active");
    assert_eq!(plan["sourceTemplateId"], "tpl_public_x");
    assert_eq!(plan["ownerId"], adopter.user_id());
    assert_eq!(plan["metadata"]["adoptedFrom"], "tpl_public_x");
    let occurrences = adopted["occurrences"].as_array().unwrap();
    assert_eq!(occurrences.len(), 6, "COUNT=6");
    assert!(
        occurrences
            .iter()
            .all(|o| o["planId"] == plan["id"] && o["status"] == "scheduled")
    );
    assert!(
        occurrences[0]["scheduledStart"]
            .as_str()
            .unwrap()
            .ends_with("T18:00:00.000Z")
    );
    let delta = pull_since(&adopter, seq).await;
    assert_eq!(delta["practicePlans"].as_array().unwrap().len(), 1);
    assert_eq!(delta["planOccurrences"].as_array().unwrap().len(), 6);
    assert_eq!(delta["lastSeq"].as_i64().unwrap(), seq + 7);

    // The author may adopt their own private template, with a custom title.
    let own = ok(
        &author,
        "POST",
        "/api/templates/adopt",
        Some(json!({"templateId": "tpl_private_x", "customization": {"title": "My copy"}})),
    )
    .await;
    assert_eq!(own["plan"]["title"], "My copy");
    let (status, _) = call(
        None,
        "POST",
        "/api/templates/adopt",
        Some(json!({"templateId": "tpl_public_x"})),
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn autocomplete_ranks_canonicalises_and_caches() {
    let get = |path: String| async move {
        let response = client()
            .get(format!("{}{path}", api()))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        // `Cache-Control` and whether KV answered (`X-Cache: HIT|MISS`).
        let headers = format!("{}|{}", header("cache-control"), header("x-cache"));
        (
            status,
            headers,
            response.json::<Value>().await.unwrap_or(Value::Null),
        )
    };
    let (status, headers, first) = get("/api/autocomplete/composers?q=chop".into()).await;
    assert_eq!(status, 200);
    assert_eq!(headers, "public, max-age=300|MISS");
    assert_eq!(first["results"][0]["value"], "Frédéric Chopin", "{first}");
    let (_, headers, again) = get("/api/autocomplete/composers?q=chop".into()).await;
    assert_eq!(again, first, "the cached answer is the same");
    assert_eq!(headers, "public, max-age=300|HIT");
    let (_, _, folded) = get("/api/autocomplete/composers?q=CHÓP".into()).await;
    assert_eq!(
        folded, first,
        "case and diacritics fold to the same key and answer"
    );

    let (_, _, bach) = get("/api/autocomplete/composers?q=bach&limit=5".into()).await;
    assert_eq!(
        bach["results"][0]["value"], "Johann Sebastian Bach",
        "{bach}"
    );
    let (_, _, dvorak) = get("/api/autocomplete/composers?q=dvorak".into()).await;
    assert_eq!(dvorak["results"][0]["value"], "Antonín Dvořák");

    let (_, _, short) = get("/api/autocomplete/composers?q=c".into()).await;
    assert_eq!(short, json!({"results": [], "total": 0}));
    for bad in ["0", "51", "x"] {
        let (status, _, _) = get(format!("/api/autocomplete/composers?q=chopin&limit={bad}")).await;
        assert_eq!(status, 400, "limit={bad}");
    }

    let (status, _, pieces) =
        get("/api/autocomplete/pieces?q=nocturne&composer=F.%20Chopin&limit=3".into()).await;
    assert_eq!(status, 200);
    assert_eq!(pieces["results"].as_array().unwrap().len(), 3, "{pieces}");
    assert!(pieces["total"].as_u64().unwrap() > 3);
    assert!(
        pieces["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["metadata"]["composer"] == "Frédéric Chopin")
    );
    let (_, _, elise) = get("/api/autocomplete/pieces?q=fur%20elise".into()).await;
    assert_eq!(
        elise["results"][0]["metadata"]["composer"], "Ludwig van Beethoven",
        "{elise}"
    );
    let (_, _, gymno) = get("/api/autocomplete/pieces?q=gymnop".into()).await;
    assert_eq!(gymno["results"][0]["value"], "Gymnopédie No. 1");
    assert_eq!(gymno["results"][0]["metadata"]["instrument"], "piano");

    // The endpoints are documented.
    let (_, _, openapi) = get("/docs/openapi.json".into()).await;
    for path in [
        "/api/repertoire/{scoreId}/dissociate",
        "/api/goals/{id}/progress",
        "/api/templates/adopt",
        "/api/autocomplete/pieces",
    ] {
        assert!(openapi["paths"].get(path).is_some(), "{path}");
    }
}

#[tokio::test]
async fn documents_from_a_future_clock_stay_editable_and_deletable() {
    let session = new_user("future-docs").await;
    // A phone whose clock says 2099 wrote a goal and a repertoire item.
    let (status, answer) = call(
        Some(&session),
        "POST",
        "/api/sync/push",
        Some(json!({"changes": {
            "goals": [{"id": "goal_future", "title": "Scales", "type": "custom", "updatedAt": "2099-01-01T00:00:00.000Z"}],
            "repertoireItems": [{"scoreId": "Clair de Lune-Debussy", "status": "learning", "updatedAt": "2099-01-01T00:00:00.000Z"}],
        }})),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["stats"]["clockAdjusted"], 2, "{answer}");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;

    // Every REST change from the (correctly-timed) server goes through, first time.
    ok(
        &session,
        "PUT",
        "/api/goals/goal_future",
        Some(json!({"title": "Scales, slower"})),
    )
    .await;
    let goal = ok(&session, "GET", "/api/goals/goal_future", None).await;
    assert_eq!(goal["goal"]["title"], "Scales, slower", "{goal}");
    ok(&session, "DELETE", "/api/goals/goal_future", None).await;
    let (status, _) = call(Some(&session), "GET", "/api/goals/goal_future", None).await;
    assert_eq!(status, 404);

    let item = "clair%20de%20lune-debussy";
    ok(
        &session,
        "PUT",
        &format!("/api/repertoire/{item}"),
        Some(json!({"status": "polished"})),
    )
    .await;
    ok(&session, "DELETE", &format!("/api/repertoire/{item}"), None).await;
    let items = ok(&session, "GET", "/api/repertoire", None).await;
    assert_eq!(items["items"], json!([]), "{items}");
}
