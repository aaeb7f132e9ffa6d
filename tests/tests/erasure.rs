//! Account deletion reaches every worker (issue #18): the scores worker's scores (public ones
//! too) and files, collections and favourites; the dictionary's feedback and reports lose the
//! user id; the user's sockets close. A step whose worker is down stays pending and the api's
//! hourly cron finishes it once the worker is back.

use mirubato_blackbox::session::{Session, call_json, processed_score, sign_in, unique_email};
use mirubato_blackbox::{Stack, Worker, client, socket, spawn_stack_with};
use mirubato_core::scores::engrave::engrave;
use serde_json::{Value, json};

/// One private stack for the whole file: the test stops and restarts workers, and reads the
/// dictionary's database, which a shared stack's other tests must not see.
fn stack() -> Stack {
    spawn_stack_with(|options| {
        // A failed step may be retried by the next cron run at once.
        options
            .extra_vars
            .push((Worker::Api, "ERASURE_RETRY_SECS".into(), "0".into()));
    })
}

async fn call(
    stack: &Stack,
    worker: Worker,
    session: Option<&Session>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    call_json(
        format!("{}{path}", stack.url(worker)),
        session,
        method,
        body,
        |request| request,
    )
    .await
}

/// A public score of `user`, imported from a PDF and processed (so it has a thumbnail and
/// previews in R2 too).
async fn public_score(stack: &Stack, user: &Session, title: &str) -> String {
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(engrave(title, "Erasure Test", 1))
                .file_name("piece.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        )
        .text(
            "metadata",
            json!({"visibility": "public", "title": title}).to_string(),
        );
    let response = user
        .post(format!("{}/api/import/pdf", stack.url(Worker::Scores)))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 201, "{body}");
    let id = body["data"]["id"].as_str().unwrap().to_string();
    let score = processed_score(&stack.url(Worker::Scores), Some(user), &id).await;
    assert_eq!(score["processingStatus"], "completed", "{score}");
    id
}

