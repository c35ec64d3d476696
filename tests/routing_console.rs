//! The admin console's routing edits through `app::routing_admin`: each is
//! checked by the routing rules (a refused edit stores nothing), stored as
//! one new version with its audit line, and two edits racing from two nodes
//! are both kept; and the CLI's credential commands.

use std::time::Duration;

use kassa::app::routing_admin::{self, PartnerParams, RoutingAdminError};
use kassa::domain::audit::AuditActor;
use kassa::domain::routing::credential::{CredentialName, CredentialSource, CredentialValue};
use kassa::domain::routing::document::RoutingEditError;
use kassa::domain::routing::{Method, Provider};
use serde_json::{Value, json};

use crate::helpers::{
    Backend, TestApp, kassa, kassa_with_stdin, open_store, routing_scope, spawn_app_with, stderr,
    stdout,
};
use crate::on_both_backends;

const ADMIN: AuditActor = AuditActor::Admin(4);

async fn app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |s| s.routing_reload_ms = 100).await
}

async fn refused_edits_store_nothing_and_name_the_rule(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let scope = routing_scope(&app.store);

    let other = routing_admin::set_method_providers(&scope, ADMIN, 1, Method::Other, &[]).await;
    let crypto =
        routing_admin::set_method_providers(&scope, ADMIN, 1, Method::Card, &[Provider::Crypto])
            .await;
    let partner = routing_admin::set_partner_split(&scope, ADMIN, 1, true, None).await;

    assert!(matches!(
        other,
        Err(RoutingAdminError::Edit(RoutingEditError::OtherHasNoList))
    ));
    let crypto = crypto.unwrap_err().to_string();
    assert!(
        crypto.contains("methods.card") && crypto.contains("crypto"),
        "{crypto}"
    );
    assert!(matches!(
        partner,
        Err(RoutingAdminError::PartnerNotConfigured)
    ));
    assert_eq!(app.store.routing_version().await.unwrap(), 0);
    let audit = kassa::app::audit_log::list(&app.store, None, 10)
        .await
        .unwrap();
    assert!(audit.entries.is_empty(), "{audit:?}");
    app.stop().await;
}

async fn partner_split_with_its_parameters_is_one_audited_version_without_secrets(
    backend: Backend,
) {
    let Some(app) = app(backend).await else {
        return;
    };
    let scope = routing_scope(&app.store);
    let partner_id = "partner-id-0123456789-tail";
    let params = PartnerParams {
        checkout_url: CredentialValue::parse(
            CredentialName::PartnerCheckoutUrl,
            "https://reseller.example/checkout",
        )
        .unwrap(),
        partner_id: CredentialValue::parse(CredentialName::PartnerId, partner_id).unwrap(),
    };

    let version = routing_admin::set_partner_split(&scope, ADMIN, 9, true, Some(params))
        .await
        .unwrap();

    assert_eq!(version, 1);
    let live = routing_admin::current(&scope).await.unwrap();
    assert!(live.config.epv2.partner_split && live.stored);
    for name in [
        CredentialName::PartnerCheckoutUrl,
        CredentialName::PartnerId,
    ] {
        let view = live.credentials.iter().find(|c| c.name == name).unwrap();
        assert_eq!(view.source, CredentialSource::Database, "{name:?}");
    }
    let audit = kassa::app::audit_log::list(&app.store, None, 10)
        .await
        .unwrap();
    let line = &audit.entries[0];
    assert_eq!(
        (line.action.as_str(), line.actor),
        ("routing.partner_split", ADMIN)
    );
    assert_eq!(line.after.as_ref().unwrap()["partner_split"], json!(true));
    assert_eq!(
        line.after.as_ref().unwrap()["params"]["partner_id"],
        json!("••••tail")
    );
    assert!(!format!("{:?}", line.after).contains(partner_id));
    app.stop().await;
}

