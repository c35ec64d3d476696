//! Session transitions committed side by side: on SQLite they share
//! transactions (group commit), yet each keeps its own outcome — a stale
//! version is refused alone, and a write that fails midway is rolled back
//! without taking the others with it. The same outcomes hold on PostgreSQL,
//! where every transition has its own transaction. A shared commit (written
//! a statement per table) leaves exactly the rows the same transitions
//! leave when each commits alone.

use kassa::config::RawSettings;
use kassa::domain::checkout_session::SessionRecord;
use kassa::domain::deposit::{DepositFact, DepositState};
use kassa::domain::session::SessionStatus;
use kassa::store::StoreError;
use kassa::store::transitions::{DepositWrite, OutboxEvent, TransitionWrite};
use sea_orm::{ConnectionTrait, Statement};

use crate::helpers::{Backend, TestApp, raw_sql, spawn_app, spawn_app_with};
use crate::on_both_backends;

on_both_backends!(
    concurrent_transitions_share_commits_and_a_stale_one_is_refused_alone,
    a_transition_failing_midway_is_rolled_back_without_failing_the_others,
    a_deposit_counted_by_another_writer_is_not_counted_again,
);

/// A session actor whose view of a deposit is stale (another node counted
/// it meanwhile) cannot count it a second time: the write is refused and
/// the books hold one entry.
async fn a_deposit_counted_by_another_writer_is_not_counted_again(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let record = sessions(&app, "TWICE", 1).await.remove(0);
    let waiting = fact(901, 9, 1);
    let mut w = note_write(&record);
    w.deposit = Some(DepositWrite::Sighted {
        fact: waiting.clone(),
        state: DepositState::Seen,
    });
    app.store.apply_transition(&w, 1_000).await.unwrap();
    // Another node counts it (its journal entry is left out here, so any
    // entry found below was written by the refused write).
    raw_sql(
        &app.db.url,
        &format!(
            "UPDATE deposits SET state = 'counted', counted = TRUE WHERE tx_hash = '{}'",
            waiting.tx_hash
        ),
    )
    .await;

    let now = app.store.session(record.id).await.unwrap().unwrap();
    let mut count = note_write(&now);
    count.deposit = Some(DepositWrite::NowCounted {
        fact: fact(901, 9, 3),
    });
    let refused = app.store.apply_transition(&count, 2_000).await;

    assert!(matches!(refused, Err(StoreError::Conflict)), "{refused:?}");
    assert!(app.store.journal().await.unwrap().is_empty());
    let after = app.store.session(record.id).await.unwrap().unwrap();
    assert_eq!(after.version, now.version, "nothing of the write stands");
    app.stop().await;
}

