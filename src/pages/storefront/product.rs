//! `GET /p/{slug}` is a product's landing page, built to convert: the
//! picture, name, a clear price, the ways to pay and one Buy button, the
//! merchant's branding, mobile first and without script. It creates
//! nothing. `POST` opens a session for the price and answers 303 to the
//! checkout.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::view::{Notice, PageFrame, ShopView, logo_origin, method_label, paragraphs};
use super::{notice, refused, render, throttled, to_checkout};
use crate::app::products::{self, BuyError};
use crate::domain::branding::LogoUrl;
use crate::http::state::AppState;

#[derive(Template)]
#[template(path = "storefront/product.html")]
struct ProductPage {
    frame: PageFrame,
    action: String,
    name: String,
    paragraphs: Vec<String>,
    price: String,
    currency: &'static str,
    image_url: Option<String>,
    methods: Vec<&'static str>,
}

/// `GET /p/{slug}`.
pub async fn show(state: web::Data<AppState>, slug: web::Path<String>) -> HttpResponse {
    let (product, merchant) = match products::visit(&state.store, &slug).await {
        Ok(found) => found,
        Err(e) => return refusal(&state, &e),
    };
    let shop = ShopView::of(&merchant, state.opener.rules().platform_domain.as_str());
    let frame = PageFrame::for_shop(&product.name, shop, super::is_test(&state));
    let nonce = frame.nonce.clone();
    let mut methods: Vec<&'static str> = state
        .router
        .capabilities(&merchant)
        .methods
        .iter()
        .filter(|m| m.available)
        .map(|m| method_label(m.method))
        .collect();
    if merchant.crypto_enabled {
        methods.push("Crypto (USDC)");
    }
    let mut images = logo_origin(&merchant);
    images.extend(
        product
            .image_url
            .as_deref()
            .and_then(|u| LogoUrl::parse(u).ok())
            .map(|u| u.origin()),
    );
    let page = ProductPage {
        frame,
        action: format!("/p/{}", product.slug),
        name: product.name,
        paragraphs: paragraphs(&product.description),
        price: product.price.to_string(),
        currency: product.price.currency().code(),
        image_url: product.image_url,
        methods,
    };
    render(StatusCode::OK, &nonce, &images, &page)
}

/// `POST /p/{slug}`: buy.
pub async fn buy(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> HttpResponse {
    if let Some(too_many) = throttled(&req, &state) {
        return too_many;
    }
    match products::buy(&state.store, &state.opener, &slug).await {
        Ok(opened) => to_checkout(opened.record.id),
        Err(e) => refusal(&state, &e),
    }
}

fn refusal(state: &AppState, err: &BuyError) -> HttpResponse {
    match err {
        BuyError::NotFound => notice(state, StatusCode::NOT_FOUND, Notice::UnknownProduct),
        BuyError::OffSale => notice(state, StatusCode::GONE, Notice::OffSale),
        BuyError::Open(e) => refused(state, e),
        BuyError::Store(e) => {
            tracing::error!(error = %e, "a product could not be read");
            notice(state, StatusCode::SERVICE_UNAVAILABLE, Notice::TryLater)
        }
    }
}
