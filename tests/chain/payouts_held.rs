//! Held money resolved by a person, on Anvil: `kassa deposits refund` sends
//! the partial amount of an expired session back to its sender, and
//! `kassa deposits forward` sends a late deposit to the merchant (less the
//! fee). Each request is a row the CLI queues with who asked; the server's
//! payout actor carries it out once the deposit's block is final, and the
//! money leaves the held list. `kassa payouts list` shows the sweep.

use std::time::Duration;

use alloy::primitives::Address;
use kassa::domain::payout::SweepKind;

use crate::helpers::{Backend, WALLET, kassa, stderr, stdout};
use crate::live::{Live, LiveSetup};
use crate::on_both_backends;

on_both_backends!(
    a_partial_amount_is_refunded_to_its_sender_on_request,
    a_late_deposit_is_forwarded_to_the_merchant_on_request,
);

const LIFETIME: Duration = Duration::from_secs(15 * 60);
const GRACE: Duration = Duration::from_secs(60 * 60);
const CONFIRMATIONS: u64 = 4;
const FEE_WALLET: &str = "0x00000000000000000000000000000000000fee02";

fn setup() -> LiveSetup {
    LiveSetup {
        payout_confirmations: CONFIRMATIONS,
        platform_fee_bps: 200,
        fee_wallet: Some(FEE_WALLET.into()),
        ..LiveSetup::default()
    }
}

/// `kassa ARGS` against the app's database.
async fn cli(live: &Live, args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    kassa(
        args,
        &[
            ("KASSA_DATABASE_URL", live.app.db.url.as_str()),
            ("KASSA_DATA_DIR", data.as_str()),
        ],
    )
    .await
}

/// Steps payouts until the sweep of `session` is sent.
async fn until_sent(live: &Live, session: i64) {
    for _ in 0..6 {
        live.payout_step().await;
        let sweeps = live.app.store.session_sweeps(session).await.unwrap();
        if sweeps.iter().any(|s| s.txid_out.is_some()) {
            return;
        }
    }
    panic!("no sweep of session {session} was sent");
}

async fn a_partial_amount_is_refunded_to_its_sender_on_request(backend: Backend) {
    let Some(live) = Live::start(backend, setup()).await else {
        return;
    };
    let id = live.session("REFUND", "10.00").await;
    let deposit = live.address_of(id).await;
    let partial = 3_000_000;
    let before = live.balance(live.payer.address()).await;
    live.pay(id, partial).await;
    live.mine_and_step(2).await;
    live.app
        .clock
        .advance(LIFETIME + GRACE + Duration::from_secs(1));
    live.wait_for(id, "expired", Duration::from_secs(10)).await;
    // Expired underpaid: held, never swept on its own.
    live.anvil.mine(CONFIRMATIONS).await;
    let nothing = live.payout_step().await;
    assert_eq!(nothing.created, 0, "{nothing:?}");
    let held = live.app.store.held_money(None).await.unwrap();
    assert_eq!(held.len(), 1, "{held:?}");
    let deposit_id = held[0].deposit_id.unwrap().to_string();

    let asked = cli(
        &live,
        &["deposits", "refund", &deposit_id, "--by", "ops@test"],
    )
    .await;
    assert!(asked.status.success(), "{}", stderr(&asked));
    assert!(
        stdout(&asked).contains("refund 3.00 USDC"),
        "{}",
        stdout(&asked)
    );
    let twice = cli(
        &live,
        &["deposits", "refund", &deposit_id, "--by", "ops@test"],
    )
    .await;
    assert!(!twice.status.success(), "a second request for one deposit");
    assert!(stderr(&twice).contains("already"), "{}", stderr(&twice));
    until_sent(&live, id).await;

    assert_eq!(
        live.balance(live.payer.address()).await,
        before,
        "the sender has it back"
    );
    assert_eq!(live.balance(deposit).await, 0);
    assert_eq!(
        live.balance(FEE_WALLET.parse().unwrap()).await,
        0,
        "no fee on a refund"
    );
    assert!(live.app.store.held_money(None).await.unwrap().is_empty());
    let sweeps = live.app.store.session_sweeps(id).await.unwrap();
    assert_eq!(sweeps[0].kind, SweepKind::Refund);
    let listed = cli(&live, &["payouts", "list", "--json"]).await;
    let rows: serde_json::Value = serde_json::from_str(&stdout(&listed)).unwrap();
    assert_eq!(rows[0]["kind"], "refund");
    assert_eq!(rows[0]["state"], "sent");
    assert_eq!(rows[0]["requested_by"], "ops@test");
    assert_eq!(
        rows[0]["to"].as_str().unwrap().to_lowercase(),
        format!("{:#x}", live.payer.address())
    );
    let statuses: Vec<String> = live.events(id).await.into_iter().map(|e| e.0).collect();
    assert_eq!(
        statuses,
        ["underpaid", "expired"],
        "a refund is not a payout"
    );
    live.assert_ledger_adds_up().await;
    live.done().await;
}

