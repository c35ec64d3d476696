//! The headers every dashboard response sends: a strict
//! Content-Security-Policy (inline script and style only under this
//! response's nonce; images from this origin and, for the branding preview,
//! the one exact origin of the merchant's logo), `frame-ancestors 'none'`
//! (and `X-Frame-Options: DENY` for old browsers), `nosniff`, a
//! same-origin `Referrer-Policy`, `no-store`, and HSTS in live mode; and
//! [`baseline`], the floor every response gets from the request middleware.
//!
//! Must not: relax the policy beyond that one logo origin.

use actix_web::http::StatusCode;
use actix_web::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue,
    REFERRER_POLICY, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS,
};
use actix_web::{HttpResponse, HttpResponseBuilder};
use base64::Engine;
use rand::RngCore;

/// The floor under every response, whichever door made it: `nosniff`;
/// HSTS in live mode (served over https); and for an HTML answer that set
/// none of its own (an error page, say), a `Referrer-Policy` and a CSP that
/// allows nothing and no framing. Headers a page set itself are kept.
pub fn baseline(headers: &mut HeaderMap, live: bool) {
    set_default(headers, X_CONTENT_TYPE_OPTIONS, "nosniff");
    if live {
        set_default(headers, STRICT_TRANSPORT_SECURITY, HSTS);
    }
    let html = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html {
        set_default(headers, REFERRER_POLICY, "no-referrer");
        set_default(
            headers,
            CONTENT_SECURITY_POLICY,
            "default-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        );
    }
}

fn set_default(headers: &mut HeaderMap, name: HeaderName, value: &'static str) {
    if !headers.contains_key(&name) {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

/// One year, subdomains included.
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// A fresh CSP nonce (128 random bits, base64).
pub fn nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The dashboard's Content-Security-Policy for a response with `nonce`.
pub fn dashboard_csp(nonce: &str, logo_origin: Option<&str>) -> String {
    let logo = logo_origin.map(|o| format!(" {o}")).unwrap_or_default();
    format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; \
         img-src 'self' data:{logo}; connect-src 'self'; form-action 'self'; \
         base-uri 'none'; frame-ancestors 'none'"
    )
}

/// The headers that do not depend on the body.
pub fn dashboard_common(builder: &mut HttpResponseBuilder, hsts: bool) {
    builder
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header(("Referrer-Policy", "same-origin"))
        .insert_header((CACHE_CONTROL, "no-store"));
    if hsts {
        builder.insert_header((STRICT_TRANSPORT_SECURITY, HSTS));
    }
}

/// A dashboard HTML response builder with every header but the body.
pub fn dashboard_html(
    status: StatusCode,
    nonce: &str,
    logo_origin: Option<&str>,
    hsts: bool,
) -> HttpResponseBuilder {
    let mut builder = HttpResponse::build(status);
    dashboard_common(&mut builder, hsts);
    builder
        .insert_header(("Content-Security-Policy", dashboard_csp(nonce, logo_origin)))
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"));
    builder
}

/// A 303 redirect builder with the dashboard headers.
pub fn dashboard_redirect(location: &str, hsts: bool) -> HttpResponseBuilder {
    let mut builder = HttpResponse::SeeOther();
    dashboard_common(&mut builder, hsts);
    builder
        .insert_header(("Location", location))
        .insert_header(("Content-Security-Policy", "default-src 'none'"));
    builder
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_forbids_framing_and_foreign_scripts() {
        let csp = dashboard_csp("abc", None);
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(csp.contains("script-src 'nonce-abc';"));
        assert!(csp.contains("img-src 'self' data:;"));
        assert!(
            dashboard_csp("abc", Some("https://cdn.example"))
                .contains("img-src 'self' data: https://cdn.example;")
        );
    }
}
