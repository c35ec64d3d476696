//! Use cases more than one door calls: functions over the store, the chain
//! and actor handles that the CLI, the tests and (later) the dashboard and
//! admin pages share.

pub mod accounts;
pub mod api_keys;
pub mod attention;
pub mod audit_log;
pub mod catalog;
pub mod links;
pub mod merchants;
pub mod money;
pub mod operations;
pub mod operators;
pub mod products;
pub mod routing_admin;
pub mod sessions;
