//! Claims on the webhook outbox, at the store: which rows a node may claim
//! (per-session order, the endpoint cap counted across nodes, lapsed
//! claims), and that a node whose claim passed to another cannot record
//! over it. Two node names on one store stand for two nodes: the claim
//! statement is all that decides, whichever connection runs it.

use kassa::store::Store;
use kassa::store::webhook_claims::ClaimTerms;
use kassa::store::webhooks::{AfterAttempt, NewAttempt, OutboxRow, Skip};

use crate::helpers::{Backend, MerchantSpec, TestDb, create_merchant, open_store, raw_sql};
use crate::on_both_backends;

on_both_backends!(
    a_node_claims_only_the_oldest_pending_event_of_each_session,
    an_endpoint_never_has_more_live_claims_than_its_cap_across_nodes,
    a_lapsed_claim_is_taken_over_and_a_live_one_is_not,
    a_stale_claimants_record_is_refused_and_the_new_claimants_stands,
    a_late_record_still_counts_while_no_other_node_took_the_event,
    a_resent_or_replayed_event_is_claimable_at_once,
);

/// The lease of these tests' claims, in ms.
const LEASE: i64 = 5_000;

/// One outbox row to insert: (session, sequence, merchant, target_url).
pub struct Event<'a> {
    pub session: i64,
    pub sequence: i32,
    pub merchant: i64,
    pub target_url: Option<&'a str>,
}

/// The event id of a session's event `sequence` (merchant-level events,
/// session 0, are told apart by `n`).
pub fn event_id(session: i64, sequence: i32, n: usize) -> String {
    format!("evt_{session}_{sequence}_{n}")
}

/// Inserts pending events due at `due_ms`, as a session actor would; each
/// payload carries its session, sequence and event id.
pub async fn insert_events(db: &TestDb, events: &[Event<'_>], due_ms: i64) {
    let rows: Vec<String> = events
        .iter()
        .enumerate()
        .map(|(n, e)| {
            let id = event_id(e.session, e.sequence, n);
            let payload = format!(
                r#"{{"event":"payment.session","session_id":{},"sequence":{},"event_id":"{id}"}}"#,
                e.session, e.sequence
            );
            let target = e
                .target_url
                .map(|u| format!("'{u}'"))
                .unwrap_or_else(|| "NULL".into());
            format!(
                "('{id}', {}, {}, {}, 'paid', '{payload}', {target}, 'pending', 0, {due_ms}, {due_ms})",
                e.session, e.merchant, e.sequence
            )
        })
        .collect();
    raw_sql(
        &db.url,
        &format!(
            "INSERT INTO webhook_events (event_id, session_id, merchant_id, sequence, status, \
             payload, target_url, state, attempts, next_attempt_at, created_at) VALUES {}",
            rows.join(", ")
        ),
    )
    .await;
}

fn terms(node: &str, now_ms: i64, per_endpoint: usize) -> ClaimTerms<'_> {
    ClaimTerms {
        node,
        now_ms,
        lease_ms: LEASE,
        per_endpoint,
        limit: 500,
    }
}

/// (session, sequence) of claimed rows, sorted.
fn picked(rows: &[OutboxRow]) -> Vec<(i64, i32)> {
    let mut out: Vec<(i64, i32)> = rows.iter().map(|r| (r.session_id, r.sequence)).collect();
    out.sort_unstable();
    out
}

/// An attempt made at `at_ms` that the receiver answered `status`.
fn attempt(at_ms: i64, status: u16) -> NewAttempt {
    NewAttempt {
        url: "https://shop.example/hook".into(),
        started_at_ms: at_ms,
        http_status: Some(status),
        latency_ms: 3,
        error: None,
        snippet: None,
    }
}

async fn session_event(store: &Store, session: i64, sequence: i32) -> OutboxRow {
    store
        .webhooks_of_session(session)
        .await
        .unwrap()
        .into_iter()
        .map(|(e, _)| e)
        .find(|e| e.sequence == sequence)
        .unwrap()
}

async fn store_with_merchant(backend: Backend) -> Option<(TestDb, Store, i64)> {
    let db = TestDb::new(backend).await?;
    let store = open_store(&db).await;
    let merchant = create_merchant(&store, MerchantSpec::default()).await.id;
    Some((db, store, merchant))
}

