//! Several webhook senders on one database, as several nodes run them: two
//! senders (each its own store and node name) drain one outbox into real
//! HTTP receivers with every event delivered once, each session's events in
//! order and no endpoint answering more requests at once than its cap; a
//! node that stops mid-delivery has its event delivered by another once its
//! claim lapses; a node shut down gracefully gives its claims back, so
//! another sends them at once; a restarted SQLite server takes its old
//! claims back at once.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use actix::Actor;
use kassa::actors::webhook_sender::{SenderSettings, WebhookSender, claim_lease};
use kassa::clock::{Clock, ManualClock, SharedClock};
use kassa::store::Store;
use kassa::store::merchants::MerchantUpdate;
use kassa::webhooks::delivery::Deliverer;

use crate::helpers::{Backend, MerchantSpec, TestDb, create_merchant, open_store, raw_sql};
use crate::receiver::Receiver;
use crate::webhook_claims::{Event, insert_events};

/// The webhook timeout of these senders; their lease is this plus 30 s.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Starts a sender for node `node` on `store`.
fn start_sender(
    store: &Store,
    clock: &Arc<ManualClock>,
    node: &str,
    per_endpoint: usize,
) -> actix::Addr<WebhookSender> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let deliverer = Deliverer::new(TIMEOUT, true, false, per_endpoint).unwrap();
    let clock: SharedClock = clock.clone();
    WebhookSender::new(
        store.clone(),
        clock,
        deliverer,
        SenderSettings {
            per_endpoint,
            tick: Duration::from_millis(20),
            node: node.into(),
            lease: claim_lease(TIMEOUT),
        },
    )
    .start()
}

/// A merchant whose webhooks go to a new receiver.
async fn merchant_with_receiver(store: &Store) -> (i64, Receiver) {
    let merchant = create_merchant(store, MerchantSpec::default()).await.id;
    let receiver = Receiver::start().await;
    let update = MerchantUpdate {
        webhook_url: Some(receiver.url.clone()),
        ..MerchantUpdate::default()
    };
    assert!(store.update_merchant(merchant, update, 0).await.unwrap());
    (merchant, receiver)
}

/// The nodes holding claims right now.
async fn claimed_by(db: &sea_orm::DatabaseConnection) -> Vec<String> {
    use sea_orm::{ConnectionTrait, Statement};
    let sql = "SELECT DISTINCT claimed_by FROM webhook_events WHERE claimed_by IS NOT NULL";
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect()
}

async fn wait_delivered(store: &Store, n: u64, within: Duration) {
    let deadline = std::time::Instant::now() + within;
    while store.count_webhooks("delivered").await.unwrap() < n
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(store.count_webhooks("delivered").await.unwrap(), n);
}

