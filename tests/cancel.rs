//! The customer cancels on the checkout page: the session becomes
//! `cancelled` (announced to the shop), the customer goes to the session's
//! cancel URL, the page shows the cancelled state, and money that still
//! arrives in time is never turned away.

use serde_json::json;

use crate::checkout::{header, page, post_form};
use crate::helpers::{Backend, TestApp, order, spawn_app};
use crate::on_both_backends;

on_both_backends!(a_customer_cancels_and_returns_to_the_shops_cancel_url,);

/// The cancel form's page token, read from the checkout as a browser would.
async fn cancel_token(app: &TestApp, id: i64) -> String {
    let checkout = page(app, &format!("/pay.php?session={id}"), &[]).await;
    let form = checkout
        .text
        .split("action=\"/pay/cancel\"")
        .nth(1)
        .expect("the checkout has a cancel form");
    let start = form.find("name=\"token\" value=\"").unwrap() + "name=\"token\" value=\"".len();
    form[start..start + form[start..].find('"').unwrap()].to_string()
}

async fn a_customer_cancels_and_returns_to_the_shops_cancel_url(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut body = order("CANCEL-1");
    body["cancel_url"] = json!("https://shop.example/cart?step=2");
    let id = app.create_session(&body).await.json()["session_id"]
        .as_i64()
        .unwrap();
    let token = cancel_token(&app, id).await;
    let sid = id.to_string();

    let forged = post_form(&app, "/pay/cancel", &[("session", &sid), ("token", "x")]).await;
    let cancelled = post_form(&app, "/pay/cancel", &[("session", &sid), ("token", &token)]).await;

    assert_eq!(forged.status, 404, "a wrong token cancels nothing");
    assert_eq!(cancelled.status, 303);
    assert_eq!(
        header(&cancelled, "location"),
        "https://shop.example/cart?step=2"
    );
    assert_eq!(app.session_status(id).await, "cancelled");
    let events = app.store.webhooks_of_session(id).await.unwrap();
    let statuses: Vec<&str> = events.iter().map(|(e, _)| e.status.as_str()).collect();
    assert_eq!(statuses, ["cancelled"], "the shop hears of it");
    let shown = page(&app, &format!("/pay.php?session={id}"), &[]).await;
    assert!(
        shown.text.contains("data-state=\"cancelled\""),
        "{}",
        shown.text
    );
    assert!(
        !shown.text.contains("data-method=\"card\""),
        "nothing left to pay with"
    );
    assert!(!shown.text.contains("/pay/cancel"), "no second cancel");
    let again = post_form(&app, "/pay/cancel", &[("session", &sid), ("token", &token)]).await;
    assert_eq!(header(&again, "location"), format!("/pay.php?session={id}"));
    // The customer's wallet had already sent the money: it still pays.
    let late = app.sandbox_pay(json!({ "session_id": id })).await;
    assert_eq!(late.status, 200, "{}", late.text);
    assert_eq!(app.session_status(id).await, "paid");
    app.stop().await;
}

#[actix_web::test]
async fn a_session_without_a_cancel_url_shows_its_cancelled_state_after_cancelling() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let mut body = order("CANCEL-2");
    body.as_object_mut().unwrap().remove("cancel_url");
    let id = app.create_session(&body).await.json()["session_id"]
        .as_i64()
        .unwrap();
    let checkout = page(&app, &format!("/pay.php?session={id}"), &[]).await;
    assert!(
        checkout.text.contains(">Cancel payment</button>"),
        "{}",
        checkout.text
    );
    let token = cancel_token(&app, id).await;

    let cancelled = post_form(
        &app,
        "/pay/cancel",
        &[
            ("session", &id.to_string()),
            ("token", &token),
            ("lang", "nl"),
        ],
    )
    .await;

    assert_eq!(
        header(&cancelled, "location"),
        format!("/pay.php?session={id}&lang=nl")
    );
    let shown = page(&app, &format!("/pay.php?session={id}&lang=nl"), &[]).await;
    assert!(
        shown.text.contains("Betaling geannuleerd"),
        "{}",
        shown.text
    );
    app.stop().await;
}

#[actix_web::test]
async fn a_paid_session_cannot_be_cancelled() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let mut body = order("CANCEL-3");
    body["cancel_url"] = json!("https://shop.example/cart");
    let id = app.create_session(&body).await.json()["session_id"]
        .as_i64()
        .unwrap();
    let token = cancel_token(&app, id).await;
    app.sandbox_pay(json!({ "session_id": id })).await;

    let answer = post_form(
        &app,
        "/pay/cancel",
        &[("session", &id.to_string()), ("token", &token)],
    )
    .await;

    assert_eq!(answer.status, 303);
    assert_eq!(
        header(&answer, "location"),
        format!("/pay.php?session={id}"),
        "back to the paid page, not to the cancel URL"
    );
    assert_eq!(app.session_status(id).await, "paid");
    app.stop().await;
}
