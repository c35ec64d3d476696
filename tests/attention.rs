//! The operators' attention queue (`app::attention`): each kind of item —
//! a late deposit, a failed payout, a dead-letter webhook, a parked
//! endpoint — appears in the list, its action works and writes its audit
//! line, and a wrong id is refused with a clear error.

use std::time::Duration;

use kassa::app::attention::{self, Acted, AttentionError, AttentionItem, Requester};
use kassa::app::audit_log;
use kassa::clock::Clock;
use kassa::config::RawSettings;
use kassa::domain::attention::AttentionKind;
use kassa::domain::audit::{AuditActor, AuditEntry};
use serde_json::json;

use crate::helpers::{Backend, TestApp, WALLET, raw_sql, spawn_app, spawn_app_with};
use crate::on_both_backends;

on_both_backends!(
    a_late_deposit_is_listed_and_forwarded_once,
    a_failed_payout_is_listed_and_its_retry_queued_once,
    a_dead_webhook_is_listed_and_queued_again,
    a_parked_endpoint_is_listed_and_re_enabled,
);

const LATECOMER: &str = "0x5555555555555555555555555555555555555555";

fn operator() -> Requester {
    Requester {
        actor: AuditActor::Admin(7),
        name: "ops@kassa.test".into(),
    }
}

async fn items(app: &TestApp, kind: AttentionKind) -> Vec<AttentionItem> {
    let queue = attention::list(&app.store).await.unwrap();
    queue.items.into_iter().filter(|i| i.kind == kind).collect()
}

async fn act(app: &TestApp, kind: AttentionKind, target: &str) -> Result<Acted, AttentionError> {
    attention::act(&app.store, &operator(), kind, target, app.clock.now_ms()).await
}

/// The newest audit line.
async fn last_audit(app: &TestApp) -> AuditEntry {
    let page = audit_log::list(&app.store, None, 1).await.unwrap();
    page.entries.into_iter().next().expect("an audit line")
}

async fn a_late_deposit_is_listed_and_forwarded_once(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| s.expiry_sweep_interval_ms = 20).await else {
        return;
    };
    let defaults = RawSettings::default();
    let id = app.new_session("ATTN_LATE").await;
    app.clock.advance(Duration::from_secs(
        defaults.session_lifetime_secs + defaults.grace_period_secs + 1,
    ));
    app.wait_for_status(id, "expired").await;
    app.chain_pay(id, 12_500_000, LATECOMER).await;

    let listed = items(&app, AttentionKind::LateDeposit).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let item = &listed[0];
    assert_eq!(item.session_id, Some(id));
    assert_eq!(item.amount.unwrap().to_string(), "12.50");
    assert!(!item.requested);
    let acted = act(&app, AttentionKind::LateDeposit, &item.target).await;
    let again = act(&app, AttentionKind::LateDeposit, &item.target).await;
    let unknown = act(&app, AttentionKind::LateDeposit, "999999").await;
    let nonsense = act(&app, AttentionKind::LateDeposit, "twelve").await;

    let Ok(Acted::Forwarded(request)) = acted else {
        panic!("{acted:?}");
    };
    assert_eq!(request.to, WALLET);
    assert!(items(&app, AttentionKind::LateDeposit).await[0].requested);
    assert!(
        matches!(again, Err(AttentionError::DepositQueued(_))),
        "{again:?}"
    );
    assert_eq!(
        unknown.unwrap_err().to_string(),
        "no deposit with id 999999"
    );
    assert_eq!(
        nonsense.unwrap_err().to_string(),
        "`twelve` is not the id of a deposit"
    );
    let line = last_audit(&app).await;
    assert_eq!(line.action, "deposit.forward");
    assert_eq!(line.actor, AuditActor::Admin(7));
    assert_eq!(line.subject, format!("deposit:{}", item.target));
    assert_eq!(line.before.unwrap()["amount_usdc"], "12.50");
    assert_eq!(line.after.unwrap()["request_id"], request.request_id);
    let open = app.store.open_payout_requests().await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].requested_by, "ops@kassa.test");
    app.stop().await;
}

