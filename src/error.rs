//! Errors at the HTTP edge: every failure a client can see, with its stable
//! snake_case code, HTTP status and a safe message.
//!
//! The edge logs the full cause of unexpected errors once; the body never
//! carries internals. The mapping is exhaustive: a new variant must choose its
//! status and code here.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};

/// Every error code the API can answer (the OpenAPI document lists them).
pub const ERROR_CODES: [&str; 24] = [
    "missing_api_key",
    "invalid_api_key",
    "merchant_disabled",
    "invalid_json",
    "payload_too_large",
    "invalid_request",
    "invalid_domain",
    "domain_not_allowed",
    "invalid_amount",
    "invalid_currency",
    "invalid_email",
    "valid_customer_email_required",
    "invalid_meta",
    "missing_merchant_payout_wallet",
    "invalid_merchant_payout_wallet",
    "rate_limited",
    "wallet_create_failed",
    "session_not_found",
    "idempotency_conflict",
    "not_found",
    "method_not_allowed",
    "sandbox_refused",
    "service_unavailable",
    "internal_error",
];

/// The shape of every error answer.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Always false.
    #[schema(example = false)]
    pub ok: bool,
    /// A stable snake_case code.
    #[schema(example = "domain_not_allowed", inline)]
    pub error: ErrorCode,
    /// With `domain_not_allowed`: the normalised domain that was refused.
    #[schema(example = "yourshop.com")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// A human explanation (may change; do not match on it).
    pub message: String,
}

/// The error codes, as a schema enumeration.
#[derive(Debug, serde::Serialize)]
pub struct ErrorCode(pub &'static str);

impl utoipa::PartialSchema for ErrorCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(ERROR_CODES))
            .into()
    }
}

impl utoipa::ToSchema for ErrorCode {}

