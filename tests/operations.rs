//! Health, readiness, metrics, request ids, rate limits, disabled merchants, `me.php`.

use serde_json::json;

use crate::helpers::{Backend, MerchantSpec, create_merchant, order, spawn_app, spawn_app_with};
use crate::on_both_backends;
use kassa::domain::merchant::{CheckoutMode, Package};
use kassa::store::merchants::MerchantUpdate;

on_both_backends!(
    health_readiness_and_metrics_answer,
    me_reports_package_mode_country_and_smart_routing,
    a_disabled_merchant_is_refused,
);

async fn health_readiness_and_metrics_answer(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.new_session("M1").await;

    let health = app.get("/healthz").await;
    let ready = app.get("/readyz").await;
    let metrics = app.get("/metrics").await;

    assert_eq!(
        (health.status, health.json()["ok"].clone()),
        (200, json!(true))
    );
    assert_eq!(
        (ready.status, ready.json()["database"].clone()),
        (200, json!("up"))
    );
    assert_eq!(metrics.status, 200);
    for series in [
        "kassa_http_requests_total{route=\"/gateway/session.php\",status=\"200\"}",
        "kassa_http_request_duration_seconds_bucket",
        "kassa_registry_live_actors",
        "kassa_registry_mailbox_depth",
        "kassa_sessions{status=\"created\"}",
    ] {
        assert!(metrics.text.contains(series), "missing {series}");
    }
    assert!(health.headers.contains_key("x-request-id"));
    let echoed = app
        .client
        .get(app.url("/healthz"))
        .header("X-Request-Id", "trace-42")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "trace-42");
    let missing = app.get("/no/such/path").await;
    assert_eq!(
        (missing.status, missing.error_code()),
        (404, "not_found".to_string())
    );
    app.stop().await;
}

async fn me_reports_package_mode_country_and_smart_routing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };

    let me = app.me().await.json();

    assert_eq!(me["ok"], json!(true));
    assert_eq!(me["merchant_id"], json!(app.merchant.id));
    assert_eq!(me["package"], json!("pro"));
    assert_eq!(me["checkout_mode"], json!("smart_router"));
    assert_eq!(me["country"], json!("NL"));
    let router = &me["smart_router"];
    assert_eq!(router["enabled_global"], json!(true));
    assert_eq!(router["allowed_for_package"], json!(true));
    assert_eq!(router["effective"], json!(true));
    assert_eq!(
        router["methods"]["card"],
        json!({"enabled": true, "configured": true, "available": true})
    );

    let free = create_merchant(
        &app.store,
        MerchantSpec {
            package: Package::Free,
            checkout_mode: CheckoutMode::Standard,
            ..MerchantSpec::default()
        },
    )
    .await;
    let free_me = crate::helpers::read(
        app.client
            .get(app.url("/gateway/me.php"))
            .header("X-API-Key", &free.api_key)
            .send()
            .await
            .unwrap(),
    )
    .await
    .json();
    assert_eq!(free_me["smart_router"]["allowed_for_package"], json!(false));
    assert_eq!(free_me["smart_router"]["effective"], json!(false));
    assert_eq!(
        free_me["smart_router"]["methods"]["card"]["available"],
        json!(false)
    );
    let free_session = app
        .create_session_as(&free.api_key, &{
            let mut o = order("FREE");
            o["method"] = json!("card");
            o
        })
        .await;
    assert_eq!(
        free_session.status, 200,
        "a hint the package cannot use is kept and ignored: {}",
        free_session.text
    );
    assert_eq!(free_session.json()["smart_route"], json!(false));
    app.stop().await;
}

async fn a_disabled_merchant_is_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let update = MerchantUpdate {
        disabled: Some(true),
        ..MerchantUpdate::default()
    };
    assert!(
        app.store
            .update_merchant(app.merchant.id, update, 0)
            .await
            .unwrap()
    );

    let answer = app.create_session(&order("OFF")).await;

    assert_eq!(
        (answer.status, answer.error_code()),
        (403, "merchant_disabled".to_string())
    );
    app.stop().await;
}

#[actix_web::test]
async fn the_rate_limit_answers_429_with_retry_after() {
    let Some(app) = spawn_app_with(Backend::Sqlite, |s| {
        s.rate_limit_per_second = 1;
        s.rate_limit_burst = 3;
    })
    .await
    else {
        return;
    };

    let mut limited = None;
    for _ in 0..6 {
        let answer = app.status("session_id=1").await;
        if answer.status == 429 {
            limited = Some(answer);
            break;
        }
    }

    let limited = limited.expect("the fourth request within a second is limited");
    assert_eq!(limited.error_code(), "rate_limited");
    assert!(limited.headers.contains_key("retry-after"));
    app.stop().await;
}

#[test]
fn the_example_configuration_documents_the_defaults() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/kassa.example.toml"))
        .unwrap();
    let example: kassa::config::RawSettings = toml_from(&text);
    let defaults = kassa::config::RawSettings::default();
    assert_eq!(
        serde_json::to_value(&example).unwrap(),
        serde_json::to_value(&defaults).unwrap()
    );
}

fn toml_from(text: &str) -> kassa::config::RawSettings {
    use figment::providers::{Format, Toml};
    figment::Figment::from(Toml::string(text))
        .extract()
        .unwrap()
}

#[actix_web::test]
async fn the_openapi_document_describes_the_merchant_api() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };

    let doc = app.get("/openapi.json").await.json();

    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/gateway/session.php",
        "/gateway/session_status.php",
        "/gateway/me.php",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }
    let request = &doc["components"]["schemas"]["CreateSessionRequest"]["properties"];
    for field in [
        "domain",
        "merchant_ref",
        "order_id",
        "amount",
        "currency",
        "return_url",
        "cancel_url",
        "customer_email",
        "email",
        "provider",
        "method",
        "payment_provider",
        "payment_method",
        "meta",
    ] {
        assert!(
            request.get(field).is_some(),
            "request field {field} documented"
        );
    }
    let response = &doc["components"]["schemas"]["CreateSessionResponse"]["properties"];
    for field in [
        "ok",
        "session_id",
        "checkout_url",
        "direct_url",
        "selected_provider",
        "smart_route",
        "expires_at",
    ] {
        assert!(
            response.get(field).is_some(),
            "response field {field} documented"
        );
    }
    let text = doc.to_string();
    for code in kassa::error::ERROR_CODES {
        assert!(
            text.contains(&format!("\"{code}\"")),
            "error code {code} documented"
        );
    }
    app.stop().await;
}

#[actix_web::test]
async fn sqlite_runs_in_wal_mode_with_synchronous_full() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let durability = app.store.sqlite_durability().await.unwrap();
    assert_eq!(
        durability,
        Some(("wal".to_string(), 2)),
        "journal_mode=wal, synchronous=FULL (2)"
    );
    app.stop().await;
}

/// The bundled SQLite keeps a statement's plan whatever is bound to it, so a
/// cached statement is not planned again at every use (`.cargo/config.toml`).
#[actix_web::test]
async fn sqlite_is_built_with_stable_query_plans() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    assert_eq!(app.store.sqlite_stable_plans().await.unwrap(), Some(true));
    app.stop().await;
}
