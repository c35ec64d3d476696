//! Session rows: batched creation (group commit), HD index reservation, and
//! the lookups of the merchant API and the expiry sweep.

use std::ops::Range;

use kassa_entities::{counter, session};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};

use super::{Store, StoreError};
use crate::domain::checkout_session::{NewSession, SessionRecord};
use crate::domain::email::Email;
use crate::domain::money::{Currency, Money, UsdcAmount};
use crate::domain::session::SessionStatus;
use crate::domain::session_source::SessionSource;
use crate::domain::shop_domain::ShopDomain;
use crate::domain::wallet::WalletAddress;

/// A new session with what the creator assigned to it.
#[derive(Debug, Clone)]
pub struct AssignedSession {
    pub id: i64,
    pub hd_index: i64,
    pub deposit_address: WalletAddress,
    pub new: NewSession,
}

const HD_COUNTER: &str = "hd_index";

/// How many sessions the read cache keeps.
const CACHE_CAPACITY: usize = 50_000;
/// Ids per query when warming the cache (SQLite allows 32,766 parameters).
const WARM_CHUNK: usize = 500;

/// A bounded cache of session records by id (see [`Store`]).
pub struct SessionCache {
    entries: quick_cache::sync::Cache<i64, (std::time::Instant, std::sync::Arc<SessionRecord>)>,
    ttl: std::time::Duration,
}

impl SessionCache {
    pub fn new(ttl: std::time::Duration) -> Self {
        Self {
            entries: quick_cache::sync::Cache::new(CACHE_CAPACITY),
            ttl,
        }
    }

    fn get(&self, id: i64) -> Option<SessionRecord> {
        self.fresh(id).map(|r| SessionRecord::clone(&r))
    }

    /// The cached record of `id` if it is younger than the TTL (shared, not copied).
    fn fresh(&self, id: i64) -> Option<std::sync::Arc<SessionRecord>> {
        self.entries
            .get(&id)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, r)| r)
    }

    fn put(&self, record: SessionRecord) {
        if !self.ttl.is_zero() {
            self.entries.insert(
                record.id,
                (std::time::Instant::now(), std::sync::Arc::new(record)),
            );
        }
    }

    pub(crate) fn forget(&self, id: i64) {
        self.entries.remove(&id);
    }
}

impl Store {
    /// Reserves `n` fresh HD indexes; they are never handed out again, used
    /// or not. One `UPDATE … RETURNING` ([`Store::write_statement`]).
    pub async fn reserve_hd_indexes(&self, n: u32) -> Result<Range<i64>, StoreError> {
        let mut update = Query::update();
        update
            .table(counter::Entity)
            .value(
                counter::Column::Value,
                Expr::col(counter::Column::Value).add(i64::from(n)),
            )
            .and_where(Expr::col(counter::Column::Name).eq(HD_COUNTER))
            .returning_col(counter::Column::Value);
        let rows = self.write_statement(self.backend().build(&update)).await?;
        let value: i64 = rows
            .first()
            .ok_or_else(|| {
                StoreError::Unexpected(anyhow::anyhow!("the hd_index counter is missing"))
            })?
            .try_get_by_index(0)?;
        Ok(value - i64::from(n)..value)
    }

