//! The chain leader's lease: of several nodes on one database exactly one
//! runs the chain watcher and payouts, another takes over when it stops or
//! dies, and a deposed leader's writes are refused (fencing token).
//!
//! The store's lease on both backends; the nodes on PostgreSQL (the one
//! database several nodes share): two in-process servers for a release,
//! the addresses the other node issued and a sandbox payment through the
//! node that does not lead, two `kassa serve` children for SIGTERM and
//! SIGKILL. A leader deposed behind its back (the lease taken by force)
//! has its checkpoint and its first payout write refused.

use std::time::{Duration, Instant};

use kassa::actors::chain_watcher::CURSOR;
use kassa::store::StoreError;
use kassa::store::lease::{CHAIN_LEADER, Fence};

use crate::helpers::{Backend, TestApp, TestDb, open_store, readyz, spawn_app_with, spawn_on};
use crate::on_both_backends;
use crate::single_node::{Node, merchant_on};

const TTL: Duration = Duration::from_secs(5);

on_both_backends!(
    of_many_holders_racing_for_a_free_lease_exactly_one_wins,
    the_token_grows_when_the_holder_changes_and_not_on_renewal,
    an_expired_lease_is_taken_over_and_its_old_holder_cannot_renew,
    a_write_fenced_by_an_old_token_is_refused_after_a_takeover,
    a_leader_deposed_without_knowing_it_makes_no_payout,
);

async fn of_many_holders_racing_for_a_free_lease_exactly_one_wins(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let store = open_store(&db).await;

    let tries = (0..32).map(|i| {
        let store = store.clone();
        async move {
            let holder = format!("node-{}", i % 2);
            let token = store
                .try_acquire_lease(CHAIN_LEADER, &holder, TTL)
                .await
                .unwrap();
            (holder, token)
        }
    });
    let answers = futures_util::future::join_all(tries).await;

    let winners: std::collections::BTreeSet<&str> = answers
        .iter()
        .filter(|(_, token)| token.is_some())
        .map(|(holder, _)| holder.as_str())
        .collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    let winner = *winners.iter().next().unwrap();
    let (holder, token) = store.lease_holder(CHAIN_LEADER).await.unwrap().unwrap();
    assert_eq!((holder.as_str(), token), (winner, 1));
    store.close().await;
}

async fn the_token_grows_when_the_holder_changes_and_not_on_renewal(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let store = open_store(&db).await;

    let first = store
        .try_acquire_lease(CHAIN_LEADER, "a", TTL)
        .await
        .unwrap();
    assert_eq!(first, Some(1));
    assert!(store.renew_lease(CHAIN_LEADER, "a", 1, TTL).await.unwrap());
    assert_eq!(
        store
            .try_acquire_lease(CHAIN_LEADER, "a", TTL)
            .await
            .unwrap(),
        Some(1),
        "taking a lease already held keeps its token"
    );
    assert_eq!(
        store
            .try_acquire_lease(CHAIN_LEADER, "b", TTL)
            .await
            .unwrap(),
        None,
        "a held lease is not taken"
    );
    assert!(store.release_lease(CHAIN_LEADER, "a", 1).await.unwrap());
    assert_eq!(
        store
            .try_acquire_lease(CHAIN_LEADER, "b", TTL)
            .await
            .unwrap(),
        Some(2),
        "a released lease is taken at once, one token later"
    );
    assert!(store.renew_lease(CHAIN_LEADER, "b", 2, TTL).await.unwrap());
    assert_eq!(
        store.lease_holder(CHAIN_LEADER).await.unwrap(),
        Some(("b".to_string(), 2))
    );
    assert!(!store.renew_lease(CHAIN_LEADER, "a", 1, TTL).await.unwrap());
    store.close().await;
}

async fn an_expired_lease_is_taken_over_and_its_old_holder_cannot_renew(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let store = open_store(&db).await;
    let short = Duration::from_millis(300);
    let token = store
        .try_acquire_lease(CHAIN_LEADER, "a", short)
        .await
        .unwrap()
        .unwrap();

    tokio::time::sleep(Duration::from_millis(400)).await;
    let taken = store
        .try_acquire_lease(CHAIN_LEADER, "b", TTL)
        .await
        .unwrap();

    assert_eq!(taken, Some(token + 1));
    assert!(
        !store
            .renew_lease(CHAIN_LEADER, "a", token, TTL)
            .await
            .unwrap()
    );
    store.close().await;
}

