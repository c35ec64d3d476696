//! The sandbox ledger, a chain kept in the database: transfers come back in
//! their blocks, finality trails the head, a reorg drops what the replaced
//! blocks held, a restart keeps everything, and nodes mining at once on one
//! database still build one gap-free chain.

use std::sync::Arc;

use alloy_primitives::{Address, B256, U256, address};
use kassa::chain::ledger::{LedgerError, SANDBOX_PAYER, SandboxLedger};
use kassa::chain::source::{ChainError, ChainSource};
use kassa::clock::SystemClock;
use kassa::store::Store;

use crate::helpers::{Backend, TestDb, open_store};
use crate::on_both_backends;

on_both_backends!(
    a_new_ledger_starts_at_its_genesis_block,
    a_transfer_is_read_back_with_the_hash_of_its_block,
    a_range_without_the_transfer_returns_nothing,
    finalized_trails_the_head_by_the_finality_depth,
    a_one_block_reorg_changes_the_top_hash_and_drops_its_transfer,
    a_sender_cannot_send_more_than_it_holds,
    a_restarted_ledger_keeps_its_blocks_transfers_and_balances,
    two_nodes_mining_at_once_build_one_gap_free_chain,
    a_ledger_whose_database_is_gone_reports_it_unavailable,
);

const USDC: Address = address!("0x3c499c542cef5e3811e1192ce70d8cc03d5c3359");
const OTHER_TOKEN: Address = address!("0xc2132d05d31c914a87c6611c10748aeb04b58e8f");
const DEPOSIT: Address = address!("0x1111111111111111111111111111111111111111");
const MERCHANT: Address = address!("0x2222222222222222222222222222222222222222");

fn ledger_over(store: &Store, finality_depth: u64) -> SandboxLedger {
    SandboxLedger::new(store.clone(), finality_depth, Arc::new(SystemClock))
}

async fn ledger_on(
    backend: Backend,
    finality_depth: u64,
) -> Option<(SandboxLedger, Store, TestDb)> {
    let db = TestDb::new(backend).await?;
    let store = open_store(&db).await;
    Some((ledger_over(&store, finality_depth), store, db))
}

/// Every block from 1 to the head names the block below it as its parent.
pub(crate) async fn assert_chain_is_linked(store: &Store) -> u64 {
    let head = store.ledger_head().await.unwrap();
    let mut below = store.ledger_block(0).await.unwrap().unwrap();
    for number in 1..=head.number {
        let block = store
            .ledger_block(number)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("block {number} is missing below head {}", head.number));
        assert_eq!(
            block.parent_hash, below.hash,
            "block {number}'s parent is block {}",
            below.number
        );
        below = block;
    }
    assert_eq!(below, head);
    head.number
}

async fn a_new_ledger_starts_at_its_genesis_block(backend: Backend) {
    let Some((ledger, store, _db)) = ledger_on(backend, 3).await else {
        return;
    };

    let genesis = store.ledger_block(0).await.unwrap().unwrap();

    assert_eq!(ledger.chain_id().await.unwrap(), 137);
    assert_eq!(ledger.head().await.unwrap(), 0);
    assert_eq!(ledger.finalized().await.unwrap(), Some(0));
    assert_eq!(ledger.block_hash(0).await.unwrap(), Some(genesis.hash));
    assert_ne!(genesis.hash, B256::ZERO);
    assert_eq!(ledger.block_hash(1).await.unwrap(), None);
    assert_eq!(ledger.block_hash(u64::MAX).await.unwrap(), None);
}

async fn a_transfer_is_read_back_with_the_hash_of_its_block(backend: Backend) {
    let Some((ledger, _store, _db)) = ledger_on(backend, 0).await else {
        return;
    };

    let log = ledger
        .transfer(USDC, SANDBOX_PAYER, DEPOSIT, 79_000_000)
        .await
        .unwrap();

    assert_eq!(log.block_number, 1, "one transfer, one new block");
    assert_eq!(log.log_index, 0);
    assert_eq!(
        (log.from, log.to, log.amount),
        (SANDBOX_PAYER, DEPOSIT, U256::from(79_000_000u64))
    );
    assert_eq!(ledger.head().await.unwrap(), 1);
    assert_eq!(ledger.block_hash(1).await.unwrap(), Some(log.block_hash));
    assert_eq!(
        ledger.transfers(USDC, 0, 1).await.unwrap(),
        vec![log.clone()]
    );
    assert_eq!(ledger.transfers(USDC, 1, 1).await.unwrap(), vec![log]);
    assert!(
        ledger
            .transfers(OTHER_TOKEN, 0, 1)
            .await
            .unwrap()
            .is_empty(),
        "another token's logs do not include it"
    );
    assert_eq!(ledger.balance_of(USDC, DEPOSIT).await.unwrap(), 79_000_000);
    assert_eq!(
        ledger.balance_of(USDC, SANDBOX_PAYER).await.unwrap(),
        0,
        "the faucet never reads negative"
    );
}

