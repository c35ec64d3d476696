//! The operators' audit log: lines appended through `app::audit_log`, read
//! back newest first page by page, and shown by `kassa audit list`.

use kassa::app::audit_log;
use kassa::domain::audit::{AuditAction, AuditActor};
use serde_json::{Value, json};

use crate::helpers::{Backend, kassa, spawn_app, stderr, stdout};
use crate::on_both_backends;

async fn audit_lines_read_back_newest_first_in_pages(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    for n in 1..=5 {
        audit_log::record(
            &app.store,
            1_000 + n,
            AuditActor::Admin(n),
            AuditAction::RoutingEpv2,
            "routing",
            Some(json!({ "active": false })),
            Some(json!({ "active": true, "n": n })),
        )
        .await
        .unwrap();
    }

    let first = audit_log::list(&app.store, None, 2).await.unwrap();
    let second = audit_log::list(&app.store, first.next_before, 2)
        .await
        .unwrap();
    let last = audit_log::list(&app.store, second.next_before, 2)
        .await
        .unwrap();

    let actors = |p: &audit_log::AuditPage| -> Vec<AuditActor> {
        p.entries.iter().map(|e| e.actor).collect()
    };
    assert_eq!(actors(&first), [AuditActor::Admin(5), AuditActor::Admin(4)]);
    assert_eq!(
        actors(&second),
        [AuditActor::Admin(3), AuditActor::Admin(2)]
    );
    assert_eq!(actors(&last), [AuditActor::Admin(1)]);
    assert_eq!(last.next_before, None);
    let newest = &first.entries[0];
    assert_eq!(newest.action, "routing.epv2");
    assert_eq!(newest.at_ms, 1_005);
    assert_eq!(newest.before, Some(json!({ "active": false })));
    assert_eq!(newest.after, Some(json!({ "active": true, "n": 5 })));
    app.stop().await;
}

async fn kassa_audit_list_prints_the_log_as_json(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    audit_log::record(
        &app.store,
        7,
        AuditActor::Cli,
        AuditAction::CredentialSet,
        "credential:moonpay_api_key",
        None,
        Some(json!({ "value": "••••9f3a" })),
    )
    .await
    .unwrap();
    let env = [
        ("KASSA_DATABASE_URL", app.db.url.as_str()),
        ("KASSA_LOG", "error"),
    ];

    let listed = kassa(&["audit", "list", "--limit", "10", "--json"], &env).await;

    assert!(listed.status.success(), "{}", stderr(&listed));
    let out: Value = serde_json::from_str(stdout(&listed).trim()).unwrap();
    let line = &out["entries"][0];
    assert_eq!(line["actor"], "cli");
    assert_eq!(line["action"], "credential.set");
    assert_eq!(line["subject"], "credential:moonpay_api_key");
    assert_eq!(line["after"]["value"], "••••9f3a");
    assert_eq!(out["next_before"], Value::Null);
    let table = kassa(&["audit", "list"], &env).await;
    assert!(table.status.success(), "{}", stderr(&table));
    assert!(
        stdout(&table).contains("credential.set"),
        "{}",
        stdout(&table)
    );
    app.stop().await;
}

async fn kassa_merchant_update_writes_the_changed_fields_and_names_secrets_without_values(
    backend: Backend,
) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let env = [
        ("KASSA_DATABASE_URL", app.db.url.as_str()),
        ("KASSA_LOG", "error"),
    ];
    let id = app.merchant.id.to_string();

    let out = kassa(
        &[
            "merchant",
            "update",
            "--id",
            &id,
            "--package",
            "free",
            "--rotate-webhook-secret",
        ],
        &env,
    )
    .await;

    assert!(out.status.success(), "{}", stderr(&out));
    let page = audit_log::list(&app.store, None, 10).await.unwrap();
    let line = page
        .entries
        .iter()
        .find(|e| e.action == "merchant.update")
        .expect("an audit line for the update");
    assert_eq!(line.actor, AuditActor::Cli);
    assert_eq!(line.subject, format!("merchant:{id}"));
    assert_eq!(line.before, Some(json!({ "package": "pro" })));
    assert_eq!(
        line.after,
        Some(json!({ "package": "free", "webhook_secret": "rotated" }))
    );
    let new_secret = app
        .store
        .webhook_secret(app.merchant.id)
        .await
        .unwrap()
        .unwrap();
    let text = format!("{:?}", page.entries);
    assert!(!text.contains(&new_secret) && !text.contains(&app.merchant.webhook_secret));
    app.stop().await;
}

on_both_backends!(
    kassa_merchant_update_writes_the_changed_fields_and_names_secrets_without_values,
    audit_lines_read_back_newest_first_in_pages,
    kassa_audit_list_prints_the_log_as_json,
);
