//! What the chain watcher keeps in the database: its scan position (block
//! number and hash, so a reorg at the checkpoint is noticed after a
//! restart), the deposits still open to a reorg, and every deposit address
//! ever issued.

use kassa_entities::{chain_cursor, deposit, session};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::{Store, StoreError};
use crate::domain::checkout_session::SessionRecord;
use crate::domain::confirmation::Progress;
use crate::domain::deposit::DepositState;
use crate::domain::session::SessionStatus;

/// Deposit addresses read per query when the whole watched set is read
/// ([`AddressPages`]).
const ADDRESS_PAGE: u64 = 10_000;

/// Sessions' ids and deposit addresses, before filters and order: what
/// every read of the watched set selects.
fn addresses_query() -> sea_orm::Select<session::Entity> {
    session::Entity::find()
        .select_only()
        .column(session::Column::Id)
        .column(session::Column::DepositAddress)
}

/// Every deposit address ever issued, with its session, read
/// [`ADDRESS_PAGE`] at a time, so that a million sessions never sit in
/// memory as database rows at once (read whole, they left a server at
/// 460 MB resident after start).
///
/// In HD index order, not by id: indexes are handed out in creation order,
/// which is the order SQLite stores sessions in, so a page reads
/// neighbouring table pages instead of one page per session (by random id,
/// a start on a million sessions read the table a page per row and sat at
/// 307 MB instead of 170–182 MB).
pub struct AddressPages<'s> {
    store: &'s Store,
    /// The HD index to read on from; `None` once past the last.
    after: Option<i64>,
}

impl AddressPages<'_> {
    /// The next page, or `None` past the last.
    pub async fn next(&mut self) -> Result<Option<Vec<(i64, String)>>, StoreError> {
        let Some(after) = self.after else {
            return Ok(None);
        };
        let rows: Vec<(i64, String, i64)> = addresses_query()
            .column(session::Column::HdIndex)
            .filter(session::Column::HdIndex.gt(after))
            .order_by_asc(session::Column::HdIndex)
            .limit(ADDRESS_PAGE)
            .into_tuple()
            .all(self.store.db())
            .await?;
        self.after = rows.last().map(|(_, _, hd_index)| *hd_index);
        if self.after.is_none() {
            return Ok(None);
        }
        Ok(Some(
            rows.into_iter()
                .map(|(id, address, _)| (id, address))
                .collect(),
        ))
    }
}

/// A deposit whose block may still leave the canonical chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedDeposit {
    pub session_id: i64,
    pub tx_hash: String,
    pub log_index: i64,
    pub block_number: u64,
    pub block_hash: String,
    pub from: String,
    pub amount_units: u64,
    /// As last written (the watcher refreshes it while the deposit waits).
    pub confirmations: u64,
    pub state: DepositState,
}

impl Store {
    /// The scan position saved under `name`: last block processed and its hash.
    pub async fn chain_cursor(&self, name: &str) -> Result<Option<(u64, String)>, StoreError> {
        Ok(chain_cursor::Entity::find_by_id(name.to_string())
            .one(self.db())
            .await?
            .map(|c| (u64::try_from(c.block_number).unwrap_or(0), c.block_hash)))
    }

