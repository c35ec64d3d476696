//! One merchant's sessions as the dashboard reads them: keyset pages of the
//! filtered list (newest first), the paid volume per UTC day, and what the
//! timeline of one session needs beyond its row and its webhooks (its
//! deposits, and when the money journal counted, held or reversed them).
//!
//! Every list query is scoped by `merchant_id` and walks an index of
//! `m20261204_000201_index_session_list`; none counts rows. Must not
//! decide anything: `domain::session_list` says what a page is.

use kassa_entities::{deposit, money_entry, session};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect};

use super::sessions::to_record;
use super::{Store, StoreError};
use crate::domain::deposit::DepositState;
use crate::domain::journal::EntryKind;
use crate::domain::session::SessionStatus;
use crate::domain::session_list::{PageAt, SessionFilter, SessionSummary};

/// A deposit to a session's address, as its timeline shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDeposit {
    pub id: i64,
    pub tx_hash: String,
    pub amount_units: u64,
    pub confirmations: i64,
    pub state: DepositState,
    pub block_number: Option<i64>,
    pub from_address: Option<String>,
    pub observed_at_ms: i64,
}

/// When the money journal recorded something about a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalMark {
    pub kind: EntryKind,
    pub at_ms: i64,
    pub deposit_id: Option<i64>,
}

impl Store {
    /// At most `limit` of the merchant's sessions matching `filter`, from
    /// `at` on: newest first, except `Newer` pages (oldest first).
    pub async fn merchant_session_page(
        &self,
        merchant_id: i64,
        filter: &SessionFilter,
        at: PageAt,
        limit: u64,
    ) -> Result<Vec<SessionSummary>, StoreError> {
        use session::Column as C;
        let mut query = session::Entity::find().filter(C::MerchantId.eq(merchant_id));
        if let Some(status) = filter.status {
            query = query.filter(C::Status.eq(status.as_str()));
        }
        if let Some(from) = filter.created_from_ms {
            query = query.filter(C::CreatedAt.gte(from));
        }
        if let Some(until) = filter.created_until_ms {
            query = query.filter(C::CreatedAt.lt(until));
        }
        if let Some(order_id) = &filter.order_id {
            query = query.filter(C::OrderId.eq(order_id.as_str()));
        }
        if let Some(source) = filter.source {
            query = query.filter(C::Source.eq(source.as_str()));
        }
        // `created_at <= c AND (created_at < c OR id < i)`: a plain range
        // on the index, which both databases plan well.
        let order = match at {
            PageAt::First => Order::Desc,
            PageAt::Older(c) => {
                query = query.filter(C::CreatedAt.lte(c.created_at_ms)).filter(
                    Condition::any()
                        .add(C::CreatedAt.lt(c.created_at_ms))
                        .add(C::Id.lt(c.id)),
                );
                Order::Desc
            }
            PageAt::Newer(c) => {
                query = query.filter(C::CreatedAt.gte(c.created_at_ms)).filter(
                    Condition::any()
                        .add(C::CreatedAt.gt(c.created_at_ms))
                        .add(C::Id.gt(c.id)),
                );
                Order::Asc
            }
        };
        query
            .order_by(C::CreatedAt, order.clone())
            .order_by(C::Id, order)
            .limit(limit)
            .all(self.db())
            .await?
            .into_iter()
            .map(|row| {
                let r = to_record(row)?;
                Ok(SessionSummary {
                    id: r.id,
                    order_id: r.order_id,
                    source: r.source.kind(),
                    amount: r.amount,
                    status: r.status,
                    expected: r.expected,
                    received: r.received,
                    customer_email: r.customer_email.map(|e| e.as_str().to_string()),
                    provider: r.selected_provider,
                    txid_in: r.txid_in,
                    txid_out: r.txid_out,
                    test: r.test,
                    created_at_ms: r.created_at_ms,
                    paid_at_ms: r.paid_at_ms,
                })
            })
            .collect()
    }

    /// The settled USDC of the merchant's paid sessions per UTC day, paid
    /// in `[from_ms, until_ms)`: `(day number since 1970-01-01, base units)`.
    pub async fn paid_volume_by_day(
        &self,
        merchant_id: i64,
        from_ms: i64,
        until_ms: i64,
    ) -> Result<Vec<(i64, u64)>, StoreError> {
        use session::Column as C;
        // Integer division on both databases (BIGINT / BIGINT).
        let day = "paid_at / 86400000";
        let rows: Vec<(i64, i64)> = session::Entity::find()
            .select_only()
            .column_as(Expr::cust(day), "day")
            .column_as(Expr::cust("CAST(SUM(received_usdc) AS BIGINT)"), "units")
            .filter(C::MerchantId.eq(merchant_id))
            .filter(C::Status.eq(SessionStatus::Paid.as_str()))
            .filter(C::PaidAt.gte(from_ms))
            .filter(C::PaidAt.lt(until_ms))
            .group_by(Expr::cust(day))
            .into_tuple()
            .all(self.db())
            .await?;
        Ok(rows
            .into_iter()
            .map(|(d, units)| (d, u64::try_from(units).unwrap_or(0)))
            .collect())
    }

    /// The deposits seen for a session, in the order they were seen.
    pub async fn session_deposits(
        &self,
        session_id: i64,
    ) -> Result<Vec<SessionDeposit>, StoreError> {
        deposit::Entity::find()
            .filter(deposit::Column::SessionId.eq(session_id))
            .order_by_asc(deposit::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(|d| {
                Ok(SessionDeposit {
                    id: d.id,
                    state: d.state.parse().map_err(anyhow::Error::new)?,
                    tx_hash: d.tx_hash,
                    amount_units: u64::try_from(d.amount_usdc).unwrap_or(0),
                    confirmations: d.confirmations,
                    block_number: d.block_number,
                    from_address: d.from_address,
                    observed_at_ms: d.observed_at,
                })
            })
            .collect()
    }

    /// The money journal's entries about a session, oldest first.
    pub async fn session_journal_marks(
        &self,
        session_id: i64,
    ) -> Result<Vec<JournalMark>, StoreError> {
        money_entry::Entity::find()
            .filter(money_entry::Column::SessionId.eq(session_id))
            .order_by_asc(money_entry::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(|e| {
                let kind = EntryKind::parse(&e.kind).ok_or_else(|| {
                    StoreError::Unexpected(anyhow::anyhow!("unknown entry kind `{}`", e.kind))
                })?;
                Ok(JournalMark {
                    kind,
                    at_ms: e.created_at,
                    deposit_id: e.deposit_id,
                })
            })
            .collect()
    }
}
