//! The operators' attention queue: one list of what needs a person — late
//! deposits to forward, failed payouts to retry, dead-letter webhooks to
//! resend, parked webhook endpoints to re-enable — each with the action
//! that resolves it ([`act`], through the [`levers`] the CLI pulls too).
//!
//! Reads through the store; every action writes its audit line (in
//! [`levers`]). Must not: word a page or a command's output (each door
//! does), or act on an item without the checks of its lever.

pub mod levers;

use crate::domain::attention::{AttentionKind, Target, TargetError};
use crate::domain::audit::AuditActor;
use crate::domain::held::HeldKind;
use crate::domain::money::UsdcAmount;
use crate::domain::payout::SweepState;
use crate::store::payout_requests::RequestAction;
use crate::store::{Store, StoreError};
use crate::webhooks::delivery::redact_query;

pub use levers::{DepositRequest, RetryRequest};

/// Items of one kind listed at most (the oldest first where they have an age).
pub const LIMIT_PER_KIND: usize = 200;

/// Who acts: the audit log's actor, and the name a payout request records
/// as having asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requester {
    pub actor: AuditActor,
    pub name: String,
}

/// Why an action was refused.
#[derive(Debug, thiserror::Error)]
pub enum AttentionError {
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error("no deposit with id {0}")]
    NoDeposit(i64),
    #[error("deposit {id} is not held: {why}")]
    NotHeld { id: i64, why: String },
    #[error("deposit {0} already has a forward or refund queued")]
    DepositQueued(i64),
    #[error("deposit {0} has no recorded sender: name the address to refund to")]
    NoSender(i64),
    #[error("merchant {0} has no payout wallet to forward to")]
    NoPayoutWallet(i64),
    #[error("`{0}` is not a Polygon address (0x + 40 hex digits, EIP-55 checksum if mixed case)")]
    NotAnAddress(String),
    #[error("no sweep with id {0}")]
    NoSweep(i64),
    #[error("sweep {id} is {state}, not failed: nothing to retry")]
    NotFailed { id: i64, state: SweepState },
    #[error("a retry of sweep {0} is already queued")]
    RetryQueued(i64),
    #[error("no webhook event {0}")]
    NoEvent(String),
    #[error("no merchant with id {0}")]
    NoMerchant(i64),
    #[error("merchant {0}'s webhook endpoint is not disabled")]
    NotParked(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

/// One thing that needs a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttentionItem {
    pub kind: AttentionKind,
    /// What its action names: the deposit, sweep or merchant id, or the
    /// webhook event id.
    pub target: String,
    pub merchant_id: i64,
    pub session_id: Option<i64>,
    /// The money concerned, where there is some.
    pub amount: Option<UsdcAmount>,
    /// What went wrong or where it stands (last error, sender, endpoint).
    pub detail: Option<String>,
    /// Since when it has waited (ms), where that is known.
    pub since_ms: Option<i64>,
    /// Its action was already asked for and is not carried out yet.
    pub requested: bool,
}

/// The queue: every kind in the order of [`AttentionKind::ALL`], oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttentionQueue {
    pub items: Vec<AttentionItem>,
    /// Kinds with more items than [`LIMIT_PER_KIND`] (the rest not listed).
    pub truncated: Vec<AttentionKind>,
}

impl AttentionQueue {
    pub fn count(&self, kind: AttentionKind) -> usize {
        self.items.iter().filter(|i| i.kind == kind).count()
    }
}

