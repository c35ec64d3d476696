//! Payout benchmark on Anvil: how many sweeps per second Kassa's payout
//! actor gets out for N paid sessions (default 1,000), on each sweep path
//! (EIP-3009 authorizations with the test USDC; gas top-up with the plain
//! token and `token_eip3009 = "off"`), beside the baseline measured in the
//! same run on the same node: a bare loop that hands N pre-signed transfers
//! of the same kind (for N other funded addresses) to Anvil with
//! `eth_sendRawTransaction`, then reads every receipt. That is the floor of
//! what any gateway could do on this node; the ratio says how much of it
//! Kassa keeps. Also the gas and the fee (POL) each sweep cost, every leg
//! counted (the top-up too).
//!
//! Kassa is timed around `Payouts::run()` calls only (the count of sent
//! sweeps between steps is read from the store outside the clock), from the
//! first step (which makes the sweeps) until every session's sweep is sent.
//! Anvil mines each transaction as it arrives, so a step's broadcasts have
//! receipts by the next step. No platform fee: one transfer per sweep (plus
//! the top-up on that path).
//!
//! Run: `cargo bench --bench payouts` (options after `--`: `--sessions N`,
//! `--path eip3009|topup|both`). Needs Anvil (`npm install --prefix
//! /tmp/kassa-node @foundry-rs/anvil`, or `KASSA_TEST_ANVIL`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

#[path = "chain/app.rs"]
#[allow(dead_code)]
mod app;
#[path = "payouts/baseline.rs"]
mod baseline;
#[path = "payouts/kassa.rs"]
mod kassa_run;

#[path = "../tests/chain/anvil.rs"]
#[allow(dead_code)]
mod anvil;

/// What `anvil.rs` expects from the test helpers.
mod helpers {
    pub fn skip(why: &str) {
        println!("skipped: {why}");
    }
}

use std::sync::Arc;

use alloy::primitives::Address;
use futures_util::StreamExt;

use anvil::Anvil;
use app::EXPECTED_UNITS;
use common::flag;
use kassa::domain::checkout_session::NewSession;
use kassa::startup::Application;

/// Blocks a deposit must be under before it is swept (small: the run is
/// about sending, not waiting).
pub(crate) const PAYOUT_CONFIRMATIONS: u64 = 2;
/// Recipients per `batchTransfer` when paying sessions and funding the
/// baseline's addresses.
pub(crate) const CHUNK: usize = 250;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Path {
    Eip3009,
    TopUp,
}

impl Path {
    fn label(self) -> &'static str {
        match self {
            Path::Eip3009 => "EIP-3009 (test USDC, gas account submits)",
            Path::TopUp => "top-up (plain token, token_eip3009 = off)",
        }
    }
}

/// Sends each of `tos` `EXPECTED_UNITS` of the token: `batchTransfer` in
/// chunks where the token has it (the test USDC), else one `transfer` each
/// from dev account 0 (the plain token has no batch call).
pub(crate) async fn pay(anvil: &Anvil, path: Path, tos: &[Address]) {
    match path {
        Path::Eip3009 => {
            for chunk in tos.chunks(CHUNK) {
                anvil
                    .batch_transfer(chunk, &vec![EXPECTED_UNITS; chunk.len()])
                    .await;
            }
        }
        Path::TopUp => {
            let sender = Anvil::dev_account(0);
            anvil
                .mint(sender.address(), EXPECTED_UNITS * tos.len() as u64)
                .await;
            for to in tos {
                anvil.transfer(&sender, *to, EXPECTED_UNITS).await;
            }
        }
    }
}

/// One path's figures.
pub(crate) struct Figures {
    path: Path,
    kassa: kassa_run::KassaRun,
    base: baseline::BaselineRun,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let sessions = flag(&args, "--sessions")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000usize)
        .max(1);
    let paths = match flag(&args, "--path").as_deref().unwrap_or("both") {
        "eip3009" => vec![Path::Eip3009],
        "topup" => vec![Path::TopUp],
        "both" => vec![Path::Eip3009, Path::TopUp],
        other => panic!("--path {other}: expected eip3009, topup or both"),
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    kassa::telemetry::init("warn");
    actix_web::rt::System::new().block_on(run(sessions, paths));
}

async fn run(n: usize, paths: Vec<Path>) {
    println!("# Kassa payout benchmark (Anvil automine, live mode, SQLite)");
    println!(
        "# {n} paid sessions per path; payout_confirmations {PAYOUT_CONFIRMATIONS}; no platform fee"
    );
    let mut all = Vec::new();
    for path in paths {
        let Some(anvil) = Anvil::start().await else {
            return;
        };
        println!("\n## {}", path.label());
        let kassa = kassa_run::run(&anvil, path, n).await;
        let base = baseline::run(&anvil, path, n).await;
        println!(
            "baseline: {n} pre-signed transfers sent in {:.3} s, receipts read in {:.3} s",
            base.send.as_secs_f64(),
            base.receipts.as_secs_f64()
        );
        all.push(Figures { path, kassa, base });
    }
    print_table(n, &all);
}

fn print_table(n: usize, all: &[Figures]) {
    println!("\n## Results ({n} sessions per path; Anvil on the same 2 shared cores)\n");
    println!(
        "| path | Kassa sweeps/s | steps | baseline transfers/s | Kassa / baseline | tx per sweep | gas per sweep | fee per sweep (POL) | baseline gas per transfer |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for f in all {
        let k = n as f64 / f.kassa.elapsed.as_secs_f64();
        let b = n as f64 / (f.base.send + f.base.receipts).as_secs_f64();
        println!(
            "| {} | {k:.1} | {} | {b:.1} | {:.2} | {:.2} | {:.0} | {:.6} | {:.0} |",
            match f.path {
                Path::Eip3009 => "EIP-3009",
                Path::TopUp => "top-up",
            },
            f.kassa.steps,
            k / b,
            f.kassa.txs as f64 / n as f64,
            f.kassa.gas as f64 / n as f64,
            f.kassa.fee_wei as f64 / n as f64 / 1e18,
            f.base.gas as f64 / n as f64,
        );
    }
    println!(
        "\n(Kassa: time inside `Payouts::run()` from the first step to the last sweep sent; baseline: the send loop plus the receipt loop. Machine: 2 cores shared with other work.)"
    );
}
