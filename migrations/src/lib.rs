//! Database migrations of Kassa, applied in order on start and by `kassa migrate`.
//!
//! One file per migration, named after its module. A migration that has landed
//! is never edited: a change of schema is a new file. Migrations never import the
//! entities crate, so an old migration keeps its meaning when entities change.
//! Times are BIGINT unix milliseconds and money is BIGINT minor/base units, so
//! SQLite and PostgreSQL store identical values.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_create_merchants;
mod m20261125_000002_create_sessions;
mod m20261125_000003_create_webhook_events;
mod m20261125_000004_create_idempotency_keys;
mod m20261201_000001_add_merchant_branding;
mod m20261201_000002_index_pending_webhooks;
mod m20261202_000001_create_sandbox_ledger;
mod m20261202_000002_track_deposits_on_chain;
mod m20261202_000003_sandbox_ledger_transactions;
mod m20261202_000004_create_payouts;
mod m20261202_000005_record_sweep_leftover;
mod m20261202_000006_create_money_entries;
mod m20261202_000007_unique_merchant_emails;
mod m20261202_000008_add_merchant_password;
mod m20261203_000001_create_dashboard_accounts;
mod m20261203_000101_create_api_keys;
mod m20261203_000102_drop_merchant_key_columns;
mod m20261203_000201_add_pending_payout_wallet;
mod m20261204_000101_add_session_source;
mod m20261204_000102_create_payment_links;
mod m20261204_000103_create_products;
mod m20261204_000201_index_session_list;
mod m20261204_000301_index_session_source;
mod m20261205_000101_create_audit_log;
mod m20261205_000102_create_routing_config;
mod m20261205_000201_account_session_realms;
mod m20261205_000202_create_operators;
mod m20261206_000101_create_leases;
mod m20261206_000102_index_sessions_created;
mod m20261206_000201_claim_webhook_events;
mod m20261207_000101_drop_redundant_order_index;
mod m20261207_000102_sessions_in_creation_order;
mod sqlite_rebuild;

/// The ordered list of every migration.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_merchants::Migration),
            Box::new(m20261125_000002_create_sessions::Migration),
            Box::new(m20261125_000003_create_webhook_events::Migration),
            Box::new(m20261125_000004_create_idempotency_keys::Migration),
            Box::new(m20261201_000001_add_merchant_branding::Migration),
            Box::new(m20261201_000002_index_pending_webhooks::Migration),
            Box::new(m20261202_000001_create_sandbox_ledger::Migration),
            Box::new(m20261202_000002_track_deposits_on_chain::Migration),
            Box::new(m20261202_000003_sandbox_ledger_transactions::Migration),
            Box::new(m20261202_000004_create_payouts::Migration),
            Box::new(m20261202_000005_record_sweep_leftover::Migration),
            Box::new(m20261202_000006_create_money_entries::Migration),
            Box::new(m20261202_000007_unique_merchant_emails::Migration),
            Box::new(m20261202_000008_add_merchant_password::Migration),
            Box::new(m20261203_000001_create_dashboard_accounts::Migration),
            Box::new(m20261203_000101_create_api_keys::Migration),
            Box::new(m20261203_000102_drop_merchant_key_columns::Migration),
            Box::new(m20261203_000201_add_pending_payout_wallet::Migration),
            Box::new(m20261204_000101_add_session_source::Migration),
            Box::new(m20261204_000102_create_payment_links::Migration),
            Box::new(m20261204_000103_create_products::Migration),
            Box::new(m20261204_000201_index_session_list::Migration),
            Box::new(m20261204_000301_index_session_source::Migration),
            Box::new(m20261205_000101_create_audit_log::Migration),
            Box::new(m20261205_000102_create_routing_config::Migration),
            Box::new(m20261205_000201_account_session_realms::Migration),
            Box::new(m20261205_000202_create_operators::Migration),
            Box::new(m20261206_000101_create_leases::Migration),
            Box::new(m20261206_000102_index_sessions_created::Migration),
            Box::new(m20261206_000201_claim_webhook_events::Migration),
            Box::new(m20261207_000101_drop_redundant_order_index::Migration),
            Box::new(m20261207_000102_sessions_in_creation_order::Migration),
        ]
    }
}
