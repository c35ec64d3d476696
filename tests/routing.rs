//! Smart Routing over HTTP: routing hints on `POST /gateway/session.php`
//! (direct URL, selected provider, reason), the EPv2 switch read from the
//! routing file without a restart, iDEAL for NL only, and `me.php` agreeing
//! with what create does.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Backend, MerchantSpec, TestApp, create_merchant, order, spawn_app};
use crate::on_both_backends;
use kassa::domain::merchant::{CheckoutMode, Package};

on_both_backends!(
    a_pro_smart_router_card_hint_gets_a_direct_url,
    a_free_merchants_hint_is_kept_and_ignored,
);

fn with_hint(reference: &str, field: &str, hint: &str) -> Value {
    let mut o = order(reference);
    o[field] = json!(hint);
    o
}

async fn created(app: &TestApp, key: &str, body: &Value) -> Value {
    let answer = app.create_session_as(key, body).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json()
}

async fn a_pro_smart_router_card_hint_gets_a_direct_url(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };

    let body = created(
        &app,
        &app.merchant.api_key,
        &with_hint("R1", "method", "card"),
    )
    .await;

    let id = body["session_id"].as_i64().unwrap();
    let direct = body["direct_url"].as_str().expect("a direct_url");
    assert!(
        direct.starts_with(&format!("{}/sandbox/onramp?session={id}&token=", app.base)),
        "{direct}"
    );
    assert_eq!(body["selected_provider"], json!("sandbox"));
    assert_eq!(body["smart_route"], json!(true));
    assert_eq!(body["routing_reason"], json!("resolved"));
    assert_eq!(
        body["checkout_url"],
        json!(format!("{}/pay.php?session={id}", app.base))
    );
    app.stop().await;
}

async fn a_free_merchants_hint_is_kept_and_ignored(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let free = create_merchant(
        &app.store,
        MerchantSpec {
            package: Package::Free,
            ..MerchantSpec::default()
        },
    )
    .await;

    let body = created(
        &app,
        &free.api_key,
        &with_hint("F1", "payment_method", "card"),
    )
    .await;

    assert_eq!(body["direct_url"], Value::Null);
    assert_eq!(body["selected_provider"], Value::Null);
    assert_eq!(body["smart_route"], json!(false));
    assert_eq!(body["routing_reason"], json!("package_not_allowed"));
    let id = body["session_id"].as_i64().unwrap();
    let status = app
        .status_as(&free.api_key, &format!("session_id={id}"))
        .await
        .json();
    assert_eq!(status["session"]["routing_hint"], json!("card"));
    app.stop().await;
}

#[actix_web::test]
async fn epv2_resolves_to_the_provider_list_only_while_it_is_active_and_an_import_switches_it() {
    let Some((app, file, _dir)) =
        crate::helpers::spawn_app_with_routing_file("[epv2]\nactive = false\n").await
    else {
        return;
    };
    let key = app.merchant.api_key.clone();

    let inactive = created(&app, &key, &with_hint("E1", "provider", "epv2")).await;
    assert_eq!(inactive["direct_url"], Value::Null);
    assert_eq!(inactive["routing_reason"], json!("epv2_inactive"));
    assert_eq!(
        app.me().await.json()["smart_router"]["methods"]["other"]["available"],
        json!(false)
    );

    // Editing the file does nothing any more: it was imported once, at start.
    std::fs::write(&file, "[epv2]\nactive = true\npartner_split = false\n").unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let still = created(&app, &key, &with_hint("E1b", "provider", "epv2")).await;
    assert_eq!(still["routing_reason"], json!("epv2_inactive"));
    // The operator switches EPv2 on with an import; no restart.
    crate::helpers::import_routing(&app, "[epv2]\nactive = true\npartner_split = false\n").await;
    let mut active = Value::Null;
    for i in 0..100 {
        active = created(
            &app,
            &key,
            &with_hint(&format!("E2-{i}"), "provider", "epv2"),
        )
        .await;
        if !active["direct_url"].is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let id = active["session_id"].as_i64().unwrap();
    assert_eq!(
        active["direct_url"],
        json!(format!("{}/pay.php?session={id}&provider=epv2", app.base))
    );
    assert_eq!(active["selected_provider"], json!("epv2"));
    let other = created(&app, &key, &with_hint("E3", "method", "other")).await;
    assert_eq!(other["selected_provider"], json!("epv2"));
    // EPv2 is only for `other`: a card hint stays on the fiat layer.
    let card = created(&app, &key, &with_hint("E4", "method", "card")).await;
    assert_eq!(card["selected_provider"], json!("sandbox"));
    assert_eq!(
        app.me().await.json()["smart_router"]["methods"]["other"]["available"],
        json!(true)
    );
    app.stop().await;
}

#[actix_web::test]
async fn ideal_is_routed_only_for_customers_from_nl() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let key = app.merchant.api_key.clone();

    let mut dutch = with_hint("I1", "method", "ideal");
    dutch["customer_country"] = json!("nl");
    let mut german = with_hint("I2", "method", "ideal");
    german["country"] = json!("DE");
    let unknown = with_hint("I3", "method", "ideal");

    assert_eq!(
        created(&app, &key, &dutch).await["selected_provider"],
        json!("sandbox")
    );
    let de = created(&app, &key, &german).await;
    assert_eq!(
        (de["direct_url"].clone(), de["routing_reason"].clone()),
        (Value::Null, json!("country_not_eligible"))
    );
    assert_eq!(
        created(&app, &key, &unknown).await["routing_reason"],
        json!("country_unknown")
    );
    app.stop().await;
}

