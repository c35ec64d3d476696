//! A payout wallet change on a real chain: while the change waits out its
//! cool-off a paid session is swept to the old wallet; once the test clock
//! passes the change's time, with no job run in between, the next paid
//! session is swept to the new one, and the books still add up.

use std::time::Duration;

use alloy::primitives::Address;
use kassa::app::merchants::{Timing, request_payout_wallet_change};
use kassa::clock::Clock;
use kassa::domain::payout_wallet::ChangeRules;

use crate::helpers::{Backend, WALLET};
use crate::live::{Live, LiveSetup};
use crate::on_both_backends;

on_both_backends!(a_sweep_after_the_cool_off_goes_to_the_new_wallet);

const PAYOUT_CONFIRMATIONS: u64 = 6;
const NEW_WALLET: &str = "0x00000000000000000000000000000000000a11e7";
const DAY: Duration = Duration::from_secs(86_400);

/// Pays a new session, makes its block final and steps payouts until its
/// sweep is sent; returns the session and what it moved.
async fn paid_and_swept(live: &Live, reference: &str) -> (i64, u64) {
    let id = live.session(reference, "3.00").await;
    let owed = live.owed_units(id).await;
    live.pay_until_paid(id, owed).await;
    live.anvil.mine(PAYOUT_CONFIRMATIONS).await;
    live.payout_step().await;
    live.payout_step().await;
    let sweeps = live.app.store.session_sweeps(id).await.unwrap();
    assert_eq!(sweeps.len(), 1, "{sweeps:?}");
    assert!(sweeps[0].txid_out.is_some(), "{sweeps:?}");
    (id, owed)
}

async fn a_sweep_after_the_cool_off_goes_to_the_new_wallet(backend: Backend) {
    let setup = LiveSetup {
        payout_confirmations: PAYOUT_CONFIRMATIONS,
        ..LiveSetup::default()
    };
    let Some(live) = Live::start(backend, setup).await else {
        return;
    };
    let rules = ChangeRules {
        cooloff: DAY,
        test_events: false,
    };
    let change = request_payout_wallet_change(
        &live.app.store,
        live.app.merchant.id,
        NEW_WALLET,
        Timing::AfterCoolOff,
        rules,
        live.app.clock.now_ms(),
    )
    .await
    .unwrap();
    assert!(!change.in_force);
    let old: Address = WALLET.parse().unwrap();
    let new: Address = NEW_WALLET.parse().unwrap();

    let (during, first) = paid_and_swept(&live, "DURING_COOLOFF").await;
    live.app.clock.advance(DAY + Duration::from_secs(1));
    let (after, second) = paid_and_swept(&live, "AFTER_COOLOFF").await;

    let destination =
        |sweeps: Vec<kassa::store::payouts::SweepRecord>| sweeps[0].destination.to_lowercase();
    let d1 = destination(live.app.store.session_sweeps(during).await.unwrap());
    let d2 = destination(live.app.store.session_sweeps(after).await.unwrap());
    assert_eq!(
        d1,
        WALLET.to_lowercase(),
        "the old wallet during the cool-off"
    );
    assert_eq!(d2, NEW_WALLET, "the new wallet once the change took effect");
    assert_eq!(live.balance(old).await, first);
    assert_eq!(live.balance(new).await, second);
    live.assert_ledger_adds_up().await;
    live.done().await;
}