    /// Inserts a batch of sessions with one statement
    /// ([`Store::write_statement`]), and so one commit for all.
    pub async fn insert_sessions(&self, batch: &[AssignedSession]) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let insert =
            session::Entity::insert_many(batch.iter().map(to_active)).build(self.backend());
        self.write_statement(insert).await?;
        for s in batch {
            self.sessions.put(s.to_record());
        }
        Ok(())
    }

    /// A session by id, whoever owns it.
    pub async fn session(&self, id: i64) -> Result<Option<SessionRecord>, StoreError> {
        if let Some(record) = self.sessions.get(id) {
            return Ok(Some(record));
        }
        let record = session::Entity::find_by_id(id)
            .one(self.db())
            .await?
            .map(to_record)
            .transpose()?;
        if let Some(r) = &record {
            self.sessions.put(r.clone());
        }
        Ok(record)
    }

    /// Drops this node's cached copy of session `id`, so the next read
    /// comes from the database: for a writer that just lost the version
    /// check to another node, whose copy is as stale as its own.
    pub fn forget_session(&self, id: i64) {
        self.sessions.forget(id);
    }

    /// Reads the sessions of `ids` not already cached in one query and
    /// caches them: a burst of cold session actors (a block range's
    /// deposits) then loads from memory instead of one query each. Only a
    /// warm-up: a session missing here is read again by whoever needs it.
    pub async fn warm_sessions(&self, ids: &[i64]) -> Result<(), StoreError> {
        let cold: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|id| self.sessions.fresh(*id).is_none())
            .collect();
        for chunk in cold.chunks(WARM_CHUNK) {
            let rows = session::Entity::find()
                .filter(session::Column::Id.is_in(chunk.iter().copied()))
                .all(self.db())
                .await?;
            for row in rows {
                self.sessions.put(to_record(row)?);
            }
        }
        Ok(())
    }

    /// A session by id, only if `merchant_id` owns it.
    pub async fn merchant_session(
        &self,
        merchant_id: i64,
        id: i64,
    ) -> Result<Option<SessionRecord>, StoreError> {
        Ok(self
            .session(id)
            .await?
            .filter(|s| s.merchant_id == merchant_id))
    }

    /// The merchant's newest session with this order reference.
    pub async fn session_by_order(
        &self,
        merchant_id: i64,
        order_id: &str,
    ) -> Result<Option<SessionRecord>, StoreError> {
        session::Entity::find()
            .filter(session::Column::MerchantId.eq(merchant_id))
            .filter(session::Column::OrderId.eq(order_id))
            .order_by_desc(session::Column::CreatedAt)
            .order_by_desc(session::Column::HdIndex)
            .one(self.db())
            .await?
            .map(to_record)
            .transpose()
    }

    /// Ids of open sessions whose expiry time has passed, and of underpaid
    /// ones whose grace window has passed too (uses the status/expires_at index).
    pub async fn due_for_expiry(
        &self,
        now_ms: i64,
        grace_ms: i64,
        limit: u64,
    ) -> Result<Vec<i64>, StoreError> {
        let mut due = Vec::new();
        for (status, deadline) in [
            (SessionStatus::Created, now_ms),
            (
                SessionStatus::Underpaid,
                now_ms.saturating_sub(grace_ms) - 1,
            ),
        ] {
            due.extend(
                session::Entity::find()
                    .select_only()
                    .column(session::Column::Id)
                    .filter(session::Column::Status.eq(status.as_str()))
                    .filter(session::Column::ExpiresAt.lte(deadline))
                    .order_by_asc(session::Column::ExpiresAt)
                    .limit(limit)
                    .into_tuple::<i64>()
                    .all(self.db())
                    .await?,
            );
        }
        Ok(due)
    }

    /// How many sessions are in each status.
    pub async fn count_by_status(&self) -> Result<Vec<(SessionStatus, u64)>, StoreError> {
        let mut out = Vec::new();
        for status in SessionStatus::ALL {
            let n = session::Entity::find()
                .filter(session::Column::Status.eq(status.as_str()))
                .count(self.db())
                .await?;
            out.push((status, n));
        }
        Ok(out)
    }
}

fn to_active(s: &AssignedSession) -> session::ActiveModel {
    let n = &s.new;
    session::ActiveModel {
        id: Set(s.id),
        merchant_id: Set(n.merchant_id),
        hd_index: Set(s.hd_index),
        deposit_address: Set(s.deposit_address.checksummed()),
        order_id: Set(n.order_id.clone()),
        amount_minor: Set(n.amount.minor()),
        currency: Set(n.amount.currency().code().to_string()),
        expected_usdc: Set(units_to_i64(n.expected.units())),
        received_usdc: Set(0),
        status: Set(SessionStatus::Created.as_str().to_string()),
        version: Set(0),
        event_count: Set(0),
        shop_domain: Set(n.shop_domain.as_str().to_string()),
        customer_email: Set(n.customer_email.as_ref().map(|e| e.as_str().to_string())),
        return_url: Set(n.return_url.clone()),
        cancel_url: Set(n.cancel_url.clone()),
        webhook_url: Set(n.webhook_url.clone()),
        meta: Set(n.meta.clone()),
        routing_hint: Set(n.routing_hint.clone()),
        selected_provider: Set(n.selected_provider.clone()),
        routing_reason: Set(n.routing_reason.clone()),
        txid_in: Set(None),
        txid_out: Set(None),
        last_error: Set(None),
        test: Set(n.test),
        created_at: Set(n.created_at_ms),
        expires_at: Set(n.expires_at_ms),
        paid_at: Set(None),
        source: Set(n.source.as_str().to_string()),
        source_id: Set(n.source.id()),
    }
}