async fn a_node_claims_only_the_oldest_pending_event_of_each_session(backend: Backend) {
    let Some((db, store, m)) = store_with_merchant(backend).await else {
        return;
    };
    let ev = |session, sequence| Event {
        session,
        sequence,
        merchant: m,
        target_url: None,
    };
    insert_events(
        &db,
        &[
            ev(1, 1),
            ev(1, 2),
            ev(1, 3),
            ev(2, 1),
            ev(2, 2),
            ev(0, 0),
            ev(0, 0),
        ],
        1_000,
    )
    .await;

    let first = store.claim_webhooks(terms("a", 1_000, 100)).await.unwrap();
    let second = store.claim_webhooks(terms("b", 1_000, 100)).await.unwrap();

    assert_eq!(
        picked(&first),
        vec![(0, 0), (0, 0), (1, 1), (2, 1)],
        "the oldest event of each session, and merchant-level events freely"
    );
    assert!(
        first
            .iter()
            .all(|r| r.claimed_by.as_deref() == Some("a") && r.claim_until == Some(1_000 + LEASE))
    );
    assert!(
        second.is_empty(),
        "nothing of a session whose event is claimed: {:?}",
        picked(&second)
    );

    // Session 1's first event is delivered: its next one is node b's to claim.
    let done = first.iter().find(|r| r.session_id == 1).unwrap().clone();
    let recorded = store
        .record_attempts(&[(done, attempt(1_100, 200), AfterAttempt::Delivered)], &[])
        .await
        .unwrap();
    assert!(recorded.refused.is_empty());
    let third = store.claim_webhooks(terms("b", 1_200, 100)).await.unwrap();
    assert_eq!(picked(&third), vec![(1, 2)]);

    // Its first event queued again while the second is claimed: it waits
    // for that claim, although it is the older one.
    let first_event = session_event(&store, 1, 1).await;
    assert!(
        store
            .resend_webhook(&first_event.event_id, 1_300)
            .await
            .unwrap()
    );
    let fourth = store.claim_webhooks(terms("a", 1_300, 100)).await.unwrap();
    assert!(fourth.is_empty(), "{:?}", picked(&fourth));
    store.close().await;
}

async fn an_endpoint_never_has_more_live_claims_than_its_cap_across_nodes(backend: Backend) {
    let Some((db, store, m)) = store_with_merchant(backend).await else {
        return;
    };
    let other = create_merchant(&store, MerchantSpec::default()).await.id;
    let own_url = Some("https://elsewhere.example/hook");
    let mut events = Vec::new();
    for session in 1..=6 {
        events.push(Event {
            session,
            sequence: 1,
            merchant: m,
            target_url: None,
        });
        events.push(Event {
            session: 100 + session,
            sequence: 1,
            merchant: other,
            target_url: None,
        });
        events.push(Event {
            session: 200 + session,
            sequence: 1,
            merchant: m,
            target_url: own_url,
        });
    }
    insert_events(&db, &events, 1_000).await;
    let endpoints = |rows: &[OutboxRow]| {
        let mut counts = std::collections::BTreeMap::<String, usize>::new();
        for r in rows {
            let key = r
                .target_url
                .clone()
                .unwrap_or_else(|| format!("merchant {}", r.merchant_id));
            *counts.entry(key).or_default() += 1;
        }
        counts.into_values().collect::<Vec<_>>()
    };

    let by_a = store.claim_webhooks(terms("a", 1_000, 2)).await.unwrap();
    let by_b = store.claim_webhooks(terms("b", 1_000, 2)).await.unwrap();

    assert_eq!(
        endpoints(&by_a),
        vec![2, 2, 2],
        "two per endpoint: each merchant's URL, and a session's own URL"
    );
    assert!(
        by_b.is_empty(),
        "every endpoint is at its cap: {:?}",
        picked(&by_b)
    );

    // One delivery ends: one slot, which the other node may take.
    let done = by_a
        .iter()
        .find(|r| r.merchant_id == other)
        .unwrap()
        .clone();
    store
        .record_attempts(&[(done, attempt(1_100, 200), AfterAttempt::Delivered)], &[])
        .await
        .unwrap();
    let by_b = store.claim_webhooks(terms("b", 1_200, 2)).await.unwrap();
    assert_eq!(by_b.len(), 1);
    assert_eq!(by_b[0].merchant_id, other);
    assert!(by_b[0].target_url.is_none());

    // Node a's claims lapse: their slots are free again (node b's is not).
    let after = store
        .claim_webhooks(terms("b", 1_000 + LEASE, 2))
        .await
        .unwrap();
    assert_eq!(endpoints(&after), vec![2, 2, 1], "{:?}", picked(&after));
    store.close().await;
}

