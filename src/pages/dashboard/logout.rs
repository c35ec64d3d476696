//! `POST /dashboard/logout`: ends the session (its row is deleted, so the
//! cookie is worthless even if it was copied) and clears the cookie.

use actix_web::{HttpRequest, HttpResponse, web};

use super::guard::{self, refuse};
use crate::app::accounts;
use crate::domain::account_realm::Realm;
use crate::http::account;
use crate::http::headers;
use crate::http::state::AppState;

/// `POST /dashboard/logout`.
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let (ctx, _) = match guard::form(&req, &state, payload).await {
        Ok(ok) => ok,
        Err(refusal) => return refusal,
    };
    if let Err(e) = accounts::log_out(&state.store, &ctx.session, &ctx.client_ip, ctx.now_ms).await
    {
        return refuse(&state, e.into());
    }
    let settings = &state.settings.accounts;
    let mut builder = headers::dashboard_redirect("/dashboard/login", settings.hsts);
    builder.cookie(account::clear_session_cookie(settings, Realm::Merchant));
    builder.finish()
}
