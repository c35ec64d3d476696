//! Kassa's real webhook deliveries, verified by receivers in other languages
//! (`tests/receivers/`): PHP, Node and Go written as section 5 of the
//! integration document tells merchants to, Python likewise, and the official
//! Standard Webhooks libraries (npm and PyPI) on the Node and Python
//! `/standard` routes. Each test then sends the receiver crafted copies of the
//! captured delivery (a changed body, a changed id, a stale re-signed
//! timestamp, an exact replay) and checks that they are refused.
//!
//! Runtimes are outside programs: a missing one is `skipped: …` (a failure
//! under `KASSA_TEST_REQUIRE_ALL=1`). Install them with
//! `apt-get install -y php-cli golang-go`,
//! `npm install --prefix /tmp/kassa-node express standardwebhooks` (or any
//! prefix, named by `KASSA_TEST_NODE_MODULES=PREFIX/node_modules`) and
//! `pip install standardwebhooks`.
//!
//! Receivers run as child processes; nothing here blocks the test thread
//! (the server under test shares it): commands that wait run in
//! `spawn_blocking`, and waits are `tokio::time::sleep`. The receiver side
//! lives in `tests/receivers/`: the programs, `runtime.rs` (which runtimes
//! exist), `process.rs` (running them, reading their logs) and
//! `forgeries.rs` (crafted requests).

#[path = "receivers/forgeries.rs"]
mod forgeries;
#[path = "receivers/process.rs"]
mod process;
#[path = "receivers/runtime.rs"]
mod runtime;

use kassa::clock::Clock;
use kassa::domain::api_key;
use kassa::domain::merchant::{CheckoutMode, Package};
use kassa::store::merchants::{MerchantUpdate, NewMerchant};
use serde_json::json;

use crate::helpers::{Backend, TestApp, WALLET, order, skip, spawn_app_with};
use forgeries::{
    assert_document_route_refuses_a_tampered_body, assert_standard_route_refuses_forgeries, post,
    unix_now,
};
use process::{Delivery, Receiver};
use runtime::{Lang, missing};

/// The app with deliveries to loopback receivers allowed and a fast sender.
async fn webhook_app() -> TestApp {
    spawn_app_with(Backend::Sqlite, |s| {
        s.webhook_allow_private = true;
        s.webhook_tick_ms = 20;
    })
    .await
    .unwrap()
}

/// Creates a merchant delivering to `url` with `secret`; returns (id, API key).
async fn webhook_merchant(app: &TestApp, url: String, secret: &str) -> (i64, String) {
    let key = api_key::generate();
    let id = app
        .store
        .create_merchant(
            NewMerchant {
                email: crate::helpers::next_merchant_email(),
                api_key_id: key.id.clone(),
                api_key_hash: key.hash.clone(),
                domains: vec!["shop.example".into()],
                payout_wallet: Some(WALLET.into()),
                package: Package::Pro,
                checkout_mode: CheckoutMode::SmartRouter,
                country: Some("NL".into()),
                crypto_enabled: true,
                webhook_url: Some(url),
                webhook_secret: Some(secret.to_string()),
                branding: kassa::domain::branding::Branding::named(
                    kassa::domain::branding::DisplayName::parse("Receiver Shop").unwrap(),
                ),
                password_hash: None,
            },
            app.clock.now_ms(),
        )
        .await
        .unwrap();
    (id, key.key)
}

/// Creates a session as `key` over HTTP and pays it in the sandbox.
async fn pay_a_session(app: &TestApp, key: &str, reference: &str) -> i64 {
    let created = app.create_session_as(key, &order(reference)).await;
    assert_eq!(created.status, 200, "{}", created.text);
    let id = created.json()["session_id"].as_i64().unwrap();
    let paid = app.sandbox_pay(json!({ "session_id": id })).await;
    assert_eq!(paid.status, 200, "{}", paid.text);
    id
}

/// Pays a session of a merchant delivering to `receiver`'s `path`; returns
/// what the receiver logged for the `paid` event.
async fn paid_delivery_to(
    app: &TestApp,
    receiver: &Receiver,
    path: &str,
    secret: &str,
    reference: &str,
) -> (i64, Delivery) {
    let (_, key) = webhook_merchant(app, receiver.url(path), secret).await;
    let session_id = pay_a_session(app, &key, reference).await;
    (session_id, receiver.paid_delivery(path, session_id).await)
}

/// The receiver verified and accepted a well-formed `paid` event for `session_id`.
fn assert_verified_paid_event(lang: Lang, path: &str, delivery: &Delivery, session_id: i64) {
    let d = &delivery.0;
    assert_eq!(
        (d["status"].as_i64(), d["verified"].as_bool()),
        (Some(200), Some(true)),
        "the {} receiver's {path} could not verify Kassa's delivery: {d:#?}",
        lang.name()
    );
    let body = delivery.body();
    assert_eq!(body["event"], json!("payment.session"), "{body}");
    assert_eq!(body["status"], json!("paid"), "{body}");
    assert!(
        body["session_id"].is_i64(),
        "session_id is an integer: {body}"
    );
    assert_eq!(body["session_id"].as_i64(), Some(session_id));
    assert_eq!(body["amount"], json!("79.00"), "amount is a string: {body}");
    assert_eq!(delivery.header("content-type"), "application/json");
    let sig = delivery.header("x-signature");
    assert!(
        sig.len() == 64 && sig.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')),
        "X-Signature is bare lowercase hex: {sig}"
    );
    assert_eq!(
        json!(delivery.header("webhook-id")),
        body["event_id"],
        "webhook-id is the event id"
    );
    let ts: i64 = delivery.header("webhook-timestamp").parse().unwrap();
    assert!(
        (ts - unix_now()).abs() < 120,
        "webhook-timestamp is unix seconds, now: {ts}"
    );
    assert!(
        delivery
            .header("webhook-signature")
            .split(' ')
            .all(|s| s.starts_with("v1,")),
        "{}",
        delivery.header("webhook-signature")
    );
}