/// USDC base units as stored (BIGINT); amounts above i64::MAX cannot be created.
pub(crate) fn units_to_i64(units: u64) -> i64 {
    i64::try_from(units).unwrap_or(i64::MAX)
}

pub(crate) fn to_record(row: session::Model) -> Result<SessionRecord, StoreError> {
    let unexpected =
        |what: &str| StoreError::Unexpected(anyhow::anyhow!("session {}: {what}", row.id));
    let currency = Currency::parse(&row.currency).map_err(|_| unexpected("bad currency"))?;
    let status: SessionStatus = row.status.parse().map_err(|_| unexpected("bad status"))?;
    let expected = UsdcAmount::from_units(
        u64::try_from(row.expected_usdc).map_err(|_| unexpected("bad amount"))?,
    );
    let received = UsdcAmount::from_units(
        u64::try_from(row.received_usdc).map_err(|_| unexpected("bad amount"))?,
    );
    let deposit_address = WalletAddress::parse(&row.deposit_address)
        .map_err(|_| unexpected("bad deposit address"))?;
    let shop_domain =
        ShopDomain::parse(&row.shop_domain).map_err(|_| unexpected("bad shop domain"))?;
    let source = SessionSource::from_parts(&row.source, row.source_id)
        .map_err(|_| unexpected("bad source"))?;
    let customer_email = row
        .customer_email
        .as_deref()
        .map(Email::parse)
        .transpose()
        .map_err(|_| unexpected("bad e-mail"))?;
    Ok(SessionRecord {
        id: row.id,
        merchant_id: row.merchant_id,
        hd_index: row.hd_index,
        deposit_address,
        order_id: row.order_id,
        amount: Money::from_minor(row.amount_minor, currency),
        expected,
        received,
        status,
        version: row.version,
        event_count: row.event_count,
        shop_domain,
        customer_email,
        return_url: row.return_url,
        cancel_url: row.cancel_url,
        webhook_url: row.webhook_url,
        meta: row.meta,
        routing_hint: row.routing_hint,
        selected_provider: row.selected_provider,
        routing_reason: row.routing_reason,
        txid_in: row.txid_in,
        txid_out: row.txid_out,
        last_error: row.last_error,
        test: row.test,
        created_at_ms: row.created_at,
        expires_at_ms: row.expires_at,
        paid_at_ms: row.paid_at,
        source,
    })
}

impl AssignedSession {
    /// The record this session will have once inserted.
    pub fn to_record(&self) -> SessionRecord {
        let n = &self.new;
        SessionRecord {
            id: self.id,
            merchant_id: n.merchant_id,
            hd_index: self.hd_index,
            deposit_address: self.deposit_address,
            order_id: n.order_id.clone(),
            amount: n.amount,
            expected: n.expected,
            received: UsdcAmount::from_units(0),
            status: SessionStatus::Created,
            version: 0,
            event_count: 0,
            shop_domain: n.shop_domain.clone(),
            customer_email: n.customer_email.clone(),
            return_url: n.return_url.clone(),
            cancel_url: n.cancel_url.clone(),
            webhook_url: n.webhook_url.clone(),
            meta: n.meta.clone(),
            routing_hint: n.routing_hint.clone(),
            selected_provider: n.selected_provider.clone(),
            routing_reason: n.routing_reason.clone(),
            txid_in: None,
            txid_out: None,
            last_error: None,
            test: n.test,
            created_at_ms: n.created_at_ms,
            expires_at_ms: n.expires_at_ms,
            paid_at_ms: None,
            source: n.source,
        }
    }
}
