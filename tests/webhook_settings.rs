//! The webhook settings the dashboard will call (`app::merchants::webhooks`):
//! a test sent now reports what the endpoint answered (status, latency, a
//! timeout) and is logged like any delivery; the log pages newest first;
//! a resend only reaches the merchant's own events; statuses and secret
//! rotation go through the same rules as the CLI.

use std::time::Duration;

use kassa::app::merchants::webhooks::{
    resend_webhook, rotate_webhook_secret, send_test_webhook_now, set_webhook_statuses, webhook_log,
};
use kassa::app::merchants::{FieldError, MerchantError, WebhookTargets, queue_test_webhook};
use kassa::clock::Clock;
use kassa::domain::signature;
use kassa::webhooks::delivery::Deliverer;
use serde_json::json;

use crate::helpers::{
    Backend, MerchantSpec, TestApp, create_merchant, kassa, point_merchant_at, spawn_app_with,
    stderr, stdout,
};
use crate::on_both_backends;
use crate::receiver::Receiver;

on_both_backends!(
    a_test_sent_now_reports_the_answer_and_is_logged_like_any_delivery,
    the_log_pages_newest_first_and_a_resend_reaches_only_the_merchants_own_events,
);

const TARGETS: WebhookTargets = WebhookTargets {
    https_only: false,
    allow_private: true,
};

async fn app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |s| {
        s.webhook_allow_private = true;
        s.webhook_tick_ms = 20;
    })
    .await
}

fn deliverer() -> Deliverer {
    Deliverer::new(Duration::from_secs(15), true, false, 1).unwrap()
}

