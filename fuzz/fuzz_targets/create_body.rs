//! Any bytes as the body of `POST /gateway/session.php`: the reader must
//! answer a documented error code or a request whose values parse back to
//! themselves (domain, e-mail, return and cancel URLs), stay within their
//! bounds (amount, order id, hint, country, meta) and pass the checks the
//! deliverer repeats (webhook URL), and never panic.
#![no_main]

use kassa::api::session_request::{BodyRules, read_body};
use kassa::domain::email::Email;
use kassa::domain::https_url::HttpsUrl;
use kassa::domain::shop_domain::ShopDomain;
use kassa::webhooks::ssrf::check_literal;
use libfuzzer_sys::fuzz_target;

const CODES: [&str; 8] = [
    "invalid_json",
    "invalid_request",
    "invalid_domain",
    "domain_not_allowed",
    "invalid_amount",
    "invalid_currency",
    "invalid_email",
    "invalid_meta",
];

fuzz_target!(|data: &[u8]| {
    let max_amount = rust_decimal::Decimal::from(1_000_000);
    let meta_max_bytes = 8 * 1024;
    let rules = BodyRules {
        max_amount,
        meta_max_bytes,
        live: data.first().is_some_and(|b| b & 1 == 1),
        webhook_allow_private: false,
    };
    match read_body(&rules, |d| d.as_str() != "blocked.example", data) {
        Ok(request) => {
            let domain = ShopDomain::parse(request.shop_domain.as_str());
            assert_eq!(domain.as_ref(), Ok(&request.shop_domain));
            assert_ne!(request.shop_domain.as_str(), "blocked.example");
            let amount = request.amount;
            assert!(amount.minor() > 0 && amount.amount() <= max_amount);
            if let Some(email) = &request.customer_email {
                assert_eq!(Email::parse(email.as_str()).as_ref(), Ok(email));
            }
            for url in [&request.return_url, &request.cancel_url]
                .into_iter()
                .flatten()
            {
                let again = HttpsUrl::parse(url);
                assert_eq!(again.as_ref().map(HttpsUrl::as_str), Some(url.as_str()));
            }
            if let Some(url) = &request.webhook_url {
                assert_eq!(check_literal(url, rules.live, false), Ok(()));
            }
            if let Some(meta) = &request.meta {
                assert!(meta.len() <= meta_max_bytes);
                let object = serde_json::from_str::<serde_json::Value>(meta);
                assert!(object.is_ok_and(|v| v.is_object()), "{meta:?}");
            }
            if let Some(order) = &request.order_id {
                assert!(!order.is_empty() && order.chars().count() <= 255 && !order.contains('\0'));
            }
            if let Some(hint) = &request.routing_hint {
                assert!(hint.chars().count() <= 64 && !hint.contains('\0'));
                assert!(!hint.bytes().any(|b| b.is_ascii_uppercase()), "{hint:?}");
            }
            if let Some(country) = &request.customer_country {
                assert!(country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase()));
            }
        }
        Err(e) => assert!(CODES.contains(&e.code()), "{}", e.code()),
    }
});
