//! Money that arrives around a session's end, on Anvil: an underpaid session
//! whose grace window runs out expires with its partial amount held; a
//! payment within the grace window still pays an expired session; one after
//! it is held as `late` and leaves the session as it was. The clock is the
//! test's (`app.clock`); the expiry sweeper ends sessions every 50 ms.

use std::time::Duration;

use kassa::domain::held::HeldKind;

use crate::conservation::assert_conserved;
use crate::helpers::Backend;
use crate::live::{Live, LiveSetup};
use crate::on_both_backends;

/// The test settings' session lifetime and grace window (the defaults).
const LIFETIME: Duration = Duration::from_secs(15 * 60);
const GRACE: Duration = Duration::from_secs(60 * 60);
const WAIT: Duration = Duration::from_secs(10);

on_both_backends!(
    an_underpaid_session_expires_after_its_grace_window_with_the_partial_amount_held,
    a_payment_within_the_grace_window_pays_an_expired_session_late,
    a_payment_after_the_grace_window_is_held_late_and_the_session_stays_expired,
);

async fn an_underpaid_session_expires_after_its_grace_window_with_the_partial_amount_held(
    backend: Backend,
) {
    let Some(live) = Live::start(backend, LiveSetup::default()).await else {
        return;
    };
    let id = live.session("PARTIAL", "10.00").await;
    let partial = 3_000_000;
    let paid = live.pay(id, partial).await;
    live.mine_and_step(2).await;
    assert_eq!(live.status(id).await, "underpaid");

    live.app
        .clock
        .advance(LIFETIME + GRACE + Duration::from_secs(1));
    live.wait_for(id, "expired", WAIT).await;

    let view = live.view(id).await;
    assert_eq!(view["paid_value_coin"], "3.00");
    let events = live.events(id).await;
    let (last, payload) = events.last().unwrap();
    assert_eq!(last, "expired");
    assert_eq!(payload["paid_value_coin"], "3.00");
    let held = live.app.store.held_money(None).await.unwrap();
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0].kind, HeldKind::Partial);
    assert_eq!(held[0].session_id, id);
    assert_eq!(held[0].amount.units(), partial);
    assert_eq!(
        held[0].tx_hash.as_deref(),
        Some(format!("{:#x}", paid.transaction_hash).as_str())
    );
    assert_eq!(
        held[0].from_address.as_deref(),
        Some(live.payer.address().to_checksum(None).as_str())
    );
    assert_conserved(&live.anvil, &live.app.store, &[id]).await;
    live.done().await;
}

async fn a_payment_within_the_grace_window_pays_an_expired_session_late(backend: Backend) {
    let Some(live) = Live::start(backend, LiveSetup::default()).await else {
        return;
    };
    let id = live.session("LATE_OK", "10.00").await;
    let owed = live.owed_units(id).await;
    live.app.clock.advance(LIFETIME + Duration::from_secs(1));
    live.wait_for(id, "expired", WAIT).await;

    live.pay(id, owed).await;
    live.step().await;
    let seen = live.status(id).await;
    live.mine_and_step(2).await;

    assert_eq!(seen, "pending", "a payment in the grace window reopens it");
    assert_eq!(live.status(id).await, "paid");
    let events: Vec<String> = live.events(id).await.into_iter().map(|e| e.0).collect();
    assert_eq!(events, ["expired", "pending", "paid", "paid_late"]);
    assert!(live.app.store.held_money(None).await.unwrap().is_empty());
    assert_conserved(&live.anvil, &live.app.store, &[id]).await;
    live.done().await;
}

async fn a_payment_after_the_grace_window_is_held_late_and_the_session_stays_expired(
    backend: Backend,
) {
    let Some(live) = Live::start(backend, LiveSetup::default()).await else {
        return;
    };
    let id = live.session("TOO_LATE", "10.00").await;
    let owed = live.owed_units(id).await;
    live.app
        .clock
        .advance(LIFETIME + GRACE + Duration::from_secs(1));
    live.wait_for(id, "expired", WAIT).await;
    let before = live.view(id).await;

    let paid = live.pay(id, owed).await;
    live.step().await;
    live.mine_and_step(2).await;

    let after = live.view(id).await;
    assert_eq!(after["status"], "expired");
    assert_eq!(after["paid_value_coin"], before["paid_value_coin"]);
    assert_eq!(after["txid_in"], before["txid_in"]);
    let events: Vec<String> = live.events(id).await.into_iter().map(|e| e.0).collect();
    assert_eq!(events, ["expired"], "a held deposit announces nothing");
    let held = live.app.store.held_money(None).await.unwrap();
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0].kind, HeldKind::Late);
    assert_eq!(held[0].amount.units(), owed);
    assert_eq!(
        held[0].tx_hash.as_deref(),
        Some(format!("{:#x}", paid.transaction_hash).as_str())
    );
    let audit = assert_conserved(&live.anvil, &live.app.store, &[id]).await;
    assert_eq!(audit.by_state["late"], owed);
    assert_eq!(audit.by_state["counted"], 0);
    live.done().await;
}
