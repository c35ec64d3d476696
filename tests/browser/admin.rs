//! The operator's console in a real browser: an operator created at the
//! command line logs in, enrols a TOTP authenticator (the code computed as
//! an authenticator app would), logs in again with a code, switches a
//! provider off in Smart Routing, and the customer's checkout stops
//! offering the method it served; finds a merchant; watches the live
//! operations page; the audit log shows the changes. Each console page is
//! screenshotted.

use kassa::app::operators;
use kassa::clock::Clock;
use kassa::domain::audit::AuditActor;
use kassa::domain::totp::TotpSecret;
use secrecy::ExposeSecret;
use serde_json::json;

use crate::chrome::{Browser, ONE_AT_A_TIME};
use crate::helpers::{Backend, spawn_app};
use crate::journeys::created;

#[actix_web::test]
async fn an_operator_logs_in_with_totp_and_switches_off_a_provider_the_checkout_then_hides() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(browser) = Browser::start("en-US,en").await else {
        return;
    };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let operator = operators::create(
        &app.store,
        "ops@kassa.example",
        AuditActor::Cli,
        app.clock.now_ms(),
    )
    .await
    .unwrap();
    let password = operator.password.expose_secret().to_string();
    let session = created(&app, &crate::helpers::order("ADMIN-1")).await;
    let pay = session["checkout_url"].as_str().unwrap().to_string();
    browser.open(&pay).await;
    assert!(
        browser.has("a[data-method=card]").await,
        "card is offered first"
    );

    browser.open(&app.url("/admin")).await;
    browser.wait_for("#password").await;
    assert_eq!(browser.path().await, "/admin/login");
    browser.screenshot("admin-login").await;
    browser.fill("#email", "ops@kassa.example").await;
    browser.fill("#password", &password).await;
    browser.press_enter().await;
    browser.wait_for("h1").await;
    assert_eq!(browser.path().await, "/admin");
    browser.screenshot("admin-home").await;

    // Enrol: read the key off the page as a person would type it.
    browser.click("a[href='/admin/login/code']").await;
    let typed = browser.text("#totp-secret").await;
    assert!(browser.has(".qr svg").await, "a QR code to scan");
    browser.screenshot("admin-totp-enrol").await;
    let secret = TotpSecret::parse(&typed.replace(' ', "")).expect("a base32 key");
    let now = || u64::try_from(app.clock.now_ms() / 1000).unwrap();
    browser.fill("#code", &secret.code_at(now()).unwrap()).await;
    browser.press_enter().await;
    browser.wait_for("a[href='/admin/routing']").await;
    assert_eq!(browser.path().await, "/admin");
    browser.click("form[action='/admin/logout'] button").await;
    browser.wait_for("#password").await;

    // The next login asks for a code.
    app.clock.advance(std::time::Duration::from_secs(60));
    browser.fill("#email", "ops@kassa.example").await;
    browser.fill("#password", &password).await;
    browser.press_enter().await;
    browser.wait_for("#code").await;
    assert_eq!(browser.path().await, "/admin/login/code");
    assert!(!browser.has("#totp-secret").await, "no new enrolment");
    browser.screenshot("admin-totp-code").await;
    browser.fill("#code", &secret.code_at(now()).unwrap()).await;
    browser.press_enter().await;
    browser.wait_for("a[href='/admin/routing']").await;

    browser.click("a[href='/admin/routing']").await;
    browser.wait_for("#provider-sandbox").await;
    browser.screenshot("admin-routing").await;
    browser.click("#provider-sandbox button[type=submit]").await;
    browser.wait_for("p.alert.ok").await;
    assert!(
        browser
            .text("#provider-sandbox")
            .await
            .contains("switched off")
    );
    browser.screenshot("admin-routing-switched-off").await;

    browser.open(&pay).await;
    browser.wait_for("main").await;
    assert!(
        !browser.has("a[data-method=card]").await,
        "card (served by the sandbox on-ramp only) is no longer offered"
    );
    browser.screenshot("admin-checkout-without-card").await;
    assert_eq!(
        app.me().await.json()["smart_router"]["methods"]["card"]["available"],
        json!(false)
    );

    // Merchants: find the test merchant, open it.
    browser.open(&app.url("/admin/merchants")).await;
    browser.wait_for("#merchant-table").await;
    browser.screenshot("admin-merchants").await;
    browser.fill("#q", &app.merchant.id.to_string()).await;
    browser.press_enter().await;
    browser.wait_for("#merchant-count").await;
    browser.click("#merchant-table tbody a").await;
    browser.wait_for("#merchant-state").await;
    assert_eq!(
        browser.path().await,
        format!("/admin/merchants/{}", app.merchant.id)
    );
    browser.screenshot("admin-merchant").await;

    // Operations: the figures refresh over server-sent events under the CSP.
    browser.open(&app.url("/admin/operations")).await;
    browser.wait_for("#tree").await;
    let mut live = String::new();
    for _ in 0..50 {
        live = browser.text("#live-status").await;
        if live == "Live" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(live, "Live", "the event stream connected");
    browser.screenshot("admin-operations").await;
    browser.open(&app.url("/admin/attention")).await;
    browser.wait_for("h1").await;
    assert_eq!(browser.path().await, "/admin/attention");
    browser.screenshot("admin-attention").await;

    browser.open(&app.url("/admin/audit")).await;
    let log = browser.text("#audit").await;
    assert!(log.contains("routing.provider_disabled"), "{log}");
    assert!(log.contains("operator.totp_enrol"), "{log}");
    browser.screenshot("admin-audit").await;
    browser.close().await;
    app.stop().await;
}
