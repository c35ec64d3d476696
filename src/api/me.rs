//! `GET /gateway/me.php`: the merchant's package, checkout mode, country and
//! Smart Routing capabilities, from the router's policy (the same one that
//! resolves routing hints, so the two never disagree).

use actix_web::{HttpResponse, web};
use indexmap::IndexMap;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Authenticated;
use crate::error::{ApiError, ErrorBody};
use crate::http::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    #[schema(example = true)]
    ok: bool,
    #[schema(example = 88)]
    merchant_id: i64,
    email: String,
    /// `free`, `pro` or `unlimited`.
    #[schema(example = "pro")]
    package: &'static str,
    /// `standard` or `smart_router`.
    #[schema(example = "smart_router")]
    checkout_mode: &'static str,
    #[schema(example = "NL")]
    country: Option<String>,
    crypto_enabled: bool,
    /// `sandbox` or `live`.
    mode: &'static str,
    /// Your allowlisted shop domains.
    domains: Vec<String>,
    smart_router: SmartRouter,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SmartRouter {
    enabled_global: bool,
    allowed_for_package: bool,
    effective: bool,
    /// By method: `card`, `paypal`, `revolut`, `bank`, `ideal`, `other`.
    methods: IndexMap<&'static str, MethodState>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MethodState {
    enabled: bool,
    configured: bool,
    available: bool,
}

/// Your account's capabilities.
#[utoipa::path(
    get,
    path = "/gateway/me.php",
    responses(
        (status = 200, description = "Capabilities", body = MeResponse),
        (status = 401, description = "`missing_api_key` / `invalid_api_key`", body = ErrorBody),
        (status = 403, description = "`merchant_disabled`", body = ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = [])),
)]
pub async fn me(
    state: web::Data<AppState>,
    merchant: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let m = merchant.0;
    let view = state.router.capabilities(&m);
    let methods = view
        .methods
        .iter()
        .map(|c| {
            (
                c.method.as_str(),
                MethodState {
                    enabled: c.enabled,
                    configured: c.configured,
                    available: c.available,
                },
            )
        })
        .collect();
    Ok(HttpResponse::Ok().json(MeResponse {
        ok: true,
        merchant_id: m.id,
        package: m.package.as_str(),
        checkout_mode: m.checkout_mode.as_str(),
        country: m.country,
        crypto_enabled: m.crypto_enabled,
        mode: state.settings.mode.as_str(),
        domains: m.domains,
        email: m.email,
        smart_router: SmartRouter {
            enabled_global: view.enabled_global,
            allowed_for_package: view.allowed_for_package,
            effective: view.effective,
            methods,
        },
    }))
}
