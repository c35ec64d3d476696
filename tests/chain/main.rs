//! The chain adapter against a real EVM node: Anvil, started per test on a
//! free port (see `anvil.rs`), with the test USDC deployed from the compiled
//! artifact in `token/` (no solc needed). Skipped when Anvil is missing, a
//! failure under `KASSA_TEST_REQUIRE_ALL=1`.
//!
//! A binary of its own: it needs neither the database nor the browser.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../helpers.rs"]
mod helpers;

#[allow(dead_code)]
mod anvil;
#[allow(dead_code)]
mod fake_node;
#[allow(dead_code)]
mod proxy;

mod metrics;
mod refusal;
mod rpc;
mod token;
