//! sea-orm entities of Kassa: one file per table, columns only.
//!
//! No logic lives here and nothing of Kassa is imported: `store/` converts rows
//! to domain types. Times are unix milliseconds, money is integer minor units
//! (fiat) or base units (USDC, 6 decimals), identical on SQLite and PostgreSQL.

pub mod api_key;
pub mod audit_log;
pub mod chain_cursor;
pub mod counter;
pub mod dashboard_session;
pub mod deposit;
pub mod idempotency_key;
pub mod ledger_authorization;
pub mod ledger_block;
pub mod ledger_transaction;
pub mod ledger_transfer;
pub mod merchant;
pub mod merchant_domain;
pub mod money_entry;
pub mod operator;
pub mod payment_link;
pub mod payout_request;
pub mod payout_transaction;
pub mod product;
pub mod provider_credential;
pub mod routing_config;
pub mod security_event;
pub mod session;
pub mod sweep;
pub mod webhook_attempt;
pub mod webhook_event;