async fn a_write_fenced_by_an_old_token_is_refused_after_a_takeover(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let store = open_store(&db).await;
    let short = Duration::from_millis(300);
    let fence = Fence::new(CHAIN_LEADER, "a");
    fence.set(
        store
            .try_acquire_lease(CHAIN_LEADER, "a", short)
            .await
            .unwrap(),
    );
    let leader = store.with_fence(fence.clone());
    leader
        .save_chain_cursor("usdc_transfers", 10, "0xaa", 0)
        .await
        .unwrap();

    tokio::time::sleep(Duration::from_millis(400)).await;
    let taken = store
        .try_acquire_lease(CHAIN_LEADER, "b", TTL)
        .await
        .unwrap();
    assert!(taken.is_some());
    let late = leader
        .save_chain_cursor("usdc_transfers", 11, "0xbb", 0)
        .await;

    assert!(matches!(late, Err(StoreError::Fenced)), "{late:?}");
    assert_eq!(
        store.chain_cursor("usdc_transfers").await.unwrap(),
        Some((10, "0xaa".to_string()))
    );
    fence.set(None);
    let unled = leader
        .set_deposit_confirmations(&[("0x1".into(), 0, 3)])
        .await;
    assert!(matches!(unled, Err(StoreError::Fenced)), "{unled:?}");
    // A single-statement write on a fenced store keeps its lease check.
    let reserved = leader.reserve_hd_indexes(1).await;
    assert!(matches!(reserved, Err(StoreError::Fenced)), "{reserved:?}");
    store.close().await;
}

/// Two servers on one PostgreSQL database, the lease short.
async fn two_nodes(ttl_ms: u64) -> Option<(TestApp, TestApp)> {
    let db = TestDb::new(Backend::Postgres).await?;
    let shared = db.shared();
    let one = spawn_on(db, |s| {
        s.node_id = Some("one".into());
        s.leader_lease_ms = ttl_ms;
    })
    .await;
    let two = spawn_on(shared, |s| {
        s.node_id = Some("two".into());
        s.leader_lease_ms = ttl_ms;
    })
    .await;
    Some((one, two))
}

