//! Load shedding: a `kassa serve` whose doors admit two requests at once
//! and queue others for 20 ms (no session cache) takes a storm of concurrent creates and
//! status lookups. Every answer is 200, or 503 `service_unavailable` with
//! `Retry-After`; each 503 is counted in `kassa_http_shed_total`; a shed
//! create left nothing behind and every answered one is stored; and the
//! node serves normally once the storm is over. (How fast, at four times
//! the measured capacity, is `cargo bench --bench overload`.)

use std::collections::BTreeMap;

use crate::helpers::{Answer, Backend, TestDb, TestMerchant, order, read};
use crate::metrics_server::Scrape;
use crate::on_both_backends;
use crate::single_node::{Node, merchant_on};

on_both_backends!(a_storm_past_capacity_is_answered_200_or_503_and_loses_nothing);

/// Requests of each kind fired at once.
const STORM: usize = 300;

const CREATE_ROUTE: &str = "/gateway/session.php";
const STATUS_ROUTE: &str = "/gateway/session_status.php";

async fn a_storm_past_capacity_is_answered_200_or_503_and_loses_nothing(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let merchant = merchant_on(&db.url).await;
    let data = tempfile::tempdir().unwrap();
    let node = Node::start_with(
        &db.url,
        data.path(),
        data.path(),
        &[
            ("KASSA_API_CREATE_CONCURRENCY", "2"),
            ("KASSA_API_STATUS_CONCURRENCY", "2"),
            ("KASSA_API_QUEUE_MS", "20"),
            // Every lookup reads the database, so lookups overlap in flight
            // (from the cache one finishes before the next arrives).
            ("KASSA_SESSION_CACHE_TTL_MS", "0"),
        ],
    )
    .await;
    let known = node
        .try_create(&merchant, "BEFORE")
        .await
        .expect("an answer");
    assert_eq!(known.status, 200, "{}", known.text);
    let known = known.json()["session_id"].as_i64().unwrap();
    let before = scrape(&node).await;

    // All at once: the client opens a connection for each request in flight.
    let client = reqwest::Client::new();
    let creates = (0..STORM).map(|i| create(&client, &node, &merchant, i));
    let lookups = (0..STORM).map(|_| status(&client, &node, &merchant, known));
    let (created, looked_up) = tokio::join!(
        futures_util::future::join_all(creates),
        futures_util::future::join_all(lookups)
    );

    let after = scrape(&node).await;
    for (route, answers) in [(CREATE_ROUTE, &created), (STATUS_ROUTE, &looked_up)] {
        let tally = tally(answers);
        println!("{route}: {tally:?}");
        for a in answers.iter().filter(|a| a.status != 200) {
            assert_eq!(a.status, 503, "{route}: {}", a.text);
            assert_eq!(a.error_code(), "service_unavailable", "{route}");
            assert_eq!(
                a.headers.get("retry-after").and_then(|v| v.to_str().ok()),
                Some("1"),
                "{route}: a shed answer says when to come back"
            );
        }
        let shed = tally.get(&503).copied().unwrap_or(0);
        assert!(
            shed > 0,
            "{route}: {STORM} at once past 2 places sheds: {tally:?}"
        );
        assert!(
            tally.get(&200).copied().unwrap_or(0) > 0,
            "{route}: shedding still serves: {tally:?}"
        );
        let counted = after
            .value("kassa_http_shed_total", &[("route", route)])
            .unwrap_or(0.0)
            - before
                .value("kassa_http_shed_total", &[("route", route)])
                .unwrap_or(0.0);
        assert_eq!(counted as usize, shed, "{route}: every 503 is counted");
    }

    // Every create answered 200 is stored with its reference, and nothing
    // else was: the shed ones left no session behind.
    let mut acknowledged = Vec::new();
    for (i, a) in created.iter().enumerate() {
        if a.status == 200 {
            acknowledged.push((
                a.json()["session_id"].as_i64().unwrap(),
                format!("STORM_{i}"),
            ));
        }
    }
    node.assert_sessions_exist(&merchant, &acknowledged).await;
    assert_eq!(
        stored_sessions(&db).await,
        acknowledged.len() + 1,
        "sessions stored = creates answered 200 (and the one before)"
    );

    // The storm is over: requests one at a time are all served.
    for i in 0..10 {
        let a = create(&client, &node, &merchant, STORM + i).await;
        assert_eq!(a.status, 200, "after the storm: {}", a.text);
        let s = status(&client, &node, &merchant, known).await;
        assert_eq!(s.status, 200, "after the storm: {}", s.text);
    }
}

async fn create(
    client: &reqwest::Client,
    node: &Node,
    merchant: &TestMerchant,
    i: usize,
) -> Answer {
    let sent = client
        .post(node.url(CREATE_ROUTE))
        .bearer_auth(&merchant.api_key)
        .json(&order(&format!("STORM_{i}")))
        .send()
        .await
        .unwrap();
    read(sent).await
}

async fn status(client: &reqwest::Client, node: &Node, merchant: &TestMerchant, id: i64) -> Answer {
    let sent = client
        .get(node.url(&format!("{STATUS_ROUTE}?session_id={id}")))
        .header("X-API-Key", &merchant.api_key)
        .send()
        .await
        .unwrap();
    read(sent).await
}

async fn scrape(node: &Node) -> Scrape {
    let answer = read(reqwest::get(node.url("/metrics")).await.unwrap()).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    Scrape::parse(&answer.text)
}

fn tally(answers: &[Answer]) -> BTreeMap<u16, usize> {
    let mut tally = BTreeMap::new();
    for a in answers {
        *tally.entry(a.status).or_insert(0) += 1;
    }
    tally
}

async fn stored_sessions(db: &TestDb) -> usize {
    let store = crate::helpers::open_store(db).await;
    let n = crate::helpers::stored_sessions(&store).await;
    store.close().await;
    n as usize
}
