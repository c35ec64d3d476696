//! The merchant dashboard, driven over HTTP as a browser would: cookies
//! kept per browser, forms posted with the CSRF token the page carried.

mod accounts;
mod api_keys;
pub mod browser;
mod checkout;
mod domains;
mod links;
mod security;
pub mod session_pages;
mod sessions;
mod sessions_export;
mod tenancy;
mod wallet;
mod webhooks;
