//! Reading a request body with a size limit, as JSON errors. It only reads
//! bytes; it must not parse them (each handler parses its own body).

use actix_web::web;
use futures_util::StreamExt;

use crate::error::ApiError;

/// Largest request body accepted by the JSON API.
pub const MAX_BODY: usize = 64 * 1024;

/// Reads the whole body, refusing more than `limit` bytes.
pub async fn read_limited(mut payload: web::Payload, limit: usize) -> Result<web::Bytes, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::InvalidJson)?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
