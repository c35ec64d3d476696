//! Errors of the hosted pages, answered as HTML pages in the customer's
//! language with the right status: unknown session 404, refused payment
//! option 4xx, database down 503, anything else 500 (its cause logged once,
//! never shown).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use super::frame::{Frame, Shop};
use super::i18n::Lang;
use super::security;
use crate::actors::session::SessionError;
use crate::domain::routing::Reason;
use crate::store::StoreError;

/// Why a hosted page cannot be shown.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// No such session (or page); also a bad or missing id or token.
    #[error("not found")]
    NotFound,
    /// The payment option asked for (`method` / `provider`) is refused by
    /// routing; never replaced silently by another one.
    #[error("payment option refused: {}", reason.as_str())]
    Refused {
        reason: Reason,
        shop: Box<Shop>,
        /// The checkout page to go back to.
        back: String,
        /// The merchant's part of the page CSP.
        policy: security::PagePolicy,
    },
    /// The database or an actor is not answering; retry shortly.
    #[error("unavailable")]
    Unavailable,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => PageError::Unavailable,
            StoreError::Conflict => PageError::Unexpected(anyhow::anyhow!("store conflict")),
            StoreError::Fenced => PageError::Unexpected(anyhow::anyhow!("store write fenced")),
            StoreError::Unexpected(e) => PageError::Unexpected(e),
        }
    }
}

impl From<SessionError> for PageError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::NotFound => PageError::NotFound,
            // Stale: other writers moved the session on every try; the
            // customer can retry shortly (503 with Retry-After).
            SessionError::Unavailable | SessionError::Stale => PageError::Unavailable,
            SessionError::Unexpected(why) => PageError::Unexpected(anyhow::anyhow!(why)),
        }
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        PageError::Unexpected(anyhow::anyhow!("rendering a page: {e}"))
    }
}

#[derive(Template)]
#[template(path = "checkout/error.html")]
struct ErrorPage<'a> {
    frame: Frame,
    heading: &'a str,
    body: &'a str,
    back: Option<&'a str>,
    /// The routing reason of a refusal (a stable code, for support).
    code: Option<&'static str>,
}

impl PageError {
    pub fn status(&self) -> StatusCode {
        match self {
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::Refused { reason, .. } => refusal_status(*reason),
            PageError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            PageError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The error page, in `lang`.
    pub fn respond(self, lang: Lang, self_path: &str) -> HttpResponse {
        if let PageError::Unexpected(cause) = &self {
            tracing::error!(error = format!("{cause:#}"), "hosted page failed");
        }
        let status = self.status();
        let nonce = security::nonce();
        let t = lang.messages();
        let mut frame = Frame::new(lang, nonce.clone(), self_path);
        let mut policy_of_page = security::PagePolicy::default();
        let (heading, body, back, code) = match &self {
            PageError::NotFound => (t.not_found_title, t.not_found_body, None, None),
            PageError::Refused {
                reason,
                shop,
                back,
                policy,
            } => {
                frame = frame.shop(Shop::clone(shop), false);
                policy_of_page = policy.clone();
                (
                    t.refused_title,
                    t.refused_body,
                    Some(back.as_str()),
                    Some(reason.as_str()),
                )
            }
            PageError::Unavailable => (t.unavailable_title, t.unavailable_body, None, None),
            PageError::Unexpected(_) => (t.error_title, t.error_body, None, None),
        };
        let page = ErrorPage {
            frame: frame.title(heading),
            heading,
            body,
            back,
            code,
        };
        let html = page.render().unwrap_or_else(|_| {
            format!(
                "<!doctype html><title>{}</title><h1>{}</h1>",
                status.as_u16(),
                status.as_u16()
            )
        });
        let mut response = security::html(status, html, &nonce, &policy_of_page);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from_static("2"),
            );
        }
        response
    }
}

/// The status of a refused payment option: 400 for a name we do not know,
/// 503 when the option exists but no provider can take it right now, else
/// 403 (not offered to this customer by this merchant).
fn refusal_status(reason: Reason) -> StatusCode {
    match reason {
        Reason::UnknownHint | Reason::NoHint => StatusCode::BAD_REQUEST,
        Reason::NoUsableProvider | Reason::AllProvidersFailed | Reason::RouterUnavailable => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        Reason::Resolved
        | Reason::GlobalSwitchOff
        | Reason::PackageNotAllowed
        | Reason::StandardCheckoutMode
        | Reason::CryptoNotEnabled
        | Reason::Epv2Inactive
        | Reason::MethodNotConfigured
        | Reason::ProviderNotRouted
        | Reason::CountryNotEligible
        | Reason::CountryUnknown
        | Reason::BlockedForMerchant => StatusCode::FORBIDDEN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_that_kept_moving_is_a_retry_later_not_a_failure() {
        assert_eq!(
            PageError::from(SessionError::Stale).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            PageError::from(SessionError::NotFound).status(),
            StatusCode::NOT_FOUND
        );
    }
}
