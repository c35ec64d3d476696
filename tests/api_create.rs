//! `POST /gateway/session.php`: fields, aliases, amounts and every error code.

use serde_json::json;

use crate::helpers::{Backend, MerchantSpec, create_merchant, order, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    create_session_answers_200_with_the_documented_fields,
    create_session_accepts_the_field_variants_of_real_integrations,
    create_session_refuses_bad_input_with_the_documented_codes,
);

async fn create_session_answers_200_with_the_documented_fields(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };

    let answer = app.create_session(&order("ORDER_123")).await;

    assert_eq!(answer.status, 200, "{}", answer.text);
    let body = answer.json();
    assert_eq!(body["ok"], json!(true));
    let id = body["session_id"]
        .as_i64()
        .expect("session_id is a JSON integer");
    assert!(id > 0 && id < (1_i64 << 53));
    assert_eq!(
        body["checkout_url"],
        json!(format!("{}/pay.php?session={id}", app.base))
    );
    assert!(body.get("direct_url").is_some_and(|v| v.is_null()));
    assert!(body.get("selected_provider").is_some_and(|v| v.is_null()));
    assert_eq!(body["smart_route"], json!(true));
    let expires = body["expires_at"].as_str().unwrap();
    assert_eq!(expires.len(), 19, "YYYY-MM-DD HH:MM:SS: {expires}");
    assert_eq!(&expires[10..11], " ");
    let address = body["polygon_address_in"].as_str().unwrap();
    assert!(address.starts_with("0x") && address.len() == 42);
    assert_eq!(
        body["amount_usdc"],
        json!("85.32"),
        "79.00 EUR at the default 1.08 rate"
    );
    app.stop().await;
}

async fn create_session_accepts_the_field_variants_of_real_integrations(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };

    let variants = [
        json!({"domain": "https://www.Shop.Example:443/checkout?x=1", "order_id": "A-1", "amount": 50, "currency": "eur", "email": "a@example.com", "method": "card"}),
        json!({"domain": "shop.example.", "merchant_ref": 1001, "amount": 99.99, "currency": "USD", "payment_provider": "moonpay"}),
        json!({"domain": "bücher.example", "merchant_ref": "A-3", "amount": 14.700000000000001, "currency": "EUR", "payment_method": "other"}),
        json!({"domain": "shop.example", "merchant_ref": "A-4", "amount": 1e2, "currency": "JPY"}),
    ];
    for body in variants {
        let answer = app.create_session(&body).await;
        assert_eq!(answer.status, 200, "{body}: {}", answer.text);
    }

    let one = app.status("order_id=A-1").await.json();
    assert_eq!(one["session"]["amount"], json!("50.00"));
    assert_eq!(one["session"]["currency"], json!("EUR"));
    assert_eq!(one["session"]["shop_domain"], json!("shop.example"));
    assert_eq!(one["session"]["email"], json!("a@example.com"));
    assert_eq!(one["session"]["routing_hint"], json!("card"));
    let two = app.status("order_id=1001").await.json();
    assert_eq!(two["session"]["amount"], json!("99.99"));
    let three = app.status("order_id=A-3").await.json();
    assert_eq!(
        three["session"]["amount"],
        json!("14.70"),
        "float noise is the intended value"
    );
    assert_eq!(
        three["session"]["shop_domain"],
        json!("xn--bcher-kva.example")
    );
    let four = app.status("order_id=A-4").await.json();
    assert_eq!(four["session"]["amount"], json!("100"));
    app.stop().await;
}

