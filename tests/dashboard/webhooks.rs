//! The webhooks page: the URL saved (SSRF-checked, error next to the
//! field), the test webhook's result shown inline, the log with a working
//! Resend, the password asked again, and a form without CSRF refused.

use std::time::Duration;

use super::browser::{Browser, PASSWORD, location};
use crate::helpers::{Backend, next_merchant_email, spawn_app, spawn_app_with};
use crate::on_both_backends;
use crate::receiver::Receiver;

on_both_backends!(
    a_saved_url_receives_the_test_webhook_and_its_event_can_be_resent,
    a_private_url_is_refused_next_to_its_field_when_not_allowed,
    a_wrong_password_or_a_missing_csrf_token_changes_nothing,
    another_merchants_event_cannot_be_resent,
);

async fn a_saved_url_receives_the_test_webhook_and_its_event_can_be_resent(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| {
        s.webhook_allow_private = true;
        s.webhook_tick_ms = 20;
    })
    .await
    else {
        return;
    };
    let receiver = Receiver::start().await;
    let mut browser = Browser::new(&app);
    browser.sign_up(&next_merchant_email()).await;
    browser.get("/dashboard/webhooks").await;

    let saved = browser
        .post(
            "/dashboard/webhooks/endpoint",
            &[
                ("url", receiver.url.as_str()),
                ("status", "paid"),
                ("status", "expired"),
                ("current", PASSWORD),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.text);
    assert_eq!(location(&saved), "/dashboard/webhooks?done=saved");
    let page = browser.get("/dashboard/webhooks?done=saved").await;
    assert!(page.text.contains(&receiver.url), "{}", page.text);
    assert!(page.text.contains("value=\"paid\" checked"));
    assert!(!page.text.contains("value=\"pending\" checked"));

    let rotated = browser
        .post("/dashboard/webhooks/secret", &[("current", PASSWORD)])
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    assert!(
        rotated.text.contains("id=\"webhook-secret\">whsec_"),
        "{}",
        rotated.text
    );
    let again = browser.get("/dashboard/webhooks").await;
    assert!(!again.text.contains("id=\"webhook-secret\""));

    let tested = browser.post("/dashboard/webhooks/test", &[]).await;
    assert_eq!(tested.status, 200, "{}", tested.text);
    assert!(tested.text.contains("Delivered to"), "{}", tested.text);
    assert!(tested.text.contains("HTTP 200"), "{}", tested.text);
    assert_eq!(receiver.count(), 1);
    let event = receiver.all()[0].json()["event_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(tested.text.contains(&event), "the event id is shown inline");

    let page = browser.get("/dashboard/webhooks").await;
    assert!(page.text.contains(&event), "{}", page.text);
    let resent = browser
        .post("/dashboard/webhooks/resend", &[("event", &event)])
        .await;
    assert_eq!(resent.status, 303, "{}", resent.text);
    assert_eq!(location(&resent), "/dashboard/webhooks?done=resent");
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 2, "the resent event arrives again");

    let log = browser.get("/dashboard/security").await;
    for line in [&receiver.url, &event] {
        assert!(log.text.contains(line.as_str()), "{}", log.text);
    }
    receiver.stop().await;
}

async fn a_private_url_is_refused_next_to_its_field_when_not_allowed(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut browser = Browser::new(&app);
    browser.sign_up(&next_merchant_email()).await;
    browser.get("/dashboard/webhooks").await;

    let refused = browser
        .post(
            "/dashboard/webhooks/endpoint",
            &[
                ("url", "http://127.0.0.1:9/hook"),
                ("status", "paid"),
                ("current", PASSWORD),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(
        refused.text.contains("id=\"url-error\""),
        "{}",
        refused.text
    );
    assert!(refused.text.contains("aria-invalid=\"true\""));
    let page = browser.get("/dashboard/webhooks").await;
    assert!(!page.text.contains("127.0.0.1:9"), "nothing was saved");
}

async fn a_wrong_password_or_a_missing_csrf_token_changes_nothing(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| s.webhook_allow_private = true).await else {
        return;
    };
    let mut browser = Browser::new(&app);
    browser.sign_up(&next_merchant_email()).await;
    browser.get("/dashboard/webhooks").await;
    let url = "http://127.0.0.1:9/hook";

    let wrong = browser
        .post(
            "/dashboard/webhooks/endpoint",
            &[
                ("url", url),
                ("status", "paid"),
                ("current", "not my password"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.text);
    assert!(
        wrong.text.contains("id=\"current-error\""),
        "{}",
        wrong.text
    );
    let rotate = browser
        .post(
            "/dashboard/webhooks/secret",
            &[("current", "not my password")],
        )
        .await;
    assert_eq!(rotate.status, 422, "{}", rotate.text);
    assert!(rotate.text.contains("id=\"secret_current-error\""));
    assert!(!rotate.text.contains("id=\"webhook-secret\""));

    let no_csrf = browser
        .post_raw(
            "/dashboard/webhooks/endpoint",
            &[("url", url), ("status", "paid"), ("current", PASSWORD)],
        )
        .await;
    assert_eq!(no_csrf.status, 403, "{}", no_csrf.text);
    let page = browser.get("/dashboard/webhooks").await;
    assert!(!page.text.contains(url), "nothing was saved");
}

async fn another_merchants_event_cannot_be_resent(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| s.webhook_allow_private = true).await else {
        return;
    };
    let receiver = Receiver::start().await;
    let mut other = Browser::new(&app);
    other.sign_up(&next_merchant_email()).await;
    other.get("/dashboard/webhooks").await;
    other
        .post(
            "/dashboard/webhooks/endpoint",
            &[
                ("url", receiver.url.as_str()),
                ("status", "paid"),
                ("current", PASSWORD),
            ],
        )
        .await;
    other.get("/dashboard/webhooks").await;
    let tested = other.post("/dashboard/webhooks/test", &[]).await;
    assert!(tested.text.contains("HTTP 200"), "{}", tested.text);
    let event = receiver.all()[0].json()["event_id"]
        .as_str()
        .unwrap()
        .to_string();

    let mut browser = Browser::new(&app);
    browser.sign_up(&next_merchant_email()).await;
    browser.get("/dashboard/webhooks").await;
    let answer = browser
        .post("/dashboard/webhooks/resend", &[("event", &event)])
        .await;
    assert_eq!(answer.status, 404, "{}", answer.text);
    receiver.stop().await;
}
