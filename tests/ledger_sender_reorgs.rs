//! A reorg on the sandbox ledger undoes a signed transaction as a chain
//! does: its receipt is gone, its nonce and authorization are free again,
//! and its bytes can be mined again. A ledger whose database is gone says
//! it is unavailable. Balances add up in every test.

use alloy_primitives::{B256, Bytes};
use kassa::chain::ledger::SANDBOX_PAYER;
use kassa::chain::sender::{Broadcast, ChainSender};
use kassa::chain::source::ChainError;

use crate::helpers::Backend;
use crate::ledger::assert_chain_is_linked;
use crate::ledger_sender::{
    MERCHANT, USDC, authorized_call, fund, hash_of, keys, ledger_on, receipt_of, signed, usdc,
};
use crate::on_both_backends;

on_both_backends!(
    a_reorg_drops_the_transaction_and_frees_its_nonce_and_authorization,
    dropping_the_block_of_a_transaction_frees_its_nonce_and_authorization,
    a_sending_ledger_whose_database_is_gone_reports_it_unavailable,
);

async fn a_reorg_drops_the_transaction_and_frees_its_nonce_and_authorization(backend: Backend) {
    let Some((ledger, store, _db)) = ledger_on(backend).await else {
        return;
    };
    let keys = keys();
    let deposit = keys.deposit.address();
    fund(&ledger, deposit, 100).await;
    let nonce = B256::repeat_byte(0xA4);
    let call = authorized_call(&ledger, &keys.deposit, deposit, MERCHANT, 100, nonce).await;
    let raw = signed(&keys.gas, 0, USDC, call);
    assert_eq!(
        ledger.send_raw(raw.clone()).await.unwrap(),
        Broadcast::Accepted
    );
    assert_eq!(usdc(&ledger, MERCHANT).await, 100);

    let dropped = ledger.reorg(1).await.unwrap();

    assert_eq!(dropped.len(), 1);
    assert_eq!(dropped[0].tx_hash, hash_of(&raw));
    assert_eq!(
        ledger.receipt(hash_of(&raw)).await.unwrap(),
        None,
        "the receipt is gone"
    );
    assert_eq!(
        ledger.nonce(keys.gas.address(), false).await.unwrap(),
        0,
        "the nonce is free"
    );
    assert!(
        !ledger
            .authorization_used(USDC, deposit, nonce)
            .await
            .unwrap()
    );
    assert_eq!(
        (usdc(&ledger, deposit).await, usdc(&ledger, MERCHANT).await),
        (100, 0)
    );
    // Sent again, as a payout rebroadcasting its stored bytes does.
    assert_eq!(
        ledger.send_raw(raw.clone()).await.unwrap(),
        Broadcast::Accepted
    );
    assert!(receipt_of(&ledger, &raw).await.success);
    assert_eq!(
        (usdc(&ledger, deposit).await, usdc(&ledger, MERCHANT).await),
        (0, 100)
    );
    assert_chain_is_linked(&store).await;
}

async fn dropping_the_block_of_a_transaction_frees_its_nonce_and_authorization(backend: Backend) {
    let Some((ledger, store, _db)) = ledger_on(backend).await else {
        return;
    };
    let keys = keys();
    let deposit = keys.deposit.address();
    fund(&ledger, deposit, 100).await;
    let nonce = B256::repeat_byte(0xA5);
    let call = authorized_call(&ledger, &keys.deposit, deposit, MERCHANT, 60, nonce).await;
    let first = signed(&keys.gas, 0, USDC, call);
    let second = signed(&keys.gas, 1, SANDBOX_PAYER, Bytes::new());
    ledger.send_raw(first.clone()).await.unwrap();
    ledger.send_raw(second.clone()).await.unwrap();

    let block = ledger.drop_transaction(hash_of(&first)).await.unwrap();

    assert_eq!(block, Some(2), "the block after the funding");
    assert_eq!(ledger.receipt(hash_of(&first)).await.unwrap(), None);
    assert!(
        ledger.receipt(hash_of(&second)).await.unwrap().is_some(),
        "later blocks stay"
    );
    assert_eq!(
        ledger.nonce(keys.gas.address(), false).await.unwrap(),
        0,
        "the lowest free nonce"
    );
    assert!(
        !ledger
            .authorization_used(USDC, deposit, nonce)
            .await
            .unwrap()
    );
    assert_eq!(
        (usdc(&ledger, deposit).await, usdc(&ledger, MERCHANT).await),
        (100, 0)
    );
    assert_eq!(
        ledger.send_raw(first.clone()).await.unwrap(),
        Broadcast::Accepted
    );
    assert_eq!(ledger.nonce(keys.gas.address(), false).await.unwrap(), 2);
    assert_eq!(
        (usdc(&ledger, deposit).await, usdc(&ledger, MERCHANT).await),
        (40, 60)
    );
    assert_chain_is_linked(&store).await;
}

async fn a_sending_ledger_whose_database_is_gone_reports_it_unavailable(backend: Backend) {
    let Some((ledger, store, _db)) = ledger_on(backend).await else {
        return;
    };
    let keys = keys();
    let raw = signed(&keys.gas, 0, keys.deposit.address(), Bytes::new());
    store.close().await;

    let sent = ledger.send_raw(raw.clone()).await;
    let receipt = ledger.receipt(hash_of(&raw)).await;
    let nonce = ledger.nonce(keys.gas.address(), true).await;
    let used = ledger
        .authorization_used(USDC, keys.deposit.address(), B256::ZERO)
        .await;

    assert!(matches!(sent, Err(ChainError::Unavailable(_))), "{sent:?}");
    assert!(
        matches!(receipt, Err(ChainError::Unavailable(_))),
        "{receipt:?}"
    );
    assert!(
        matches!(nonce, Err(ChainError::Unavailable(_))),
        "{nonce:?}"
    );
    assert!(matches!(used, Err(ChainError::Unavailable(_))), "{used:?}");
}
