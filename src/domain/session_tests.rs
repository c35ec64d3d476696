#![allow(clippy::unwrap_used)]

use super::*;

const EXPIRES: i64 = 1_000_000;
const POLICY: Policy = Policy {
    grace_ms: 60_000,
    tolerance_units: 10_000,
};

fn state(status: SessionStatus, received_units: u64) -> SessionState {
    SessionState {
        status,
        expected_units: 79_000_000,
        received_units,
        expires_at_ms: EXPIRES,
    }
}

fn confirmed(amount_units: u64, observed_at_ms: i64) -> Command {
    Command::DepositConfirmed {
        amount_units,
        observed_at_ms,
    }
}

#[test]
fn a_seen_deposit_makes_a_created_session_pending() {
    let d = decide(
        &state(SessionStatus::Created, 0),
        Command::DepositSeen { observed_at_ms: 1 },
        &POLICY,
    )
    .unwrap();
    assert_eq!(d.status, SessionStatus::Pending);
    assert_eq!(d.events, vec![EventKind::Pending]);
    assert!(!d.became_paid);
}

#[test]
fn a_seen_deposit_changes_nothing_once_pending_underpaid_or_paid() {
    for status in [
        SessionStatus::Pending,
        SessionStatus::Underpaid,
        SessionStatus::Paid,
    ] {
        let r = decide(
            &state(status, 0),
            Command::DepositSeen { observed_at_ms: 1 },
            &POLICY,
        );
        assert_eq!(r, Err(Refusal::NoChange), "{status}");
    }
}

#[test]
fn a_seen_deposit_reopens_an_expired_session_only_within_grace() {
    let expired = state(SessionStatus::Expired, 0);
    let inside = decide(
        &expired,
        Command::DepositSeen {
            observed_at_ms: EXPIRES + 60_000,
        },
        &POLICY,
    )
    .unwrap();
    assert_eq!(inside.status, SessionStatus::Pending);
    let outside = decide(
        &expired,
        Command::DepositSeen {
            observed_at_ms: EXPIRES + 60_001,
        },
        &POLICY,
    );
    assert_eq!(outside, Err(Refusal::TooLate));
}

#[test]
fn the_exact_amount_confirmed_makes_the_session_paid() {
    for status in [SessionStatus::Created, SessionStatus::Pending] {
        let d = decide(&state(status, 0), confirmed(79_000_000, 5), &POLICY).unwrap();
        assert_eq!(d.status, SessionStatus::Paid);
        assert_eq!(d.received_units, 79_000_000);
        assert_eq!(d.events, vec![EventKind::Paid]);
        assert!(d.became_paid);
    }
}

#[test]
fn a_shortfall_within_tolerance_is_paid() {
    let d = decide(
        &state(SessionStatus::Created, 0),
        confirmed(78_990_000, 5),
        &POLICY,
    )
    .unwrap();
    assert_eq!(d.status, SessionStatus::Paid);
}

#[test]
fn a_shortfall_beyond_tolerance_is_underpaid() {
    let d = decide(
        &state(SessionStatus::Created, 0),
        confirmed(78_989_999, 5),
        &POLICY,
    )
    .unwrap();
    assert_eq!(d.status, SessionStatus::Underpaid);
    assert_eq!(d.events, vec![EventKind::Underpaid]);
    assert!(!d.became_paid);
}

#[test]
fn a_second_deposit_completes_an_underpaid_session() {
    let d = decide(
        &state(SessionStatus::Underpaid, 40_000_000),
        confirmed(39_000_000, 5),
        &POLICY,
    )
    .unwrap();
    assert_eq!(d.status, SessionStatus::Paid);
    assert_eq!(d.received_units, 79_000_000);
}

#[test]
fn too_much_is_paid_with_an_overpaid_event() {
    let d = decide(
        &state(SessionStatus::Created, 0),
        confirmed(80_000_000, 5),
        &POLICY,
    )
    .unwrap();
    assert_eq!(d.status, SessionStatus::Paid);
    assert_eq!(d.events, vec![EventKind::Paid, EventKind::Overpaid]);
}

