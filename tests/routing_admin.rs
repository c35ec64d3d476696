//! Smart Routing kept in the database: `kassa routing import|export`, the
//! console's edits through `app::routing_admin`, provider credentials that
//! override configuration (sealed at rest), and every node following the
//! version without a restart.

use std::time::Duration;

use kassa::app::routing_admin::{self, RoutingScope};
use kassa::domain::audit::AuditActor;
use kassa::domain::routing::credential::{CredentialName, CredentialSource, CredentialValue};
use kassa::domain::routing::{Method, Provider};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::{
    Backend, TestApp, kassa, open_store, order, routing_scope, spawn_app_with, stderr, stdout,
};
use crate::on_both_backends;

/// Fast polling of the routing version.
async fn app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |s| s.routing_reload_ms = 100).await
}

async fn other_available(app: &TestApp) -> bool {
    app.me().await.json()["smart_router"]["methods"]["other"]["available"] == json!(true)
}

/// Polls `me.php` until EPv2 (`other`) shows `available`, or gives up.
async fn wait_for_other(app: &TestApp, available: bool) {
    for _ in 0..100 {
        if other_available(app).await == available {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("me.php never showed other.available = {available}");
}

fn env(app: &TestApp) -> [(&str, &str); 2] {
    [
        ("KASSA_DATABASE_URL", app.db.url.as_str()),
        ("KASSA_LOG", "error"),
    ]
}

async fn a_routing_file_imported_with_the_cli_reaches_me_php_and_pay_php_without_a_restart(
    backend: Backend,
) {
    let Some(app) = app(backend).await else {
        return;
    };
    assert!(!other_available(&app).await);
    let id = app.new_session("RI-1").await;
    let pay_other = format!("/pay.php?session={id}&method=other");
    let refused = crate::checkout::page(&app, &pay_other, &[]).await;
    assert!(refused.status >= 400, "{}", refused.status);
    assert!(refused.text.contains("epv2_inactive"), "{}", refused.text);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("routing.toml");
    std::fs::write(&file, "[epv2]\nactive = true\n").unwrap();
    let file = file.display().to_string();

    let out = kassa(&["routing", "import", &file], &env(&app)).await;

    assert!(out.status.success(), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(said.contains("routing version 1"), "{said}");
    wait_for_other(&app, true).await;
    // `other` is the EPv2 provider list, a page of the checkout itself.
    let chosen = crate::checkout::page(&app, &pay_other, &[]).await;
    assert_eq!(chosen.status, 200, "{}", chosen.text);
    let audit = kassa::app::audit_log::list(&app.store, None, 10)
        .await
        .unwrap();
    let line = audit
        .entries
        .iter()
        .find(|e| e.action == "routing.import")
        .expect("an audit line for the import");
    assert_eq!(line.actor, AuditActor::Cli);
    assert_eq!(
        line.before.as_ref().unwrap()["epv2"]["active"],
        json!(false)
    );
    assert_eq!(line.after.as_ref().unwrap()["epv2"]["active"], json!(true));
    app.stop().await;
}

async fn a_bad_routing_file_is_refused_naming_its_problem_and_changes_nothing(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("routing.toml");
    std::fs::write(&file, "[methods]\ncard = [\"moonpay\", \"bitcoin-atm\"]\n").unwrap();

    let out = kassa(
        &["routing", "import", &file.display().to_string()],
        &env(&app),
    )
    .await;

    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("methods.card"), "{err}");
    assert!(err.contains("bitcoin-atm"), "{err}");
    assert!(err.contains("routing.toml"), "{err}");
    assert_eq!(app.store.routing_version().await.unwrap(), 0);
    let missing = kassa(
        &["routing", "import", "/nonexistent/routing.toml"],
        &env(&app),
    )
    .await;
    assert!(!missing.status.success());
    assert!(stderr(&missing).contains("/nonexistent/routing.toml"));
    app.stop().await;
}

async fn the_exported_routing_imports_back_to_the_same_configuration(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let scope = routing_scope(&app.store);
    let admin = AuditActor::Admin(1);
    routing_admin::set_method_providers(
        &scope,
        admin,
        1,
        Method::Card,
        &[Provider::Transak, Provider::Sandbox],
    )
    .await
    .unwrap();
    routing_admin::set_global_switch(&scope, admin, 2, Some(true))
        .await
        .unwrap();
    routing_admin::set_epv2_active(&scope, admin, 3, true)
        .await
        .unwrap();
    crate::helpers::import_routing(
        &app,
        &routing_admin::export(&scope).await.unwrap().replace(
            "[epv2]",
            "[merchants.88]\nblock_methods = [\"paypal\"]\n\n[epv2]",
        ),
    )
    .await;
    let before = routing_admin::current(&scope).await.unwrap();

    let exported = kassa(&["routing", "export"], &env(&app)).await;
    assert!(exported.status.success(), "{}", stderr(&exported));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("exported.toml");
    std::fs::write(&file, stdout(&exported)).unwrap();
    let imported = kassa(
        &["routing", "import", &file.display().to_string()],
        &env(&app),
    )
    .await;

    assert!(imported.status.success(), "{}", stderr(&imported));
    let after = routing_admin::current(&scope).await.unwrap();
    assert_eq!(after.version, before.version + 1);
    assert_eq!(after.config, before.config);
    assert_eq!(
        after.config.table[&Method::Card],
        vec![Provider::Transak, Provider::Sandbox]
    );
    assert!(!after.config.rules_for(88).method_allowed(Method::Paypal));
    assert_eq!(after.config.enabled_global, Some(true));
    app.stop().await;
}

async fn a_credential_set_in_the_database_overrides_configuration_and_is_sealed(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| {
        s.routing_reload_ms = 100;
        s.onramp.transak_api_key = Some("transak-from-configuration".into());
    })
    .await
    else {
        return;
    };
    let onramp = kassa::config::Settings::check({
        let mut raw = crate::helpers::settings(&app.db.url, std::path::Path::new("unused"));
        raw.onramp.transak_api_key = Some("transak-from-configuration".into());
        raw
    })
    .unwrap()
    .onramp;
    let scope = RoutingScope {
        store: &app.store,
        sandbox: true,
        onramp: &onramp,
    };
    let admin = AuditActor::Admin(7);
    routing_admin::set_method_providers(&scope, admin, 1, Method::Card, &[Provider::Transak])
        .await
        .unwrap();
    let secret = "transak-from-the-database-9f3a";
    let value = CredentialValue::parse(CredentialName::TransakApiKey, secret).unwrap();

    routing_admin::set_credential(&scope, admin, 2, CredentialName::TransakApiKey, value)
        .await
        .unwrap();

    let view = routing_admin::current(&scope).await.unwrap();
    let transak = view
        .credentials
        .iter()
        .find(|c| c.name == CredentialName::TransakApiKey)
        .unwrap();
    assert_eq!(transak.source, CredentialSource::Database);
    assert_eq!(transak.masked.as_deref(), Some("••••9f3a"));
    let wert = view
        .credentials
        .iter()
        .find(|c| c.name == CredentialName::WertPartnerId)
        .unwrap();
    assert_eq!(
        (wert.source, wert.masked.clone()),
        (CredentialSource::Missing, None)
    );
    let raw = stored_credential(&app.db.url).await;
    if backend == Backend::Sqlite {
        let bytes = crate::secrets_at_rest::sqlite_bytes(&app.db.url);
        assert!(!crate::secrets_at_rest::contains(&bytes, secret));
    }
    assert!(raw.starts_with("v1:") && !raw.contains(secret), "{raw}");
    assert_eq!(api_key_of_card_route(&app, "CR-1").await, secret);
    let audit = kassa::app::audit_log::list(&app.store, None, 10)
        .await
        .unwrap();
    let line = audit
        .entries
        .iter()
        .find(|e| e.action == "credential.set")
        .unwrap();
    let text = format!("{:?} {:?}", line.before, line.after);
    assert!(
        !text.contains(secret) && !text.contains("transak-from-configuration"),
        "{text}"
    );
    assert_eq!(line.after.as_ref().unwrap()["source"], json!("database"));

    routing_admin::clear_credential(&scope, admin, 3, CredentialName::TransakApiKey)
        .await
        .unwrap();

    assert_eq!(
        api_key_of_card_route(&app, "CR-2").await,
        "transak-from-configuration"
    );
    app.stop().await;
}

/// The one stored credential's value, as the database holds it.
async fn stored_credential(db_url: &str) -> String {
    let db = sea_orm::Database::connect(db_url).await.unwrap();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT value FROM provider_credentials",
        ))
        .await
        .unwrap()
        .unwrap();
    let value: String = row.try_get("", "value").unwrap();
    db.close().await.unwrap();
    value
}

