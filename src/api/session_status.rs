//! `GET /gateway/session_status.php?session_id=N | order_id=REF | number=session_N`.
//!
//! A merchant sees only its own sessions: another merchant's session gets the
//! very same 404 as a missing one.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::{IntoParams, ToSchema};

use super::auth::{Authenticated, store_error};
use super::session_view::SessionView;
use crate::error::{ApiError, ErrorBody};
use crate::http::state::AppState;

/// Which session to look up: one of the three.
#[derive(Debug, Deserialize)]
pub struct StatusQuery {
    /// The session id.
    session_id: Option<String>,
    /// Your order reference: finds your newest session with it.
    order_id: Option<String>,
    /// `session_<id>`.
    number: Option<String>,
}

/// Documented as one query object with "at least one of" the three (plain
/// optional parameters would call a request with none of them valid).
impl IntoParams for StatusQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![super::field_schemas::status_lookup()]
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusResponse {
    #[schema(example = true)]
    ok: bool,
    /// Mirrors `session.status` (some clients read it here).
    #[schema(example = "paid")]
    status: &'static str,
    session: SessionView,
}

/// Get a session's status.
#[utoipa::path(
    get,
    path = "/gateway/session_status.php",
    params(StatusQuery),
    responses(
        (status = 200, description = "The session", body = StatusResponse),
        (status = 400, description = "`invalid_request`: none of `session_id`, `order_id` or `number` was given, or the query string is malformed", body = ErrorBody),
        (status = 401, description = "`missing_api_key` / `invalid_api_key`", body = ErrorBody),
        (status = 404, description = "`session_not_found` (also for other merchants' sessions)", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
        (status = 503, description = "`service_unavailable` (with `Retry-After`): the database is unreachable, or the node is past capacity and sheds load", body = ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = [])),
)]
pub async fn session_status(
    state: web::Data<AppState>,
    merchant: Authenticated,
    query: web::Query<StatusQuery>,
) -> Result<HttpResponse, ApiError> {
    let _admitted = state.admission.status.enter().await?;
    let merchant_id = merchant.0.id;
    let found = match lookup(&query)? {
        Lookup::Id(id) => state.store.merchant_session(merchant_id, id).await,
        Lookup::Order(order) => state.store.session_by_order(merchant_id, &order).await,
    }
    .map_err(store_error)?;
    let session = found.ok_or(ApiError::SessionNotFound)?;
    let progress = state
        .store
        .confirming(&session, state.settings.chain.required_confirmations)
        .await
        .map_err(store_error)?;
    Ok(HttpResponse::Ok().json(StatusResponse {
        ok: true,
        status: session.status.as_str(),
        session: SessionView::new(&session, &state.public_base).confirming(progress),
    }))
}

/// What a status query asks for. Public, with [`lookup`], for the fuzz
/// target in `fuzz/` (the query string is an edge parser).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Id(i64),
    Order(String),
}

/// The session a [`StatusQuery`] names: `session_id` first, then `number`,
/// then `order_id`; an id that cannot name a session is `SessionNotFound`.
pub fn lookup(q: &StatusQuery) -> Result<Lookup, ApiError> {
    let present = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    if let Some(id) = present(&q.session_id) {
        return parse_id(&id).map(Lookup::Id);
    }
    if let Some(number) = present(&q.number) {
        let digits = number.strip_prefix("session_").unwrap_or(&number);
        return parse_id(digits).map(Lookup::Id);
    }
    if let Some(order) = present(&q.order_id) {
        // No stored order id holds a NUL (creation refuses it), and
        // PostgreSQL could not even compare one.
        if order.contains('\0') {
            return Err(ApiError::SessionNotFound);
        }
        return Ok(Lookup::Order(order));
    }
    Err(ApiError::InvalidRequest(
        "Pass session_id, order_id or number.",
    ))
}

/// A session id as clients send it; anything that is not one cannot match a session.
fn parse_id(s: &str) -> Result<i64, ApiError> {
    s.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(ApiError::SessionNotFound)
}
