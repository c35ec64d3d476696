//! The body of `POST /gateway/session.php` and its conversion to an
//! [`OpenRequest`]: every field of the integration document plus the variants
//! real integrations send, each failing with its documented error code.
//! Pricing, expiry and the payout wallet are the session opener's
//! (`app::sessions::open`), not checked here.

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use utoipa::ToSchema;

use crate::app::sessions::open::OpenRequest;
use crate::config::Mode;
use crate::domain::email::Email;
use crate::domain::https_url::HttpsUrl;
use crate::domain::merchant::{Merchant, parse_country};
use crate::domain::money::{Currency, Money};
use crate::domain::session_source::SessionSource;
use crate::domain::shop_domain::ShopDomain;
use crate::error::ApiError;
use crate::http::state::AppState;

/// A create request as sent. Fields are read leniently here (any JSON type)
/// and checked by [`parse`], so a wrong type gets the field's error code.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = CreateSessionRequest)]
pub struct Body {
    /// Your shop's domain, as a host (recommended) or a full URL; normalised
    /// (lower case, IDNA, no `www.`, port or path) and checked against your allowlist.
    #[schema(value_type = String, example = "yourshop.com")]
    domain: Option<Value>,
    /// Your order id (recommended). Alias: `order_id`.
    #[schema(value_type = Option<String>, example = "ORDER_123")]
    merchant_ref: Option<Value>,
    /// Alias of `merchant_ref`.
    #[schema(value_type = Option<String>)]
    order_id: Option<Value>,
    /// A JSON string (`"79.00"`) or number (`79`, `99.99`), parsed exactly; at
    /// most the currency's decimals, positive, not above the configured maximum.
    #[schema(value_type = String, example = "79.00")]
    amount: Option<Box<RawValue>>,
    /// ISO 4217 code.
    #[schema(value_type = String, example = "EUR")]
    currency: Option<Value>,
    /// Where the customer lands after paying; kept only when a full `https://` URL.
    #[schema(value_type = Option<String>, example = "https://yourshop.com/thank-you")]
    return_url: Option<Value>,
    /// Where the customer goes on cancel; kept only when a full `https://` URL.
    #[schema(value_type = Option<String>, example = "https://yourshop.com/checkout")]
    cancel_url: Option<Value>,
    /// The customer's e-mail (recommended). Alias: `email`.
    #[schema(value_type = Option<String>, example = "buyer@example.com")]
    customer_email: Option<Value>,
    /// Alias of `customer_email`.
    #[schema(value_type = Option<String>)]
    email: Option<Value>,
    /// Routing hint: a method (`card`, `paypal`, `revolut`, `bank`, `ideal`,
    /// `other`) or a provider slug (`wert`, `moonpay`, `epv2`, …). Aliases:
    /// `method`, `payment_provider`, `payment_method` (same meaning).
    #[schema(value_type = Option<String>, example = "card")]
    provider: Option<Value>,
    /// Alias of `provider`.
    #[schema(value_type = Option<String>)]
    method: Option<Value>,
    /// Alias of `provider`.
    #[schema(value_type = Option<String>)]
    payment_provider: Option<Value>,
    /// Alias of `provider`.
    #[schema(value_type = Option<String>)]
    payment_method: Option<Value>,
    /// Any JSON object (up to `meta_max_bytes`), returned as sent.
    #[schema(value_type = Option<Object>)]
    meta: Option<Box<RawValue>>,
    /// A webhook URL for this session only (`https://`).
    #[schema(value_type = Option<String>)]
    webhook_url: Option<Value>,
    /// The customer's country (ISO 3166-1 alpha-2), when your shop knows it:
    /// Smart Routing offers iDEAL only to customers from NL. Alias: `country`.
    #[schema(value_type = Option<String>, example = "NL")]
    customer_country: Option<Value>,
    /// Alias of `customer_country`.
    #[schema(value_type = Option<String>)]
    country: Option<Value>,
}