async fn a_test_sent_now_reports_the_answer_and_is_logged_like_any_delivery(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let receiver = Receiver::start().await;
    point_merchant_at(&app, app.merchant.id, &receiver.url).await;
    let id = app.merchant.id;
    let d = deliverer();

    let ok = send_test_webhook_now(
        &app.store,
        &d,
        id,
        Duration::from_secs(5),
        app.clock.now_ms(),
    )
    .await
    .unwrap();

    assert!(ok.delivered, "{ok:?}");
    assert_eq!(ok.http_status, Some(200));
    assert!(ok.latency_ms >= 0);
    assert_eq!(ok.error, None);
    assert_eq!(ok.url, receiver.url);
    let got = receiver.all();
    assert_eq!(got.len(), 1, "delivered once, synchronously");
    let expected = signature::x_signature(&app.merchant.webhook_secret, &got[0].body);
    assert_eq!(got[0].header("x-signature"), Some(expected.as_str()));
    assert_eq!(got[0].json()["status"], json!("test"));
    assert_eq!(got[0].json()["event_id"], json!(ok.event_id));

    receiver.answer_next(&[(500, Duration::ZERO)]);
    let failed = send_test_webhook_now(
        &app.store,
        &d,
        id,
        Duration::from_secs(5),
        app.clock.now_ms(),
    )
    .await
    .unwrap();
    assert!(!failed.delivered);
    assert_eq!(failed.http_status, Some(500));

    receiver.answer_next(&[(200, Duration::from_secs(3))]);
    let slow = send_test_webhook_now(
        &app.store,
        &d,
        id,
        Duration::from_millis(300),
        app.clock.now_ms(),
    )
    .await
    .unwrap();
    assert!(!slow.delivered);
    assert_eq!(slow.http_status, None);
    assert!(
        slow.error.as_deref().unwrap().contains("timed out"),
        "{slow:?}"
    );
    assert!(slow.latency_ms < 2_000, "the short timeout holds: {slow:?}");

    let log = webhook_log(&app.store, id, None, 10).await.unwrap();
    let seen: Vec<(&str, &str, i32, Option<i32>)> = log
        .entries
        .iter()
        .map(|e| {
            (
                e.event_id.as_str(),
                e.state.as_str(),
                e.attempts,
                e.last_http_status,
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (slow.event_id.as_str(), "dead", 1, None),
            (failed.event_id.as_str(), "dead", 1, Some(500)),
            (ok.event_id.as_str(), "delivered", 1, Some(200)),
        ]
    );
    assert!(
        log.entries[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("timed out")
    );
    assert_eq!(log.entries[1].last_error.as_deref(), Some("HTTP 500"));

    let other = create_merchant(&app.store, MerchantSpec::default()).await;
    let none = send_test_webhook_now(
        &app.store,
        &d,
        other.id,
        Duration::from_secs(1),
        app.clock.now_ms(),
    )
    .await;
    assert!(
        matches!(none, Err(MerchantError::NoWebhookEndpoint(m)) if m == other.id),
        "{none:?}"
    );
    receiver.stop().await;
    app.stop().await;
}

async fn the_log_pages_newest_first_and_a_resend_reaches_only_the_merchants_own_events(
    backend: Backend,
) {
    let Some(app) = app(backend).await else {
        return;
    };
    let receiver = Receiver::start().await;
    point_merchant_at(&app, app.merchant.id, &receiver.url).await;
    let id = app.merchant.id;
    let d = deliverer();
    receiver.answer_by_default(503, Duration::ZERO);
    let mut made = Vec::new();
    for _ in 0..3 {
        let t = send_test_webhook_now(
            &app.store,
            &d,
            id,
            Duration::from_secs(5),
            app.clock.now_ms(),
        )
        .await
        .unwrap();
        made.push(t.event_id);
    }
    let other = create_merchant(&app.store, MerchantSpec::default()).await;
    let theirs = queue_test_webhook(&app.store, other.id, app.clock.now_ms())
        .await
        .unwrap();

    let first = webhook_log(&app.store, id, None, 2).await.unwrap();
    let second = webhook_log(&app.store, id, first.next_before, 2)
        .await
        .unwrap();

    let ids = |page: &kassa::app::merchants::webhooks::LogPage| -> Vec<String> {
        page.entries.iter().map(|e| e.event_id.clone()).collect()
    };
    assert_eq!(ids(&first), vec![made[2].clone(), made[1].clone()]);
    assert!(first.next_before.is_some());
    assert_eq!(ids(&second), vec![made[0].clone()]);
    assert_eq!(second.next_before, None);
    assert!(
        !ids(&first).contains(&theirs) && !ids(&second).contains(&theirs),
        "another merchant's event is not in the log"
    );

    let refused = resend_webhook(&app.store, id, &theirs, app.clock.now_ms()).await;
    assert!(
        matches!(&refused, Err(MerchantError::EventNotFound(e)) if *e == theirs),
        "{refused:?}"
    );
    let unknown = resend_webhook(&app.store, id, "evt_nope", app.clock.now_ms()).await;
    assert!(matches!(unknown, Err(MerchantError::EventNotFound(_))));

    receiver.answer_by_default(200, Duration::ZERO);
    let before = receiver.count();
    resend_webhook(&app.store, id, &made[0], app.clock.now_ms())
        .await
        .unwrap();
    let got = receiver.wait_for(before + 1, Duration::from_secs(10)).await;
    assert_eq!(got.last().unwrap().json()["event_id"], json!(made[0]));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let log = webhook_log(&app.store, id, None, 10).await.unwrap();
        let entry = log
            .entries
            .iter()
            .find(|e| e.event_id == made[0])
            .unwrap()
            .clone();
        if entry.state == "delivered" {
            assert_eq!(entry.last_http_status, Some(200));
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{entry:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    receiver.stop().await;
    app.stop().await;
}

#[actix_web::test]
async fn statuses_and_a_rotated_secret_go_through_the_same_rules() {
    let Some(app) = app(Backend::Sqlite).await else {
        return;
    };
    let receiver = Receiver::start().await;
    point_merchant_at(&app, app.merchant.id, &receiver.url).await;
    let id = app.merchant.id;
    let now = app.clock.now_ms();

    let chosen = set_webhook_statuses(&app.store, id, "Paid, expired", TARGETS, now)
        .await
        .unwrap();
    assert_eq!(chosen, vec!["paid".to_string(), "expired".to_string()]);
    let bad = set_webhook_statuses(&app.store, id, "paid,shipped", TARGETS, now).await;
    assert!(
        matches!(&bad, Err(MerchantError::Field(FieldError::WebhookStatus(s))) if s == "shipped"),
        "{bad:?}"
    );
    let hook = app.store.merchant_hook(id, now).await.unwrap().unwrap();
    assert_eq!(
        hook.statuses,
        Some(vec!["paid".to_string(), "expired".to_string()])
    );

    let rotated = rotate_webhook_secret(&app.store, id, Duration::from_secs(3_600), TARGETS, now)
        .await
        .unwrap();
    assert!(rotated.secret.starts_with("whsec_"));
    assert_ne!(rotated.secret, app.merchant.webhook_secret);
    assert_eq!(rotated.previous_valid_until_ms, now + 3_600_000);
    let hook = app.store.merchant_hook(id, now).await.unwrap().unwrap();
    assert_eq!(
        hook.secrets,
        vec![rotated.secret.clone(), app.merchant.webhook_secret.clone()]
    );

    let sent = send_test_webhook_now(&app.store, &deliverer(), id, Duration::from_secs(5), now)
        .await
        .unwrap();
    assert!(sent.delivered);
    let got = receiver.all();
    let expected = signature::x_signature(&rotated.secret, &got[0].body);
    assert_eq!(got[0].header("x-signature"), Some(expected.as_str()));
    let standard = got[0].header("webhook-signature").unwrap();
    assert_eq!(
        standard.split(' ').count(),
        2,
        "both secrets sign during the window: {standard}"
    );
    receiver.stop().await;
    app.stop().await;
}

#[actix_web::test]
async fn the_cli_sends_a_test_now_and_prints_the_answer() {
    let Some(app) = app(Backend::Sqlite).await else {
        return;
    };
    let receiver = Receiver::start().await;
    point_merchant_at(&app, app.merchant.id, &receiver.url).await;
    let id = app.merchant.id.to_string();
    let env = [
        ("KASSA_DATABASE_URL", app.db.url.as_str()),
        ("KASSA_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("KASSA_LOG", "error"),
    ];
    let args = ["webhooks", "test", "--merchant", &id, "--now"];

    let ok = kassa(&args, &env).await;
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(stdout(&ok).contains("HTTP 200 in"), "{}", stdout(&ok));
    assert_eq!(receiver.count(), 1, "delivered before the command returned");

    receiver.answer_next(&[(500, Duration::ZERO)]);
    let failed = kassa(&args, &env).await;
    assert!(!failed.status.success());
    assert!(
        stderr(&failed).contains("HTTP 500") && stderr(&failed).contains("not delivered"),
        "{}",
        stderr(&failed)
    );
    receiver.stop().await;
    app.stop().await;
}
