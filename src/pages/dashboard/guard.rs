//! The gate of every signed-in dashboard page: the account session from the
//! cookie (else a redirect to the login page), its merchant, the client
//! address, and for forms the CSRF check. Pages get a [`Ctx`] and never
//! read cookies themselves.

use actix_web::{HttpRequest, HttpResponse, web};

use super::error::DashError;
use super::form::Form;
use crate::app::accounts::AccountSession;
use crate::app::merchants;
use crate::domain::account_realm::Realm;
use crate::domain::merchant::Merchant;
use crate::http::account;
use crate::http::client_ip::client_ip;
use crate::http::headers;
use crate::http::state::AppState;

/// A signed-in request.
#[derive(Debug)]
pub struct Ctx {
    pub session: AccountSession,
    pub merchant: Merchant,
    pub client_ip: String,
    pub now_ms: i64,
    pub nonce: String,
}

impl Ctx {
    /// The layout of this signed-in page: `title`, the nav entry `current`
    /// marked, and an optional confirmation line.
    pub fn frame(
        &self,
        state: &AppState,
        title: &str,
        current: &str,
        notice: Option<String>,
    ) -> super::frame::Frame {
        super::frame::Frame::new(
            title,
            current,
            &self.merchant,
            &self.session.csrf_token,
            &self.nonce,
            super::is_test(state),
        )
        .with_notice(notice)
    }
}

/// Why a request does not reach its page: an answer to send instead.
pub type Refusal = HttpResponse;

/// A signed-in GET.
pub async fn page(req: &HttpRequest, state: &AppState) -> Result<Ctx, Refusal> {
    signed_in(req, state).await
}

/// A signed-in form POST whose CSRF token matches the session's.
pub async fn form(
    req: &HttpRequest,
    state: &AppState,
    payload: web::Payload,
) -> Result<(Ctx, Form), Refusal> {
    let ctx = signed_in(req, state).await?;
    let form = Form::read(payload)
        .await
        .map_err(|_| refuse(state, DashError::TooLarge))?;
    if !account::csrf_matches(&ctx.session.csrf_token, form.get("csrf")) {
        return Err(refuse(state, DashError::Csrf));
    }
    Ok((ctx, form))
}

/// A login or sign-up POST: the form, its cookie-bound CSRF token checked,
/// and the client address (for throttling and the log).
pub async fn anonymous_form(
    req: &HttpRequest,
    state: &AppState,
    payload: web::Payload,
) -> Result<(Form, std::net::IpAddr), Refusal> {
    let settings = &state.settings.accounts;
    let form = Form::read(payload)
        .await
        .map_err(|_| refuse(state, DashError::TooLarge))?;
    if !account::anonymous_csrf_matches(req, settings, form.get("csrf")) {
        return Err(refuse(state, DashError::Csrf));
    }
    Ok((form, client_ip(req, &settings.trusted_proxies)))
}

/// The error page for `e`, with this deployment's headers.
pub fn refuse(state: &AppState, e: DashError) -> HttpResponse {
    e.respond(state.settings.accounts.hsts, super::is_test(state))
}

async fn signed_in(req: &HttpRequest, state: &AppState) -> Result<Ctx, Refusal> {
    let now_ms = state.clock.now_ms();
    let settings = &state.settings.accounts;
    let session = account::current_session(req, &state.store, settings, Realm::Merchant, now_ms)
        .await
        .map_err(|e| refuse(state, e.into()))?;
    let Some(session) = session else {
        return Err(to_login(req, state));
    };
    let merchant = match merchants::find(&state.store, session.owner_id).await {
        Ok(m) if !m.disabled => m,
        Ok(_) | Err(merchants::MerchantError::NotFound(_)) => return Err(to_login(req, state)),
        Err(e) => return Err(refuse(state, e.into())),
    };
    Ok(Ctx {
        session,
        merchant,
        client_ip: client_ip(req, &settings.trusted_proxies).to_string(),
        now_ms,
        nonce: headers::nonce(),
    })
}

/// To the login page, coming back here afterwards (GET pages only).
fn to_login(req: &HttpRequest, state: &AppState) -> HttpResponse {
    let back = (req.method() == actix_web::http::Method::GET)
        .then(|| req.path())
        .filter(|p| *p != "/dashboard" && super::is_dashboard_path(p));
    let location = match back {
        Some(p) => format!("/dashboard/login?next={}", url_encode(p)),
        None => "/dashboard/login".to_string(),
    };
    let mut builder = headers::dashboard_redirect(&location, state.settings.accounts.hsts);
    // A dead session's cookie is of no use any more.
    if req
        .cookie(account::session_cookie_name(
            &state.settings.accounts,
            Realm::Merchant,
        ))
        .is_some()
    {
        builder.cookie(account::clear_session_cookie(
            &state.settings.accounts,
            Realm::Merchant,
        ));
    }
    builder.finish()
}

fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
