//! `GET /pay/status.json?session=N`: what the open checkout page polls.
//! Public (reached by session id alone), so it answers only the status, the
//! USDC still owed and, while a payment confirms, how far it has come —
//! nothing else of the session or its merchant.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::query::PageQuery;
use super::security;
use super::view::{PageState, confirming};
use crate::http::state::AppState;
use crate::store::StoreError;

pub async fn status(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let query = PageQuery::parse(req.query_string().as_bytes());
    let found = match query.session {
        Some(id) => state.store.session(id).await,
        None => Ok(None),
    };
    let (code, body) = match found {
        Ok(Some(record)) => match confirming(&state, &record).await {
            Ok(progress) => {
                let mut body = json!({
                    "status": PageState::of(&record, state.clock.now_ms()).as_str(),
                    "remaining": record.owed().to_string(),
                });
                // While a payment confirms: "k of N", nothing else.
                if let Some(p) = progress {
                    body["confirmations"] = json!(p.confirmations);
                    body["required_confirmations"] = json!(p.required);
                }
                (StatusCode::OK, body)
            }
            Err(e) => failure(e),
        },
        Ok(None) => (
            StatusCode::NOT_FOUND,
            json!({"ok": false, "error": "session_not_found"}),
        ),
        Err(e) => failure(e),
    };
    let mut builder = HttpResponse::build(code);
    security::common(&mut builder);
    builder.json(body)
}

fn failure(e: StoreError) -> (StatusCode, serde_json::Value) {
    match e {
        StoreError::Unavailable(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"ok": false, "error": "service_unavailable"}),
        ),
        e @ (StoreError::Conflict | StoreError::Fenced | StoreError::Unexpected(_)) => {
            tracing::error!(error = format!("{e:#}"), "status read failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"ok": false, "error": "internal_error"}),
            )
        }
    }
}
