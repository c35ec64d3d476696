//! `RpcChain` against Anvil: the reads the chain watcher makes, a reorg,
//! and the node going away (through the proxy) and coming back.

use std::time::{Duration, Instant};

use alloy::primitives::{Address, U256};
use kassa::chain::rpc::RpcChain;
use kassa::chain::source::{ChainError, ChainSource};

use crate::anvil::{Anvil, block_of};
use crate::proxy::Proxy;

const TIMEOUT: Duration = Duration::from_secs(2);

fn chain(url: &str) -> RpcChain {
    RpcChain::new(url, TIMEOUT).unwrap()
}

fn addr(n: u8) -> Address {
    Address::repeat_byte(n)
}

#[tokio::test]
async fn rpc_chain_reports_the_chain_id_137() {
    let Some(anvil) = Anvil::start().await else {
        return;
    };

    let id = chain(&anvil.rpc_url()).chain_id().await.unwrap();

    assert_eq!(id, 137);
}

#[tokio::test]
async fn head_moves_by_three_after_three_blocks_are_mined() {
    let Some(anvil) = Anvil::start().await else {
        return;
    };
    let chain = chain(&anvil.rpc_url());
    let before = chain.head().await.unwrap();

    anvil.mine(3).await;

    assert_eq!(chain.head().await.unwrap(), before + 3);
}

#[tokio::test]
async fn finalized_block_trails_the_head_by_two() {
    let Some(anvil) = Anvil::start().await else {
        return;
    };
    let chain = chain(&anvil.rpc_url());

    anvil.mine(10).await;
    let head = chain.head().await.unwrap();
    let finalized = chain.finalized().await.unwrap();

    assert_eq!(head, 10);
    assert_eq!(finalized, Some(head - 2));
}

#[tokio::test]
async fn transfers_returns_a_mint_and_a_transfer_with_parties_amounts_and_positions() {
    let Some(anvil) = Anvil::start().await else {
        return;
    };
    let chain = chain(&anvil.rpc_url());
    let token = anvil.deploy_token().await;
    let payer = Anvil::dev_account(1);
    anvil.mine(2).await;

    let minted = anvil.mint(payer.address(), 5_000_000).await;
    let paid = anvil.transfer(&payer, addr(0xAA), 1_250_000).await;
    anvil.mine(2).await;
    let (mint_block, mint_hash) = block_of(&minted);
    let (pay_block, pay_hash) = block_of(&paid);
    let logs = chain.transfers(token, mint_block, pay_block).await.unwrap();

    assert_eq!(
        pay_block,
        mint_block + 1,
        "automine: one block per transaction"
    );
    assert_eq!(logs.len(), 2, "{logs:?}");
    let (mint, pay) = (&logs[0], &logs[1]);
    assert_eq!(
        (mint.from, mint.to, mint.amount),
        (Address::ZERO, payer.address(), U256::from(5_000_000))
    );
    assert_eq!(
        (mint.block_number, mint.block_hash, mint.tx_hash),
        (mint_block, mint_hash, minted.transaction_hash)
    );
    assert_eq!(
        (pay.from, pay.to, pay.amount),
        (payer.address(), addr(0xAA), U256::from(1_250_000))
    );
    assert_eq!(
        (pay.block_number, pay.block_hash, pay.tx_hash, pay.log_index),
        (pay_block, pay_hash, paid.transaction_hash, 0)
    );
    assert_eq!(chain.block_hash(pay_block).await.unwrap(), Some(pay_hash));
}

#[tokio::test]
async fn transfers_returns_nothing_for_blocks_outside_the_range_or_another_token() {
    let Some(anvil) = Anvil::start().await else {
        return;
    };
    let chain = chain(&anvil.rpc_url());
    let other = anvil.deploy_token().await;
    anvil.mint(addr(0xBB), 7).await;
    let token = anvil.deploy_token().await;
    let (block, _) = block_of(&anvil.mint(addr(0xAA), 1_000_000).await);
    anvil.mine(3).await;

    let before = chain.transfers(token, 0, block - 1).await.unwrap();
    let after = chain.transfers(token, block + 1, block + 3).await.unwrap();
    let at = chain.transfers(token, block, block).await.unwrap();
    let everything_of_other = chain.transfers(other, 0, block + 3).await.unwrap();

    assert_eq!((before.len(), after.len(), at.len()), (0, 0, 1));
    assert_eq!(at[0].to, addr(0xAA));
    assert_eq!(everything_of_other.len(), 1);
    assert_eq!(everything_of_other[0].to, addr(0xBB));
}

