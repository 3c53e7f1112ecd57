//! API.md, Authentication and `/api/auth/*`: every outcome, every forged-token case.

use std::time::Instant;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{
    assert_problem, claims_for, error_fields, join_all, now, row_count, token, token_for_issuer,
    token_with, TestApp, NOT_UTF8_JSON, PASSWORD, TEST_SECRET,
};

/// A server that also accepts the tokens of a trusted main app (issuer `main-app`).
const MAIN_APP: &[(&str, &str)] = &[("JWT_ACCEPTED_ISSUERS", "main-app")];

async fn assert_invalid_token(response: reqwest::Response) {
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Bearer error="invalid_token""#
    );
    let body = assert_problem(response, 401).await;
    assert_eq!(body["title"], "Unauthorized");
}

/// Ada's login with a wrong password: its status.
async fn wrong_login(app: &TestApp) -> reqwest::StatusCode {
    app.login("ada@example.com", "wrong password")
        .await
        .status()
}

#[sqlx::test]
async fn register_returns_the_user_and_a_working_token(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app
        .post_json(
            "/api/auth/register",
            &json!({"email": "  Ada@Example.COM ", "password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["user"]["email"], "ada@example.com");
    let user = body["user"].as_object().unwrap();
    assert_eq!(
        user.keys().collect::<Vec<_>>(),
        ["created_at", "email", "id", "timezone"],
        "no password hash, nothing else"
    );
    let id: Uuid = body["user"]["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(id.get_version_num(), 7);
    assert!(body["user"]["created_at"].as_str().unwrap().ends_with('Z'));

    let token = body["access_token"].as_str().unwrap();
    let me = app.me(Some(&format!("Bearer {token}"))).await;
    assert_eq!(me.status(), 200);
    assert_eq!(me.headers()["cache-control"], "no-store");
    let me: Value = me.json().await.unwrap();
    assert_eq!(me, body["user"]);
}

#[sqlx::test]
async fn register_validates_every_field(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let cases = [
        (
            json!({"email": "not-an-email", "password": PASSWORD}),
            vec!["email"],
        ),
        (
            json!({"email": "a@example.com", "password": "1234567"}),
            vec!["password"],
        ),
        (
            json!({"email": "a@example.com", "password": "x".repeat(129)}),
            vec!["password"],
        ),
        (
            json!({"email": "nope", "password": "short"}),
            vec!["email", "password"],
        ),
        // Seven four-byte characters are 28 bytes but only 7 code points: too short.
        (
            json!({"email": "a@example.com", "password": "😀".repeat(7)}),
            vec!["password"],
        ),
    ];
    for (body, fields) in cases {
        let response = app.post_json("/api/auth/register", &body).await;
        let problem = assert_problem(response, 422).await;
        assert_eq!(error_fields(&problem), fields, "{body}");
    }
    // Eight four-byte characters, and 128 characters, are both fine.
    for password in ["😀".repeat(8), "é".repeat(128)] {
        let response = app
            .post_json(
                "/api/auth/register",
                &json!({"email": format!("{}@example.com", password.len()), "password": password}),
            )
            .await;
        assert_eq!(response.status(), 201);
    }
}

/// Every missing field is named, in the order of the body's fields, not only the first one.
#[sqlx::test]
async fn an_empty_register_body_names_email_then_password(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app.post_json("/api/auth/register", &json!({})).await;
    let problem = assert_problem(response, 422).await;
    assert_eq!(error_fields(&problem), ["email", "password"]);
}

#[sqlx::test]
async fn register_refuses_a_taken_email_case_insensitively(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register("ada@example.com").await;
    let response = app
        .post_json(
            "/api/auth/register",
            &json!({"email": "ADA@example.com", "password": "another password"}),
        )
        .await;
    let problem = assert_problem(response, 409).await;
    assert_eq!(problem["title"], "Conflict");
}

#[sqlx::test]
async fn auth_bodies_get_the_request_hygiene_statuses(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let url = app.url("/api/auth/register");
    let send = |body: Vec<u8>, content_type: Option<&'static str>| {
        let mut request = app.client.post(&url).body(body);
        if let Some(value) = content_type {
            request = request.header("content-type", value);
        }
        request.send()
    };
    let valid = br#"{"email": "a@example.com", "password": "correct horse"}"#.to_vec();
    assert_problem(send(valid.clone(), None).await.unwrap(), 415).await;
    assert_problem(send(valid.clone(), Some("text/plain")).await.unwrap(), 415).await;
    assert_problem(
        send(b"{\"email\": ".to_vec(), Some("application/json"))
            .await
            .unwrap(),
        400,
    )
    .await;
    let wrong_type = br#"{"email": 5, "password": "correct horse"}"#.to_vec();
    let problem = assert_problem(
        send(wrong_type, Some("application/json")).await.unwrap(),
        422,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "email");
    let missing = br#"{"email": "a@example.com"}"#.to_vec();
    let problem = assert_problem(send(missing, Some("application/json")).await.unwrap(), 422).await;
    assert_eq!(problem["errors"][0]["field"], "password");
    let huge = vec![b' '; 65_537];
    assert_problem(send(huge, Some("application/json")).await.unwrap(), 413).await;
    // Exactly 65,536 bytes is accepted: pad a valid body with white space.
    let mut exact = valid.clone();
    exact.resize(65_536, b' ');
    let response = send(exact, Some("application/json; charset=utf-8"))
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

/// A body that is not UTF-8 is not JSON at all: 400, before any field is looked at (a 422 would
/// name a missing email).
#[sqlx::test]
async fn a_register_body_that_is_not_utf8_is_400(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app
        .post_json_bytes("/api/auth/register", NOT_UTF8_JSON, None)
        .await;
    assert_problem(response, 400).await;
}

#[sqlx::test]
async fn wrong_methods_on_auth_paths_are_405_with_allow(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app.get("/api/auth/login").await;
    assert_eq!(response.headers()["allow"], "POST");
    assert_problem(response, 405).await;
    let response = app
        .client
        .put(app.url("/api/auth/me"))
        .send()
        .await
        .unwrap();
    let allow = response.headers()["allow"].to_str().unwrap().to_owned();
    assert!(
        ["GET", "HEAD", "PATCH", "DELETE"]
            .iter()
            .all(|method| allow.contains(method)),
        "{allow}"
    );
    assert_problem(response, 405).await;
}

#[sqlx::test]
async fn login_returns_a_token_for_the_right_password(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let registered = app.register("ada@example.com").await;
    let response = app.login("ADA@example.com", PASSWORD).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user"], registered["user"]);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(app.me(Some(&format!("Bearer {token}"))).await.status(), 200);
}

#[sqlx::test]
async fn wrong_password_and_unknown_email_are_indistinguishable(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register("ada@example.com").await;
    let wrong = app.login("ada@example.com", "wrong password").await;
    let unknown = app.login("nobody@example.com", "wrong password").await;
    assert_eq!(
        wrong.headers().get("www-authenticate"),
        unknown.headers().get("www-authenticate")
    );
    let wrong = assert_problem(wrong, 401).await;
    let unknown = assert_problem(unknown, 401).await;
    assert_eq!(wrong, unknown);
}

#[sqlx::test]
async fn unknown_email_takes_as_long_as_a_wrong_password(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register("ada@example.com").await;
    // Warm up connections and the dummy hash.
    app.login("ada@example.com", "warm-up password").await;
    app.login("warm@example.com", "warm-up password").await;
    let mut wrong = Vec::new();
    let mut unknown = Vec::new();
    for i in 0..5 {
        let started = Instant::now();
        app.login("ada@example.com", &format!("wrong password {i}"))
            .await;
        wrong.push(started.elapsed());
        let started = Instant::now();
        app.login(&format!("nobody{i}@example.com"), "wrong password")
            .await;
        unknown.push(started.elapsed());
    }
    wrong.sort();
    unknown.sort();
    let (wrong, unknown) = (wrong[2].as_secs_f64(), unknown[2].as_secs_f64());
    // Without the dummy hash an unknown email answers in about a millisecond, some 30-50 times
    // faster than argon2: a factor of 3 either way is a generous bound that still tells them apart.
    let ratio = unknown / wrong;
    assert!(
        (1.0 / 3.0..3.0).contains(&ratio),
        "median unknown-email login {unknown:.4}s vs wrong-password login {wrong:.4}s"
    );
}

#[sqlx::test]
async fn ten_failures_for_one_email_throttle_it_even_for_the_right_password(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register("ada@example.com").await;
    for _ in 0..10 {
        assert_eq!(wrong_login(&app).await, 401);
    }
    let response = app.login("ada@example.com", PASSWORD).await;
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    assert_problem(response, 429).await;
    // Another email from the same address is not affected by this email's limit.
    app.register("bob@example.com").await;
    assert_eq!(app.login("bob@example.com", PASSWORD).await.status(), 200);
}

#[sqlx::test]
async fn a_success_clears_earlier_failures_for_that_email(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register("ada@example.com").await;
    for _ in 0..9 {
        app.login("ada@example.com", "wrong password").await;
    }
    assert_eq!(app.login("ada@example.com", PASSWORD).await.status(), 200);
    assert_eq!(wrong_login(&app).await, 401);
    assert_eq!(app.login("ada@example.com", PASSWORD).await.status(), 200);
}

#[sqlx::test]
async fn throttling_is_shared_by_two_app_instances_on_one_database(pool: PgPool) {
    let first = TestApp::spawn(pool.clone()).await;
    let second = TestApp::spawn(pool).await;
    first.register("ada@example.com").await;
    for i in 0..10 {
        let app = if i % 2 == 0 { &first } else { &second };
        assert_eq!(wrong_login(app).await, 401);
    }
    assert_eq!(first.login("ada@example.com", PASSWORD).await.status(), 429);
    assert_eq!(
        second.login("ada@example.com", PASSWORD).await.status(),
        429
    );
}

#[sqlx::test]
async fn fifty_failures_from_one_address_throttle_that_address(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register("ada@example.com").await;
    for i in 0..50 {
        let response = app
            .login(&format!("guess{i}@example.com"), "wrong password")
            .await;
        assert_eq!(response.status(), 401);
    }
    assert_eq!(app.login("ada@example.com", PASSWORD).await.status(), 429);
}

/// Issue 12, point 8: IPv6 clients are counted by their /64 (one subscriber's network), and an
/// `X-Forwarded-For` whose last entry does not parse falls back to the socket's peer instead of
/// letting the client's own earlier entry choose the address.
#[sqlx::test]
async fn ipv6_clients_share_a_limit_per_64_and_forged_entries_never_win(pool: PgPool) {
    let app = TestApp::builder(pool.clone())
        .config(&[("TRUST_PROXY_HEADERS", "true")])
        .spawn()
        .await;
    app.register("ada@example.com").await;
    let login_from = |forwarded: String, email: String, password: &'static str| {
        app.client
            .post(app.url("/api/auth/login"))
            .header("x-forwarded-for", forwarded)
            .json(&json!({"email": email, "password": password}))
            .send()
    };
    // 50 failures from 50 addresses of one /64...
    for i in 0..50 {
        let response = login_from(
            format!("2001:db8:1:2::{:x}", i + 1),
            format!("g{i}@example.com"),
            "wrong password",
        )
        .await
        .unwrap();
        assert_eq!(response.status(), 401);
    }
    // ...throttle every address of it, and no other network.
    let same = login_from(
        "2001:db8:1:2:ffff::1".into(),
        "ada@example.com".into(),
        PASSWORD,
    );
    assert_eq!(same.await.unwrap().status(), 429);
    let other = login_from("2001:db8:1:3::1".into(), "ada@example.com".into(), PASSWORD);
    assert_eq!(other.await.unwrap().status(), 200);
    // The proxy's entry is unreadable: the client's own "2001:db8:1:3::1" does not count; the
    // socket's peer (127.0.0.1, no failures yet) does. Fifty failures later, that peer is
    // throttled, whatever the client writes first.
    for i in 0..50 {
        let forwarded = format!("2001:db8:9:{i:x}::1, unknown");
        let response = login_from(forwarded, format!("h{i}@example.com"), "wrong password")
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
    }
    let forged = login_from(
        "2001:db8:1:3::1, not-an-address".into(),
        "ada@example.com".into(),
        PASSWORD,
    );
    assert_eq!(forged.await.unwrap().status(), 429);
}

#[sqlx::test]
async fn forwarded_addresses_count_only_when_proxy_headers_are_trusted(pool: PgPool) {
    let trusting = TestApp::builder(pool.clone())
        .config(&[("TRUST_PROXY_HEADERS", "true")])
        .spawn()
        .await;
    trusting.register("ada@example.com").await;
    let login_from = |app: &TestApp, ip: &str, email: String| {
        app.client
            .post(app.url("/api/auth/login"))
            .header("x-forwarded-for", format!("198.51.100.1, {ip}"))
            .json(&json!({"email": email, "password": "wrong password"}))
            .send()
    };
    for i in 0..50 {
        login_from(&trusting, "203.0.113.9", format!("g{i}@example.com"))
            .await
            .unwrap();
    }
    let blocked = trusting
        .client
        .post(trusting.url("/api/auth/login"))
        .header("x-forwarded-for", "203.0.113.9")
        .json(&json!({"email": "ada@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(blocked.status(), 429);
    // The same socket peer with another forwarded address is another client...
    let other = trusting
        .client
        .post(trusting.url("/api/auth/login"))
        .header("x-forwarded-for", "203.0.113.10")
        .json(&json!({"email": "ada@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);
    // ...but a server that does not trust the header counts the socket's peer: forging the
    // header does not escape the limit (every request above came from 127.0.0.1).
    let untrusting = TestApp::spawn(pool).await;
    for i in 0..50 {
        login_from(
            &untrusting,
            &format!("192.0.2.{i}"),
            format!("h{i}@example.com"),
        )
        .await
        .unwrap();
    }
    assert_eq!(
        untrusting.login("ada@example.com", PASSWORD).await.status(),
        429
    );
}

#[sqlx::test]
async fn missing_or_non_bearer_credentials_get_a_bare_challenge(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for authorization in [
        None,
        Some("Basic YWRhOnB3"),
        Some("Token abc"),
        Some("Bearer"),
    ] {
        let response = app.me(authorization).await;
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer",
            "{authorization:?}"
        );
        assert_problem(response, 401).await;
    }
}

#[sqlx::test]
async fn the_bearer_scheme_is_case_insensitive(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let body = app.register("ada@example.com").await;
    let token = body["access_token"].as_str().unwrap();
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        assert_eq!(
            app.me(Some(&format!("{scheme} {token}"))).await.status(),
            200,
            "{scheme}"
        );
    }
}

#[sqlx::test]
async fn tokens_in_the_query_string_are_never_read(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let body = app.register("ada@example.com").await;
    let token = body["access_token"].as_str().unwrap();
    for query in ["access_token", "token", "jwt"] {
        let response = app.get(&format!("/api/auth/me?{query}={token}")).await;
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        assert_problem(response, 401).await;
    }
}

#[sqlx::test]
async fn forged_and_invalid_tokens_are_refused(pool: PgPool) {
    let app = TestApp::builder(pool).config(MAIN_APP).spawn().await;
    let body = app.register("ada@example.com").await;
    let id = body["user"]["id"].as_str().unwrap().to_owned();
    let good = token(&claims_for(&id));
    assert_eq!(app.me(Some(&format!("Bearer {good}"))).await.status(), 200);

    let b64 = |value: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap());
    let [header, payload, signature]: [&str; 3] =
        good.split('.').collect::<Vec<_>>().try_into().unwrap();
    let with = |change: fn(&mut Value)| {
        let mut claims = claims_for(&id);
        change(&mut claims);
        token(&claims)
    };

    let mut tampered_claims = claims_for(&id);
    tampered_claims["sub"] = json!(Uuid::now_v7().to_string());
    let cases: Vec<(&str, String)> = vec![
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "typ": "JWT"})),
                payload
            ),
        ),
        (
            "HS384 with the right secret",
            token_with(Algorithm::HS384, TEST_SECRET.as_bytes(), &claims_for(&id)),
        ),
        (
            "HS512 with the right secret",
            token_with(Algorithm::HS512, TEST_SECRET.as_bytes(), &claims_for(&id)),
        ),
        (
            "wrong secret",
            token_with(
                Algorithm::HS256,
                b"another-secret-0123456789abcdef0123",
                &claims_for(&id),
            ),
        ),
        (
            "expired beyond the leeway",
            with(|c| c["exp"] = json!(now() - 120)),
        ),
        (
            "missing exp",
            with(|c| drop(c.as_object_mut().unwrap().remove("exp"))),
        ),
        (
            "exp as a string",
            with(|c| c["exp"] = json!((now() + 600).to_string())),
        ),
        ("nbf in the future", with(|c| c["nbf"] = json!(now() + 300))),
        ("sub not a UUID", with(|c| c["sub"] = json!("12345"))),
        (
            "missing sub",
            with(|c| drop(c.as_object_mut().unwrap().remove("sub"))),
        ),
        (
            "missing iss",
            with(|c| drop(c.as_object_mut().unwrap().remove("iss"))),
        ),
        (
            "unaccepted issuer",
            with(|c| c["iss"] = json!("someone-else")),
        ),
        (
            "issuer differing in case",
            with(|c| c["iss"] = json!("Taskdeck")),
        ),
        ("stripped signature", format!("{header}.{payload}.")),
        ("no signature part", format!("{header}.{payload}")),
        (
            "tampered payload",
            format!("{header}.{}.{signature}", b64(&tampered_claims)),
        ),
        ("garbage", "not-a-jwt".to_owned()),
        ("empty segments", "..".to_owned()),
    ];
    for (case, forged) in cases {
        let response = app.me(Some(&format!("Bearer {forged}"))).await;
        assert_eq!(response.status(), 401, "{case}");
        assert_invalid_token(response).await;
    }
    // Within the leeway, an expired token or an early nbf still passes.
    for leeway_ok in [
        with(|c| c["exp"] = json!(now() - 20)),
        with(|c| c["nbf"] = json!(now() + 20)),
    ] {
        assert_eq!(
            app.me(Some(&format!("Bearer {leeway_ok}"))).await.status(),
            200
        );
    }
}

#[sqlx::test]
async fn the_audience_is_required_and_checked_when_configured(pool: PgPool) {
    let app = TestApp::builder(pool)
        .config(&[("JWT_AUDIENCE", "taskdeck-api")])
        .spawn()
        .await;
    let body = app.register("ada@example.com").await;
    let issued = body["access_token"].as_str().unwrap();
    assert_eq!(
        app.me(Some(&format!("Bearer {issued}"))).await.status(),
        200
    );
    let id = body["user"]["id"].as_str().unwrap();
    for (case, aud) in [
        ("wrong audience", json!("other-api")),
        ("no audience", Value::Null),
    ] {
        let mut claims = claims_for(id);
        if !aud.is_null() {
            claims["aud"] = aud;
        }
        let response = app.me(Some(&format!("Bearer {}", token(&claims)))).await;
        assert_eq!(response.status(), 401, "{case}");
        assert_invalid_token(response).await;
    }
}

#[sqlx::test]
async fn our_own_token_for_a_deleted_user_is_refused(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let body = app.register("ada@example.com").await;
    let token = body["access_token"].as_str().unwrap();
    sqlx::query("DELETE FROM users")
        .execute(&pool)
        .await
        .unwrap();
    assert_invalid_token(app.me(Some(&format!("Bearer {token}"))).await).await;
    // Nor does a token of our own issuer for a never-seen sub create anyone.
    let unknown = token_for_issuer("taskdeck", Uuid::now_v7(), "new@example.com");
    assert_invalid_token(app.me(Some(&format!("Bearer {unknown}"))).await).await;
    assert_eq!(row_count(&pool, "users").await, 0);
}

#[sqlx::test]
async fn a_main_app_token_provisions_its_user_on_first_use(pool: PgPool) {
    let app = TestApp::builder(pool.clone())
        .config(MAIN_APP)
        .spawn()
        .await;
    let sub = Uuid::now_v7();
    let foreign = token_for_issuer("main-app", sub, "Grace@Example.com");
    let response = app.me(Some(&format!("Bearer {foreign}"))).await;
    assert_eq!(response.status(), 200);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["id"], sub.to_string());
    assert_eq!(me["email"], "grace@example.com");
    // Provisioned without a password: it cannot log in here with one.
    let hash: Option<String> = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(sub)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(hash, None);
    assert_eq!(
        app.login("grace@example.com", "any password at all")
            .await
            .status(),
        401
    );
    // The next use finds the same user.
    let again: Value = app
        .me(Some(&format!("Bearer {foreign}")))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again, me);
}

