//! Selling without an integration, in a real browser: the merchant creates
//! a payment link in the dashboard, a customer opens it, pays by card on the
//! sandbox on-ramp, and the merchant sees the paid use on the link's page
//! while the shop's endpoint receives the webhook naming the link, and
//! follows the paid session to its timeline and webhook attempts; then a
//! product is created and bought from its landing page. Each page is
//! screenshotted.

use secrecy::SecretString;
use serde_json::json;

use crate::chrome::{Browser, ONE_AT_A_TIME};
use crate::helpers::{Backend, point_merchant_at, spawn_app_with};
use crate::receiver::Receiver;

const PASSWORD: &str = "storefront passphrase 1";

#[actix_web::test]
async fn a_payment_link_made_in_the_dashboard_is_paid_by_a_customer_and_a_product_is_bought() {
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
    let now = kassa::clock::Clock::now_ms(&*app.clock);
    kassa::app::merchants::password::set_password(
        &app.store,
        app.merchant.id,
        SecretString::from(PASSWORD),
        now,
    )
    .await
    .unwrap();
    let email = app
        .store
        .merchant(app.merchant.id)
        .await
        .unwrap()
        .unwrap()
        .email;

    browser.open(&app.url("/dashboard/login")).await;
    browser.fill("#email", &email).await;
    browser.fill("#password", PASSWORD).await;
    browser.press_enter().await;
    browser.wait_for("#checklist").await;

    browser.open(&app.url("/dashboard/links")).await;
    browser.fill("#title", "Workshop seat").await;
    browser.fill("#amount", "49.00").await;
    browser.fill("#max_uses", "20").await;
    browser.screenshot("links-new").await;
    browser
        .click("form[action='/dashboard/links'] button[type=submit]")
        .await;
    let url = browser.text("#link-url").await;
    assert!(url.starts_with(&app.url("/l/")), "{url}");
    assert!(browser.has(".qr svg").await, "a QR code");
    assert_eq!(browser.text("#paid-uses").await, "0");
    browser.screenshot("link-share").await;
    let link_page = browser.path().await;

    browser.open(&url).await;
    assert!(browser.text("h1").await.contains("Workshop seat"));
    assert!(browser.text("#amount").await.contains("49.00"));
    browser.screenshot("link-customer").await;
    browser.click("button.pay").await;
    browser.wait_for("a[data-method=card]").await;
    assert!(browser.path().await.starts_with("/pay.php"));
    browser.screenshot("link-checkout").await;
    browser.click("a[data-method=card]").await;
    browser.wait_for("#pay").await;
    browser.click("#pay").await;
    browser.wait_for("#state[data-state=paid]").await;
    browser.screenshot("link-paid").await;

    let mut hook = None;
    for _ in 0..100 {
        hook = shop
            .all()
            .into_iter()
            .map(|r| r.json())
            .find(|j| j["status"] == json!("paid"));
        if hook.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let hook = hook.expect("the shop receives the paid webhook");
    assert_eq!(hook["source"], json!("link"));
    assert!(hook["order_id"].as_str().unwrap().starts_with("LINK-"));

    browser.open(&app.url(&link_page)).await;
    assert_eq!(
        browser.text("#paid-uses").await,
        "1",
        "the paid use is counted"
    );
    browser.screenshot("link-used").await;

    // The merchant follows the paid session: the list filtered to link
    // sessions, then its timeline with the webhook attempts.
    let order_id = hook["order_id"].as_str().unwrap().to_string();
    browser
        .open(&app.url("/dashboard/sessions?source=link"))
        .await;
    let listed = browser.text("#sessions tbody").await;
    assert!(listed.contains(&order_id), "{listed}");
    assert!(listed.contains("paid"), "{listed}");
    browser.screenshot("link-sessions").await;
    browser.click("#sessions tbody a").await;
    browser.wait_for("#timeline-list").await;
    let detail = browser.path().await;
    assert_eq!(browser.text("#session-status").await, "paid");
    // The attempt is recorded just after the shop answers; reload until then.
    let mut timeline = browser.text("#timeline-list").await;
    for _ in 0..50 {
        if timeline.contains("Webhook attempt 1") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        browser.open(&app.url(&detail)).await;
        timeline = browser.text("#timeline-list").await;
    }
    for step in ["Created", "Paid", "Webhook attempt 1: HTTP 200"] {
        assert!(timeline.contains(step), "{step} missing from: {timeline}");
    }
    assert!(
        browser
            .has("#timeline-list button[aria-label^='Resend webhook']")
            .await,
        "a resend button beside the webhook event"
    );
    browser.screenshot("link-session-timeline").await;

    browser.open(&app.url("/dashboard/products")).await;
    browser.fill("#name", "Linen apron").await;
    browser
        .fill("#description", "Washed linen, one size.")
        .await;
    browser.fill("#price", "35.00").await;
    browser
        .click("form[action='/dashboard/products'] button[type=submit]")
        .await;
    let page = browser.text("#page-url").await;
    browser.screenshot("product-share").await;
    browser.open(&page).await;
    assert!(browser.text("h1").await.contains("Linen apron"));
    assert!(browser.text(".price").await.contains("35.00"));
    browser.screenshot("product-landing").await;
    browser.click("button.pay").await;
    browser.wait_for("a[data-method=card]").await;
    assert!(browser.text(".amount strong").await.contains("35.00"));
    browser.screenshot("product-checkout").await;

    browser.close().await;
    shop.stop().await;
    app.stop().await;
}
