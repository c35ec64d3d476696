//! The sandbox ledger's signed transactions as records: what `chain::ledger`
//! asks to mine (already decoded and checked against the signature), what
//! mining did, and the reads a sender makes (receipt, next nonce, whether an
//! EIP-3009 authorization is used). Writes live in `ledger_tx_writes`.
//!
//! It must not decode transactions or check signatures (the chain layer
//! does); it only applies the checks that need the ledger's state: the hash
//! already mined, the nonce, the sender's balance, the authorization unused.

use std::str::FromStr;

use alloy_primitives::{Address, B256};
use kassa_entities::{ledger_authorization, ledger_block, ledger_transaction};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::ledger_rows::{hex_address, hex_hash, parse_hash, to_u64, unexpected};
use super::{Store, StoreError};

/// A signed transaction to mine in a new block of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLedgerTransaction {
    pub tx_hash: B256,
    /// The address that signed it.
    pub sender: Address,
    pub nonce: u64,
    pub to: Address,
    /// Recorded in the receipt whatever the outcome (sandbox gas is free).
    pub gas_used: u64,
    /// Wei per gas, recorded in the receipt.
    pub effective_gas_price: u128,
    pub call: LedgerCall,
}

/// What a transaction's call does, as far as it can be told without the
/// ledger's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerCall {
    /// Succeeds and moves no token (a plain transfer of the chain's coin).
    Plain,
    /// Moves a token when the state allows it; reverts otherwise.
    Move(TokenMove),
    /// Reverts whatever the state (a bad signature, an unknown call, ...).
    Revert,
}

/// A token movement a call asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenMove {
    pub token: Address,
    pub from: Address,
    pub to: Address,
    /// Token base units.
    pub amount: u64,
    /// The EIP-3009 nonce of `from` the call consumes; the call reverts
    /// when it is used already.
    pub authorization: Option<B256>,
}

/// What mining a transaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MineOutcome {
    /// Mined in a new block (successful or reverted: see the receipt).
    Mined(LedgerReceipt),
    /// A transaction of this hash is on the canonical ledger; nothing was written.
    AlreadyKnown,
    /// The sender used this nonce already; nothing was written.
    NonceTooLow { next: u64 },
    /// The nonce is past the sender's next one and the ledger keeps no
    /// pool; nothing was written.
    NonceGap { next: u64 },
}

/// A mined transaction's receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerReceipt {
    pub tx_hash: B256,
    pub block_number: u64,
    pub block_hash: B256,
    pub success: bool,
    pub gas_used: u64,
    pub effective_gas_price: u128,
}

impl Store {
    /// The receipt of transaction `tx_hash`, `None` unless its block is canonical.
    pub async fn ledger_receipt(&self, tx_hash: B256) -> Result<Option<LedgerReceipt>, StoreError> {
        let Some((row, block)) = ledger_transaction::Entity::find()
            .find_also_related(ledger_block::Entity)
            .filter(ledger_transaction::Column::TxHash.eq(hex_hash(&tx_hash)))
            .one(self.db())
            .await?
        else {
            return Ok(None);
        };
        let block = block.ok_or_else(|| {
            unexpected(format!(
                "ledger transaction {} names block {}, which is missing",
                row.tx_hash, row.block_number
            ))
        })?;
        Ok(Some(LedgerReceipt {
            tx_hash,
            block_number: to_u64(row.block_number, "block number")?,
            block_hash: parse_hash(&block.hash)?,
            success: row.success,
            gas_used: to_u64(row.gas_used, "gas used")?,
            effective_gas_price: u128::from_str(&row.effective_gas_price).map_err(|_| {
                unexpected(format!(
                    "a ledger row holds `{}`, not a gas price",
                    row.effective_gas_price
                ))
            })?,
        }))
    }

    /// The nonce `sender`'s next transaction must carry: the lowest one no
    /// canonical transaction of it uses (its transaction count, unless a
    /// one-block reorg freed a nonce below others).
    pub async fn ledger_next_nonce(&self, sender: Address) -> Result<u64, StoreError> {
        next_nonce_on(self.db(), sender).await
    }

    /// Whether `authorizer`'s EIP-3009 `nonce` on `token` was consumed by a
    /// canonical transaction.
    pub async fn ledger_authorization_used(
        &self,
        token: Address,
        authorizer: Address,
        nonce: B256,
    ) -> Result<bool, StoreError> {
        Ok(authorization_used_on(self.db(), token, authorizer, nonce).await?)
    }
}

pub(super) async fn next_nonce_on(
    conn: &impl ConnectionTrait,
    sender: Address,
) -> Result<u64, StoreError> {
    let sender = hex_address(&sender);
    let (count, highest) = ledger_transaction::Entity::find()
        .select_only()
        .column_as(
            Expr::from(Func::count(Expr::col(ledger_transaction::Column::Id))),
            "count",
        )
        .column_as(
            Expr::from(Func::max(Expr::col(ledger_transaction::Column::Nonce))),
            "highest",
        )
        .filter(ledger_transaction::Column::Sender.eq(sender.clone()))
        .into_tuple::<(i64, Option<i64>)>()
        .one(conn)
        .await?
        .unwrap_or((0, None));
    let count = to_u64(count, "transaction count")?;
    match highest {
        None => Ok(0),
        Some(highest) if to_u64(highest, "nonce")?.checked_add(1) == Some(count) => Ok(count),
        // A hole below the highest nonce (a one-block reorg): find the first.
        Some(_) => {
            let nonces = ledger_transaction::Entity::find()
                .select_only()
                .column(ledger_transaction::Column::Nonce)
                .filter(ledger_transaction::Column::Sender.eq(sender))
                .order_by_asc(ledger_transaction::Column::Nonce)
                .into_tuple::<i64>()
                .all(conn)
                .await?;
            let mut next = 0u64;
            for nonce in nonces {
                if to_u64(nonce, "nonce")? != next {
                    break;
                }
                next += 1;
            }
            Ok(next)
        }
    }
}

/// Whether a canonical transaction of `sender` carries `nonce`.
pub(super) async fn nonce_taken_on(
    conn: &impl ConnectionTrait,
    sender: Address,
    nonce: i64,
) -> Result<bool, DbErr> {
    Ok(ledger_transaction::Entity::find()
        .filter(ledger_transaction::Column::Sender.eq(hex_address(&sender)))
        .filter(ledger_transaction::Column::Nonce.eq(nonce))
        .one(conn)
        .await?
        .is_some())
}

pub(super) async fn authorization_used_on(
    conn: &impl ConnectionTrait,
    token: Address,
    authorizer: Address,
    nonce: B256,
) -> Result<bool, DbErr> {
    Ok(ledger_authorization::Entity::find()
        .filter(ledger_authorization::Column::Token.eq(hex_address(&token)))
        .filter(ledger_authorization::Column::Authorizer.eq(hex_address(&authorizer)))
        .filter(ledger_authorization::Column::Nonce.eq(hex_hash(&nonce)))
        .one(conn)
        .await?
        .is_some())
}
