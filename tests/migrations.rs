//! Migrations that rewrite existing rows, run on a database left at the
//! level before them with the rows they must fix.

use kassa_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

use crate::helpers::{Backend, TestDb};
use crate::on_both_backends;

on_both_backends!(
    duplicate_merchant_emails_keep_the_oldest_owner_and_later_ones_get_a_dup_tag,
    a_merchants_key_from_before_api_keys_still_authenticates_and_is_listed,
    a_session_from_before_session_sources_reads_as_opened_through_the_api,
    sessions_keep_rows_indexes_and_deposits_and_new_ones_are_stored_in_creation_order,
);

/// Migrations before `m20261202_000007_unique_merchant_emails`.
const BEFORE_UNIQUE_EMAILS: u32 = 12;
/// Migrations before `m20261203_000101_create_api_keys`.
const BEFORE_API_KEYS: u32 = 14;
/// Migrations before `m20261204_000101_add_session_source`.
const BEFORE_SESSION_SOURCE: u32 = 18;
/// Migrations before `m20261207_000102_sessions_in_creation_order`.
const BEFORE_CREATION_ORDER: u32 = 31;

async fn connect(db: &TestDb, backend: Backend) -> DatabaseConnection {
    let url = match backend {
        Backend::Sqlite => format!("{}?mode=rwc", db.url),
        Backend::Postgres => db.url.clone(),
    };
    Database::connect(url).await.unwrap()
}

async fn insert_merchant(conn: &DatabaseConnection, email: &str, key: &str) {
    let sql = "INSERT INTO merchants (email, api_key_prefix, api_key_hash, webhook_disabled, \
               package, checkout_mode, crypto_enabled, disabled, created_at, updated_at) \
               VALUES ($1, $2, 'hash', false, 'pro', 'smart_router', true, false, 0, 0)";
    let backend = conn.get_database_backend();
    conn.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [email.into(), key.into()],
    ))
    .await
    .unwrap();
}

async fn emails(conn: &DatabaseConnection) -> Vec<(i64, String)> {
    let backend = conn.get_database_backend();
    conn.query_all_raw(Statement::from_string(
        backend,
        "SELECT id, email FROM merchants ORDER BY id",
    ))
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            r.try_get("", "id").unwrap(),
            r.try_get("", "email").unwrap(),
        )
    })
    .collect()
}

async fn duplicate_merchant_emails_keep_the_oldest_owner_and_later_ones_get_a_dup_tag(
    backend: Backend,
) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let conn = connect(&db, backend).await;
    Migrator::up(&conn, Some(BEFORE_UNIQUE_EMAILS))
        .await
        .unwrap();
    for (i, email) in [
        "Shop@X.example",
        "other@x.example",
        "shop@x.example",
        "SHOP@x.example ",
    ]
    .iter()
    .enumerate()
    {
        insert_merchant(&conn, email, &format!("key{i}")).await;
    }

    Migrator::up(&conn, None).await.unwrap();

    let ids: Vec<i64> = emails(&conn).await.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        emails(&conn).await,
        vec![
            (ids[0], "shop@x.example".to_string()),
            (ids[1], "other@x.example".to_string()),
            (ids[2], format!("shop+dup{}@x.example", ids[2])),
            (ids[3], format!("shop+dup{}@x.example", ids[3])),
        ]
    );
    insert_merchant_expecting_refusal(&conn, "other@x.example").await;
    conn.close().await.unwrap();
}

/// The unique index refuses a second row with a taken address.
async fn insert_merchant_expecting_refusal(conn: &DatabaseConnection, email: &str) {
    let backend = conn.get_database_backend();
    let refused = conn
        .execute_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO merchants (email, webhook_disabled, \
             package, checkout_mode, crypto_enabled, disabled, created_at, updated_at) \
             VALUES ($1, false, 'pro', 'smart_router', true, false, 0, 0)",
            [email.into()],
        ))
        .await;
    assert!(refused.is_err(), "a taken address is refused");
}

