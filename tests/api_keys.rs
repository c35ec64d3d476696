//! Several API keys per merchant: a second key works, a revoked one is
//! refused with `invalid_api_key` at once (on the node that revoked it and,
//! on PostgreSQL, on every other node), lists show prefixes and never a
//! secret, "last used" appears after a flush, tenancy holds, the active-key
//! limit holds, and a lost revocation listener clears the cache.

use std::time::{Duration, Instant};

use kassa::app::api_keys::{self, ApiKeyError, MAX_ACTIVE_KEYS, NoKeyCache};
use kassa::clock::Clock;
use secrecy::ExposeSecret;

use crate::helpers::{
    Backend, MerchantSpec, TestApp, TestDb, create_merchant, spawn_app_with, spawn_on,
};
use crate::on_both_backends;

on_both_backends!(
    a_second_key_works_and_the_list_shows_prefixes_and_labels_but_never_a_secret,
    a_revoked_key_is_refused_with_invalid_api_key_at_once_and_the_others_keep_working,
    last_used_appears_after_a_flush_and_only_on_the_key_that_was_used,
    another_merchants_key_cannot_be_revoked_and_keeps_working,
    a_merchant_holds_at_most_the_active_key_limit,
);

/// Cached entries would live a minute: only a drop can make a revoked key fail.
fn long_cache(s: &mut kassa::config::RawSettings) {
    s.auth_cache_ttl_ms = 60_000;
}

async fn app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, long_cache).await
}

fn now(app: &TestApp) -> i64 {
    app.clock.now_ms()
}

async fn a_second_key_works_and_the_list_shows_prefixes_and_labels_but_never_a_secret(
    backend: Backend,
) {
    let Some(app) = app(backend).await else {
        return;
    };
    let id = app.merchant.id;

    let second = api_keys::create(&app.store, id, Some("  staging "), now(&app))
        .await
        .unwrap();

    let key = second.key.expose_secret().to_string();
    assert_eq!(app.me_as(&key).await.status, 200);
    assert_eq!(app.me().await.status, 200, "the first key still works");
    let keys = api_keys::list(&app.store, id).await.unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[1].prefix, second.summary.prefix);
    assert_eq!(keys[1].label.as_deref(), Some("staging"));
    assert!(keys.iter().all(|k| k.is_active() && k.revoked_at.is_none()));
    let shown = format!("{keys:?}");
    for secret in [&key, &app.merchant.api_key] {
        let tail = secret.rsplit('_').next().unwrap();
        assert!(!shown.contains(tail), "a list never shows a secret");
    }
    app.stop().await;
}

async fn a_revoked_key_is_refused_with_invalid_api_key_at_once_and_the_others_keep_working(
    backend: Backend,
) {
    let Some(app) = app(backend).await else {
        return;
    };
    let id = app.merchant.id;
    let second = api_keys::create(&app.store, id, None, now(&app))
        .await
        .unwrap();
    let key = second.key.expose_secret().to_string();
    assert_eq!(app.me_as(&key).await.status, 200, "used, so cached");

    let revoked = api_keys::revoke(
        &app.store,
        app.auth_cache.as_ref(),
        id,
        &format!("kassa_{}", second.summary.prefix),
        now(&app),
    )
    .await
    .unwrap();

    assert!(revoked.revoked_at.is_some());
    let refused = app.me_as(&key).await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.error_code(), "invalid_api_key");
    assert_eq!(app.me().await.status, 200, "the other key keeps working");
    let again = api_keys::revoke(&app.store, &NoKeyCache, id, &key, now(&app))
        .await
        .unwrap();
    assert_eq!(
        again.revoked_at, revoked.revoked_at,
        "revoking twice changes nothing"
    );
    app.stop().await;
}

async fn last_used_appears_after_a_flush_and_only_on_the_key_that_was_used(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let id = app.merchant.id;
    api_keys::create(&app.store, id, Some("unused"), now(&app))
        .await
        .unwrap();
    let before = now(&app);

    assert_eq!(app.me().await.status, 200);
    app.key_uses.flush().await.unwrap();

    let keys = api_keys::list(&app.store, id).await.unwrap();
    let used = keys[0].last_used_at.expect("the used key has a last use");
    assert!(used >= before, "{used} >= {before}");
    assert!(used <= now(&app));
    assert_eq!(keys[1].last_used_at, None, "the unused key has none");
    app.stop().await;
}

