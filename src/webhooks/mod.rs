//! Webhooks: the event payload built from the database row, the signed
//! delivery over an SSRF-safe HTTP client.

pub mod delivery;
pub mod payload;
pub mod ssrf;
