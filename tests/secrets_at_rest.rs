//! Secrets at rest: merchants' webhook secrets (current and rotated-out)
//! are sealed in the database, still sign webhooks, are sealed in place at
//! the next start when found in the clear, and a node with the wrong
//! secrets key refuses to start instead of failing at the first webhook.

use kassa::clock::{ManualClock, SharedClock};
use kassa::config::Settings;
use kassa::startup::Application;
use sea_orm::{ConnectionTrait, Statement};

use crate::helpers::{Backend, TestDb, settings, spawn_app, spawn_on};
use crate::on_both_backends;

/// The merchant's two secret columns as stored.
async fn stored_secrets(db_url: &str, id: i64) -> (Option<String>, Option<String>) {
    let db = sea_orm::Database::connect(db_url).await.unwrap();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT webhook_secret, webhook_secret_previous FROM merchants WHERE id = {id}"
            ),
        ))
        .await
        .unwrap()
        .unwrap();
    let out = (
        row.try_get("", "webhook_secret").unwrap(),
        row.try_get("", "webhook_secret_previous").unwrap(),
    );
    db.close().await.unwrap();
    out
}

/// Every byte SQLite keeps for the database (the file and its WAL).
pub(crate) fn sqlite_bytes(db_url: &str) -> Vec<u8> {
    let path = db_url.trim_start_matches("sqlite://");
    let mut bytes = std::fs::read(path).unwrap();
    if let Ok(wal) = std::fs::read(format!("{path}-wal")) {
        bytes.extend(wal);
    }
    bytes
}

pub(crate) fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

async fn a_webhook_secret_is_sealed_in_the_database_and_still_reads_back(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let secret = app.merchant.webhook_secret.clone();

    let (stored, _) = stored_secrets(&app.db.url, app.merchant.id).await;

    let stored = stored.unwrap();
    assert!(stored.starts_with("v1:"), "{stored}");
    assert!(!stored.contains(&secret));
    assert!(!stored.contains(secret.trim_start_matches("whsec_")));
    if backend == Backend::Sqlite {
        assert!(!contains(&sqlite_bytes(&app.db.url), &secret));
    }
    assert_eq!(
        app.store.webhook_secret(app.merchant.id).await.unwrap(),
        Some(secret.clone())
    );
    let hook = app
        .store
        .merchant_hook(app.merchant.id, 0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hook.secrets, vec![secret]);
    app.stop().await;
}

async fn secrets_found_in_the_clear_are_sealed_at_the_next_start(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.merchant.id;
    let db = app.stop_keeping_db().await;
    let (current, previous) = (
        "whsec_from_before_encryption_1",
        "whsec_rotated_out_before_2",
    );
    crate::helpers::raw_sql(
        &db.url,
        &format!(
            "UPDATE merchants SET webhook_secret = '{current}', webhook_secret_previous = '{previous}', \
             webhook_secret_previous_until = 9000000000000 WHERE id = {id}"
        ),
    )
    .await;

    let app = spawn_on(db, |_| {}).await;

    let (stored, stored_previous) = stored_secrets(&app.db.url, id).await;
    for s in [stored.unwrap(), stored_previous.unwrap()] {
        assert!(s.starts_with("v1:"), "{s}");
        assert!(!s.contains("before"), "{s}");
    }
    let hook = app.store.merchant_hook(id, 0).await.unwrap().unwrap();
    assert_eq!(
        hook.secrets,
        vec![current.to_string(), previous.to_string()]
    );
    let audit = kassa::app::audit_log::list(&app.store, None, 10)
        .await
        .unwrap();
    assert!(
        audit.entries.iter().any(|e| e.action == "secrets.encrypt"),
        "{audit:?}"
    );
    app.stop().await;
}

async fn a_node_with_another_secrets_key_refuses_to_start(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let db = app.stop_keeping_db().await;
    let data = tempfile::tempdir().unwrap();
    let other_key = data.path().join("other.key");
    std::fs::write(&other_key, [1u8; 32]).unwrap();
    let mut raw = settings(&db.url, data.path());
    raw.secrets_key_file = Some(other_key.display().to_string());
    let clock: SharedClock = ManualClock::new();

    let started = Application::build(Settings::check(raw).unwrap(), clock).await;

    let err = format!("{:#}", started.err().expect("the node refuses to start"));
    assert!(err.contains("secrets key"), "{err}");
    assert!(err.contains("KASSA_SECRETS_KEY_FILE"), "{err}");
    drop(db);
}

on_both_backends!(
    a_webhook_secret_is_sealed_in_the_database_and_still_reads_back,
    secrets_found_in_the_clear_are_sealed_at_the_next_start,
    a_node_with_another_secrets_key_refuses_to_start,
);

#[actix_web::test]
async fn a_live_node_without_a_secrets_key_file_fails_at_start_with_the_setting_named() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut raw = settings(&db.url, data.path());
    crate::helpers::go_live(&mut raw);
    raw.secrets_key_file = None;

    let err = Settings::check(raw).unwrap_err().to_string();

    assert!(err.contains("KASSA_SECRETS_KEY_FILE"), "{err}");
}
