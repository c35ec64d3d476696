//! `/pay.php?session=N[&method=M][&provider=P][&lang=L]`: the hosted
//! checkout. GET shows the session (shop, amount, time left, the options
//! this customer may use, or its paid / pending / underpaid / expired
//! state); with `method` or `provider` it goes straight to the provider the
//! router picks. POST is the e-mail form of a provider that wants one.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::choose::{Choice, choose};
use super::customer;
use super::error::PageError;
use super::frame::Frame;
use super::methods::{self, MethodLink};
use super::query::PageQuery;
use super::security;
use super::view::{SessionSummary, load};
use crate::domain::email::Email;
use crate::http::state::AppState;

#[derive(Template)]
#[template(path = "checkout/pay.html")]
struct PayPage {
    frame: Frame,
    s: SessionSummary,
    methods: Vec<MethodLink>,
    crypto: Option<String>,
    /// The page token the cancel form carries (no cookie).
    cancel_token: String,
    lang: Option<&'static str>,
}

/// `GET /pay.php`.
pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let query = PageQuery::parse(req.query_string().as_bytes());
    answer(&req, &state, query, None).await
}

/// `POST /pay.php?session=N&method=M` with `email=…`.
pub async fn submit_email(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let mut query = PageQuery::parse(req.query_string().as_bytes());
    query.email = PageQuery::parse(&body).email;
    let email = query.email.as_deref().map(Email::parse);
    answer(
        &req,
        &state,
        query.clone(),
        Some(email.and_then(Result::ok)),
    )
    .await
}

/// `email`: `None` for GET; `Some(None)` for a form with no valid address.
async fn answer(
    req: &HttpRequest,
    state: &AppState,
    query: PageQuery,
    email: Option<Option<Email>>,
) -> HttpResponse {
    let lang = customer::language(req, &query);
    let self_path = query.session.map_or_else(
        || "/pay.php".to_string(),
        |id| format!("/pay.php?session={id}"),
    );
    match render(req, state, &query, email, &self_path).await {
        Ok(response) => response,
        Err(e) => e.respond(lang, &self_path),
    }
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    query: &PageQuery,
    email: Option<Option<Email>>,
    self_path: &str,
) -> Result<HttpResponse, PageError> {
    let lang = customer::language(req, query);
    let loaded = load(state, query.session).await?;
    let summary = SessionSummary::new(&loaded, state.clock.now_ms(), lang);
    let nonce = security::nonce();
    let policy = security::policy(&loaded.merchant);
    let frame = Frame::new(lang, nonce.clone(), self_path).shop(summary.shop.clone(), summary.test);
    let frame = match summary.live(&loaded.record) {
        Some(live) => frame.live(live),
        None => frame,
    };
    if query.hint().is_some() && summary.payable() {
        return choose(Choice {
            req,
            state,
            loaded: &loaded,
            summary,
            query,
            frame,
            policy,
            invalid_email: matches!(email, Some(None)),
            email: email.flatten().map(|e| e.as_str().to_string()),
        })
        .await;
    }
    let lang_suffix = query.lang_suffix();
    let country = customer::country(
        req,
        state.settings.country_header.as_deref(),
        loaded.merchant.country.as_deref(),
    );
    let methods = if summary.payable() {
        methods::offered(
            state,
            &loaded.merchant,
            country.as_deref(),
            summary.id,
            frame.t,
            &lang_suffix,
        )
        .await
    } else {
        Vec::new()
    };
    let crypto = methods::crypto(&loaded.merchant, summary.id, &lang_suffix);
    let page = PayPage {
        cancel_token: state.page_secret.token(summary.id),
        frame,
        s: summary,
        methods,
        crypto,
        lang: query.lang.map(|l| l.code()),
    };
    Ok(security::html(
        StatusCode::OK,
        page.render()?,
        &nonce,
        &policy,
    ))
}