async fn wait_until_leading(app: &TestApp, within: Duration) -> Duration {
    let started = Instant::now();
    while !app.leadership.is_leader() {
        assert!(
            started.elapsed() < within,
            "{} did not lead within {within:?}",
            app.leadership.node()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    started.elapsed()
}

#[actix_web::test]
async fn of_two_nodes_on_one_database_exactly_one_leads_and_readyz_names_it() {
    let Some((one, two)) = two_nodes(1_000).await else {
        return;
    };

    let first = one.get("/readyz").await.json();
    let second = two.get("/readyz").await.json();
    let metrics = reqwest::get(one.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    assert_eq!(
        (first["node"].as_str(), second["node"].as_str()),
        (Some("one"), Some("two"))
    );
    assert_eq!(
        (first["leader"].as_bool(), second["leader"].as_bool()),
        (Some(true), Some(false))
    );
    assert!(
        metrics.contains("kassa_leader{node=\"one\"} 1"),
        "{metrics}"
    );
    assert!(one.chain.sync().await.is_ok());
    let refused = two.chain.sync().await;
    assert!(refused.is_err_and(|e| e.contains("does not lead")));
    assert!(two.payouts.run().await.is_err());
    two.stop().await;
    one.stop().await;
}

#[actix_web::test]
async fn a_leader_that_stops_gives_the_lease_up_and_the_other_node_leads_at_once() {
    // A lease far longer than the wait: only the release explains a takeover.
    let Some((one, two)) = two_nodes(20_000).await else {
        return;
    };
    assert!(one.leadership.is_leader() && !two.leadership.is_leader());
    let before = one.leadership.token().unwrap();

    one.leadership.release().await;
    let waited = wait_until_leading(&two, Duration::from_secs(5)).await;

    assert!(!one.leadership.is_leader());
    assert_eq!(two.leadership.token(), Some(before + 1));
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    two.chain.sync().await.unwrap();
    assert!(one.chain.sync().await.is_err());
    two.stop().await;
    one.stop().await;
}

#[actix_web::test]
async fn a_killed_leader_is_replaced_within_ten_seconds() {
    let Some(db) = TestDb::new(Backend::Postgres).await else {
        return;
    };
    merchant_on(&db.url).await;
    let data = tempfile::tempdir().unwrap();
    let (mut a, b) = leader_then_follower(&db.url, data.path(), "2000").await;
    wait_for_leader(&b, false, Duration::from_secs(1)).await;

    a.kill();
    let killed = Instant::now();
    wait_for_leader(&b, true, Duration::from_secs(10)).await;

    assert!(killed.elapsed() < Duration::from_secs(10));
    let metrics = reqwest::get(b.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("kassa_leader{node=\"b\"} 1"), "{metrics}");
}

/// Polls the node's `/readyz` until its `leader` is `leading`.
async fn wait_for_leader(node: &Node, leading: bool, within: Duration) {
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        let ready = readyz(&client, &node.base).await;
        if ready.as_ref().and_then(|r| r["leader"].as_bool()) == Some(leading) {
            return;
        }
        assert!(
            started.elapsed() < within,
            "leader never became {leading}: {ready:?}\n{}",
            node.log_text()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn the_leader_counts_a_deposit_to_an_address_the_other_node_issued() {
    let Some((one, two)) = two_nodes(5_000).await else {
        return;
    };
    assert!(one.leadership.is_leader());
    // Issued by the node that does not watch the chain: only the database
    // tells the leader of it.
    let id = two.new_session("ISSUED_ON_TWO").await;

    // 79.00 EUR is 85.32 USDC in sandbox.
    one.chain_pay(id, 85_320_000, "0x1111111111111111111111111111111111111111")
        .await;

    two.wait_for_status(id, "paid").await;
    two.stop().await;
    one.stop().await;
}

#[actix_web::test]
async fn a_leader_deposed_without_knowing_it_has_its_checkpoint_write_refused() {
    use kassa::chain::ledger::{FINALITY_DEPTH, SANDBOX_PAYER, SandboxLedger};
    // Renewals come every 6.7 s: the leader does not notice for a while.
    let Some((one, two)) = two_nodes(20_000).await else {
        return;
    };
    one.chain.sync().await.unwrap();
    let before = one.store.chain_cursor(CURSOR).await.unwrap();
    // Another holder takes the lease behind the leader's back, as if the
    // leader had stalled past its expiry.
    one.store
        .take_lease(CHAIN_LEADER, "usurper", TTL)
        .await
        .unwrap();
    let ledger = SandboxLedger::new(one.store.clone(), FINALITY_DEPTH, one.clock.clone());
    let token: alloy_primitives::Address = kassa::config::USDC_POLYGON.parse().unwrap();
    let elsewhere: alloy_primitives::Address = "0x2222222222222222222222222222222222222222"
        .parse()
        .unwrap();
    ledger
        .transfer_confirmed(token, SANDBOX_PAYER, elsewhere, 1, 14)
        .await
        .unwrap();

    let refused = one.chain.sync().await;

    assert!(one.leadership.is_leader(), "the leader has not noticed yet");
    assert!(
        refused.as_ref().is_err_and(|e| e.contains("fenced")),
        "{refused:?}"
    );
    assert_eq!(one.store.chain_cursor(CURSOR).await.unwrap(), before);
    two.stop().await;
    one.stop().await;
}

#[actix_web::test]
async fn a_leader_stopped_by_sigterm_hands_over_long_before_its_lease_would_expire() {
    let Some(db) = TestDb::new(Backend::Postgres).await else {
        return;
    };
    merchant_on(&db.url).await;
    let data = tempfile::tempdir().unwrap();
    let (mut a, b) = leader_then_follower(&db.url, data.path(), "30000").await;

    a.terminate();
    let stopped = Instant::now();
    assert!(a.exited_within(Duration::from_secs(20)).await.is_some());
    wait_for_leader(&b, true, Duration::from_secs(10)).await;

    assert!(
        stopped.elapsed() < Duration::from_secs(15),
        "{:?}",
        stopped.elapsed()
    );
}

async fn a_leader_deposed_without_knowing_it_makes_no_payout(backend: Backend) {
    // Renewals come every 6.7 s: the leader does not notice for a while.
    let Some(app) = spawn_app_with(backend, |s| s.leader_lease_ms = 20_000).await else {
        return;
    };
    let id = app.new_session("DEPOSED_PAYOUT").await;
    let paid = app
        .sandbox_pay(serde_json::json!({ "session_id": id }))
        .await;
    assert_eq!(paid.status, 200, "{}", paid.text);
    app.store
        .take_lease(CHAIN_LEADER, "usurper", TTL)
        .await
        .unwrap();

    let refused = app.payouts.run().await;

    assert!(app.leadership.is_leader(), "the leader has not noticed yet");
    assert!(
        refused.as_ref().is_err_and(|e| e.contains("fenced")),
        "{refused:?}"
    );
    assert!(app.store.session_sweeps(id).await.unwrap().is_empty());
    app.stop().await;
}

#[actix_web::test]
async fn a_sandbox_payment_on_the_node_that_does_not_lead_waits_for_the_leader() {
    let Some((one, two)) = two_nodes(5_000).await else {
        return;
    };
    assert!(!two.leadership.is_leader());
    let id = two.new_session("PAID_ON_TWO").await;

    let paid = two
        .sandbox_pay(serde_json::json!({ "session_id": id }))
        .await;

    assert_eq!(paid.status, 200, "{}", paid.text);
    assert_eq!(two.session_status(id).await, "paid");
    two.stop().await;
    one.stop().await;
}

/// Two `kassa serve` children on `db_url` with the lease `lease_ms`: node
/// "a", started first and waited for until it leads, then node "b".
async fn leader_then_follower(db_url: &str, dir: &std::path::Path, lease_ms: &str) -> (Node, Node) {
    let lease = ("KASSA_LEADER_LEASE_MS", lease_ms);
    let a = Node::start_with(
        db_url,
        &dir.join("a"),
        dir,
        &[lease, ("KASSA_NODE_ID", "a")],
    )
    .await;
    wait_for_leader(&a, true, Duration::from_secs(10)).await;
    let b = Node::start_with(
        db_url,
        &dir.join("b"),
        dir,
        &[lease, ("KASSA_NODE_ID", "b")],
    )
    .await;
    (a, b)
}
