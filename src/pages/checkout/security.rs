//! The response headers every hosted page sends: `nosniff`, `no-referrer`,
//! `no-store`, and a Content-Security-Policy that allows only this request's
//! nonce for the one inline style and script, only the merchant's
//! allowlisted domains (and their subdomains, over https) as framing
//! parents, and images from this origin plus the one exact origin of the
//! merchant's logo, when it has one.
//!
//! Must not: relax the policy per page beyond `frame-ancestors` and that
//! one logo origin in `img-src`.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use base64::Engine;
use rand::RngCore;

use crate::domain::merchant::Merchant;

/// What of a page's CSP depends on its merchant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagePolicy {
    /// The `frame-ancestors` sources.
    pub ancestors: String,
    /// The logo's `https://host[:port]`, added to `img-src`.
    pub logo_origin: Option<String>,
}

impl Default for PagePolicy {
    /// A page of no merchant: framed only by Kassa itself, no outside images.
    fn default() -> PagePolicy {
        PagePolicy {
            ancestors: "'self'".into(),
            logo_origin: None,
        }
    }
}

/// The policy of a page that shows `merchant`'s shop.
pub fn policy(merchant: &Merchant) -> PagePolicy {
    PagePolicy {
        ancestors: frame_ancestors(&merchant.domains),
        logo_origin: merchant.branding.logo_url.as_ref().map(|u| u.origin()),
    }
}

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
pub fn csp(nonce: &str, policy: &PagePolicy) -> String {
    let logo = policy
        .logo_origin
        .as_deref()
        .map(|o| format!(" {o}"))
        .unwrap_or_default();
    format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; \
         img-src 'self' data:{logo}; connect-src 'self'; form-action 'self' https:; \
         base-uri 'none'; frame-ancestors {}",
        policy.ancestors
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
pub fn html(status: StatusCode, body: String, nonce: &str, policy: &PagePolicy) -> HttpResponse {
    let mut builder = HttpResponse::build(status);
    common(&mut builder);
    builder
        .insert_header(("Content-Security-Policy", csp(nonce, policy)))
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
    fn img_src_adds_exactly_the_logo_origin() {
        let mut policy = PagePolicy::default();
        assert!(csp("n", &policy).contains("img-src 'self' data:;"));
        policy.logo_origin = Some("https://cdn.shop.example".into());
        assert!(
            csp("n", &policy).contains("img-src 'self' data: https://cdn.shop.example;"),
            "{}",
            csp("n", &policy)
        );
    }

    #[test]
    fn nonces_differ() {
        assert_ne!(nonce(), nonce());
    }
}