async fn a_failed_payout_is_listed_and_its_retry_queued_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.new_session("ATTN_SWEEP").await;
    let paid = app.sandbox_pay(json!({ "session_id": id })).await;
    assert_eq!(paid.status, 200, "{}", paid.text);
    app.payouts.run().await.unwrap();
    let sweep = app.store.session_sweeps(id).await.unwrap()[0].id;
    raw_sql(
        &app.db.url,
        &format!(
            "UPDATE sweeps SET state = 'failed', last_error = 'out of gas' WHERE id = {sweep}"
        ),
    )
    .await;

    let listed = items(&app, AttentionKind::FailedPayout).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].target, sweep.to_string());
    assert_eq!(listed[0].detail.as_deref(), Some("out of gas"));
    let acted = act(&app, AttentionKind::FailedPayout, &listed[0].target).await;
    let again = act(&app, AttentionKind::FailedPayout, &listed[0].target).await;
    let unknown = act(&app, AttentionKind::FailedPayout, "424242").await;

    assert!(matches!(acted, Ok(Acted::RetryQueued(_))), "{acted:?}");
    assert!(items(&app, AttentionKind::FailedPayout).await[0].requested);
    assert_eq!(
        again.unwrap_err().to_string(),
        format!("a retry of sweep {sweep} is already queued")
    );
    assert_eq!(unknown.unwrap_err().to_string(), "no sweep with id 424242");
    let line = last_audit(&app).await;
    assert_eq!(
        (line.action.as_str(), line.subject.clone()),
        ("payout.retry", format!("sweep:{sweep}"))
    );
    assert_eq!(line.before.unwrap()["last_error"], "out of gas");
    app.stop().await;
}

async fn a_dead_webhook_is_listed_and_queued_again(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.new_session("ATTN_HOOK").await;
    let paid = app.sandbox_pay(json!({ "session_id": id })).await;
    assert_eq!(paid.status, 200, "{}", paid.text);
    raw_sql(
        &app.db.url,
        &format!(
            "UPDATE webhook_events SET state = 'dead', last_error = 'HTTP 500' WHERE session_id = {id}"
        ),
    )
    .await;

    let listed = items(&app, AttentionKind::DeadWebhook).await;
    assert!(!listed.is_empty());
    let item = &listed[0];
    assert_eq!(item.session_id, Some(id));
    assert!(
        item.detail.as_deref().unwrap().ends_with(": HTTP 500"),
        "{item:?}"
    );
    let acted = act(&app, AttentionKind::DeadWebhook, &item.target).await;
    let unknown = act(&app, AttentionKind::DeadWebhook, "evt_nope").await;
    let nonsense = act(&app, AttentionKind::DeadWebhook, "evt 1; drop").await;

    assert_eq!(acted.unwrap(), Acted::Resent(item.target.clone()));
    let event = app
        .store
        .webhook_event(&item.target)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(event.state, "dead");
    assert_eq!(
        unknown.unwrap_err().to_string(),
        "no webhook event evt_nope"
    );
    assert!(
        matches!(nonsense, Err(AttentionError::Target(_))),
        "{nonsense:?}"
    );
    let line = last_audit(&app).await;
    assert_eq!(line.action, "webhook.resend");
    assert_eq!(line.subject, format!("webhook:{}", item.target));
    assert_eq!(line.before.unwrap()["state"], "dead");
    app.stop().await;
}

async fn a_parked_endpoint_is_listed_and_re_enabled(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let merchant = app.merchant.id;
    assert_eq!(attention::list(&app.store).await.unwrap().items, []);
    app.store.disable_webhook_endpoint(merchant).await.unwrap();

    let listed = items(&app, AttentionKind::DisabledEndpoint).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].target, merchant.to_string());
    let acted = act(&app, AttentionKind::DisabledEndpoint, &listed[0].target).await;
    let again = act(&app, AttentionKind::DisabledEndpoint, &listed[0].target).await;
    let unknown = act(&app, AttentionKind::DisabledEndpoint, "777777").await;

    assert_eq!(acted.unwrap(), Acted::Enabled(merchant));
    let hook = app.store.merchant_hook(merchant, 0).await.unwrap().unwrap();
    assert!(!hook.disabled);
    assert!(
        items(&app, AttentionKind::DisabledEndpoint)
            .await
            .is_empty()
    );
    assert_eq!(
        again.unwrap_err().to_string(),
        format!("merchant {merchant}'s webhook endpoint is not disabled")
    );
    assert_eq!(
        unknown.unwrap_err().to_string(),
        "no merchant with id 777777"
    );
    let line = last_audit(&app).await;
    assert_eq!(
        (line.action.as_str(), line.subject.clone()),
        ("webhook.enable", format!("merchant:{merchant}"))
    );
    assert_eq!(line.after.unwrap()["webhook_disabled"], false);
    app.stop().await;
}
