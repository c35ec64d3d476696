//! `POST /gateway/session.php`: create a checkout session.
//!
//! Accepts the document's fields and the variants real integrations send
//! (`merchant_ref`|`order_id`, `customer_email`|`email`, the four routing
//! hint names, `amount` as a JSON string or number), and answers HTTP 200
//! with the document's fields once the session is committed.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::auth::Authenticated;
use super::body::{MAX_BODY, read_limited};
use super::idempotency::{self, Answer};
use super::session_view::checkout_url;
use super::state::AppState;
use crate::actors::creator::CreateError;
use crate::clock::format_doc_time;
use crate::domain::email::Email;
use crate::domain::https_url::HttpsUrl;
use crate::domain::merchant::{Merchant, PayoutWalletProblem};
use crate::domain::money::{Currency, Money, UsdcAmount};
use crate::domain::shop_domain::ShopDomain;
use crate::error::ApiError;
use crate::store::sessions::NewSession;

/// The request body as sent; every field is checked by [`parse`].
#[derive(Debug, Deserialize)]
struct Body {
    domain: Option<Value>,
    merchant_ref: Option<Value>,
    order_id: Option<Value>,
    amount: Option<Box<RawValue>>,
    currency: Option<Value>,
    return_url: Option<Value>,
    cancel_url: Option<Value>,
    customer_email: Option<Value>,
    email: Option<Value>,
    provider: Option<Value>,
    method: Option<Value>,
    payment_provider: Option<Value>,
    payment_method: Option<Value>,
    meta: Option<Box<RawValue>>,
    webhook_url: Option<Value>,
}

pub async fn create_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    merchant: Authenticated,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = read_limited(payload, MAX_BODY).await?;
    let merchant = merchant.0;
    let answer = match idempotency::key_of(&req)? {
        None => Answer::from_result(create(&state, &merchant, &body).await),
        Some(key) => {
            idempotency::once(&state, merchant.id, &key, &body, || async {
                Answer::from_result(create(&state, &merchant, &body).await)
            })
            .await?
        }
    };
    Ok(answer.into_response())
}

async fn create(state: &AppState, merchant: &Merchant, body: &[u8]) -> Result<Value, ApiError> {
    let new = parse(state, merchant, body)?;
    let record = state.sessions.create(new).await.map_err(|e| match e {
        CreateError::Unavailable => ApiError::Unavailable,
        CreateError::Wallet(_) | CreateError::Failed(_) | CreateError::Stopped => {
            tracing::error!(error = %e, "session creation failed");
            ApiError::WalletCreateFailed
        }
    })?;
    Ok(json!({
        "ok": true,
        "session_id": record.id,
        "checkout_url": checkout_url(&state.public_base, record.id),
        "direct_url": null,
        "selected_provider": null,
        "smart_route": merchant.smart_routing_effective(state.settings.smart_router_enabled),
        "expires_at": format_doc_time(record.expires_at_ms),
        "status": record.status.as_str(),
        "order_id": record.order_id,
        "amount": record.amount.to_string(),
        "currency": record.amount.currency().code(),
        "polygon_address_in": record.deposit_address,
        "amount_usdc": record.expected.to_string(),
        "test": record.test,
    }))
}

/// Turns the body into a [`NewSession`], or the documented error.
fn parse(state: &AppState, merchant: &Merchant, body: &[u8]) -> Result<NewSession, ApiError> {
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
    let rate = state
        .settings
        .rates
        .get(currency.code())
        .ok_or(ApiError::InvalidCurrency(
            "No exchange rate is configured for this currency.",
        ))?;
    let expected = UsdcAmount::from_fiat(amount.amount(), *rate)
        .ok_or(ApiError::InvalidAmount("`amount` is too large."))?;
    let customer_email = match text(&body.customer_email).or_else(|| text(&body.email)) {
        None => None,
        Some(e) => Some(
            Email::parse(&e)
                .map_err(|_| ApiError::InvalidEmail)?
                .as_str()
                .to_string(),
        ),
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
    match merchant.payout_wallet() {
        Ok(_) => {}
        Err(PayoutWalletProblem::Missing) => return Err(ApiError::MissingPayoutWallet),
        Err(PayoutWalletProblem::Invalid) => return Err(ApiError::InvalidPayoutWallet),
    }
    let hint = [
        &body.provider,
        &body.method,
        &body.payment_provider,
        &body.payment_method,
    ]
    .into_iter()
    .find_map(text)
    .map(|h| h.to_ascii_lowercase());
    let now_ms = state.clock.now_ms();
    let lifetime_ms =
        i64::try_from(state.settings.session_lifetime.as_millis()).unwrap_or(i64::MAX);
    Ok(NewSession {
        merchant_id: merchant.id,
        order_id: text(&body.merchant_ref)
            .or_else(|| text(&body.order_id))
            .map(|o| o.chars().take(255).collect()),
        amount,
        expected,
        shop_domain: domain.as_str().to_string(),
        customer_email,
        return_url: https(&body.return_url),
        cancel_url: https(&body.cancel_url),
        webhook_url: https(&body.webhook_url),
        meta,
        routing_hint: hint.map(|h| h.chars().take(64).collect()),
        test: state.settings.mode == crate::config::Mode::Sandbox,
        created_at_ms: now_ms,
        expires_at_ms: now_ms.saturating_add(lifetime_ms),
    })
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
