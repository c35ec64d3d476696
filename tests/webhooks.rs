//! Webhook delivery: signed bodies from the database, retries on the injected
//! clock, 410, timeouts, isolation between merchants, SSRF refusals.

use std::time::Duration;

use kassa::clock::Clock;
use kassa::domain::signature;
use kassa::store::merchants::MerchantUpdate;
use serde_json::json;

use crate::helpers::{Backend, TestApp, order, point_merchant_at, spawn_app_with};
use crate::on_both_backends;
use crate::receiver::Receiver;

on_both_backends!(
    a_paid_session_is_delivered_signed_with_the_documented_body,
    a_failing_receiver_gets_retries_until_it_answers,
);

async fn app_with_hooks(
    backend: Backend,
    tweak: impl FnOnce(&mut kassa::config::RawSettings),
) -> Option<TestApp> {
    spawn_app_with(backend, |s| {
        s.webhook_allow_private = true;
        s.webhook_tick_ms = 20;
        tweak(s);
    })
    .await
}

async fn a_paid_session_is_delivered_signed_with_the_documented_body(backend: Backend) {
    let Some(app) = app_with_hooks(backend, |_| {}).await else {
        return;
    };
    let receiver = Receiver::start().await;
    point_merchant_at(&app, app.merchant.id, &receiver.url).await;
    let mut body = order("HOOK_1");
    body["meta"] = json!({"cart": 55, "note": "x"});
    let id = app.create_session(&body).await.json()["session_id"]
        .as_i64()
        .unwrap();

    app.sandbox_pay(json!({ "session_id": id })).await;
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;

    let hook = &got[0];
    assert_eq!(hook.header("content-type"), Some("application/json"));
    assert!(hook.header("user-agent").unwrap().starts_with("Kassa"));
    let expected = signature::x_signature(&app.merchant.webhook_secret, &hook.body);
    assert_eq!(
        hook.header("x-signature"),
        Some(expected.as_str()),
        "bare lowercase hex HMAC of the exact body"
    );
    let event = hook.json();
    assert_eq!(event["event"], json!("payment.session"));
    assert_eq!(event["status"], json!("paid"));
    assert_eq!(event["session_id"], json!(id));
    assert_eq!(event["merchant_id"], json!(app.merchant.id));
    assert_eq!(event["order_id"], json!("HOOK_1"));
    assert_eq!(event["amount"], json!("79.00"));
    assert_eq!(event["currency"], json!("EUR"));
    assert_eq!(event["shop_domain"], json!("shop.example"));
    assert_eq!(event["email"], json!("buyer@example.com"));
    assert_eq!(event["paid_coin"], json!("USDC"));
    assert_eq!(event["paid_value_coin"], json!("85.32"));
    assert_eq!(event["test"], json!(true));
    assert_eq!(event["meta"], json!({"cart": 55, "note": "x"}));
    assert_eq!(event["source"], json!("api"));
    assert!(event["source_id"].is_null(), "{event}");
    for field in [
        "txid",
        "txid_in",
        "txid_out",
        "polygon_address_in",
        "created_at",
        "expires_at",
        "sent_at",
        "event_id",
        "sequence",
    ] {
        assert!(event.get(field).is_some(), "{field} present");
    }
    let event_id = event["event_id"].as_str().unwrap();
    assert_eq!(hook.header("webhook-id"), Some(event_id));
    let ts: i64 = hook.header("webhook-timestamp").unwrap().parse().unwrap();
    let standard =
        signature::standard_signature(&[&app.merchant.webhook_secret], event_id, ts, &hook.body);
    assert_eq!(hook.header("webhook-signature"), Some(standard.as_str()));
    receiver.stop().await;
    app.stop().await;
}

