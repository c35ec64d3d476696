//! `GET /healthz` (the process is up) and `GET /readyz` (the database answers
//! and every migration is applied).

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::state::AppState;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .json(json!({ "ok": true, "status": "up", "version": env!("CARGO_PKG_VERSION") }))
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.store.readiness().await {
        Ok(true) => HttpResponse::Ok()
            .json(json!({ "ok": true, "database": "up", "migrations": "applied" })),
        Ok(false) => HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "1"))
            .json(json!({ "ok": false, "database": "up", "migrations": "pending" })),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .insert_header(("Retry-After", "1"))
                .json(json!({ "ok": false, "database": "down" }))
        }
    }
}
