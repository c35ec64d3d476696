//! The engine: actors that own state and do I/O. Handlers hold the
//! [`handle::Sessions`] handle; actors never import actix-web.

pub mod chain_watcher;
pub mod creator;
pub mod expiry;
pub mod handle;
pub mod key_usage;
pub mod leadership;
pub mod payout;
pub mod registry;
pub mod router;
pub mod sandbox;
pub mod session;
pub mod supervision;
mod webhook_attempt;
pub mod webhook_sender;