#[sqlx::test]
async fn concurrent_first_uses_of_a_main_app_token_create_one_user(pool: PgPool) {
    let app = TestApp::builder(pool.clone())
        .config(MAIN_APP)
        .spawn()
        .await;
    let sub = Uuid::now_v7();
    let foreign = format!(
        "Bearer {}",
        token_for_issuer("main-app", sub, "grace@example.com")
    );
    let requests: Vec<_> = (0..20)
        .map(|_| {
            let request = app
                .client
                .get(app.url("/api/auth/me"))
                .header("authorization", foreign.clone());
            tokio::spawn(request.send())
        })
        .collect();
    for request in requests {
        assert_eq!(request.await.unwrap().unwrap().status(), 200);
    }
    assert_eq!(row_count(&pool, "users").await, 1);
}

#[sqlx::test]
async fn a_main_app_token_never_reaches_another_users_account(pool: PgPool) {
    let app = TestApp::builder(pool.clone())
        .config(MAIN_APP)
        .spawn()
        .await;
    app.register("ada@example.com").await;
    // A new sub claiming Ada's email (in any case) is refused, and nothing is created.
    for email in ["ada@example.com", "ADA@example.com"] {
        let foreign = token_for_issuer("main-app", Uuid::now_v7(), email);
        assert_invalid_token(app.me(Some(&format!("Bearer {foreign}"))).await).await;
    }
    assert_eq!(row_count(&pool, "users").await, 1);
    // And a foreign token without an email cannot provision anyone.
    let no_email = token(&json!({"sub": Uuid::now_v7(), "exp": now() + 600, "iss": "main-app"}));
    assert_invalid_token(app.me(Some(&format!("Bearer {no_email}"))).await).await;
}

