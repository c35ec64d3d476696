//! The operators' levers, the one way every door pulls them (the CLI's
//! `deposits forward|refund`, `payouts retry`, `webhooks resend`, and the
//! admin console's attention queue): check the target, do it, and write
//! one audit line saying who did what to which, before and after.
//!
//! Money levers only queue a payout request: the server's payout actor
//! carries it out (no door signs or broadcasts). Must not: word an error
//! for a person beyond [`AttentionError`]'s own text, or act before every
//! check passed.

use serde_json::json;

use super::{AttentionError, Requester};
use crate::app::audit_log;
use crate::app::merchants::{self, MerchantChanges, MerchantError, WebhookTargets};
use crate::domain::audit::AuditAction;
use crate::domain::money::UsdcAmount;
use crate::domain::payout::SweepState;
use crate::domain::wallet::WalletAddress;
use crate::store::Store;
use crate::store::payout_requests::RequestAction;

/// A queued forward or refund of a held deposit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositRequest {
    pub request_id: i64,
    pub action: RequestAction,
    pub deposit_id: i64,
    pub session_id: i64,
    pub amount: UsdcAmount,
    /// Where the money goes: the merchant's payout wallet, or the sender.
    pub to: String,
}

/// A queued retry of a failed sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryRequest {
    pub request_id: i64,
    pub sweep_id: i64,
    pub last_error: Option<String>,
}

/// Queues the forward of held deposit `id` to its merchant's payout wallet.
pub async fn forward_deposit(
    store: &Store,
    who: &Requester,
    id: i64,
    now_ms: i64,
) -> Result<DepositRequest, AttentionError> {
    resolve_deposit(store, who, id, RequestAction::Forward, None, now_ms).await
}

/// Queues the refund of held deposit `id` to `to`, or to its sender.
pub async fn refund_deposit(
    store: &Store,
    who: &Requester,
    id: i64,
    to: Option<&str>,
    now_ms: i64,
) -> Result<DepositRequest, AttentionError> {
    resolve_deposit(store, who, id, RequestAction::Refund, to, now_ms).await
}

async fn resolve_deposit(
    store: &Store,
    who: &Requester,
    id: i64,
    action: RequestAction,
    to: Option<&str>,
    now_ms: i64,
) -> Result<DepositRequest, AttentionError> {
    let held = store
        .held_deposit(id, now_ms)
        .await?
        .ok_or(AttentionError::NoDeposit(id))?;
    if let Some(why) = held.not_held {
        return Err(AttentionError::NotHeld { id, why });
    }
    if store.deposit_request_open(id).await? {
        return Err(AttentionError::DepositQueued(id));
    }
    let chosen = to
        .map(|to| {
            WalletAddress::parse(to)
                .map(|w| w.checksummed())
                .map_err(|_| AttentionError::NotAnAddress(to.to_string()))
        })
        .transpose()?;
    let (destination, to, audit) = match action {
        RequestAction::Forward => {
            let wallet = held
                .payout_wallet
                .clone()
                .ok_or(AttentionError::NoPayoutWallet(held.merchant_id))?;
            (None, wallet, AuditAction::DepositForward)
        }
        RequestAction::Refund | RequestAction::Retry => {
            let to = chosen
                .clone()
                .or_else(|| held.from.clone())
                .ok_or(AttentionError::NoSender(id))?;
            (chosen, to, AuditAction::DepositRefund)
        }
    };
    let request_id = store
        .queue_payout_request(action, None, Some(id), destination, &who.name, now_ms)
        .await?;
    let amount = UsdcAmount::from_units(held.amount_units);
    audit_log::record(
        store,
        now_ms,
        who.actor,
        audit,
        &format!("deposit:{id}"),
        Some(json!({
            "state": "held",
            "amount_usdc": amount.to_string(),
            "session_id": held.session_id,
            "merchant_id": held.merchant_id,
        })),
        Some(json!({ "request_id": request_id, "action": action.as_str(), "to": to })),
    )
    .await?;
    Ok(DepositRequest {
        request_id,
        action,
        deposit_id: id,
        session_id: held.session_id,
        amount,
        to,
    })
}

