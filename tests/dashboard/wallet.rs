//! The payout wallet page: the password asked again, the cool-off shown
//! with its cancel button, the API's address rules.

use std::time::Duration;

use kassa::clock::Clock;

use super::browser::{Browser, PASSWORD, location};
use crate::helpers::{Backend, spawn_app_with};
use crate::on_both_backends;

const W1: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const W2: &str = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359";

on_both_backends!(
    a_wallet_change_waits_out_the_cool_off_and_can_be_cancelled,
    a_wallet_change_needs_the_password_and_a_polygon_address,
);

async fn a_wallet_change_waits_out_the_cool_off_and_can_be_cancelled(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| s.payout_wallet_cooloff_hours = Some(24)).await
    else {
        return;
    };
    let email = crate::helpers::next_merchant_email();
    let mut browser = Browser::new(&app);
    browser.sign_up(&email).await;
    let page = browser.get("/dashboard/wallet").await;
    assert!(page.text.contains("No payout wallet yet"), "{}", page.text);

    let first = browser
        .post(
            "/dashboard/wallet",
            &[("action", "change"), ("wallet", W1), ("current", PASSWORD)],
        )
        .await;
    assert_eq!(
        location(&first),
        "/dashboard/wallet?done=now",
        "a first wallet is at once"
    );

    let second = browser
        .post(
            "/dashboard/wallet",
            &[("action", "change"), ("wallet", W2), ("current", PASSWORD)],
        )
        .await;
    assert_eq!(location(&second), "/dashboard/wallet?done=scheduled");
    let page = browser.get("/dashboard/wallet?done=scheduled").await;
    assert!(
        page.text.contains(&format!("id=\"wallet-in-force\">{W1}<")),
        "{}",
        page.text
    );
    assert!(page.text.contains("id=\"pending\""));
    assert!(page.text.contains(W2));

    let cancel = browser
        .post("/dashboard/wallet", &[("action", "cancel")])
        .await;
    assert_eq!(location(&cancel), "/dashboard/wallet?done=cancelled");
    let page = browser.get("/dashboard/wallet").await;
    assert!(!page.text.contains("id=\"pending\""));
    app.clock.advance(Duration::from_secs(25 * 3600));
    let merchant = app
        .store
        .merchant_id_by_email(&email)
        .await
        .unwrap()
        .unwrap();
    let m = app.store.merchant(merchant).await.unwrap().unwrap();
    assert_eq!(
        m.payout_wallet(app.clock.now_ms()).unwrap().checksummed(),
        W1,
        "a cancelled change never takes effect"
    );

    // Asked again, it takes effect only after the cool-off.
    let mut browser = Browser::new(&app);
    browser.log_in(&email, PASSWORD).await;
    browser.get("/dashboard/wallet").await;
    browser
        .post(
            "/dashboard/wallet",
            &[("action", "change"), ("wallet", W2), ("current", PASSWORD)],
        )
        .await;
    app.clock.advance(Duration::from_secs(23 * 3600));
    let m = app.store.merchant(merchant).await.unwrap().unwrap();
    assert_eq!(
        m.payout_wallet(app.clock.now_ms()).unwrap().checksummed(),
        W1
    );
    app.clock.advance(Duration::from_secs(2 * 3600));
    let m = app.store.merchant(merchant).await.unwrap().unwrap();
    assert_eq!(
        m.payout_wallet(app.clock.now_ms()).unwrap().checksummed(),
        W2
    );

    let mut browser = Browser::new(&app);
    browser.log_in(&email, PASSWORD).await;
    let log = browser.get("/dashboard/security").await;
    assert!(log.text.contains("Payout wallet change requested"));
    assert!(log.text.contains("Payout wallet change cancelled"));
    app.stop().await;
}

async fn a_wallet_change_needs_the_password_and_a_polygon_address(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |_| {}).await else {
        return;
    };
    let mut browser = Browser::new(&app);
    browser
        .sign_up(&crate::helpers::next_merchant_email())
        .await;
    browser.get("/dashboard/wallet").await;
    let wrong = browser
        .post(
            "/dashboard/wallet",
            &[
                ("action", "change"),
                ("wallet", W1),
                ("current", "not the password"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.text);
    assert!(wrong.text.contains("id=\"current-error\""));
    assert!(
        wrong.text.contains("No payout wallet yet"),
        "nothing changed"
    );
    let bad = browser
        .post(
            "/dashboard/wallet",
            &[
                ("action", "change"),
                ("wallet", "0x1234"),
                ("current", PASSWORD),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.text.contains("id=\"wallet-error\""));
    let missing = browser
        .post_raw("/dashboard/wallet", &[("action", "cancel")])
        .await;
    assert_eq!(missing.status, 403, "no CSRF token");
    app.stop().await;
}
