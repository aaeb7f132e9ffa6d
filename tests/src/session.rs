//! Signing in as a client would: magic link through the dev outbox.

use serde_json::{Value, json};

use crate::{Stack, Worker, client, random_hex};

/// An address no other test uses.
pub fn unique_email(tag: &str) -> String {
    format!("{tag}-{}@example.com", random_hex(6))
}

/// A client address of its own (a documentation range; it is only a header value), so
/// per-address rate limits of one test never touch another.
pub fn unique_client_ip() -> String {
    let bytes = random_hex(2);
    let (a, b) = bytes.split_at(2);
    format!(
        "198.{}.{}.{}",
        51 + u8::from_str_radix(a, 16).unwrap_or(0) % 50,
        u8::from_str_radix(b, 16).unwrap_or(0),
        1 + u8::from_str_radix(a, 16).unwrap_or(0) % 250
    )
}

/// A signed-in session.
#[derive(Debug, Clone)]
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    pub user: Value,
    /// The `Set-Cookie` headers of the sign-in response.
    pub cookies: Vec<String>,
}

impl Session {
    pub fn user_id(&self) -> &str {
        self.user["id"].as_str().unwrap_or_default()
    }

    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.access_token)
    }

    /// A request to `url` carrying this session's access token.
    pub fn request(
        &self,
        method: reqwest::Method,
        url: impl reqwest::IntoUrl,
    ) -> reqwest::RequestBuilder {
        client()
            .request(method, url)
            .header("Authorization", self.bearer())
    }

    pub fn get(&self, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::GET, url)
    }

    pub fn post(&self, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::POST, url)
    }

    pub fn put(&self, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::PUT, url)
    }

    pub fn delete(&self, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::DELETE, url)
    }
}

/// What the dev outbox holds for `email`: `{messages:[…]}`.
pub async fn outbox(stack: &Stack, email: &str) -> Value {
    client()
        .get(format!("{}/api/dev/outbox", stack.url(Worker::Api)))
        .query(&[("email", email)])
        .send()
        .await
        .expect("read outbox")
        .json()
        .await
        .expect("outbox JSON")
}

/// Asks for a magic link and returns the token the dev outbox received.
pub async fn request_link(stack: &Stack, email: &str) -> String {
    let api = stack.url(Worker::Api);
    let response = client()
        .post(format!("{api}/api/auth/request-magic-link"))
        .header("X-Forwarded-For", unique_client_ip())
        .json(&json!({ "email": email }))
        .send()
        .await
        .expect("request magic link");
    assert_eq!(
        response.status(),
        200,
        "{}",
        response.text().await.unwrap_or_default()
    );
    let outbox = outbox(stack, email).await;
    outbox["messages"]
        .as_array()
        .and_then(|messages| messages.last())
        .and_then(|message| message["token"].as_str())
        .unwrap_or_else(|| panic!("no magic link for {email}: {outbox}"))
        .to_string()
}

/// Signs in with a magic link (creating the account on first use).
pub async fn sign_in(stack: &Stack, email: &str) -> Session {
    let token = request_link(stack, email).await;
    let response = client()
        .post(format!(
            "{}/api/auth/verify-magic-link",
            stack.url(Worker::Api)
        ))
        .json(&json!({ "token": token }))
        .send()
        .await
        .expect("verify magic link");
    assert_eq!(response.status(), 200);
    let cookies = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok().map(str::to_string))
        .collect();
    let body: Value = response.json().await.expect("session JSON");
    Session {
        access_token: body["accessToken"].as_str().unwrap_or_default().to_string(),
        refresh_token: body["refreshToken"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        user: body["user"].clone(),
        cookies,
    }
}

/// Sends a `method` request to `url` as `session` (anonymously when `None`; `anonymous` then
/// adjusts it, e.g. with a client address of its own) with an optional JSON body; returns
/// the status and the JSON answer (`Null` when it has none).
pub async fn call_json(
    url: String,
    session: Option<&Session>,
    method: &str,
    body: Option<Value>,
    anonymous: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes())
        .unwrap_or_else(|err| panic!("method {method}: {err}"));
    let request = match session {
        Some(session) => session.request(method, url),
        None => anonymous(client().request(method, url)),
    };
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    let response = request
        .send()
        .await
        .unwrap_or_else(|err| panic!("request failed: {err}"));
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Polls the scores worker's `GET /api/import/:id` (at `scores_url`) until processing ends;
/// returns the final score.
pub async fn processed_score(scores_url: &str, session: Option<&Session>, id: &str) -> Value {
    for _ in 0..180 {
        let (status, body) = call_json(
            format!("{scores_url}/api/import/{id}"),
            session,
            "GET",
            None,
            |request| request,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let state = body["data"]["processingStatus"]
            .as_str()
            .unwrap_or_default();
        if state == "completed" || state == "failed" {
            return body["data"].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    panic!("score {id} was not processed in time");
}