async fn a_merchants_key_from_before_api_keys_still_authenticates_and_is_listed(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let conn = connect(&db, backend).await;
    Migrator::up(&conn, Some(BEFORE_API_KEYS)).await.unwrap();
    let key = kassa::domain::api_key::generate();
    let backend_of = conn.get_database_backend();
    conn.execute_raw(Statement::from_sql_and_values(
        backend_of,
        "INSERT INTO merchants (email, api_key_prefix, api_key_hash, webhook_disabled, \
         package, checkout_mode, crypto_enabled, disabled, created_at, updated_at) \
         VALUES ('old@shop.example', $1, $2, false, 'pro', 'smart_router', true, false, 7, 7)",
        [key.id.clone().into(), key.hash.clone().into()],
    ))
    .await
    .unwrap();
    let merchant_id: i64 = conn
        .query_one_raw(Statement::from_string(
            backend_of,
            "SELECT id FROM merchants WHERE email = 'old@shop.example'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "id")
        .unwrap();
    conn.execute_raw(Statement::from_sql_and_values(
        backend_of,
        "INSERT INTO merchant_domains (merchant_id, domain) VALUES ($1, 'shop.example')",
        [merchant_id.into()],
    ))
    .await
    .unwrap();
    conn.close().await.unwrap();

    let app = crate::helpers::spawn_on(db, |_| {}).await;

    let me = app.me_as(&key.key).await;
    assert_eq!(me.status, 200, "the old key works: {}", me.text);
    let keys = kassa::app::api_keys::list(&app.store, merchant_id)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].prefix, key.id);
    assert_eq!(keys[0].created_at, 7);
    assert!(keys[0].is_active());
    let domains = app
        .store
        .merchant(merchant_id)
        .await
        .unwrap()
        .unwrap()
        .domains;
    assert_eq!(
        domains,
        vec!["shop.example".to_string()],
        "the rebuild kept the allowlist"
    );
    app.stop().await;
}

async fn a_session_from_before_session_sources_reads_as_opened_through_the_api(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let conn = connect(&db, backend).await;
    Migrator::up(&conn, Some(BEFORE_SESSION_SOURCE))
        .await
        .unwrap();
    let backend_of = conn.get_database_backend();
    conn.execute_raw(Statement::from_string(
        backend_of,
        "INSERT INTO merchants (id, email, webhook_disabled, package, checkout_mode, \
         crypto_enabled, disabled, created_at, updated_at) \
         VALUES (1, 'old@shop.example', false, 'pro', 'smart_router', true, false, 0, 0)",
    ))
    .await
    .unwrap();
    conn.execute_raw(Statement::from_string(
        backend_of,
        "INSERT INTO sessions (id, merchant_id, hd_index, deposit_address, amount_minor, \
         currency, expected_usdc, received_usdc, status, version, event_count, shop_domain, \
         test, created_at, expires_at) VALUES (4242, 1, 77, '0xabc', 100, 'EUR', 108, 0, \
         'created', 0, 0, 'shop.example', true, 1, 2)",
    ))
    .await
    .unwrap();

    Migrator::up(&conn, None).await.unwrap();

    let row = conn
        .query_one_raw(Statement::from_string(
            backend_of,
            "SELECT source, source_id FROM sessions WHERE id = 4242",
        ))
        .await
        .unwrap()
        .unwrap();
    let source: String = row.try_get("", "source").unwrap();
    let source_id: Option<i64> = row.try_get("", "source_id").unwrap();
    assert_eq!(source, "api");
    assert_eq!(source_id, None);
    conn.close().await.unwrap();
}

