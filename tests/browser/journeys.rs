//! Paying in the browser: by card through the sandbox on-ramp, and on the
//! crypto screen.

use std::time::Duration;

use kassa::domain::signature;
use serde_json::{Value, json};

use crate::chrome::{Browser, ONE_AT_A_TIME};
use crate::helpers::{Backend, TestApp, order, point_merchant_at, spawn_app, spawn_app_with};
use crate::receiver::Receiver;

pub async fn created(app: &TestApp, body: &Value) -> Value {
    let answer = app.create_session(body).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json()
}

#[actix_web::test]
async fn a_customer_pays_by_card_on_the_sandbox_onramp_and_returns_to_the_shop() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(browser) = Browser::start("en-US,en").await else {
        return;
    };
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.webhook_allow_private = true;
        s.webhook_tick_ms = 20;
    })
    .await
    .unwrap();
    let shop = Receiver::start().await;
    point_merchant_at(&app, app.merchant.id, &shop.url).await;
    let mut body = order("BR-1");
    body["return_url"] = json!("https://shop.example/thank-you?order=1");
    let session = created(&app, &body).await;
    let id = session["session_id"].as_i64().unwrap();

    browser
        .open(session["checkout_url"].as_str().unwrap())
        .await;
    assert!(browser.text("header h1").await.contains("Test Shop"));
    assert!(browser.text(".amount strong").await.contains("79.00"));
    browser.screenshot("checkout-open").await;
    browser.click("a[data-method=card]").await;
    browser.wait_for("#pay").await;
    assert!(browser.path().await.ends_with("/sandbox/onramp"));
    browser.screenshot("sandbox-onramp").await;
    browser.click("#pay").await;
    browser.wait_for("#state[data-state=paid]").await;
    browser.screenshot("checkout-paid").await;
    let landed = browser.wait_for_url("https://shop.example/thank-you").await;

    assert_eq!(
        landed,
        format!("https://shop.example/thank-you?order=1&session_id={id}")
    );
    assert_eq!(app.session_status(id).await, "paid");
    let paid = paid_event(&shop).await;
    let event = paid.json();
    assert_eq!(event["session_id"], json!(id));
    assert_eq!(event["order_id"], json!("BR-1"));
    assert_eq!(
        paid.header("x-signature"),
        Some(signature::x_signature(&app.merchant.webhook_secret, &paid.body).as_str()),
        "the shop can verify the webhook"
    );
    browser.close().await;
    shop.stop().await;
    app.stop().await;
}

/// The `paid` event among the deliveries the shop received.
async fn paid_event(shop: &Receiver) -> crate::receiver::Received {
    for _ in 0..200 {
        if let Some(paid) = shop
            .all()
            .into_iter()
            .find(|r| r.json()["status"] == json!("paid"))
        {
            return paid;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no paid webhook reached the shop: {:?}", shop.all());
}

#[actix_web::test]
async fn the_crypto_screen_shows_address_and_qr_and_turns_paid() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(browser) = Browser::start("en-US,en").await else {
        return;
    };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let session = created(&app, &order("BR-2")).await;
    let id = session["session_id"].as_i64().unwrap();

    browser
        .open(&app.url(&format!("/crypto.php?session={id}")))
        .await;
    assert_eq!(
        browser.text("#address").await,
        session["polygon_address_in"].as_str().unwrap()
    );
    assert!(browser.has(".qr svg").await);
    assert!(browser.text("#usdc-amount").await.contains("USDC"));
    browser.screenshot("crypto-open").await;
    // Paid elsewhere (the API): the open page notices by itself.
    app.sandbox_pay(json!({"session_id": id})).await;
    browser.wait_for("#state[data-state=paid]").await;
    browser.screenshot("crypto-paid").await;

    // A second session paid with the page's own "Simulate payment" button.
    let other = created(&app, &order("BR-3")).await;
    let other_id = other["session_id"].as_i64().unwrap();
    browser
        .open(&app.url(&format!("/crypto.php?session={other_id}")))
        .await;
    browser.click("#simulate").await;
    browser.wait_for("#state[data-state=paid]").await;
    assert_eq!(app.session_status(other_id).await, "paid");
    browser.close().await;
    app.stop().await;
}
