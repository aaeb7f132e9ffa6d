//! The account export and import (issue #18): `GET /api/user/export` streams a ZIP with
//! `data.json` and the user's own files; `POST /api/user/import` reads `data.json` back into
//! an account, idempotently, and refuses bad input with the common 4xx envelope.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use mirubato_blackbox::session::{Session, processed_score, sign_in, unique_email};
use mirubato_blackbox::{Worker, shared, wav};
use mirubato_core::scores::engrave::engrave;
use serde_json::{Value, json};

fn api() -> String {
    shared().url(Worker::Api)
}

async fn new_user(tag: &str) -> Session {
    sign_in(shared(), &unique_email(tag)).await
}

fn entry(id: &str, notes: &str) -> Value {
    json!({
        "id": id, "timestamp": "2026-03-01T09:00:00.000Z", "duration": 30, "type": "Practice",
        "instrument": "Piano", "pieces": [{"title": "Clair de Lune", "composer": "Debussy"}],
        "techniques": ["scales"], "notes": notes, "tags": [], "goalIds": [],
        "createdAt": "2026-03-01T09:00:00.000Z", "updatedAt": "2026-03-01T10:00:00.000Z",
    })
}

/// The export's ZIP: each file's bytes by path.
async fn export(session: &Session) -> BTreeMap<String, Vec<u8>> {
    let response = session
        .get(format!("{}/api/user/export", api()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/zip");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"mirubato-")
            && disposition.contains("filename*=UTF-8''mirubato-"),
        "{disposition}"
    );
    let bytes = response.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).expect("a ZIP");
    let mut files = BTreeMap::new();
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).unwrap();
        let mut content = Vec::new();
        file.read_to_end(&mut content).unwrap();
        files.insert(file.name().unwrap().to_string(), content);
    }
    files
}

fn data_json(files: &BTreeMap<String, Vec<u8>>) -> Value {
    serde_json::from_slice(files.get("data.json").expect("data.json in the ZIP")).unwrap()
}

