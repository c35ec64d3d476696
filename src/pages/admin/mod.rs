//! The operators' admin console under `/admin`: its own login (password,
//! then a TOTP code), then merchants, Smart Routing, the attention queue,
//! the live supervision view and the audit log. Server-rendered askama
//! templates (`templates/admin/`) with the dashboard's headers: a strict
//! CSP with a per-response nonce, no framing, a cookie session of the
//! operator realm and a CSRF token in every form.
//!
//! Merchants never see it: a browser holding only a merchant session gets
//! 404 on every admin path; anonymous visitors are sent to `/admin/login`.
//! Handlers parse, call one `app::` function and render; every change they
//! make is written to the audit log by that function.

pub mod attention;
pub mod audit;
pub mod frame;
pub mod guard;
pub mod home;
pub mod login;
pub mod merchant;
mod merchant_form;
pub mod merchants;
pub mod operations;
pub mod routing;

use actix_web::web;

pub use crate::pages::dashboard::redirect;

/// Registers the console's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(home::show))
        .route("/admin/", web::get().to(home::show))
        .route("/admin/login", web::get().to(login::show))
        .route("/admin/login", web::post().to(login::submit))
        .route("/admin/login/code", web::get().to(login::show_code))
        .route("/admin/login/code", web::post().to(login::submit_code))
        .route("/admin/logout", web::post().to(login::logout))
        .route("/admin/audit", web::get().to(audit::show))
        .route("/admin/merchants", web::get().to(merchants::show))
        .route("/admin/merchants/{id}", web::get().to(merchant::show))
        .route(
            "/admin/merchants/{id}/{group}",
            web::post().to(merchant::change),
        )
        .route("/admin/attention", web::get().to(attention::show))
        .route("/admin/attention", web::post().to(attention::act))
        .route("/admin/operations", web::get().to(operations::show))
        .route(
            "/admin/operations/events",
            web::get().to(operations::events),
        )
        .route("/admin/routing", web::get().to(routing::show))
        .route("/admin/routing/export", web::get().to(routing::export))
        .route("/admin/routing/{what}", web::post().to(routing::change));
}

/// Every other `/admin` path, registered after every page: anonymous
/// visitors are sent to the login, merchants get 404 like everywhere in
/// the console, and operators a plain 404.
pub fn fallback(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/{rest:.*}", web::route().to(unknown));
}

async fn unknown(
    req: actix_web::HttpRequest,
    state: web::Data<crate::http::state::AppState>,
) -> actix_web::HttpResponse {
    match guard::page(&req, &state).await {
        Ok(_) => guard::refuse(&state, crate::pages::dashboard::error::DashError::NotFound),
        Err(refusal) => refusal,
    }
}

/// Whether `path` is a console page a login may return to: a plain local
/// path, never another site (`//host`) or a scheme.
pub fn is_admin_path(path: &str) -> bool {
    (path == "/admin" || path.starts_with("/admin/"))
        && !path.contains("//")
        && !path.contains('\\')
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_returns_only_to_local_console_paths() {
        assert!(is_admin_path("/admin/merchants"));
        assert!(!is_admin_path("/administrator"));
        assert!(!is_admin_path("//evil.example/admin"));
        assert!(!is_admin_path("/admin//evil.example"));
        assert!(!is_admin_path("/admin/x?y=1"));
    }
}
