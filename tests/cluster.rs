//! Several nodes on one PostgreSQL database, as real processes: three
//! `kassa serve` children (each its own `KASSA_NODE_ID` and data folder,
//! `KASSA_TRUSTED_PROXIES` naming the proxy) behind nginx configured with
//! the README's example (`ops/nginx/kassa.conf`, see `nginx.rs`), webhooks
//! to a real HTTP receiver.
//!
//! - Load spread: sessions created (with `Idempotency-Key`s), paid and
//!   delivered through nginx; every node serves some of them (each node's
//!   own `/metrics`, read from its own port), every session is paid once,
//!   every event arrives, in order per session.
//! - Races: the same `Idempotency-Key` sent to two nodes at the same
//!   instant creates one session and both answers are that session; the
//!   same deposit applied by two nodes at once counts once (two in-process
//!   nodes, whose session actors hear of one sandbox-ledger transfer at the
//!   same instant, and then the leader's watcher finds it too). A sandbox
//!   payment is no such race: each `/sandbox/pay` makes a transfer of its
//!   own, so two of them are two payments.
//! - Client addresses: behind nginx each customer address (its own
//!   loopback address) has its own quota of link openings, and an
//!   X-Forwarded-For the customer forged does not escape it
//!   (`KASSA_TRUSTED_PROXIES` names only nginx).
//! - Failover: the leader SIGKILLed, another node leads within 10 s, and
//!   sessions created and paid through nginx after the kill are paid and
//!   delivered.
//!
//! PostgreSQL and nginx only: without either the tests print `skipped: …`
//! (a failure under `KASSA_TEST_REQUIRE_ALL=1`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use kassa::chain::ledger::{FINALITY_DEPTH, SANDBOX_PAYER, SandboxLedger};
use kassa::clock::Clock;
use kassa::domain::deposit::DepositFact;
use serde_json::json;

use crate::chaos_harness::{Hooks, assert_webhooks_arrived, count, sessions_in, settle};
use crate::helpers::{
    Answer, Backend, TestApp, TestDb, TestMerchant, one_leader, order, read, send_webhooks_to,
    spawn_on,
};
use crate::nginx::Nginx;
use crate::single_node::{Node, merchant_on, store_on};

/// How many nodes run behind nginx (the example names three).
const NODES: usize = 3;

/// Three nodes on one fresh PostgreSQL database behind nginx, the
/// merchant's webhooks going to `hooks`.
struct Cluster {
    nodes: Vec<Option<Node>>,
    nginx: Nginx,
    hooks: Hooks,
    merchant: TestMerchant,
    client: reqwest::Client,
    conn: sea_orm::DatabaseConnection,
    _data: tempfile::TempDir,
    db: TestDb,
}

