//! The response headers every hosted page sends: `nosniff`, `no-referrer`,
//! `no-store`, and a Content-Security-Policy that allows only this request's
//! nonce for the one inline style and script, and only the merchant's
//! allowlisted domains (and their subdomains, over https) as framing parents.
//!
//! Must not: relax the policy per page beyond `frame-ancestors`.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use base64::Engine;
use rand::RngCore;

/// A fresh CSP nonce (128 random bits, base64).
pub fn nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Who may frame a page: `'self'` plus each allowlisted shop domain.
pub fn frame_ancestors(domains: &[String]) -> String {
    let mut out = String::from("'self'");
    for d in domains {
        // Stored domains are normalised host names; keep to host characters
        // so a stored value can never break out of the header.
        if !d.is_empty()
            && d.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        {
            out.push_str(&format!(" https://{d} https://*.{d}"));
        }
    }
    out
}

/// The Content-Security-Policy for a page rendered with `nonce`.
pub fn csp(nonce: &str, ancestors: &str) -> String {
    format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; \
         img-src 'self' data:; connect-src 'self'; form-action 'self' https:; \
         base-uri 'none'; frame-ancestors {ancestors}"
    )
}

/// The headers every page and the status endpoint send.
pub fn common(builder: &mut actix_web::HttpResponseBuilder) {
    builder
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header((CACHE_CONTROL, "no-store"));
}

/// An HTML page with every header.
pub fn html(status: StatusCode, body: String, nonce: &str, ancestors: &str) -> HttpResponse {
    let mut builder = HttpResponse::build(status);
    common(&mut builder);
    builder
        .insert_header(("Content-Security-Policy", csp(nonce, ancestors)))
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(body)
}

/// A redirect (303 See Other) with the common headers.
pub fn redirect(location: &str) -> HttpResponse {
    let mut builder = HttpResponse::SeeOther();
    common(&mut builder);
    builder
        .insert_header(("Location", location))
        .insert_header(("Content-Security-Policy", "default-src 'none'"))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_ancestors_lists_each_domain_and_its_subdomains() {
        let a = frame_ancestors(&["shop.example".into(), "bad;domain".into()]);
        assert_eq!(a, "'self' https://shop.example https://*.shop.example");
    }

    #[test]
    fn nonces_differ() {
        assert_ne!(nonce(), nonce());
    }
}
