//! Accounts and authentication against the real local stack: magic links through the dev
//! outbox, Google sign-in against a local key server, refresh rotation, logout, account
//! deletion, preferences, and every kind of bad token and bad input.

use base64::Engine as _;
use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mirubato_blackbox::session::{
    Session, outbox, request_link, sign_in, unique_client_ip, unique_email,
};
use mirubato_blackbox::{
    GOOGLE_CLIENT_ID, Worker, await_window_with_room, client, root, shared, stack_secret,
};
use serde_json::{Value, json};

fn api() -> String {
    shared().url(Worker::Api)
}

async fn get_with(path: &str, auth: &str) -> (u16, Value) {
    let response = client()
        .get(format!("{}{path}", api()))
        .header("Authorization", auth)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn post(path: &str, body: Value) -> (u16, Value) {
    let response = client()
        .post(format!("{}{path}", api()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn magic_link_flow_from_request_to_logout() {
    let stack = shared();
    let email = unique_email("flow");
    let session = sign_in(stack, &email.to_uppercase()).await;

    // The account, with the email normalised.
    assert!(session.user_id().starts_with("user_"));
    assert_eq!(session.user["email"], email);
    assert_eq!(session.user["authProvider"], "magic_link");
    assert_eq!(session.user["role"], "user");
    for (name, value) in [
        ("auth-token", &session.access_token),
        ("refresh-token", &session.refresh_token),
    ] {
        let cookie = session
            .cookies
            .iter()
            .find(|cookie| cookie.starts_with(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} cookie in {:?}", session.cookies));
        assert_eq!(
            cookie,
            &format!("{name}={value}; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age=2592000")
        );
    }

    let (status, me) = get_with("/api/user/me", &session.bearer()).await;
    assert_eq!(status, 200);
    assert_eq!(me["id"], session.user["id"]);
    assert_eq!(me["loginCount"], 1);

    // The auth-token cookie works as well as the bearer header.
    let response = client()
        .get(format!("{}/api/user/me", api()))
        .header(
            "Cookie",
            format!("theme=x; auth-token={}", session.access_token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // Refresh rotates: a new pair, and the new access token works.
    let (status, refreshed) = post(
        "/api/auth/refresh",
        json!({"refreshToken": session.refresh_token}),
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    let new_access = refreshed["accessToken"].as_str().unwrap().to_string();
    let new_refresh = refreshed["refreshToken"].as_str().unwrap().to_string();
    assert_ne!(new_refresh, session.refresh_token);
    assert_eq!(
        get_with("/api/user/me", &format!("Bearer {new_access}"))
            .await
            .0,
        200
    );

    // Refresh from the cookie.
    let response = client()
        .post(format!("{}/api/auth/refresh", api()))
        .header("Cookie", format!("refresh-token={new_refresh}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let latest: Value = response.json().await.unwrap();
    let latest_access = latest["accessToken"].as_str().unwrap().to_string();
    let latest_refresh = latest["refreshToken"].as_str().unwrap().to_string();
    let other_device = sign_in(stack, &email).await;

    // Logout ends the session and clears the cookies.
    let response = client()
        .post(format!("{}/api/auth/logout", api()))
        .header("Authorization", format!("Bearer {latest_access}"))
        .header("Cookie", format!("refresh-token={latest_refresh}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cleared: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert!(
        cleared
            .iter()
            .any(|c| c.starts_with("auth-token=;") && c.ends_with("Max-Age=0")),
        "{cleared:?}"
    );
    assert!(
        cleared
            .iter()
            .any(|c| c.starts_with("refresh-token=;") && c.ends_with("Max-Age=0")),
        "{cleared:?}"
    );

    // Every token the session ever had is refused now, rotated-away ones included.
    for access in [&session.access_token, &new_access, &latest_access] {
        let (status, body) = get_with("/api/user/me", &format!("Bearer {access}")).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("UNAUTHORIZED")));
    }
    assert_eq!(
        post("/api/auth/refresh", json!({"refreshToken": latest_refresh}))
            .await
            .0,
        401
    );
    // The user's other session still works.
    assert_eq!(
        get_with("/api/user/me", &other_device.bearer()).await.0,
        200
    );

    // Signing in again finds the same account.
    let again = sign_in(stack, &email).await;
    assert_eq!(again.user["id"], session.user["id"]);
    assert_eq!(
        get_with("/api/user/me", &again.bearer()).await.1["loginCount"],
        3
    );
}

#[tokio::test]
async fn magic_links_are_single_use_and_point_at_the_frontend() {
    let stack = shared();
    let email = unique_email("once");
    let response = client()
        .post(format!("{}/api/auth/request-magic-link", api()))
        .header("Origin", "https://evil.example")
        .header("X-Forwarded-For", unique_client_ip())
        .json(&json!({ "email": email }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let outbox = outbox(shared(), &email).await;
    let message = &outbox["messages"][0];
    let link = message["link"].as_str().unwrap();
    let frontend = stack.url(Worker::Frontend);
    assert!(
        link.starts_with(&format!("{frontend}/auth/verify?token=")),
        "{link}"
    );
    assert!(!link.contains("evil"));
    assert_eq!(message["subject"], "Your Mirubato sign-in link");

    let token = request_link(stack, &email).await;
    assert_eq!(
        post("/api/auth/verify-magic-link", json!({"token": token}))
            .await
            .0,
        200
    );
    let (status, body) = post("/api/auth/verify-magic-link", json!({"token": token})).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "This magic link has already been used");
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn hs256(secret: &str, claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn the_dev_outbox_keeps_every_link_sent_at_once() {
    let email = unique_email("outbox-burst");
    let requests = (0..4).map(|_| {
        client()
            .post(format!("{}/api/auth/request-magic-link", api()))
            .header("X-Forwarded-For", unique_client_ip())
            .json(&json!({ "email": email }))
            .send()
    });
    for response in futures_util::future::join_all(requests).await {
        assert_eq!(response.unwrap().status(), 200);
    }
    let outbox = outbox(shared(), &email).await;
    let messages = outbox["messages"].as_array().unwrap();
    let mut tokens: Vec<&str> = messages
        .iter()
        .map(|message| message["token"].as_str().unwrap())
        .collect();
    tokens.sort_unstable();
    tokens.dedup();
    assert_eq!(tokens.len(), 4, "{outbox}");
    let sent: Vec<&str> = messages
        .iter()
        .map(|message| message["sentAt"].as_str().unwrap())
        .collect();
    assert!(sent.windows(2).all(|pair| pair[0] <= pair[1]), "{sent:?}");
}

#[tokio::test]
async fn forged_expired_and_wrong_type_tokens_are_refused() {
    let stack = shared();
    let session = sign_in(stack, &unique_email("tokens")).await;
    let secret = stack_secret(stack, "JWT_SECRET");
    let now = Utc::now().timestamp();
    let claims = |typ: &str, iat: i64, exp: i64| json!({"sub": session.user_id(), "email": "x@example.com", "iat": iat, "exp": exp, "typ": typ, "jti": "j1"});

    // Control: a well-formed access token signed with the real secret is accepted.
    assert_eq!(
        get_with(
            "/api/user/me",
            &format!(
                "Bearer {}",
                hs256(&secret, &claims("access", now, now + 600))
            )
        )
        .await
        .0,
        200
    );

    let mut tampered: Vec<String> = session
        .access_token
        .split('.')
        .map(str::to_string)
        .collect();
    tampered[1] = b64(claims("access", now, now + 600).to_string().as_bytes());
    let alg_none = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(claims("access", now, now + 600).to_string().as_bytes())
    );
    let magic_secret = stack_secret(stack, "MAGIC_LINK_SECRET");
    let bad = [
        ("tampered", tampered.join(".")),
        ("alg none", alg_none),
        (
            "expired",
            hs256(&secret, &claims("access", now - 7200, now - 3600)),
        ),
        ("refresh as access", session.refresh_token.clone()),
        (
            "magic link as access",
            hs256(&magic_secret, &claims("magic_link", now, now + 600)),
        ),
        (
            "wrong secret",
            hs256("not-the-secret", &claims("access", now, now + 600)),
        ),
        ("garbage", "abc".into()),
    ];
    for (what, token) in bad {
        let (status, body) = get_with("/api/user/me", &format!("Bearer {token}")).await;
        assert_eq!(status, 401, "{what}: {body}");
        assert_eq!(body["success"], false, "{what}");
        assert_eq!(body["code"], "UNAUTHORIZED", "{what}");
    }
    let (status, body) = get_with("/api/user/me", "").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("No authentication token provided"))
    );

    // An access token is not a refresh token, and a forged magic link does not sign in.
    assert_eq!(
        post(
            "/api/auth/refresh",
            json!({"refreshToken": session.access_token})
        )
        .await
        .0,
        401
    );
    let forged_link = hs256(&secret, &claims("magic_link", now, now + 600));
    assert_eq!(
        post("/api/auth/verify-magic-link", json!({"token": forged_link}))
            .await
            .0,
        401
    );
    let expired_link = hs256(&magic_secret, &claims("magic_link", now - 3600, now - 60));
    assert_eq!(
        post(
            "/api/auth/verify-magic-link",
            json!({"token": expired_link})
        )
        .await
        .0,
        401
    );
}

fn google_token(overrides: Value, key_file: &str) -> String {
    let now = Utc::now().timestamp();
    let mut claims = json!({
        "iss": "https://accounts.google.com", "aud": GOOGLE_CLIENT_ID, "sub": format!("g-{}", mirubato_blackbox::random_hex(6)),
        "email": unique_email("google"), "email_verified": true, "name": "Clara Schumann",
        "iat": now, "exp": now + 3600,
    });
    for (key, value) in overrides.as_object().unwrap() {
        claims[key] = value.clone();
    }
    let pem = std::fs::read(root().join("crates/core/testdata").join(key_file)).unwrap();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("mirubato-test-key".into());
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_pem(&pem).unwrap()).unwrap()
}

async fn google(credential: String) -> (u16, Value) {
    let response = client()
        .post(format!("{}/api/auth/google", api()))
        .header("X-Forwarded-For", unique_client_ip())
        .json(&json!({ "credential": credential }))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn google_sign_in_verifies_the_id_token() {
    let (status, body) = google(google_token(json!({}), "google-test-key.pem")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["authProvider"], "google");
    assert_eq!(body["user"]["displayName"], "Clara Schumann");
    let access = body["accessToken"].as_str().unwrap();
    assert_eq!(
        get_with("/api/user/me", &format!("Bearer {access}"))
            .await
            .0,
        200
    );

    let now = Utc::now().timestamp();
    let refused = [
        (
            "wrong audience",
            google_token(
                json!({"aud": "someone-else.apps.googleusercontent.com"}),
                "google-test-key.pem",
            ),
        ),
        (
            "wrong issuer",
            google_token(
                json!({"iss": "https://evil.example"}),
                "google-test-key.pem",
            ),
        ),
        (
            "expired",
            google_token(
                json!({"iat": now - 7200, "exp": now - 3600}),
                "google-test-key.pem",
            ),
        ),
        (
            "unverified email",
            google_token(json!({"email_verified": false}), "google-test-key.pem"),
        ),
        ("bad signature", google_token(json!({}), "attacker-key.pem")),
        ("not a JWT", "nope".into()),
    ];
    for (what, credential) in refused {
        let (status, body) = google(credential).await;
        assert_eq!(status, 401, "{what}: {body}");
        assert_eq!(body["code"], "UNAUTHORIZED", "{what}");
    }
}

#[tokio::test]
async fn google_sign_in_joins_an_existing_magic_link_account() {
    let stack = shared();
    let email = unique_email("both");
    let session = sign_in(stack, &email).await;
    let (status, body) = google(google_token(
        json!({"email": email.to_uppercase()}),
        "google-test-key.pem",
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["id"], session.user["id"]);
    assert_eq!(body["user"]["displayName"], "Clara Schumann");
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited_per_client_address() {
    // Every attempt of the test counts against one one-minute window.
    await_window_with_room(60, 15).await;
    let ip = unique_client_ip();
    let attempt = |ip: String| async move {
        client()
            .post(format!("{}/api/auth/request-magic-link", api()))
            .header("X-Forwarded-For", ip)
            .json(&json!({ "email": unique_email("limited") }))
            .send()
            .await
            .unwrap()
    };
    for n in 0..10 {
        assert_eq!(attempt(ip.clone()).await.status(), 200, "attempt {n}");
    }
    let limited = attempt(ip.clone()).await;
    assert_eq!(limited.status(), 429);
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["code"], "RATE_LIMITED");
    // Another address is not affected.
    assert_eq!(attempt(unique_client_ip()).await.status(), 200);
}

#[tokio::test]
async fn preferences_are_validated_and_replaced_whole() {
    let session = sign_in(shared(), &unique_email("prefs")).await;
    let auth = session.bearer();
    assert_eq!(
        get_with("/api/user/preferences", &auth).await,
        (200, json!({}))
    );

    let put = |body: Value| {
        let auth = auth.clone();
        async move {
            let response = client()
                .put(format!("{}/api/user/preferences", api()))
                .header("Authorization", auth)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = put(json!({"theme": "dark", "primaryInstrument": "cello", "notificationSettings": {"goalDeadlines": true}})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true);
    let expected = json!({
        "theme": "dark", "primaryInstrument": "cello",
        "notificationSettings": {"practiceReminders": false, "goalDeadlines": true, "achievementNotifications": true, "emailFrequency": "never", "pushNotifications": false}
    });
    assert_eq!(
        get_with("/api/user/preferences", &auth).await,
        (200, expected.clone())
    );

    for bad in [
        json!({"theme": "purple"}),
        json!({"colour": "blue"}),
        json!({"primaryInstrument": 7}),
        json!([1]),
    ] {
        let (status, body) = put(bad.clone()).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["code"], "VALIDATION_ERROR");
    }
    assert_eq!(
        get_with("/api/user/preferences", &auth).await.1,
        expected,
        "a refused write changed nothing"
    );

    assert_eq!(put(json!({"theme": "light"})).await.0, 200);
    assert_eq!(
        get_with("/api/user/preferences", &auth).await.1,
        json!({"theme": "light"})
    );
}

#[tokio::test]
async fn the_display_name_is_trimmed_validated_and_kept() {
    let session = sign_in(shared(), &unique_email("renamed")).await;
    let auth = session.bearer();
    let patch = |auth: Option<String>, body: Value| async move {
        let mut request = client().patch(format!("{}/api/user/me", api())).json(&body);
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json::<Value>().await.unwrap())
    };

    let (status, user) = patch(
        Some(auth.clone()),
        json!({"displayName": "  Clara Schumann  "}),
    )
    .await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["displayName"], "Clara Schumann");
    assert_eq!(user["id"], session.user["id"]);
    let (status, me) = get_with("/api/user/me", &auth).await;
    assert_eq!(
        (status, &me["displayName"]),
        (200, &json!("Clara Schumann"))
    );

    for bad in [
        json!({"displayName": "   "}),
        json!({"displayName": ""}),
        json!({"displayName": "x".repeat(101)}),
        json!({"displayName": 42}),
        json!({"displayName": "Ada", "role": "admin"}),
        json!({}),
    ] {
        let (status, body) = patch(Some(auth.clone()), bad.clone()).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["success"], false);
        assert_eq!(body["code"], "VALIDATION_ERROR", "{body}");
    }
    let (status, body) = patch(None, json!({"displayName": "Nobody"})).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("UNAUTHORIZED")));
    assert_eq!(
        get_with("/api/user/me", &auth).await.1["displayName"],
        "Clara Schumann",
        "refused changes changed nothing"
    );

    // 100 characters is allowed, counted as characters rather than bytes.
    let longest = "ü".repeat(100);
    let (status, user) = patch(Some(auth.clone()), json!({"displayName": longest})).await;
    assert_eq!(
        (status, user["displayName"].as_str()),
        (200, Some(longest.as_str()))
    );
}

#[tokio::test]
async fn deleting_the_account_removes_its_data_and_revokes_its_tokens() {
    let stack = shared();
    let email = unique_email("leaver");
    let session = sign_in(stack, &email).await;
    let other = sign_in(stack, &email).await;
    let response = session
        .put(format!("{}/api/user/preferences", api()))
        .json(&json!({"theme": "dark"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let response = session
        .delete(format!("{}/api/user/me", api()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    for token in [&session.access_token, &other.access_token] {
        assert_eq!(
            get_with("/api/user/me", &format!("Bearer {token}")).await.0,
            401
        );
    }
    assert_eq!(
        post(
            "/api/auth/refresh",
            json!({"refreshToken": other.refresh_token})
        )
        .await
        .0,
        401
    );

    // Signing up again starts a new, empty account.
    let fresh: Session = sign_in(stack, &email).await;
    assert_ne!(fresh.user["id"], session.user["id"]);
    assert_eq!(
        get_with("/api/user/preferences", &fresh.bearer()).await,
        (200, json!({}))
    );
}

#[tokio::test]
async fn bad_input_gets_a_clear_4xx() {
    let ip = unique_client_ip();
    let send = |body: Vec<u8>| {
        let ip = ip.clone();
        async move {
            let response = client()
                .post(format!("{}/api/auth/request-magic-link", api()))
                .header("Content-Type", "application/json")
                .header("X-Forwarded-For", ip)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    for (what, body, status) in [
        ("malformed JSON", b"{\"email\":".to_vec(), 400),
        ("wrong type", br#"{"email":42}"#.to_vec(), 400),
        ("not an email", br#"{"email":"not-an-email"}"#.to_vec(), 400),
        ("missing field", b"{}".to_vec(), 400),
        (
            "unknown field",
            br#"{"email":"a@b.co","role":"admin"}"#.to_vec(),
            400,
        ),
        ("empty body", Vec::new(), 400),
        (
            "over 1 MB",
            format!(r#"{{"email":"{}"}}"#, "a".repeat(1_100_000)).into_bytes(),
            413,
        ),
    ] {
        let (got, body) = send(body).await;
        assert_eq!(got, status, "{what}: {body}");
        assert_eq!(body["success"], false, "{what}");
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{what}"
        );
    }
    let (status, body) = send(br#"{"email":"x"}"#.to_vec()).await;
    assert_eq!(
        body["details"]["fields"]["email"][0], "is not a valid email address",
        "{status}"
    );

    let response = client()
        .get(format!("{}/api/auth/refresh", api()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    let (status, _) = get_with("/api/dev/outbox?email=nope", "").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn api_index_and_openapi_document() {
    let (status, index) = get_with("/api", "").await;
    assert_eq!(status, 200);
    assert_eq!(index["openapi"], "/docs/openapi.json");
    assert!(
        index["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == "/api/auth/google")
    );

    let (status, doc) = get_with("/docs/openapi.json", "").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    for path in [
        "/api/auth/request-magic-link",
        "/api/auth/verify-magic-link",
        "/api/auth/refresh",
        "/api/user/me",
        "/api/user/preferences",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["UserPreferences"].is_object());

    let page = client()
        .get(format!("{}/docs", api()))
        .send()
        .await
        .unwrap();
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.text().await.unwrap().contains("/api/auth/google"));
}

async fn refresh_with(token: &str) -> (u16, Value) {
    post("/api/auth/refresh", json!({"refreshToken": token})).await
}

async fn me_status(access: &str) -> u16 {
    get_with("/api/user/me", &format!("Bearer {access}"))
        .await
        .0
}

#[tokio::test]
async fn signing_out_with_only_the_bearer_ends_the_whole_session() {
    let stack = shared();
    let session = sign_in(stack, &unique_email("shared-computer")).await;
    let library = format!("{}/api/scores/user/library", stack.url(Worker::Scores));

    // As the web app signs out: its bearer and `{}`, no cookie, no refresh token.
    let response = session
        .post(format!("{}/api/auth/logout", api()))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let (status, body) = refresh_with(&session.refresh_token).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("UNAUTHORIZED")),
        "{body}"
    );
    assert_eq!(me_status(&session.access_token).await, 401);
    let response = session.get(&library).send().await.unwrap();
    assert_eq!(
        response.status(),
        401,
        "scores refuse the ended session too"
    );

    // A client that shows only its refresh token (body or cookie) ends its session as well.
    let other = sign_in(stack, &unique_email("refresh-only")).await;
    let response = client()
        .post(format!("{}/api/auth/logout", api()))
        .header("Cookie", format!("refresh-token={}", other.refresh_token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(me_status(&other.access_token).await, 401);
    assert_eq!(refresh_with(&other.refresh_token).await.0, 401);
    // Nothing at all to show is a 401.
    assert_eq!(post("/api/auth/logout", json!({})).await.0, 401);
}

#[tokio::test]
async fn a_reused_refresh_token_ends_the_session_it_belongs_to() {
    let stack = shared();
    let email = unique_email("stolen");
    let session = sign_in(stack, &email).await;
    let bystander = sign_in(stack, &email).await;

    let (status, rotated) = refresh_with(&session.refresh_token).await;
    assert_eq!(status, 200, "{rotated}");
    let rotated_access = rotated["accessToken"].as_str().unwrap().to_string();
    let rotated_refresh = rotated["refreshToken"].as_str().unwrap().to_string();
    assert_eq!(me_status(&rotated_access).await, 200);

    // The first token again (a thief's copy, or the owner's old one): reuse.
    let (status, body) = refresh_with(&session.refresh_token).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("already been used"),
        "{body}"
    );
    // The whole family is dead: the newest pair too.
    assert_eq!(refresh_with(&rotated_refresh).await.0, 401);
    assert_eq!(me_status(&rotated_access).await, 401);
    assert_eq!(me_status(&session.access_token).await, 401);
    // The user's other session is untouched.
    assert_eq!(me_status(&bystander.access_token).await, 200);
    assert_eq!(refresh_with(&bystander.refresh_token).await.0, 200);
}

/// Signs in through the outbox as a browser with `user_agent` would.
async fn sign_in_as(email: &str, user_agent: &str) -> (String, String) {
    let token = request_link(shared(), email).await;
    let response = client()
        .post(format!("{}/api/auth/verify-magic-link", api()))
        .header("User-Agent", user_agent)
        .json(&json!({"token": token}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    (
        body["accessToken"].as_str().unwrap().to_string(),
        body["refreshToken"].as_str().unwrap().to_string(),
    )
}

async fn sessions_of(access: &str) -> (u16, Value) {
    get_with("/api/auth/sessions", &format!("Bearer {access}")).await
}

#[tokio::test]
async fn sessions_are_listed_and_ended_one_at_a_time_or_all_at_once() {
    let email = unique_email("devices");
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
    let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
    let (laptop, _) = sign_in_as(&email, firefox).await;
    let (phone, phone_refresh) = sign_in_as(&email, iphone).await;

    let (status, body) = sessions_of(&laptop).await;
    assert_eq!(status, 200, "{body}");
    let listed = body["sessions"].as_array().unwrap().clone();
    assert_eq!(listed.len(), 2, "{body}");
    // Newest first; the caller's own is `current`.
    assert_eq!(listed[0]["device"], "Safari on iPhone");
    assert_eq!(listed[0]["current"], false);
    assert_eq!(listed[1]["device"], "Firefox on Linux");
    assert_eq!(listed[1]["current"], true);
    for session in &listed {
        assert!(session["id"].as_str().unwrap().starts_with("sess_"));
        assert!(session["createdAt"].is_string() && session["lastUsedAt"].is_string());
    }
    let phone_session = listed[0]["id"].as_str().unwrap().to_string();

    // Another user cannot end it, nor learn it exists.
    let stranger = sign_in(shared(), &unique_email("stranger")).await;
    let response = stranger
        .delete(format!("{}/api/auth/sessions/{phone_session}", api()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(me_status(&phone).await, 200);

    // "Sign out" on the phone's row, from the laptop.
    let response = client()
        .delete(format!("{}/api/auth/sessions/{phone_session}", api()))
        .header("Authorization", format!("Bearer {laptop}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(me_status(&phone).await, 401);
    assert_eq!(refresh_with(&phone_refresh).await.0, 401);
    let (_, body) = sessions_of(&laptop).await;
    assert_eq!(body["sessions"].as_array().unwrap().len(), 1, "{body}");
    // Ending it again: it is no longer there.
    let response = client()
        .delete(format!("{}/api/auth/sessions/{phone_session}", api()))
        .header("Authorization", format!("Bearer {laptop}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);

    // "Sign out everywhere".
    let (tablet, tablet_refresh) = sign_in_as(&email, firefox).await;
    let response = client()
        .post(format!("{}/api/auth/logout-all", api()))
        .header("Authorization", format!("Bearer {laptop}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    for access in [&laptop, &tablet] {
        assert_eq!(me_status(access).await, 401);
    }
    assert_eq!(refresh_with(&tablet_refresh).await.0, 401);
    let (fresh, _) = sign_in_as(&email, firefox).await;
    let (_, body) = sessions_of(&fresh).await;
    assert_eq!(body["sessions"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(
        stranger
            .get(format!("{}/api/auth/sessions", api()))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        client()
            .get(format!("{}/api/auth/sessions", api()))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn tokens_are_bound_to_this_environment() {
    let stack = shared();
    let session = sign_in(stack, &unique_email("environments")).await;
    let secret = stack_secret(stack, "JWT_SECRET");
    let now = Utc::now().timestamp();
    // The issued tokens carry their session, issuer and audience.
    let payload = session.access_token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert!(
        claims["sid"].as_str().unwrap().starts_with("sess_"),
        "{claims}"
    );
    assert_eq!(claims["iss"], "mirubato-api.local");
    assert_eq!(claims["aud"], "mirubato.local");
    // The same claims for staging, signed with the very same secret, are refused here.
    let mut staging = claims.clone();
    staging["iss"] = json!("mirubato-api.staging");
    staging["aud"] = json!("mirubato.staging");
    staging["iat"] = json!(now);
    assert_eq!(me_status(&hs256(&secret, &staging)).await, 401);
    assert_eq!(me_status(&hs256(&secret, &claims)).await, 200, "control");
}

#[tokio::test]
async fn ipv6_clients_are_counted_by_their_64_prefix() {
    let remaining = |response: &reqwest::Response| -> i64 {
        response.headers()["x-ratelimit-remaining"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    let prefix = format!(
        "2001:db8:{}:{}",
        mirubato_blackbox::random_hex(2),
        mirubato_blackbox::random_hex(2)
    );
    let mut seen = Vec::new();
    // /health is a public route and counted like one.
    for host in [":1", ":2", "ffff:1:2:3"] {
        let response = client()
            .get(format!("{}/health", api()))
            .header("X-Forwarded-For", format!("{prefix}:{host}"))
            .send()
            .await
            .unwrap();
        seen.push(remaining(&response));
    }
    assert_eq!(seen[1], seen[0] - 1, "{seen:?}");
    assert_eq!(seen[2], seen[0] - 2, "{seen:?}");
    // Another /64 has a counter of its own.
    let response = client()
        .get(format!("{}/health", api()))
        .header(
            "X-Forwarded-For",
            format!(
                "2001:db8:{}:{}::1",
                mirubato_blackbox::random_hex(2),
                mirubato_blackbox::random_hex(2)
            ),
        )
        .send()
        .await
        .unwrap();
    assert!(remaining(&response) > seen[2], "{seen:?}");
}

#[tokio::test]
async fn magic_links_to_one_address_are_limited_whoever_asks() {
    let email = unique_email("inbox-flood");
    let ask = |email: String| async move {
        // A different client address each time: only the per-address limit can stop this.
        client()
            .post(format!("{}/api/auth/request-magic-link", api()))
            .header("X-Forwarded-For", unique_client_ip())
            .json(&json!({ "email": email }))
            .send()
            .await
            .unwrap()
    };
    for n in 0..5 {
        assert_eq!(ask(email.clone()).await.status(), 200, "link {n}");
    }
    let limited = ask(email.clone()).await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    let body: Value = limited.json().await.unwrap();
    assert_eq!(
        (body["success"].as_bool(), body["code"].as_str()),
        (Some(false), Some("RATE_LIMITED")),
        "{body}"
    );
    // Five links went out, not six.
    let sent = outbox(shared(), &email).await;
    assert_eq!(sent["messages"].as_array().unwrap().len(), 5, "{sent}");

    // The answer says nothing about whether the address has an account: a signed-up address
    // is limited with the very same answer as an unknown one.
    let member = unique_email("member");
    sign_in(shared(), &member).await;
    for _ in 0..4 {
        assert_eq!(ask(member.clone()).await.status(), 200);
    }
    let limited_member = ask(member).await;
    assert_eq!(limited_member.status(), 429);
    let member_body: Value = limited_member.json().await.unwrap();
    assert_eq!(member_body["code"], body["code"]);
    // Another address is not affected.
    assert_eq!(ask(unique_email("other-inbox")).await.status(), 200);
}

/// The close frame of a socket the server closes, within 3 seconds (frames before it skipped).
async fn closed_by_server(socket: &mut mirubato_blackbox::socket::Socket) -> (u16, String) {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(3);
    loop {
        let message = tokio::time::timeout_at(deadline, socket.next())
            .await
            .expect("the socket was not closed within 3 s");
        match message {
            Some(Ok(Message::Close(Some(frame)))) => {
                return (u16::from(frame.code), frame.reason.to_string());
            }
            Some(Ok(Message::Close(None))) | None => panic!("closed without a code"),
            Some(Ok(_)) => continue,
            Some(Err(err)) => panic!("socket error: {err}"),
        }
    }
}

#[tokio::test]
async fn ending_a_session_closes_its_sockets_and_only_those() {
    use mirubato_blackbox::socket::{next_of, open, send};
    let stack = shared();
    let email = unique_email("sockets");
    let phone = sign_in(stack, &email).await;
    let laptop = sign_in(stack, &email).await;
    let mut phone_socket = open(stack, &phone, "phone").await;
    let mut laptop_socket = open(stack, &laptop, "laptop").await;

    // The web app's sign-out: bearer only.
    let response = phone
        .post(format!("{}/api/auth/logout", api()))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        closed_by_server(&mut phone_socket).await,
        (4401, "session ended".to_string())
    );
    // The laptop's session goes on, its socket too.
    send(&mut laptop_socket, json!({"type": "PING", "timestamp": 1})).await;
    assert_eq!(next_of(&mut laptop_socket, "PONG").await["type"], "PONG");

    // Refresh-token reuse ends the laptop's session: its socket closes as well.
    assert_eq!(refresh_with(&laptop.refresh_token).await.0, 200);
    assert_eq!(refresh_with(&laptop.refresh_token).await.0, 401);
    assert_eq!(
        closed_by_server(&mut laptop_socket).await,
        (4401, "session ended".to_string())
    );
    // A socket cannot be opened again with an ended session's token.
    let refused = tokio_tungstenite::connect_async(mirubato_blackbox::socket::ws_url(
        stack, &laptop, "again",
    ))
    .await;
    assert!(refused.is_err(), "an ended session's token opened a socket");
}