    /// Saves the scan position (after the deposits up to it were delivered).
    pub async fn save_chain_cursor(
        &self,
        name: &str,
        block_number: u64,
        block_hash: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let txn = self.begin_write().await?;
        chain_cursor::Entity::insert(chain_cursor::ActiveModel {
            name: Set(name.to_string()),
            block_number: Set(i64::try_from(block_number).unwrap_or(i64::MAX)),
            block_hash: Set(block_hash.to_string()),
            updated_at: Set(now_ms),
        })
        .on_conflict(
            OnConflict::column(chain_cursor::Column::Name)
                .update_columns([
                    chain_cursor::Column::BlockNumber,
                    chain_cursor::Column::BlockHash,
                    chain_cursor::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&*txn)
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Deposits a reorg could still take away: every one still waiting to
    /// count, and counted or held ones in blocks from `since_block` on.
    pub async fn tracked_deposits(
        &self,
        since_block: u64,
    ) -> Result<Vec<TrackedDeposit>, StoreError> {
        let since = i64::try_from(since_block).unwrap_or(i64::MAX);
        let rows = deposit::Entity::find()
            .filter(
                Condition::any()
                    .add(deposit::Column::State.eq(DepositState::Seen.as_str()))
                    .add(
                        Condition::all()
                            .add(deposit::Column::State.is_in([
                                DepositState::Counted.as_str(),
                                DepositState::Late.as_str(),
                            ]))
                            .add(deposit::Column::BlockNumber.gte(since)),
                    ),
            )
            .filter(deposit::Column::BlockHash.is_not_null())
            .all(self.db())
            .await?;
        rows.into_iter()
            .map(|d| {
                Ok(TrackedDeposit {
                    session_id: d.session_id,
                    state: d.state.parse().map_err(anyhow::Error::new)?,
                    block_number: u64::try_from(d.block_number.unwrap_or(0)).unwrap_or(0),
                    block_hash: d.block_hash.unwrap_or_default(),
                    from: d.from_address.unwrap_or_default(),
                    amount_units: u64::try_from(d.amount_usdc).unwrap_or(0),
                    confirmations: u64::try_from(d.confirmations).unwrap_or(0),
                    tx_hash: d.tx_hash,
                    log_index: d.log_index,
                })
            })
            .collect()
    }

    /// Refreshes the confirmation counts of waiting deposits, as
    /// `(tx_hash, log_index, confirmations)`, in one transaction.
    pub async fn set_deposit_confirmations(
        &self,
        updates: &[(String, i64, u64)],
    ) -> Result<(), StoreError> {
        if updates.is_empty() {
            return Ok(());
        }
        let txn = self.begin_write().await?;
        for (tx_hash, log_index, confirmations) in updates {
            deposit::Entity::update_many()
                .col_expr(
                    deposit::Column::Confirmations,
                    Expr::value(i64::try_from(*confirmations).unwrap_or(i64::MAX)),
                )
                .filter(deposit::Column::TxHash.eq(tx_hash.clone()))
                .filter(deposit::Column::LogIndex.eq(*log_index))
                .filter(deposit::Column::State.eq(DepositState::Seen.as_str()))
                .exec(&*txn)
                .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// "confirming (k of N)" for a pending session: the confirmations of
    /// its deposit furthest along. `None` otherwise, without a query (only a
    /// pending session has a deposit waiting).
    pub async fn confirming(
        &self,
        session: &SessionRecord,
        required: u64,
    ) -> Result<Option<Progress>, StoreError> {
        if session.status != SessionStatus::Pending {
            return Ok(None);
        }
        Ok(deposit::Entity::find()
            .filter(deposit::Column::SessionId.eq(session.id))
            .filter(deposit::Column::State.eq(DepositState::Seen.as_str()))
            .all(self.db())
            .await?
            .iter()
            .map(|d| u64::try_from(d.confirmations).unwrap_or(0))
            .max()
            .map(|k| Progress::new(k, required)))
    }

    /// Whether any session (so any deposit address) was ever issued.
    pub async fn any_session(&self) -> Result<bool, StoreError> {
        Ok(session::Entity::find()
            .select_only()
            .column(session::Column::Id)
            .into_tuple::<i64>()
            .one(self.db())
            .await?
            .is_some())
    }

    /// How many deposit addresses were ever issued (one per session).
    pub async fn deposit_address_count(&self) -> Result<u64, StoreError> {
        Ok(session::Entity::find().count(self.db()).await?)
    }

    /// The whole watched set, read a page at a time ([`AddressPages`]).
    pub fn address_pages(&self) -> AddressPages<'_> {
        AddressPages {
            store: self,
            after: Some(i64::MIN),
        }
    }

    /// Every deposit address ever issued, with its session: late deposits to
    /// old sessions must still be seen.
    pub async fn deposit_addresses(&self) -> Result<Vec<(i64, String)>, StoreError> {
        Ok(addresses_query()
            .into_tuple::<(i64, String)>()
            .all(self.db())
            .await?)
    }
}

impl Store {
    /// Deposit addresses of sessions created at or after `since_ms` (by the
    /// creating node's clock), with their sessions: what other nodes issued
    /// lately, read by the chain leader (`idx_sessions_created`).
    pub async fn deposit_addresses_since(
        &self,
        since_ms: i64,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        Ok(addresses_query()
            .filter(session::Column::CreatedAt.gte(since_ms))
            .into_tuple::<(i64, String)>()
            .all(self.db())
            .await?)
    }
}