/// Turns the body into an [`OpenRequest`], or the documented error.
pub fn parse(state: &AppState, merchant: &Merchant, body: &[u8]) -> Result<OpenRequest, ApiError> {
    let body: Body = serde_json::from_slice(body).map_err(|_| ApiError::InvalidJson)?;
    let domain = text(&body.domain).ok_or(ApiError::InvalidDomain)?;
    let domain = ShopDomain::parse(&domain).map_err(|_| ApiError::InvalidDomain)?;
    if !merchant.allows(&domain) {
        return Err(ApiError::DomainNotAllowed {
            domain: domain.as_str().to_string(),
        });
    }
    let currency = text(&body.currency).ok_or(ApiError::InvalidCurrency(
        "`currency` is required (ISO 4217, e.g. EUR).",
    ))?;
    let currency = Currency::parse(&currency)
        .map_err(|_| ApiError::InvalidCurrency("`currency` is not an ISO 4217 currency code."))?;
    let raw_amount = body
        .amount
        .as_deref()
        .ok_or(ApiError::InvalidAmount("`amount` is required."))?;
    let amount = Money::parse_json(raw_amount, currency, state.settings.max_amount)
        .map_err(|_| ApiError::InvalidAmount("`amount` must be a positive number with at most the currency's decimals, not above the maximum."))?;
    let customer_email = match text(&body.customer_email).or_else(|| text(&body.email)) {
        None => None,
        Some(e) => Some(Email::parse(&e).map_err(|_| ApiError::InvalidEmail)?),
    };
    let meta = match body.meta.as_deref().map(RawValue::get) {
        None | Some("null") => None,
        Some(raw) if !raw.trim_start().starts_with('{') => {
            return Err(ApiError::InvalidMeta("`meta` must be a JSON object."));
        }
        Some(raw) if raw.len() > state.settings.meta_max_bytes => {
            return Err(ApiError::InvalidMeta("`meta` is too large."));
        }
        Some(raw) => Some(raw.to_string()),
    };
    let hint = [
        &body.provider,
        &body.method,
        &body.payment_provider,
        &body.payment_method,
    ]
    .into_iter()
    .find_map(text)
    .map(|h| h.to_ascii_lowercase());
    Ok(OpenRequest {
        order_id: text(&body.merchant_ref)
            .or_else(|| text(&body.order_id))
            .map(|o| o.chars().take(255).collect()),
        amount,
        shop_domain: domain,
        customer_email,
        return_url: https(&body.return_url),
        cancel_url: https(&body.cancel_url),
        webhook_url: webhook_target(state, &body.webhook_url)?,
        meta,
        routing_hint: hint.map(|h| h.chars().take(64).collect()),
        customer_country: text(&body.customer_country)
            .or_else(|| text(&body.country))
            .and_then(|c| parse_country(&c)),
        source: SessionSource::Api,
    })
}

/// A per-session webhook URL, checked like a merchant's: `https://` in live
/// mode, and no literal private address unless the operator allowed it
/// (host names are checked again, resolved, at every delivery).
fn webhook_target(state: &AppState, v: &Option<Value>) -> Result<Option<String>, ApiError> {
    let Some(url) = text(v) else { return Ok(None) };
    let deliverer_rules = crate::webhooks::ssrf::check_literal(
        &url,
        state.settings.mode == Mode::Live,
        state.settings.webhook_allow_private,
    );
    deliverer_rules
        .map(|()| Some(url))
        .map_err(|_| ApiError::InvalidRequest("`webhook_url` must be a public https:// URL."))
}

/// A string field (numbers accepted too, as shops send numeric order ids); blank is absent.
fn text(v: &Option<Value>) -> Option<String> {
    match v {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

fn https(v: &Option<Value>) -> Option<String> {
    text(v)
        .and_then(|u| HttpsUrl::parse(&u))
        .map(|u| u.as_str().to_string())
}