async fn a_lapsed_claim_is_taken_over_and_a_live_one_is_not(backend: Backend) {
    let Some((db, store, m)) = store_with_merchant(backend).await else {
        return;
    };
    insert_events(
        &db,
        &[Event {
            session: 9,
            sequence: 1,
            merchant: m,
            target_url: None,
        }],
        1_000,
    )
    .await;

    let by_a = store.claim_webhooks(terms("a", 1_000, 8)).await.unwrap();
    let while_live = store
        .claim_webhooks(terms("b", 1_000 + LEASE - 1, 8))
        .await
        .unwrap();
    let after = store
        .claim_webhooks(terms("b", 1_000 + LEASE, 8))
        .await
        .unwrap();

    assert_eq!(by_a.len(), 1);
    assert!(while_live.is_empty(), "a live claim is not taken over");
    assert_eq!(after.len(), 1, "a lapsed claim is");
    assert_eq!(after[0].claimed_by.as_deref(), Some("b"));
    assert_eq!(after[0].claim_until, Some(1_000 + 2 * LEASE));
    assert_eq!(after[0].attempts, 0);
    store.close().await;
}

async fn a_stale_claimants_record_is_refused_and_the_new_claimants_stands(backend: Backend) {
    let Some((db, store, m)) = store_with_merchant(backend).await else {
        return;
    };
    let ev = |sequence| Event {
        session: 5,
        sequence,
        merchant: m,
        target_url: None,
    };
    insert_events(&db, &[ev(1)], 1_000).await;
    let stale = store.claim_webhooks(terms("a", 1_000, 8)).await.unwrap();
    let taken = store
        .claim_webhooks(terms("b", 1_000 + LEASE, 8))
        .await
        .unwrap();
    assert_eq!((stale.len(), taken.len()), (1, 1));

    // Node a comes back after its lease and records what it did.
    let refused = store
        .record_attempts(
            &[(
                stale[0].clone(),
                attempt(6_100, 200),
                AfterAttempt::Delivered,
            )],
            &[Skip::of(&stale[0], "the merchant has no webhook secret")],
        )
        .await
        .unwrap();
    let after_stale = session_event(&store, 5, 1).await;
    let recorded = store
        .record_attempts(
            &[(
                taken[0].clone(),
                attempt(6_200, 503),
                AfterAttempt::RetryAt(20_000),
            )],
            &[],
        )
        .await
        .unwrap();
    let log = store.webhooks_of_session(5).await.unwrap();

    assert_eq!(refused.refused, vec![stale[0].id, stale[0].id]);
    assert_eq!(after_stale.state, "pending", "node a changed nothing");
    assert_eq!(after_stale.attempts, 0);
    assert_eq!(after_stale.claimed_by.as_deref(), Some("b"));
    assert!(recorded.refused.is_empty());
    let (event, attempts) = &log[0];
    assert_eq!(event.state, "pending");
    assert_eq!(event.attempts, 1);
    assert_eq!(event.next_attempt_at, 20_000);
    assert_eq!(event.claimed_by, None, "the record cleared node b's claim");
    assert_eq!(event.claim_until, None);
    assert_eq!(attempts.len(), 1, "only node b's attempt is in the log");
    assert_eq!(attempts[0].http_status, Some(503));
    store.close().await;
}

async fn a_late_record_still_counts_while_no_other_node_took_the_event(backend: Backend) {
    let Some((db, store, m)) = store_with_merchant(backend).await else {
        return;
    };
    insert_events(
        &db,
        &[Event {
            session: 4,
            sequence: 1,
            merchant: m,
            target_url: None,
        }],
        1_000,
    )
    .await;
    let claimed = store.claim_webhooks(terms("a", 1_000, 8)).await.unwrap();

    // Past the lease, but nobody claimed it meanwhile: the answer stands.
    let recorded = store
        .record_attempts(
            &[(
                claimed[0].clone(),
                attempt(1_000 + 2 * LEASE, 200),
                AfterAttempt::Delivered,
            )],
            &[],
        )
        .await
        .unwrap();

    assert!(recorded.refused.is_empty());
    let event = session_event(&store, 4, 1).await;
    assert_eq!(event.state, "delivered");
    assert_eq!(event.claimed_by, None);
    store.close().await;
}