#[actix_web::test]
async fn a_shared_commit_writes_the_rows_single_commits_write() {
    // The webhook sender's periodic scan would claim the outbox rows written
    // below and record failed attempts in one database and not (yet) in the
    // other: it is kept from scanning during the test.
    let quiet = |s: &mut RawSettings| s.webhook_tick_ms = 3_600_000;
    let (Some(shared), Some(alone)) = (
        spawn_app_with(Backend::Sqlite, quiet).await,
        spawn_app_with(Backend::Sqlite, quiet).await,
    ) else {
        return;
    };
    // Session ids differ between the two databases; the rows are compared
    // by order reference.
    let mut writes = Vec::new();
    for app in [&shared, &alone] {
        let records = sessions(app, "GCSAME", 30).await;
        // Set up alike on both: a transfer seen then dropped by a reorg
        // (found again below), and a txid to clear.
        for (i, r) in records.iter().enumerate() {
            let prep: Vec<DepositWrite> = match i % 6 {
                4 => vec![
                    DepositWrite::Sighted {
                        fact: fact(i, 7, 1),
                        state: DepositState::Seen,
                    },
                    DepositWrite::Dropped {
                        tx_hash: fact(i, 7, 1).tx_hash,
                        log_index: 0,
                    },
                ],
                _ => Vec::new(),
            };
            for (version, d) in (r.version..).zip(prep) {
                let mut w = note_write(r);
                w.expected_version = version;
                w.txid_in = Some(Some(fact(i, 7, 1).tx_hash));
                w.deposit = Some(d);
                app.store.apply_transition(&w, 500).await.unwrap();
            }
            if i % 6 == 3 {
                let mut w = note_write(r);
                w.txid_in = Some(Some("0xset-then-cleared".into()));
                app.store.apply_transition(&w, 500).await.unwrap();
            }
        }
        let records = refreshed(app, &records).await;
        writes.push(
            records
                .iter()
                .enumerate()
                .map(|(i, r)| rich_write(i, r))
                .collect::<Vec<_>>(),
        );
    }
    let before = shared.store.group_commit_stats();

    let together = futures_util::future::join_all(
        writes[0]
            .iter()
            .map(|w| shared.store.apply_transition(w, 1_000)),
    )
    .await;
    let mut one_by_one = Vec::new();
    for w in &writes[1] {
        one_by_one.push(alone.store.apply_transition(w, 1_000).await);
    }

    let after = shared.store.group_commit_stats();
    assert!(
        after.transactions - before.transactions < 10,
        "the 30 transitions shared commits: {:?} → {after:?}",
        before
    );
    let outcome = |r: &Result<(), StoreError>| match r {
        Ok(()) => "written",
        Err(StoreError::Conflict) => "stale",
        Err(_) => "failed",
    };
    let together: Vec<_> = together.iter().map(outcome).collect();
    let one_by_one: Vec<_> = one_by_one.iter().map(outcome).collect();
    assert_eq!(together, one_by_one);
    assert_eq!(together.iter().filter(|o| **o == "stale").count(), 5);
    assert!(!together.contains(&"failed"));
    let (shared_rows, alone_rows) = (dump(&shared.db.url).await, dump(&alone.db.url).await);
    assert!(shared_rows.iter().any(|r| r.starts_with("money|counted")));
    assert!(shared_rows.iter().any(|r| r.starts_with("money|held")));
    assert_eq!(shared_rows, alone_rows);
    shared.stop().await;
    alone.stop().await;
}

const NOTE: &str = "written by the group commit test";

async fn concurrent_transitions_share_commits_and_a_stale_one_is_refused_alone(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let records = sessions(&app, "GC", 40).await;
    let stale_id = records[17].id;
    let writes: Vec<TransitionWrite> = records
        .iter()
        .map(|r| {
            let mut w = note_write(r);
            if r.id == stale_id {
                w.expected_version += 5;
            }
            w
        })
        .collect();
    let before = app.store.group_commit_stats();

    let results =
        futures_util::future::join_all(writes.iter().map(|w| app.store.apply_transition(w, 1_000)))
            .await;

    for (r, result) in records.iter().zip(&results) {
        let now = app.store.session(r.id).await.unwrap().unwrap();
        if r.id == stale_id {
            assert!(
                matches!(result, Err(StoreError::Conflict)),
                "the stale write is refused: {result:?}"
            );
            assert_eq!(now.version, r.version, "nothing of it was written");
            assert_ne!(now.last_error.as_deref(), Some(NOTE));
        } else {
            assert!(result.is_ok(), "session {}: {result:?}", r.id);
            assert_eq!(now.version, r.version + 1);
            assert_eq!(now.last_error.as_deref(), Some(NOTE));
        }
    }
    let after = app.store.group_commit_stats();
    if backend == Backend::Sqlite {
        let transitions = after.transitions - before.transitions;
        let transactions = after.transactions - before.transactions;
        assert_eq!(transitions, 40);
        assert!(
            transactions < 10,
            "40 concurrent transitions shared commits: {transactions} transactions"
        );
    }
    app.stop().await;
}

