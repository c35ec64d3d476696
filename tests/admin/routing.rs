//! Smart Routing from the console: each form stores a new version with an
//! audit line naming the operator, and the change reaches `/gateway/me.php`
//! and `/pay.php` at once, without a restart. Credentials are shown masked.

use serde_json::json;

use super::{log_in, new_operator};
use crate::checkout::page;
use crate::dashboard::browser::{Browser, location};
use crate::helpers::{Backend, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    a_console_change_reaches_me_php_and_pay_php_at_once_and_is_audited,
    credentials_are_stored_masked_and_bad_input_is_shown_beside_the_forms,
);

async fn a_console_change_reaches_me_php_and_pay_php_at_once_and_is_audited(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (email, password) = new_operator(&app).await;
    let mut op = Browser::new(&app);
    log_in(&mut op, &app, &email, &password, None).await;
    let shown = op.get("/admin/routing").await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    assert!(shown.text.contains("id=\"provider-sandbox\""));

    // EPv2 on: me.php and pay.php?method=other follow at once.
    let id = app.new_session("ADM-R1").await;
    let other = format!("/pay.php?session={id}&method=other");
    assert!(page(&app, &other, &[]).await.status >= 400);
    let on = op.post("/admin/routing/epv2", &[("active", "1")]).await;
    assert_eq!(location(&on), "/admin/routing?done=epv2", "{}", on.text);
    assert_eq!(
        app.me().await.json()["smart_router"]["methods"]["other"]["available"],
        json!(true)
    );
    assert_eq!(page(&app, &other, &[]).await.status, 200);

    // The sandbox on-ramp switched off: card checkout stops offering it.
    let card = format!("/pay.php?session={id}&method=card");
    let before = page(&app, &card, &[]).await;
    assert_eq!(before.status, 303);
    assert!(location(&before).contains("/sandbox/onramp"));
    let off = op
        .post(
            "/admin/routing/provider",
            &[("provider", "sandbox"), ("disabled", "1")],
        )
        .await;
    assert_eq!(location(&off), "/admin/routing?done=disabled");
    let after = page(&app, &card, &[]).await;
    assert!(
        !location(&after).contains("/sandbox/onramp"),
        "{} {}",
        after.status,
        location(&after)
    );
    assert_eq!(
        app.me().await.json()["smart_router"]["methods"]["card"]["available"],
        json!(false)
    );
    let page_now = op.get("/admin/routing").await;
    assert!(page_now.text.contains("switched off"));

    let audit = kassa::app::audit_log::list(&app.store, None, 10)
        .await
        .unwrap();
    let actions: Vec<&str> = audit.entries.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"routing.epv2"), "{actions:?}");
    let line = audit
        .entries
        .iter()
        .find(|e| e.action == "routing.provider_disabled")
        .expect("the switch-off is audited");
    assert!(matches!(
        line.actor,
        kassa::domain::audit::AuditActor::Admin(_)
    ));
    assert_eq!(line.after.as_ref().unwrap()["disabled"], json!(true));
    let log = op.get("/admin/audit").await;
    assert!(log.text.contains("routing.provider_disabled"));

    // And back on.
    op.get("/admin/routing").await;
    op.post(
        "/admin/routing/provider",
        &[("provider", "sandbox"), ("disabled", "0")],
    )
    .await;
    assert!(location(&page(&app, &card, &[]).await).contains("/sandbox/onramp"));
    app.stop().await;
}

async fn credentials_are_stored_masked_and_bad_input_is_shown_beside_the_forms(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (email, password) = new_operator(&app).await;
    let mut op = Browser::new(&app);
    log_in(&mut op, &app, &email, &password, None).await;
    op.get("/admin/routing").await;
    let value = "pk_live_0123456789abcdefWXYZ";
    let stored = op
        .post(
            "/admin/routing/credential",
            &[("name", "moonpay_api_key"), ("value", value)],
        )
        .await;
    assert_eq!(location(&stored), "/admin/routing?done=credential");
    let shown = op.get("/admin/routing").await;
    assert!(!shown.text.contains(value), "never shown in full");
    assert!(shown.text.contains("••••WXYZ"));
    let bad = op
        .post(
            "/admin/routing/method",
            &[("method", "card"), ("providers", "moonpay, bitcoin-atm")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.text.contains("bitcoin-atm"), "{}", bad.text);
    let crypto = op
        .post(
            "/admin/routing/method",
            &[("method", "card"), ("providers", "crypto")],
        )
        .await;
    assert_eq!(crypto.status, 422);
    let unknown = op.post("/admin/routing/nothing", &[]).await;
    assert_eq!(unknown.status, 404);
    let forged = op
        .post_raw(
            "/admin/routing/epv2",
            &[("csrf", "forged"), ("active", "1")],
        )
        .await;
    assert_eq!(forged.status, 403);
    let export = op.get("/admin/routing/export").await;
    assert_eq!(export.status, 200);
    assert!(!export.text.contains(value));
    app.stop().await;
}
