//! `GET /l/{slug}` shows a payment link: the shop, the title and
//! description, the amount (or a field for it) and a Pay button. It
//! creates nothing. `POST` opens a session through the link and answers
//! 303 to the checkout; an amount outside the link's bounds shows the page
//! again with the reason (422).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::view::{Notice, PageFrame, ShopView, logo_origin, paragraphs};
use super::{notice, refused, render, throttled, to_checkout};
use crate::app::links::{self, OpenLinkError};
use crate::domain::merchant::Merchant;
use crate::domain::payment_link::{AmountRefused, Closed, LinkAmount, PaymentLink};
use crate::http::state::AppState;

#[derive(Template)]
#[template(path = "storefront/link.html")]
struct LinkPage {
    frame: PageFrame,
    action: String,
    title: String,
    paragraphs: Vec<String>,
    currency: &'static str,
    /// The fixed amount; `None` when the customer enters one.
    fixed: Option<String>,
    min: String,
    max: String,
    typed: String,
    error: Option<String>,
}

/// `GET /l/{slug}`.
pub async fn show(state: web::Data<AppState>, slug: web::Path<String>) -> HttpResponse {
    match links::visit(&state.store, &slug, state.clock.now_ms()).await {
        Ok((link, merchant)) => page(&state, &link, &merchant, String::new(), None),
        Err(e) => refusal(&state, &e),
    }
}

/// `POST /l/{slug}` with `amount` when the customer chooses it.
pub async fn open(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    if let Some(too_many) = throttled(&req, &state) {
        return too_many;
    }
    let typed = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "amount")
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    let now_ms = state.clock.now_ms();
    match links::open(&state.store, &state.opener, &slug, Some(&typed), now_ms).await {
        Ok(opened) => to_checkout(opened.record.id),
        Err(OpenLinkError::Amount(why)) => match links::visit(&state.store, &slug, now_ms).await {
            Ok((link, merchant)) => page(&state, &link, &merchant, typed, Some(why)),
            Err(e) => refusal(&state, &e),
        },
        Err(e) => refusal(&state, &e),
    }
}

fn page(
    state: &AppState,
    link: &PaymentLink,
    merchant: &Merchant,
    typed: String,
    refused_amount: Option<AmountRefused>,
) -> HttpResponse {
    let shop = ShopView::of(merchant, state.opener.rules().platform_domain.as_str());
    let frame = PageFrame::for_shop(&link.title, shop, super::is_test(state));
    let nonce = frame.nonce.clone();
    let (fixed, min, max) = match link.amount {
        LinkAmount::Fixed(m) => (Some(m.to_string()), String::new(), String::new()),
        LinkAmount::Open { min, max } => (None, min.to_string(), max.to_string()),
    };
    let currency = link.amount.currency().code();
    let error = refused_amount.map(|why| match why {
        AmountRefused::Unreadable => "Enter the amount as a number, like 25.00.".to_string(),
        AmountRefused::BelowMinimum(m) => format!("The smallest amount is {m} {currency}."),
        AmountRefused::AboveMaximum(m) => format!("The largest amount is {m} {currency}."),
    });
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = LinkPage {
        frame,
        action: format!("/l/{}", link.slug),
        title: link.title.clone(),
        paragraphs: paragraphs(&link.description),
        currency,
        fixed,
        min,
        max,
        typed,
        error,
    };
    render(status, &nonce, &logo_origin(merchant), &page)
}

fn refusal(state: &AppState, err: &OpenLinkError) -> HttpResponse {
    let gone = |n| notice(state, StatusCode::GONE, n);
    match err {
        OpenLinkError::NotFound => notice(state, StatusCode::NOT_FOUND, Notice::UnknownLink),
        OpenLinkError::Closed(Closed::Inactive) => gone(Notice::LinkInactive),
        OpenLinkError::Closed(Closed::Expired) => gone(Notice::LinkExpired),
        OpenLinkError::Closed(Closed::UsedUp) => gone(Notice::LinkUsedUp),
        OpenLinkError::Open(e) => refused(state, e),
        // Only reached when the page cannot be shown again (the link
        // closed in between): the customer starts over.
        OpenLinkError::Amount(_) => {
            notice(state, StatusCode::UNPROCESSABLE_ENTITY, Notice::TryLater)
        }
        OpenLinkError::Store(e) => {
            tracing::error!(error = %e, "a payment link could not be read");
            notice(state, StatusCode::SERVICE_UNAVAILABLE, Notice::TryLater)
        }
    }
}