async fn a_transition_failing_midway_is_rolled_back_without_failing_the_others(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let records = sessions(&app, "GCDUP", 12).await;
    // Two sessions claim the same transfer: whichever is written second
    // fails after its session row was updated, so that update must go.
    let fact = DepositFact {
        tx_hash: format!("0x{}", "ab".repeat(32)),
        log_index: 3,
        amount_units: 1_000_000,
        block_number: 7,
        block_hash: format!("0x{}", "cd".repeat(32)),
        from: "0x00000000000000000000000000000000000000aa".into(),
        confirmations: 1,
        counts: false,
    };
    let claimants = [records[4].id, records[9].id];
    let writes: Vec<TransitionWrite> = records
        .iter()
        .map(|r| {
            let mut w = note_write(r);
            if claimants.contains(&r.id) {
                w.deposit = Some(DepositWrite::Sighted {
                    fact: fact.clone(),
                    state: DepositState::Seen,
                });
            }
            w
        })
        .collect();

    let results =
        futures_util::future::join_all(writes.iter().map(|w| app.store.apply_transition(w, 1_000)))
            .await;

    let mut claimed = 0;
    for (r, result) in records.iter().zip(&results) {
        let now = app.store.session(r.id).await.unwrap().unwrap();
        match result {
            Ok(()) => {
                assert_eq!(now.version, r.version + 1);
                assert_eq!(now.last_error.as_deref(), Some(NOTE));
                claimed += usize::from(claimants.contains(&r.id));
            }
            Err(StoreError::Conflict) => {
                assert!(claimants.contains(&r.id), "only a claimant fails");
                assert_eq!(now.version, r.version, "its session update rolled back");
                assert_ne!(now.last_error.as_deref(), Some(NOTE));
            }
            Err(e) => panic!("session {}: {e}", r.id),
        }
    }
    assert_eq!(claimed, 1, "exactly one claimant got the transfer");
    let owner = app
        .store
        .known_deposit(&fact.tx_hash, fact.log_index)
        .await
        .unwrap()
        .expect("the deposit was recorded once");
    assert!(claimants.contains(&owner.session_id));
    app.stop().await;
}

async fn sessions(app: &TestApp, prefix: &str, n: usize) -> Vec<SessionRecord> {
    let mut records = Vec::with_capacity(n);
    for i in 0..n {
        let id = app.new_session(&format!("{prefix}_{i}")).await;
        records.push(app.store.session(id).await.unwrap().unwrap());
    }
    records
}

async fn refreshed(app: &TestApp, records: &[SessionRecord]) -> Vec<SessionRecord> {
    let mut now = Vec::with_capacity(records.len());
    for r in records {
        now.push(app.store.session(r.id).await.unwrap().unwrap());
    }
    now
}

/// The `n`th test transfer (`block`, `confirmations` as given).
fn fact(n: usize, block: u64, confirmations: u64) -> DepositFact {
    DepositFact {
        tx_hash: format!("0x{n:064x}"),
        log_index: 0,
        amount_units: 1_000_000 + n as u64,
        block_number: block,
        block_hash: format!("0x{block:064x}"),
        from: "0x00000000000000000000000000000000000000aa".into(),
        confirmations,
        counts: confirmations > 1,
    }
}