async fn a_late_deposit_is_forwarded_to_the_merchant_on_request(backend: Backend) {
    let Some(live) = Live::start(backend, setup()).await else {
        return;
    };
    let id = live.session("FORWARD", "10.00").await;
    let deposit = live.address_of(id).await;
    live.app
        .clock
        .advance(LIFETIME + GRACE + Duration::from_secs(1));
    live.wait_for(id, "expired", Duration::from_secs(10)).await;
    let late = 7_000_000;
    live.pay(id, late).await;
    live.mine_and_step(3).await;
    let held = live.app.store.held_money(None).await.unwrap();
    assert_eq!(held.len(), 1, "{held:?}");
    let deposit_id = held[0].deposit_id.unwrap().to_string();

    let asked = cli(
        &live,
        &["deposits", "forward", &deposit_id, "--by", "ops@test"],
    )
    .await;
    assert!(asked.status.success(), "{}", stderr(&asked));
    live.anvil.mine(CONFIRMATIONS).await;
    until_sent(&live, id).await;

    let fee = late * 200 / 10_000;
    let merchant: Address = WALLET.parse().unwrap();
    assert_eq!(live.balance(merchant).await, late - fee);
    assert_eq!(live.balance(FEE_WALLET.parse().unwrap()).await, fee);
    assert_eq!(live.balance(deposit).await, 0);
    assert!(live.app.store.held_money(None).await.unwrap().is_empty());
    let sweeps = live.app.store.session_sweeps(id).await.unwrap();
    assert_eq!(sweeps.len(), 1);
    assert_eq!(sweeps[0].kind, SweepKind::Forward);
    assert_eq!(
        live.status(id).await,
        "expired",
        "the session stays as it was"
    );
    // The merchant's accounting export lists the forward.
    let merchant_id = live.app.merchant.id.to_string();
    let csv = cli(
        &live,
        &[
            "ledger",
            "export",
            "--merchant",
            &merchant_id,
            "--since",
            "2020-01-01",
        ],
    )
    .await;
    assert!(csv.status.success(), "{}", stderr(&csv));
    let text = stdout(&csv);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with("sweep_id,session_id,order_id,kind"),
        "{text}"
    );
    let fields: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(fields[1], id.to_string());
    assert_eq!(fields[3], "forward");
    assert_eq!(
        (fields[5], fields[6], fields[7]),
        ("7.00", "0.14", "6.86"),
        "{text}"
    );
    assert_eq!(Some(fields[9]), sweeps[0].txid_out.as_deref());
    let later = cli(
        &live,
        &[
            "ledger",
            "export",
            "--merchant",
            &merchant_id,
            "--since",
            "2999-01-01",
        ],
    )
    .await;
    assert_eq!(
        stdout(&later).lines().count(),
        1,
        "only the header after --since"
    );
    let again = cli(
        &live,
        &["deposits", "forward", &deposit_id, "--by", "ops@test"],
    )
    .await;
    assert!(!again.status.success());
    assert!(stderr(&again).contains("not held"), "{}", stderr(&again));
    live.assert_ledger_adds_up().await;
    live.done().await;
}
