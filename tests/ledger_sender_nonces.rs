//! The sandbox ledger checks a signed transaction's nonce, type, chain,
//! gas and fee as a node does: a used nonce is too low, a skipped one is
//! refused (there is no pool), the same bytes twice are already known, and
//! a call that reverts still uses its nonce. Two nodes sending at once on
//! one database take turns. Balances add up in every test.

use std::sync::Arc;

use alloy::consensus::{SignableTransaction, TxEip1559, TxEnvelope, TxLegacy};
use alloy::eips::eip2718::Encodable2718;
use alloy::network::TxSignerSync;
use alloy_primitives::{B256, Bytes, TxKind, U256};
use kassa::chain::ledger::SandboxLedger;
use kassa::chain::ledger_exec::{BASE_FEE, PLAIN_GAS, TRANSFER_GAS};
use kassa::chain::sender::{Broadcast, ChainSender};
use kassa::chain::source::ChainSource;
use kassa::clock::{SharedClock, SystemClock};

use crate::helpers::{Backend, TestDb, open_store};
use crate::ledger_sender::{
    GWEI, MERCHANT, USDC, authorized_call, fund, hash_of, keys, ledger_on, receipt_of, sign,
    signed, transfer_call, usdc,
};
use crate::on_both_backends;

on_both_backends!(
    the_same_bytes_sent_twice_are_already_known_and_move_once,
    a_used_nonce_is_too_low_and_a_skipped_one_is_rejected,
    a_plain_transfer_moves_what_its_sender_holds_and_reverts_from_an_empty_address,
    a_coin_transfer_succeeds_and_moves_no_token,
    transactions_the_ledger_cannot_mine_are_refused_and_change_nothing,
    two_nodes_sending_at_once_mine_each_nonce_once,
);

async fn the_same_bytes_sent_twice_are_already_known_and_move_once(backend: Backend) {
    let Some((ledger, _store, _db)) = ledger_on(backend).await else {
        return;
    };
    let keys = keys();
    let deposit = keys.deposit.address();
    fund(&ledger, deposit, 100).await;
    let call = authorized_call(
        &ledger,
        &keys.deposit,
        deposit,
        MERCHANT,
        25,
        B256::repeat_byte(1),
    )
    .await;
    let raw = signed(&keys.gas, 0, USDC, call);

    let first = ledger.send_raw(raw.clone()).await.unwrap();
    let head = ledger.head().await.unwrap();
    let second = ledger.send_raw(raw.clone()).await.unwrap();

    assert_eq!(
        (first, second),
        (Broadcast::Accepted, Broadcast::AlreadyKnown)
    );
    assert_eq!(ledger.head().await.unwrap(), head, "nothing more was mined");
    assert_eq!(
        (usdc(&ledger, deposit).await, usdc(&ledger, MERCHANT).await),
        (75, 25)
    );
    let logs = ledger.transfers(USDC, 0, head).await.unwrap();
    let moved: Vec<_> = logs
        .iter()
        .filter(|log| log.tx_hash == hash_of(&raw))
        .collect();
    assert_eq!(moved.len(), 1, "one transfer");
    assert_eq!(ledger.nonce(keys.gas.address(), false).await.unwrap(), 1);
}

async fn a_used_nonce_is_too_low_and_a_skipped_one_is_rejected(backend: Backend) {
    let Some((ledger, _store, _db)) = ledger_on(backend).await else {
        return;
    };
    let keys = keys();
    let sender = keys.deposit.address();
    fund(&ledger, sender, 10).await;
    let first = signed(&keys.deposit, 0, USDC, transfer_call(MERCHANT, 4));
    assert_eq!(ledger.send_raw(first).await.unwrap(), Broadcast::Accepted);
    let head = ledger.head().await.unwrap();

    let reused = ledger
        .send_raw(signed(&keys.deposit, 0, USDC, transfer_call(MERCHANT, 5)))
        .await
        .unwrap();
    let skipped = ledger
        .send_raw(signed(&keys.deposit, 2, USDC, transfer_call(MERCHANT, 6)))
        .await
        .unwrap();
    let far_off = ledger
        .send_raw(signed(
            &keys.deposit,
            u64::MAX,
            USDC,
            transfer_call(MERCHANT, 6),
        ))
        .await
        .unwrap();

    assert!(matches!(reused, Broadcast::NonceTooLow(_)), "{reused:?}");
    assert!(
        matches!(&skipped, Broadcast::Rejected(why) if why.contains("nonce gap")),
        "{skipped:?}"
    );
    assert!(
        matches!(&far_off, Broadcast::Rejected(why) if why.contains("nonce gap")),
        "{far_off:?}"
    );
    assert_eq!(ledger.head().await.unwrap(), head, "none was mined");
    assert_eq!(ledger.nonce(sender, true).await.unwrap(), 1);
    assert_eq!(
        (usdc(&ledger, sender).await, usdc(&ledger, MERCHANT).await),
        (6, 4)
    );
    let next = signed(&keys.deposit, 1, USDC, transfer_call(MERCHANT, 6));
    assert_eq!(ledger.send_raw(next).await.unwrap(), Broadcast::Accepted);
    assert_eq!(
        (usdc(&ledger, sender).await, usdc(&ledger, MERCHANT).await),
        (0, 10)
    );
}