async fn another_merchants_key_cannot_be_revoked_and_keeps_working(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let other = create_merchant(&app.store, MerchantSpec::default()).await;
    let others = api_keys::list(&app.store, other.id).await.unwrap();

    let refused = api_keys::revoke(
        &app.store,
        app.auth_cache.as_ref(),
        app.merchant.id,
        &others[0].prefix,
        now(&app),
    )
    .await;

    assert!(
        matches!(refused, Err(ApiKeyError::KeyNotFound { .. })),
        "{refused:?}"
    );
    assert_eq!(app.me_as(&other.api_key).await.status, 200);
    assert!(matches!(
        api_keys::list(&app.store, 999_999).await,
        Err(ApiKeyError::MerchantNotFound(999_999))
    ));
    app.stop().await;
}

async fn a_merchant_holds_at_most_the_active_key_limit(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let id = app.merchant.id;
    for _ in 1..MAX_ACTIVE_KEYS {
        api_keys::create(&app.store, id, None, now(&app))
            .await
            .unwrap();
    }

    let refused = api_keys::create(&app.store, id, None, now(&app)).await;

    assert!(
        matches!(refused, Err(ApiKeyError::TooManyKeys(MAX_ACTIVE_KEYS))),
        "{refused:?}"
    );
    let first = api_keys::list(&app.store, id).await.unwrap()[0]
        .prefix
        .clone();
    api_keys::revoke(&app.store, app.auth_cache.as_ref(), id, &first, now(&app))
        .await
        .unwrap();
    api_keys::create(&app.store, id, None, now(&app))
        .await
        .expect("a revoked key frees a place");
    app.stop().await;
}

/// Polls `key` on `app` every 20 ms for at most a second until it is refused.
async fn refused_within_a_second(app: &TestApp, key: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let answer = app.me_as(key).await;
        if answer.status == 401 {
            assert_eq!(answer.error_code(), "invalid_api_key");
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix_web::test]
async fn a_key_revoked_on_one_node_is_refused_by_another_node_on_the_same_postgres_at_once() {
    let Some(db) = TestDb::new(Backend::Postgres).await else {
        return;
    };
    let shared = db.shared();
    let one = spawn_on(db, long_cache).await;
    let two = spawn_on(shared, long_cache).await;
    let id = one.merchant.id;
    let second = api_keys::create(&one.store, id, None, now(&one))
        .await
        .unwrap();
    let key = second.key.expose_secret().to_string();
    assert_eq!(one.me_as(&key).await.status, 200);
    assert_eq!(
        two.me_as(&key).await.status,
        200,
        "both nodes cache the key"
    );

    api_keys::revoke(
        &one.store,
        one.auth_cache.as_ref(),
        id,
        &second.summary.prefix,
        now(&one),
    )
    .await
    .unwrap();

    assert_eq!(
        one.me_as(&key).await.status,
        401,
        "the revoking node at once"
    );
    assert!(
        refused_within_a_second(&two, &key).await,
        "the other node heard the revocation"
    );
    assert_eq!(two.me().await.status, 200, "its own key still works");
    two.stop().await;
    one.stop().await;
}

#[actix_web::test]
async fn a_lost_revocation_listener_clears_the_whole_cache() {
    let Some(app) = spawn_app_with(Backend::Postgres, long_cache).await else {
        return;
    };
    assert_eq!(app.me().await.status, 200, "cached for a minute");
    // Revoked behind the node's back: no NOTIFY, so only a cleared cache refuses it.
    let sql = "UPDATE api_keys SET revoked_at = 1 WHERE merchant_id = $1";
    pg(&app, sql, Some(app.merchant.id)).await;
    assert_eq!(app.me().await.status, 200, "still cached");

    pg(
        &app,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        None,
    )
    .await;

    assert!(
        refused_within_a_second(&app, &app.merchant.api_key).await,
        "the cache was cleared when the listener was lost"
    );
    app.stop().await;
}

/// Runs `sql` (with `$1` bound to `value`, if any) on the app's PostgreSQL database.
async fn pg(app: &TestApp, sql: &str, value: Option<i64>) {
    use sea_orm::sqlx::{Connection, Executor, PgConnection};
    let mut conn = PgConnection::connect(&app.db.url).await.unwrap();
    let mut query = sea_orm::sqlx::query(sea_orm::sqlx::AssertSqlSafe(sql.to_string()));
    if let Some(value) = value {
        query = query.bind(value);
    }
    conn.execute(query).await.unwrap();
    let _ = conn.close().await;
}
