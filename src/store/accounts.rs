//! Account sessions (merchants' dashboard and operators' admin console,
//! told apart by their realm) and the merchant security log.
//!
//! Account sessions are looked up by the SHA-256 of the cookie's token and
//! their realm (the caller hashes; this module never sees a token). The security log is
//! append-only: rows are inserted and read, never changed, and failed logins
//! are counted from it so that login throttling holds on every node.

use kassa_entities::{dashboard_session, security_event};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::{Store, StoreError};
use crate::domain::account_realm::Realm;

/// A new logged-in browser.
#[derive(Debug, Clone)]
pub struct NewAccountSession {
    pub token_hash: String,
    pub realm: Realm,
    pub owner_id: i64,
    pub second_factor_pending: bool,
    pub csrf_token: String,
    pub client_ip: String,
}

/// A stored account session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSessionRow {
    pub id: i64,
    pub realm: Realm,
    pub owner_id: i64,
    pub second_factor_pending: bool,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

/// One line of the security log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityEventRow {
    pub id: i64,
    pub kind: String,
    pub detail: String,
    pub client_ip: String,
    pub created_at: i64,
}

impl Store {
    /// Stores a new account session; returns its row id.
    pub async fn insert_account_session(
        &self,
        new: NewAccountSession,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        let done = dashboard_session::Entity::insert(dashboard_session::ActiveModel {
            token_hash: Set(new.token_hash),
            realm: Set(new.realm.as_str().to_string()),
            owner_id: Set(new.owner_id),
            second_factor_pending: Set(new.second_factor_pending),
            csrf_token: Set(new.csrf_token),
            client_ip: Set(new.client_ip),
            created_at: Set(now_ms),
            last_seen_at: Set(now_ms),
            ..Default::default()
        })
        .exec(self.db())
        .await?;
        Ok(done.last_insert_id)
    }

    /// The `realm` session whose token hashes to `token_hash`, if any.
    pub async fn account_session(
        &self,
        realm: Realm,
        token_hash: &str,
    ) -> Result<Option<AccountSessionRow>, StoreError> {
        let row = dashboard_session::Entity::find()
            .filter(dashboard_session::Column::TokenHash.eq(token_hash))
            .filter(dashboard_session::Column::Realm.eq(realm.as_str()))
            .one(self.db())
            .await?;
        Ok(row.map(|r| AccountSessionRow {
            id: r.id,
            realm,
            owner_id: r.owner_id,
            second_factor_pending: r.second_factor_pending,
            csrf_token: r.csrf_token,
            created_at: r.created_at,
            last_seen_at: r.last_seen_at,
        }))
    }

    /// Records activity on a session (the idle timeout counts from here).
    pub async fn touch_account_session(&self, id: i64, now_ms: i64) -> Result<(), StoreError> {
        dashboard_session::Entity::update_many()
            .col_expr(dashboard_session::Column::LastSeenAt, Expr::value(now_ms))
            .filter(dashboard_session::Column::Id.eq(id))
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// Marks an operator's session as past its second factor.
    pub async fn complete_second_factor(&self, id: i64) -> Result<(), StoreError> {
        dashboard_session::Entity::update_many()
            .col_expr(
                dashboard_session::Column::SecondFactorPending,
                Expr::value(false),
            )
            .filter(dashboard_session::Column::Id.eq(id))
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// Ends one session (logout, expiry, rotation at login).
    pub async fn delete_account_session(&self, id: i64) -> Result<(), StoreError> {
        dashboard_session::Entity::delete_by_id(id)
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// Ends every session of the `realm` account `owner_id` except `keep`
    /// (after a password change, so a thief's session dies with the old
    /// password; when an operator disables a merchant).
    pub async fn delete_other_account_sessions(
        &self,
        realm: Realm,
        owner_id: i64,
        keep: Option<i64>,
    ) -> Result<u64, StoreError> {
        let mut query = dashboard_session::Entity::delete_many()
            .filter(dashboard_session::Column::Realm.eq(realm.as_str()))
            .filter(dashboard_session::Column::OwnerId.eq(owner_id));
        if let Some(keep) = keep {
            query = query.filter(dashboard_session::Column::Id.ne(keep));
        }
        Ok(query.exec(self.db()).await?.rows_affected)
    }

    /// Deletes sessions idle since before `idle_before` or created before
    /// `created_before`; returns how many.
    pub async fn delete_stale_account_sessions(
        &self,
        idle_before: i64,
        created_before: i64,
    ) -> Result<u64, StoreError> {
        let done = dashboard_session::Entity::delete_many()
            .filter(
                Condition::any()
                    .add(dashboard_session::Column::LastSeenAt.lt(idle_before))
                    .add(dashboard_session::Column::CreatedAt.lt(created_before)),
            )
            .exec(self.db())
            .await?;
        Ok(done.rows_affected)
    }

    /// Appends one line to `merchant_id`'s security log.
    pub async fn record_security_event(
        &self,
        merchant_id: i64,
        kind: &str,
        detail: &str,
        client_ip: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        security_event::Entity::insert(security_event::ActiveModel {
            merchant_id: Set(merchant_id),
            kind: Set(kind.to_string()),
            detail: Set(detail.to_string()),
            client_ip: Set(client_ip.to_string()),
            created_at: Set(now_ms),
            ..Default::default()
        })
        .exec_without_returning(self.db())
        .await?;
        Ok(())
    }

    /// The newest `limit` lines of `merchant_id`'s log, older than row
    /// `before` when given (newest first).
    pub async fn security_events(
        &self,
        merchant_id: i64,
        before: Option<i64>,
        limit: u64,
    ) -> Result<Vec<SecurityEventRow>, StoreError> {
        let mut query = security_event::Entity::find()
            .filter(security_event::Column::MerchantId.eq(merchant_id));
        if let Some(before) = before {
            query = query.filter(security_event::Column::Id.lt(before));
        }
        let rows = query
            .order_by_desc(security_event::Column::Id)
            .limit(limit)
            .all(self.db())
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| SecurityEventRow {
                id: r.id,
                kind: r.kind,
                detail: r.detail,
                client_ip: r.client_ip,
                created_at: r.created_at,
            })
            .collect())
    }

    /// How many lines of the `kinds` `merchant_id` has since `since_ms`, and
    /// the time of the newest.
    pub async fn security_events_since(
        &self,
        merchant_id: i64,
        kinds: &[&str],
        since_ms: i64,
    ) -> Result<(u64, Option<i64>), StoreError> {
        let query = security_event::Entity::find()
            .filter(security_event::Column::MerchantId.eq(merchant_id))
            .filter(security_event::Column::Kind.is_in(kinds.iter().copied()))
            .filter(security_event::Column::CreatedAt.gte(since_ms));
        let count = query.clone().count(self.db()).await?;
        let newest = query
            .order_by_desc(security_event::Column::CreatedAt)
            .one(self.db())
            .await?
            .map(|r| r.created_at);
        Ok((count, newest))
    }
}
