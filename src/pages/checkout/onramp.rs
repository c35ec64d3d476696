//! `/sandbox/onramp?session=N&token=T` (sandbox mode only; 404 in live
//! mode): the sandbox on-ramp. GET shows the amount and a "Pay" button; the
//! POST carries the per-session page token (no cookie: the page works in a
//! frame that blocks third-party cookies), pays what is still owed through
//! the sandbox deposit path, and sends the customer back to the checkout
//! (or the crypto screen it came from).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::customer;
use super::error::PageError;
use super::frame::Frame;
use super::query::PageQuery;
use super::security;
use super::view::{PageState, SessionSummary, load};
use crate::actors::sandbox::Simulation;
use crate::http::state::AppState;

#[derive(Template)]
#[template(path = "checkout/onramp.html")]
struct OnrampPage {
    frame: Frame,
    s: SessionSummary,
    token: String,
    lang: Option<&'static str>,
    back: String,
}

/// `GET /sandbox/onramp`.
pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let query = PageQuery::parse(req.query_string().as_bytes());
    let lang = customer::language(&req, &query);
    let self_path = match (query.session, &query.token) {
        (Some(id), Some(token)) => format!("/sandbox/onramp?session={id}&token={token}"),
        _ => "/sandbox/onramp".to_string(),
    };
    match render(&req, &state, &query, &self_path).await {
        Ok(response) => response,
        Err(e) => e.respond(lang, &self_path),
    }
}

/// `POST /sandbox/onramp` with `session`, `token` (and `lang`, `back`).
pub async fn pay(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let form = PageQuery::parse(&body);
    let lang = customer::language(&req, &form);
    match pay_and_return(&state, &form).await {
        Ok(response) => response,
        Err(e) => e.respond(lang, "/sandbox/onramp"),
    }
}

/// The session id, when the page token is the one for it.
fn verified(state: &AppState, query: &PageQuery) -> Result<i64, PageError> {
    if state.sandbox.is_none() {
        return Err(PageError::NotFound);
    }
    match (query.session, query.token.as_deref()) {
        (Some(id), Some(token)) if state.page_secret.verify(id, token) => Ok(id),
        _ => Err(PageError::NotFound),
    }
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    query: &PageQuery,
    self_path: &str,
) -> Result<HttpResponse, PageError> {
    let id = verified(state, query)?;
    let lang = customer::language(req, query);
    let loaded = load(state, Some(id)).await?;
    let summary = SessionSummary::new(&loaded, state.clock.now_ms(), lang);
    let nonce = security::nonce();
    let frame = Frame::new(lang, nonce.clone(), self_path)
        .title(lang.messages().onramp_title)
        .shop(summary.shop.clone(), summary.test);
    let page = OnrampPage {
        frame,
        s: summary,
        token: state.page_secret.token(id),
        lang: query.lang.map(|l| l.code()),
        back: format!("/pay.php?session={id}{}", query.lang_suffix()),
    };
    let policy = security::policy(&loaded.merchant);
    Ok(security::html(
        StatusCode::OK,
        page.render()?,
        &nonce,
        &policy,
    ))
}

async fn pay_and_return(state: &AppState, form: &PageQuery) -> Result<HttpResponse, PageError> {
    let id = verified(state, form)?;
    let sandbox = state.sandbox.as_ref().ok_or(PageError::NotFound)?;
    let loaded = load(state, Some(id)).await?;
    // Pay only what is owed and only while it is owed: a second click (or a
    // reload of the form) must not pay twice.
    if PageState::of(&loaded.record, state.clock.now_ms()).payable() {
        let receipt = sandbox.pay(id, None, Simulation::Exact).await?;
        if let Some(refusal) = receipt.outcome.refusal {
            tracing::info!(session_id = id, %refusal, "sandbox on-ramp payment refused");
        }
    }
    let page = if form.back.as_deref() == Some("crypto") {
        "crypto.php"
    } else {
        "pay.php"
    };
    Ok(security::redirect(&format!(
        "/{page}?session={id}{}",
        form.lang_suffix()
    )))
}
