//! Server-rendered HTML doors, one submodule per audience: [`checkout`], the
//! public, cookie-free hosted pages customers pay on, [`dashboard`],
//! the merchant dashboard behind an account session, and [`storefront`], the
//! public payment link and product pages that open checkout sessions for
//! merchants without an integration, and [`admin`], the operators' console.
//!
//! Each audience owns its routes, handlers and templates; this module only
//! gathers their routes. Pages take what they share with the JSON API from
//! the `http` module and must never import the `api` module; one audience's
//! pages must not reach into another's (a customer's checkout never sees a
//! merchant's account session). The one exception: the admin console
//! shares the dashboard's account-page machinery (form reading, CSRF,
//! error pages, the login layout, QR drawing), since both follow the same
//! cookie and CSRF rules; it reads no merchant session through it.

pub mod admin;
pub mod checkout;
pub mod dashboard;
pub mod storefront;

use actix_web::web;

/// Registers every HTML page.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.configure(admin::routes)
        .configure(checkout::routes)
        .configure(dashboard::routes)
        .configure(storefront::routes)
        .configure(admin::fallback);
}