#[test]
fn more_money_after_paid_is_recorded_as_overpaid() {
    let d = decide(
        &state(SessionStatus::Paid, 79_000_000),
        confirmed(1_000_000, 5),
        &POLICY,
    )
    .unwrap();
    assert_eq!(d.status, SessionStatus::Paid);
    assert_eq!(d.received_units, 80_000_000);
    assert_eq!(d.events, vec![EventKind::Overpaid]);
    assert!(!d.became_paid);
}

#[test]
fn a_payment_within_grace_makes_an_expired_session_paid_late() {
    let d = decide(
        &state(SessionStatus::Expired, 0),
        confirmed(79_000_000, EXPIRES + 30_000),
        &POLICY,
    )
    .unwrap();
    assert_eq!(d.status, SessionStatus::Paid);
    assert_eq!(d.events, vec![EventKind::Paid, EventKind::PaidLate]);
}

#[test]
fn a_payment_after_grace_is_refused() {
    let r = decide(
        &state(SessionStatus::Expired, 0),
        confirmed(79_000_000, EXPIRES + 60_001),
        &POLICY,
    );
    assert_eq!(r, Err(Refusal::TooLate));
}

#[test]
fn a_confirmation_of_a_deposit_seen_in_time_is_not_late() {
    let d = decide(
        &state(SessionStatus::Pending, 0),
        confirmed(79_000_000, EXPIRES - 1),
        &POLICY,
    )
    .unwrap();
    assert_eq!(d.events, vec![EventKind::Paid]);
}

#[test]
fn a_created_session_expires_once_its_time_has_come() {
    let early = decide(
        &state(SessionStatus::Created, 0),
        Command::Expire {
            now_ms: EXPIRES - 1,
            force: false,
        },
        &POLICY,
    );
    assert_eq!(early, Err(Refusal::NotYetDue));
    let due = decide(
        &state(SessionStatus::Created, 0),
        Command::Expire {
            now_ms: EXPIRES,
            force: false,
        },
        &POLICY,
    )
    .unwrap();
    assert_eq!(due.status, SessionStatus::Expired);
    assert_eq!(due.events, vec![EventKind::Expired]);
}

#[test]
fn a_forced_expiry_ends_a_created_session_early() {
    let d = decide(
        &state(SessionStatus::Created, 0),
        Command::Expire {
            now_ms: 0,
            force: true,
        },
        &POLICY,
    )
    .unwrap();
    assert_eq!(d.status, SessionStatus::Expired);
}

#[test]
fn sessions_with_money_in_flight_or_final_do_not_expire() {
    let cases = [
        (SessionStatus::Pending, Refusal::PaymentInProgress),
        (SessionStatus::Underpaid, Refusal::PaymentInProgress),
        (
            SessionStatus::Paid,
            Refusal::AlreadyFinal(SessionStatus::Paid),
        ),
        (
            SessionStatus::Expired,
            Refusal::AlreadyFinal(SessionStatus::Expired),
        ),
    ];
    for (status, refusal) in cases {
        let r = decide(
            &state(status, 0),
            Command::Expire {
                now_ms: EXPIRES + 1,
                force: true,
            },
            &POLICY,
        );
        assert_eq!(r, Err(refusal), "{status}");
    }
}

#[test]
fn every_status_round_trips_through_its_name() {
    for status in SessionStatus::ALL {
        assert_eq!(status.as_str().parse::<SessionStatus>().unwrap(), status);
    }
    assert!("open".parse::<SessionStatus>().is_err());
}

fn reversed(amount_units: u64) -> Command {
    Command::DepositReversed { amount_units }
}

#[test]
fn reversing_the_only_deposit_of_a_paid_session_makes_it_pending_again() {
    let d = decide(
        &state(SessionStatus::Paid, 79_000_000),
        reversed(79_000_000),
        &POLICY,
    )
    .unwrap();
    assert_eq!(d.status, SessionStatus::Pending);
    assert_eq!(d.received_units, 0);
    assert_eq!(d.events, vec![EventKind::Reversed]);
    assert!(!d.became_paid);
}