#[actix_web::test]
async fn two_nodes_drain_one_outbox_in_session_order_within_each_endpoints_cap() {
    let Some(db) = TestDb::new(Backend::Postgres).await else {
        return;
    };
    let (store_a, store_b) = (open_store(&db).await, open_store(&db).await);
    let clock = ManualClock::new();
    let mut merchants = Vec::new();
    for _ in 0..3 {
        let (id, receiver) = merchant_with_receiver(&store_a).await;
        receiver.answer_by_default(200, Duration::from_millis(25));
        merchants.push((id, receiver));
    }
    let mut events = Vec::new();
    for session in 1..=30 {
        let merchant = merchants[session as usize % 3].0;
        for sequence in 1..=3 {
            events.push(Event {
                session,
                sequence,
                merchant,
                target_url: None,
            });
        }
    }
    for (merchant, _) in &merchants {
        for _ in 0..2 {
            events.push(Event {
                session: 0,
                sequence: 0,
                merchant: *merchant,
                target_url: None,
            });
        }
    }
    insert_events(&db, &events, clock.now_ms()).await;
    let total = events.len() as u64;

    let _a = start_sender(&store_a, &clock, "node-a", 2);
    let _b = start_sender(&store_b, &clock, "node-b", 2);
    // Which nodes hold claims while the outbox drains.
    let watch = sea_orm::Database::connect(&db.url).await.unwrap();
    let mut claimants = BTreeSet::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while store_a.count_webhooks("delivered").await.unwrap() < total
        && std::time::Instant::now() < deadline
    {
        claimants.extend(claimed_by(&watch).await);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    watch.close().await.unwrap();
    wait_delivered(&store_a, total, Duration::from_secs(5)).await;

    let mut seen: HashMap<String, usize> = HashMap::new();
    for (merchant, receiver) in &merchants {
        assert!(
            receiver.most_at_once() <= 2,
            "merchant {merchant}'s endpoint answered {} at once (cap 2, two nodes)",
            receiver.most_at_once()
        );
        let mut last: BTreeMap<i64, i64> = BTreeMap::new();
        for hook in receiver.all() {
            let body = hook.json();
            let (session, sequence) = (
                body["session_id"].as_i64().unwrap(),
                body["sequence"].as_i64().unwrap(),
            );
            if session != 0 {
                let before = last.insert(session, sequence).unwrap_or(0);
                assert_eq!(
                    sequence,
                    before + 1,
                    "session {session}: event {sequence} came after {before}"
                );
            }
            *seen
                .entry(body["event_id"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    assert_eq!(seen.len() as u64, total, "every event arrived");
    assert!(seen.values().all(|n| *n == 1), "none twice: {seen:?}");
    assert_eq!(
        merchants.iter().map(|(_, r)| r.most_at_once()).max(),
        Some(2),
        "the cap was reached, so it was what held the nodes back"
    );
    assert_eq!(
        claimants,
        BTreeSet::from(["node-a".to_string(), "node-b".to_string()]),
        "both nodes delivered"
    );
    for (_, receiver) in &merchants {
        receiver.stop().await;
    }
}

#[actix_web::test]
async fn a_node_stopped_mid_delivery_has_its_event_delivered_by_another_after_the_lease() {
    let Some(db) = TestDb::new(Backend::Postgres).await else {
        return;
    };
    let (store_a, store_b) = (open_store(&db).await, open_store(&db).await);
    let clock = ManualClock::new();
    let (merchant, receiver) = merchant_with_receiver(&store_b).await;
    receiver.answer_next(&[(200, Duration::from_millis(500))]);
    insert_events(
        &db,
        &[
            Event {
                session: 7,
                sequence: 1,
                merchant,
                target_url: None,
            },
            Event {
                session: 7,
                sequence: 2,
                merchant,
                target_url: None,
            },
        ],
        clock.now_ms(),
    )
    .await;

    // Node a takes the first event and dies before it can record the answer.
    let _a = start_sender(&store_a, &clock, "node-a", 8);
    receiver.wait_for(1, Duration::from_secs(10)).await;
    store_a.clone().close().await;
    let _b = start_sender(&store_b, &clock, "node-b", 8);
    tokio::time::sleep(Duration::from_millis(800)).await;
    let held = store_b.webhooks_of_session(7).await.unwrap();
    assert_eq!(receiver.count(), 1, "nothing while node a's claim is live");
    assert_eq!(held[0].0.claimed_by.as_deref(), Some("node-a"));
    assert_eq!(held[0].0.state, "pending");

    clock.advance(claim_lease(TIMEOUT) + Duration::from_secs(1));
    wait_delivered(&store_b, 2, Duration::from_secs(10)).await;

    let got: Vec<(i64, String)> = receiver
        .all()
        .iter()
        .map(|r| {
            let body = r.json();
            (
                body["sequence"].as_i64().unwrap(),
                body["event_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(
        got[0], got[1],
        "the first event again (at-least-once: the receiver dedupes by event_id)"
    );
    assert_eq!(got[2].0, 2, "then the session's next event");
    receiver.stop().await;
}

#[actix_web::test]
async fn a_restarted_sqlite_server_takes_back_its_earlier_claims_at_once() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let store = open_store(&db).await;
    let clock = ManualClock::new();
    let (merchant, receiver) = merchant_with_receiver(&store).await;
    insert_events(
        &db,
        &[Event {
            session: 3,
            sequence: 1,
            merchant,
            target_url: None,
        }],
        clock.now_ms(),
    )
    .await;
    let until = clock.now_ms() + 60_000;
    raw_sql(
        &db.url,
        &format!(
            "UPDATE webhook_events SET claimed_by = 'the-process-before', claim_until = {until}"
        ),
    )
    .await;

    let _sender = start_sender(&store, &clock, "this-process", 8);

    receiver.wait_for(1, Duration::from_secs(10)).await;
    wait_delivered(&store, 1, Duration::from_secs(10)).await;
    receiver.stop().await;
}

#[actix_web::test]
async fn a_node_shut_down_mid_delivery_gives_its_claim_back_for_another_to_send_at_once() {
    let Some(db) = TestDb::new(Backend::Postgres).await else {
        return;
    };
    crate::single_node::install_crypto();
    let store = open_store(&db).await;
    let clock = ManualClock::new();
    let (merchant, receiver) = merchant_with_receiver(&store).await;
    receiver.answer_next(&[(200, Duration::from_secs(60))]);
    insert_events(
        &db,
        &[Event {
            session: 8,
            sequence: 1,
            merchant,
            target_url: None,
        }],
        clock.now_ms(),
    )
    .await;
    let data = tempfile::tempdir().unwrap();
    let mut node =
        crate::single_node::Node::start_allowing_private_webhooks(&db.url, data.path()).await;
    receiver.wait_for(1, Duration::from_secs(30)).await;

    node.terminate();
    let status = node
        .exited_within(Duration::from_secs(30))
        .await
        .expect("exits");
    assert!(status.success(), "{}", node.log_text());
    let (event, _) = store.webhooks_of_session(8).await.unwrap().remove(0);
    assert_eq!(event.state, "pending");
    assert_eq!(
        event.claimed_by, None,
        "the claim was given back at shutdown"
    );

    // Its lease (two minutes and a half) is far off: another node sends it now.
    let _b = start_sender(&store, &clock, "node-b", 8);
    wait_delivered(&store, 1, Duration::from_secs(10)).await;
    assert_eq!(receiver.count(), 2);
    receiver.stop().await;
}
