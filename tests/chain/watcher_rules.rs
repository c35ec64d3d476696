//! The confirmation rules on a real node: a head lag keeps the newest
//! blocks unread; under depth finality a small payment counts at its
//! depth while a large one also waits for the node's `finalized` block
//! (Anvil's trails the head by two).

use crate::conservation::assert_conserved;
use crate::helpers::Backend;
use crate::live::{Live, LiveSetup};
use crate::on_both_backends;

on_both_backends!(
    with_a_head_lag_of_two_a_payment_is_not_seen_until_two_blocks_cover_it,
    under_depth_finality_a_large_payment_waits_for_the_finalized_block,
);

async fn with_a_head_lag_of_two_a_payment_is_not_seen_until_two_blocks_cover_it(backend: Backend) {
    let setup = LiveSetup {
        head_lag_blocks: 2,
        ..LiveSetup::default()
    };
    let Some(live) = Live::start(backend, setup).await else {
        return;
    };
    let id = live.session("LAG", "10.00").await;
    let owed = live.owed_units(id).await;

    live.pay(id, owed).await;
    let in_head = live.step().await;
    let at_head = live.status(id).await;
    live.mine_and_step(1).await;
    let one_above = live.status(id).await;
    let covered = live.mine_and_step(1).await;

    assert_eq!(in_head.processed, in_head.head - 2, "{in_head:?}");
    assert_eq!(
        (at_head.as_str(), one_above.as_str()),
        ("created", "created")
    );
    assert_eq!(covered.counted, 1, "three deep once read: {covered:?}");
    assert_eq!(live.status(id).await, "paid");
    let events: Vec<String> = live.events(id).await.into_iter().map(|e| e.0).collect();
    assert_eq!(events, ["paid"]);
    assert_conserved(&live.anvil, &live.app.store, &[id]).await;
    live.done().await;
}

async fn under_depth_finality_a_large_payment_waits_for_the_finalized_block(backend: Backend) {
    let setup = LiveSetup {
        required_confirmations: 1,
        finality: "depth",
        large_payment_usdc: "100",
        ..LiveSetup::default()
    };
    let Some(live) = Live::start(backend, setup).await else {
        return;
    };
    let small = live.session("SMALL", "10.00").await;
    let large = live.session("LARGE", "500.00").await;
    let (small_owed, large_owed) = (live.owed_units(small).await, live.owed_units(large).await);

    live.pay(small, small_owed).await;
    live.step().await;
    live.pay(large, large_owed).await;
    let one = live.step().await;
    let large_at_one = live.status(large).await;
    live.mine_and_step(1).await;
    let large_at_two = live.status(large).await;
    let three = live.mine_and_step(1).await;

    assert_eq!(
        live.status(small).await,
        "paid",
        "one confirmation is enough"
    );
    assert_eq!(one.finalized, Some(one.head - 2));
    assert_eq!(
        (large_at_one.as_str(), large_at_two.as_str()),
        ("pending", "pending")
    );
    assert_eq!(three.counted, 1, "{three:?}");
    assert_eq!(live.status(large).await, "paid");
    assert_conserved(&live.anvil, &live.app.store, &[small, large]).await;
    live.done().await;
}