async fn a_plain_transfer_moves_what_its_sender_holds_and_reverts_from_an_empty_address(
    backend: Backend,
) {
    let Some((ledger, _store, _db)) = ledger_on(backend).await else {
        return;
    };
    let keys = keys();
    let funded = keys.deposit.address();
    let empty = keys.stranger.address();
    fund(&ledger, funded, 50).await;
    let paid = signed(&keys.deposit, 0, USDC, transfer_call(MERCHANT, 50));
    let unpaid = signed(&keys.stranger, 0, USDC, transfer_call(MERCHANT, 1));

    let sent = (
        ledger.send_raw(paid.clone()).await.unwrap(),
        ledger.send_raw(unpaid.clone()).await.unwrap(),
    );

    assert_eq!(sent, (Broadcast::Accepted, Broadcast::Accepted));
    let (paid, unpaid) = (
        receipt_of(&ledger, &paid).await,
        receipt_of(&ledger, &unpaid).await,
    );
    assert!(paid.success);
    assert!(!unpaid.success, "the sender holds nothing");
    assert_eq!(
        (paid.gas_used, unpaid.gas_used),
        (TRANSFER_GAS, TRANSFER_GAS)
    );
    assert_eq!(
        (
            usdc(&ledger, funded).await,
            usdc(&ledger, empty).await,
            usdc(&ledger, MERCHANT).await
        ),
        (0, 0, 50)
    );
    assert_eq!(
        ledger.nonce(empty, false).await.unwrap(),
        1,
        "the revert used its nonce"
    );
}