#[test]
fn reversing_part_of_a_paid_session_leaves_it_underpaid() {
    let d = decide(
        &state(SessionStatus::Paid, 79_000_000),
        reversed(30_000_000),
        &POLICY,
    )
    .unwrap();
    assert_eq!(d.status, SessionStatus::Underpaid);
    assert_eq!(d.received_units, 49_000_000);
    assert_eq!(d.events, vec![EventKind::Reversed]);
}

#[test]
fn reversing_only_the_excess_keeps_a_session_paid() {
    let d = decide(
        &state(SessionStatus::Paid, 90_000_000),
        reversed(11_000_000),
        &POLICY,
    )
    .unwrap();
    assert_eq!(d.status, SessionStatus::Paid);
    assert_eq!(d.received_units, 79_000_000);
    assert_eq!(d.events, vec![EventKind::Reversed]);
}

#[test]
fn reversing_an_underpaid_sessions_deposit_makes_it_pending() {
    let d = decide(
        &state(SessionStatus::Underpaid, 40_000_000),
        reversed(40_000_000),
        &POLICY,
    )
    .unwrap();
    assert_eq!(d.status, SessionStatus::Pending);
    assert_eq!(d.received_units, 0);
}

#[test]
fn a_reversal_changes_nothing_where_nothing_was_counted() {
    for status in [
        SessionStatus::Created,
        SessionStatus::Pending,
        SessionStatus::Expired,
    ] {
        assert_eq!(
            decide(&state(status, 0), reversed(1), &POLICY),
            Err(Refusal::NoChange),
            "{status}"
        );
    }
}

#[test]
fn a_reversal_larger_than_what_was_counted_or_of_nothing_is_refused() {
    let paid = state(SessionStatus::Paid, 79_000_000);
    assert_eq!(
        decide(&paid, reversed(79_000_001), &POLICY),
        Err(Refusal::NoChange)
    );
    assert_eq!(decide(&paid, reversed(0), &POLICY), Err(Refusal::NoChange));
}

#[test]
fn a_reversed_deposit_that_confirms_again_pays_the_session_again() {
    let pending = decide(
        &state(SessionStatus::Paid, 79_000_000),
        reversed(79_000_000),
        &POLICY,
    )
    .unwrap();
    let again = SessionState {
        status: pending.status,
        received_units: pending.received_units,
        ..state(SessionStatus::Paid, 0)
    };
    let d = decide(&again, confirmed(79_000_000, 10), &POLICY).unwrap();
    assert_eq!(d.status, SessionStatus::Paid);
    assert_eq!(d.events, vec![EventKind::Paid]);
    assert!(d.became_paid);
}

#[test]
fn a_customer_can_cancel_an_open_session_only() {
    let d = decide(&state(SessionStatus::Created, 0), Command::Cancel, &POLICY).unwrap();
    assert_eq!(d.status, SessionStatus::Cancelled);
    assert_eq!(d.events, vec![EventKind::Cancelled]);
    for (status, refusal) in [
        (SessionStatus::Pending, Refusal::PaymentInProgress),
        (SessionStatus::Underpaid, Refusal::PaymentInProgress),
        (
            SessionStatus::Paid,
            Refusal::AlreadyFinal(SessionStatus::Paid),
        ),
        (
            SessionStatus::Expired,
            Refusal::AlreadyFinal(SessionStatus::Expired),
        ),
        (
            SessionStatus::Cancelled,
            Refusal::AlreadyFinal(SessionStatus::Cancelled),
        ),
    ] {
        assert_eq!(
            decide(&state(status, 0), Command::Cancel, &POLICY),
            Err(refusal),
            "{status}"
        );
    }
}

#[test]
fn money_that_reaches_a_cancelled_session_in_time_still_pays_it() {
    let cancelled = state(SessionStatus::Cancelled, 0);
    let d = decide(&cancelled, confirmed(79_000_000, EXPIRES - 1), &POLICY).unwrap();
    assert_eq!(d.status, SessionStatus::Paid);
    assert!(d.became_paid);
    let seen = decide(
        &cancelled,
        Command::DepositSeen { observed_at_ms: 5 },
        &POLICY,
    )
    .unwrap();
    assert_eq!(seen.status, SessionStatus::Pending);
    assert_eq!(
        decide(&cancelled, confirmed(79_000_000, EXPIRES + 60_001), &POLICY),
        Err(Refusal::TooLate)
    );
}

