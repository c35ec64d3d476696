//! `POST /sandbox/pay`: pay (or expire) a session with simulated USDC, through
//! the same actor and store path as a real deposit. Sandbox mode only: in
//! live mode the endpoint does not exist (404).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::session_view::SessionView;
use crate::actors::sandbox::Simulation;
use crate::actors::session::SessionError;
use crate::domain::money::UsdcAmount;
use crate::error::ApiError;
use crate::http::body::{MAX_BODY, read_limited};
use crate::http::state::AppState;

#[derive(Debug, Deserialize)]
struct PayRequest {
    session_id: Value,
    amount: Option<Value>,
    simulate: Option<String>,
}

pub async fn sandbox_pay(
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let sandbox = state.sandbox.as_ref().ok_or(ApiError::NotFound)?;
    let body = read_limited(payload, MAX_BODY).await?;
    let request: PayRequest = serde_json::from_slice(&body).map_err(|_| ApiError::InvalidJson)?;
    let session_id = match &request.session_id {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or(ApiError::InvalidRequest(
        "`session_id` must be a session id.",
    ))?;
    let amount = match &request.amount {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(UsdcAmount::parse(s).ok_or(ApiError::InvalidAmount(
            "`amount` must be a positive USDC amount.",
        ))?),
        Some(Value::Number(n)) => Some(UsdcAmount::parse(&n.to_string()).ok_or(
            ApiError::InvalidAmount("`amount` must be a positive USDC amount."),
        )?),
        Some(_) => {
            return Err(ApiError::InvalidAmount(
                "`amount` must be a positive USDC amount.",
            ));
        }
    };
    let simulation: Simulation =
        request
            .simulate
            .as_deref()
            .unwrap_or("")
            .parse()
            .map_err(|_| {
                ApiError::InvalidRequest(
                    "`simulate` must be one of underpaid, overpaid, late, expire, reversed, panic.",
                )
            })?;
    let receipt = sandbox
        .pay(session_id, amount, simulation)
        .await
        .map_err(|e| match e {
            SessionError::NotFound => ApiError::SessionNotFound,
            // Stale: other writers moved the session on every try; a retry
            // shortly after goes through (503 with Retry-After).
            SessionError::Unavailable | SessionError::Stale => ApiError::Unavailable,
            SessionError::Unexpected(why) => ApiError::Unexpected(anyhow::anyhow!(why)),
        })?;
    if let Some(refusal) = receipt.outcome.refusal {
        return Err(ApiError::SandboxRefused(format!(
            "The session did not change: {refusal}."
        )));
    }
    Ok(HttpResponse::Ok().json(json!({
        "ok": true,
        "txid_in": receipt.tx_hash,
        "paid_value_coin": receipt.amount.map(|a| a.to_string()),
        "status": receipt.outcome.record.status.as_str(),
        "session": SessionView::new(&receipt.outcome.record, &state.public_base),
    })))
}
