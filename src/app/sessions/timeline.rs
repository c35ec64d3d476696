//! The timeline of one session, from what the store recorded: created, the
//! routing decision, each deposit seen and when it was counted (or held,
//! or reversed), every status it took (one outbox event each), every
//! webhook attempt with its HTTP status and latency, and the payouts with
//! their `txid_out`. Oldest first; entries of the same instant keep the
//! order above.
//!
//! Pure: it arranges rows already read and must not do I/O.

use crate::domain::checkout_session::SessionRecord;
use crate::domain::deposit::DepositState;
use crate::domain::journal::EntryKind;
use crate::domain::money::UsdcAmount;
use crate::domain::payout::SweepState;
use crate::store::payouts::SweepRecord;
use crate::store::session_list::{JournalMark, SessionDeposit};
use crate::store::webhooks::{AttemptRow, OutboxRow};

/// How an entry reads at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Ok,
    Warn,
    Bad,
}

impl Tone {
    /// The CSS class of the tone.
    pub fn as_str(self) -> &'static str {
        match self {
            Tone::Info => "info",
            Tone::Ok => "ok",
            Tone::Warn => "warn",
            Tone::Bad => "bad",
        }
    }
}

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub at_ms: i64,
    pub title: String,
    pub detail: String,
    pub tone: Tone,
    /// The webhook event this entry announced (it can be resent).
    pub event_id: Option<String>,
}

fn entry(at_ms: i64, title: impl Into<String>, detail: impl Into<String>, tone: Tone) -> Entry {
    Entry {
        at_ms,
        title: title.into(),
        detail: detail.into(),
        tone,
        event_id: None,
    }
}

fn usdc(units: u64) -> String {
    format!("{} USDC", UsdcAmount::from_units(units))
}

/// The whole timeline of `s`.
pub fn build(
    s: &SessionRecord,
    deposits: &[SessionDeposit],
    marks: &[JournalMark],
    hooks: &[(OutboxRow, Vec<AttemptRow>)],
    sweeps: &[SweepRecord],
) -> Vec<Entry> {
    let mut out = vec![
        entry(
            s.created_at_ms,
            "Created",
            format!(
                "{} {}, expecting {} USDC at {}.",
                s.amount,
                s.amount.currency().code(),
                s.expected,
                s.deposit_address.checksummed()
            ),
            Tone::Info,
        ),
        entry(s.created_at_ms, "Routing decision", routing(s), Tone::Info),
    ];
    for d in deposits {
        out.extend(deposit_entries(d, marks));
    }
    for (event, attempts) in hooks {
        out.push(status_entry(event));
        out.extend(attempts.iter().map(attempt_entry));
    }
    for sweep in sweeps {
        out.extend(payout_entries(sweep));
    }
    out.sort_by_key(|e| e.at_ms);
    out
}

fn routing(s: &SessionRecord) -> String {
    let hint = s.routing_hint.as_deref();
    let reason = s.routing_reason.as_deref().unwrap_or_default();
    match (hint, s.selected_provider.as_deref()) {
        (_, Some(p)) if reason.is_empty() => format!("Provider {p}."),
        (_, Some(p)) => format!("Provider {p}: {reason}."),
        (Some(h), None) if !reason.is_empty() => format!("No provider for `{h}`: {reason}."),
        (Some(h), None) => format!("Method hint `{h}`; the customer chooses the provider."),
        (None, None) => "No method hint: the customer chooses on the checkout page.".into(),
    }
}