async fn import(session: &Session, body: Vec<u8>) -> (u16, Value) {
    let response = session
        .post(format!("{}/api/user/import", api()))
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The documents of an export that an import carries (every type but the server-written
/// recordings), as `type -> id -> data`, the preferences without their id (the account's).
fn importable_documents(data: &Value) -> BTreeMap<String, BTreeMap<String, Value>> {
    let mut out = BTreeMap::new();
    for (kind, documents) in data["documents"].as_object().unwrap() {
        if kind == "recording" {
            continue;
        }
        let by_id = documents
            .as_array()
            .unwrap()
            .iter()
            .map(|document| {
                let mut data = document["data"].clone();
                if kind == "user_preferences" {
                    data.as_object_mut().unwrap().remove("id");
                    return ("preferences".to_string(), data);
                }
                (document["id"].as_str().unwrap().to_string(), data)
            })
            .collect();
        out.insert(kind.clone(), by_id);
    }
    out
}

#[tokio::test]
async fn the_export_holds_data_json_the_pdf_and_the_recording_and_imports_back() {
    let stack = shared();
    let user = new_user("exporter").await;

    // Practice data: preferences, an entry, a goal, and a deleted entry (a tombstone).
    let response = user
        .put(format!("{}/api/user/preferences", api()))
        .json(&json!({"theme": "dark"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = user
        .post(format!("{}/api/sync/push", api()))
        .header("X-Device-ID", "export-phone")
        .json(&json!({"changes": {
            "entries": [entry("exp_e1", "kept"), {"id": "exp_e2", "deletedAt": "2026-03-02T10:00:00.000Z"}],
            "goals": [{"id": "exp_g1", "title": "Learn the Ballade", "type": "repertoire", "updatedAt": "2026-03-01T10:00:00.000Z"}],
        }}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // A recording and a score of the user's own.
    let audio = wav(800);
    let response = user
        .post(format!("{}/api/recordings", api()))
        .query(&[("durationMs", "100"), ("entryId", "exp_e1")])
        .header("Content-Type", "audio/wav")
        .body(audio.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let recording: Value = response.json().await.unwrap();
    let recording_id = recording["id"].as_str().unwrap().to_string();
    let pdf = engrave("Export Study", "Export Test", 1);
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(pdf.clone())
            .file_name("study.pdf")
            .mime_str("application/pdf")
            .unwrap(),
    );
    let response = user
        .post(format!("{}/api/import/pdf", stack.url(Worker::Scores)))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let score_id = response.json::<Value>().await.unwrap()["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    processed_score(&stack.url(Worker::Scores), Some(&user), &score_id).await;
    let response = user
        .post(format!(
            "{}/api/user/favorites/{score_id}",
            stack.url(Worker::Scores)
        ))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());

    let files = export(&user).await;
    let data = data_json(&files);
    assert_eq!(data["format"], "mirubato-account");
    assert_eq!(data["version"], 1);
    assert_eq!(data["profile"]["id"], user.user_id());
    assert_eq!(data["preferences"]["theme"], "dark");
    let entries = data["documents"]["logbook_entry"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{entries:?}");
    let tombstone = entries.iter().find(|doc| doc["id"] == "exp_e2").unwrap();
    assert_eq!(tombstone["deletedAt"], "2026-03-02T10:00:00.000Z");
    assert_eq!(data["documents"]["goal"][0]["id"], "exp_g1");
    assert_eq!(data["documents"]["goal"][0]["deviceId"], "export-phone");
    assert_eq!(
        data["documents"]["recording"][0]["id"],
        recording_id.as_str()
    );
    let score = &data["library"]["scores"][0];
    assert_eq!(score["id"], score_id.as_str());
    let pdf_path = format!("scores/{score_id}.pdf");
    assert_eq!(score["files"], json!([pdf_path]));
    assert_eq!(
        data["library"]["favorites"][0]["scoreId"],
        score_id.as_str()
    );
    assert!(data["library"]["collections"].is_array());
    assert_eq!(files.get(&pdf_path), Some(&pdf), "the PDF as uploaded");
    let recording_path = format!("recordings/{recording_id}.wav");
    assert_eq!(data["recordings"][0]["file"], recording_path.as_str());
    assert_eq!(files.get(&recording_path), Some(&audio));

    // Into a fresh account, then out again: the same documents.
    let fresh = new_user("importer").await;
    let data_file = files["data.json"].clone();
    let (status, answer) = import(&fresh, data_file.clone()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["skipped"]["recording"], 1, "{answer}");
    let imported = answer["imported"].as_u64().unwrap();
    assert!(imported >= 4, "{answer}");
    let again = data_json(&export(&fresh).await);
    assert_eq!(importable_documents(&again), importable_documents(&data));
    assert_eq!(again["profile"]["id"], fresh.user_id());

    // A second import of the same file changes nothing.
    let (status, answer) = import(&fresh, data_file).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["imported"], 0, "{answer}");
    assert_eq!(answer["unchanged"], imported, "{answer}");
    let (status, answer) = import(&user, files["data.json"].clone()).await;
    assert_eq!((status, &answer["imported"]), (200, &json!(0)), "{answer}");
}

#[tokio::test]
async fn bad_imports_get_a_clear_4xx_and_change_nothing() {
    let user = new_user("bad-importer").await;
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"not json".to_vec(), "$"),
        (json!({"format": "zip", "version": 1}).to_string().into_bytes(), "format"),
        (
            json!({"format": "mirubato-account", "version": 7}).to_string().into_bytes(),
            "version",
        ),
        (
            json!({"format": "mirubato-account", "version": 1,
                   "documents": {"logbook_entry": [{"id": "x", "data": {"id": "x", "duration": "long", "updatedAt": "2026-03-01T10:00:00.000Z"}}]}})
            .to_string()
            .into_bytes(),
            "documents.logbook_entry[0]",
        ),
    ];
    for (body, path) in cases {
        let (status, answer) = import(&user, body).await;
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["success"], false);
        assert_eq!(answer["code"], "VALIDATION_ERROR", "{answer}");
        assert_eq!(answer["details"]["path"], path, "{answer}");
    }
    let data = data_json(&export(&user).await);
    assert!(
        data["documents"]["logbook_entry"].is_null(),
        "nothing was imported: {data}"
    );

    let anonymous = mirubato_blackbox::client()
        .get(format!("{}/api/user/export", api()))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}
