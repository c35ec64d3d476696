//! `Idempotency-Key`: replays are byte-identical and create nothing.

use serde_json::json;

use crate::helpers::{Backend, order, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    the_same_key_and_body_return_the_first_response_and_create_nothing,
    the_same_key_with_another_body_is_a_conflict,
    concurrent_duplicates_create_one_session,
);

async fn the_same_key_and_body_return_the_first_response_and_create_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let body = order("IDEM_1").to_string();

    let first = app
        .create_session_raw(&app.merchant.api_key, body.clone(), Some("key-1"))
        .await;
    let second = app
        .create_session_raw(&app.merchant.api_key, body, Some("key-1"))
        .await;

    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(second.status, 200);
    assert_eq!(first.text, second.text, "byte for byte");
    let counts = app.store.count_by_status().await.unwrap();
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    assert_eq!(total, 1);
    app.stop().await;
}

async fn the_same_key_with_another_body_is_a_conflict(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let first = app
        .create_session_raw(
            &app.merchant.api_key,
            order("IDEM_2").to_string(),
            Some("key-2"),
        )
        .await;
    assert_eq!(first.status, 200);

    let mut other = order("IDEM_2");
    other["amount"] = json!("80.00");
    let second = app
        .create_session_raw(&app.merchant.api_key, other.to_string(), Some("key-2"))
        .await;

    assert_eq!(
        (second.status, second.error_code()),
        (409, "idempotency_conflict".to_string())
    );
    app.stop().await;
}

async fn concurrent_duplicates_create_one_session(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let body = order("IDEM_3").to_string();

    let requests =
        (0..20).map(|_| app.create_session_raw(&app.merchant.api_key, body.clone(), Some("key-3")));
    let answers = futures_util::future::join_all(requests).await;

    for a in &answers {
        assert_eq!(a.status, 200, "{}", a.text);
        assert_eq!(a.text, answers[0].text);
    }
    assert_eq!(crate::helpers::stored_sessions(&app.store).await, 1);
    app.stop().await;
}

#[actix_web::test]
async fn keys_older_than_a_day_are_purged_by_the_sweeper() {
    use kassa::clock::Clock;
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let first = app
        .create_session_raw(
            &app.merchant.api_key,
            order("IDEM_OLD").to_string(),
            Some("key-old"),
        )
        .await;
    assert_eq!(first.status, 200);

    app.clock.advance(std::time::Duration::from_secs(25 * 3600));
    // The sweeper runs every 50 ms in tests and purges on every sixtieth run.
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;

    let cutoff = app.clock.now_ms() - kassa::store::idempotency::KEEP_MS;
    assert_eq!(
        app.store.purge_idempotency(cutoff).await.unwrap(),
        0,
        "the sweeper already removed the old key"
    );
    app.stop().await;
}
