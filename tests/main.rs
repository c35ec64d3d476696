//! The integration test binary: one module per feature, all driving the real
//! server over HTTP (see `helpers.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

mod admin;
mod api_create;
mod api_keys;
mod api_keys_cli;
mod api_status;
mod attention;
mod audit_log;
mod backup;
mod branding;
mod branding_cli;
mod cancel;
mod chain_sandbox;
mod chaos;
mod chaos_harness;
mod checkout;
mod cli;
mod cluster;
mod contract;
mod dashboard;
mod disk_full;
mod engine;
mod group_commit;
mod held;
mod idempotency;
mod leadership;
mod ledger;
mod ledger_sender;
mod ledger_sender_nonces;
mod ledger_sender_reorgs;
mod merchant_admin;
mod metrics_server;
mod migrations;
mod nginx;
mod operations;
mod operations_snapshot;
mod ops_files;
mod outage;
mod overload;
mod payout_wallet;
mod properties;
mod receiver;
mod routing;
mod routing_admin;
mod routing_console;
mod sandbox;
mod sandbox_payouts;
mod secrets_at_rest;
mod security;
mod shutdown;
mod single_node;
mod storefront;
mod storefront_cli;
mod supervision;
mod webhook_claims;
mod webhook_nodes;
mod webhook_receivers;
mod webhook_settings;
mod webhooks;
