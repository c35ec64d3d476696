//! The merchant JSON API: one endpoint per file. Handlers extract, convert to
//! domain types (the documented error code on failure), make one call to an
//! actor handle or store function, and respond.

pub mod auth;
pub mod create_session;
pub mod field_schemas;
pub mod health;
pub mod idempotency;
pub mod me;
pub mod metrics;
pub mod openapi;
pub mod sandbox_pay;
pub mod session_request;
pub mod session_status;
pub mod session_view;

use actix_web::http::header::{ALLOW, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError, Route, web};

use crate::error::ApiError;

/// Registers every API route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::QueryConfig::default()
            .error_handler(|_, _| ApiError::InvalidRequest("the query string is malformed").into()),
    )
    .service(
        web::resource("/gateway/session.php")
            .route(web::post().to(create_session::create_session))
            .default_service(only("POST")),
    )
    .service(
        web::resource("/gateway/session_status.php")
            .route(web::get().to(session_status::session_status))
            .default_service(only("GET")),
    )
    .service(
        web::resource("/gateway/me.php")
            .route(web::get().to(me::me))
            .default_service(only("GET")),
    )
    .service(
        web::resource("/sandbox/pay")
            .route(web::post().to(sandbox_pay::sandbox_pay))
            .default_service(only("POST")),
    )
    .route("/healthz", web::get().to(health::healthz))
    .route("/readyz", web::get().to(health::readyz))
    .route("/metrics", web::get().to(metrics::metrics))
    .route("/openapi.json", web::get().to(openapi::openapi_json));
}

/// Every other method on a resource that accepts only `allow`: the JSON
/// `method_not_allowed` answer with the `Allow` header RFC 9110 requires.
fn only(allow: &'static str) -> Route {
    web::to(move || async move { method_not_allowed(allow) })
}

fn method_not_allowed(allow: &'static str) -> HttpResponse {
    let mut response = ApiError::MethodNotAllowed.error_response();
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    response
}

/// The JSON answer for any path that does not exist.
pub async fn not_found(_: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}
