//! The baseline: N addresses of keys made here, funded with the token (and
//! with POL on the top-up path), each paying the merchant's wallet by the
//! path's kind of transfer (an EIP-3009 authorization a gas account of our
//! own submits, or a plain `transfer` the address signs), every
//! transaction signed before the clock starts; then one loop hands them to
//! Anvil with `eth_sendRawTransaction` and another reads every receipt. No
//! database, no planning: the floor of what any gateway could do here.

use std::time::{Duration, Instant};

use alloy::eips::BlockNumberOrTag;
use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use kassa::chain::signer::{self, TxPlan};
use kassa::chain::token::{self, TokenInfo};
use kassa::domain::payout::offered_fees;

use super::anvil::{Anvil, TestUsdc};
use super::{EXPECTED_UNITS, Path};

/// Kassa's gas limit for one token transfer (startup/chain.rs).
const TRANSFER_GAS: u64 = 150_000;
/// Kassa's default tip floor (30 gwei): the same fee as its sweeps offer.
const TIP_WEI: u128 = 30_000_000_000;
/// Where the transfers go: the benchmark merchant's payout wallet.
const MERCHANT_WALLET: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

pub(crate) struct BaselineRun {
    pub(crate) send: Duration,
    pub(crate) receipts: Duration,
    /// Gas the N transfers used.
    pub(crate) gas: u64,
}

pub(crate) async fn run(anvil: &Anvil, path: Path, n: usize) -> BaselineRun {
    let token = anvil.token();
    let keys: Vec<PrivateKeySigner> = (0..n).map(|_| PrivateKeySigner::random()).collect();
    let addresses: Vec<Address> = keys.iter().map(PrivateKeySigner::address).collect();
    super::pay(anvil, path, &addresses).await;
    let block = anvil
        .node()
        .get_block_by_number(BlockNumberOrTag::Latest)
        .await
        .unwrap()
        .unwrap();
    let base_fee = u128::from(block.header.base_fee_per_gas.unwrap_or(0));
    let (max_fee, tip) = offered_fees(base_fee, 0, TIP_WEI);
    let fee = |nonce, to, data| TxPlan {
        chain_id: 137,
        nonce,
        to,
        value: U256::ZERO,
        data,
        gas_limit: TRANSFER_GAS,
        max_fee_wei: max_fee,
        priority_fee_wei: tip,
    };
    let merchant: Address = MERCHANT_WALLET.parse().unwrap();
    let signed: Vec<signer::SignedTx> = match path {
        Path::Eip3009 => {
            let gas_key = PrivateKeySigner::random();
            anvil
                .set_native_balance(gas_key.address(), U256::from(10u128.pow(24)))
                .await;
            let usdc = TestUsdc::new(token, anvil.node().clone());
            let info = TokenInfo {
                name: usdc.name().call().await.unwrap(),
                version: usdc.version().call().await.unwrap(),
                eip3009: true,
            };
            let domain = token::domain(&info, 137, token);
            keys.iter()
                .enumerate()
                .map(|(i, key)| {
                    let message = token::authorization(
                        key.address(),
                        merchant,
                        U256::from(EXPECTED_UNITS),
                        u64::MAX / 2,
                        B256::from(rand::random::<[u8; 32]>()),
                    );
                    let data = signer::authorized_transfer(key, &domain, &message).unwrap();
                    signer::sign(&gas_key, &fee(i as u64, token, data)).unwrap()
                })
                .collect()
        }
        Path::TopUp => {
            for address in &addresses {
                anvil
                    .set_native_balance(*address, U256::from(10u128.pow(18)))
                    .await;
            }
            keys.iter()
                .map(|key| {
                    let data: Bytes = signer::plain_transfer(merchant, U256::from(EXPECTED_UNITS));
                    signer::sign(key, &fee(0, token, data)).unwrap()
                })
                .collect()
        }
    };

    let node = anvil.node();
    let started = Instant::now();
    for tx in &signed {
        let _pending = node.send_raw_transaction(&tx.raw).await.unwrap();
    }
    let send = started.elapsed();
    let started = Instant::now();
    let mut gas = 0;
    for tx in &signed {
        let receipt = receipt_of(node, tx.hash).await;
        assert!(receipt.status(), "baseline transfer {} succeeded", tx.hash);
        gas += receipt.gas_used;
    }
    let receipts = started.elapsed();
    BaselineRun {
        send,
        receipts,
        gas,
    }
}

/// The transaction's receipt, asked for again until Anvil has mined it
/// (automine answers the send before the block is written).
async fn receipt_of(
    node: &alloy::providers::RootProvider,
    hash: B256,
) -> alloy::rpc::types::TransactionReceipt {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(receipt) = node.get_transaction_receipt(hash).await.unwrap() {
            return receipt;
        }
        assert!(
            Instant::now() < deadline,
            "baseline transfer {hash} has no receipt after 20 s"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}