/// Issue 12, point 6: an external identity is (issuer, subject). A main app's token whose `sub`
/// is the id of a user registered here reaches nothing, whatever email it carries.
#[sqlx::test]
async fn a_main_app_token_never_opens_an_account_registered_here(pool: PgPool) {
    let app = TestApp::builder(pool.clone())
        .config(MAIN_APP)
        .spawn()
        .await;
    let ada = app.register("ada@example.com").await;
    let ada_id: Uuid = ada["user"]["id"].as_str().unwrap().parse().unwrap();
    let ada_token = ada["access_token"].as_str().unwrap().to_owned();
    let created = app
        .client
        .post(app.url("/api/tasks"))
        .bearer_auth(&ada_token)
        .json(&json!({"title": "Ada's secret"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    for email in ["ada@example.com", "mallory@example.com"] {
        let forged = token_for_issuer("main-app", ada_id, email);
        assert_invalid_token(app.me(Some(&format!("Bearer {forged}"))).await).await;
        let listed = app
            .client
            .get(app.url("/api/tasks"))
            .bearer_auth(&forged)
            .send()
            .await
            .unwrap();
        assert_eq!(listed.status(), 401);
    }
    // Nor does an email-less one; and nobody was created, Ada's row is untouched.
    let no_email =
        token(&json!({"sub": ada_id, "iat": now(), "exp": now() + 600, "iss": "main-app"}));
    assert_invalid_token(app.me(Some(&format!("Bearer {no_email}"))).await).await;
    assert_eq!(row_count(&pool, "users").await, 1);
    let issuer: Option<String> = sqlx::query_scalar("SELECT issuer FROM users WHERE id = $1")
        .bind(ada_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(issuer, None);
    assert_eq!(
        app.me(Some(&format!("Bearer {ada_token}"))).await.status(),
        200
    );
}

/// A user provisioned by one accepted issuer is not reached by another issuer's token with the
/// same `sub`.
#[sqlx::test]
async fn a_user_provisioned_by_one_issuer_is_not_reached_by_another(pool: PgPool) {
    let app = TestApp::builder(pool.clone())
        .config(&[("JWT_ACCEPTED_ISSUERS", "main-app,other-app")])
        .spawn()
        .await;
    let sub = Uuid::now_v7();
    let grace = token_for_issuer("main-app", sub, "grace@example.com");
    assert_eq!(app.me(Some(&format!("Bearer {grace}"))).await.status(), 200);
    for email in ["grace@example.com", "someone@example.com"] {
        let other = token_for_issuer("other-app", sub, email);
        assert_invalid_token(app.me(Some(&format!("Bearer {other}"))).await).await;
    }
    assert_eq!(row_count(&pool, "users").await, 1);
    assert_eq!(app.me(Some(&format!("Bearer {grace}"))).await.status(), 200);
}

/// A user provisioned before identities carried their issuer (no password, no issuer) is
/// claimed by the first accepted issuer that names it, and only that one reaches it afterwards.
#[sqlx::test]
async fn a_user_provisioned_before_issuers_were_recorded_is_claimed_once(pool: PgPool) {
    let app = TestApp::builder(pool.clone())
        .config(&[("JWT_ACCEPTED_ISSUERS", "main-app,other-app")])
        .spawn()
        .await;
    let sub = Uuid::now_v7();
    sqlx::query("INSERT INTO users (id, email) VALUES ($1, 'grace@example.com')")
        .bind(sub)
        .execute(&pool)
        .await
        .unwrap();
    let first = token_for_issuer("main-app", sub, "grace@example.com");
    let me = app.me(Some(&format!("Bearer {first}"))).await;
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["id"], sub.to_string());
    let other = token_for_issuer("other-app", sub, "grace@example.com");
    assert_invalid_token(app.me(Some(&format!("Bearer {other}"))).await).await;
    let issuer: Option<String> = sqlx::query_scalar("SELECT issuer FROM users WHERE id = $1")
        .bind(sub)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(issuer.as_deref(), Some("main-app"));
}

/// A main app's tokens must say when they were issued and live at most
/// `JWT_MAX_FOREIGN_TTL_SECONDS` (default 24 h): one without `iat`, or expiring in the year 9999,
/// is refused like any invalid token.
#[sqlx::test]
async fn a_main_app_token_must_carry_iat_and_a_bounded_life(pool: PgPool) {
    let app = TestApp::builder(pool.clone())
        .config(MAIN_APP)
        .spawn()
        .await;
    let sub = Uuid::now_v7();
    let claims = |iat: Option<i64>, exp: i64| {
        let mut claims =
            json!({"sub": sub, "email": "grace@example.com", "exp": exp, "iss": "main-app"});
        if let Some(iat) = iat {
            claims["iat"] = iat.into();
        }
        format!("Bearer {}", token(&claims))
    };
    let refused = [
        claims(None, now() + 600),
        claims(Some(now()), 253_402_300_799),
        claims(None, 253_402_300_799),
        claims(Some(now()), now() + 86_400 + 1),
        claims(Some(now() + 3600), now() + 7200),
    ];
    for authorization in &refused {
        assert_invalid_token(app.me(Some(authorization)).await).await;
    }
    assert_eq!(row_count(&pool, "users").await, 0);
    let day = claims(Some(now()), now() + 86_400);
    assert_eq!(app.me(Some(&day)).await.status(), 200);
    // A shorter limit is configurable.
    let strict = TestApp::builder(pool.clone())
        .config(&[
            ("JWT_ACCEPTED_ISSUERS", "main-app"),
            ("JWT_MAX_FOREIGN_TTL_SECONDS", "3600"),
        ])
        .spawn()
        .await;
    assert_invalid_token(strict.me(Some(&day)).await).await;
    assert_eq!(
        strict
            .me(Some(&claims(Some(now()), now() + 3600)))
            .await
            .status(),
        200
    );
}

#[sqlx::test]
async fn main_app_tokens_are_refused_when_that_issuer_is_not_accepted(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let foreign = token_for_issuer("main-app", Uuid::now_v7(), "grace@example.com");
    assert_invalid_token(app.me(Some(&format!("Bearer {foreign}"))).await).await;
}

/// Issue 12, point 1: the limit holds under concurrency. Of 300 wrong passwords sent at once for
/// one email, at most 10 get a password check (401); the rest are refused at once (429).
#[sqlx::test]
async fn concurrent_wrong_passwords_for_one_email_pass_the_limit_at_most_ten_times(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register("ada@example.com").await;
    let statuses: Vec<u16> =
        join_all((0..300).map(|_| app.login("ada@example.com", "wrong horse")))
            .await
            .iter()
            .map(|response| response.status().as_u16())
            .collect();
    let checked = statuses.iter().filter(|&&s| s == 401).count();
    let refused = statuses.iter().filter(|&&s| s == 429).count();
    assert_eq!(checked + refused, 300, "{statuses:?}");
    assert!(checked <= 10, "{checked} password checks");
    assert_eq!(checked, 10, "the first ten are checked");
}

/// The same per client address: of 300 wrong passwords for 300 emails from one address, at most
/// 50 are checked.
#[sqlx::test]
async fn concurrent_wrong_passwords_from_one_address_pass_the_limit_at_most_fifty_times(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool).await;
    let emails: Vec<String> = (0..300).map(|i| format!("user{i}@example.com")).collect();
    let statuses: Vec<u16> = join_all(emails.iter().map(|email| app.login(email, "wrong horse")))
        .await
        .iter()
        .map(|response| response.status().as_u16())
        .collect();
    let checked = statuses.iter().filter(|&&s| s == 401).count();
    let refused = statuses.iter().filter(|&&s| s == 429).count();
    assert_eq!(checked + refused, 300, "{statuses:?}");
    assert_eq!(checked, 50, "{checked} password checks");
}
