//! The attention page: anonymous visitors are sent to the login page; an
//! operator sees each item with its action, acts with one form (the
//! notice says what was done, the audit log names the operator), and a
//! wrong id or a stale form is refused with a clear error.

use super::{log_in, new_operator};
use crate::dashboard::browser::{Browser, location};
use crate::helpers::{Backend, spawn_app};
use crate::on_both_backends;
use kassa::app::audit_log;
use kassa::domain::audit::AuditActor;

on_both_backends!(
    an_operator_re_enables_a_parked_endpoint_from_the_queue_and_it_is_audited,
    a_wrong_item_is_refused_with_a_clear_error,
);

async fn an_operator_re_enables_a_parked_endpoint_from_the_queue_and_it_is_audited(
    backend: Backend,
) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let anonymous = Browser::new(&app).get("/admin/attention").await;
    assert_eq!(anonymous.status, 303);
    assert!(location(&anonymous).starts_with("/admin/login"));
    let merchant = app.merchant.id;
    app.store.disable_webhook_endpoint(merchant).await.unwrap();
    let (email, password) = new_operator(&app).await;
    let mut op = Browser::new(&app);
    log_in(&mut op, &app, &email, &password, None).await;

    let page = op.get("/admin/attention").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("Disabled webhook endpoints"));
    assert!(
        page.text
            .contains("name=\"kind\" value=\"disabled_endpoint\"")
    );
    let target = merchant.to_string();
    let done = op
        .post(
            "/admin/attention",
            &[("kind", "disabled_endpoint"), ("target", &target)],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.text);
    let back = op.get(&location(&done)).await;

    assert!(
        back.text.contains(&format!(
            "Merchant {merchant}&#x27;s webhook endpoint is enabled again."
        )) || back.text.contains(&format!(
            "Merchant {merchant}&#39;s webhook endpoint is enabled again."
        )),
        "{}",
        back.text
    );
    assert!(back.text.contains("Nothing needs attention"));
    let hook = app.store.merchant_hook(merchant, 0).await.unwrap().unwrap();
    assert!(!hook.disabled);
    let line = &audit_log::list(&app.store, None, 1).await.unwrap().entries[0];
    assert_eq!(line.action, "webhook.enable");
    assert!(matches!(line.actor, AuditActor::Admin(_)));
    assert_eq!(line.subject, format!("merchant:{merchant}"));
    app.stop().await;
}

async fn a_wrong_item_is_refused_with_a_clear_error(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (email, password) = new_operator(&app).await;
    let mut op = Browser::new(&app);
    log_in(&mut op, &app, &email, &password, None).await;
    op.get("/admin/attention").await;

    let unknown = op
        .post(
            "/admin/attention",
            &[("kind", "failed_payout"), ("target", "424242")],
        )
        .await;
    let malformed = op
        .post(
            "/admin/attention",
            &[("kind", "late_deposit"), ("target", "x<y")],
        )
        .await;
    let no_kind = op
        .post(
            "/admin/attention",
            &[("kind", "everything"), ("target", "1")],
        )
        .await;
    let forged = op
        .post_raw(
            "/admin/attention",
            &[
                ("csrf", "forged"),
                ("kind", "failed_payout"),
                ("target", "1"),
            ],
        )
        .await;

    assert_eq!(unknown.status, 404);
    assert!(
        unknown.text.contains("No sweep with id 424242."),
        "{}",
        unknown.text
    );
    assert_eq!(malformed.status, 400);
    assert!(malformed.text.contains("is not the id of a deposit"));
    assert!(!malformed.text.contains("x<y"), "typed input is escaped");
    assert_eq!(no_kind.status, 400);
    assert_eq!(forged.status, 403);
    assert!(
        audit_log::list(&app.store, None, 10)
            .await
            .unwrap()
            .entries
            .iter()
            .all(|l| !l.action.starts_with("payout.") && !l.action.starts_with("deposit."))
    );
    app.stop().await;
}