async fn a_range_without_the_transfer_returns_nothing(backend: Backend) {
    let Some((ledger, _store, _db)) = ledger_on(backend, 0).await else {
        return;
    };
    ledger.mine(2).await.unwrap();
    let log = ledger
        .transfer(USDC, SANDBOX_PAYER, DEPOSIT, 5)
        .await
        .unwrap();
    ledger.mine(2).await.unwrap();

    assert_eq!(log.block_number, 3);
    assert!(ledger.transfers(USDC, 0, 2).await.unwrap().is_empty());
    assert!(ledger.transfers(USDC, 4, 5).await.unwrap().is_empty());
    assert!(ledger.transfers(USDC, 6, 1_000).await.unwrap().is_empty());
    assert!(
        ledger.transfers(USDC, 4, 2).await.unwrap().is_empty(),
        "an empty range"
    );
    assert!(ledger.transfers(USDC, 3, 1_000).await.unwrap().len() == 1);
    assert!(
        matches!(
            ledger.transfers(USDC, 3, u64::MAX).await,
            Err(kassa::chain::source::ChainError::RangeTooLarge)
        ),
        "a range wider than the ledger answers is refused, as providers do"
    );
}

async fn finalized_trails_the_head_by_the_finality_depth(backend: Backend) {
    let Some((ledger, _store, _db)) = ledger_on(backend, 5).await else {
        return;
    };

    let early = ledger.mine(3).await.unwrap();
    let early_finalized = ledger.finalized().await.unwrap();
    let later = ledger.mine(9).await.unwrap();
    let later_finalized = ledger.finalized().await.unwrap();

    assert_eq!(early, 3);
    assert_eq!(early_finalized, Some(0), "clamped at genesis");
    assert_eq!(later, 12);
    assert_eq!(later_finalized, Some(7));
}

async fn a_one_block_reorg_changes_the_top_hash_and_drops_its_transfer(backend: Backend) {
    let Some((ledger, store, _db)) = ledger_on(backend, 0).await else {
        return;
    };
    let paid = ledger
        .transfer(USDC, SANDBOX_PAYER, DEPOSIT, 100)
        .await
        .unwrap();
    let swept = ledger.transfer(USDC, DEPOSIT, MERCHANT, 30).await.unwrap();
    let balances_before = (
        ledger.balance_of(USDC, DEPOSIT).await.unwrap(),
        ledger.balance_of(USDC, MERCHANT).await.unwrap(),
    );

    let dropped = ledger.reorg(1).await.unwrap();

    assert_eq!(balances_before, (70, 30));
    assert_eq!(dropped, vec![swept.clone()]);
    assert_eq!(
        ledger.head().await.unwrap(),
        swept.block_number,
        "same height"
    );
    let new_top = ledger
        .block_hash(swept.block_number)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(new_top, swept.block_hash, "the top block was replaced");
    assert_eq!(
        ledger.block_hash(paid.block_number).await.unwrap(),
        Some(paid.block_hash),
        "the block below stays"
    );
    assert_eq!(
        ledger.transfers(USDC, 0, 10).await.unwrap(),
        vec![paid],
        "the dropped transfer is not re-included"
    );
    assert_eq!(ledger.balance_of(USDC, DEPOSIT).await.unwrap(), 100);
    assert_eq!(ledger.balance_of(USDC, MERCHANT).await.unwrap(), 0);
    assert_chain_is_linked(&store).await;
}

