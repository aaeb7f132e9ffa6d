//! `cargo xtask import-original --local`: the original's exports (tests/fixtures/original)
//! go into a fresh state; a dry run writes nothing; the imported users sign in with their email
//! and see, over HTTP, their documents, repertoire, goals, preferences, scores (with the very
//! file), collections and favourites field by field, and the dictionary serves the imported
//! terms; a second import changes nothing.

use std::fs;
use std::path::{Path, PathBuf};

use mirubato_blackbox::session::{Session, sign_in};
use mirubato_blackbox::{Worker, root, spawn_stack_with, xtask};
use serde_json::{Value, json};

fn import(state_dir: &Path, extra: &[&str]) -> String {
    let from = root().join("tests/fixtures/original");
    let mut args = vec![
        "import-original",
        "--from",
        from.to_str().unwrap(),
        "--local",
        "--state-dir",
        state_dir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let (ok, text) = xtask(&args);
    assert!(ok, "{text}");
    text
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = root().join("target/blackbox/import-original").join(name);
    let _ = fs::remove_dir_all(&dir);
    dir
}

/// Every document the user has, by type, as `POST /api/sync/pull` gives them.
async fn pull(stack: &mirubato_blackbox::Stack, session: &Session) -> Value {
    let answer = session
        .post(format!("{}/api/sync/pull", stack.url(Worker::Api)))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let mut body: Value = answer.json().await.unwrap();
    assert_eq!(body["hasMore"], false);
    // The answer's own clock is not part of the data.
    if let Some(map) = body.as_object_mut() {
        map.retain(|key, _| key != "timestamp" && key != "serverTime");
    }
    body
}

fn find<'a>(list: &'a Value, id: &str) -> &'a Value {
    list.as_array()
        .and_then(|items| items.iter().find(|item| item["id"] == id))
        .unwrap_or_else(|| panic!("{id} not in {list}"))
}

async fn get(stack: &mirubato_blackbox::Stack, session: &Session, path: &str) -> Value {
    let answer = session
        .get(format!("{}{path}", stack.url(Worker::Api)))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "{path}");
    answer.json().await.unwrap()
}

