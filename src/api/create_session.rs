//! `POST /gateway/session.php`: create a checkout session. Answers HTTP 200
//! with the document's fields once the session is committed; an
//! `Idempotency-Key` makes retries safe.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Authenticated;
use super::idempotency::{self, Answer};
use super::session_request::{Body, parse};
use crate::app::sessions::open::OpenError;
use crate::clock::format_doc_time;
use crate::domain::merchant::Merchant;
use crate::error::{ApiError, ErrorBody};
use crate::http::body::{MAX_BODY, read_limited};
use crate::http::state::AppState;
use crate::http::urls::checkout_url;

/// The created session: the document's fields first, then extras.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CreateSessionResponse)]
pub struct Created {
    #[schema(example = true)]
    ok: bool,
    #[schema(example = 4815162342108_i64)]
    session_id: i64,
    /// Send your customer here.
    checkout_url: String,
    /// A provider URL when Smart Routing resolved your routing hint; else null.
    direct_url: Option<String>,
    /// The provider Smart Routing chose; else null.
    selected_provider: Option<String>,
    /// Whether Smart Routing is in force for your account.
    smart_route: bool,
    /// Why routing resolved your hint or not (`resolved`, `no_hint`,
    /// `package_not_allowed`, `country_not_eligible`, …), then any provider
    /// passed over: `resolved; skipped moonpay (unhealthy)`.
    #[schema(example = "resolved")]
    routing_reason: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    #[schema(example = "2026-02-25 12:34:56")]
    expires_at: String,
    #[schema(example = "created")]
    status: &'static str,
    order_id: Option<String>,
    #[schema(example = "79.00")]
    amount: String,
    #[schema(example = "EUR")]
    currency: &'static str,
    /// The session's own Polygon deposit address.
    polygon_address_in: String,
    /// USDC owed, fixed now from the configured rate.
    #[schema(example = "85.32")]
    amount_usdc: String,
    /// True in sandbox mode.
    test: bool,
}

/// Create a checkout session.
#[utoipa::path(
    post,
    path = "/gateway/session.php",
    request_body = Body,
    params(("Idempotency-Key" = Option<String>, Header, pattern = r"^[ \t]*[!-~](?:[ !-~]{0,253}[!-~])?[ \t]*$", description = "Same key and body within 24 h: the first response again, nothing created. 1 to 255 visible ASCII characters (inner spaces allowed); anything else is 400 `invalid_request`.")),
    responses(
        (status = 200, description = "Created (exactly 200)", body = Created),
        (status = 400, description = "`invalid_request` (a malformed `Idempotency-Key`, a field of the wrong JSON type, a private `webhook_url`), `invalid_json`, `invalid_domain`, `invalid_amount`, `invalid_currency`, `invalid_email`, `valid_customer_email_required` (the routing hint goes straight to a provider that needs the e-mail), `invalid_meta`, `missing_merchant_payout_wallet`, `invalid_merchant_payout_wallet`", body = ErrorBody),
        (status = 401, description = "`missing_api_key` / `invalid_api_key`", body = ErrorBody),
        (status = 403, description = "`merchant_disabled`, `domain_not_allowed` (with `domain`)", body = ErrorBody),
        (status = 409, description = "`idempotency_conflict`", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 429, description = "`rate_limited` (with `Retry-After`)", body = ErrorBody),
        (status = 503, description = "`wallet_create_failed`, `service_unavailable` (with `Retry-After`: the database is unreachable, or the node is past capacity and sheds load)", body = ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = [])),
)]
pub async fn create_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    merchant: Authenticated,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    // The body first: a request answered before its body is read cannot
    // leave its connection open for the next one, and a shed create must not
    // cost the client a new connection.
    let body = read_limited(payload, MAX_BODY).await?;
    let _admitted = state.admission.create.enter().await?;
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

async fn create(state: &AppState, merchant: &Merchant, body: &[u8]) -> Result<Created, ApiError> {
    let request = parse(state, merchant, body)?;
    let opened = state
        .opener
        .open(merchant, request)
        .await
        .map_err(refusal)?;
    let (record, route) = (opened.record, opened.route);
    Ok(Created {
        ok: true,
        session_id: record.id,
        checkout_url: checkout_url(&state.public_base, record.id),
        direct_url: opened.direct_url,
        selected_provider: route.selected_provider.map(|p| p.as_str().to_string()),
        smart_route: route.smart_route,
        routing_reason: route.description,
        expires_at: format_doc_time(record.expires_at_ms),
        status: record.status.as_str(),
        order_id: record.order_id,
        amount: record.amount.to_string(),
        currency: record.amount.currency().code(),
        polygon_address_in: record.deposit_address.checksummed(),
        amount_usdc: record.expected.to_string(),
        test: record.test,
    })
}

/// The documented error for a session the opener refused.
fn refusal(err: OpenError) -> ApiError {
    match err {
        OpenError::NoRate(_) => {
            ApiError::InvalidCurrency("No exchange rate is configured for this currency.")
        }
        OpenError::AmountTooLarge => ApiError::InvalidAmount("`amount` is too large."),
        OpenError::MissingPayoutWallet => ApiError::MissingPayoutWallet,
        OpenError::InvalidPayoutWallet => ApiError::InvalidPayoutWallet,
        OpenError::EmailRequired { provider } => ApiError::EmailRequired { provider },
        OpenError::Unavailable => ApiError::Unavailable,
        OpenError::Failed(e) => {
            tracing::error!(error = %e, "session creation failed");
            ApiError::WalletCreateFailed
        }
    }
}
