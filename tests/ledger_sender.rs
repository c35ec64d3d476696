//! The sandbox ledger as a node payouts send to: it mines real signed
//! EIP-1559 transactions as Polygon plus USDC would. EIP-3009 transfers move
//! money once per authorization, reverts still use their nonce, nonces are
//! checked, the same bytes twice change nothing, and a reorg undoes a
//! transaction (its receipt, nonce and authorization). Balances add up in
//! every test.

use std::sync::Arc;

use alloy::consensus::{SignableTransaction, TxEip1559, TxEnvelope, TxLegacy};
use alloy::eips::eip2718::Encodable2718;
use alloy::network::TxSignerSync;
use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, address, keccak256};
use kassa::chain::ledger::{SANDBOX_PAYER, SandboxLedger};
use kassa::chain::ledger_exec::{AUTHORIZED_TRANSFER_GAS, BASE_FEE, PLAIN_GAS, TRANSFER_GAS};
use kassa::chain::sender::{Broadcast, ChainSender, Receipt};
use kassa::chain::source::ChainSource;
use kassa::chain::token::{Usdc, authorization, authorization_digest, domain};
use kassa::clock::SystemClock;
use kassa::store::Store;

use crate::helpers::{Backend, TestDb, open_store};
use crate::on_both_backends;

on_both_backends!(
    an_authorized_transfer_sent_by_a_gas_account_moves_the_money,
    an_authorization_used_again_is_mined_reverted_and_moves_nothing,
    an_authorization_signed_by_another_key_reverts,
    the_same_bytes_sent_twice_are_already_known_and_move_once,
    a_used_nonce_is_too_low_and_a_skipped_one_is_rejected,
    a_plain_transfer_moves_what_its_sender_holds_and_reverts_from_an_empty_address,
    a_coin_transfer_succeeds_and_moves_no_token,
    a_reorg_drops_the_transaction_and_frees_its_nonce_and_authorization,
    dropping_the_block_of_a_transaction_frees_its_nonce_and_authorization,
    a_ledger_without_eip3009_reverts_authorized_transfers,
    transactions_the_ledger_cannot_mine_are_refused_and_change_nothing,
    the_ledger_quotes_fixed_fees_and_ample_gas_money,
);

const USDC: Address = address!("0x3c499c542cef5e3811e1192ce70d8cc03d5c3359");
const MERCHANT: Address = address!("0x2222222222222222222222222222222222222222");
const GWEI: u128 = 1_000_000_000;

/// A deposit address's key (it signs authorizations) and a gas account's
/// (it sends them), as a payout has.
struct Keys {
    deposit: PrivateKeySigner,
    gas: PrivateKeySigner,
    stranger: PrivateKeySigner,
}

fn keys() -> Keys {
    let key = |byte| PrivateKeySigner::from_bytes(&B256::repeat_byte(byte)).unwrap();
    Keys {
        deposit: key(0x11),
        gas: key(0x22),
        stranger: key(0x33),
    }
}

async fn ledger_on(backend: Backend) -> Option<(SandboxLedger, Store, TestDb)> {
    let db = TestDb::new(backend).await?;
    let store = open_store(&db).await;
    let ledger = SandboxLedger::new(store.clone(), 0, Arc::new(SystemClock));
    Some((ledger, store, db))
}

/// A signed EIP-1559 transaction calling `to` with `input`, as raw bytes.
fn signed(key: &PrivateKeySigner, nonce: u64, to: Address, input: Bytes) -> Bytes {
    sign(
        key,
        TxEip1559 {
            chain_id: 137,
            nonce,
            gas_limit: 200_000,
            max_fee_per_gas: 100 * GWEI,
            max_priority_fee_per_gas: 30 * GWEI,
            to: TxKind::Call(to),
            value: U256::ZERO,
            access_list: Default::default(),
            input,
        },
    )
}

fn sign(key: &PrivateKeySigner, mut tx: TxEip1559) -> Bytes {
    let signature = key.sign_transaction_sync(&mut tx).unwrap();
    TxEnvelope::from(tx.into_signed(signature))
        .encoded_2718()
        .into()
}

/// An EIP-2718 transaction's hash: the keccak of its bytes.
fn hash_of(raw: &Bytes) -> B256 {
    keccak256(raw)
}

fn transfer_call(to: Address, value: u64) -> Bytes {
    Usdc::transferCall {
        to,
        value: U256::from(value),
    }
    .abi_encode()
    .into()
}

