//! A customer chose a payment option (`&method=M`, `&provider=P`, or the
//! e-mail form): ask the router — with the option as the hint and the
//! customer's country — and send the customer to the provider it picks.
//! A refusal is an error page (4xx), never another provider in its place.
//! The EPv2 provider list is shown here; a provider that wants the
//! customer's e-mail when the session has none gets the e-mail form first.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::customer;
use super::error::PageError;
use super::frame::Frame;
use super::methods::MethodLink;
use super::query::PageQuery;
use super::security;
use super::view::{Loaded, SessionSummary, shop_of};
use crate::actors::router::RouteRequest;
use crate::domain::routing::{Layer, Provider};
use crate::http::state::AppState;
use crate::http::urls::checkout_url;

/// What the page knows when a customer chooses.
pub struct Choice<'a> {
    pub req: &'a HttpRequest,
    pub state: &'a AppState,
    pub loaded: &'a Loaded,
    pub summary: SessionSummary,
    pub query: &'a PageQuery,
    pub frame: Frame,
    /// The merchant's part of the page CSP.
    pub policy: security::PagePolicy,
    /// An e-mail address the customer typed (the e-mail form).
    pub email: Option<String>,
    /// The form was sent with an address that is not one.
    pub invalid_email: bool,
}

#[derive(Template)]
#[template(path = "checkout/providers.html")]
struct ProviderListPage {
    frame: Frame,
    s: SessionSummary,
    providers: Vec<MethodLink>,
    back: String,
}

#[derive(Template)]
#[template(path = "checkout/email.html")]
struct EmailPage {
    frame: Frame,
    s: SessionSummary,
    action: String,
    value: String,
    invalid: bool,
    back: String,
}

/// Routes the chosen option and answers: a redirect, the provider list, the
/// e-mail form, or a refusal.
pub async fn choose(c: Choice<'_>) -> Result<HttpResponse, PageError> {
    let hint = c.query.hint().unwrap_or_default().to_string();
    let record = &c.loaded.record;
    let merchant = &c.loaded.merchant;
    let lang_suffix = c.query.lang_suffix();
    let back = format!("/pay.php?session={}{lang_suffix}", record.id);
    let email = c.email.clone().or_else(|| {
        record
            .customer_email
            .as_ref()
            .map(|e| e.as_str().to_string())
    });
    let outcome = c
        .state
        .router
        .route(RouteRequest {
            merchant: merchant.clone(),
            hint: Some(hint.clone()),
            country: customer::country(
                c.req,
                c.state.settings.country_header.as_deref(),
                merchant.country.as_deref(),
            ),
            session_id: record.id,
            deposit_address: record.deposit_address.checksummed(),
            fiat: record.amount,
            email: email.clone(),
            // Providers bring the customer back here: the page shows the
            // outcome, then sends them on to the shop's return URL.
            return_url: Some(checkout_url(&c.state.public_base, record.id)),
        })
        .await;
    let (provider, url) = match (outcome.selected_provider, outcome.direct_url) {
        (Some(p), Some(url)) => (p, url),
        _ => {
            return Err(PageError::Refused {
                reason: outcome.reason,
                shop: Box::new(shop_of(c.loaded)),
                back,
                policy: c.policy,
            });
        }
    };
    let nonce = c.frame.nonce.clone();
    if provider == Provider::Epv2 {
        let providers = provider_list(c.state, record.id, &lang_suffix).await;
        let page = ProviderListPage {
            frame: c.frame,
            s: c.summary,
            providers,
            back,
        };
        return Ok(security::html(
            StatusCode::OK,
            page.render()?,
            &nonce,
            &c.policy,
        ));
    }
    if provider.wants_email() && (email.is_none() || c.invalid_email) {
        let field = if c.query.provider.is_some() {
            "provider"
        } else {
            "method"
        };
        let title = c.frame.t.email_title;
        let page = EmailPage {
            frame: c.frame.title(title),
            s: c.summary,
            action: format!(
                "/pay.php?session={}&{field}={}{lang_suffix}",
                record.id,
                urlencode(&hint)
            ),
            value: c.query.email.clone().unwrap_or_default(),
            invalid: c.invalid_email,
            back,
        };
        let status = if c.invalid_email {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        return Ok(security::html(status, page.render()?, &nonce, &c.policy));
    }
    Ok(security::redirect(&url))
}

/// The EPv2 provider list: every configured fiat provider, each a direct
/// override the router validates again when chosen.
async fn provider_list(state: &AppState, session_id: i64, lang_suffix: &str) -> Vec<MethodLink> {
    state
        .router
        .status()
        .await
        .configured
        .into_iter()
        .filter(|p| p.layer() == Layer::Epv1)
        .map(|p| MethodLink {
            slug: p.as_str(),
            label: provider_label(p),
            href: format!(
                "/pay.php?session={session_id}&provider={}{lang_suffix}",
                p.as_str()
            ),
        })
        .collect()
}

fn provider_label(p: Provider) -> &'static str {
    match p {
        Provider::Sandbox => "Sandbox",
        Provider::Moonpay => "MoonPay",
        Provider::Transak => "Transak",
        Provider::RampNetwork => "Ramp Network",
        Provider::Wert => "Wert",
        Provider::Robinhood => "Robinhood Connect",
        Provider::Revolut => "Revolut",
        Provider::Ideal => "iDEAL",
        Provider::BankTransfer => "Bank transfer",
        Provider::Epv2Partner | Provider::Epv2 => "EPv2",
        Provider::Crypto => "USDC",
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
