//! Webhooks: the event payload built from the database row (and, with the
//! delivery issue, signing and the SSRF-safe HTTP client).

pub mod payload;
