//! The money check every watcher test ends with, in token base units: what
//! the canonical chain says the sessions' deposit addresses received is
//! exactly what the store counted, holds (late) or still waits for; each
//! session's `received` is the sum of its counted deposits; and the
//! deposits marked dropped are exactly those no longer on chain; and the
//! ledger check (rows, money journal and chain) finds nothing amiss.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use alloy::primitives::Address;
use kassa::chain::rpc::RpcChain;
use kassa::chain::source::ChainSource;
use kassa::domain::deposit::DepositState;
use kassa::store::Store;

use crate::anvil::Anvil;

/// A transfer's identity as deposits store it.
type Key = (String, i64);

/// What one audit found, for tests that assert more than conservation.
#[derive(Debug, Clone, Default)]
pub struct Audit {
    /// Base units sent to the deposit addresses on the canonical chain.
    pub on_chain: u64,
    pub by_state: BTreeMap<&'static str, u64>,
}

/// Asserts conservation for `sessions` (ids) against `anvil`'s chain.
pub async fn assert_conserved(anvil: &Anvil, store: &Store, sessions: &[i64]) -> Audit {
    let mut address_of: HashMap<Address, i64> = HashMap::new();
    for id in sessions {
        let record = store.session(*id).await.unwrap().unwrap();
        address_of.insert(record.deposit_address.checksummed().parse().unwrap(), *id);
    }
    let chain = RpcChain::new(&anvil.rpc_url(), Duration::from_secs(10)).unwrap();
    let head = chain.head().await.unwrap();
    let logs = chain.transfers(anvil.token(), 0, head).await.unwrap();
    let mut on_chain: HashMap<Key, (i64, u64)> = HashMap::new();
    for log in logs {
        if let Some(id) = address_of.get(&log.to) {
            let key = (format!("{:#x}", log.tx_hash), log.log_index as i64);
            on_chain.insert(key, (*id, u64::try_from(log.amount).unwrap()));
        }
    }

    let watched: BTreeSet<i64> = sessions.iter().copied().collect();
    let deposits: Vec<_> = store
        .audited_deposits()
        .await
        .unwrap()
        .into_iter()
        .filter(|d| watched.contains(&d.session_id))
        .collect();
    let mut audit = Audit {
        on_chain: on_chain.values().map(|(_, units)| units).sum(),
        by_state: DepositState::ALL.iter().map(|s| (s.as_str(), 0)).collect(),
    };
    let mut seen_keys: BTreeSet<Key> = BTreeSet::new();
    let mut counted_per_session: HashMap<i64, u64> = HashMap::new();
    for d in &deposits {
        let key = (d.tx_hash.clone(), d.log_index);
        assert!(
            seen_keys.insert(key.clone()),
            "deposit {key:?} is recorded twice"
        );
        *audit.by_state.entry(d.state.as_str()).or_default() += d.amount_units;
        let there = on_chain.get(&key);
        match d.state {
            DepositState::Dropped => assert!(
                there.is_none(),
                "deposit {key:?} is marked dropped but is on the canonical chain"
            ),
            DepositState::Seen | DepositState::Counted | DepositState::Late => {
                assert_eq!(
                    there,
                    Some(&(d.session_id, d.amount_units)),
                    "deposit {key:?} ({}) is not on the canonical chain as recorded",
                    d.state
                );
            }
        }
        if d.state == DepositState::Counted {
            *counted_per_session.entry(d.session_id).or_default() += d.amount_units;
        }
    }
    for key in on_chain.keys() {
        assert!(
            seen_keys.contains(key),
            "the transfer {key:?} on chain was never recorded; recorded: {deposits:#?}"
        );
    }
    let kept = ["counted", "late", "seen"]
        .iter()
        .map(|s| audit.by_state.get(s).copied().unwrap_or(0))
        .sum::<u64>();
    assert_eq!(
        audit.on_chain, kept,
        "on chain = counted + held (late) + still waiting; by state: {:?}",
        audit.by_state
    );
    if watched.len() == address_of.len() && store_has_only(store, &watched).await {
        assert_eq!(
            store.deposit_totals_by_state().await.unwrap(),
            audit.by_state,
            "the store's totals agree with its rows"
        );
    }
    for id in sessions {
        let record = store.session(*id).await.unwrap().unwrap();
        assert_eq!(
            record.received.units(),
            counted_per_session.get(id).copied().unwrap_or(0),
            "session {id}'s received is the sum of its counted deposits"
        );
    }
    // `kassa ledger check`: the rows, the money journal and the chain agree.
    assert_ledger_check(anvil, store).await;
    audit
}

/// `kassa ledger check`'s verdict on `store`'s books against `anvil`'s
/// chain: asserts the money adds up; returns the figures.
pub async fn assert_ledger_check(
    anvil: &Anvil,
    store: &Store,
) -> kassa::domain::money_check::Figures {
    let chain = RpcChain::new(&anvil.rpc_url(), Duration::from_secs(10)).unwrap();
    let report = kassa::app::money::check(store, &chain, anvil.token())
        .await
        .unwrap();
    assert!(
        report.discrepancies.is_empty(),
        "the ledger check fails: {:?} ({:?})",
        report.discrepancies,
        report.figures
    );
    report.figures
}

/// Whether every recorded deposit belongs to one of `sessions`.
async fn store_has_only(store: &Store, sessions: &BTreeSet<i64>) -> bool {
    store
        .audited_deposits()
        .await
        .unwrap()
        .iter()
        .all(|d| sessions.contains(&d.session_id))
}