/// `transferWithAuthorization` of `value` from `signer`'s address to
/// `to`, valid for an hour, signed by `signer` for the ledger's USDC.
async fn authorized_call(
    ledger: &SandboxLedger,
    signer: &PrivateKeySigner,
    from: Address,
    to: Address,
    value: u64,
    nonce: B256,
) -> Bytes {
    let info = ledger.token_info(USDC).await.unwrap();
    let valid_before = u64::try_from(chrono::Utc::now().timestamp()).unwrap() + 3_600;
    let message = authorization(from, to, U256::from(value), valid_before, nonce);
    let digest = authorization_digest(&domain(&info, 137, USDC), &message);
    let signature = signer.sign_hash_sync(&digest).unwrap();
    Usdc::transferWithAuthorizationCall {
        from: message.from,
        to: message.to,
        value: message.value,
        validAfter: message.validAfter,
        validBefore: message.validBefore,
        nonce: message.nonce,
        v: 27 + u8::from(signature.v()),
        r: B256::from(signature.r().to_be_bytes::<32>()),
        s: B256::from(signature.s().to_be_bytes::<32>()),
    }
    .abi_encode()
    .into()
}

async fn fund(ledger: &SandboxLedger, address: Address, amount: u64) {
    ledger
        .transfer(USDC, SANDBOX_PAYER, address, amount)
        .await
        .unwrap();
}

async fn usdc(ledger: &SandboxLedger, address: Address) -> u64 {
    let balance = ledger.token_balance(USDC, address).await.unwrap();
    assert_eq!(
        U256::from(ledger.balance_of(USDC, address).await.unwrap()),
        balance,
        "both balance reads agree"
    );
    u64::try_from(balance).unwrap()
}

async fn receipt_of(ledger: &SandboxLedger, raw: &Bytes) -> Receipt {
    ledger
        .receipt(hash_of(raw))
        .await
        .unwrap()
        .expect("the transaction is mined")
}

async fn an_authorized_transfer_sent_by_a_gas_account_moves_the_money(backend: Backend) {
    let Some((ledger, _store, _db)) = ledger_on(backend).await else {
        return;
    };
    let keys = keys();
    let deposit = keys.deposit.address();
    fund(&ledger, deposit, 100).await;
    let nonce = B256::repeat_byte(0xA1);
    let call = authorized_call(&ledger, &keys.deposit, deposit, MERCHANT, 70, nonce).await;
    let raw = signed(&keys.gas, 0, USDC, call);

    let sent = ledger.send_raw(raw.clone()).await.unwrap();

    assert_eq!(sent, Broadcast::Accepted);
    let receipt = receipt_of(&ledger, &raw).await;
    assert!(receipt.success);
    assert_eq!(receipt.block_number, ledger.head().await.unwrap());
    assert_eq!(
        ledger.block_hash(receipt.block_number).await.unwrap(),
        Some(receipt.block_hash)
    );
    assert_eq!(receipt.gas_used, AUTHORIZED_TRANSFER_GAS);
    assert_eq!(receipt.effective_gas_price, BASE_FEE + 30 * GWEI);
    assert_eq!(
        (usdc(&ledger, deposit).await, usdc(&ledger, MERCHANT).await),
        (30, 70)
    );
    assert_eq!(
        usdc(&ledger, keys.gas.address()).await,
        0,
        "gas pays no token"
    );
    assert!(
        ledger
            .authorization_used(USDC, deposit, nonce)
            .await
            .unwrap()
    );
    assert_eq!(ledger.nonce(keys.gas.address(), false).await.unwrap(), 1);
    assert_eq!(ledger.nonce(keys.gas.address(), true).await.unwrap(), 1);
    assert_eq!(
        ledger.nonce(deposit, false).await.unwrap(),
        0,
        "the deposit sent nothing"
    );
    let logs = ledger
        .transfers(USDC, receipt.block_number, receipt.block_number)
        .await
        .unwrap();
    assert_eq!(logs.len(), 1, "one Transfer log, as the token emits");
    assert_eq!(
        (logs[0].tx_hash, logs[0].from, logs[0].to, logs[0].amount),
        (hash_of(&raw), deposit, MERCHANT, U256::from(70))
    );
}

async fn an_authorization_used_again_is_mined_reverted_and_moves_nothing(backend: Backend) {
    let Some((ledger, _store, _db)) = ledger_on(backend).await else {
        return;
    };
    let keys = keys();
    let deposit = keys.deposit.address();
    fund(&ledger, deposit, 100).await;
    let nonce = B256::repeat_byte(0xA2);
    let call = authorized_call(&ledger, &keys.deposit, deposit, MERCHANT, 40, nonce).await;
    let first = signed(&keys.gas, 0, USDC, call.clone());
    let again = signed(&keys.gas, 1, USDC, call);

    let sent = (
        ledger.send_raw(first.clone()).await.unwrap(),
        ledger.send_raw(again.clone()).await.unwrap(),
    );

    assert_eq!(sent, (Broadcast::Accepted, Broadcast::Accepted));
    assert!(receipt_of(&ledger, &first).await.success);
    let reverted = receipt_of(&ledger, &again).await;
    assert!(!reverted.success, "the authorization is used");
    assert_eq!(reverted.gas_used, AUTHORIZED_TRANSFER_GAS);
    assert_eq!(
        ledger.nonce(keys.gas.address(), false).await.unwrap(),
        2,
        "a revert uses its nonce"
    );
    assert_eq!(
        (usdc(&ledger, deposit).await, usdc(&ledger, MERCHANT).await),
        (60, 40)
    );
    let logs = ledger.transfers(USDC, reverted.block_number, reverted.block_number);
    assert!(logs.await.unwrap().is_empty(), "a revert emits no log");
}

