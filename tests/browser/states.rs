//! What the browser shows besides paying: languages and the iDEAL country
//! rule, a refused provider override, an expired session.

use std::time::Duration;

use crate::chrome::{Browser, ONE_AT_A_TIME};
use crate::helpers::{Backend, spawn_app, spawn_app_with_routing_file};

#[actix_web::test]
async fn a_dutch_customer_sees_ideal_and_dutch_and_a_german_one_no_ideal() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(dutch) = Browser::start("nl-NL,nl").await else {
        return;
    };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let id = app.new_session("BR-4").await;
    let checkout = app.url(&format!("/pay.php?session={id}"));

    dutch.open(&checkout).await;
    assert!(dutch.has("a[data-method=ideal]").await);
    assert_eq!(dutch.text("#choose").await, "Kies hoe je wilt betalen");
    dutch.screenshot("checkout-nl").await;
    dutch.close().await;

    let german = Browser::start("de-DE,de").await.unwrap();
    german.open(&checkout).await;
    german.wait_for("a[data-method=card]").await;
    assert!(!german.has("a[data-method=ideal]").await);
    assert_eq!(german.text("#choose").await, "Wählen Sie eine Zahlungsart");
    // The visible switch: the same page in English.
    german.click("footer a[hreflang=en]").await;
    german.wait_for("html[lang=en]").await;
    assert_eq!(german.text("#choose").await, "Choose how to pay");
    german.screenshot("checkout-de-switched-to-en").await;
    german.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn a_blocked_provider_override_shows_the_refusal_page() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(browser) = Browser::start("en-US,en").await else {
        return;
    };
    let (app, _file, _dir) = spawn_app_with_routing_file("").await.unwrap();
    crate::helpers::block_provider_for(&app, app.merchant.id, "sandbox").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let id = app.new_session("BR-5").await;

    browser
        .open(&app.url(&format!(
            "/pay.php?session={id}&method=card&provider=sandbox"
        )))
        .await;

    let error = browser.wait_for("#error").await;
    assert_eq!(
        error.attr("data-reason").await.unwrap().as_deref(),
        Some("blocked_for_merchant")
    );
    assert!(
        browser.path().await.ends_with("/pay.php"),
        "no redirect elsewhere"
    );
    browser.screenshot("override-refused").await;
    browser.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn an_expired_session_shows_the_expired_state() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(browser) = Browser::start("en-US,en").await else {
        return;
    };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let id = app.new_session("BR-6").await;
    app.clock.advance(Duration::from_secs(16 * 60));

    browser
        .open(&app.url(&format!("/pay.php?session={id}")))
        .await;

    browser.wait_for("#state[data-state=expired]").await;
    assert!(!browser.has("a[data-method=card]").await);
    browser.screenshot("checkout-expired").await;
    browser.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn a_customer_who_cancels_lands_on_the_cancel_url_and_the_checkout_says_cancelled() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(browser) = Browser::start("en-US,en").await else {
        return;
    };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let mut body = crate::helpers::order("BR-7");
    body["cancel_url"] = serde_json::json!("https://shop.example/cart?step=2");
    let id = app.create_session(&body).await.json()["session_id"]
        .as_i64()
        .unwrap();
    let checkout = app.url(&format!("/pay.php?session={id}"));

    browser.open(&checkout).await;
    browser.click("#cancel").await;
    let landed = browser.wait_for_url("https://shop.example/").await;
    browser.open(&checkout).await;

    assert_eq!(landed, "https://shop.example/cart?step=2");
    browser.wait_for("#state[data-state=cancelled]").await;
    assert!(!browser.has("a[data-method=card]").await);
    assert_eq!(app.session_status(id).await, "cancelled");
    browser.screenshot("checkout-cancelled").await;
    browser.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn a_keyboard_user_reaches_a_method_and_pays_without_a_mouse() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(browser) = Browser::start("en-US,en").await else {
        return;
    };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let id = app.new_session("BR-8").await;

    browser
        .open(&app.url(&format!("/pay.php?session={id}")))
        .await;
    assert!(
        browser.tab_to("a[data-method=card]").await,
        "Tab reaches the card method"
    );
    browser.press_enter().await;
    browser.wait_for("#pay").await;
    assert!(browser.tab_to("#pay").await, "Tab reaches the Pay button");
    browser.press_enter().await;

    browser.wait_for("#state[data-state=paid]").await;
    assert_eq!(app.session_status(id).await, "paid");
    browser.close().await;
    app.stop().await;
}
