//! The chain adapter against a real EVM node: Anvil, started per test on a
//! free port (see `anvil.rs`), with the test USDC deployed from the compiled
//! artifact in `token/` (no solc needed). Skipped when Anvil is missing, a
//! failure under `KASSA_TEST_REQUIRE_ALL=1`.
//!
//! A binary of its own, apart from the main suite. The watcher tests
//! (`watcher_*.rs`) run a live-mode gateway on Anvil over SQLite and, where
//! `KASSA_TEST_POSTGRES_URL` is set, PostgreSQL; each ends with the money
//! check in `conservation.rs`. `chaos.rs` is the sandbox chaos run again
//! on Anvil, sharing its harness (`../chaos_harness.rs`) with it;
//! `cluster_chaos.rs` kills the leader of three nodes behind nginx
//! (`../nginx.rs`) with the same checks.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../helpers.rs"]
mod helpers;

#[allow(dead_code)]
#[path = "../chaos_harness.rs"]
mod chaos_harness;

#[allow(dead_code)]
#[path = "../nginx.rs"]
mod nginx;

#[allow(dead_code)]
mod anvil;
#[allow(dead_code)]
mod fake_node;
mod gateway;
#[allow(dead_code)]
mod proxy;

mod chaos;
mod cluster_chaos;
mod conservation;
#[allow(dead_code)]
mod live;
mod metrics;
mod payouts;
mod payouts_held;
mod payouts_kill;
mod payouts_stuck;
mod payouts_topup;
mod payouts_topup_cap;
mod payouts_topup_faults;
mod payouts_topup_retry;
mod payouts_wallet_change;
mod refusal;
mod rpc;
mod tls_hooks;
mod token;
mod watcher_expiry;
mod watcher_kill;
mod watcher_outages;
mod watcher_payments;
mod watcher_reorgs;
mod watcher_rules;