async fn an_authorization_signed_by_another_key_reverts(backend: Backend) {
    let Some((ledger, _store, _db)) = ledger_on(backend).await else {
        return;
    };
    let keys = keys();
    let deposit = keys.deposit.address();
    fund(&ledger, deposit, 100).await;
    let nonce = B256::repeat_byte(0xA3);
    let forged = authorized_call(&ledger, &keys.stranger, deposit, MERCHANT, 100, nonce).await;
    let raw = signed(&keys.gas, 0, USDC, forged);

    let sent = ledger.send_raw(raw.clone()).await.unwrap();

    assert_eq!(sent, Broadcast::Accepted, "mined, as a node would");
    assert!(!receipt_of(&ledger, &raw).await.success);
    assert_eq!(
        (usdc(&ledger, deposit).await, usdc(&ledger, MERCHANT).await),
        (100, 0)
    );
    assert!(
        !ledger
            .authorization_used(USDC, deposit, nonce)
            .await
            .unwrap(),
        "a reverted call consumes no authorization"
    );
    assert_eq!(ledger.nonce(keys.gas.address(), false).await.unwrap(), 1);
}

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

    assert!(matches!(reused, Broadcast::NonceTooLow(_)), "{reused:?}");
    assert!(
        matches!(&skipped, Broadcast::Rejected(why) if why.contains("nonce gap")),
        "{skipped:?}"
    );
    assert_eq!(ledger.head().await.unwrap(), head, "neither was mined");
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

async fn a_reorg_drops_the_transaction_and_frees_its_nonce_and_authorization(backend: Backend) {
    let Some((ledger, _store, _db)) = ledger_on(backend).await else {
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
}

async fn dropping_the_block_of_a_transaction_frees_its_nonce_and_authorization(backend: Backend) {
    let Some((ledger, _store, _db)) = ledger_on(backend).await else {
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
}

async fn a_ledger_without_eip3009_reverts_authorized_transfers(backend: Backend) {
    let Some((ledger, _store, _db)) = ledger_on(backend).await else {
        return;
    };
    let keys = keys();
    let deposit = keys.deposit.address();
    fund(&ledger, deposit, 100).await;
    let nonce = B256::repeat_byte(0xA6);
    let call = authorized_call(&ledger, &keys.deposit, deposit, MERCHANT, 100, nonce).await;
    let ledger = ledger.without_eip3009();
    let raw = signed(&keys.gas, 0, USDC, call);

    let sent = ledger.send_raw(raw.clone()).await.unwrap();

    assert!(!ledger.token_info(USDC).await.unwrap().eip3009);
    assert_eq!(sent, Broadcast::Accepted);
    assert!(!receipt_of(&ledger, &raw).await.success);
    assert_eq!(
        (usdc(&ledger, deposit).await, usdc(&ledger, MERCHANT).await),
        (100, 0)
    );
    let swept = signed(&keys.deposit, 0, USDC, transfer_call(MERCHANT, 100));
    assert_eq!(
        ledger.send_raw(swept.clone()).await.unwrap(),
        Broadcast::Accepted
    );
    assert!(
        receipt_of(&ledger, &swept).await.success,
        "plain transfers still work"
    );
    assert_eq!(
        (usdc(&ledger, deposit).await, usdc(&ledger, MERCHANT).await),
        (0, 100)
    );
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

async fn the_ledger_quotes_fixed_fees_and_ample_gas_money(backend: Backend) {
    let Some((ledger, _store, _db)) = ledger_on(backend).await else {
        return;
    };
    let anyone = keys().stranger.address();

    let fees = ledger.fees().await.unwrap();
    let coin = ledger.native_balance(anyone).await.unwrap();
    let info = ledger.token_info(USDC).await.unwrap();

    assert_eq!(fees.base_fee, BASE_FEE);
    assert!(fees.priority_fee > 0);
    assert!(
        coin >= U256::from(10u128.pow(18)),
        "at least one POL: gas is free"
    );
    assert_eq!(
        (info.name.as_str(), info.version.as_str(), info.eip3009),
        ("USD Coin", "2", true)
    );
    assert_eq!(ledger.receipt(B256::repeat_byte(9)).await.unwrap(), None);
}
