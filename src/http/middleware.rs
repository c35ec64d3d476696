//! Per-request plumbing: a request id (echoed as `X-Request-Id`) on a tracing
//! span, one log line per request (method, path without query, status,
//! latency; never headers, so never keys), the HTTP metrics, and the
//! baseline security headers of [`crate::http::headers::baseline`]. It wraps
//! every door alike; it must not look at bodies or answer requests itself.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use rand::Rng;
use tracing::Instrument;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .map(str::to_string)
        .unwrap_or_else(|| format!("{:016x}", rand::rng().random::<u64>()));
    let method = req.method().to_string();
    let path = req.path().to_string();
    let live = req
        .app_data::<actix_web::web::Data<crate::http::state::AppState>>()
        .is_some_and(|state| state.settings.mode == crate::config::Mode::Live);
    let span = tracing::info_span!("request", request_id = %request_id, %method, %path);
    let mut response = next.call(req).instrument(span.clone()).await?;
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    metrics::counter!("kassa_http_requests_total", "route" => route.clone(), "status" => status.to_string()).increment(1);
    metrics::histogram!("kassa_http_request_duration_seconds", "route" => route)
        .record(elapsed.as_secs_f64());
    span.in_scope(|| {
        tracing::info!(
            status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request"
        )
    });
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    crate::http::headers::baseline(response.headers_mut(), live);
    Ok(response)
}