/// Status of an anonymous GET on the scores worker.
async fn anonymous_status(stack: &Stack, path: &str) -> u16 {
    client()
        .get(format!("{}{path}", stack.url(Worker::Scores)))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn run_api_cron(stack: &Stack) {
    let response = client()
        .get(format!(
            "{}/__scheduled?cron=17+*+*+*+*",
            stack.url(Worker::Api)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// The dictionary's rows of `user_id` (the wrangler output of a SELECT).
fn dictionary_rows(stack: &mut Stack, table: &str, user_id: &str) -> String {
    stack
        .execute_sql(
            Worker::Dictionary,
            &format!("SELECT count(*) AS n_{table} FROM {table} WHERE user_id = '{user_id}'"),
        )
        .unwrap()
}

#[tokio::test]
async fn deleting_an_account_erases_it_in_every_worker_and_retries_a_failed_step() {
    let mut stack = stack();
    let stack_ref = &stack;
    let user = sign_in(stack_ref, &unique_email("erased")).await;
    let other = sign_in(stack_ref, &unique_email("erasure-witness")).await;

    // What the user leaves in the scores worker: a public score (with its file, thumbnail
    // and previews), a collection holding it, a favourite of another user's score; the
    // other user's favourite of the public score.
    let score = public_score(stack_ref, &user, "Erased Sonatina").await;
    let witness_score = public_score(stack_ref, &other, "Witness Etude").await;
    let (status, body) = call(
        stack_ref,
        Worker::Scores,
        Some(&user),
        "POST",
        "/api/user/collections",
        Some(json!({"name": "Soon gone", "visibility": "public"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let collection = body["data"]["id"].as_str().unwrap().to_string();
    let collection_path = format!(
        "/api/collections/{}",
        body["data"]["slug"].as_str().unwrap()
    );
    for (session, path) in [
        (&user, format!("/api/user/collections/{collection}/scores")),
        (&user, format!("/api/user/favorites/{witness_score}")),
        (&other, format!("/api/user/favorites/{score}")),
    ] {
        let (status, body) = call(
            stack_ref,
            Worker::Scores,
            Some(session),
            "POST",
            &path,
            Some(json!({"scoreId": score})),
        )
        .await;
        assert!(matches!(status, 200 | 201), "{path}: {status} {body}");
    }
    let score_paths = [
        format!("/api/scores/{score}"),
        format!("/api/scores/{score}/download/pdf"),
        format!("/api/pdf/v2/thumbnail/{score}"),
    ];
    for path in score_paths.iter().chain([&collection_path]) {
        assert_eq!(anonymous_status(stack_ref, path).await, 200, "{path}");
    }

    // In the dictionary: feedback and a report.
    let (status, body) = call(
        stack_ref,
        Worker::Dictionary,
        None,
        "GET",
        "/api/v1/terms/allegro",
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let term = body["data"]["entry"]["id"].as_str().unwrap().to_string();
    for (path, body) in [
        (
            format!("/api/v1/terms/{term}/feedback"),
            json!({"rating": 4, "feedback_text": "Clear, keep it"}),
        ),
        (
            format!("/api/v1/terms/{term}/report"),
            json!({"issue_type": "other", "description": "The example could name a piece"}),
        ),
    ] {
        let (status, answer) = call(
            stack_ref,
            Worker::Dictionary,
            Some(&user),
            "POST",
            &path,
            Some(body),
        )
        .await;
        assert_eq!(status, 201, "{path}: {answer}");
    }

    // A connected device.
    let mut device = socket::open(stack_ref, &user, "erased-phone").await;

    let response = user
        .delete(format!("{}/api/user/me", stack_ref.url(Worker::Api)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // At once: the old token is refused, the socket is closed, the public score and its
    // files are gone for everyone, and so are the collection and the favourites.
    let (status, _) = call(
        stack_ref,
        Worker::Api,
        Some(&user),
        "GET",
        "/api/user/me",
        None,
    )
    .await;
    assert_eq!(status, 401);
    let (code, _) = socket::closed(&mut device, 10).await;
    assert_eq!(code, 4401);
    for path in score_paths.iter().chain([&collection_path]) {
        assert_eq!(anonymous_status(stack_ref, path).await, 404, "{path}");
    }
    let (status, body) = call(
        stack_ref,
        Worker::Scores,
        Some(&other),
        "GET",
        "/api/user/favorites/ids",
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(!body.to_string().contains(&score), "{body}");
    // The witness's own score is untouched.
    assert_eq!(
        anonymous_status(stack_ref, &format!("/api/scores/{witness_score}")).await,
        200
    );

    // The dictionary keeps the feedback and the report, without the user id.
    let user_id = user.user_id().to_string();
    for table in ["user_feedback", "content_reports"] {
        let rows = dictionary_rows(&mut stack, table, &user_id);
        assert!(rows.contains(&format!("\"n_{table}\": 0")), "{rows}");
    }
    let kept = stack
        .execute_sql(
            Worker::Dictionary,
            "SELECT feedback_text FROM user_feedback WHERE feedback_text = 'Clear, keep it'",
        )
        .unwrap();
    assert!(kept.contains("Clear, keep it"), "{kept}");

    // A worker that is down when the account goes: its step fails, stays pending, and the
    // cron finishes it once the worker is back.
    let late = sign_in(&stack, &unique_email("erased-later")).await;
    let late_score = public_score(&stack, &late, "Pending Prelude").await;
    stack.suspend(Worker::Scores).unwrap();
    let response = late
        .delete(format!("{}/api/user/me", stack.url(Worker::Api)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    stack.resume(Worker::Scores).unwrap();
    let late_path = format!("/api/scores/{late_score}");
    assert_eq!(
        anonymous_status(&stack, &late_path).await,
        200,
        "the scores step should have failed while the worker was down"
    );
    run_api_cron(&stack).await;
    let mut erased = false;
    for _ in 0..40 {
        if anonymous_status(&stack, &late_path).await == 404 {
            erased = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(erased, "the cron did not finish the pending scores step");
    let line = mirubato_blackbox::log_line(&stack, Worker::Api, &["retry-erasures"]).await;
    assert_eq!(line["result"]["done"], 1, "{line}");
}