/// The queue as it stands.
pub async fn list(store: &Store) -> Result<AttentionQueue, StoreError> {
    let requests = store.open_payout_requests().await?;
    let asked = |action: RequestAction, deposit: Option<i64>, sweep: Option<i64>| {
        requests.iter().any(|r| {
            r.action == action
                && ((deposit.is_some() && r.deposit_id == deposit)
                    || (sweep.is_some() && r.sweep_id == sweep))
        })
    };
    let mut queue = AttentionQueue::default();
    let fetch = u64::try_from(LIMIT_PER_KIND + 1).unwrap_or(u64::MAX);

    let late = store.held_money(None).await?.into_iter().filter_map(|h| {
        let deposit_id = h.deposit_id.filter(|_| h.kind == HeldKind::Late)?;
        let requested = asked(RequestAction::Forward, Some(deposit_id), None)
            || asked(RequestAction::Refund, Some(deposit_id), None);
        Some(AttentionItem {
            kind: AttentionKind::LateDeposit,
            target: deposit_id.to_string(),
            merchant_id: h.merchant_id,
            session_id: Some(h.session_id),
            amount: Some(h.amount),
            detail: h.from_address.map(|from| format!("from {from}")),
            since_ms: Some(h.observed_at_ms),
            requested,
        })
    });
    queue.add(AttentionKind::LateDeposit, late.collect());

    let failed = store
        .sweeps(true, fetch)
        .await?
        .into_iter()
        .map(|s| AttentionItem {
            kind: AttentionKind::FailedPayout,
            target: s.id.to_string(),
            merchant_id: s.merchant_id,
            session_id: Some(s.session_id),
            amount: Some(UsdcAmount::from_units(s.amount_units)),
            requested: asked(RequestAction::Retry, None, Some(s.id)),
            detail: s.last_error,
            since_ms: Some(s.created_at_ms),
        });
    queue.add(AttentionKind::FailedPayout, failed.collect());

    let dead = store
        .dead_webhooks(fetch)
        .await?
        .into_iter()
        .map(|e| AttentionItem {
            kind: AttentionKind::DeadWebhook,
            merchant_id: e.merchant_id,
            session_id: (e.session_id != 0).then_some(e.session_id),
            amount: None,
            detail: Some(match e.last_error {
                Some(error) => format!("{}: {error}", e.status),
                None => e.status,
            }),
            since_ms: Some(e.created_at),
            requested: false,
            target: e.event_id,
        });
    queue.add(AttentionKind::DeadWebhook, dead.collect());

    let parked = store.parked_webhook_endpoints(fetch).await?;
    let parked = parked.into_iter().map(|p| AttentionItem {
        kind: AttentionKind::DisabledEndpoint,
        target: p.merchant_id.to_string(),
        merchant_id: p.merchant_id,
        session_id: None,
        amount: None,
        detail: Some(match p.url {
            Some(url) => format!("{} → {}", p.email, redact_query(&url)),
            None => p.email,
        }),
        since_ms: None,
        requested: false,
    });
    queue.add(AttentionKind::DisabledEndpoint, parked.collect());
    Ok(queue)
}

impl AttentionQueue {
    /// Adds one kind's items, oldest first, keeping at most [`LIMIT_PER_KIND`].
    fn add(&mut self, kind: AttentionKind, mut items: Vec<AttentionItem>) {
        items.sort_by_key(|i| i.since_ms);
        if items.len() > LIMIT_PER_KIND {
            items.truncate(LIMIT_PER_KIND);
            self.truncated.push(kind);
        }
        self.items.extend(items);
    }
}

/// What an action did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acted {
    Forwarded(DepositRequest),
    RetryQueued(RetryRequest),
    Resent(String),
    Enabled(i64),
}

/// Carries out the action of an item of `kind` on `target` (as typed), as
/// `who`; the lever writes the audit line.
pub async fn act(
    store: &Store,
    who: &Requester,
    kind: AttentionKind,
    target: &str,
    now_ms: i64,
) -> Result<Acted, AttentionError> {
    match Target::parse(kind, target)? {
        Target::Deposit(id) => levers::forward_deposit(store, who, id, now_ms)
            .await
            .map(Acted::Forwarded),
        Target::Sweep(id) => levers::retry_payout(store, who, id, now_ms)
            .await
            .map(Acted::RetryQueued),
        Target::Event(id) => {
            levers::resend_webhook(store, who, &id, now_ms).await?;
            Ok(Acted::Resent(id))
        }
        Target::Merchant(id) => {
            levers::enable_webhook_endpoint(store, who, id, now_ms).await?;
            Ok(Acted::Enabled(id))
        }
    }
}
