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

    // Refresh rotates: a new pair; the old refresh token is spent.
    let (status, refreshed) = post(
        "/api/auth/refresh",
        json!({"refreshToken": session.refresh_token}),
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    let new_access = refreshed["accessToken"].as_str().unwrap().to_string();
    let new_refresh = refreshed["refreshToken"].as_str().unwrap().to_string();
    assert_ne!(new_refresh, session.refresh_token);
    let (status, body) = post(
        "/api/auth/refresh",
        json!({"refreshToken": session.refresh_token}),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (401, Some("UNAUTHORIZED")));
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

    // Logout revokes the access token and the refresh token shown with it, and clears cookies.
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

    let (status, body) = get_with("/api/user/me", &format!("Bearer {latest_access}")).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("UNAUTHORIZED")));
    assert_eq!(
        post("/api/auth/refresh", json!({"refreshToken": latest_refresh}))
            .await
            .0,
        401
    );
    // Other, unrevoked sessions of the user still work.
    assert_eq!(
        get_with("/api/user/me", &format!("Bearer {new_access}"))
            .await
            .0,
        200
    );

    // Signing in again finds the same account.
    let again = sign_in(stack, &email).await;
    assert_eq!(again.user["id"], session.user["id"]);
    assert_eq!(
        get_with("/api/user/me", &again.bearer()).await.1["loginCount"],
        2
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
