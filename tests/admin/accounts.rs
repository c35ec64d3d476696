//! Operator accounts: created with a one-time password, logged in at
//! `/admin/login` with a TOTP second factor (enrolled at the first login,
//! mandatory in live mode, optional in sandbox), refused to anonymous
//! visitors and invisible to merchants.

use kassa::clock::Clock;
use serde_json::Value;

use super::{code_now, log_in, new_operator, secret_in};
use crate::dashboard::browser::{Browser, location};
use crate::helpers::{Backend, go_live, kassa, spawn_app, spawn_app_with};
use crate::on_both_backends;

/// Every console page, as a GET.
const PAGES: [&str; 7] = [
    "/admin",
    "/admin/audit",
    "/admin/merchants",
    "/admin/routing",
    "/admin/attention",
    "/admin/operations",
    "/admin/login/code",
];

on_both_backends!(
    anonymous_visitors_reach_only_the_login_page,
    a_merchant_session_gets_404_on_every_admin_path,
    live_mode_enrols_totp_at_the_first_login_then_asks_for_a_code,
    sandbox_lets_an_operator_in_without_totp_and_offers_enrolment,
    wrong_passwords_and_codes_are_throttled_and_a_code_is_not_replayed,
);

async fn anonymous_visitors_reach_only_the_login_page(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut anonymous = Browser::new(&app);
    for path in PAGES {
        let answer = anonymous.get(path).await;
        assert_eq!(answer.status, 303, "{path}");
        assert!(
            location(&answer).starts_with("/admin/login"),
            "{path} → {}",
            location(&answer)
        );
    }
    let deep = anonymous.get("/admin/audit").await;
    assert_eq!(location(&deep), "/admin/login?next=%2Fadmin%2Faudit");
    let login = anonymous.get("/admin/login").await;
    assert_eq!(login.status, 200);
    assert!(login.text.contains("Operator login"));
    // A form posted without a session is not taken either.
    let post = anonymous.post("/admin/logout", &[]).await;
    assert_eq!(post.status, 303);
    app.stop().await;
}

async fn a_merchant_session_gets_404_on_every_admin_path(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut merchant = Browser::new(&app);
    merchant
        .sign_up(&crate::helpers::next_merchant_email())
        .await;
    assert_eq!(merchant.get("/dashboard").await.status, 200);
    for path in PAGES.iter().chain(&["/admin/login"]) {
        let answer = merchant.get(path).await;
        assert_eq!(answer.status, 404, "{path}: {}", answer.text);
    }
    let post = merchant
        .post(
            "/admin/login",
            &[("email", "x@y.example"), ("password", "x")],
        )
        .await;
    assert_eq!(post.status, 404);
    app.stop().await;
}

async fn live_mode_enrols_totp_at_the_first_login_then_asks_for_a_code(backend: Backend) {
    let Some(app) = spawn_app_with(backend, go_live).await else {
        return;
    };
    let (email, password) = new_operator(&app).await;
    let mut browser = Browser::new(&app);
    browser.get("/admin/login").await;
    let done = browser
        .post(
            "/admin/login",
            &[("email", &email), ("password", &password)],
        )
        .await;
    assert_eq!(location(&done), "/admin/login/code");
    // Before the code, the console stays shut.
    let early = browser.get("/admin").await;
    assert_eq!(location(&early), "/admin/login/code");
    let enrol = browser.get("/admin/login/code").await;
    assert!(enrol.text.contains("Set up two-factor login"));
    assert!(enrol.text.contains("<svg"), "a QR code is shown");
    let secret = secret_in(&enrol.text).expect("the key is shown");
    // Reloading shows the same key, not a new one.
    let again = browser.get("/admin/login/code").await;
    assert_eq!(secret_in(&again.text), Some(secret.clone()));
    let wrong = browser
        .post("/admin/login/code", &[("code", "000000")])
        .await;
    assert_eq!(wrong.status, 401);
    let code = code_now(&app, &secret);
    let ok = browser.post("/admin/login/code", &[("code", &code)]).await;
    assert_eq!(location(&ok), "/admin", "{}", ok.text);
    let home = browser.get("/admin").await;
    assert_eq!(home.status, 200, "{}", home.text);
    assert!(home.text.contains(&email));
    assert!(!home.text.contains("no second factor"));

    // The next login asks for a code, not an enrolment.
    app.clock.advance(std::time::Duration::from_secs(60));
    let mut later = Browser::new(&app);
    assert_eq!(
        log_in(&mut later, &app, &email, &password, Some(&secret)).await,
        Some(secret.clone())
    );
    let audit = later.get("/admin/audit").await;
    assert!(audit.text.contains("operator.totp_enrol"), "{}", audit.text);
    assert!(audit.text.contains("operator.create"));

    // Recovery: the CLI removes the factor and ends the sessions.
    let key = crate::helpers::TEST_SECRETS_KEY;
    let env = [
        ("KASSA_DATABASE_URL", app.db.url.as_str()),
        ("KASSA_SECRETS_KEY_FILE", key),
        ("KASSA_LOG", "error"),
    ];
    let reset = kassa(&["admin", "reset-totp", "--email", &email], &env).await;
    assert!(
        reset.status.success(),
        "{}",
        String::from_utf8_lossy(&reset.stderr)
    );
    assert_eq!(
        location(&later.get("/admin").await),
        "/admin/login",
        "sessions ended"
    );
    let mut after = Browser::new(&app);
    after.get("/admin/login").await;
    after
        .post(
            "/admin/login",
            &[("email", &email), ("password", &password)],
        )
        .await;
    let enrol = after.get("/admin/login/code").await;
    let new_secret = secret_in(&enrol.text).expect("enrolment starts again");
    assert_ne!(new_secret, secret);
    app.stop().await;
}