fn deposit_entries(d: &SessionDeposit, marks: &[JournalMark]) -> Vec<Entry> {
    let from = d
        .from_address
        .as_deref()
        .map(|f| format!(" from {f}"))
        .unwrap_or_default();
    let block = d
        .block_number
        .map(|b| format!(" in block {b}"))
        .unwrap_or_default();
    let mut out = vec![entry(
        d.observed_at_ms,
        "Deposit seen",
        format!(
            "{} in transaction {}{block}{from}.",
            usdc(d.amount_units),
            d.tx_hash
        ),
        Tone::Info,
    )];
    let confirmations = format!("{} confirmations", d.confirmations);
    let mut marked = false;
    for m in marks.iter().filter(|m| m.deposit_id == Some(d.id)) {
        let (title, detail, tone) = match m.kind {
            EntryKind::Counted => (
                "Deposit confirmed",
                format!("{confirmations}; counted."),
                Tone::Ok,
            ),
            EntryKind::Held => (
                "Deposit held",
                "It arrived after the session's grace window; an operator decides.".into(),
                Tone::Warn,
            ),
            EntryKind::Reversed | EntryKind::Loss => (
                "Deposit reversed",
                "Its block left the chain (a reorganisation).".into(),
                Tone::Bad,
            ),
            EntryKind::Forwarded
            | EntryKind::Released
            | EntryKind::Refunded
            | EntryKind::Fee
            | EntryKind::Gas => continue,
        };
        marked = true;
        out.push(entry(m.at_ms, title, detail, tone));
    }
    if !marked {
        let (title, tone) = match d.state {
            DepositState::Seen => ("Waiting for confirmations", Tone::Info),
            DepositState::Dropped => ("Deposit dropped", Tone::Bad),
            DepositState::Counted | DepositState::Late => ("Deposit confirmed", Tone::Ok),
        };
        out.push(entry(d.observed_at_ms, title, confirmations, tone));
    }
    out
}

fn status_entry(e: &OutboxRow) -> Entry {
    let (title, tone) = match e.status.as_str() {
        "pending" => ("Payment pending", Tone::Info),
        "paid" => ("Paid", Tone::Ok),
        "overpaid" => ("Overpaid", Tone::Warn),
        "paid_late" => ("Paid late", Tone::Warn),
        "underpaid" => ("Underpaid", Tone::Warn),
        "expired" => ("Expired", Tone::Bad),
        "cancelled" => ("Cancelled", Tone::Bad),
        "reversed" => ("Payment reversed", Tone::Bad),
        "payout_sent" => ("Payout announced", Tone::Ok),
        _ => ("Status changed", Tone::Info),
    };
    let delivery = match e.state.as_str() {
        "skipped" => format!(
            "not sent ({})",
            e.last_error.as_deref().unwrap_or("not wanted")
        ),
        state => state.to_string(),
    };
    Entry {
        event_id: Some(e.event_id.clone()),
        ..entry(
            e.created_at,
            title,
            format!("Webhook event {}: {delivery}.", e.event_id),
            tone,
        )
    }
}

fn attempt_entry(a: &AttemptRow) -> Entry {
    let (title, tone) = match a.http_status {
        Some(code @ 200..=299) => (
            format!("Webhook attempt {}: HTTP {code}", a.attempt),
            Tone::Ok,
        ),
        Some(code) => (
            format!("Webhook attempt {}: HTTP {code}", a.attempt),
            Tone::Warn,
        ),
        None => (
            format!("Webhook attempt {}: no answer", a.attempt),
            Tone::Bad,
        ),
    };
    let error = a
        .error
        .as_deref()
        .map(|e| format!(" ({e})"))
        .unwrap_or_default();
    entry(
        a.started_at,
        title,
        format!("{} in {} ms to {}{error}.", a.event_id, a.latency_ms, a.url),
        tone,
    )
}

fn payout_entries(s: &SweepRecord) -> Vec<Entry> {
    let what = format!("{} to {}", usdc(s.net_units()), s.destination);
    let mut out = vec![entry(
        s.created_at_ms,
        "Payout queued",
        format!("{what}."),
        Tone::Info,
    )];
    match (s.state, s.sent_at_ms, s.txid_out.as_deref()) {
        (SweepState::Sent, Some(at), Some(txid)) => out.push(entry(
            at,
            "Payout sent",
            format!("{what}, txid_out {txid}."),
            Tone::Ok,
        )),
        (SweepState::Failed, _, _) => out.push(entry(
            s.created_at_ms,
            "Payout failed",
            s.last_error
                .clone()
                .unwrap_or_else(|| "retried with backoff".into()),
            Tone::Bad,
        )),
        _ => {}
    }
    out
}

#[cfg(test)]
#[path = "timeline_tests.rs"]
mod tests;