async fn a_coin_transfer_succeeds_and_moves_no_token(backend: Backend) {
    let Some((ledger, _store, _db)) = ledger_on(backend).await else {
        return;
    };
    let keys = keys();
    let top_up = signed(&keys.gas, 0, keys.deposit.address(), Bytes::new());

    let sent = ledger.send_raw(top_up.clone()).await.unwrap();

    assert_eq!(sent, Broadcast::Accepted);
    let receipt = receipt_of(&ledger, &top_up).await;
    assert!(receipt.success);
    assert_eq!(receipt.gas_used, PLAIN_GAS);
    assert!(
        ledger
            .transfers(USDC, 0, receipt.block_number)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(ledger.nonce(keys.gas.address(), false).await.unwrap(), 1);
}

async fn transactions_the_ledger_cannot_mine_are_refused_and_change_nothing(backend: Backend) {
    let Some((ledger, _store, _db)) = ledger_on(backend).await else {
        return;
    };
    let keys = keys();
    let sender = keys.deposit.address();
    fund(&ledger, sender, 10).await;
    let head = ledger.head().await.unwrap();
    let base = TxEip1559 {
        chain_id: 137,
        nonce: 0,
        gas_limit: 100_000,
        max_fee_per_gas: 100 * GWEI,
        max_priority_fee_per_gas: 30 * GWEI,
        to: TxKind::Call(USDC),
        value: U256::ZERO,
        access_list: Default::default(),
        input: transfer_call(MERCHANT, 10),
    };
    let elsewhere = sign(
        &keys.deposit,
        TxEip1559 {
            chain_id: 1,
            ..base.clone()
        },
    );
    let cheap = sign(
        &keys.deposit,
        TxEip1559 {
            max_fee_per_gas: BASE_FEE - 1,
            max_priority_fee_per_gas: 1,
            ..base.clone()
        },
    );
    let starved = sign(
        &keys.deposit,
        TxEip1559 {
            gas_limit: 20_000,
            ..base.clone()
        },
    );
    let mut legacy = TxLegacy {
        chain_id: Some(137),
        nonce: 0,
        gas_price: 100 * GWEI,
        gas_limit: 100_000,
        to: TxKind::Call(USDC),
        value: U256::ZERO,
        input: transfer_call(MERCHANT, 10),
    };
    let signature = keys.deposit.sign_transaction_sync(&mut legacy).unwrap();
    let legacy = Bytes::from(TxEnvelope::from(legacy.into_signed(signature)).encoded_2718());

    let answers = [
        ledger.send_raw(elsewhere).await.unwrap(),
        ledger.send_raw(cheap).await.unwrap(),
        ledger.send_raw(starved).await.unwrap(),
        ledger.send_raw(legacy).await.unwrap(),
        ledger
            .send_raw(Bytes::from_static(b"\x02garbage"))
            .await
            .unwrap(),
    ];

    assert!(
        matches!(&answers[0], Broadcast::Rejected(why) if why.contains("chain id")),
        "{answers:?}"
    );
    assert!(
        matches!(answers[1], Broadcast::Underpriced(_)),
        "{answers:?}"
    );
    assert!(
        matches!(&answers[2], Broadcast::Rejected(why) if why.contains("intrinsic gas")),
        "{answers:?}"
    );
    assert!(
        matches!(&answers[3], Broadcast::Rejected(why) if why.contains("EIP-1559")),
        "{answers:?}"
    );
    assert!(matches!(answers[4], Broadcast::Rejected(_)), "{answers:?}");
    assert_eq!(ledger.head().await.unwrap(), head, "nothing was mined");
    assert_eq!(ledger.nonce(sender, false).await.unwrap(), 0);
    assert_eq!(
        (usdc(&ledger, sender).await, usdc(&ledger, MERCHANT).await),
        (10, 0)
    );
    // Enough gas to enter but not to finish: mined, out of gas.
    let short = sign(
        &keys.deposit,
        TxEip1559 {
            gas_limit: 30_000,
            ..base
        },
    );
    assert_eq!(
        ledger.send_raw(short.clone()).await.unwrap(),
        Broadcast::Accepted
    );
    let receipt = receipt_of(&ledger, &short).await;
    assert_eq!((receipt.success, receipt.gas_used), (false, 30_000));
    assert_eq!(
        (usdc(&ledger, sender).await, usdc(&ledger, MERCHANT).await),
        (10, 0)
    );
}

async fn two_nodes_sending_at_once_mine_each_nonce_once(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let (first, second) = (open_store(&db).await, open_store(&db).await);
    let clock: SharedClock = Arc::new(SystemClock);
    let a = SandboxLedger::new(first, 0, clock.clone());
    let b = SandboxLedger::new(second, 0, clock);
    let keys = keys();
    let sender = keys.deposit.address();
    fund(&a, sender, 100).await;
    let rounds = 6u64;

    for nonce in 0..rounds {
        // The same bytes to both nodes, and a rival transaction with the same nonce.
        let raw = signed(&keys.deposit, nonce, USDC, transfer_call(MERCHANT, 10));
        let rival = signed(&keys.deposit, nonce, USDC, transfer_call(MERCHANT, 1));
        let (x, y, z) = tokio::join!(
            a.send_raw(raw.clone()),
            b.send_raw(raw.clone()),
            b.send_raw(rival.clone()),
        );
        let answers = [x.unwrap(), y.unwrap(), z.unwrap()];
        let accepted = answers
            .iter()
            .filter(|a| **a == Broadcast::Accepted)
            .count();
        assert_eq!(accepted, 1, "one transaction per nonce: {answers:?}");
        assert!(
            answers.iter().all(|a| matches!(
                a,
                Broadcast::Accepted | Broadcast::AlreadyKnown | Broadcast::NonceTooLow(_)
            )),
            "{answers:?}"
        );
    }

    assert_eq!(a.nonce(sender, false).await.unwrap(), rounds);
    let moved = usdc(&a, MERCHANT).await;
    assert_eq!(usdc(&b, sender).await + moved, 100, "the balances add up");
    let head = a.head().await.unwrap();
    assert_eq!(head, 1 + rounds, "one block per mined transaction");
    let logs = a.transfers(USDC, 2, head).await.unwrap();
    assert_eq!(logs.len(), usize::try_from(rounds).unwrap());
    assert_eq!(
        logs.iter().map(|log| log.amount).sum::<U256>(),
        U256::from(moved)
    );
}
