//! The session engine: group-committed creation under load, supervision after
//! a panic, expiry and the grace window on the injected clock.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::json;

use crate::helpers::{Backend, order, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    a_thousand_concurrent_creations_all_succeed_with_distinct_ids,
    a_panicking_session_actor_is_restarted_and_the_session_still_completes,
    sessions_expire_on_the_injected_clock_and_accept_payment_within_grace,
);

async fn a_thousand_concurrent_creations_all_succeed_with_distinct_ids(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let bodies: Vec<String> = (0..1000)
        .map(|i| order(&format!("LOAD_{i}")).to_string())
        .collect();

    let requests = bodies
        .iter()
        .map(|b| app.create_session_raw(&app.merchant.api_key, b.clone(), None));
    let answers = futures_util::future::join_all(requests).await;

    let mut ids = HashSet::new();
    let mut addresses = HashSet::new();
    for a in &answers {
        assert_eq!(a.status, 200, "{}", a.text);
        let body = a.json();
        ids.insert(body["session_id"].as_i64().unwrap());
        addresses.insert(body["polygon_address_in"].as_str().unwrap().to_string());
    }
    assert_eq!(ids.len(), 1000, "all ids distinct");
    assert_eq!(
        addresses.len(),
        1000,
        "every session has its own deposit address"
    );
    assert_eq!(
        crate::helpers::stored_sessions(&app.store).await,
        1000,
        "no lost rows"
    );
    let commits = app.sessions.commit_stats().await;
    assert_eq!(commits.sessions, 1000);
    assert!(
        commits.batches < 1000,
        "concurrent creates share commits: {commits:?}"
    );
    let sorted: Vec<i64> = {
        let mut v: Vec<i64> = ids.into_iter().collect();
        v.sort();
        v
    };
    assert!(
        sorted.windows(2).any(|w| w[1] - w[0] > 1_000),
        "ids are not a plain sequence"
    );
    app.stop().await;
}

async fn a_panicking_session_actor_is_restarted_and_the_session_still_completes(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.new_session("CRASH").await;
    app.sandbox_pay(json!({ "session_id": id, "amount": "1" }))
        .await;
    let (before, _) = app.sessions.stats().await;

    let answer = app
        .sandbox_pay(json!({ "session_id": id, "simulate": "panic" }))
        .await;

    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(app.session_status(id).await, "paid");
    let (after, _) = app.sessions.stats().await;
    assert_eq!(
        after.restarted,
        before.restarted + 1,
        "the registry restarted the actor"
    );
    // Every family is on /metrics from the start: the figure must have moved
    // (the recorder is shared by every test of this process, hence ≥).
    let metrics = crate::metrics_server::Scrape::parse(&app.get("/metrics").await.text);
    assert!(
        metrics.must("kassa_registry_restarted_total", &[]) >= 1.0,
        "{}",
        metrics.text
    );
    assert!(metrics.must("kassa_actor_restarted_total", &[("actor", "session")]) >= 1.0);
    app.stop().await;
}

async fn sessions_expire_on_the_injected_clock_and_accept_payment_within_grace(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let late = app.new_session("EXP_LATE").await;
    let too_late = app.new_session("EXP_TOO_LATE").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        app.session_status(late).await,
        "created",
        "not expired before its time"
    );

    app.clock.advance(Duration::from_secs(15 * 60 + 1));
    app.wait_for_status(late, "expired").await;
    app.wait_for_status(too_late, "expired").await;

    app.clock.advance(Duration::from_secs(30 * 60));
    let paid_late = app.sandbox_pay(json!({ "session_id": late })).await;
    assert_eq!(paid_late.status, 200, "{}", paid_late.text);
    assert_eq!(
        app.session_status(late).await,
        "paid",
        "within the one-hour grace window"
    );

    app.clock.advance(Duration::from_secs(31 * 60));
    let refused = app.sandbox_pay(json!({ "session_id": too_late })).await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    let status = app.status(&format!("session_id={too_late}")).await.json();
    assert_eq!(status["session"]["status"], json!("expired"));
    assert!(
        status["session"]["last_error"]
            .as_str()
            .unwrap()
            .contains("grace")
    );
    app.stop().await;
}

#[actix_web::test]
async fn idle_session_actors_are_passivated_and_come_back_on_demand() {
    let Some(app) =
        crate::helpers::spawn_app_with(Backend::Sqlite, |s| s.session_idle_secs = 1).await
    else {
        return;
    };
    let id = app.new_session("IDLE").await;
    app.sandbox_pay(json!({ "session_id": id, "amount": "1" }))
        .await;
    let (busy, _) = app.sessions.stats().await;
    assert_eq!(busy.live, 1);

    let mut passivated = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (stats, _) = app.sessions.stats().await;
        if stats.passivated >= 1 && stats.live == 0 {
            passivated = true;
            break;
        }
    }
    assert!(passivated, "an idle actor is passivated");
    let metrics = crate::metrics_server::Scrape::parse(&app.get("/metrics").await.text);
    assert!(metrics.must("kassa_actor_passivated_total", &[("actor", "session")]) >= 1.0);

    let paid = app.sandbox_pay(json!({ "session_id": id })).await;
    assert_eq!(paid.status, 200, "{}", paid.text);
    assert_eq!(
        app.session_status(id).await,
        "paid",
        "a passivated session is reloaded from the database"
    );
    app.stop().await;
}
