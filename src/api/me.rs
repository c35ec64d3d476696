//! `GET /gateway/me.php`: the merchant's package, checkout mode, country and
//! Smart Routing capabilities, computed from its configuration.

use actix_web::{HttpResponse, web};
use serde_json::{Map, json};

use super::auth::Authenticated;
use super::state::AppState;
use crate::domain::routing;
use crate::error::ApiError;

pub async fn me(
    state: web::Data<AppState>,
    merchant: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let m = merchant.0;
    let switches = state.settings.routing_switches();
    let view = routing::capabilities(&m, &switches);
    let methods: Map<String, serde_json::Value> = view
        .methods
        .iter()
        .map(|c| (c.method.as_str().to_string(), json!({ "enabled": c.enabled, "configured": c.configured, "available": c.available })))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "ok": true,
        "merchant_id": m.id,
        "email": m.email,
        "package": m.package.as_str(),
        "checkout_mode": m.checkout_mode.as_str(),
        "country": m.country,
        "crypto_enabled": m.crypto_enabled,
        "mode": state.settings.mode.as_str(),
        "domains": m.domains,
        "smart_router": {
            "enabled_global": view.enabled_global,
            "allowed_for_package": view.allowed_for_package,
            "effective": view.effective,
            "methods": methods,
        },
    })))
}