async fn a_failing_receiver_gets_retries_until_it_answers(backend: Backend) {
    let Some(app) = app_with_hooks(backend, |_| {}).await else {
        return;
    };
    let receiver = Receiver::start().await;
    receiver.answer_next(&[
        (500, Duration::ZERO),
        (500, Duration::ZERO),
        (500, Duration::ZERO),
    ]);
    point_merchant_at(&app, app.merchant.id, &receiver.url).await;
    let id = app.new_session("RETRY").await;

    app.sandbox_pay(json!({ "session_id": id })).await;
    receiver.wait_for(1, Duration::from_secs(10)).await;
    for (n, wait) in [(2, 6), (3, 6 * 60), (4, 35 * 60)] {
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(receiver.count(), n - 1, "nothing before the schedule says");
        app.clock.advance(Duration::from_secs(wait));
        receiver.wait_for(n, Duration::from_secs(10)).await;
    }

    let log = wait_delivered(&app, id).await;
    let (event, attempts) = &log[0];
    assert_eq!(event.state, "delivered");
    assert_eq!(attempts.len(), 4, "four attempts recorded");
    assert_eq!(
        attempts
            .iter()
            .filter(|a| a.http_status == Some(200))
            .count(),
        1,
        "one success"
    );
    assert_eq!(
        attempts
            .iter()
            .filter(|a| a.http_status == Some(500))
            .count(),
        3
    );
    receiver.stop().await;
    app.stop().await;
}

