//! The leader SIGKILLed on Anvil: three `kassa serve` nodes in live mode on
//! one PostgreSQL database, behind nginx configured with the README's
//! example (`ops/nginx/kassa.conf`), payouts on with a platform fee,
//! webhooks over HTTPS to a real receiver. Customers create sessions
//! through nginx and pay them with real transfers of the test USDC (one in
//! eight only half) while blocks keep coming; once enough sessions exist
//! and webhooks are waiting in the outbox, the node that leads (its
//! `/readyz`) is SIGKILLed, and the customers go on through nginx. The
//! test proves that another node leads within 10 s and, once everything
//! settled, everything the single-node chaos run (`chaos.rs`) promises,
//! read from the chain: every create answered 200 is there and every
//! deposit counted once and in full; every event delivered, first arrivals
//! in order per session, and no `paid` webhook for a session that is not
//! paid; every sent sweep on chain exactly once and no other transfer out
//! of a deposit address; money conserved to the base unit, and
//! `kassa ledger check` agrees.
//!
//! PostgreSQL, Anvil and nginx only: without any of them it prints
//! `skipped: …` (a failure under `KASSA_TEST_REQUIRE_ALL=1`).

use std::cell::{Cell, RefCell};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::anvil::Anvil;
use crate::chaos::{Book, all_counted, gateway_env, keep_mining, payers, verify, worker};
use crate::chaos_harness::{count, settle, sigkill};
use crate::gateway::Gateway;
use crate::helpers::{
    Backend, MerchantSpec, TestDb, create_merchant, one_leader, open_store, send_webhooks_to,
};
use crate::live::Live;
use crate::nginx::Nginx;
use crate::tls_hooks::TlsHooks;

/// Sessions in all; the leader is killed once `KILL_AFTER` exist and it
/// is in the middle of a webhook delivery.
const SESSIONS: usize = 24;
const KILL_AFTER: usize = 8;

/// Where the leader pauses (its second webhook answered, the attempt not
/// yet recorded) until it is killed.
const LEADER_PAUSES_AT: &str = "webhook_delivering@2";

/// Node `n` of three, in live mode on `anvil`, paused at `armed` if given
/// (writing `marker`); a short webhook timeout, so events a killed node
/// had claimed are free again after 33 s.
async fn start_node(
    db_url: &str,
    data: &Path,
    anvil: &Anvil,
    n: usize,
    marker: &Path,
    armed: Option<&str>,
) -> Gateway {
    let mut env = gateway_env(marker, armed);
    env.extend([
        ("KASSA_NODE_ID".to_string(), format!("node-{n}")),
        (
            "KASSA_TRUSTED_PROXIES".to_string(),
            "127.0.0.1/32".to_string(),
        ),
        ("KASSA_WEBHOOK_TIMEOUT_SECS".to_string(), "3".to_string()),
    ]);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let dir = data.join(format!("node-{n}"));
    std::fs::create_dir_all(&dir).unwrap();
    Gateway::start(db_url, &dir, anvil, &env).await
}

