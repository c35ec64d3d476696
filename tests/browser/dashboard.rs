//! The merchant dashboard in a real browser, as a new merchant onboards:
//! sign up → add a shop domain → set the payout wallet → checkout settings
//! → create an API key → set the webhook URL and see its test succeed →
//! security log, then create a session over the API with the key the
//! browser showed, see the shop's endpoint receive its signed webhook, and
//! find the session in the list and its timeline. Every form is filled and sent with the
//! keyboard, every field must have a label, and each page is screenshotted.

use serde_json::json;

use crate::chrome::{Browser, ONE_AT_A_TIME};
use crate::helpers::{Backend, order, read, spawn_app_with};
use crate::receiver::Receiver;

const PASSWORD: &str = "onboarding passphrase 1";
const WALLET: &str = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359";

impl Browser {
    /// Types `text` into the field `css` (focusing it first).
    async fn type_into(&self, css: &str, text: &str) {
        let field = self.wait_for(css).await;
        field.click().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Every visible form control has a label (explicit, wrapping or aria).
    async fn assert_every_field_is_labelled(&self, page: &str) {
        let unlabelled = self
            .client
            .execute(
                "return Array.from(document.querySelectorAll('input,select,textarea'))\
                 .filter(e => e.type !== 'hidden' && e.labels.length === 0 && !e.getAttribute('aria-label'))\
                 .map(e => e.name || e.id);",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(unlabelled, json!([]), "unlabelled fields on {page}");
    }
}

#[actix_web::test]
async fn a_new_merchant_onboards_in_the_dashboard_and_takes_a_session_over_the_api() {
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

    browser.open(&app.url("/dashboard/signup")).await;
    browser.assert_every_field_is_labelled("sign-up").await;
    browser.screenshot("dashboard-signup").await;
    browser.type_into("#email", "owner@tulip.example").await;
    browser.type_into("#password", PASSWORD).await;
    browser.type_into("#password_confirm", PASSWORD).await;
    browser.press_enter().await;
    let first_key = browser.text("#api-key").await;
    assert!(first_key.starts_with("kassa_"), "{first_key}");
    browser.screenshot("dashboard-welcome").await;
    assert!(
        browser.tab_to("a[href='/dashboard']").await,
        "reachable by keyboard"
    );
    browser.press_enter().await;
    browser.wait_for("#checklist").await;
    browser.screenshot("dashboard-overview").await;

    browser.open(&app.url("/dashboard/domains")).await;
    browser.assert_every_field_is_labelled("domains").await;
    browser
        .type_into("#domain", "https://www.Tulip.example/shop")
        .await;
    browser.press_enter().await;
    browser.wait_for("p.alert.ok").await;
    assert!(browser.text("table").await.contains("tulip.example"));
    browser.screenshot("dashboard-domains").await;

    browser.open(&app.url("/dashboard/wallet")).await;
    browser.assert_every_field_is_labelled("wallet").await;
    browser.type_into("#wallet", WALLET).await;
    browser.type_into("#current", PASSWORD).await;
    browser.press_enter().await;
    assert_eq!(browser.text("#wallet-in-force").await, WALLET);
    browser.screenshot("dashboard-wallet").await;

    browser.open(&app.url("/dashboard/checkout")).await;
    browser.assert_every_field_is_labelled("checkout").await;
    browser.type_into("#display_name", "Tulip Store").await;
    browser.type_into("#accent_color", "#0f7b4a").await;
    browser.press_enter().await;
    browser.wait_for("p.alert.ok").await;
    assert!(browser.text("#preview").await.contains("Tulip Store"));
    browser.screenshot("dashboard-checkout").await;

    browser.open(&app.url("/dashboard")).await;
    let overview = browser.text("#main").await;
    assert!(
        overview.contains("1 step left"),
        "only the webhook is left: {overview}"
    );

    browser.open(&app.url("/dashboard/api-keys")).await;
    browser.assert_every_field_is_labelled("api keys").await;
    browser.type_into("#label", "shop production").await;
    browser.type_into("#current", PASSWORD).await;
    browser.press_enter().await;
    let key = browser.text("#api-key").await;
    assert!(key.starts_with("kassa_") && key != first_key, "{key}");
    browser.screenshot("dashboard-api-keys").await;

    browser.open(&app.url("/dashboard/webhooks")).await;
    browser.assert_every_field_is_labelled("webhooks").await;
    browser.type_into("#url", &shop.url).await;
    browser.type_into("#current", PASSWORD).await;
    browser.press_enter().await;
    browser.wait_for("p.alert.ok").await;
    browser
        .click("form[action='/dashboard/webhooks/test'] button")
        .await;
    let outcome = browser.text("#test-outcome").await;
    assert!(
        outcome.contains("Delivered") && outcome.contains("HTTP 200"),
        "{outcome}"
    );
    browser.screenshot("dashboard-webhooks").await;

    browser.open(&app.url("/dashboard")).await;
    assert!(browser.text("#main").await.contains("Everything is set"));
    browser.screenshot("dashboard-overview-done").await;

    browser.open(&app.url("/dashboard/security")).await;
    browser.assert_every_field_is_labelled("security").await;
    let log = browser.text("#main").await;
    assert!(log.contains("Account created"), "{log}");
    assert!(log.contains("Shop domains changed"));
    browser.screenshot("dashboard-security").await;

    let mut body = order("TULIP-1");
    body["domain"] = json!("tulip.example");
    let mut created = None;
    for _ in 0..40 {
        let answer = read(
            app.client
                .post(app.url("/gateway/session.php"))
                .bearer_auth(&key)
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await;
        if answer.status == 200 {
            created = Some(answer);
            break;
        }
        // The API caches a key's merchant for up to a second.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let created = created
        .expect("the API takes a session with the new settings")
        .json();
    browser
        .open(created["checkout_url"].as_str().unwrap())
        .await;
    assert!(browser.text("header h1").await.contains("Tulip Store"));
    browser.screenshot("dashboard-made-checkout").await;
    let id = created["session_id"].clone();
    let paid = app.sandbox_pay(json!({ "session_id": id })).await;
    assert_eq!(paid.status, 200, "{}", paid.text);
    let mut delivered = false;
    for _ in 0..100 {
        if shop
            .all()
            .iter()
            .any(|r| r.json()["session_id"] == id && r.json()["status"] == json!("paid"))
        {
            delivered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(delivered, "the shop's endpoint receives the paid webhook");

    browser.open(&app.url("/dashboard/sessions")).await;
    browser.assert_every_field_is_labelled("sessions").await;
    let list = browser.text("#sessions").await;
    assert!(
        list.contains(&id.to_string()) && list.contains("TULIP-1"),
        "{list}"
    );
    browser.screenshot("dashboard-sessions").await;
    let session_page = app.url(&format!("/dashboard/sessions/{id}"));
    let mut timeline = String::new();
    for _ in 0..50 {
        browser.open(&session_page).await;
        timeline = browser.text("#timeline-list").await;
        if timeline.contains("HTTP 200") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    for step in [
        "Created",
        "Deposit seen",
        "Paid",
        "Webhook attempt 1: HTTP 200",
    ] {
        assert!(timeline.contains(step), "{step}: {timeline}");
    }
    browser.screenshot("dashboard-session").await;

    browser.close().await;
    shop.stop().await;
    app.stop().await;
}
