//! `Idempotency-Key` on session creation: the same key and body within 24
//! hours gets the first response back byte for byte and creates nothing; the
//! same key with another body is `idempotency_conflict`.

use std::future::Future;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use sha2::{Digest, Sha256};

use super::auth::store_error;
use crate::error::ApiError;
use crate::http::state::AppState;
use crate::store::idempotency::{KEEP_MS, Reservation};

/// How long a duplicate waits for the first request to finish.
const WAIT: Duration = Duration::from_secs(10);

/// A JSON answer as bytes, so a replay can repeat it exactly.
pub struct Answer {
    pub status: StatusCode,
    pub body: String,
    /// Seconds for `Retry-After` (outages); never part of a stored answer.
    pub retry_after: Option<u64>,
}

impl Answer {
    pub fn into_response(self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if let Some(secs) = self.retry_after {
            response.insert_header(("Retry-After", secs.to_string()));
        }
        response.content_type("application/json").body(self.body)
    }

    pub fn from_result<T: serde::Serialize>(result: Result<T, ApiError>) -> Answer {
        match result
            .and_then(|v| serde_json::to_string(&v).map_err(|e| ApiError::Unexpected(e.into())))
        {
            Ok(body) => Answer {
                status: StatusCode::OK,
                body,
                retry_after: None,
            },
            Err(err) => {
                if let ApiError::Unexpected(cause) = &err {
                    tracing::error!(error = format!("{cause:#}"), "unexpected error");
                }
                Answer {
                    status: err.status_code(),
                    body: serde_json::to_string(&err.body()).unwrap_or_default(),
                    retry_after: err.retry_after().map(|d| d.as_secs().max(1)),
                }
            }
        }
    }
}

/// The `Idempotency-Key` header, if sent (1–255 visible ASCII characters,
/// inner spaces allowed).
pub fn key_of(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    // Surrounding spaces and tabs are not part of a header value (RFC 9110
    // §5.5); inside, only visible ASCII and spaces, as the OpenAPI pattern says.
    let key = String::from_utf8_lossy(value.as_bytes());
    let key = key.trim_matches([' ', '\t']);
    if !key.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        return Err(ApiError::InvalidRequest(
            "Idempotency-Key must be visible ASCII",
        ));
    }
    if key.is_empty() || key.len() > 255 {
        return Err(ApiError::InvalidRequest(
            "Idempotency-Key must be 1 to 255 characters",
        ));
    }
    Ok(Some(key.to_string()))
}

/// Runs `work` at most once per (merchant, key, body).
pub async fn once<F, Fut>(
    state: &AppState,
    merchant_id: i64,
    key: &str,
    body: &[u8],
    work: F,
) -> Result<Answer, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Answer>,
{
    let hash = hex::encode(Sha256::digest(body));
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let now_ms = state.clock.now_ms();
        let reservation = state
            .store
            .reserve_idempotency(merchant_id, key, &hash, now_ms, now_ms - KEEP_MS)
            .await
            .map_err(store_error)?;
        match reservation {
            Reservation::Reserved => break,
            Reservation::Answered { status, body } => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                return Ok(Answer {
                    status,
                    body,
                    retry_after: None,
                });
            }
            Reservation::Mismatch => return Err(ApiError::IdempotencyConflict),
            Reservation::InFlight if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Reservation::InFlight => return Err(ApiError::Unavailable),
        }
    }
    let answer = work().await;
    if answer.status.is_server_error() {
        state
            .store
            .release_idempotency(merchant_id, key)
            .await
            .map_err(store_error)?;
    } else {
        state
            .store
            .complete_idempotency(merchant_id, key, answer.status.as_u16(), &answer.body)
            .await
            .map_err(store_error)?;
    }
    Ok(answer)
}
