//! `POST /pay/cancel` with `session`, `token` (and `lang`): the customer
//! gives up on an open checkout. The session becomes `cancelled` (a webhook
//! tells the shop) and the customer goes to the session's `cancel_url`, or
//! back to the checkout, which then shows the cancelled state. The form
//! carries the per-session page token instead of a cookie, so it works in a
//! merchant's frame. A session already paying or closed is left as it is.

use actix_web::{HttpRequest, HttpResponse, web};

use super::customer;
use super::error::PageError;
use super::query::PageQuery;
use super::security;
use super::view::load;
use crate::domain::https_url::HttpsUrl;
use crate::http::state::AppState;

/// `POST /pay/cancel`.
pub async fn cancel(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let form = PageQuery::parse(&body);
    let lang = customer::language(&req, &form);
    match cancel_and_leave(&state, &form).await {
        Ok(response) => response,
        Err(e) => e.respond(lang, "/pay/cancel"),
    }
}

async fn cancel_and_leave(state: &AppState, form: &PageQuery) -> Result<HttpResponse, PageError> {
    let id = match (form.session, form.token.as_deref()) {
        (Some(id), Some(token)) if state.page_secret.verify(id, token) => id,
        _ => return Err(PageError::NotFound),
    };
    let loaded = load(state, Some(id)).await?;
    let outcome = state.sessions.cancel(id).await?;
    if let Some(refusal) = outcome.refusal {
        tracing::info!(session_id = id, %refusal, "checkout not cancelled");
    }
    let leave_to = loaded
        .record
        .cancel_url
        .as_deref()
        .and_then(HttpsUrl::parse)
        .filter(|_| outcome.refusal.is_none());
    Ok(match leave_to {
        Some(url) => security::redirect(url.as_str()),
        None => security::redirect(&format!("/pay.php?session={id}{}", form.lang_suffix())),
    })
}
