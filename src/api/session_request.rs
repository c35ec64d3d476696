//! The body of `POST /gateway/session.php` and its conversion to an
//! [`OpenRequest`]: every field of the integration document plus the variants
//! real integrations send, each failing with its documented error code.
//! Pricing, expiry and the payout wallet are the session opener's
//! (`app::sessions::open`), not checked here.

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use utoipa::ToSchema;

use super::field_schemas::{
    AmountField, CurrencyField, EmailField, IgnoredUnlessUsable, TextField, WebhookUrlField,
};

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
    #[schema(value_type = String, pattern = r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,8}[a-z]{2,24}$", max_length = 253, example = "shop.example")]
    domain: Option<Value>,
    /// Your order id (recommended). Alias: `order_id`.
    #[schema(value_type = TextField, required = false, example = "ORDER_123")]
    merchant_ref: Option<Value>,
    /// Alias of `merchant_ref`.
    #[schema(value_type = TextField, required = false)]
    order_id: Option<Value>,
    /// A JSON string (`"79.00"`) or number (`79`, `99.99`), parsed exactly; at
    /// most the currency's decimals, positive, not above the configured maximum.
    #[schema(value_type = AmountField)]
    amount: Option<Box<RawValue>>,
    /// ISO 4217 code.
    #[schema(value_type = CurrencyField)]
    currency: Option<Value>,
    /// Where the customer lands after paying; kept only when a full `https://`
    /// URL, any other value is ignored.
    #[schema(value_type = IgnoredUnlessUsable, required = false, example = "https://shop.example/thank-you")]
    return_url: Option<Value>,
    /// Where the customer goes on cancel; kept only when a full `https://`
    /// URL, any other value is ignored.
    #[schema(value_type = IgnoredUnlessUsable, required = false, example = "https://shop.example/checkout")]
    cancel_url: Option<Value>,
    /// The customer's e-mail (recommended). Alias: `email`.
    #[schema(value_type = EmailField, required = false)]
    customer_email: Option<Value>,
    /// Alias of `customer_email`.
    #[schema(value_type = EmailField, required = false)]
    email: Option<Value>,
    /// Routing hint: a method (`card`, `paypal`, `revolut`, `bank`, `ideal`,
    /// `other`) or a provider slug (`wert`, `moonpay`, `epv2`, …). Aliases:
    /// `method`, `payment_provider`, `payment_method` (same meaning).
    #[schema(value_type = TextField, required = false, example = "card")]
    provider: Option<Value>,
    /// Alias of `provider`.
    #[schema(value_type = TextField, required = false)]
    method: Option<Value>,
    /// Alias of `provider`.
    #[schema(value_type = TextField, required = false)]
    payment_provider: Option<Value>,
    /// Alias of `provider`.
    #[schema(value_type = TextField, required = false)]
    payment_method: Option<Value>,
    /// Any JSON object (up to `meta_max_bytes`), returned as sent.
    #[schema(value_type = Option<Object>)]
    meta: Option<Box<RawValue>>,
    /// A webhook URL for this session only (`https://`).
    #[schema(value_type = WebhookUrlField, required = false)]
    webhook_url: Option<Value>,
    /// The customer's country (ISO 3166-1 alpha-2), when your shop knows it:
    /// Smart Routing offers iDEAL only to customers from NL. Alias: `country`.
    #[schema(value_type = TextField, required = false, example = "NL")]
    customer_country: Option<Value>,
    /// Alias of `customer_country`.
    #[schema(value_type = TextField, required = false)]
    country: Option<Value>,
}

/// What a body is checked against besides the merchant's allowlist: the
/// operator's settings that bear on it.
#[derive(Debug, Clone)]
pub struct BodyRules {
    pub max_amount: rust_decimal::Decimal,
    pub meta_max_bytes: usize,
    /// Live mode: a per-session webhook must be `https://`.
    pub live: bool,
    pub webhook_allow_private: bool,
}

impl BodyRules {
    fn of(state: &AppState) -> BodyRules {
        BodyRules {
            max_amount: state.settings.max_amount,
            meta_max_bytes: state.settings.meta_max_bytes,
            live: state.settings.mode == Mode::Live,
            webhook_allow_private: state.settings.webhook_allow_private,
        }
    }
}

/// Turns the body into an [`OpenRequest`], or the documented error.
pub fn parse(state: &AppState, merchant: &Merchant, body: &[u8]) -> Result<OpenRequest, ApiError> {
    read_body(&BodyRules::of(state), |d| merchant.allows(d), body)
}