async fn a_sender_cannot_send_more_than_it_holds(backend: Backend) {
    let Some((ledger, _store, _db)) = ledger_on(backend, 0).await else {
        return;
    };
    ledger
        .transfer(USDC, SANDBOX_PAYER, DEPOSIT, 10)
        .await
        .unwrap();

    let refused = ledger.transfer(USDC, DEPOSIT, MERCHANT, 11).await;
    let too_deep = ledger.reorg(2).await;
    let too_many = ledger.mine(1_000_000).await;

    assert!(
        matches!(
            refused,
            Err(LedgerError::InsufficientBalance {
                balance: 10,
                amount: 11
            })
        ),
        "{refused:?}"
    );
    assert!(
        matches!(
            too_deep,
            Err(LedgerError::BeyondGenesis { depth: 2, head: 1 })
        ),
        "{too_deep:?}"
    );
    assert!(
        matches!(too_many, Err(LedgerError::TooManyBlocks { .. })),
        "{too_many:?}"
    );
    assert_eq!(ledger.head().await.unwrap(), 1, "nothing was mined");
    assert_eq!(ledger.balance_of(USDC, DEPOSIT).await.unwrap(), 10);
}

async fn a_restarted_ledger_keeps_its_blocks_transfers_and_balances(backend: Backend) {
    let Some((ledger, store, db)) = ledger_on(backend, 2).await else {
        return;
    };
    let log = ledger
        .transfer(USDC, SANDBOX_PAYER, DEPOSIT, 42)
        .await
        .unwrap();
    ledger.mine(3).await.unwrap();
    let head_hash = ledger.block_hash(4).await.unwrap();
    drop(ledger);
    store.close().await;

    let store = open_store(&db).await;
    let restarted = ledger_over(&store, 2);

    assert_eq!(restarted.head().await.unwrap(), 4);
    assert_eq!(restarted.finalized().await.unwrap(), Some(2));
    assert_eq!(restarted.block_hash(4).await.unwrap(), head_hash);
    assert_eq!(restarted.transfers(USDC, 0, 4).await.unwrap(), vec![log]);
    assert_eq!(restarted.balance_of(USDC, DEPOSIT).await.unwrap(), 42);
    assert_eq!(restarted.mine(1).await.unwrap(), 5, "it mines on top");
    assert_chain_is_linked(&store).await;
}

/// One node's share of the concurrent test: `rounds` of one transfer and
/// one empty block, with a one-block reorg every fourth round if `reorgs`.
async fn work_as_a_node(ledger: SandboxLedger, rounds: u64, reorgs: bool) -> (u64, usize) {
    let (mut mined, mut dropped) = (0, 0);
    for round in 0..rounds {
        ledger
            .transfer(USDC, SANDBOX_PAYER, DEPOSIT, 1)
            .await
            .unwrap();
        ledger.mine(1).await.unwrap();
        mined += 2;
        if reorgs && round % 4 == 3 {
            dropped += ledger.reorg(1).await.unwrap().len();
        }
    }
    (mined, dropped)
}

async fn two_nodes_mining_at_once_build_one_gap_free_chain(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let first = open_store(&db).await;
    let second = open_store(&db).await;
    let rounds = 12;

    let ((mined_a, dropped_a), (mined_b, dropped_b)) = tokio::join!(
        work_as_a_node(ledger_over(&first, 0), rounds, false),
        work_as_a_node(ledger_over(&second, 0), rounds, true),
    );

    let head = assert_chain_is_linked(&first).await;
    assert_eq!(head, mined_a + mined_b, "every block has its own number");
    let ledger = ledger_over(&second, 0);
    let transfers = ledger.transfers(USDC, 0, head).await.unwrap();
    let kept = usize::try_from(2 * rounds).unwrap() - dropped_a - dropped_b;
    assert_eq!(transfers.len(), kept);
    for transfer in &transfers {
        assert_eq!(
            ledger.block_hash(transfer.block_number).await.unwrap(),
            Some(transfer.block_hash)
        );
    }
    assert_eq!(
        ledger.balance_of(USDC, DEPOSIT).await.unwrap(),
        u64::try_from(kept).unwrap()
    );
}

async fn a_ledger_whose_database_is_gone_reports_it_unavailable(backend: Backend) {
    let Some((ledger, store, _db)) = ledger_on(backend, 0).await else {
        return;
    };
    store.close().await;

    let head = ledger.head().await;
    let transfers = ledger.transfers(USDC, 0, 10).await;
    let transfer = ledger.transfer(USDC, SANDBOX_PAYER, DEPOSIT, 1).await;
    let mined = ledger.mine(1).await;

    assert!(matches!(head, Err(ChainError::Unavailable(_))), "{head:?}");
    assert!(
        matches!(transfers, Err(ChainError::Unavailable(_))),
        "{transfers:?}"
    );
    assert!(
        matches!(transfer, Err(LedgerError::Unavailable(_))),
        "{transfer:?}"
    );
    assert!(
        matches!(mined, Err(LedgerError::Unavailable(_))),
        "{mined:?}"
    );
}