async fn wait_delivered(
    app: &TestApp,
    session_id: i64,
) -> Vec<(
    kassa::store::webhooks::OutboxRow,
    Vec<kassa::store::webhooks::AttemptRow>,
)> {
    for _ in 0..200 {
        let log = app.store.webhooks_of_session(session_id).await.unwrap();
        if !log.is_empty() && log.iter().all(|(e, _)| e.state != "pending") {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("webhooks of {session_id} still pending");
}

#[actix_web::test]
async fn gone_disables_the_endpoint_and_no_further_attempts_are_made() {
    let Some(app) = app_with_hooks(Backend::Sqlite, |_| {}).await else {
        return;
    };
    let receiver = Receiver::start().await;
    receiver.answer_by_default(410, Duration::ZERO);
    point_merchant_at(&app, app.merchant.id, &receiver.url).await;
    let first = app.new_session("GONE_1").await;
    app.sandbox_pay(json!({ "session_id": first })).await;
    receiver.wait_for(1, Duration::from_secs(10)).await;
    // The endpoint is parked once the 410 is recorded, a moment after the
    // receiver answered it; only then is the next event made.
    let parked = async {
        loop {
            let hook = app.store.merchant_hook(app.merchant.id, 0).await.unwrap();
            if hook.is_some_and(|h| h.disabled) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), parked)
        .await
        .expect("the endpoint is parked after 410");

    let second = app.new_session("GONE_2").await;
    app.sandbox_pay(json!({ "session_id": second })).await;
    app.clock.advance(Duration::from_secs(3 * 86_400));
    tokio::time::sleep(Duration::from_millis(500)).await;

    assert_eq!(receiver.count(), 1, "no attempt after 410");
    let update = MerchantUpdate {
        webhook_disabled: Some(false),
        ..MerchantUpdate::default()
    };
    app.store
        .update_merchant(app.merchant.id, update, 0)
        .await
        .unwrap();
    receiver.answer_by_default(200, Duration::ZERO);
    receiver.wait_for(3, Duration::from_secs(10)).await;
    receiver.stop().await;
    app.stop().await;
}

#[actix_web::test]
async fn a_receiver_slower_than_the_timeout_is_retried() {
    let Some(app) = app_with_hooks(Backend::Sqlite, |s| s.webhook_timeout_secs = 1).await else {
        return;
    };
    let receiver = Receiver::start().await;
    receiver.answer_next(&[(200, Duration::from_secs(3))]);
    point_merchant_at(&app, app.merchant.id, &receiver.url).await;
    let id = app.new_session("SLOW").await;

    app.sandbox_pay(json!({ "session_id": id })).await;
    receiver.wait_for(1, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    app.clock.advance(Duration::from_secs(6));
    receiver.wait_for(2, Duration::from_secs(10)).await;

    let log = wait_delivered(&app, id).await;
    let attempts = &log[0].1;
    assert_eq!(attempts.len(), 2);
    assert!(
        attempts[0]
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("timed out"),
        "{:?}",
        attempts[0]
    );
    assert_eq!(attempts[1].http_status, Some(200));
    receiver.stop().await;
    app.stop().await;
}

#[actix_web::test]
async fn a_hanging_receiver_does_not_delay_another_merchants_deliveries() {
    let Some(app) = app_with_hooks(Backend::Sqlite, |s| s.webhook_timeout_secs = 10).await else {
        return;
    };
    let stuck = Receiver::start().await;
    stuck.answer_by_default(200, Duration::from_secs(8));
    let healthy = Receiver::start().await;
    point_merchant_at(&app, app.merchant.id, &stuck.url).await;
    let other =
        crate::helpers::create_merchant(&app.store, crate::helpers::MerchantSpec::default()).await;
    point_merchant_at(&app, other.id, &healthy.url).await;
    for i in 0..12 {
        let id = app.new_session(&format!("STUCK_{i}")).await;
        app.sandbox_pay(json!({ "session_id": id })).await;
    }

    let started = std::time::Instant::now();
    for i in 0..5 {
        let id = app
            .create_session_as(&other.api_key, &order(&format!("FINE_{i}")))
            .await
            .json()["session_id"]
            .as_i64()
            .unwrap();
        app.sandbox_pay(json!({ "session_id": id })).await;
    }
    healthy.wait_for(5, Duration::from_secs(5)).await;

    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the healthy merchant waited {:?}",
        started.elapsed()
    );
    stuck.stop().await;
    healthy.stop().await;
    app.stop().await;
}

#[actix_web::test]
async fn private_targets_are_refused_without_the_switch() {
    let Some(app) = spawn_app_with(Backend::Sqlite, |s| s.webhook_tick_ms = 20).await else {
        return;
    };
    let receiver = Receiver::start().await;
    point_merchant_at(&app, app.merchant.id, &receiver.url).await;
    let id = app.new_session("SSRF").await;

    app.sandbox_pay(json!({ "session_id": id })).await;
    let mut attempts = Vec::new();
    for _ in 0..200 {
        attempts = app
            .store
            .webhooks_of_session(id)
            .await
            .unwrap()
            .into_iter()
            .flat_map(|(_, a)| a)
            .collect();
        if !attempts.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }

    assert_eq!(receiver.count(), 0, "nothing reached the loopback receiver");
    assert!(
        attempts[0]
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("refused target"),
        "{:?}",
        attempts[0]
    );
    receiver.stop().await;
    app.stop().await;
}

#[actix_web::test]
async fn a_three_day_outage_loses_nothing_and_keeps_the_schedule_and_order() {
    use std::collections::{HashMap, HashSet};
    let Some(app) = app_with_hooks(Backend::Sqlite, |s| s.webhook_endpoint_concurrency = 64).await
    else {
        return;
    };
    let receiver = Receiver::start().await;
    receiver.answer_by_default(503, Duration::ZERO);
    point_merchant_at(&app, app.merchant.id, &receiver.url).await;
    let bodies: Vec<String> = (0..1000)
        .map(|i| order(&format!("SOAK_{i}")).to_string())
        .collect();
    let created = futures_util::future::join_all(
        bodies
            .iter()
            .map(|b| app.create_session_raw(&app.merchant.api_key, b.clone(), None)),
    )
    .await;
    let ids: Vec<i64> = created
        .iter()
        .map(|a| a.json()["session_id"].as_i64().unwrap())
        .collect();
    // A hundred sessions are paid in two parts: two events each, whose order must hold.
    let first_parts = ids[..100]
        .iter()
        .map(|id| app.sandbox_pay(json!({ "session_id": id, "simulate": "underpaid" })));
    futures_util::future::join_all(first_parts).await;
    for chunk in ids.chunks(100) {
        futures_util::future::join_all(
            chunk
                .iter()
                .map(|id| app.sandbox_pay(json!({ "session_id": id }))),
        )
        .await;
    }
    let events = 1100;

    let mut elapsed = Duration::ZERO;
    let mut attempt: i32 = 1;
    wait_quiet(&app).await;
    while elapsed < Duration::from_secs(72 * 3600) {
        attempt += 1;
        let step = kassa::domain::retry::nominal_delay(attempt)
            .unwrap()
            .mul_f64(1.1)
            + Duration::from_secs(1);
        elapsed += step;
        if elapsed >= Duration::from_secs(72 * 3600) {
            receiver.answer_by_default(200, Duration::ZERO);
        }
        app.clock.advance(step);
        wait_quiet(&app).await;
    }
    for _ in 0..2400 {
        if app.store.count_webhooks("delivered").await.unwrap() == events as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    assert_eq!(
        app.store.count_webhooks("delivered").await.unwrap(),
        events as u64,
        "every event delivered"
    );
    let mut delivered = HashSet::new();
    let mut first_paid_at: HashMap<i64, usize> = HashMap::new();
    for (n, r) in receiver.all().iter().enumerate() {
        let body = r.json();
        let seq = body["sequence"].as_i64().unwrap();
        let session = body["session_id"].as_i64().unwrap();
        if seq == 2 {
            first_paid_at.entry(session).or_insert(n);
        } else if let Some(later) = first_paid_at.get(&session) {
            panic!("session {session}: event 1 arrived (#{n}) after event 2 (#{later})");
        }
        delivered.insert(body["event_id"].as_str().unwrap().to_string());
    }
    assert_eq!(delivered.len(), events);
    let (_, attempts) = &app.store.webhooks_of_session(ids[500]).await.unwrap()[0];
    assert!(
        attempts.len() >= 12,
        "retried through the outage: {} attempts",
        attempts.len()
    );
    for pair in attempts.windows(2) {
        let nominal = kassa::domain::retry::nominal_delay(pair[1].attempt)
            .unwrap()
            .as_millis() as i64;
        let waited = pair[1].scheduled_at - pair[0].started_at;
        assert!(
            waited >= nominal * 9 / 10 - 50 && waited <= nominal * 11 / 10 + 50,
            "attempt {}: waited {waited} ms for {nominal}",
            pair[1].attempt
        );
    }
    receiver.stop().await;
    app.stop().await;
}

/// Waits until every due delivery has been attempted and recorded.
async fn wait_quiet(app: &TestApp) {
    for _ in 0..1200 {
        if app
            .store
            .due_webhooks(app.clock.now_ms(), 1)
            .await
            .unwrap()
            .is_empty()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("deliveries still due after a minute");
}

#[actix_web::test]
async fn a_merchant_triggered_test_event_is_delivered_in_the_live_gateways_shape() {
    let Some(app) = app_with_hooks(Backend::Sqlite, |_| {}).await else {
        return;
    };
    let receiver = Receiver::start().await;
    point_merchant_at(&app, app.merchant.id, &receiver.url).await;
    let (db_url, merchant) = (app.db.url.clone(), app.merchant.id.to_string());

    let out = actix_web::rt::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_kassa"))
            .args(["webhooks", "test", "--merchant", &merchant])
            .env("KASSA_DATABASE_URL", db_url)
            .env("KASSA_SECRETS_KEY_FILE", crate::helpers::TEST_SECRETS_KEY)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;

    let event = got[0].json();
    assert_eq!(event["event"], json!("payment.session"));
    assert_eq!(event["status"], json!("test"));
    assert_eq!(event["test"], json!(true));
    assert_eq!(event["session_id"], json!(0));
    assert_eq!(event["amount"], json!("0.00"));
    assert!(
        event["order_id"]
            .as_str()
            .unwrap()
            .starts_with("TEST-WEBHOOK-")
    );
    let expected = signature::x_signature(&app.merchant.webhook_secret, &got[0].body);
    assert_eq!(got[0].header("x-signature"), Some(expected.as_str()));
    let metrics = app.get("/metrics").await.text;
    for series in [
        "kassa_webhook_delivery_latency_seconds",
        "kassa_webhook_queue_depth",
    ] {
        assert!(metrics.contains(series), "missing {series}");
    }
    let scrape = crate::metrics_server::Scrape::parse(&metrics);
    assert!(scrape.must("kassa_webhook_attempts_total", &[("outcome", "success")]) >= 1.0);
    receiver.stop().await;
    app.stop().await;
}

#[actix_web::test]
async fn a_merchant_receives_only_the_statuses_it_chose() {
    let Some(app) = app_with_hooks(Backend::Sqlite, |_| {}).await else {
        return;
    };
    let receiver = Receiver::start().await;
    point_merchant_at(&app, app.merchant.id, &receiver.url).await;
    let update = MerchantUpdate {
        webhook_statuses: Some(vec!["paid".into()]),
        ..MerchantUpdate::default()
    };
    app.store
        .update_merchant(app.merchant.id, update, 0)
        .await
        .unwrap();
    let id = app.new_session("FILTER").await;

    app.sandbox_pay(json!({ "session_id": id, "simulate": "underpaid" }))
        .await;
    app.sandbox_pay(json!({ "session_id": id, "simulate": "overpaid" }))
        .await;
    let log = wait_delivered(&app, id).await;

    let states: Vec<(&str, &str)> = log
        .iter()
        .map(|(e, _)| (e.status.as_str(), e.state.as_str()))
        .collect();
    assert_eq!(
        states,
        vec![
            ("underpaid", "skipped"),
            ("paid", "delivered"),
            ("overpaid", "skipped")
        ]
    );
    assert_eq!(receiver.count(), 1);
    assert_eq!(receiver.all()[0].json()["status"], json!("paid"));
    receiver.stop().await;
    app.stop().await;
}

/// The server as a separate process, so the test can `kill -9` it.
struct ServerProcess {
    child: std::process::Child,
    base: String,
}

impl ServerProcess {
    async fn start(db_url: &str, data_dir: &std::path::Path) -> ServerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_kassa"))
            .arg("serve")
            .env("KASSA_BIND", format!("127.0.0.1:{port}"))
            .env("KASSA_DATABASE_URL", db_url)
            .env("KASSA_DATA_DIR", data_dir)
            .env("KASSA_SECRETS_KEY_FILE", crate::helpers::TEST_SECRETS_KEY)
            .env("KASSA_WEBHOOK_ALLOW_PRIVATE", "true")
            .env("KASSA_WEBHOOK_TICK_MS", "50")
            // Only the payments' own events: no sweep adds a payout_sent.
            .env("KASSA_PAYOUT_POLL_MS", "3600000")
            .env("KASSA_LOG", "error")
            .env_remove("KASSA_TEST_POSTGRES_URL")
            .env_remove("KASSA_TEST_REQUIRE_ALL")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client.get(format!("{base}/healthz")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        ServerProcess { child, base }
    }

    /// SIGKILL: no shutdown code runs.
    fn kill_9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[actix_web::test]
async fn deliveries_pending_when_the_server_is_killed_arrive_after_restart() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let db = crate::helpers::TestDb::new(Backend::Sqlite).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let store = kassa::store::Store::connect(&kassa::store::DatabaseSettings {
        url: db.url.clone(),
        max_connections: 2,
        acquire_timeout: Duration::from_secs(2),
        session_cache_ttl: Duration::ZERO,
        sqlite_cache_mb: kassa::store::DEFAULT_SQLITE_CACHE_MB,
        secrets_key: crate::helpers::test_secrets_key(),
    })
    .await
    .unwrap();
    store.migrate().await.unwrap();
    let merchant =
        crate::helpers::create_merchant(&store, crate::helpers::MerchantSpec::default()).await;
    let receiver = Receiver::start().await;
    receiver.answer_by_default(503, Duration::ZERO);
    let update = MerchantUpdate {
        webhook_url: Some(receiver.url.clone()),
        ..MerchantUpdate::default()
    };
    store.update_merchant(merchant.id, update, 0).await.unwrap();

    let mut server = ServerProcess::start(&db.url, data.path()).await;
    let client = reqwest::Client::new();
    let mut ids = Vec::new();
    for i in 0..20 {
        let created: serde_json::Value = client
            .post(format!("{}/gateway/session.php", server.base))
            .bearer_auth(&merchant.api_key)
            .json(&order(&format!("KILL_{i}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = created["session_id"].as_i64().unwrap();
        client
            .post(format!("{}/sandbox/pay", server.base))
            .json(&json!({ "session_id": id }))
            .send()
            .await
            .unwrap();
        ids.push(id);
    }
    receiver.wait_for(1, Duration::from_secs(10)).await;
    server.kill_9();
    receiver.answer_by_default(200, Duration::ZERO);

    let _server = ServerProcess::start(&db.url, data.path()).await;
    for _ in 0..300 {
        if store.count_webhooks("delivered").await.unwrap() == 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        store.count_webhooks("delivered").await.unwrap(),
        20,
        "every pending delivery resumed"
    );
    let delivered: std::collections::HashSet<i64> = receiver
        .all()
        .iter()
        .filter(|r| r.header("x-signature").is_some())
        .filter_map(|r| r.json()["session_id"].as_i64())
        .collect();
    assert!(ids.iter().all(|id| delivered.contains(id)));
    receiver.stop().await;
}
