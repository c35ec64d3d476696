//! The operators' audit log (`audit_log`): append a line, inside the
//! caller's transaction when the change it records is made in one, and read
//! keyset pages newest first. Not the money audit (`store::audit`).
//!
//! Must not: decide what a line says or redact anything: callers hand over
//! records that already hold no secret (see `domain::audit`).

use kassa_entities::audit_log;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::{Store, StoreError};
use crate::domain::audit::{AuditAction, AuditActor, AuditEntry};

/// A line to append.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEntry {
    pub at_ms: i64,
    pub actor: AuditActor,
    pub action: AuditAction,
    pub subject: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Appends `entry` on `conn` (a transaction, or the pool).
pub(crate) async fn insert_audit<C: ConnectionTrait>(
    conn: &C,
    entry: &NewAuditEntry,
) -> Result<(), StoreError> {
    audit_log::Entity::insert(audit_log::ActiveModel {
        at_ms: Set(entry.at_ms),
        actor: Set(entry.actor.to_text()),
        action: Set(entry.action.as_str().to_string()),
        subject: Set(entry.subject.clone()),
        before: Set(entry.before.as_ref().map(serde_json::Value::to_string)),
        after: Set(entry.after.as_ref().map(serde_json::Value::to_string)),
        ..Default::default()
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

fn json_of(id: i64, text: Option<String>) -> Result<Option<serde_json::Value>, StoreError> {
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| {
            StoreError::Unexpected(anyhow::anyhow!("audit_log row {id}: not JSON: {e}"))
        })
    })
    .transpose()
}

impl Store {
    /// Appends one line on its own.
    pub async fn record_audit(&self, entry: &NewAuditEntry) -> Result<(), StoreError> {
        let txn = self.begin_write().await?;
        insert_audit(&*txn, entry).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The newest `limit` lines, older than line `before` when given.
    pub async fn audit_log_page(
        &self,
        before: Option<i64>,
        limit: u64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut query = audit_log::Entity::find();
        if let Some(before) = before {
            query = query.filter(audit_log::Column::Id.lt(before));
        }
        let rows = query
            .order_by_desc(audit_log::Column::Id)
            .limit(limit)
            .all(self.db())
            .await?;
        rows.into_iter()
            .map(|r| {
                let actor = AuditActor::parse(&r.actor).map_err(|e| {
                    StoreError::Unexpected(anyhow::anyhow!("audit_log row {}: {e}", r.id))
                })?;
                Ok(AuditEntry {
                    id: r.id,
                    at_ms: r.at_ms,
                    actor,
                    action: r.action,
                    subject: r.subject,
                    before: json_of(r.id, r.before)?,
                    after: json_of(r.id, r.after)?,
                })
            })
            .collect()
    }
}
