//! The sandbox ledger as a node payouts send to: it mines real signed
//! EIP-1559 transactions as Polygon plus USDC would. Here: EIP-3009
//! transfers move money once per authorization and only when signed by
//! `from` in their window; fees and gas money. Nonces and refusals are in
//! `ledger_sender_nonces`, reorgs and outages in `ledger_sender_reorgs`;
//! the signing helpers they share are here. Balances add up in every test.

use std::sync::Arc;
use std::time::Duration;

use alloy::consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy::eips::eip2718::Encodable2718;
use alloy::network::TxSignerSync;
use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, address, keccak256};
use kassa::chain::ledger::{SANDBOX_PAYER, SandboxLedger};
use kassa::chain::ledger_exec::{AUTHORIZED_TRANSFER_GAS, BASE_FEE};
use kassa::chain::sender::{Broadcast, ChainSender, Receipt};
use kassa::chain::source::ChainSource;
use kassa::chain::token::{Usdc, authorization, authorization_digest, domain};
use kassa::clock::{ManualClock, SharedClock, SystemClock};
use kassa::store::Store;

use crate::helpers::{Backend, TestDb, open_store};
use crate::on_both_backends;

on_both_backends!(
    an_authorized_transfer_sent_by_a_gas_account_moves_the_money,
    an_authorization_used_again_is_mined_reverted_and_moves_nothing,
    an_authorization_signed_by_another_key_reverts,
    an_authorization_sent_after_it_expired_reverts,
    a_ledger_without_eip3009_reverts_authorized_transfers,
    the_ledger_quotes_fixed_fees_and_ample_gas_money,
);

pub(crate) const USDC: Address = address!("0x3c499c542cef5e3811e1192ce70d8cc03d5c3359");
pub(crate) const MERCHANT: Address = address!("0x2222222222222222222222222222222222222222");
pub(crate) const GWEI: u128 = 1_000_000_000;

/// A deposit address's key (it signs authorizations) and a gas account's
/// (it sends them), as a payout has.
pub(crate) struct Keys {
    pub(crate) deposit: PrivateKeySigner,
    pub(crate) gas: PrivateKeySigner,
    pub(crate) stranger: PrivateKeySigner,
}

pub(crate) fn keys() -> Keys {
    let key = |byte| PrivateKeySigner::from_bytes(&B256::repeat_byte(byte)).unwrap();
    Keys {
        deposit: key(0x11),
        gas: key(0x22),
        stranger: key(0x33),
    }
}

pub(crate) async fn ledger_on(backend: Backend) -> Option<(SandboxLedger, Store, TestDb)> {
    ledger_with_clock(backend, Arc::new(SystemClock)).await
}

/// A fresh ledger (finality depth 0) whose blocks and EIP-3009 windows
/// read `clock`.
pub(crate) async fn ledger_with_clock(
    backend: Backend,
    clock: SharedClock,
) -> Option<(SandboxLedger, Store, TestDb)> {
    let db = TestDb::new(backend).await?;
    let store = open_store(&db).await;
    let ledger = SandboxLedger::new(store.clone(), 0, clock);
    Some((ledger, store, db))
}

/// A signed EIP-1559 transaction calling `to` with `input`, as raw bytes.
pub(crate) fn signed(key: &PrivateKeySigner, nonce: u64, to: Address, input: Bytes) -> Bytes {
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

pub(crate) fn sign(key: &PrivateKeySigner, mut tx: TxEip1559) -> Bytes {
    let signature = key.sign_transaction_sync(&mut tx).unwrap();
    TxEnvelope::from(tx.into_signed(signature))
        .encoded_2718()
        .into()
}

/// An EIP-2718 transaction's hash: the keccak of its bytes.
pub(crate) fn hash_of(raw: &Bytes) -> B256 {
    keccak256(raw)
}

pub(crate) fn transfer_call(to: Address, value: u64) -> Bytes {
    Usdc::transferCall {
        to,
        value: U256::from(value),
    }
    .abi_encode()
    .into()
}

/// `transferWithAuthorization` of `value` from `signer`'s address to
/// `to`, valid for an hour, signed by `signer` for the ledger's USDC.
pub(crate) async fn authorized_call(
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

pub(crate) async fn fund(ledger: &SandboxLedger, address: Address, amount: u64) {
    ledger
        .transfer(USDC, SANDBOX_PAYER, address, amount)
        .await
        .unwrap();
}

pub(crate) async fn usdc(ledger: &SandboxLedger, address: Address) -> u64 {
    let balance = ledger.token_balance(USDC, address).await.unwrap();
    assert_eq!(
        U256::from(ledger.balance_of(USDC, address).await.unwrap()),
        balance,
        "both balance reads agree"
    );
    u64::try_from(balance).unwrap()
}

pub(crate) async fn receipt_of(ledger: &SandboxLedger, raw: &Bytes) -> Receipt {
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

async fn an_authorization_sent_after_it_expired_reverts(backend: Backend) {
    let clock = ManualClock::new();
    let Some((ledger, _store, _db)) = ledger_with_clock(backend, clock.clone()).await else {
        return;
    };
    let keys = keys();
    let deposit = keys.deposit.address();
    fund(&ledger, deposit, 100).await;
    let nonce = B256::repeat_byte(0xA7);
    let call = authorized_call(&ledger, &keys.deposit, deposit, MERCHANT, 100, nonce).await;
    let raw = signed(&keys.gas, 0, USDC, call);
    clock.advance(Duration::from_secs(2 * 3_600));

    let sent = ledger.send_raw(raw.clone()).await.unwrap();

    assert_eq!(sent, Broadcast::Accepted);
    assert!(
        !receipt_of(&ledger, &raw).await.success,
        "valid for an hour only"
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