async fn create_session_refuses_bad_input_with_the_documented_codes(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let with = |field: &str, value: serde_json::Value| {
        let mut body = order("BAD");
        body[field] = value;
        body
    };
    let cases = [
        (with("domain", json!("not a domain")), 400, "invalid_domain"),
        (with("domain", json!("")), 400, "invalid_domain"),
        (
            with("domain", json!("other-shop.example")),
            403,
            "domain_not_allowed",
        ),
        (with("amount", json!("0")), 400, "invalid_amount"),
        (with("amount", json!(-5)), 400, "invalid_amount"),
        (with("amount", json!("10.001")), 400, "invalid_amount"),
        (with("amount", json!(10.004)), 400, "invalid_amount"),
        (with("amount", json!("1000000.01")), 400, "invalid_amount"),
        (with("amount", json!("abc")), 400, "invalid_amount"),
        (with("amount", json!(null)), 400, "invalid_amount"),
        (with("currency", json!("XYZ")), 400, "invalid_currency"),
        (with("currency", json!(12)), 400, "invalid_currency"),
        (
            with("customer_email", json!("not-an-email")),
            400,
            "invalid_email",
        ),
        (with("meta", json!([1, 2])), 400, "invalid_meta"),
    ];
    for (body, status, code) in cases {
        let answer = app.create_session(&body).await;
        assert_eq!(
            (answer.status, answer.error_code()),
            (status, code.to_string()),
            "{body}: {}",
            answer.text
        );
        assert_eq!(answer.json()["ok"], json!(false));
    }

    let not_allowed = app
        .create_session(&with("domain", json!("https://www.other-shop.example/x")))
        .await
        .json();
    assert_eq!(
        not_allowed["domain"],
        json!("other-shop.example"),
        "the refused domain is echoed"
    );

    let not_json = app
        .create_session_raw(&app.merchant.api_key, "{nope".into(), None)
        .await;
    assert_eq!(
        (not_json.status, not_json.error_code()),
        (400, "invalid_json".to_string())
    );

    let no_key = crate::helpers::read(
        app.client
            .post(app.url("/gateway/session.php"))
            .body("{}")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (no_key.status, no_key.error_code()),
        (401, "missing_api_key".to_string())
    );
    let bad_key = app
        .create_session_as(
            "kassa_AAAAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
            &order("X"),
        )
        .await;
    assert_eq!(
        (bad_key.status, bad_key.error_code()),
        (401, "invalid_api_key".to_string())
    );

    let no_wallet = create_merchant(
        &app.store,
        MerchantSpec {
            payout_wallet: None,
            ..MerchantSpec::default()
        },
    )
    .await;
    let answer = app.create_session_as(&no_wallet.api_key, &order("W")).await;
    assert_eq!(
        (answer.status, answer.error_code()),
        (400, "missing_merchant_payout_wallet".to_string())
    );
    let bad_wallet = create_merchant(
        &app.store,
        MerchantSpec {
            payout_wallet: Some("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD".into()),
            ..MerchantSpec::default()
        },
    )
    .await;
    let answer = app
        .create_session_as(&bad_wallet.api_key, &order("W"))
        .await;
    assert_eq!(
        (answer.status, answer.error_code()),
        (400, "invalid_merchant_payout_wallet".to_string())
    );
    app.stop().await;
}

#[actix_web::test]
async fn no_input_produces_a_server_error() {
    use rand::{Rng, SeedableRng};
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let nested = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let mut bodies: Vec<String> = vec![
        String::new(),
        "null".into(),
        "[]".into(),
        "\"text\"".into(),
        "{\"amount\": 1e999999}".into(),
        "{\"domain\":\"shop.example\",\"amount\":1e400,\"currency\":\"EUR\"}".into(),
        "{\"domain\":\"shop.example\",\"amount\":123456789012345678901234567890,\"currency\":\"EUR\"}".into(),
        "{\"domain\":\"shop.example\",\"amount\":\"99999999999999999999999999999999.99\",\"currency\":\"EUR\"}".into(),
        "{\"domain\":\"shop.example\",\"amount\":-0,\"currency\":\"EUR\"}".into(),
        "{\"domain\":\"\u{0}\",\"amount\":\"1\",\"currency\":\"EUR\"}".into(),
        "{\"domain\":\"xn--\",\"amount\":\"1\",\"currency\":\"EUR\"}".into(),
        "{\"domain\":\"shop.example\",\"amount\":\"1\",\"currency\":\"EUR\",\"meta\":\"x\"}".into(),
        "{\"domain\":{\"a\":1},\"amount\":[1],\"currency\":true,\"customer_email\":{}}".into(),
        "{\"domain\":\"shop.example\",\"amount\":\"1\",\"currency\":\"EUR\",\"return_url\":\"javascript:alert(1)\"}".into(),
        format!("{{\"domain\":\"{}\",\"amount\":\"1\",\"currency\":\"EUR\"}}", "a.".repeat(3000)),
        format!("{{\"domain\":\"shop.example\",\"amount\":\"1\",\"currency\":\"EUR\",\"meta\":{nested}}}"),
        format!("{{\"domain\":\"shop.example\",\"amount\":\"1\",\"currency\":\"EUR\",\"merchant_ref\":\"{}\"}}", "x".repeat(60_000)),
        "x".repeat(70_000),
    ];
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let alphabet = b"{}[]\":,.-+e0123456789abcdefnulltrue \\u";
    for _ in 0..200 {
        let len = rng.random_range(0..60);
        let junk: String = (0..len)
            .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
            .collect();
        bodies.push(junk);
    }

    for body in bodies {
        let answer = app
            .create_session_raw(&app.merchant.api_key, body.clone(), None)
            .await;
        assert!(
            answer.status < 500,
            "{} for {:.80}: {}",
            answer.status,
            body,
            answer.text
        );
        assert!(
            answer.json()["ok"].is_boolean(),
            "JSON answer for {body:.80}"
        );
    }
    let status = app.status("session_id=99999999999999999999999").await;
    assert!(status.status < 500);
    app.stop().await;
}
