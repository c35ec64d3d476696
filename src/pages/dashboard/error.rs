//! Errors of the dashboard pages, answered as HTML with the right status:
//! an object that is not this merchant's (or does not exist) 404, an
//! expired or forged form 403, a form too large 413, the database down 503,
//! anything else 500 (its cause logged once, never shown).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use super::frame::AuthFrame;
use crate::app::accounts::AccountError;
use crate::app::api_keys::ApiKeyError;
use crate::app::merchants::MerchantError;
use crate::app::sessions::SessionsError;
use crate::http::headers;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum DashError {
    #[error("not found")]
    NotFound,
    /// The CSRF token is missing or wrong.
    #[error("form expired")]
    Csrf,
    #[error("form too large")]
    TooLarge,
    #[error("unavailable")]
    Unavailable,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for DashError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => DashError::Unavailable,
            StoreError::Conflict => DashError::Unexpected(anyhow::anyhow!("store conflict")),
            StoreError::Fenced => DashError::Unexpected(anyhow::anyhow!("store write fenced")),
            StoreError::Unexpected(e) => DashError::Unexpected(e),
        }
    }
}

impl From<MerchantError> for DashError {
    fn from(e: MerchantError) -> Self {
        match e {
            MerchantError::NotFound(_) | MerchantError::EventNotFound(_) => DashError::NotFound,
            MerchantError::Store(e) => e.into(),
            other @ (MerchantError::Field(_)
            | MerchantError::WebhookUrl(_)
            | MerchantError::EmailTaken(_)
            | MerchantError::Password(_)
            | MerchantError::NoPendingWalletChange(_)
            | MerchantError::NoWebhookEndpoint(_)) => {
                DashError::Unexpected(anyhow::Error::new(other))
            }
        }
    }
}

impl From<ApiKeyError> for DashError {
    fn from(e: ApiKeyError) -> Self {
        match e {
            ApiKeyError::MerchantNotFound(_) | ApiKeyError::KeyNotFound { .. } => {
                DashError::NotFound
            }
            ApiKeyError::Store(e) => e.into(),
            other @ (ApiKeyError::TooManyKeys(_) | ApiKeyError::Label(_)) => {
                DashError::Unexpected(anyhow::Error::new(other))
            }
        }
    }
}

impl From<SessionsError> for DashError {
    fn from(e: SessionsError) -> Self {
        match e {
            SessionsError::NotFound(_) | SessionsError::EventNotFound(_) => DashError::NotFound,
            SessionsError::Store(e) => e.into(),
            SessionsError::Merchant(e) => e.into(),
        }
    }
}

impl From<AccountError> for DashError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Merchant(e) => e.into(),
            AccountError::Store(e) => e.into(),
            other @ (AccountError::SignupClosed
            | AccountError::WrongCredentials
            | AccountError::Throttled(_)) => DashError::Unexpected(anyhow::Error::new(other)),
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard/error.html")]
struct ErrorPage<'a> {
    frame: AuthFrame,
    heading: &'a str,
    message: &'a str,
}

impl DashError {
    /// The error page (`hsts` in live mode).
    pub fn respond(&self, hsts: bool, test: bool) -> HttpResponse {
        let (status, heading, message) = match self {
            DashError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing here, or it belongs to another account.",
            ),
            DashError::Csrf => (
                StatusCode::FORBIDDEN,
                "This form has expired",
                "Go back, reload the page and submit the form again.",
            ),
            DashError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Too much data",
                "The form sent more than the dashboard accepts.",
            ),
            DashError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Temporarily unavailable",
                "Kassa cannot reach its database right now. Try again in a minute.",
            ),
            DashError::Unexpected(cause) => {
                tracing::error!(error = format!("{cause:#}"), "dashboard page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The error was logged. Try again, and tell the operator if it persists.",
                )
            }
        };
        let nonce = headers::nonce();
        let page = ErrorPage {
            frame: AuthFrame {
                title: heading.to_string(),
                nonce: nonce.clone(),
                csrf: String::new(),
                test,
                signup_open: false,
            },
            heading,
            message,
        };
        match page.render() {
            Ok(body) => headers::dashboard_html(status, &nonce, None, hsts).body(body),
            Err(_) => HttpResponse::build(status).finish(),
        }
    }
}