/// A transition of each kind the chain watcher hands over, by `i`: counted
/// and paid, seen, held late, a txid cleared, a dropped transfer found
/// again and counted, and a stale one.
fn rich_write(i: usize, r: &SessionRecord) -> TransitionWrite {
    let mut w = note_write(r);
    let event = |status: &'static str| OutboxEvent {
        event_id: format!("evt_gc_{i}_{status}"),
        sequence: r.event_count + 1,
        status,
        payload: format!("{{\"n\":{i},\"status\":\"{status}\"}}"),
    };
    match i % 6 {
        0 => {
            w.status = SessionStatus::Paid;
            w.received_units = fact(i, 9, 3).amount_units;
            w.paid_at_ms = Some(1_000);
            w.txid_in = Some(Some(fact(i, 9, 3).tx_hash));
            w.deposit = Some(DepositWrite::Sighted {
                fact: fact(i, 9, 3),
                state: DepositState::Counted,
            });
            w.events = vec![event("paid")];
            w.webhook_url = Some(format!("http://127.0.0.1:9/hook/{i}"));
        }
        1 => {
            w.status = SessionStatus::Pending;
            w.txid_in = Some(Some(fact(i, 9, 1).tx_hash));
            w.deposit = Some(DepositWrite::Sighted {
                fact: fact(i, 9, 1),
                state: DepositState::Seen,
            });
            w.events = vec![event("pending")];
        }
        2 => {
            w.last_error = Some(format!("late transfer {i}"));
            w.deposit = Some(DepositWrite::Sighted {
                fact: fact(i, 9, 5),
                state: DepositState::Late,
            });
        }
        3 => w.txid_in = Some(None),
        4 => {
            w.status = SessionStatus::Paid;
            w.received_units = fact(i, 8, 4).amount_units;
            w.paid_at_ms = Some(1_000);
            w.deposit = Some(DepositWrite::Sighted {
                fact: fact(i, 8, 4),
                state: DepositState::Counted,
            });
            w.events = vec![event("paid")];
        }
        _ => w.expected_version += 1,
    }
    w
}

/// Every row the transitions touch, as text, in an order that does not
/// depend on ids.
async fn dump(url: &str) -> Vec<String> {
    let db = sea_orm::Database::connect(url).await.unwrap();
    let queries = [
        "SELECT 'session|' || order_id || '|' || status || '|' || received_usdc || '|' \
           || version || '|' || event_count || '|' || COALESCE(paid_at, '-') || '|' \
           || COALESCE(txid_in, '-') || '|' || COALESCE(txid_out, '-') || '|' \
           || COALESCE(last_error, '-') FROM sessions",
        "SELECT 'deposit|' || s.order_id || '|' || d.tx_hash || '|' || d.log_index || '|' \
           || d.amount_usdc || '|' || d.confirmations || '|' || d.counted || '|' \
           || d.observed_at || '|' || d.block_number || '|' || d.block_hash || '|' \
           || d.from_address || '|' || d.state \
           FROM deposits d JOIN sessions s ON s.id = d.session_id",
        "SELECT 'money|' || m.kind || '|' || m.unit || '|' || m.amount || '|' \
           || REPLACE(m.debit, m.session_id, s.order_id) || '|' \
           || REPLACE(m.credit, m.session_id, s.order_id) || '|' || s.order_id || '|' \
           || COALESCE(d.tx_hash, '-') || '|' || m.created_at FROM money_entries m \
           JOIN sessions s ON s.id = m.session_id LEFT JOIN deposits d ON d.id = m.deposit_id",
        "SELECT 'event|' || e.event_id || '|' || s.order_id || '|' || e.sequence || '|' \
           || e.status || '|' || e.payload || '|' || COALESCE(e.target_url, '-') || '|' \
           || e.state || '|' || e.next_attempt_at || '|' || e.created_at \
           FROM webhook_events e JOIN sessions s ON s.id = e.session_id",
    ];
    let mut rows = Vec::new();
    for sql in queries {
        for row in db
            .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .unwrap()
        {
            rows.push(row.try_get_by_index::<String>(0).unwrap());
        }
    }
    db.close().await.unwrap();
    rows.sort();
    rows
}

/// A transition that changes nothing but the session's note and version.
fn note_write(r: &SessionRecord) -> TransitionWrite {
    TransitionWrite {
        session_id: r.id,
        merchant_id: r.merchant_id,
        expected_version: r.version,
        status: r.status,
        received_units: r.received.units(),
        paid_at_ms: r.paid_at_ms,
        txid_in: None,
        last_error: Some(NOTE.into()),
        deposit: None,
        events: Vec::new(),
        webhook_url: None,
        payout: None,
    }
}