#[actix_web::test]
async fn the_leader_killed_while_deposits_flow_loses_and_doubles_nothing() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    if crate::nginx::binary().is_none() {
        crate::helpers::skip("nginx is not installed (apt-get install nginx)");
        return;
    }
    let Some((anvil, payer)) = Live::chain_only().await else {
        return;
    };
    let Some(db) = TestDb::new(Backend::Postgres).await else {
        return;
    };
    let started = Instant::now();
    let store = open_store(&db).await;
    let merchant = create_merchant(&store, MerchantSpec::default()).await;
    let hooks = TlsHooks::start();
    send_webhooks_to(&store, merchant.id, &hooks.url).await;
    let payers = payers(&anvil, payer).await;
    let data = tempfile::tempdir().unwrap();
    let marker = data.path().join("fault.marker");
    // Node 1 first, leading before the others start; it alone is armed.
    let mut gateways = vec![
        start_node(
            &db.url,
            data.path(),
            &anvil,
            1,
            &marker,
            Some(LEADER_PAUSES_AT),
        )
        .await,
    ];
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    one_leader(&client, &[&gateways[0].base], Duration::from_secs(10)).await;
    for n in 2..=3 {
        gateways.push(start_node(&db.url, data.path(), &anvil, n, &marker, None).await);
    }
    let addresses: Vec<String> = gateways
        .iter()
        .map(|g| g.base.trim_start_matches("http://").to_string())
        .collect();
    let Some(nginx) = Nginx::start(&addresses).await else {
        return;
    };
    let named: Vec<(String, &Gateway)> = gateways
        .iter()
        .enumerate()
        .map(|(i, g)| (format!("node-{}", i + 1), g))
        .collect();
    let conn = sea_orm::Database::connect(&db.url).await.unwrap();
    let book = RefCell::new(Book::default());
    let miner = keep_mining(&anvil);

    // Act: customers through nginx; the leader SIGKILLed mid-flow, in the
    // middle of a webhook delivery, and the customers carry on to the end.
    let stop = Cell::new(false);
    let customers = futures_util::future::join_all(payers.iter().map(|payer| {
        worker(
            &nginx.base,
            &anvil,
            payer,
            &merchant,
            &book,
            SESSIONS,
            &stop,
        )
    }));
    let killer = async {
        let bases: Vec<&str> = named.iter().map(|(_, g)| g.base.as_str()).collect();
        let (leader, _) = one_leader(&client, &bases, Duration::from_secs(10)).await;
        assert_eq!(leader, "node-1", "the armed node leads");
        let deadline = Instant::now() + Duration::from_secs(60);
        while !(marker.exists() && book.borrow().creates.created.len() >= KILL_AFTER) {
            assert!(
                Instant::now() < deadline,
                "the leader never paused mid-delivery with {KILL_AFTER} sessions created"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        sigkill(gateways[0].pid());
        let at = Instant::now();
        let pending = count(
            &conn,
            "SELECT COUNT(*) FROM webhook_events WHERE claimed_by = 'node-1' \
             AND state NOT IN ('delivered', 'skipped')",
        )
        .await;
        assert!(pending > 0, "the leader died holding a webhook claim");
        let paid_at_kill = book.borrow().payments.len();
        let survivors: Vec<&str> = named
            .iter()
            .filter(|(name, _)| *name != leader)
            .map(|(_, g)| g.base.as_str())
            .collect();
        let (next, _) = one_leader(&client, &survivors, Duration::from_secs(10)).await;
        (leader, next, at.elapsed(), pending, paid_at_kill)
    };
    let (_, (leader, next, takeover, pending, paid_at_kill)) =
        futures_util::join!(customers, killer);
    let book = book.into_inner();
    let within = Duration::from_secs(90);
    all_counted(&conn, book.payments.len(), within).await;
    settle(&conn, within).await;
    miner.abort();

    // Assert: another node leads within 10 s, then everything a chaos run
    // promises (`chaos::verify`), read through nginx and from the chain.
    assert_ne!(next, leader);
    assert!(takeover < Duration::from_secs(10), "{takeover:?}");
    assert_eq!(book.creates.created.len(), SESSIONS);
    assert!(
        paid_at_kill < book.payments.len(),
        "deposits flowed after the kill too"
    );
    let outcome = verify(
        &anvil,
        &store,
        &conn,
        &hooks.all(),
        &merchant,
        &book,
        &nginx.base,
    )
    .await;
    outcome.webhooks.print_duplicates("cluster chaos");
    println!(
        "cluster chaos: {leader} killed mid-delivery holding {pending} webhook claims after \
         {paid_at_kill} payments, {next} led after {:.1} s; {} sessions created (200), {} \
         creates cut; {} paid; {}; {:.1} s",
        takeover.as_secs_f64(),
        book.creates.created.len(),
        book.creates.cut,
        outcome.paid.len(),
        outcome.summary(),
        started.elapsed().as_secs_f64()
    );
    conn.close().await.unwrap();
    drop(hooks);
    drop(nginx);
    drop(named);
    drop(gateways);
    store.close().await;
}