/// The environment of node `n` of a cluster.
fn node_env(n: usize) -> [(&'static str, String); 3] {
    [
        ("KASSA_NODE_ID", format!("node-{n}")),
        ("KASSA_TRUSTED_PROXIES", "127.0.0.1/32".to_string()),
        ("KASSA_WEBHOOK_ALLOW_PRIVATE", "true".to_string()),
    ]
}

/// `count` nodes on `db_url`, started side by side.
async fn start_nodes(db_url: &str, data: &Path, count: usize) -> Vec<Node> {
    join_all((1..=count).map(|n| async move {
        let env = node_env(n);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Node::start_with(db_url, &data.join(format!("node-{n}")), data, &env).await
    }))
    .await
}

impl Cluster {
    /// `None` when PostgreSQL or nginx is missing (after `skip`).
    async fn start() -> Option<Cluster> {
        if crate::nginx::binary().is_none() {
            crate::helpers::skip("nginx is not installed (apt-get install nginx)");
            return None;
        }
        let db = TestDb::new(Backend::Postgres).await?;
        let merchant = merchant_on(&db.url).await;
        let hooks = Hooks::start().await;
        let store = store_on(&db.url).await;
        send_webhooks_to(&store, merchant.id, &hooks.url).await;
        store.close().await;
        let data = tempfile::tempdir().unwrap();
        let nodes = start_nodes(&db.url, data.path(), NODES).await;
        let addresses: Vec<String> = nodes
            .iter()
            .map(|n| n.base.trim_start_matches("http://").to_string())
            .collect();
        let nginx = Nginx::start(&addresses).await?;
        let conn = sea_orm::Database::connect(&db.url).await.unwrap();
        Some(Cluster {
            nodes: nodes.into_iter().map(Some).collect(),
            nginx,
            hooks,
            merchant,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            conn,
            _data: data,
            db,
        })
    }

    fn node(&self, i: usize) -> &Node {
        self.nodes[i].as_ref().expect("a node that runs")
    }

    fn running(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().flatten()
    }

    /// `POST /gateway/session.php` at `base` with `Idempotency-Key: key`.
    async fn create_at(&self, base: &str, reference: &str, key: &str) -> Answer {
        read(
            self.client
                .post(format!("{base}/gateway/session.php"))
                .bearer_auth(&self.merchant.api_key)
                .header("Idempotency-Key", key)
                .json(&order(reference))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Creates a session through nginx; its id.
    async fn create(&self, reference: &str) -> i64 {
        let answer = self
            .create_at(&self.nginx.base, reference, &format!("key-{reference}"))
            .await;
        assert_eq!(answer.status, 200, "{}\n{}", answer.text, self.nginx.log());
        answer.json()["session_id"].as_i64().unwrap()
    }

    /// `POST /sandbox/pay` for `id` through nginx.
    async fn pay(&self, id: i64) -> Answer {
        read(
            self.client
                .post(self.nginx.url("/sandbox/pay"))
                .json(&json!({ "session_id": id }))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Creates sessions `prefix-1..=n` through nginx, four at a time.
    async fn create_many(&self, prefix: &str, n: usize) -> Vec<i64> {
        let mut ids = Vec::new();
        let references: Vec<String> = (1..=n).map(|i| format!("{prefix}-{i}")).collect();
        for chunk in references.chunks(4) {
            ids.extend(join_all(chunk.iter().map(|r| self.create(r))).await);
        }
        ids
    }

    /// Pays `ids` through nginx, four at a time, each answered 200 `paid`.
    async fn pay_many(&self, ids: &[i64]) {
        for chunk in ids.chunks(4) {
            for (id, answer) in chunk
                .iter()
                .zip(join_all(chunk.iter().map(|id| self.pay(*id))).await)
            {
                assert_eq!(answer.status, 200, "session {id}: {}", answer.text);
                assert_eq!(answer.json()["status"], "paid", "session {id}");
            }
        }
    }

    /// Polls `/readyz` until exactly one running node leads; its name and
    /// how long that took.
    async fn wait_for_one_leader(&self, within: Duration) -> (String, Duration) {
        let bases: Vec<&str> = self.running().map(|n| n.base.as_str()).collect();
        one_leader(&self.client, &bases, within).await
    }

    /// Asserts that every outbox event reached the receiver, in order per
    /// session, and that exactly `ids` are paid.
    async fn assert_paid_and_delivered(&self, ids: &BTreeSet<i64>) {
        settle(&self.conn, Duration::from_secs(90)).await;
        let paid = sessions_in(&self.conn, "paid").await;
        assert_eq!(&paid, ids, "every session paid, and no other");
        let tally = assert_webhooks_arrived(&self.conn, &self.hooks.all(), &paid).await;
        tally.print_duplicates("cluster");
    }
}

/// Two in-process nodes on one PostgreSQL database whose chain watchers
/// step only when the test says so: the test's messages to the session
/// actors are then the only ones applying a deposit.
async fn two_quiet_nodes() -> Option<(TestApp, TestApp)> {
    let db = TestDb::new(Backend::Postgres).await?;
    let shared = db.shared();
    let quiet = |name: &str| {
        let name = name.to_string();
        move |s: &mut kassa::config::RawSettings| {
            s.node_id = Some(name);
            s.chain_poll_ms = 3_600_000;
        }
    };
    let one = spawn_on(db, quiet("one")).await;
    let two = spawn_on(shared, quiet("two")).await;
    Some((one, two))
}

/// `kassa_http_requests_total` of `node` for `route`, read from its own port.
async fn requests_served(node: &Node, route: &str) -> u64 {
    let text = reqwest::get(node.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let label = format!("route=\"{route}\"");
    text.lines()
        .filter(|l| l.starts_with("kassa_http_requests_total{") && l.contains(&label))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

#[actix_web::test]
async fn three_nodes_behind_nginx_share_the_load_and_every_session_is_paid_and_delivered() {
    let Some(cluster) = Cluster::start().await else {
        return;
    };

    let ids = cluster.create_many("spread", 30).await;
    cluster.pay_many(&ids).await;

    let unique: BTreeSet<i64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "one id per session");
    assert_eq!(
        count(&cluster.conn, "SELECT COUNT(*) FROM sessions").await,
        30,
        "no session created twice"
    );
    assert_eq!(
        count(
            &cluster.conn,
            "SELECT COUNT(DISTINCT order_id) FROM sessions"
        )
        .await,
        30
    );
    cluster.assert_paid_and_delivered(&unique).await;
    let mut served = BTreeMap::new();
    for node in cluster.running() {
        let creates = requests_served(node, "/gateway/session.php").await;
        let pays = requests_served(node, "/sandbox/pay").await;
        served.insert(node.base.clone(), (creates, pays));
    }
    println!("cluster: (creates, payments) served per node: {served:?}");
    assert_eq!(
        served.values().map(|(c, p)| c + p).sum::<u64>(),
        60,
        "every request reached exactly one node"
    );
    assert!(
        served.values().all(|(c, p)| *c > 0 && *p > 0),
        "every node served creates and payments: {served:?}"
    );
}

#[actix_web::test]
async fn one_idempotency_key_sent_to_two_nodes_at_once_creates_one_session() {
    let Some(db) = TestDb::new(Backend::Postgres).await else {
        return;
    };
    let merchant = merchant_on(&db.url).await;
    let data = tempfile::tempdir().unwrap();
    let nodes = start_nodes(&db.url, data.path(), 2).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let send = |node: &Node, key: String| {
        let request = client
            .post(node.url("/gateway/session.php"))
            .bearer_auth(&merchant.api_key)
            .header("Idempotency-Key", key.clone())
            .json(&order(&key));
        async move { read(request.send().await.unwrap()).await }
    };

    // Thirty keys, each sent to both nodes at the same instant, all at once.
    let rounds = (1..=30).map(|k| {
        let key = format!("race-{k}");
        let (a, b) = (send(&nodes[0], key.clone()), send(&nodes[1], key));
        async move { futures_util::join!(a, b) }
    });
    let answers = join_all(rounds).await;

    let mut ids = BTreeSet::new();
    for (k, (a, b)) in answers.iter().enumerate() {
        assert_eq!((a.status, b.status), (200, 200), "{}\n{}", a.text, b.text);
        assert_eq!(a.text, b.text, "key {k}: both nodes answer the one session");
        ids.insert(a.json()["session_id"].as_i64().unwrap());
    }
    assert_eq!(ids.len(), 30, "one session per key");
    let conn = sea_orm::Database::connect(&db.url).await.unwrap();
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM sessions").await, 30);
    for node in &nodes {
        assert!(
            requests_served(node, "/gateway/session.php").await == 30,
            "each node answered its thirty"
        );
    }
    conn.close().await.unwrap();
}

#[actix_web::test]
async fn the_same_deposit_applied_by_two_nodes_at_once_counts_once() {
    let Some((one, two)) = two_quiet_nodes().await else {
        return;
    };
    let ledger = SandboxLedger::new(one.store.clone(), FINALITY_DEPTH, one.clock.clone());
    let token: alloy_primitives::Address = kassa::config::USDC_POLYGON.parse().unwrap();
    let mut ids = Vec::new();
    for n in 0..20 {
        ids.push(one.new_session(&format!("SAME_DEPOSIT_{n}")).await);
    }

    // Each session paid by one transfer on the sandbox ledger, told to both
    // nodes' session actors at once.
    let mut expected = BTreeMap::new();
    for id in &ids {
        let record = one.store.session(*id).await.unwrap().unwrap();
        let units = record.expected.units();
        expected.insert(*id, units);
        let log = ledger
            .transfer_confirmed(
                token,
                SANDBOX_PAYER,
                record.deposit_address.address(),
                units,
                14,
            )
            .await
            .unwrap();
        let fact = DepositFact {
            tx_hash: format!("{:#x}", log.tx_hash),
            log_index: log.log_index as i64,
            amount_units: units,
            block_number: log.block_number,
            block_hash: format!("{:#x}", log.block_hash),
            from: log.from.to_checksum(None),
            confirmations: 14,
            counts: true,
        };
        let (a, b) = futures_util::join!(
            one.sessions.deposit(*id, fact.clone()),
            two.sessions.deposit(*id, fact)
        );
        // Neither fails: a node whose write lost the version check reloads
        // and finds the deposit already counted.
        let (a, b) = (a.unwrap(), b.unwrap());
        let applied: Vec<_> = [&a, &b]
            .into_iter()
            .filter(|o| o.refusal.is_none())
            .collect();
        assert_eq!(applied.len(), 1, "session {id}: applied once: {a:?} {b:?}");
        assert_eq!(applied[0].record.status.as_str(), "paid");
    }

    // The leader's watcher then finds the same transfers on the ledger.
    let leader = if one.leadership.is_leader() {
        &one
    } else {
        &two
    };
    leader.chain.sync().await.unwrap();

    let conn = sea_orm::Database::connect(&one.db.url).await.unwrap();
    for (id, units) in &expected {
        two.store.forget_session(*id);
        let record = two.store.session(*id).await.unwrap().unwrap();
        assert_eq!(record.status.as_str(), "paid");
        assert_eq!(
            record.received.units(),
            *units,
            "session {id} received once"
        );
        let one_row = |sql: String| {
            let conn = &conn;
            async move { count(conn, &sql).await }
        };
        assert_eq!(
            one_row(format!(
                "SELECT COUNT(*) FROM deposits WHERE session_id = {id} AND state = 'counted'"
            ))
            .await,
            1
        );
        assert_eq!(
            one_row(format!(
                "SELECT COUNT(*) FROM money_entries WHERE session_id = {id} AND kind = 'counted'"
            ))
            .await,
            1,
            "one journal entry"
        );
        assert_eq!(
            one_row(format!(
                "SELECT COUNT(*) FROM webhook_events WHERE session_id = {id} AND status = 'paid'"
            ))
            .await,
            1,
            "one paid event"
        );
    }
    conn.close().await.unwrap();
    two.stop().await;
    one.stop().await;
}

#[actix_web::test]
async fn a_killed_leader_is_replaced_within_ten_seconds_and_payments_through_nginx_go_on() {
    let Some(mut cluster) = Cluster::start().await else {
        return;
    };
    let (leader, _) = cluster.wait_for_one_leader(Duration::from_secs(10)).await;
    let before = cluster.create_many("before", 6).await;
    cluster.pay_many(&before).await;
    settle(&cluster.conn, Duration::from_secs(60)).await;

    // SIGKILL the leader; nginx still takes creates (a refused connection
    // goes to the next node) while no node leads.
    let index = (0..NODES).find(|i| node_name(*i) == leader).unwrap();
    cluster.nodes[index].as_mut().unwrap().kill();
    let killed = Instant::now();
    cluster.nodes[index] = None;
    let after = cluster.create_many("after", 6).await;
    let (new_leader, _) = cluster.wait_for_one_leader(Duration::from_secs(10)).await;
    let takeover = killed.elapsed();
    cluster.pay_many(&after).await;

    assert_ne!(new_leader, leader);
    assert!(
        takeover < Duration::from_secs(10),
        "{new_leader} took over after {takeover:?}"
    );
    println!("cluster: {leader} killed, {new_leader} led after {takeover:?}");
    let all: BTreeSet<i64> = before.iter().chain(&after).copied().collect();
    cluster.assert_paid_and_delivered(&all).await;
    let index = (0..NODES).find(|i| node_name(*i) == new_leader).unwrap();
    let metrics = reqwest::get(cluster.node(index).url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(&format!("kassa_leader{{node=\"{new_leader}\"}} 1")),
        "{metrics}"
    );
}

/// The `KASSA_NODE_ID` of cluster node `i` (from 0).
fn node_name(i: usize) -> String {
    format!("node-{}", i + 1)
}

#[actix_web::test]
async fn behind_nginx_a_forged_forwarded_for_does_not_escape_a_customers_own_quota() {
    let Some(cluster) = Cluster::start().await else {
        return;
    };
    let store = store_on(&cluster.db.url).await;
    let mut input = crate::storefront::link_input("Tip jar");
    input.amount = "2".into();
    let link = kassa::app::links::create(
        &store,
        &crate::storefront::rules(),
        cluster.merchant.id,
        &input,
        kassa::clock::SystemClock.now_ms(),
    )
    .await
    .unwrap();
    store.close().await;
    let path = format!("{}/l/{}", cluster.nginx.base, link.slug);
    // Two customers on their own loopback addresses: nginx sees each as
    // its client and appends it to X-Forwarded-For.
    let customer = |ip: [u8; 4]| {
        reqwest::Client::builder()
            .local_address(std::net::IpAddr::from(ip))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    };
    let open = |client: &reqwest::Client, forged: Option<String>| {
        let mut request = client
            .post(&path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("");
        if let Some(forged) = forged {
            request = request.header("x-forwarded-for", forged);
        }
        let sent = request.send();
        async move { sent.await.unwrap().status().as_u16() }
    };

    // Customer A names another address on every request; only the one
    // nginx saw counts, so A runs into the quota (ten per node).
    let a = customer([127, 0, 0, 2]);
    let mut opened = 0;
    let mut limited = false;
    for n in 0..NODES * 10 + 20 {
        match open(&a, Some(format!("198.51.100.{n}"))).await {
            303 => opened += 1,
            429 => {
                limited = true;
                break;
            }
            other => panic!("open {n} answered {other}"),
        }
    }
    assert!(
        limited,
        "a forged X-Forwarded-For escaped the quota: {opened} opens"
    );
    assert!(
        (10..=NODES * 10 + 2).contains(&opened),
        "limited after {opened} opens"
    );
    // Customer B, behind the same nginx, is not limited by A.
    let b = customer([127, 0, 0, 3]);
    for n in 1..=3 {
        assert_eq!(open(&b, None).await, 303, "customer B's open {n}");
    }
}
