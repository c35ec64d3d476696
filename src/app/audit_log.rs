//! The operators' audit log, as every door uses it: [`record`] a change
//! made outside a transaction of its own (changes made in one, like the
//! routing edits of `app::routing_admin`, write their line inside it), and
//! [`list`] it newest first, page by page (the CLI's `kassa audit list`,
//! the admin console).
//!
//! Must not: take a before/after record that holds a secret; callers pass
//! credential values through `domain::audit::redact_secret` first.

use crate::domain::audit::{AuditAction, AuditActor, AuditEntry};
use crate::store::audit_log::NewAuditEntry;
use crate::store::{Store, StoreError};

/// Lines per page at most.
pub const MAX_PAGE: u64 = 500;

/// One page of the log, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next (older) page; `None` on the last one.
    pub next_before: Option<i64>,
}

/// Appends one line: `actor` did `action` to `subject`, the state going
/// from `before` to `after` (either absent when there was none).
pub async fn record(
    store: &Store,
    now_ms: i64,
    actor: AuditActor,
    action: AuditAction,
    subject: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), StoreError> {
    store
        .record_audit(&NewAuditEntry {
            at_ms: now_ms,
            actor,
            action,
            subject: subject.to_string(),
            before,
            after,
        })
        .await
}

/// Up to `limit` lines (1 to [`MAX_PAGE`]) older than line `before`, or the
/// newest when `before` is `None`.
pub async fn list(store: &Store, before: Option<i64>, limit: u64) -> Result<AuditPage, StoreError> {
    let limit = limit.clamp(1, MAX_PAGE);
    // One more than asked says whether an older page exists.
    let mut entries = store.audit_log_page(before, limit + 1).await?;
    let more = entries.len() as u64 > limit;
    entries.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_before = if more {
        entries.last().map(|e| e.id)
    } else {
        None
    };
    Ok(AuditPage {
        entries,
        next_before,
    })
}