#[tokio::test]
async fn the_originals_users_and_documents_come_across() {
    let state = fresh_dir("state");

    // A dry run lists what it would write and every rejected row, and writes nothing.
    let text = import(&state, &["--dry-run"]);
    for line in [
        "would write users alice.import@example.com",
        "would write sync_data user_alice logbook_entry/entry_scales",
        "rejected users user_alice_again: email alice.import@example.com is already user user_alice",
        "rejected sync_data mystery/m1: unknown entity type",
        "rejected sync_data logbook_entry/entry_garbled: data is not JSON",
        "rejected sync_data logbook_entry/entry_ghost: its user user_ghost was not imported",
        "rejected goal_progress prog_orphan: its goal goal_gone",
        "rejected user_repertoire rep_1: superseded by sync_data sync_8",
        "skipped table logbook_entries (1 rows)",
        "sync_data: would write 14 rows",
        "would store r2 scores/score_moonlight/original.pdf",
        "rejected scores score_violin: instrument \"violin\" is not one we know",
        "scores: would write 3 rows",
        "dictionary_entries: would write 3 rows",
        "rejected dictionary_entries dict_bad_lang: language \"pt\" is not one of ours",
        "dry run: nothing written",
    ] {
        assert!(text.contains(line), "{line:?} missing from:\n{text}");
    }
    assert!(!state.exists(), "the dry run created {}", state.display());

    let text = import(&state, &[]);
    assert!(
        text.contains("users: 2 rows, 2 new, 0 already present"),
        "{text}"
    );
    assert!(
        text.contains("sync_data: 14 rows, 14 new, 0 already present"),
        "{text}"
    );
    assert!(
        text.contains("scores: 3 rows, 3 new, 0 already present"),
        "{text}"
    );
    assert!(text.contains("r2 objects: stored 2"), "{text}");
    // The seed already has "allegro": its entry stays.
    assert!(
        text.contains("dictionary_entries: 3 rows, 2 new, 1 already present"),
        "{text}"
    );
    assert!(text.contains("rejected rows: 18"), "{text}");

    let mut stack = spawn_stack_with(|options| options.state_dir = state.clone());
    let alice = sign_in(&stack, "alice.import@example.com").await;
    assert_eq!(alice.user_id(), "user_alice");
    let first = pull(&stack, &alice).await;
    assert_eq!(first["lastSeq"], 10, "{first}");

    let entry = find(&first["entries"], "entry_scales");
    assert_eq!(entry["type"], "practice");
    assert_eq!(entry["instrument"], "piano");
    assert_eq!(entry["mood"], "satisfied");
    assert_eq!(entry["duration"], 45);
    assert_eq!(entry["goalIds"], json!(["goal_memorise"]));
    assert_eq!(entry["notes"], "Slow practice, hands separately");
    assert_eq!(entry["tags"], json!(["morning"]));
    assert_eq!(entry["updatedAt"], "2024-01-10T09:50:00.000Z");
    let deleted = find(&first["entries"], "entry_deleted");
    assert_eq!(deleted["deletedAt"], "2024-01-12T07:00:00.000Z");
    let plan = find(&first["practicePlans"], "plan_daily");
    assert_eq!(plan["schedule"]["rule"], "FREQ=WEEKLY;BYDAY=MO,WE,FR");
    assert_eq!(
        find(&first["planOccurrences"], "occ_1")["planId"],
        "plan_daily"
    );
    assert_eq!(
        find(&first["planTemplates"], "tmpl_1")["title"],
        "Scales bootcamp"
    );

    let repertoire = get(&stack, &alice, "/api/repertoire").await;
    let moonlight = find(&repertoire["items"], "score_moonlight");
    assert_eq!(moonlight["status"], "learning");
    assert_eq!(moonlight["difficultyRating"], 4);
    let satie = find(&repertoire["items"], "score_gymnopedie");
    assert_eq!(satie["status"], "polished");
    assert_eq!(satie["personalNotes"], "Performed at the spring recital");
    assert_eq!(satie["createdAt"], 1_700_000_000);

    let goals = get(&stack, &alice, "/api/goals").await;
    let goals = goals.get("goals").unwrap_or(&goals);
    let hours = find(goals, "goal_hours");
    assert_eq!(hours["title"], "Practise 20 hours in January");
    assert_eq!(hours["type"], "practice_time");
    assert_eq!(hours["targetValue"], 1200);
    assert_eq!(hours["currentValue"], 150);
    let memorise = find(goals, "goal_memorise");
    assert_eq!(memorise["type"], "repertoire");
    let detail = get(&stack, &alice, "/api/goals/goal_hours").await;
    assert!(
        detail.to_string().contains("Long weekend session"),
        "{detail}"
    );

    let prefs = get(&stack, &alice, "/api/user/preferences").await;
    assert_eq!(
        prefs,
        json!({"theme": "dark", "primaryInstrument": "piano"})
    );

    // The Google user signs in by email as well, and has their own data only.
    let bob = sign_in(&stack, "bob.import@example.com").await;
    assert_eq!(bob.user_id(), "user_bob");
    let bobs = pull(&stack, &bob).await;
    let lesson = find(&bobs["entries"], "entry_bob");
    assert_eq!(lesson["instrument"], "guitar");
    assert_eq!(lesson["updatedAt"], "2024-01-01T11:00:00.000Z");
    assert_eq!(bobs["entries"].as_array().unwrap().len(), 1);
    let bobs_prefs = get(&stack, &bob, "/api/user/preferences").await;
    assert_eq!(bobs_prefs["theme"], "auto");
    let bobs_goals = get(&stack, &bob, "/api/goals").await;
    assert!(
        bobs_goals.to_string().contains("Clean bars 1-8"),
        "{bobs_goals}"
    );
    stack.shutdown();

    // A second import finds everything there and changes nothing.
    let text = import(&state, &[]);
    assert!(
        text.contains("users: 2 rows, 0 new, 2 already present"),
        "{text}"
    );
    assert!(
        text.contains("sync_data: 14 rows, 0 new, 14 already present"),
        "{text}"
    );
    let mut stack = spawn_stack_with(|options| options.state_dir = state.clone());
    let alice = sign_in(&stack, "alice.import@example.com").await;
    assert_eq!(pull(&stack, &alice).await, first);
    stack.shutdown();
}
