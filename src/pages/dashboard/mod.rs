//! The merchant dashboard under `/dashboard`: sign-up and login, then the
//! settings the integration's Quickstart names (shop domains first), the
//! payment links and products merchants sell through without an
//! integration, the merchant's sessions (list, detail with its timeline,
//! CSV export, paid volume per day), and the account's security log and
//! password. Server-rendered askama
//! templates (`templates/dashboard/`), a strict CSP with a per-response
//! nonce, no framing, a cookie session and a CSRF token in every form.
//!
//! Handlers parse the form, call one `app::` function, and render; the
//! account rules live in `app::accounts` and `app::merchants`. Every page
//! shows only the signed-in merchant's objects: another merchant's answer
//! 404. It must not reach into the hosted checkout's pages.

pub mod api_keys;
pub mod catalog_form;
pub mod chart;
pub mod checkout;
pub mod domains;
pub mod error;
pub mod form;
pub mod frame;
pub mod guard;
pub mod home;
pub mod link_form;
pub mod links;
pub mod login;
pub mod logout;
pub mod products;
pub mod qr;
pub mod security;
pub mod sessions;
pub mod signup;
pub mod wallet;
pub mod webhooks;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::config::Mode;
use crate::http::headers;
use crate::http::state::AppState;
use error::DashError;

/// Registers the dashboard's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard", web::get().to(home::show))
        .route("/dashboard/", web::get().to(home::show))
        .route("/dashboard/login", web::get().to(login::show))
        .route("/dashboard/login", web::post().to(login::submit))
        .route("/dashboard/signup", web::get().to(signup::show))
        .route("/dashboard/signup", web::post().to(signup::submit))
        .route("/dashboard/logout", web::post().to(logout::submit))
        .route("/dashboard/sessions", web::get().to(sessions::show))
        .route(
            "/dashboard/sessions.csv",
            web::get().to(sessions::export::download),
        )
        .route(
            "/dashboard/sessions/{id}",
            web::get().to(sessions::detail::show),
        )
        .route(
            "/dashboard/sessions/{id}/resend",
            web::post().to(sessions::detail::resend),
        )
        .route("/dashboard/domains", web::get().to(domains::show))
        .route("/dashboard/domains", web::post().to(domains::submit))
        .route("/dashboard/wallet", web::get().to(wallet::show))
        .route("/dashboard/wallet", web::post().to(wallet::submit))
        .route("/dashboard/checkout", web::get().to(checkout::show))
        .route("/dashboard/checkout", web::post().to(checkout::submit))
        .route("/dashboard/links", web::get().to(links::show))
        .route("/dashboard/links", web::post().to(links::create))
        .route("/dashboard/links/{id}", web::get().to(links::edit))
        .route("/dashboard/links/{id}", web::post().to(links::change))
        .route("/dashboard/products", web::get().to(products::show))
        .route("/dashboard/products", web::post().to(products::create))
        .route("/dashboard/products/{id}", web::get().to(products::edit))
        .route("/dashboard/products/{id}", web::post().to(products::change))
        .route("/dashboard/api-keys", web::get().to(api_keys::show))
        .route("/dashboard/api-keys", web::post().to(api_keys::submit))
        .route("/dashboard/webhooks", web::get().to(webhooks::show))
        .route(
            "/dashboard/webhooks/endpoint",
            web::post().to(webhooks::actions::save_endpoint),
        )
        .route(
            "/dashboard/webhooks/secret",
            web::post().to(webhooks::actions::rotate_secret),
        )
        .route(
            "/dashboard/webhooks/test",
            web::post().to(webhooks::actions::send_test),
        )
        .route(
            "/dashboard/webhooks/resend",
            web::post().to(webhooks::actions::resend),
        )
        .route("/dashboard/security", web::get().to(security::show))
        .route(
            "/dashboard/security/password",
            web::post().to(security::change_password),
        );
}

/// The query of a page after a change: `done` names the confirmation to
/// show (each page maps its own names to fixed text; nothing typed is echoed).
#[derive(Debug, serde::Deserialize)]
pub struct Done {
    pub done: Option<String>,
}

/// Whether the deployment is a sandbox (pages show a badge).
pub fn is_test(state: &AppState) -> bool {
    state.settings.mode == Mode::Sandbox
}

/// Whether `path` is a dashboard page a login may return to: a plain local
/// path, never another site (`//host`) or a scheme.
pub fn is_dashboard_path(path: &str) -> bool {
    path.starts_with("/dashboard")
        && !path.contains("//")
        && !path.contains('\\')
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_".contains(&b))
}

/// Renders `page` with the dashboard's headers.
pub fn render(
    state: &AppState,
    status: StatusCode,
    nonce: &str,
    page: impl Template,
) -> HttpResponse {
    match page.render() {
        Ok(body) => {
            headers::dashboard_html(status, nonce, None, state.settings.accounts.hsts).body(body)
        }
        Err(e) => guard::refuse(state, DashError::Unexpected(anyhow::Error::new(e))),
    }
}

/// Renders a page shown before login (login, sign-up, the console's
/// login): `build` gets the anonymous CSRF token and the CSP nonce, and the
/// CSRF cookie is set when the browser had none.
pub fn render_anonymous<T: Template>(
    req: &actix_web::HttpRequest,
    state: &AppState,
    status: StatusCode,
    build: impl FnOnce(String, &str) -> T,
) -> HttpResponse {
    let (csrf, set_cookie) = crate::http::account::anonymous_csrf(req, &state.settings.accounts);
    let nonce = headers::nonce();
    let mut response = render(state, status, &nonce, build(csrf, &nonce));
    if let Some(c) = set_cookie {
        let _ = response.add_cookie(&c);
    }
    response
}

/// A 303 to `location` with the dashboard's headers.
pub fn redirect(state: &AppState, location: &str) -> HttpResponse {
    headers::dashboard_redirect(location, state.settings.accounts.hsts).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_returns_only_to_local_dashboard_paths() {
        assert!(is_dashboard_path("/dashboard/domains"));
        assert!(!is_dashboard_path("//evil.example/dashboard"));
        assert!(!is_dashboard_path("/dashboard//evil.example"));
        assert!(!is_dashboard_path("https://evil.example"));
        assert!(!is_dashboard_path("/dashboard/x?y=1"));
    }
}
