//! Session transitions committed side by side: on SQLite they share
//! transactions (group commit), yet each keeps its own outcome — a stale
//! version is refused alone, and a write that fails midway is rolled back
//! without taking the others with it. The same outcomes hold on PostgreSQL,
//! where every transition has its own transaction.

use kassa::domain::checkout_session::SessionRecord;
use kassa::domain::deposit::{DepositFact, DepositState};
use kassa::store::StoreError;
use kassa::store::transitions::{DepositWrite, TransitionWrite};

use crate::helpers::{Backend, TestApp, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    concurrent_transitions_share_commits_and_a_stale_one_is_refused_alone,
    a_transition_failing_midway_is_rolled_back_without_failing_the_others,
);

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
