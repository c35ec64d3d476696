//! `kassa merchant keys create | list | revoke` and `merchant update
//! --rotate-api-key`, run as real processes against a running server's
//! database: printed keys work, lists never show a secret, revoked and
//! rotated-out keys are refused (on PostgreSQL at once, through NOTIFY; on
//! SQLite within the server's one-second cache TTL).

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{
    Backend, MerchantSpec, TestApp, TestDb, create_merchant, kassa, spawn_on, stderr, stdout,
};
use crate::on_both_backends;

on_both_backends!(
    merchant_keys_create_list_and_revoke_work_against_a_running_server,
    rotating_the_api_key_from_the_cli_revokes_the_old_one,
);

async fn server(backend: Backend) -> Option<(TestApp, String)> {
    let db = TestDb::new(backend).await?;
    let url = db.url.clone();
    let app = spawn_on(db, |s| {
        if backend == Backend::Postgres {
            // A minute: only the NOTIFY can make a revoked key fail at once.
            s.auth_cache_ttl_ms = 60_000;
        }
    })
    .await;
    Some((app, url))
}

/// Polls `key` for at most 1.5 s (the SQLite cache TTL is 1 s) until it is refused.
async fn refused_soon(app: &TestApp, key: &str) -> bool {
    let deadline = Instant::now() + Duration::from_millis(1500);
    loop {
        let answer = app.me_as(key).await;
        if answer.status == 401 && answer.error_code() == "invalid_api_key" {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn merchant_keys_create_list_and_revoke_work_against_a_running_server(backend: Backend) {
    let Some((app, url)) = server(backend).await else {
        return;
    };
    let env = [("KASSA_DATABASE_URL", url.as_str()), ("KASSA_LOG", "error")];
    let id = app.merchant.id.to_string();

    let created = kassa(
        &[
            "merchant",
            "keys",
            "create",
            "--id",
            &id,
            "--label",
            "ci runner",
            "--json",
        ],
        &env,
    )
    .await;

    assert!(created.status.success(), "{}", stderr(&created));
    let out: Value = serde_json::from_str(stdout(&created).trim()).unwrap();
    let key = out["api_key"].as_str().unwrap().to_string();
    let prefix = out["prefix"].as_str().unwrap().to_string();
    assert!(key.starts_with(&format!("{prefix}_")), "{key} / {prefix}");
    assert_eq!(app.me_as(&key).await.status, 200, "the printed key works");

    let listed = kassa(&["merchant", "keys", "list", "--id", &id, "--json"], &env).await;
    assert!(listed.status.success(), "{}", stderr(&listed));
    let list: Value = serde_json::from_str(stdout(&listed).trim()).unwrap();
    let rows = list.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["prefix"], Value::from(prefix.clone()));
    assert_eq!(rows[1]["label"], Value::from("ci runner"));
    assert_eq!(rows[1]["active"], Value::from(true));
    let text = kassa(&["merchant", "keys", "list", "--id", &id], &env).await;
    for shown in [stdout(&listed), stdout(&text)] {
        assert!(!shown.contains(&key), "a list never shows a key");
        assert!(!shown.contains(&app.merchant.api_key));
    }
    assert!(stdout(&text).contains(&prefix));

    let other = create_merchant(&app.store, MerchantSpec::default()).await;
    let foreign = kassa(
        &[
            "merchant",
            "keys",
            "revoke",
            "--id",
            &other.id.to_string(),
            "--key",
            &prefix,
        ],
        &env,
    )
    .await;
    assert!(!foreign.status.success());
    assert!(
        stderr(&foreign).contains("has no API key"),
        "{}",
        stderr(&foreign)
    );
    assert_eq!(app.me_as(&key).await.status, 200, "still works");

    let revoked = kassa(
        &["merchant", "keys", "revoke", "--id", &id, "--key", &prefix],
        &env,
    )
    .await;

    assert!(revoked.status.success(), "{}", stderr(&revoked));
    assert!(refused_soon(&app, &key).await, "the revoked key is refused");
    assert_eq!(app.me().await.status, 200, "the first key keeps working");
    app.stop().await;
}

async fn rotating_the_api_key_from_the_cli_revokes_the_old_one(backend: Backend) {
    let Some((app, url)) = server(backend).await else {
        return;
    };
    let env = [("KASSA_DATABASE_URL", url.as_str()), ("KASSA_LOG", "error")];
    let id = app.merchant.id.to_string();
    assert_eq!(app.me().await.status, 200, "the old key is cached");

    let rotated = kassa(
        &[
            "merchant",
            "update",
            "--id",
            &id,
            "--rotate-api-key",
            "--json",
        ],
        &env,
    )
    .await;

    assert!(rotated.status.success(), "{}", stderr(&rotated));
    let out: Value = serde_json::from_str(stdout(&rotated).trim()).unwrap();
    let key = out["api_key"].as_str().unwrap();
    assert_eq!(app.me_as(key).await.status, 200, "the new key works");
    assert!(
        refused_soon(&app, &app.merchant.api_key).await,
        "the old key is refused"
    );
    let keys = kassa::app::api_keys::list(&app.store, app.merchant.id)
        .await
        .unwrap();
    assert_eq!(keys.iter().filter(|k| k.is_active()).count(), 1);
    app.stop().await;
}
