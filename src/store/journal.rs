//! The money journal's rows: entries written inside the transaction of the
//! change they record (a deposit counted or held or reversed, a sweep sent,
//! gas paid), and read back whole for the money check.

use kassa_entities::money_entry;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, QueryOrder};

use super::{Store, StoreError};
use crate::domain::journal::{Entry, EntryKind};

/// Writes `entries` on `conn` (the caller's transaction).
pub(super) async fn write(
    conn: &impl ConnectionTrait,
    entries: &[Entry],
    now_ms: i64,
) -> Result<(), StoreError> {
    write_each(conn, entries.iter().map(|e| (e, now_ms))).await
}

/// Writes entries each with its own time, in one statement, on `conn` (the
/// caller's transaction).
pub(super) async fn write_each<'a>(
    conn: &impl ConnectionTrait,
    entries: impl IntoIterator<Item = (&'a Entry, i64)>,
) -> Result<(), StoreError> {
    money_entry::Entity::insert_many(entries.into_iter().map(|(e, at)| money_entry::ActiveModel {
        created_at: Set(at),
        kind: Set(e.kind.as_str().into()),
        unit: Set(e.kind.unit().into()),
        amount: Set(e.amount.to_string()),
        debit: Set(e.debit.clone()),
        credit: Set(e.credit.clone()),
        session_id: Set(e.session_id),
        deposit_id: Set(e.deposit_id),
        sweep_id: Set(e.sweep_id),
        tx_hash: Set(e.tx_hash.clone()),
        ..Default::default()
    }))
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

impl Store {
    /// Every journal entry, oldest first.
    pub async fn journal(&self) -> Result<Vec<Entry>, StoreError> {
        money_entry::Entity::find()
            .order_by_asc(money_entry::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(|row| {
                let kind = EntryKind::parse(&row.kind).ok_or_else(|| {
                    StoreError::Unexpected(anyhow::anyhow!("unknown entry kind `{}`", row.kind))
                })?;
                let amount = row.amount.parse().map_err(|_| {
                    StoreError::Unexpected(anyhow::anyhow!("entry {} has no amount", row.id))
                })?;
                Ok(Entry {
                    kind,
                    amount,
                    debit: row.debit,
                    credit: row.credit,
                    session_id: row.session_id,
                    deposit_id: row.deposit_id,
                    sweep_id: row.sweep_id,
                    tx_hash: row.tx_hash,
                })
            })
            .collect()
    }
}
