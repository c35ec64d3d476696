#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::domain::money::{Currency, Money};
use crate::domain::payout::{SweepKind, SweepMethod};
use crate::domain::session::SessionStatus;
use crate::domain::shop_domain::ShopDomain;
use crate::domain::wallet::WalletAddress;

const WALLET: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

fn session() -> SessionRecord {
    SessionRecord {
        id: 7,
        merchant_id: 1,
        hd_index: 0,
        deposit_address: WalletAddress::parse(WALLET).unwrap(),
        order_id: Some("A-1".into()),
        amount: Money::from_minor(7900, Currency::parse("EUR").unwrap()),
        expected: UsdcAmount::from_units(85_320_000),
        received: UsdcAmount::from_units(85_320_000),
        status: SessionStatus::Paid,
        version: 3,
        event_count: 2,
        shop_domain: ShopDomain::parse("shop.example").unwrap(),
        customer_email: None,
        return_url: None,
        cancel_url: None,
        webhook_url: None,
        meta: None,
        routing_hint: Some("card".into()),
        selected_provider: Some("moonpay".into()),
        routing_reason: Some("cheapest for NL".into()),
        source: crate::domain::session_source::SessionSource::Api,
        txid_in: None,
        txid_out: None,
        last_error: None,
        test: true,
        created_at_ms: 1_000,
        expires_at_ms: 901_000,
        paid_at_ms: Some(5_000),
    }
}

fn event(status: &str, at: i64) -> OutboxRow {
    OutboxRow {
        id: 1,
        event_id: format!("evt_{status}"),
        session_id: 7,
        merchant_id: 1,
        sequence: 1,
        status: status.into(),
        payload: "{}".into(),
        target_url: None,
        state: "delivered".into(),
        attempts: 2,
        next_attempt_at: at,
        created_at: at,
        delivered_at: Some(at + 900),
        last_error: None,
        claimed_by: None,
        claim_until: None,
    }
}

fn attempt(n: i32, at: i64, code: Option<i32>) -> AttemptRow {
    AttemptRow {
        id: i64::from(n),
        event_row_id: 1,
        event_id: "evt_paid".into(),
        session_id: 7,
        attempt: n,
        url: "https://shop.example/hook".into(),
        scheduled_at: at,
        started_at: at,
        http_status: code,
        latency_ms: 42,
        error: code.is_none().then(|| "timed out".into()),
        response_snippet: None,
    }
}

fn sweep() -> SweepRecord {
    SweepRecord {
        id: 3,
        session_id: 7,
        sequence: 1,
        merchant_id: 1,
        kind: SweepKind::Sweep,
        deposit_address: WALLET.into(),
        hd_index: 0,
        destination: WALLET.into(),
        fee_wallet: None,
        amount_units: 85_320_000,
        fee_units: 320_000,
        method: SweepMethod::Eip3009,
        lane: "a".into(),
        state: SweepState::Sent,
        txid_out: Some("0xfeed".into()),
        attempts: 1,
        next_attempt_at_ms: 8_000,
        last_error: None,
        created_at_ms: 8_000,
        sent_at_ms: Some(9_000),
        announced_at_ms: None,
        requested_by: None,
        leftover_wei: None,
    }
}

#[test]
fn a_paid_session_reads_from_creation_to_payout_in_time_order() {
    let deposit = SessionDeposit {
        id: 11,
        tx_hash: "0xbeef".into(),
        amount_units: 85_320_000,
        confirmations: 14,
        state: DepositState::Counted,
        block_number: Some(100),
        from_address: None,
        observed_at_ms: 3_000,
    };
    let marks = [JournalMark {
        kind: EntryKind::Counted,
        at_ms: 5_000,
        deposit_id: Some(11),
    }];
    let hooks = [(
        event("paid", 5_000),
        vec![attempt(1, 6_000, None), attempt(2, 7_000, Some(200))],
    )];
    let timeline = build(&session(), &[deposit], &marks, &hooks, &[sweep()]);
    let titles: Vec<&str> = timeline.iter().map(|e| e.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Created",
            "Routing decision",
            "Deposit seen",
            "Deposit confirmed",
            "Paid",
            "Webhook attempt 1: no answer",
            "Webhook attempt 2: HTTP 200",
            "Payout queued",
            "Payout sent",
        ]
    );
    assert_eq!(timeline[1].detail, "Provider moonpay: cheapest for NL.");
    assert!(timeline[3].detail.starts_with("14 confirmations"));
    assert_eq!(timeline[4].event_id.as_deref(), Some("evt_paid"));
    assert_eq!(timeline[5].tone, Tone::Bad);
    assert!(timeline[6].detail.contains("42 ms"));
    assert!(timeline[8].detail.contains("85.00 USDC"), "net of the fee");
    assert!(timeline[8].detail.contains("txid_out 0xfeed"));
}

#[test]
fn a_deposit_still_confirming_says_so() {
    let deposit = SessionDeposit {
        id: 11,
        tx_hash: "0xbeef".into(),
        amount_units: 1,
        confirmations: 2,
        state: DepositState::Seen,
        block_number: None,
        from_address: None,
        observed_at_ms: 3_000,
    };
    let mut s = session();
    s.routing_hint = None;
    s.selected_provider = None;
    s.routing_reason = None;
    let timeline = build(&s, &[deposit], &[], &[], &[]);
    assert_eq!(timeline.len(), 4);
    assert_eq!(timeline[3].title, "Waiting for confirmations");
    assert_eq!(timeline[3].detail, "2 confirmations");
    assert!(timeline[1].detail.starts_with("No method hint"));
}