/// The whole check for one receiver: its document route, and its Standard
/// Webhooks route if it has one.
async fn a_receiver_verifies_real_deliveries_and_refuses_forgeries(lang: Lang) {
    if let Some(why) = missing(lang).await {
        skip(&why);
        return;
    }
    let secret = api_key::new_webhook_secret();
    let receiver = Receiver::start(lang, &secret).await;
    let app = webhook_app().await;

    let (session_id, delivery) =
        paid_delivery_to(&app, &receiver, "/webhook", &secret, "RECEIVER_DOC").await;
    assert_verified_paid_event(lang, "/webhook", &delivery, session_id);
    assert_document_route_refuses_a_tampered_body(&app, &receiver, &delivery).await;

    if lang.has_standard_route() {
        let (session_id, delivery) =
            paid_delivery_to(&app, &receiver, "/standard", &secret, "RECEIVER_STD").await;
        assert_verified_paid_event(lang, "/standard", &delivery, session_id);
        assert_standard_route_refuses_forgeries(&app, &receiver, &delivery, &secret).await;
    }
    app.stop().await;
}

#[actix_web::test]
async fn a_php_receiver_written_from_the_document_verifies_a_delivery_and_refuses_a_tampered_one() {
    a_receiver_verifies_real_deliveries_and_refuses_forgeries(Lang::Php).await;
}

#[actix_web::test]
async fn a_go_receiver_written_from_the_document_verifies_a_delivery_and_refuses_a_tampered_one() {
    a_receiver_verifies_real_deliveries_and_refuses_forgeries(Lang::Go).await;
}

#[actix_web::test]
async fn a_node_receiver_verifies_both_signatures_and_refuses_tampering_stale_times_and_replays() {
    a_receiver_verifies_real_deliveries_and_refuses_forgeries(Lang::Node).await;
}

#[actix_web::test]
async fn a_python_receiver_verifies_both_signatures_and_refuses_tampering_stale_times_and_replays()
{
    a_receiver_verifies_real_deliveries_and_refuses_forgeries(Lang::Python).await;
}

#[actix_web::test]
async fn a_merchant_chosen_secret_without_whsec_still_keys_a_verifiable_x_signature() {
    if let Some(why) = missing(Lang::Php).await {
        skip(&why);
        return;
    }
    let secret = "my-shop's own webhook secret 2026!";
    let receiver = Receiver::start(Lang::Php, secret).await;
    let app = webhook_app().await;

    let (session_id, delivery) =
        paid_delivery_to(&app, &receiver, "/webhook", secret, "RECEIVER_OWN").await;

    assert_verified_paid_event(Lang::Php, "/webhook", &delivery, session_id);
    assert_document_route_refuses_a_tampered_body(&app, &receiver, &delivery).await;
    app.stop().await;
}

#[actix_web::test]
async fn during_a_secret_rotation_receivers_on_the_old_and_the_new_secret_both_verify() {
    if let Some(why) = missing(Lang::Python).await {
        skip(&why);
        return;
    }
    let (old, new) = (api_key::new_webhook_secret(), api_key::new_webhook_secret());
    let on_old = Receiver::start(Lang::Python, &old).await;
    let on_new = Receiver::start(Lang::Python, &new).await;
    let app = webhook_app().await;
    let (merchant_id, key) = webhook_merchant(&app, on_old.url("/standard"), &old).await;
    let now_ms = app.clock.now_ms();
    let rotation = MerchantUpdate {
        rotate_webhook_secret: Some((new.clone(), now_ms + 3_600_000)),
        ..MerchantUpdate::default()
    };
    assert!(
        app.store
            .update_merchant(merchant_id, rotation, now_ms)
            .await
            .unwrap()
    );

    let session_id = pay_a_session(&app, &key, "RECEIVER_ROTATE").await;
    let delivery = on_old.paid_delivery("/standard", session_id).await;

    assert_verified_paid_event(
        Lang::Python,
        "/standard (old secret)",
        &delivery,
        session_id,
    );
    assert_eq!(
        delivery.header("webhook-signature").split(' ').count(),
        2,
        "one v1 entry per active secret"
    );
    let copy = delivery.signed_headers();
    assert_eq!(
        post(&app, &on_new.url("/standard"), delivery.raw(), &copy).await,
        200,
        "the same delivery verifies under the new secret (Standard Webhooks)"
    );
    assert_eq!(
        post(&app, &on_new.url("/webhook"), delivery.raw(), &copy).await,
        200,
        "X-Signature is keyed by the new secret"
    );
    app.stop().await;
}

/// `signature::standard_key` decodes the part
/// after `whsec_` padding-indifferently, as both official libraries accept a
/// merchant-chosen `whsec_` secret written without its `=` padding.
#[actix_web::test]
async fn an_unpadded_whsec_secret_still_keys_a_webhook_signature_the_libraries_accept() {
    for lang in [Lang::Node, Lang::Python] {
        if let Some(why) = missing(lang).await {
            skip(&why);
            continue;
        }
        let padded = api_key::new_webhook_secret();
        let secret = padded.trim_end_matches('=');
        assert_ne!(secret, padded, "32 bytes encode with one `=` of padding");
        let receiver = Receiver::start(lang, secret).await;
        let app = webhook_app().await;

        let (session_id, delivery) =
            paid_delivery_to(&app, &receiver, "/standard", secret, "RECEIVER_UNPADDED").await;

        assert_verified_paid_event(lang, "/standard (unpadded secret)", &delivery, session_id);
        app.stop().await;
    }
}