/// An operator's resend or replay takes the event from whoever held it, so
/// it goes out at once instead of when that claim lapses.
async fn a_resent_or_replayed_event_is_claimable_at_once(backend: Backend) {
    let Some((db, store, m)) = store_with_merchant(backend).await else {
        return;
    };
    let one = |session| Event {
        session,
        sequence: 1,
        merchant: m,
        target_url: None,
    };
    insert_events(&db, &[one(21), one(22)], 1_000).await;
    let by_a = store.claim_webhooks(terms("a", 1_000, 8)).await.unwrap();
    assert_eq!(by_a.len(), 2);

    let resent = store
        .resend_webhook(&by_a[0].event_id, 1_100)
        .await
        .unwrap();
    let replayed = store.replay_webhooks(m, 0, 1_001, 1_100).await.unwrap();
    let by_b = store.claim_webhooks(terms("b", 1_200, 8)).await.unwrap();

    assert!(resent);
    assert_eq!(replayed, 2);
    assert_eq!(
        by_b.len(),
        2,
        "both are claimable long before the lease lapses"
    );
    assert!(
        by_b.iter()
            .all(|row| row.claimed_by.as_deref() == Some("b"))
    );
    store.close().await;
}

/// Pages PostgreSQL reads (from its cache or the disk) to run one claim
/// statement by `terms`, and the rows it claims; rolled back, so the
/// backlog stays as it is.
async fn claim_reads(db_url: &str, terms: &ClaimTerms<'_>) -> (u64, u64) {
    use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
    let db = sea_orm::Database::connect(db_url).await.unwrap();
    let txn = db.begin().await.unwrap();
    let claim = kassa::store::webhook_claims::claim_statement(DbBackend::Postgres, terms);
    let explain = Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {}", claim.sql),
        claim.values.map(|v| v.0).unwrap_or_default(),
    );
    let row = txn.query_one_raw(explain).await.unwrap().unwrap();
    let plan: serde_json::Value = row.try_get("", "QUERY PLAN").unwrap();
    txn.rollback().await.unwrap();
    db.close().await.unwrap();
    let top = &plan[0]["Plan"];
    let count = |key: &str| {
        top[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key} in {top}"))
    };
    (
        count("Shared Hit Blocks") + count("Shared Read Blocks"),
        count("Actual Rows"),
    )
}

/// Adds `n` pending events of sessions `first..first + n`, one each, due at 1,000.
async fn add_backlog(db_url: &str, merchant: i64, first: i64, n: i64) {
    raw_sql(
        db_url,
        &format!(
            "INSERT INTO webhook_events (event_id, session_id, merchant_id, sequence, status, \
             payload, state, attempts, next_attempt_at, created_at) \
             SELECT 'evt_backlog_' || g, g, {merchant}, 1, 'paid', '{{}}', 'pending', 0, 1000, 1000 \
             FROM generate_series({first}, {}) g",
            first + n - 1
        ),
    )
    .await;
}

/// A receiver down for a while leaves a backlog that PostgreSQL's
/// statistics, gathered while nearly everything was delivered, know nothing
/// of. A claim must still read about as much with 4,000 events waiting as
/// with 1,000 (it considers at most `limit` of them): with the order check
/// planned as an anti join it read the whole backlog once per event it
/// considered, and a 3,000-event drain on three nodes cost 10–16 ms of
/// database CPU per delivery.
#[actix_web::test]
async fn a_claims_reads_do_not_grow_with_the_backlog_under_stale_statistics() {
    let Some((db, store, m)) = store_with_merchant(Backend::Postgres).await else {
        return;
    };
    // 20,000 delivered events, analysed; then the statistics stay as they are.
    raw_sql(
        &db.url,
        &format!(
            "INSERT INTO webhook_events (event_id, session_id, merchant_id, sequence, status, \
             payload, state, attempts, next_attempt_at, created_at, delivered_at) \
             SELECT 'evt_done_' || g, g, {m}, 1, 'paid', '{{}}', 'delivered', 1, 500, 500, 501 \
             FROM generate_series(1, 20000) g; \
             ANALYZE webhook_events; \
             ALTER TABLE webhook_events SET (autovacuum_enabled = false)"
        ),
    )
    .await;
    let terms = ClaimTerms {
        node: "a",
        now_ms: 2_000,
        lease_ms: LEASE,
        per_endpoint: 64,
        limit: 500,
    };
    add_backlog(&db.url, m, 100_000, 1_000).await;
    let (small, claimed_small) = claim_reads(&db.url, &terms).await;
    add_backlog(&db.url, m, 200_000, 3_000).await;
    let (large, claimed_large) = claim_reads(&db.url, &terms).await;

    assert_eq!(
        (claimed_small, claimed_large),
        (64, 64),
        "the cap, both times"
    );
    assert!(
        large * 2 <= small * 3,
        "a claim read {small} pages with 1,000 events waiting and {large} with 4,000"
    );
    store.close().await;
}