/// An error answered to an API client as `{"ok":false,"error":"<code>",…}`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("missing API key")]
    MissingApiKey,
    #[error("invalid API key")]
    InvalidApiKey,
    #[error("merchant disabled")]
    MerchantDisabled,
    #[error("request body is not valid JSON")]
    InvalidJson,
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("invalid request: {0}")]
    InvalidRequest(&'static str),
    #[error("invalid domain")]
    InvalidDomain,
    #[error("domain not allowed")]
    DomainNotAllowed { domain: String },
    #[error("invalid amount")]
    InvalidAmount(&'static str),
    #[error("invalid currency")]
    InvalidCurrency(&'static str),
    #[error("invalid email")]
    InvalidEmail,
    /// The routing hint sends the customer straight to a provider that takes
    /// the e-mail up front, and none was sent.
    #[error("customer e-mail required")]
    EmailRequired { provider: &'static str },
    #[error("invalid meta")]
    InvalidMeta(&'static str),
    #[error("merchant payout wallet missing")]
    MissingPayoutWallet,
    #[error("merchant payout wallet invalid")]
    InvalidPayoutWallet,
    #[error("rate limited")]
    RateLimited { retry_after: Duration },
    #[error("deposit wallet could not be created")]
    WalletCreateFailed,
    #[error("session not found")]
    SessionNotFound,
    #[error("idempotency key reused with another request")]
    IdempotencyConflict,
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("sandbox refused: {0}")]
    SandboxRefused(String),
    #[error("service unavailable")]
    Unavailable,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl ApiError {
    /// The stable code clients switch on.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::MissingApiKey => "missing_api_key",
            ApiError::InvalidApiKey => "invalid_api_key",
            ApiError::MerchantDisabled => "merchant_disabled",
            ApiError::InvalidJson => "invalid_json",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::InvalidRequest(_) => "invalid_request",
            ApiError::InvalidDomain => "invalid_domain",
            ApiError::DomainNotAllowed { .. } => "domain_not_allowed",
            ApiError::InvalidAmount(_) => "invalid_amount",
            ApiError::InvalidCurrency(_) => "invalid_currency",
            ApiError::InvalidEmail => "invalid_email",
            ApiError::EmailRequired { .. } => "valid_customer_email_required",
            ApiError::InvalidMeta(_) => "invalid_meta",
            ApiError::MissingPayoutWallet => "missing_merchant_payout_wallet",
            ApiError::InvalidPayoutWallet => "invalid_merchant_payout_wallet",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::WalletCreateFailed => "wallet_create_failed",
            ApiError::SessionNotFound => "session_not_found",
            ApiError::IdempotencyConflict => "idempotency_conflict",
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::SandboxRefused(_) => "sandbox_refused",
            ApiError::Unavailable => "service_unavailable",
            ApiError::Unexpected(_) => "internal_error",
        }
    }

    /// A short human explanation, safe to show.
    fn message(&self) -> String {
        match self {
            ApiError::MissingApiKey => {
                "Send your API key as `Authorization: Bearer KEY` or `X-API-Key: KEY`.".into()
            }
            ApiError::InvalidApiKey => "The API key is not valid.".into(),
            ApiError::MerchantDisabled => "This merchant account is disabled.".into(),
            ApiError::InvalidJson => "The request body must be a JSON object.".into(),
            ApiError::PayloadTooLarge => "The request body is too large.".into(),
            ApiError::InvalidRequest(why) => (*why).into(),
            ApiError::InvalidDomain => "`domain` must be a host name such as yourshop.com.".into(),
            ApiError::DomainNotAllowed { .. } => "Add this domain to your allowlist first: Dashboard → Shop domains (/dashboard/domains).".into(),
            ApiError::InvalidAmount(why) => (*why).into(),
            ApiError::InvalidCurrency(why) => (*why).into(),
            ApiError::InvalidEmail => "`customer_email` is not a valid e-mail address.".into(),
            ApiError::EmailRequired { provider } => format!(
                "The routing hint sends the customer straight to {provider}, which needs the \
                 customer's e-mail: send `customer_email`, or leave out the hint and the \
                 checkout page will ask for it."
            ),
            ApiError::InvalidMeta(why) => (*why).into(),
            ApiError::MissingPayoutWallet => "Set a payout wallet for this merchant first.".into(),
            ApiError::InvalidPayoutWallet => {
                "The merchant's payout wallet is not a valid Polygon address.".into()
            }
            ApiError::RateLimited { .. } => {
                "Too many requests for this API key; retry later.".into()
            }
            ApiError::WalletCreateFailed => {
                "The deposit wallet could not be created; retry shortly.".into()
            }
            ApiError::SessionNotFound => "No such session.".into(),
            ApiError::IdempotencyConflict => {
                "This Idempotency-Key was already used with a different request.".into()
            }
            ApiError::NotFound => "No such endpoint.".into(),
            ApiError::MethodNotAllowed => "Method not allowed on this endpoint.".into(),
            ApiError::SandboxRefused(why) => why.clone(),
            ApiError::Unavailable => {
                "The service is temporarily unavailable; retry shortly.".into()
            }
            ApiError::Unexpected(_) => "Internal error.".into(),
        }
    }

    /// How long a client should wait before retrying, when that is known.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::RateLimited { retry_after } => Some(*retry_after),
            ApiError::Unavailable | ApiError::WalletCreateFailed => Some(Duration::from_secs(1)),
            _ => None,
        }
    }

    /// The JSON body of this error.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            ok: false,
            error: ErrorCode(self.code()),
            domain: match self {
                ApiError::DomainNotAllowed { domain } => Some(domain.clone()),
                _ => None,
            },
            message: self.message(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::MissingApiKey | ApiError::InvalidApiKey => StatusCode::UNAUTHORIZED,
            ApiError::MerchantDisabled | ApiError::DomainNotAllowed { .. } => StatusCode::FORBIDDEN,
            ApiError::InvalidJson
            | ApiError::InvalidRequest(_)
            | ApiError::InvalidDomain
            | ApiError::InvalidAmount(_)
            | ApiError::InvalidCurrency(_)
            | ApiError::InvalidEmail
            | ApiError::EmailRequired { .. }
            | ApiError::InvalidMeta(_)
            | ApiError::MissingPayoutWallet
            | ApiError::InvalidPayoutWallet => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::WalletCreateFailed | ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::SessionNotFound | ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::IdempotencyConflict | ApiError::SandboxRefused(_) => StatusCode::CONFLICT,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Unexpected(cause) = self {
            tracing::error!(error = format!("{cause:#}"), "unexpected error");
        }
        let mut response = HttpResponse::build(self.status_code());
        if let Some(after) = self.retry_after() {
            let secs = after.as_secs().max(1);
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                response.insert_header((header::RETRY_AFTER, v));
            }
        }
        response.json(self.body())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_code_is_listed_for_the_openapi_document() {
        let all = [
            ApiError::MissingApiKey,
            ApiError::InvalidApiKey,
            ApiError::MerchantDisabled,
            ApiError::InvalidJson,
            ApiError::PayloadTooLarge,
            ApiError::InvalidRequest(""),
            ApiError::InvalidDomain,
            ApiError::DomainNotAllowed {
                domain: String::new(),
            },
            ApiError::InvalidAmount(""),
            ApiError::InvalidCurrency(""),
            ApiError::InvalidEmail,
            ApiError::EmailRequired {
                provider: "moonpay",
            },
            ApiError::InvalidMeta(""),
            ApiError::MissingPayoutWallet,
            ApiError::InvalidPayoutWallet,
            ApiError::RateLimited {
                retry_after: Duration::from_secs(1),
            },
            ApiError::WalletCreateFailed,
            ApiError::SessionNotFound,
            ApiError::IdempotencyConflict,
            ApiError::NotFound,
            ApiError::MethodNotAllowed,
            ApiError::SandboxRefused(String::new()),
            ApiError::Unavailable,
            ApiError::Unexpected(anyhow::anyhow!("x")),
        ];
        let codes: Vec<&str> = all.iter().map(ApiError::code).collect();
        assert_eq!(codes, ERROR_CODES);
        for e in &all {
            assert_ne!(e.status_code(), StatusCode::OK);
            assert!(!e.body().ok);
        }
    }
}