/// Creates sessions with a card hint until the router has the newest
/// credentials in force, and returns the Transak `apiKey` its URL carries.
async fn api_key_of_card_route(app: &TestApp, reference: &str) -> String {
    let mut last = Value::Null;
    let mut seen = Vec::new();
    for i in 0..60 {
        let mut body = order(&format!("{reference}-{i}"));
        body["method"] = json!("card");
        last = app.create_session(&body).await.json();
        let key = last["direct_url"]
            .as_str()
            .and_then(|u| url::Url::parse(u).ok())
            .and_then(|u| {
                u.query_pairs()
                    .find(|(k, _)| k == "apiKey")
                    .map(|(_, v)| v.into_owned())
            });
        if let Some(key) = key {
            seen.push(key);
            // Two answers alike in a row: the reload has happened.
            if seen.len() >= 2 && seen[seen.len() - 1] == seen[seen.len() - 2] && i > 2 {
                return seen.pop().unwrap();
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no Transak URL: {last}");
}

async fn the_router_follows_a_version_written_by_another_node(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    assert!(!other_available(&app).await);
    let other_node = open_store(&app.db).await;

    let version =
        routing_admin::set_epv2_active(&routing_scope(&other_node), AuditActor::Admin(2), 5, true)
            .await
            .unwrap();

    assert_eq!(version, 1);
    wait_for_other(&app, true).await;
    routing_admin::set_epv2_active(&routing_scope(&other_node), AuditActor::Admin(2), 6, false)
        .await
        .unwrap();
    wait_for_other(&app, false).await;
    let audit = kassa::app::audit_log::list(&app.store, None, 10)
        .await
        .unwrap();
    assert_eq!(
        audit
            .entries
            .iter()
            .filter(|e| e.action == "routing.epv2")
            .count(),
        2
    );
    other_node.close().await;
    app.stop().await;
}

on_both_backends!(
    a_routing_file_imported_with_the_cli_reaches_me_php_and_pay_php_without_a_restart,
    a_bad_routing_file_is_refused_naming_its_problem_and_changes_nothing,
    the_exported_routing_imports_back_to_the_same_configuration,
    a_credential_set_in_the_database_overrides_configuration_and_is_sealed,
    the_router_follows_a_version_written_by_another_node,
);

#[actix_web::test]
async fn a_routing_file_setting_is_imported_only_into_an_empty_database() {
    let Some((app, file, _dir)) =
        crate::helpers::spawn_app_with_routing_file("[epv2]\nactive = true\n").await
    else {
        return;
    };
    assert!(other_available(&app).await);
    assert_eq!(app.store.routing_version().await.unwrap(), 1);
    std::fs::write(&file, "[epv2]\nactive = false\n").unwrap();
    let path = file.display().to_string();
    let db = app.stop_keeping_db().await;

    let app = crate::helpers::spawn_on(db, |s| s.routing_file = Some(path)).await;

    assert_eq!(
        app.store.routing_version().await.unwrap(),
        1,
        "not imported again"
    );
    assert!(other_available(&app).await);
    app.stop().await;
}
