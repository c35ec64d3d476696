//! A top-up sweep whose plain transfers revert (the deposit address's USDC
//! left by another transaction of its key) fails; once the money is back,
//! each retry signs a transfer with a new nonce only because the reverted
//! one spent its nonce for good, and the merchant is paid once.

use std::time::Duration;

use alloy::primitives::Address;
use kassa::domain::payout::{Leg, SweepState, TxState};

use crate::anvil::Anvil;
use crate::helpers::{Backend, WALLET};
use crate::live::Live;
use crate::on_both_backends;
use crate::payouts_topup_faults::{FEE_WALLET, PAYOUT_CONFIRMATIONS, legs_of, setup};

on_both_backends!(a_reverted_transfer_fails_the_sweep_and_its_retry_pays_once);

/// Past any sweep retry delay (at most 30 minutes, with jitter).
const PAST_RETRY: Duration = Duration::from_secs(2 * 60 * 60);

async fn a_reverted_transfer_fails_the_sweep_and_its_retry_pays_once(backend: Backend) {
    let Some(live) = Live::start(backend, setup()).await else {
        return;
    };
    let id = live.session("REVERT", "8.00").await;
    let (owed, deposit) = live.paid_without_pol(id, PAYOUT_CONFIRMATIONS).await;
    let topped = live.payout_step().await;
    assert_eq!(topped.signed, 1, "the top-up: {topped:?}");
    let sweep = live.app.store.session_sweeps(id).await.unwrap().remove(0);

    // Another holder of the deposit key moves the USDC away: both
    // transfers revert and the sweep fails.
    let deposit_key = Anvil::dev_account(u32::try_from(sweep.hd_index).unwrap());
    let elsewhere = Address::repeat_byte(0x77);
    live.anvil.transfer(&deposit_key, elsewhere, owed).await;
    let signed = live.payout_step().await;
    assert_eq!(signed.signed, 2, "{signed:?}");
    let failed = live.payout_step().await;
    assert_eq!(failed.failed, 1, "{failed:?}");
    let record = live.app.store.sweep(sweep.id).await.unwrap().unwrap();
    assert_eq!(record.state, SweepState::Failed);
    let why = record.last_error.unwrap_or_default();
    assert!(why.contains("reverted"), "{why}");

    // The money comes back; retries finish the sweep.
    live.anvil.mint(deposit, owed).await;
    let mut sent = 0;
    for _ in 0..6 {
        live.app.clock.advance(PAST_RETRY);
        sent += live.payout_step().await.sent;
        if sent > 0 {
            break;
        }
    }
    assert_eq!(sent, 1, "the sweep was sent after its retries");

    let legs = legs_of(&live, &sweep).await;
    let of = |leg: Leg| -> Vec<(TxState, u64)> {
        legs.iter()
            .filter(|(l, _, _)| *l == leg)
            .map(|(_, state, nonce)| (*state, *nonce))
            .collect()
    };
    assert_eq!(of(Leg::TopUp), [(TxState::Mined, 0)], "topped up once");
    let merchant_legs = of(Leg::Merchant);
    let fee_legs = of(Leg::Fee);
    for (leg, txs) in [("merchant", &merchant_legs), ("fee", &fee_legs)] {
        assert_eq!(
            txs.iter().map(|t| t.0).collect::<Vec<_>>(),
            [TxState::Reverted, TxState::Mined],
            "{leg}: {txs:?}"
        );
        assert!(txs[1].1 > txs[0].1, "{leg}: a new nonce after the revert");
    }
    let fee = owed * 200 / 10_000;
    let merchant: Address = WALLET.parse().unwrap();
    assert_eq!(live.balance(merchant).await, owed - fee, "paid once");
    assert_eq!(live.balance(FEE_WALLET.parse().unwrap()).await, fee);
    assert_eq!(live.balance(deposit).await, 0);
    live.assert_ledger_adds_up().await;
    live.done().await;
}
