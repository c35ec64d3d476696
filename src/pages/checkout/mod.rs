//! The hosted checkout, the public pages customers pay on: the checkout
//! (`/pay.php`), crypto checkout (`/crypto.php`), the sandbox on-ramp
//! (`/sandbox/onramp`), the customer's cancel form (`/pay/cancel`) and the
//! status the open pages poll (`/pay/status.json`). Server-rendered askama
//! templates (`templates/checkout/`), five languages, no cookies (the pages
//! work inside a merchant's frame), a strict CSP with a per-response nonce.
//!
//! Handlers parse, ask the store / router / sandbox once, and render; the
//! routing decision itself stays in `domain::routing`. Pages show only the
//! shop, amount, status and a masked e-mail — never the merchant's
//! configuration — and redirect only to the session's own URLs or to the
//! provider the router chose.

pub mod cancel;
pub mod choose;
pub mod crypto;
pub mod customer;
pub mod error;
pub mod frame;
pub mod i18n;
pub mod methods;
pub mod onramp;
pub mod pay;
pub mod qr;
pub mod query;
pub mod security;
pub mod status;
pub mod view;

use actix_web::{HttpRequest, HttpResponse, web};

use error::PageError;

/// Registers the hosted pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/pay.php")
            .route(web::get().to(pay::show))
            .route(web::head().to(pay::show))
            .route(web::post().to(pay::submit_email))
            .default_service(web::to(not_found)),
    )
    .service(
        web::resource("/crypto.php")
            .route(web::get().to(crypto::show))
            .route(web::head().to(crypto::show))
            .default_service(web::to(not_found)),
    )
    .service(
        web::resource("/sandbox/onramp")
            .route(web::get().to(onramp::show))
            .route(web::post().to(onramp::pay))
            .default_service(web::to(not_found)),
    )
    .service(
        web::resource("/pay/cancel")
            .route(web::post().to(cancel::cancel))
            .default_service(web::to(not_found)),
    )
    .route("/pay/status.json", web::get().to(status::status));
}

/// The HTML "not found" page (a wrong method on a page path).
async fn not_found(req: HttpRequest) -> HttpResponse {
    let query = query::PageQuery::parse(req.query_string().as_bytes());
    PageError::NotFound.respond(customer::language(&req, &query), req.path())
}
