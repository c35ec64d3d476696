//! `GET /gateway/session_status.php`: the three lookups and tenant isolation.

use serde_json::json;

use crate::helpers::{Backend, MerchantSpec, create_merchant, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    session_status_finds_a_session_by_id_order_and_number,
    a_merchant_never_sees_another_merchants_session,
);

async fn session_status_finds_a_session_by_id_order_and_number(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.new_session("ORDER_9").await;

    for query in [
        format!("session_id={id}"),
        "order_id=ORDER_9".to_string(),
        format!("number=session_{id}"),
    ] {
        let answer = app.status(&query).await;
        assert_eq!(answer.status, 200, "{query}: {}", answer.text);
        let body = answer.json();
        assert_eq!(body["ok"], json!(true));
        assert_eq!(
            body["status"],
            json!("created"),
            "top-level status mirrors session.status"
        );
        let s = &body["session"];
        assert_eq!(s["id"], json!(id));
        assert_eq!(s["order_id"], json!("ORDER_9"));
        assert_eq!(s["status"], json!("created"));
        assert_eq!(s["amount"], json!("79.00"));
        assert_eq!(s["currency"], json!("EUR"));
        assert_eq!(s["shop_domain"], json!("shop.example"));
        assert_eq!(s["source"], json!("api"), "opened through the API");
        assert!(s["source_id"].is_null(), "an API session has no source id");
        assert_eq!(
            s["payment_url"],
            json!(format!("{}/pay.php?session={id}", app.base))
        );
        for null_until_known in [
            "txid",
            "txid_in",
            "txid_out",
            "paid_value_coin",
            "paid_coin",
            "last_error",
        ] {
            assert!(
                s.get(null_until_known).is_some_and(|v| v.is_null()),
                "{null_until_known} is null: {s}"
            );
        }
    }
    app.stop().await;
}

async fn a_merchant_never_sees_another_merchants_session(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.new_session("SECRET_ORDER").await;
    let other = create_merchant(&app.store, MerchantSpec::default()).await;

    let foreign = app
        .status_as(&other.api_key, &format!("session_id={id}"))
        .await;
    let missing = app.status_as(&other.api_key, "session_id=4242424242").await;
    let by_order = app.status_as(&other.api_key, "order_id=SECRET_ORDER").await;

    assert_eq!(foreign.status, 404);
    assert_eq!(foreign.error_code(), "session_not_found");
    assert_eq!(
        foreign.text, missing.text,
        "byte-identical to a missing session"
    );
    assert_eq!(by_order.text, missing.text);
    app.stop().await;
}
