#![allow(clippy::unwrap_used)]

use super::*;

const OLD: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const NEW: &str = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359";
const OTHER: &str = "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB";
const DAY: Duration = Duration::from_secs(86_400);
const DAY_MS: i64 = 86_400_000;
const T0: i64 = 1_000_000;

fn with_old() -> PayoutWallets {
    PayoutWallets::current_only(Some(OLD.into()))
}

#[test]
fn a_change_with_a_cool_off_waits_and_the_old_wallet_stays_in_force_until_then() {
    let (stored, outcome) = with_old().request(NEW, Timing::AfterCoolOff, DAY, T0);
    let pending = PendingWallet {
        wallet: NEW.into(),
        effective_at_ms: T0 + DAY_MS,
        requested_at_ms: T0,
    };
    assert_eq!(
        outcome,
        ChangeOutcome::Scheduled {
            old: Some(OLD.into()),
            pending: pending.clone(),
            repeated: false
        }
    );
    assert_eq!(stored.in_force_at(T0), Some(OLD));
    assert_eq!(stored.in_force_at(T0 + DAY_MS - 1), Some(OLD));
    assert_eq!(stored.pending_at(T0 + DAY_MS - 1), Some(&pending));
    assert_eq!(stored.in_force_at(T0 + DAY_MS), Some(NEW));
    assert_eq!(stored.pending_at(T0 + DAY_MS), None);
}

#[test]
fn a_zero_cool_off_or_the_operator_override_changes_at_once() {
    for (timing, cooloff) in [(Timing::AfterCoolOff, Duration::ZERO), (Timing::Now, DAY)] {
        let (stored, outcome) = with_old().request(NEW, timing, cooloff, T0);
        assert_eq!(
            outcome,
            ChangeOutcome::Immediate {
                old: Some(OLD.into()),
                new: NEW.into()
            }
        );
        assert_eq!(stored.in_force_at(T0), Some(NEW));
        assert_eq!(stored.pending_at(T0), None);
    }
}

#[test]
fn the_first_wallet_of_a_merchant_without_one_is_immediate() {
    let (stored, outcome) = PayoutWallets::default().request(NEW, Timing::AfterCoolOff, DAY, T0);
    assert_eq!(
        outcome,
        ChangeOutcome::Immediate {
            old: None,
            new: NEW.into()
        }
    );
    assert_eq!(stored.in_force_at(T0), Some(NEW));
}

#[test]
fn settling_a_due_change_changes_nothing_a_reader_sees() {
    let (stored, _) = with_old().request(NEW, Timing::AfterCoolOff, DAY, T0);
    for now in [T0, T0 + DAY_MS - 1, T0 + DAY_MS, T0 + 2 * DAY_MS] {
        let settled = stored.settled(now);
        for later in [now, now + 1, now + DAY_MS, now + 3 * DAY_MS] {
            assert_eq!(settled.in_force_at(later), stored.in_force_at(later));
        }
    }
    let due = stored.settled(T0 + DAY_MS);
    assert_eq!(due.stored_current(), Some(NEW));
    assert_eq!(due.stored_pending(), None);
}

#[test]
fn a_newer_request_replaces_a_pending_one_and_starts_the_wait_again() {
    let (first, _) = with_old().request(NEW, Timing::AfterCoolOff, DAY, T0);
    let later = T0 + DAY_MS / 2;
    let (second, outcome) = first.request(OTHER, Timing::AfterCoolOff, DAY, later);
    assert!(matches!(
        outcome,
        ChangeOutcome::Scheduled { ref pending, repeated: false, .. }
            if pending.wallet == OTHER && pending.effective_at_ms == later + DAY_MS
    ));
    assert_eq!(
        second.in_force_at(T0 + DAY_MS),
        Some(OLD),
        "NEW never takes effect"
    );
    assert_eq!(second.in_force_at(later + DAY_MS), Some(OTHER));
}

#[test]
fn asking_again_for_the_pending_wallet_keeps_its_time() {
    let (first, _) = with_old().request(NEW, Timing::AfterCoolOff, DAY, T0);
    let lower = NEW.to_ascii_lowercase();
    let (second, outcome) = first.request(&lower, Timing::AfterCoolOff, DAY, T0 + 5_000);
    assert!(matches!(
        outcome,
        ChangeOutcome::Scheduled { ref pending, repeated: true, .. }
            if pending.effective_at_ms == T0 + DAY_MS
    ));
    assert_eq!(second, first);
}

#[test]
fn asking_for_the_wallet_in_force_drops_a_pending_change() {
    let (pending, _) = with_old().request(NEW, Timing::AfterCoolOff, DAY, T0);
    let (stored, outcome) = pending.request(OLD, Timing::AfterCoolOff, DAY, T0 + 1);
    assert!(matches!(
        outcome,
        ChangeOutcome::Unchanged { dropped: Some(ref p) } if p.wallet == NEW
    ));
    assert_eq!(stored.in_force_at(T0 + 2 * DAY_MS), Some(OLD));
    let (_, again) = stored.request(OLD, Timing::AfterCoolOff, DAY, T0 + 2);
    assert_eq!(again, ChangeOutcome::Unchanged { dropped: None });
}

#[test]
fn cancelling_keeps_the_old_wallet_and_needs_a_change_still_waiting() {
    let (pending, _) = with_old().request(NEW, Timing::AfterCoolOff, DAY, T0);
    let (stored, dropped) = pending.cancel(T0 + 1).unwrap();
    assert_eq!(dropped.wallet, NEW);
    assert_eq!(stored.in_force_at(T0 + 2 * DAY_MS), Some(OLD));
    assert_eq!(stored.cancel(T0 + 2), Err(NothingPending));
    assert_eq!(
        pending.cancel(T0 + DAY_MS),
        Err(NothingPending),
        "a change that took effect is no longer pending"
    );
}

#[test]
fn a_blank_stored_wallet_is_no_wallet() {
    let wallets = PayoutWallets::from_stored(
        Some(" ".into()),
        Some(PendingWallet {
            wallet: String::new(),
            effective_at_ms: 0,
            requested_at_ms: 0,
        }),
    );
    assert_eq!(wallets.in_force_at(T0), None);
    assert_eq!(wallets.pending_at(0), None);
}