/// The SQLite rebuild of `sessions` (its id no longer the table's own key)
/// keeps every row, index and deposit; PostgreSQL is left as it was. After
/// it, SQLite stores new sessions in the order they are inserted, whatever
/// their ids.
async fn sessions_keep_rows_indexes_and_deposits_and_new_ones_are_stored_in_creation_order(
    backend: Backend,
) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let conn = connect(&db, backend).await;
    Migrator::up(&conn, Some(BEFORE_CREATION_ORDER))
        .await
        .unwrap();
    let b = conn.get_database_backend();
    let exec = |sql: String| {
        let conn = &conn;
        async move {
            conn.execute_raw(Statement::from_string(b, sql))
                .await
                .unwrap();
        }
    };
    exec(
        "INSERT INTO merchants (id, email, webhook_disabled, package, checkout_mode, \
          crypto_enabled, disabled, created_at, updated_at) \
          VALUES (1, 'old@shop.example', false, 'pro', 'smart_router', true, false, 0, 0)"
            .into(),
    )
    .await;
    let session = |id: i64, hd: i64| {
        format!(
            "INSERT INTO sessions (id, merchant_id, hd_index, deposit_address, order_id, \
             amount_minor, currency, expected_usdc, received_usdc, status, version, \
             event_count, shop_domain, test, created_at, expires_at) VALUES ({id}, 1, {hd}, \
             '0xabc', 'ORDER-{id}', 100, 'EUR', 108, 0, 'created', 0, 0, 'shop.example', \
             true, {hd}, 2)"
        )
    };
    exec(session(9_000_000_000, 1)).await;
    exec(session(5_000_000_000, 2)).await;
    exec(
        "INSERT INTO deposits (session_id, tx_hash, log_index, amount_usdc, confirmations, \
          counted, observed_at) VALUES (5000000000, '0xfeed', 0, 108, 1, true, 0)"
            .into(),
    )
    .await;

    Migrator::up(&conn, None).await.unwrap();

    let ids = |sql: &'static str| {
        let conn = &conn;
        async move {
            conn.query_all_raw(Statement::from_string(b, sql))
                .await
                .unwrap()
                .iter()
                .map(|r| r.try_get_by_index::<i64>(0).unwrap())
                .collect::<Vec<i64>>()
        }
    };
    assert_eq!(
        ids("SELECT id FROM sessions ORDER BY id").await,
        vec![5_000_000_000, 9_000_000_000]
    );
    assert_eq!(
        ids("SELECT session_id FROM deposits").await,
        vec![5_000_000_000]
    );
    assert_eq!(
        ids("SELECT id FROM sessions WHERE merchant_id = 1 AND order_id = 'ORDER-9000000000'")
            .await,
        vec![9_000_000_000]
    );
    if backend == Backend::Sqlite {
        // Still the parent of deposits: a deposit for no session is refused.
        let orphan = conn
            .execute_raw(Statement::from_string(
                b,
                "INSERT INTO deposits (session_id, tx_hash, log_index, amount_usdc, \
                 confirmations, counted, observed_at) VALUES (77, '0xbad', 0, 1, 1, true, 0)",
            ))
            .await;
        assert!(orphan.is_err(), "{orphan:?}");
        assert_eq!(
            ids("SELECT count(*) FROM pragma_foreign_key_check").await,
            vec![0]
        );
        assert_eq!(
            conn.query_one_raw(Statement::from_string(b, "PRAGMA integrity_check"))
                .await
                .unwrap()
                .unwrap()
                .try_get_by_index::<String>(0)
                .unwrap(),
            "ok"
        );
        let indexes = ids("SELECT count(*) FROM sqlite_master WHERE type = 'index' \
                           AND tbl_name = 'sessions' AND name LIKE 'idx_sessions_%'")
        .await;
        assert_eq!(indexes, vec![8]);
        // New sessions go to the end of the table, not to their id's place.
        exec(session(7_000_000_000, 3)).await;
        exec(session(1_000_000_000, 4)).await;
        assert_eq!(
            ids("SELECT id FROM sessions ORDER BY rowid").await,
            vec![5_000_000_000, 9_000_000_000, 7_000_000_000, 1_000_000_000]
        );
    }
    conn.close().await.unwrap();
}