async fn sandbox_lets_an_operator_in_without_totp_and_offers_enrolment(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let env = [
        ("KASSA_DATABASE_URL", app.db.url.as_str()),
        ("KASSA_SECRETS_KEY_FILE", crate::helpers::TEST_SECRETS_KEY),
        ("KASSA_LOG", "error"),
    ];
    let created = kassa(
        &["admin", "create", "--email", "Ops@Kassa.example", "--json"],
        &env,
    )
    .await;
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let out: Value = serde_json::from_slice(&created.stdout).unwrap();
    assert_eq!(out["email"], "ops@kassa.example");
    let password = out["password"].as_str().unwrap().to_string();
    assert!(password.len() >= 20);
    let twice = kassa(&["admin", "create", "--email", "ops@kassa.example"], &env).await;
    assert!(!twice.status.success());
    assert!(String::from_utf8_lossy(&twice.stderr).contains("exists already"));
    let bad = kassa(&["admin", "create", "--email", "not-an-address"], &env).await;
    assert!(!bad.status.success());

    let mut browser = Browser::new(&app);
    assert_eq!(
        log_in(&mut browser, &app, "ops@kassa.example", &password, None).await,
        None,
        "no code asked in sandbox before enrolment"
    );
    let home = browser.get("/admin").await;
    assert_eq!(home.status, 200);
    assert!(home.text.contains("no second factor"));
    let enrol = browser.get("/admin/login/code").await;
    let secret = secret_in(&enrol.text).expect("enrolment is offered");
    assert!(enrol.text.contains("Not now"));
    let code = code_now(&app, &secret);
    let ok = browser.post("/admin/login/code", &[("code", &code)]).await;
    assert_eq!(location(&ok), "/admin");
    assert!(
        !browser
            .get("/admin")
            .await
            .text
            .contains("no second factor")
    );
    // Once enrolled, sandbox asks for the code too.
    app.clock.advance(std::time::Duration::from_secs(60));
    let mut again = Browser::new(&app);
    assert!(
        log_in(
            &mut again,
            &app,
            "ops@kassa.example",
            &password,
            Some(&secret)
        )
        .await
        .is_some()
    );
    let out = browser.post("/admin/logout", &[]).await;
    assert_eq!(location(&out), "/admin/login");
    assert_eq!(location(&browser.get("/admin").await), "/admin/login");
    app.stop().await;
}

async fn wrong_passwords_and_codes_are_throttled_and_a_code_is_not_replayed(backend: Backend) {
    let Some(app) = spawn_app_with(backend, go_live).await else {
        return;
    };
    let (email, password) = new_operator(&app).await;
    let mut first = Browser::new(&app);
    let secret = log_in(&mut first, &app, &email, &password, None)
        .await
        .unwrap();

    // The same code again (same 30 s step) is refused.
    let mut replay = Browser::new(&app);
    replay.get("/admin/login").await;
    replay
        .post(
            "/admin/login",
            &[("email", &email), ("password", &password)],
        )
        .await;
    replay.get("/admin/login/code").await;
    let used = code_now(&app, &secret);
    let refused = replay.post("/admin/login/code", &[("code", &used)]).await;
    assert_eq!(refused.status, 401, "{}", refused.text);

    // Wrong passwords from ever-new addresses still throttle the account.
    let mut statuses = Vec::new();
    for i in 0..6 {
        let mut guess = Browser::new(&app);
        guess.extra = vec![("x-forwarded-for".into(), format!("203.0.113.{i}"))];
        guess.get("/admin/login").await;
        let answer = guess
            .post(
                "/admin/login",
                &[("email", &email), ("password", "nope nope nope")],
            )
            .await;
        statuses.push(answer.status);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    let mut right = Browser::new(&app);
    right.get("/admin/login").await;
    let throttled = right
        .post(
            "/admin/login",
            &[("email", &email), ("password", &password)],
        )
        .await;
    assert_eq!(throttled.status, 429, "even the right password waits");
    assert!(throttled.headers.get("retry-after").is_some());
    // The account itself is throttled, not only this client address.
    let direct = kassa::app::operators::log_in(
        &app.store,
        &email,
        secrecy::SecretString::from(password.clone()),
        true,
        "198.51.100.7",
        app.clock.now_ms(),
    )
    .await;
    assert!(
        matches!(
            direct,
            Err(kassa::app::operators::OperatorError::Throttled(_))
        ),
        "{direct:?}"
    );
    app.stop().await;
}