#[actix_web::test]
async fn me_php_methods_agree_with_what_create_resolves() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    for (package, mode) in [
        (Package::Pro, CheckoutMode::SmartRouter),
        (Package::Unlimited, CheckoutMode::SmartRouter),
        (Package::Pro, CheckoutMode::Standard),
        (Package::Free, CheckoutMode::SmartRouter),
    ] {
        let m = create_merchant(
            &app.store,
            MerchantSpec {
                package,
                checkout_mode: mode,
                ..MerchantSpec::default()
            },
        )
        .await;
        let me = crate::helpers::read(
            app.client
                .get(app.url("/gateway/me.php"))
                .bearer_auth(&m.api_key)
                .send()
                .await
                .unwrap(),
        )
        .await
        .json();
        let methods = me["smart_router"]["methods"].as_object().unwrap().clone();
        assert_eq!(methods.len(), 6);
        for (method, standing) in methods {
            let mut body = with_hint(&format!("M-{method}"), "method", &method);
            body["customer_country"] = json!("NL");
            let created = created(&app, &m.api_key, &body).await;
            assert_eq!(
                standing["available"].as_bool().unwrap(),
                !created["direct_url"].is_null(),
                "{package:?} {mode:?} {method}: me.php says {standing}, create says {}",
                created["routing_reason"]
            );
        }
    }
    app.stop().await;
}

#[actix_web::test]
async fn routing_figures_are_exposed_on_metrics() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let body = created(
        &app,
        &app.merchant.api_key.clone(),
        &with_hint("X1", "method", "card"),
    )
    .await;
    let id = body["session_id"].as_i64().unwrap();
    let paid = app.sandbox_pay(json!({ "session_id": id })).await;
    assert_eq!(paid.status, 200, "{}", paid.text);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;

    let text = app.get("/metrics").await.text;

    assert!(text.contains("kassa_routing_decisions_total"), "{text}");
    assert!(
        text.contains("kassa_routing_sessions_started_total"),
        "{text}"
    );
    assert!(
        text.contains("kassa_routing_sessions_completed_total"),
        "a paid session completes its route: {text}"
    );
    assert!(
        text.contains("kassa_routing_time_to_paid_seconds"),
        "{text}"
    );
    app.stop().await;
}

#[actix_web::test]
async fn the_routing_decision_is_recorded_with_the_session() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let key = app.merchant.api_key.clone();
    let routed = created(&app, &key, &with_hint("R1", "method", "card")).await;
    let free = create_merchant(
        &app.store,
        MerchantSpec {
            package: kassa::domain::merchant::Package::Free,
            ..MerchantSpec::default()
        },
    )
    .await;
    let ignored = created(&app, &free.api_key, &with_hint("R2", "method", "card")).await;

    let routed_status = app
        .status(&format!("session_id={}", routed["session_id"]))
        .await
        .json();
    let ignored_status = app
        .status_as(
            &free.api_key,
            &format!("session_id={}", ignored["session_id"]),
        )
        .await
        .json();

    assert_eq!(
        routed_status["session"]["selected_provider"],
        routed["selected_provider"]
    );
    assert!(
        routed_status["session"]["routing_reason"]
            .as_str()
            .unwrap()
            .starts_with("resolved")
    );
    assert!(ignored_status["session"]["selected_provider"].is_null());
    assert!(
        ignored_status["session"]["routing_reason"]
            .as_str()
            .unwrap()
            .contains("package"),
        "{ignored_status}"
    );
    app.stop().await;
}

#[actix_web::test]
async fn a_hint_routed_to_a_provider_that_needs_the_email_requires_it_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("routing.toml");
    std::fs::write(&file, "[methods]\ncard = [\"transak\"]\n").unwrap();
    let path = file.display().to_string();
    let Some(app) = crate::helpers::spawn_app_with(Backend::Sqlite, |s| {
        s.routing_file = Some(path);
        s.onramp.transak_api_key = Some("test-key".into());
    })
    .await
    else {
        return;
    };
    let key = app.merchant.api_key.clone();
    let mut no_email = with_hint("NE1", "method", "card");
    no_email.as_object_mut().unwrap().remove("customer_email");

    let refused = app.create_session(&no_email).await;
    let with_email = created(&app, &key, &with_hint("NE2", "method", "card")).await;
    let mut no_hint = order("NE3");
    no_hint.as_object_mut().unwrap().remove("customer_email");
    let without_hint = app.create_session(&no_hint).await;

    assert_eq!(
        (refused.status, refused.error_code()),
        (400, "valid_customer_email_required".to_string()),
        "{}",
        refused.text
    );
    assert!(
        refused.json()["message"]
            .as_str()
            .unwrap()
            .contains("transak")
    );
    assert_eq!(
        app.status("order_id=NE1").await.status,
        404,
        "nothing was created"
    );
    assert_eq!(with_email["selected_provider"], json!("transak"));
    assert_eq!(
        without_hint.status, 200,
        "without a hint the checkout page asks for the e-mail"
    );
    app.stop().await;
}
