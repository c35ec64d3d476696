//! Sign-up, login, sessions and their cookie, CSRF, throttling.

use std::time::Duration;

use super::browser::{Browser, PASSWORD, location};
use crate::helpers::{Backend, go_live, read, spawn_app, spawn_app_with};
use crate::on_both_backends;

on_both_backends!(
    signing_up_logs_in_and_shows_a_working_api_key_once,
    a_login_gets_a_new_session_id_and_logout_ends_the_session,
    a_form_without_its_csrf_token_is_refused,
    login_is_slowed_after_repeated_wrong_passwords,
    an_idle_session_ends,
);

async fn signing_up_logs_in_and_shows_a_working_api_key_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut browser = Browser::new(&app);

    let key = browser.sign_up("Owner@New-Shop.example").await;

    let cookie = browser.cookies.get("kassa_session").cloned();
    assert!(
        cookie.is_some(),
        "plain http uses kassa_session: {:?}",
        browser.cookies
    );
    let me = read(
        app.client
            .get(app.url("/gateway/me.php"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(me.status, 200, "{}", me.text);
    let home = browser.get("/dashboard").await;
    assert_eq!(home.status, 200, "{}", home.text);
    assert!(home.text.contains("owner@new-shop.example"));
    assert!(home.text.contains("Integration checklist"));
    assert!(!home.text.contains(&key), "the key is shown once only");
    app.stop().await;
}

#[actix_web::test]
async fn the_session_cookie_is_http_only_and_same_site_lax() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let mut browser = Browser::new(&app);
    browser.get("/dashboard/signup").await;
    let email = crate::helpers::next_merchant_email();
    let done = browser
        .post(
            "/dashboard/signup",
            &[
                ("email", &email),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    let set: Vec<String> = done
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let session = set
        .iter()
        .find(|c| c.starts_with("kassa_session="))
        .expect("a session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    assert!(session.contains("Path=/"), "{session}");
    assert!(
        !session.contains("Secure"),
        "plain http: no Secure: {session}"
    );
    app.stop().await;
}

#[actix_web::test]
async fn over_https_the_cookie_is_host_prefixed_and_secure() {
    let Some(app) = spawn_app_with(Backend::Sqlite, |s| {
        s.public_url = Some("https://pay.kassa.example".into());
    })
    .await
    else {
        return;
    };
    let mut browser = Browser::new(&app);
    let page = browser.get("/dashboard/login").await;
    let set = page.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(set.starts_with("__Host-kassa_csrf="), "{set}");
    assert!(set.contains("Secure"), "{set}");
    app.stop().await;
}

async fn a_login_gets_a_new_session_id_and_logout_ends_the_session(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let email = crate::helpers::next_merchant_email();
    let mut browser = Browser::new(&app);
    browser.sign_up(&email).await;
    let first = browser.cookies["kassa_session"].clone();

    let login = browser.log_in(&email, PASSWORD).await;
    assert_eq!(login.status, 303, "{}", login.text);
    assert_eq!(location(&login), "/dashboard");
    let second = browser.cookies["kassa_session"].clone();
    assert_ne!(first, second, "a login issues a new session id");

    let mut stale = Browser::new(&app);
    stale.cookies.insert("kassa_session".into(), first);
    let refused = stale.get("/dashboard/domains").await;
    assert_eq!(refused.status, 303);
    assert_eq!(
        location(&refused),
        "/dashboard/login?next=%2Fdashboard%2Fdomains"
    );

    browser.get("/dashboard").await;
    let out = browser.post("/dashboard/logout", &[]).await;
    assert_eq!(out.status, 303);
    assert!(
        !browser.cookies.contains_key("kassa_session"),
        "the cookie is cleared"
    );
    let mut copy = Browser::new(&app);
    copy.cookies.insert("kassa_session".into(), second);
    assert_eq!(
        copy.get("/dashboard").await.status,
        303,
        "a copied cookie is dead too"
    );
    app.stop().await;
}

async fn a_form_without_its_csrf_token_is_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let email = crate::helpers::next_merchant_email();
    let mut browser = Browser::new(&app);
    browser.sign_up(&email).await;
    browser.get("/dashboard/domains").await;

    let missing = browser
        .post_raw(
            "/dashboard/domains",
            &[("action", "add"), ("domain", "evil.example")],
        )
        .await;
    assert_eq!(missing.status, 403, "{}", missing.text);
    let forged = browser
        .post_raw(
            "/dashboard/domains",
            &[
                ("csrf", "forged"),
                ("action", "add"),
                ("domain", "evil.example"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    let page = browser.get("/dashboard/domains").await;
    assert!(!page.text.contains("evil.example"), "nothing was added");

    // The login form's token is bound to its cookie.
    let mut fresh = Browser::new(&app);
    fresh.get("/dashboard/login").await;
    fresh.cookies.clear();
    let login = fresh
        .post(
            "/dashboard/login",
            &[("email", &email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(login.status, 403);
    app.stop().await;
}

async fn login_is_slowed_after_repeated_wrong_passwords(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let email = crate::helpers::next_merchant_email();
    let mut owner = Browser::new(&app);
    owner.sign_up(&email).await;

    let mut attacker = Browser::new(&app);
    let mut slowed_at = None;
    for attempt in 1..=10 {
        let answer = attacker.log_in(&email, "wrong password guess").await;
        match answer.status {
            401 => assert!(answer.text.contains("Wrong e-mail address or password")),
            429 => {
                slowed_at = Some(attempt);
                assert!(answer.headers.contains_key("retry-after"));
                break;
            }
            other => panic!("unexpected {other}: {}", answer.text),
        }
    }
    // The loop stops at the 10th attempt, so a throttle seen at all is one
    // seen by the 10th failure.
    slowed_at.expect("slowed by the 10th failure");

    // While throttled, even the right password waits.
    let right = attacker.log_in(&email, PASSWORD).await;
    assert_eq!(right.status, 429, "{}", right.text);
    app.clock.advance(Duration::from_secs(16 * 60));
    let later = attacker.log_in(&email, PASSWORD).await;
    assert_eq!(later.status, 303, "{}", later.text);

    let log = attacker.get("/dashboard/security").await;
    assert!(log.text.contains("Failed login"), "{}", log.text);
    app.stop().await;
}

#[actix_web::test]
async fn one_address_trying_many_accounts_is_slowed() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let mut bot = Browser::new(&app);
    let mut statuses = Vec::new();
    for n in 0..12 {
        let answer = bot
            .log_in(&format!("nobody-{n}@shop.example"), "guess guess guess")
            .await;
        statuses.push(answer.status);
    }
    assert_eq!(&statuses[..10], &[401; 10], "{statuses:?}");
    assert_eq!(statuses[11], 429, "{statuses:?}");
    app.stop().await;
}

async fn an_idle_session_ends(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut browser = Browser::new(&app);
    browser
        .sign_up(&crate::helpers::next_merchant_email())
        .await;
    app.clock.advance(Duration::from_secs(20 * 60));
    assert_eq!(browser.get("/dashboard").await.status, 200, "still active");
    app.clock.advance(Duration::from_secs(31 * 60));
    let gone = browser.get("/dashboard").await;
    assert_eq!(gone.status, 303);
    assert_eq!(location(&gone), "/dashboard/login");
    app.stop().await;
}

#[actix_web::test]
async fn sign_up_is_closed_in_live_mode_unless_opened() {
    let Some(app) = spawn_app_with(Backend::Sqlite, go_live).await else {
        return;
    };
    let mut browser = Browser::new(&app);
    let page = browser.get("/dashboard/signup").await;
    assert_eq!(page.status, 403);
    assert!(page.text.contains("Sign-up is closed"));
    let email = crate::helpers::next_merchant_email();
    let post = browser
        .post(
            "/dashboard/signup",
            &[
                ("email", &email),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(post.status, 403);
    app.stop().await;

    let Some(app) = spawn_app_with(Backend::Sqlite, |s| {
        go_live(s);
        s.signup = Some("open".into());
    })
    .await
    else {
        return;
    };
    let mut browser = Browser::new(&app);
    assert_eq!(browser.get("/dashboard/signup").await.status, 200);
    app.stop().await;
}

#[actix_web::test]
async fn sign_up_errors_are_shown_next_to_their_fields() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let mut browser = Browser::new(&app);
    browser.get("/dashboard/signup").await;
    let short = browser
        .post(
            "/dashboard/signup",
            &[
                ("email", "a@shop.example"),
                ("password", "short"),
                ("password_confirm", "short"),
            ],
        )
        .await;
    assert_eq!(short.status, 422);
    assert!(
        short.text.contains("id=\"password-error\""),
        "{}",
        short.text
    );
    assert!(short.text.contains("aria-invalid=\"true\""));

    let bad_email = browser
        .post(
            "/dashboard/signup",
            &[
                ("email", "not-an-email"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(bad_email.status, 422);
    assert!(bad_email.text.contains("id=\"email-error\""));

    let taken = browser
        .post(
            "/dashboard/signup",
            &[
                (
                    "email",
                    &app.store
                        .merchant(app.merchant.id)
                        .await
                        .unwrap()
                        .unwrap()
                        .email
                        .to_uppercase(),
                ),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(taken.status, 422);
    assert!(taken.text.contains("An account with this address exists"));
    app.stop().await;
}

#[actix_web::test]
async fn dashboard_pages_forbid_framing_and_send_hsts_only_in_live_mode() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let mut browser = Browser::new(&app);
    let page = browser.get("/dashboard/login").await;
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("script-src 'nonce-"), "{csp}");
    assert_eq!(page.headers["x-content-type-options"], "nosniff");
    assert_eq!(page.headers["referrer-policy"], "same-origin");
    assert!(!page.headers.contains_key("strict-transport-security"));
    app.stop().await;

    let Some(app) = spawn_app_with(Backend::Sqlite, go_live).await else {
        return;
    };
    let page = Browser::new(&app).get("/dashboard/login").await;
    assert!(
        page.headers["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    app.stop().await;
}
