//! `GET /gateway/session_status.php?session_id=N | order_id=REF | number=session_N`.
//!
//! A merchant sees only its own sessions: another merchant's session gets the
//! very same 404 as a missing one.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::auth::{Authenticated, store_error};
use super::session_view::session_json;
use super::state::AppState;
use crate::error::ApiError;

#[derive(Debug, Deserialize)]
pub struct StatusQuery {
    session_id: Option<String>,
    order_id: Option<String>,
    number: Option<String>,
}

pub async fn session_status(
    state: web::Data<AppState>,
    merchant: Authenticated,
    query: web::Query<StatusQuery>,
) -> Result<HttpResponse, ApiError> {
    let merchant_id = merchant.0.id;
    let found = match lookup(&query)? {
        Lookup::Id(id) => state.store.merchant_session(merchant_id, id).await,
        Lookup::Order(order) => state.store.session_by_order(merchant_id, &order).await,
    }
    .map_err(store_error)?;
    let session = found.ok_or(ApiError::SessionNotFound)?;
    Ok(HttpResponse::Ok().json(json!({
        "ok": true,
        "status": session.status.as_str(),
        "session": session_json(&session, &state.public_base),
    })))
}

enum Lookup {
    Id(i64),
    Order(String),
}

fn lookup(q: &StatusQuery) -> Result<Lookup, ApiError> {
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
