//! Merchant authentication: `Authorization: Bearer KEY` or `X-API-Key: KEY`,
//! looked up among the merchant's active keys by the key's public id and
//! checked in constant time, then the per-key rate limit. A revoked key is
//! `invalid_api_key`, like an unknown one. A successful use is recorded
//! (in batches, see `actors::key_usage`). Keys are never logged.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use governor::clock::{Clock, DefaultClock};

use crate::domain::api_key;
use crate::domain::merchant::Merchant;
use crate::error::ApiError;
use crate::http::state::AppState;
use crate::store::StoreError;

/// The merchant a request authenticated as.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Merchant);

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let presented = presented_key(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let state = state.ok_or_else(|| {
                ApiError::Unexpected(anyhow::anyhow!("application state missing"))
            })?;
            let key = presented.ok_or(ApiError::MissingApiKey)?;
            let id = api_key::public_id(&key).ok_or(ApiError::InvalidApiKey)?;
            let credentials = match state.auth_cache.get(id) {
                Some(c) => c,
                None => {
                    let found = state
                        .store
                        .credentials_by_key_prefix(id)
                        .await
                        .map_err(store_error)?;
                    let c = Arc::new(found.ok_or(ApiError::InvalidApiKey)?);
                    state.auth_cache.put(id, c.clone());
                    c
                }
            };
            if !api_key::matches(&key, &credentials.key_hash) {
                return Err(ApiError::InvalidApiKey);
            }
            if credentials.merchant.disabled {
                return Err(ApiError::MerchantDisabled);
            }
            state
                .key_uses
                .used(credentials.key_id, state.clock.now_ms());
            if let Err(not_until) = state.limiter.check_key(&id.to_string()) {
                let retry_after = not_until.wait_time_from(DefaultClock::default().now());
                return Err(ApiError::RateLimited { retry_after });
            }
            Ok(Authenticated(credentials.merchant.clone()))
        })
    }
}

fn presented_key(req: &HttpRequest) -> Option<String> {
    let headers = req.headers();
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| rest.trim().to_string())
        });
    let header_key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string());
    bearer.or(header_key).filter(|k| !k.is_empty())
}

/// Store failures at the edge: an outage is a 503, anything else unexpected.
pub fn store_error(err: StoreError) -> ApiError {
    match err {
        StoreError::Unavailable(_) => ApiError::Unavailable,
        other => ApiError::Unexpected(anyhow::Error::new(other)),
    }
}