#[test]
fn a_cancelled_session_is_not_expired_again() {
    assert_eq!(
        decide(
            &state(SessionStatus::Cancelled, 0),
            Command::Expire {
                now_ms: EXPIRES,
                force: false
            },
            &POLICY
        ),
        Err(Refusal::AlreadyFinal(SessionStatus::Cancelled))
    );
}

#[test]
fn cancelled_is_a_stored_status() {
    assert_eq!(
        "cancelled".parse::<SessionStatus>().unwrap(),
        SessionStatus::Cancelled
    );
}

fn dropped(now_ms: i64, others_waiting: bool) -> Command {
    Command::DepositDropped {
        now_ms,
        others_waiting,
    }
}

#[test]
fn a_pending_session_whose_only_deposit_was_dropped_is_created_again() {
    let d = decide(
        &state(SessionStatus::Pending, 0),
        dropped(EXPIRES - 1, false),
        &POLICY,
    )
    .unwrap();
    assert_eq!(d.status, SessionStatus::Created);
    assert!(d.events.is_empty());
}

#[test]
fn a_pending_session_whose_only_deposit_was_dropped_after_its_time_expires() {
    let d = decide(
        &state(SessionStatus::Pending, 0),
        dropped(EXPIRES, false),
        &POLICY,
    )
    .unwrap();
    assert_eq!(d.status, SessionStatus::Expired);
    assert_eq!(d.events, vec![EventKind::Expired]);
}

#[test]
fn a_dropped_deposit_leaves_a_session_alone_while_another_waits_or_money_counts() {
    assert_eq!(
        decide(&state(SessionStatus::Pending, 0), dropped(0, true), &POLICY),
        Err(Refusal::NoChange)
    );
    for status in [
        SessionStatus::Created,
        SessionStatus::Paid,
        SessionStatus::Underpaid,
        SessionStatus::Expired,
        SessionStatus::Cancelled,
    ] {
        assert_eq!(
            decide(&state(status, 0), dropped(0, false), &POLICY),
            Err(Refusal::NoChange),
            "{status}"
        );
    }
}

#[test]
fn an_underpaid_session_expires_once_its_grace_window_has_passed_keeping_what_it_received() {
    let underpaid = state(SessionStatus::Underpaid, 40_000_000);
    let expire = |now_ms| Command::Expire {
        now_ms,
        force: false,
    };
    assert_eq!(
        decide(&underpaid, expire(EXPIRES + POLICY.grace_ms), &POLICY),
        Err(Refusal::PaymentInProgress)
    );
    let d = decide(&underpaid, expire(EXPIRES + POLICY.grace_ms + 1), &POLICY).unwrap();
    assert_eq!(d.status, SessionStatus::Expired);
    assert_eq!(d.received_units, 40_000_000);
    assert_eq!(d.events, vec![EventKind::Expired]);
}

#[test]
fn a_reversal_on_an_expired_session_shrinks_what_it_holds() {
    let d = decide(
        &state(SessionStatus::Expired, 40_000_000),
        reversed(40_000_000),
        &POLICY,
    )
    .unwrap();
    assert_eq!(d.status, SessionStatus::Expired);
    assert_eq!(d.received_units, 0);
    assert_eq!(d.events, vec![EventKind::Reversed]);
}

#[test]
fn a_payout_is_announced_on_a_paid_session_without_changing_it() {
    let paid = state(SessionStatus::Paid, 50_000_000);
    let d = decide(&paid, Command::PayoutSent, &POLICY).unwrap();
    assert_eq!(d.status, SessionStatus::Paid);
    assert_eq!(d.received_units, 50_000_000);
    assert_eq!(d.events, vec![EventKind::PayoutSent]);
    assert!(!d.became_paid, "a payout must never read as a new payment");
    // Held money forwarded from a closed session is recorded, not announced.
    let expired = state(SessionStatus::Expired, 10_000_000);
    let d = decide(&expired, Command::PayoutSent, &POLICY).unwrap();
    assert_eq!(d.status, SessionStatus::Expired);
    assert!(d.events.is_empty());
}
