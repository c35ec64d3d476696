//! `app::operations::snapshot`: the figures the admin console streams and
//! `/metrics` publishes, read once — actors, chain position, payouts,
//! webhook backlog and sessions by status — and a figure whose read breaks
//! on purpose is missing while the others still come.

use serde_json::json;

use crate::helpers::{Backend, TestApp, raw_sql, spawn_app};
use crate::on_both_backends;
use kassa::actors::supervision::ActorKind;
use kassa::app::operations::{OperationsSnapshot, Sources, snapshot};
use kassa::clock::Clock;

on_both_backends!(
    a_snapshot_shows_the_actors_the_chain_payouts_webhooks_and_sessions,
    a_figure_that_cannot_be_read_is_missing_and_the_others_still_come,
);

async fn take(app: &TestApp) -> OperationsSnapshot {
    let sources = Sources {
        store: &app.store,
        sessions: &app.sessions,
        chain: &app.chain,
    };
    snapshot(sources, app.clock.now_ms()).await
}

fn count(snapshot: &OperationsSnapshot, status: &str) -> u64 {
    snapshot
        .sessions
        .as_ref()
        .unwrap()
        .iter()
        .find(|s| s.status == status)
        .unwrap()
        .count
}

async fn a_snapshot_shows_the_actors_the_chain_payouts_webhooks_and_sessions(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let paid = app.new_session("OPS_PAID").await;
    app.new_session("OPS_OPEN").await;
    let answer = app.sandbox_pay(json!({ "session_id": paid })).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let step = app.payouts.run().await.unwrap();
    assert_eq!(step.created, 1, "{step:?}");
    app.chain.sync().await.unwrap();

    let snapshot = take(&app).await;

    assert_eq!(
        (count(&snapshot, "paid"), count(&snapshot, "created")),
        (1, 1)
    );
    assert_eq!(count(&snapshot, "expired"), 0);
    let payouts = snapshot.payouts.as_ref().unwrap();
    assert_eq!((payouts.pending, payouts.failed), (1, 0), "{payouts:?}");
    let chain = snapshot.chain.unwrap();
    assert!(chain.processed <= chain.head, "{chain:?}");
    assert_eq!(chain.lag, chain.head - chain.processed);
    assert!(snapshot.webhooks.is_some());
    let kinds: Vec<ActorKind> = snapshot.actors.iter().map(|a| a.kind).collect();
    assert_eq!(kinds, ActorKind::ALL);
    // The tally is the process's: other tests' servers count in it too.
    for kind in [
        ActorKind::Registry,
        ActorKind::ChainWatcher,
        ActorKind::Payout,
    ] {
        let figures = snapshot.actor(kind).unwrap();
        assert!(figures.live >= 1, "{figures:?}");
        assert!(figures.messages >= 1, "{figures:?}");
        assert!(figures.handling.count >= 1, "{figures:?}");
    }
    let json = serde_json::to_value(&snapshot).unwrap();
    assert_eq!(json["actors"][0]["kind"], "session");
    assert_eq!(json["chain"]["head"], chain.head);
    assert_eq!(json["payouts"]["pending"], 1);
    assert_eq!(
        json["actors"][0]["handling"]["buckets"]
            .as_array()
            .unwrap()
            .len(),
        kassa::actors::supervision::HANDLING_BUCKETS.len()
    );
    app.stop().await;
}

/// Breaks on purpose: the sweeps table is gone from under the server.
async fn a_figure_that_cannot_be_read_is_missing_and_the_others_still_come(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.new_session("OPS_BROKEN").await;
    raw_sql(&app.db.url, "ALTER TABLE sweeps RENAME TO sweeps_elsewhere").await;

    let snapshot = take(&app).await;
    let metrics = app.get("/metrics").await;

    assert_eq!(snapshot.payouts, None);
    assert_eq!(count(&snapshot, "created"), 1);
    assert!(snapshot.webhooks.is_some());
    assert_eq!(metrics.status, 200, "a scrape still answers");
    raw_sql(&app.db.url, "ALTER TABLE sweeps_elsewhere RENAME TO sweeps").await;
    app.stop().await;
}