/// Queues a retry, at the payout actor's next step, of failed sweep `id`.
pub async fn retry_payout(
    store: &Store,
    who: &Requester,
    id: i64,
    now_ms: i64,
) -> Result<RetryRequest, AttentionError> {
    let sweep = store.sweep(id).await?.ok_or(AttentionError::NoSweep(id))?;
    if sweep.state != SweepState::Failed {
        return Err(AttentionError::NotFailed {
            id,
            state: sweep.state,
        });
    }
    let queued = store
        .open_payout_requests()
        .await?
        .into_iter()
        .any(|r| r.action == RequestAction::Retry && r.sweep_id == Some(id));
    if queued {
        return Err(AttentionError::RetryQueued(id));
    }
    let request_id = store
        .queue_payout_request(
            RequestAction::Retry,
            Some(id),
            None,
            None,
            &who.name,
            now_ms,
        )
        .await?;
    audit_log::record(
        store,
        now_ms,
        who.actor,
        AuditAction::PayoutRetry,
        &format!("sweep:{id}"),
        Some(json!({
            "state": sweep.state.as_str(),
            "attempts": sweep.attempts,
            "last_error": sweep.last_error,
        })),
        Some(json!({ "request_id": request_id, "action": "retry" })),
    )
    .await?;
    Ok(RetryRequest {
        request_id,
        sweep_id: id,
        last_error: sweep.last_error,
    })
}

/// Queues webhook event `event_id` for delivery again now (its attempts
/// start over), whatever became of it.
pub async fn resend_webhook(
    store: &Store,
    who: &Requester,
    event_id: &str,
    now_ms: i64,
) -> Result<(), AttentionError> {
    let event = store
        .webhook_event(event_id)
        .await?
        .ok_or_else(|| AttentionError::NoEvent(event_id.to_string()))?;
    if !store.resend_webhook(event_id, now_ms).await? {
        return Err(AttentionError::NoEvent(event_id.to_string()));
    }
    audit_log::record(
        store,
        now_ms,
        who.actor,
        AuditAction::WebhookResend,
        &format!("webhook:{event_id}"),
        Some(json!({
            "state": event.state,
            "attempts": event.attempts,
            "last_error": event.last_error,
        })),
        Some(json!({ "state": "pending", "attempts": 0 })),
    )
    .await?;
    Ok(())
}

/// Delivers to merchant `id`'s endpoint again after it was parked for
/// answering 410 Gone.
pub async fn enable_webhook_endpoint(
    store: &Store,
    who: &Requester,
    id: i64,
    now_ms: i64,
) -> Result<(), AttentionError> {
    let hook = store
        .merchant_hook(id, now_ms)
        .await?
        .ok_or(AttentionError::NoMerchant(id))?;
    if !hook.disabled {
        return Err(AttentionError::NotParked(id));
    }
    let changes = MerchantChanges {
        enable_webhook: true,
        ..MerchantChanges::default()
    };
    // No URL changes here, so the targets are never consulted; the
    // strictest ones would refuse rather than allow if they were.
    let strictest = WebhookTargets {
        https_only: true,
        allow_private: false,
    };
    merchants::update(store, id, changes, strictest, now_ms)
        .await
        .map_err(|e| match e {
            MerchantError::NotFound(id) => AttentionError::NoMerchant(id),
            MerchantError::Store(e) => AttentionError::Store(e),
            // Only the re-enable flag changes: none of these can come back.
            other @ (MerchantError::Field(_)
            | MerchantError::WebhookUrl(_)
            | MerchantError::EmailTaken(_)
            | MerchantError::Password(_)
            | MerchantError::NoPendingWalletChange(_)
            | MerchantError::NoWebhookEndpoint(_)
            | MerchantError::EventNotFound(_)) => AttentionError::Unexpected(other.into()),
        })?;
    audit_log::record(
        store,
        now_ms,
        who.actor,
        AuditAction::WebhookEnable,
        &format!("merchant:{id}"),
        Some(json!({ "webhook_disabled": true })),
        Some(json!({ "webhook_disabled": false })),
    )
    .await?;
    Ok(())
}