#[tokio::test]
async fn a_batch_of_500_transfers_lands_in_one_block_as_500_logs_in_order() {
    let Some(anvil) = Anvil::start().await else {
        return;
    };
    let chain = chain(&anvil.rpc_url());
    let token = anvil.deploy_token().await;
    let tos: Vec<Address> = (0..500u64)
        .map(|i| Address::left_padding_from(&(1000 + i).to_be_bytes()))
        .collect();
    let amounts: Vec<u64> = (0..500).map(|i| 1_000 + i).collect();

    let receipt = anvil.batch_transfer(&tos, &amounts).await;
    let (block, hash) = block_of(&receipt);
    let logs = chain.transfers(token, block, block).await.unwrap();

    assert_eq!(logs.len(), 500);
    for (i, log) in logs.iter().enumerate() {
        assert_eq!(log.to, tos[i]);
        assert_eq!(log.amount, U256::from(amounts[i]));
        assert_eq!(log.log_index, i as u64);
        assert_eq!(log.block_hash, hash);
    }
}

#[tokio::test]
async fn block_hash_changes_after_a_reorg_and_is_none_above_the_head() {
    let Some(anvil) = Anvil::start().await else {
        return;
    };
    let chain = chain(&anvil.rpc_url());
    anvil.mine(5).await;
    let head = chain.head().await.unwrap();
    let kept = chain.block_hash(head - 3).await.unwrap();
    let replaced = chain.block_hash(head - 1).await.unwrap();

    anvil.reorg(2).await;

    assert_eq!(chain.head().await.unwrap(), head);
    assert_eq!(chain.block_hash(head - 3).await.unwrap(), kept);
    let now = chain.block_hash(head - 1).await.unwrap();
    assert!(now.is_some());
    assert_ne!(now, replaced);
    assert_eq!(chain.block_hash(head + 1).await.unwrap(), None);
}

#[tokio::test]
async fn a_reorg_removes_a_transfer_from_the_logs() {
    let Some(anvil) = Anvil::start().await else {
        return;
    };
    let chain = chain(&anvil.rpc_url());
    let token = anvil.deploy_token().await;
    let (block, hash) = block_of(&anvil.mint(addr(0xAA), 42).await);
    anvil.mine(1).await;

    anvil.reorg(2).await;
    let logs = chain.transfers(token, block, block + 1).await.unwrap();

    assert!(logs.is_empty(), "{logs:?}");
    assert_ne!(chain.block_hash(block).await.unwrap(), Some(hash));
}

#[tokio::test]
async fn a_cut_node_is_unavailable_at_once_and_readable_again_after_restore() {
    let Some(anvil) = Anvil::start().await else {
        return;
    };
    let proxy = Proxy::start(anvil.port()).await;
    let chain = chain(&proxy.url());
    assert_eq!(chain.chain_id().await.unwrap(), 137);

    proxy.cut();
    let started = Instant::now();
    let cut = chain.head().await;
    let took = started.elapsed();
    proxy.restore();
    let restored = chain.head().await;

    assert!(matches!(cut, Err(ChainError::Unavailable(_))), "{cut:?}");
    assert!(
        took < TIMEOUT,
        "a refused connection should fail at once, took {took:?}"
    );
    assert!(restored.is_ok(), "{restored:?}");
}

#[tokio::test]
async fn a_silent_node_is_unavailable_after_the_timeout_not_later() {
    let Some(anvil) = Anvil::start().await else {
        return;
    };
    let proxy = Proxy::start(anvil.port()).await;
    let chain = chain(&proxy.url());
    let token = anvil.deploy_token().await;

    proxy.stall();
    let started = Instant::now();
    let stalled = chain.transfers(token, 0, 10).await;
    let took = started.elapsed();
    proxy.restore();
    let restored = chain.transfers(token, 0, 10).await;

    assert!(
        matches!(stalled, Err(ChainError::Unavailable(_))),
        "{stalled:?}"
    );
    assert!(took >= TIMEOUT, "gave up before the timeout: {took:?}");
    assert!(took < TIMEOUT * 2, "hung past the timeout: {took:?}");
    assert!(restored.is_ok(), "{restored:?}");
}

#[tokio::test]
async fn reverting_to_a_snapshot_takes_the_head_and_transfers_back() {
    let Some(anvil) = Anvil::start().await else {
        return;
    };
    let chain = chain(&anvil.rpc_url());
    let token = anvil.deploy_token().await;
    let head = chain.head().await.unwrap();
    let snapshot = anvil.snapshot().await;
    anvil.mint(addr(0xAA), 9).await;
    anvil.mine(4).await;

    anvil.revert(snapshot).await;

    assert_eq!(chain.head().await.unwrap(), head);
    let logs = chain.transfers(token, 0, head + 5).await.unwrap();
    assert!(logs.is_empty(), "{logs:?}");
}
