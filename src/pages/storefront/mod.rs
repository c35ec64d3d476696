//! The merchant's storefront on the platform: payment link pages
//! (`/l/{slug}`) and product landing pages (`/p/{slug}`), for merchants who
//! sell without an integration. Public and cookie-free like the checkout: a
//! GET only shows (chat apps preview links without using anything up), a
//! POST opens a session through `app::links` / `app::products` and answers
//! 303 to the hosted checkout. Opening is rate-limited per client address.
//!
//! Handlers parse, call one `app::` function and render
//! (`templates/storefront/`). Pages show the merchant's public name and
//! branding, never its configuration; they must not reach into the
//! checkout's or the dashboard's modules.

pub mod link;
pub mod product;
pub mod security;
pub mod view;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use governor::clock::{Clock, DefaultClock};

use crate::app::sessions::open::OpenError;
use crate::config::Mode;
use crate::http::client_ip::client_ip;
use crate::http::state::AppState;
use view::{Notice, NoticePage, PageFrame};

/// Registers the storefront's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/l/{slug}")
            .route(web::get().to(link::show))
            .route(web::head().to(link::show))
            .route(web::post().to(link::open)),
    )
    .service(
        web::resource("/p/{slug}")
            .route(web::get().to(product::show))
            .route(web::head().to(product::show))
            .route(web::post().to(product::buy)),
    );
}

/// Sessions one client address may open through links and product pages:
/// a burst of 10, then one every 6 seconds.
pub fn open_quota() -> governor::Quota {
    governor::Quota::with_period(std::time::Duration::from_secs(6))
        .unwrap_or_else(|| governor::Quota::per_minute(std::num::NonZeroU32::MIN))
        .allow_burst(std::num::NonZeroU32::new(10).unwrap_or(std::num::NonZeroU32::MIN))
}

/// The 429 page when this client has opened too many sessions.
pub fn throttled(req: &HttpRequest, state: &AppState) -> Option<HttpResponse> {
    let ip = client_ip(req, &state.settings.accounts.trusted_proxies);
    match state.storefront_limiter.check_key(&ip) {
        Ok(()) => None,
        Err(not_until) => {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let secs = wait.as_secs().max(1);
            let mut answer = notice(state, StatusCode::TOO_MANY_REQUESTS, Notice::TooMany);
            if let Ok(value) = secs.to_string().parse() {
                answer
                    .headers_mut()
                    .insert(actix_web::http::header::RETRY_AFTER, value);
            }
            Some(answer)
        }
    }
}

/// The small page that explains why nothing can be paid here.
pub fn notice(state: &AppState, status: StatusCode, notice: Notice) -> HttpResponse {
    let frame = PageFrame::plain(notice.title(), is_test(state));
    let nonce = frame.nonce.clone();
    let page = NoticePage { frame, notice };
    render(status, &nonce, &[], &page)
}

/// Renders `page` with the storefront's headers; `images` are the extra
/// origins the page shows pictures from.
pub fn render(
    status: StatusCode,
    nonce: &str,
    images: &[String],
    page: &impl Template,
) -> HttpResponse {
    match page.render() {
        Ok(body) => security::html(status, body, nonce, images),
        Err(e) => {
            tracing::error!(error = %e, "a storefront page did not render");
            security::plain(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong.")
        }
    }
}

/// The answer when the opener refused: the merchant's setup is incomplete
/// (409), or the gateway cannot store sessions right now (503).
pub fn refused(state: &AppState, err: &OpenError) -> HttpResponse {
    match err {
        OpenError::NoRate(_)
        | OpenError::AmountTooLarge
        | OpenError::MissingPayoutWallet
        | OpenError::InvalidPayoutWallet
        | OpenError::EmailRequired { .. } => {
            tracing::warn!(error = %err, "a storefront session was refused");
            notice(state, StatusCode::CONFLICT, Notice::NotReady)
        }
        OpenError::Unavailable | OpenError::Failed(_) => {
            tracing::error!(error = %err, "a storefront session could not be opened");
            let mut answer = notice(state, StatusCode::SERVICE_UNAVAILABLE, Notice::TryLater);
            answer.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from_static("5"),
            );
            answer
        }
    }
}

/// Whether the deployment is a sandbox (pages show a badge).
pub fn is_test(state: &AppState) -> bool {
    state.settings.mode == Mode::Sandbox
}

/// The 303 to the hosted checkout of a new session.
pub fn to_checkout(session_id: i64) -> HttpResponse {
    security::redirect(&format!("/pay.php?session={session_id}"))
}