/// [`parse`] without the server around it: `allows` is the allowlist.
pub fn read_body(
    rules: &BodyRules,
    allows: impl Fn(&ShopDomain) -> bool,
    body: &[u8],
) -> Result<OpenRequest, ApiError> {
    let body: Body = serde_json::from_slice(body).map_err(|_| ApiError::InvalidJson)?;
    let domain =
        first_text([&body.domain], || ApiError::InvalidDomain)?.ok_or(ApiError::InvalidDomain)?;
    let domain = ShopDomain::parse(&domain).map_err(|_| ApiError::InvalidDomain)?;
    if !allows(&domain) {
        return Err(ApiError::DomainNotAllowed {
            domain: domain.as_str().to_string(),
        });
    }
    let no_currency = || ApiError::InvalidCurrency("`currency` is required (ISO 4217, e.g. EUR).");
    let currency = first_text([&body.currency], no_currency)?.ok_or_else(no_currency)?;
    let currency = Currency::parse(&currency)
        .map_err(|_| ApiError::InvalidCurrency("`currency` is not an ISO 4217 currency code."))?;
    let raw_amount = body
        .amount
        .as_deref()
        .ok_or(ApiError::InvalidAmount("`amount` is required."))?;
    let amount = Money::parse_json(raw_amount, currency, rules.max_amount)
        .map_err(|_| ApiError::InvalidAmount("`amount` must be a positive number with at most the currency's decimals, not above the maximum."))?;
    let customer_email = match first_text([&body.customer_email, &body.email], || {
        ApiError::InvalidEmail
    })? {
        None => None,
        Some(e) => Some(Email::parse(&e).map_err(|_| ApiError::InvalidEmail)?),
    };
    let meta = match body.meta.as_deref().map(RawValue::get) {
        None | Some("null") => None,
        Some(raw) if !raw.trim_start().starts_with('{') => {
            return Err(ApiError::InvalidMeta("`meta` must be a JSON object."));
        }
        Some(raw) if raw.len() > rules.meta_max_bytes => {
            return Err(ApiError::InvalidMeta("`meta` is too large."));
        }
        Some(raw) => Some(raw.to_string()),
    };
    let hint = first_text(
        [
            &body.provider,
            &body.method,
            &body.payment_provider,
            &body.payment_method,
        ],
        || ApiError::InvalidRequest("`provider` must be a string without NUL characters."),
    )?
    .map(|h| h.to_ascii_lowercase());
    let order_id = first_text([&body.merchant_ref, &body.order_id], || {
        ApiError::InvalidRequest(
            "`merchant_ref` must be a string (without NUL characters) or a number.",
        )
    })?;
    let country = first_text([&body.customer_country, &body.country], || {
        ApiError::InvalidRequest("`customer_country` must be a string without NUL characters.")
    })?;
    Ok(OpenRequest {
        order_id: order_id.map(|o| o.chars().take(255).collect()),
        amount,
        shop_domain: domain,
        customer_email,
        return_url: https(&body.return_url),
        cancel_url: https(&body.cancel_url),
        webhook_url: webhook_target(rules, &body.webhook_url)?,
        meta,
        routing_hint: hint.map(|h| h.chars().take(64).collect()),
        customer_country: country.and_then(|c| parse_country(&c)),
        source: SessionSource::Api,
    })
}

/// A per-session webhook URL, checked like a merchant's: `https://` in live
/// mode, and no literal private address unless the operator allowed it
/// (host names are checked again, resolved, at every delivery).
fn webhook_target(rules: &BodyRules, v: &Option<Value>) -> Result<Option<String>, ApiError> {
    let wrong = || ApiError::InvalidRequest("`webhook_url` must be a public https:// URL.");
    let Some(url) = first_text([v], wrong)? else {
        return Ok(None);
    };
    let deliverer_rules =
        crate::webhooks::ssrf::check_literal(&url, rules.live, rules.webhook_allow_private);
    deliverer_rules.map(|()| Some(url)).map_err(|_| wrong())
}

/// A string field (numbers accepted too, as shops send numeric order ids).
/// Blank, null and absent are nothing; another JSON type is `Err`, and so is
/// a string with a NUL character (PostgreSQL text cannot hold one).
fn text(v: &Option<Value>) -> Result<Option<String>, ()> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.contains('\0') => Err(()),
        Some(Value::String(s)) => Ok(Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_string)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(()),
    }
}

/// The first of a field and its aliases that has text; `wrong` when any of
/// them holds another JSON type (an alias is checked even when an earlier
/// field won, so a bad value is never silently ignored).
fn first_text<const N: usize>(
    fields: [&Option<Value>; N],
    wrong: impl Fn() -> ApiError,
) -> Result<Option<String>, ApiError> {
    let mut first = None;
    for field in fields {
        let value = text(field).map_err(|()| wrong())?;
        first = first.or(value);
    }
    Ok(first)
}

/// `return_url` / `cancel_url`: kept when a full `https://` URL, else ignored (as documented).
fn https(v: &Option<Value>) -> Option<String> {
    text(v)
        .ok()
        .flatten()
        .and_then(|u| HttpsUrl::parse(&u))
        .map(|u| u.as_str().to_string())
}
