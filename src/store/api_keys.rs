//! API key rows: a merchant's keys (create within the active-key limit,
//! list, revoke), the lookup that authentication does by a key's public
//! prefix, and the batched "last used" write.
//!
//! `api_keys` is the only place keys live (the merchant row holds none).
//! Rows carry the key's hash, never the key; the hash leaves this module
//! only inside [`KeyCredentials`], for the constant-time check. A revocation
//! on PostgreSQL also sends `NOTIFY kassa_api_keys, '<prefix>'` in its own
//! transaction, so other nodes drop the key from their caches when it
//! commits (see `api_key_events`).

use kassa_entities::api_key;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};

use super::{Store, StoreError};
use crate::domain::merchant::Merchant;

/// The PostgreSQL channel revocations are announced on (payload: the prefix).
pub const REVOCATION_CHANNEL: &str = "kassa_api_keys";

/// What a merchant (or an operator) may see of a key: never its secret or hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeySummary {
    pub id: i64,
    pub merchant_id: i64,
    /// The public id inside the key (`kassa_<prefix>_…`).
    pub prefix: String,
    pub label: Option<String>,
    pub created_at: i64,
    /// Unix ms of the latest use, written in batches (a few seconds late).
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl ApiKeySummary {
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

/// An active key found by its prefix, with its merchant and the stored hash
/// to check the presented key against.
#[derive(Debug, Clone)]
pub struct KeyCredentials {
    pub key_id: i64,
    pub merchant: Merchant,
    pub key_hash: String,
}

/// A key to store: its public prefix and hash (the key itself is shown once
/// by the caller and never reaches the store).
#[derive(Debug, Clone)]
pub struct NewKeyRow {
    pub prefix: String,
    pub hash: String,
    pub label: Option<String>,
}

/// How adding a key went.
#[derive(Debug, Clone)]
pub enum AddedKey {
    Added(ApiKeySummary),
    NoSuchMerchant,
    /// The merchant already has this many active keys.
    LimitReached(usize),
}

fn summary(row: api_key::Model) -> ApiKeySummary {
    ApiKeySummary {
        id: row.id,
        merchant_id: row.merchant_id,
        prefix: row.prefix,
        label: row.label,
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        revoked_at: row.revoked_at,
    }
}

impl Store {
    /// Adds a key to a merchant unless it already has `max_active` active
    /// keys. The merchant row is locked first (PostgreSQL), so two
    /// concurrent adds cannot both pass the count; SQLite has one writer.
    pub async fn add_api_key(
        &self,
        merchant_id: i64,
        new: NewKeyRow,
        max_active: usize,
        now_ms: i64,
    ) -> Result<AddedKey, StoreError> {
        let txn = self.begin_write().await?;
        let merchant = kassa_entities::merchant::Entity::find_by_id(merchant_id)
            .lock_exclusive()
            .one(&*txn)
            .await?;
        if merchant.is_none() {
            return Ok(AddedKey::NoSuchMerchant);
        }
        let active = api_key::Entity::find()
            .filter(api_key::Column::MerchantId.eq(merchant_id))
            .filter(api_key::Column::RevokedAt.is_null())
            .count(&*txn)
            .await?;
        if usize::try_from(active).unwrap_or(usize::MAX) >= max_active {
            return Ok(AddedKey::LimitReached(max_active));
        }
        let row = insert_key(&txn, merchant_id, new, now_ms).await?;
        txn.commit().await?;
        Ok(AddedKey::Added(row))
    }

    /// A merchant's keys, oldest first (revoked ones included, marked).
    pub async fn list_api_keys(&self, merchant_id: i64) -> Result<Vec<ApiKeySummary>, StoreError> {
        Ok(api_key::Entity::find()
            .filter(api_key::Column::MerchantId.eq(merchant_id))
            .order_by_asc(api_key::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(summary)
            .collect())
    }

    /// Revokes the merchant's key with this prefix; `None` when the merchant
    /// has no such key (another merchant's key is "no such key"). Revoking a
    /// revoked key changes nothing and returns it as it is.
    pub async fn revoke_api_key(
        &self,
        merchant_id: i64,
        prefix: &str,
        now_ms: i64,
    ) -> Result<Option<ApiKeySummary>, StoreError> {
        let txn = self.begin_write().await?;
        let Some(row) = api_key::Entity::find()
            .filter(api_key::Column::MerchantId.eq(merchant_id))
            .filter(api_key::Column::Prefix.eq(prefix))
            .one(&*txn)
            .await?
        else {
            return Ok(None);
        };
        if row.revoked_at.is_some() {
            return Ok(Some(summary(row)));
        }
        let mut active: api_key::ActiveModel = row.into();
        active.revoked_at = Set(Some(now_ms));
        let row = active.update(&*txn).await?;
        announce_revoked(&txn, &row.prefix).await?;
        txn.commit().await?;
        Ok(Some(summary(row)))
    }

    /// The active key with this prefix, its merchant and hash; `None` when
    /// there is no such key or it is revoked.
    pub async fn credentials_by_key_prefix(
        &self,
        prefix: &str,
    ) -> Result<Option<KeyCredentials>, StoreError> {
        let Some(row) = api_key::Entity::find()
            .filter(api_key::Column::Prefix.eq(prefix))
            .filter(api_key::Column::RevokedAt.is_null())
            .one(self.db())
            .await?
        else {
            return Ok(None);
        };
        let Some(merchant) = self.merchant_uncached(row.merchant_id).await? else {
            return Ok(None);
        };
        Ok(Some(KeyCredentials {
            key_id: row.id,
            merchant,
            key_hash: row.hash,
        }))
    }

    /// Writes a batch of `(key id, used at ms)` in one transaction; a time
    /// never moves back (another node may have written a later one).
    pub async fn record_key_uses(&self, uses: &[(i64, i64)]) -> Result<(), StoreError> {
        if uses.is_empty() {
            return Ok(());
        }
        let txn = self.begin_write().await?;
        for &(id, at_ms) in uses {
            api_key::Entity::update_many()
                .col_expr(api_key::Column::LastUsedAt, Expr::value(at_ms))
                .filter(api_key::Column::Id.eq(id))
                .filter(
                    sea_orm::Condition::any()
                        .add(api_key::Column::LastUsedAt.is_null())
                        .add(api_key::Column::LastUsedAt.lt(at_ms)),
                )
                .exec(&*txn)
                .await?;
        }
        txn.commit().await?;
        Ok(())
    }
}

/// Inserts a key row inside the caller's transaction.
pub(super) async fn insert_key(
    txn: &sea_orm::DatabaseTransaction,
    merchant_id: i64,
    new: NewKeyRow,
    now_ms: i64,
) -> Result<ApiKeySummary, StoreError> {
    let row = api_key::ActiveModel {
        merchant_id: Set(merchant_id),
        prefix: Set(new.prefix),
        hash: Set(new.hash),
        label: Set(new.label),
        created_at: Set(now_ms),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(summary(row))
}

/// Revokes every active key of a merchant but `keep` (a key rotation),
/// inside the caller's transaction, announcing each.
pub(super) async fn revoke_all_but(
    txn: &sea_orm::DatabaseTransaction,
    merchant_id: i64,
    keep: i64,
    now_ms: i64,
) -> Result<(), StoreError> {
    let revoked = api_key::Entity::find()
        .filter(api_key::Column::MerchantId.eq(merchant_id))
        .filter(api_key::Column::RevokedAt.is_null())
        .filter(api_key::Column::Id.ne(keep))
        .all(txn)
        .await?;
    for row in revoked {
        let prefix = row.prefix.clone();
        let mut active: api_key::ActiveModel = row.into();
        active.revoked_at = Set(Some(now_ms));
        active.update(txn).await?;
        announce_revoked(txn, &prefix).await?;
    }
    Ok(())
}

/// PostgreSQL: `pg_notify` inside the transaction, delivered to every
/// listening node when (and only if) it commits. SQLite has one node.
/// Also sent when a merchant is switched on or off: listeners forget the
/// key's cached credentials, which carry the merchant's state.
pub(super) async fn announce_revoked(
    txn: &sea_orm::DatabaseTransaction,
    prefix: &str,
) -> Result<(), StoreError> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [REVOCATION_CHANNEL.into(), prefix.into()],
        ))
        .await?;
    }
    Ok(())
}
