//! The storefront's response headers: `nosniff`, `no-referrer`, `no-store`
//! (a link's page changes when it closes) and a Content-Security-Policy
//! that allows inline style only under this response's nonce, no script,
//! images from this origin plus the exact origins of the merchant's logo
//! and product picture, forms posting only back here, and no framing.
//!
//! Must not: set cookies, or relax the policy beyond those image origins.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};

/// The policy of a page rendered with `nonce` showing pictures from `images`.
pub fn csp(nonce: &str, images: &[String]) -> String {
    let mut img = String::from("'self' data:");
    for origin in images {
        // Origins come from parsed https URLs; keep to their characters so
        // a stored value can never break out of the header.
        if origin.starts_with("https://")
            && origin[8..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        {
            img.push(' ');
            img.push_str(origin);
        }
    }
    format!(
        "default-src 'none'; style-src 'nonce-{nonce}'; img-src {img}; form-action 'self'; \
         base-uri 'none'; frame-ancestors 'none'"
    )
}

fn common(builder: &mut actix_web::HttpResponseBuilder) {
    builder
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header((CACHE_CONTROL, "no-store"));
}

/// An HTML page with every header.
pub fn html(status: StatusCode, body: String, nonce: &str, images: &[String]) -> HttpResponse {
    let mut builder = HttpResponse::build(status);
    common(&mut builder);
    builder
        .insert_header(("Content-Security-Policy", csp(nonce, images)))
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(body)
}

/// A plain-text answer with every header (when a page cannot render).
pub fn plain(status: StatusCode, text: &'static str) -> HttpResponse {
    let mut builder = HttpResponse::build(status);
    common(&mut builder);
    builder
        .insert_header(("Content-Security-Policy", "default-src 'none'"))
        .insert_header((CONTENT_TYPE, "text/plain; charset=utf-8"))
        .body(text)
}

/// A 303 See Other to `location` with every header.
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
    fn image_origins_are_added_exactly_and_nothing_else_gets_in() {
        let p = csp(
            "n",
            &[
                "https://cdn.shop.example".into(),
                "https://x; script-src *".into(),
            ],
        );
        assert!(
            p.contains("img-src 'self' data: https://cdn.shop.example;"),
            "{p}"
        );
        assert!(!p.contains("script-src *"), "{p}");
        assert!(p.contains("frame-ancestors 'none'"));
    }
}