async fn the_global_switch_set_in_the_console_reaches_me_php(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    assert_eq!(
        app.me().await.json()["smart_router"]["enabled_global"],
        json!(true)
    );

    routing_admin::set_global_switch(&routing_scope(&app.store), ADMIN, 1, Some(false))
        .await
        .unwrap();

    let mut seen = json!(null);
    for _ in 0..100 {
        seen = app.me().await.json()["smart_router"]["enabled_global"].clone();
        if seen == json!(false) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(seen, json!(false));
    app.stop().await;
}

async fn two_edits_racing_from_two_nodes_are_both_kept(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let other_node = open_store(&app.db).await;
    let (one, two) = (routing_scope(&app.store), routing_scope(&other_node));

    let (card, bank) = futures_util::future::join(
        routing_admin::set_method_providers(&one, ADMIN, 1, Method::Card, &[Provider::Wert]),
        routing_admin::set_method_providers(&two, ADMIN, 1, Method::Bank, &[Provider::Transak]),
    )
    .await;

    let mut versions = [card.unwrap(), bank.unwrap()];
    versions.sort_unstable();
    assert_eq!(versions, [1, 2]);
    let live = routing_admin::current(&one).await.unwrap();
    assert_eq!(live.config.table[&Method::Card], vec![Provider::Wert]);
    assert_eq!(live.config.table[&Method::Bank], vec![Provider::Transak]);
    let audit = kassa::app::audit_log::list(&app.store, None, 10)
        .await
        .unwrap();
    assert_eq!(audit.entries.len(), 2);
    other_node.close().await;
    app.stop().await;
}

async fn kassa_routing_stores_a_credential_from_stdin_and_lists_it_masked(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let env = [
        ("KASSA_DATABASE_URL", app.db.url.as_str()),
        ("KASSA_LOG", "error"),
    ];
    let secret = "wert-partner-0123456789-abcd";

    let set = kassa_with_stdin(
        &["routing", "set-credential", "wert_partner_id"],
        &env,
        &format!("{secret}\n"),
    )
    .await;
    let listed = kassa(&["routing", "credentials", "--json"], &env).await;

    assert!(set.status.success(), "{}", stderr(&set));
    assert!(listed.status.success(), "{}", stderr(&listed));
    for out in [&set, &listed] {
        assert!(!stdout(out).contains(secret) && !stderr(out).contains(secret));
    }
    let rows: Value = serde_json::from_str(stdout(&listed).trim()).unwrap();
    let wert = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == json!("wert_partner_id"))
        .unwrap();
    assert_eq!(wert["source"], json!("database"));
    assert_eq!(wert["value"], json!("••••abcd"));
    let unknown = kassa(&["routing", "clear-credential", "wert"], &env).await;
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("wert_partner_id"),
        "{}",
        stderr(&unknown)
    );
    let cleared = kassa(&["routing", "clear-credential", "wert_partner_id"], &env).await;
    assert!(cleared.status.success(), "{}", stderr(&cleared));
    let live = routing_admin::current(&routing_scope(&app.store))
        .await
        .unwrap();
    let wert = live
        .credentials
        .iter()
        .find(|c| c.name == CredentialName::WertPartnerId)
        .unwrap();
    assert_eq!(wert.source, CredentialSource::Missing);
    app.stop().await;
}

async fn a_stored_version_that_does_not_read_is_refused_and_an_import_replaces_it(
    backend: Backend,
) {
    let Some(app) = app(backend).await else {
        return;
    };
    let scope = routing_scope(&app.store);
    routing_admin::set_epv2_active(&scope, ADMIN, 1, true)
        .await
        .unwrap();
    wait_for_me(&app, "other", true).await;
    crate::helpers::raw_sql(
        &app.db.url,
        r#"INSERT INTO routing_config (version, config, actor, created_at) VALUES (2, '{"methods":{"card":["nope"]}}', 'cli', 0)"#,
    )
    .await;

    let edit = routing_admin::set_epv2_active(&scope, ADMIN, 2, false).await;
    let imported = crate::helpers::import_routing(&app, "[epv2]\nactive = false\n").await;

    let edit = edit.unwrap_err().to_string();
    assert!(
        edit.contains("version 2") && edit.contains("nope"),
        "{edit}"
    );
    assert_eq!(imported, 3);
    wait_for_me(&app, "other", false).await;
    let audit = kassa::app::audit_log::list(&app.store, None, 1)
        .await
        .unwrap();
    let before = audit.entries[0].before.as_ref().unwrap();
    assert!(
        before["unreadable"].as_str().unwrap().contains("nope"),
        "{before}"
    );
    app.stop().await;
}

/// Polls `me.php` until `method` shows `available`, or gives up.
async fn wait_for_me(app: &TestApp, method: &str, available: bool) {
    for _ in 0..100 {
        let me = app.me().await.json();
        if me["smart_router"]["methods"][method]["available"] == json!(available) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("me.php never showed {method}.available = {available}");
}

on_both_backends!(
    a_stored_version_that_does_not_read_is_refused_and_an_import_replaces_it,
    kassa_routing_stores_a_credential_from_stdin_and_lists_it_masked,
    refused_edits_store_nothing_and_name_the_rule,
    partner_split_with_its_parameters_is_one_audited_version_without_secrets,
    the_global_switch_set_in_the_console_reaches_me_php,
    two_edits_racing_from_two_nodes_are_both_kept,
);
