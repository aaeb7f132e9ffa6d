//! `cargo xtask backup` / `restore` on local state: data written through the api and the
//! scores worker survives backup → fresh state → restore, row for row and as a client sees
//! it; a restore refuses a non-empty database and a backup of another schema version, and
//! then has changed nothing.

use std::fs;
use std::path::{Path, PathBuf};

use mirubato_blackbox::session::{sign_in, unique_email};
use mirubato_blackbox::{Worker, root, spawn_stack, spawn_stack_with, xtask};
use serde_json::{Value, json};

fn backup(state_dir: &Path, out: &Path) -> PathBuf {
    let (ok, text) = xtask(&[
        "backup",
        "--local",
        "--state-dir",
        &state_dir.to_string_lossy(),
        "--out",
        &out.to_string_lossy(),
    ]);
    assert!(ok, "{text}");
    let folder = text
        .lines()
        .find_map(|line| line.strip_prefix("backup written to "))
        .unwrap_or_else(|| panic!("no backup folder in:\n{text}"));
    PathBuf::from(folder.trim())
}

fn restore(state_dir: &Path, from: &Path) -> (bool, String) {
    xtask(&[
        "restore",
        "--local",
        "--state-dir",
        &state_dir.to_string_lossy(),
        "--from",
        &from.to_string_lossy(),
    ])
}

fn scratch(name: &str) -> PathBuf {
    let dir = root().join("target/blackbox/backup-scratch").join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn dump(folder: &Path, database: &str) -> String {
    fs::read_to_string(folder.join(format!("{database}.sql"))).unwrap()
}

#[tokio::test]
async fn backup_then_restore_into_fresh_state_gives_the_same_rows() {
    let email = unique_email("backup");
    let mut stack = spawn_stack();
    let session = sign_in(&stack, &email).await;
    let goal = session
        .post(format!("{}/api/goals", stack.url(Worker::Api)))
        .json(&json!({ "title": "Memorise the Bach prelude", "type": "repertoire", "targetValue": 10 }))
        .send()
        .await
        .unwrap();
    assert_eq!(goal.status(), 201, "{}", goal.text().await.unwrap());
    let collection = session
        .post(format!(
            "{}/api/user/collections",
            stack.url(Worker::Scores)
        ))
        .json(&json!({ "name": "Recital programme" }))
        .send()
        .await
        .unwrap();
    assert_eq!(collection.status(), 201);
    let state_dir = stack.state_dir().to_path_buf();
    stack.shutdown();

    let out = scratch("out");
    let taken = backup(&state_dir, &out);
    let manifest: Value =
        serde_json::from_str(&fs::read_to_string(taken.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["source"], "local");
    for database in ["mirubato-api", "mirubato-scores", "mirubato-dictionary"] {
        let entry = manifest["databases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|entry| entry["database"] == database)
            .unwrap_or_else(|| panic!("{database} missing from {manifest}"));
        assert!(!entry["migrations"].as_array().unwrap().is_empty());
    }
    assert!(dump(&taken, "mirubato-api").contains("Memorise the Bach prelude"));
    assert!(dump(&taken, "mirubato-scores").contains("Recital programme"));

    // A restore into fresh state, exported again, is the same dump.
    let fresh = scratch("fresh");
    let (ok, text) = restore(&fresh, &taken);
    assert!(ok, "{text}");
    let again = backup(&fresh, &scratch("again"));
    for database in ["mirubato-api", "mirubato-scores", "mirubato-dictionary"] {
        assert!(
            dump(&taken, database) == dump(&again, database),
            "{database} differs after the round trip"
        );
    }

    // Into a database that already has data: refused.
    let (ok, text) = restore(&fresh, &taken);
    assert!(!ok);
    assert!(text.contains("already has tables"), "{text}");

    // A backup of another schema version: refused before anything is written.
    let tampered = scratch("tampered");
    for entry in fs::read_dir(&taken).unwrap().flatten() {
        fs::copy(entry.path(), tampered.join(entry.file_name())).unwrap();
    }
    let mut other_schema = manifest.clone();
    other_schema["databases"][0]["migrations"]
        .as_array_mut()
        .unwrap()
        .push(json!("9999_from_the_future.sql"));
    fs::write(
        tampered.join("manifest.json"),
        serde_json::to_string(&other_schema).unwrap(),
    )
    .unwrap();
    let untouched = scratch("untouched");
    let (ok, text) = restore(&untouched, &tampered);
    assert!(!ok);
    assert!(text.contains("schema mismatch"), "{text}");
    assert!(text.contains("9999_from_the_future.sql"), "{text}");
    assert_eq!(
        fs::read_dir(&untouched).unwrap().count(),
        0,
        "a refused restore left something behind"
    );

    // The restored state serves the data: the same account (found by its email) has its goal.
    let mut restored = spawn_stack_with(|options| options.state_dir = fresh.clone());
    let session = sign_in(&restored, &email).await;
    let goals: Value = session
        .get(format!("{}/api/goals", restored.url(Worker::Api)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        goals.to_string().contains("Memorise the Bach prelude"),
        "{goals}"
    );
    restored.shutdown();
}
