//! Kassa: a self-hostable payment gateway. Merchants create checkout sessions
//! over the documented API, customers pay on hosted pages, every payment
//! settles as USDC on Polygon, and merchants learn of it by signed webhook.
//!
//! Map of the modules (imports point one way, down this list):
//! - [`domain`]: pure rules and value types (money, domains, state machine, routing).
//! - [`store`]: the database (sea-orm over SQLite or PostgreSQL), rows ↔ domain records.
//! - [`chain`]: Polygon behind `ChainSource` and `ChainSender`: the JSON-RPC client of a node, the sandbox ledger in the database, HD derivation of deposit addresses, payout signing.
//! - [`providers`]: on-ramp adapters (one per provider) building hosted widget URLs.
//! - [`webhooks`]: event payloads.
//! - [`actors`]: the engine (session registry and actors, group-commit creator, chain watcher, payouts, expiry sweep, sandbox payments on the ledger, the batched API-key "last used" recorder).
//! - [`app`]: use cases several doors share (the money check; managing a merchant: its fields, webhook URL check, create and update; its API keys: create, list, revoke; its sessions: the list in keyset pages, one session's timeline, the paid volume per day; the operators' audit log; Smart Routing kept in the database: import, export, the console's edits, provider credentials).
//! - [`http`]: what every web door shares: the application state, the request middleware, body limits, the API-key cache and the follower that forgets keys revoked on other nodes, the hosted pages' URLs.
//! - [`api`]: the merchant JSON API, health and metrics endpoints.
//! - [`pages`]: server-rendered HTML, one submodule per audience: `checkout` (hosted pages for customers: checkout, crypto checkout, sandbox on-ramp); never imports [`api`].
//! - [`metric_families`]: every Prometheus family Kassa emits, described and registered at zero at startup.
//! - [`startup`]: wiring; [`config`], [`clock`], [`telemetry`], [`error`]: cross-cutting; [`cli`]: commands; [`fault`]: test-only pause points.

pub mod actors;
pub mod api;
pub mod app;
pub mod chain;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod fault;
pub mod http;
pub mod metric_families;
pub mod pages;
pub mod providers;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod webhooks;
