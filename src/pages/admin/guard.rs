//! The gate of every admin console page. An operator session that has
//! given its second factor (or needs none) gets a [`Ctx`]; one still owing
//! its TOTP code is sent to the code page; a browser holding only a
//! merchant's session gets 404 (the console does not exist for merchants);
//! anyone else is sent to `/admin/login`. Forms also pass the CSRF check.
//! Pages get a [`Ctx`] and never read cookies themselves.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::app::accounts::AccountSession;
use crate::app::operators::{self, Operator};
use crate::domain::account_realm::Realm;
use crate::http::account;
use crate::http::client_ip::client_ip;
use crate::http::headers;
use crate::http::state::AppState;
use crate::pages::dashboard::error::DashError;
use crate::pages::dashboard::form::Form;
use crate::pages::dashboard::guard::to_login_of;
pub use crate::pages::dashboard::guard::{Refusal, anonymous_form, refuse};

/// A signed-in operator's request.
#[derive(Debug)]
pub struct Ctx {
    pub session: AccountSession,
    pub operator: Operator,
    pub client_ip: String,
    pub now_ms: i64,
    pub nonce: String,
}

impl Ctx {
    /// The layout of this page: `title`, the nav entry `current` marked,
    /// and an optional confirmation line.
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
            &self.operator,
            &self.session.csrf_token,
            &self.nonce,
            crate::pages::dashboard::is_test(state),
        )
        .with_notice(notice)
    }
}

/// A signed-in GET.
pub async fn page(req: &HttpRequest, state: &AppState) -> Result<Ctx, Refusal> {
    let (ctx, pending) = operator_session(req, state).await?;
    if pending {
        return Err(redirect(state, "/admin/login/code"));
    }
    Ok(ctx)
}

/// Whether the request's operator is still signed in (both factors, the
/// operator still there), without counting as activity: asked again by a
/// stream at each event, so that logout, a timeout or a removed operator
/// ends it.
pub async fn still_signed_in(req: &HttpRequest, state: &AppState) -> bool {
    let settings = &state.settings.accounts;
    let now_ms = state.clock.now_ms();
    match account::peek_session(req, &state.store, settings, Realm::Operator, now_ms).await {
        Ok(Some(session)) if !session.second_factor_pending => {
            matches!(
                operators::find(&state.store, session.owner_id).await,
                Ok(Some(_))
            )
        }
        _ => false,
    }
}

/// A signed-in form POST whose CSRF token matches the session's.
pub async fn form(
    req: &HttpRequest,
    state: &AppState,
    payload: web::Payload,
) -> Result<(Ctx, Form), Refusal> {
    let ctx = page(req, state).await?;
    let form = checked_form(state, &ctx, payload).await?;
    Ok((ctx, form))
}

/// The code pages: a session whether or not its second factor is given.
pub async fn any_stage(req: &HttpRequest, state: &AppState) -> Result<Ctx, Refusal> {
    Ok(operator_session(req, state).await?.0)
}

/// A form of the code pages.
pub async fn any_stage_form(
    req: &HttpRequest,
    state: &AppState,
    payload: web::Payload,
) -> Result<(Ctx, Form), Refusal> {
    let ctx = any_stage(req, state).await?;
    let form = checked_form(state, &ctx, payload).await?;
    Ok((ctx, form))
}

/// Refuses a merchant's browser on the anonymous admin pages (login):
/// 404, as everywhere in the console.
pub async fn not_a_merchant(req: &HttpRequest, state: &AppState) -> Result<(), Refusal> {
    let settings = &state.settings.accounts;
    let now_ms = state.clock.now_ms();
    let operator = account::current_session(req, &state.store, settings, Realm::Operator, now_ms)
        .await
        .map_err(|e| refuse(state, e.into()))?;
    if operator.is_some() {
        return Ok(());
    }
    let merchant = account::current_session(req, &state.store, settings, Realm::Merchant, now_ms)
        .await
        .map_err(|e| refuse(state, e.into()))?;
    match merchant {
        Some(_) => Err(refuse(state, DashError::NotFound)),
        None => Ok(()),
    }
}

async fn checked_form(state: &AppState, ctx: &Ctx, payload: web::Payload) -> Result<Form, Refusal> {
    let form = Form::read(payload)
        .await
        .map_err(|_| refuse(state, DashError::TooLarge))?;
    if !account::csrf_matches(&ctx.session.csrf_token, form.get("csrf")) {
        return Err(refuse(state, DashError::Csrf));
    }
    Ok(form)
}

/// The operator session and whether its second factor is still due.
async fn operator_session(req: &HttpRequest, state: &AppState) -> Result<(Ctx, bool), Refusal> {
    let now_ms = state.clock.now_ms();
    let settings = &state.settings.accounts;
    let session = account::current_session(req, &state.store, settings, Realm::Operator, now_ms)
        .await
        .map_err(|e| refuse(state, e.into()))?;
    let Some(session) = session else {
        not_a_merchant(req, state).await?;
        return Err(to_login(req, state));
    };
    let operator = match operators::find(&state.store, session.owner_id).await {
        Ok(Some(op)) => op,
        Ok(None) => return Err(to_login(req, state)),
        Err(e) => return Err(refuse(state, e.into())),
    };
    let pending = session.second_factor_pending;
    Ok((
        Ctx {
            session,
            operator,
            client_ip: client_ip(req, &settings.trusted_proxies).to_string(),
            now_ms,
            nonce: headers::nonce(),
        },
        pending,
    ))
}

fn redirect(state: &AppState, location: &str) -> HttpResponse {
    headers::dashboard_redirect(location, state.settings.accounts.hsts).finish()
}

/// To the login page, coming back here afterwards (GET pages only).
fn to_login(req: &HttpRequest, state: &AppState) -> HttpResponse {
    to_login_of(req, state, Realm::Operator, "/admin", super::is_admin_path)
}
