//! Any bytes as the body of `POST /gateway/session.php`: the reader must
//! answer a documented error code or a request whose values parse back to
//! themselves, and never panic.
#![no_main]

use kassa::api::session_request::{BodyRules, read_body};
use kassa::domain::shop_domain::ShopDomain;
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
    let rules = BodyRules {
        max_amount: rust_decimal::Decimal::from(1_000_000),
        meta_max_bytes: 8 * 1024,
        live: data.first().is_some_and(|b| b & 1 == 1),
        webhook_allow_private: false,
    };
    match read_body(&rules, |d| d.as_str() != "blocked.example", data) {
        Ok(request) => {
            let domain = ShopDomain::parse(request.shop_domain.as_str());
            assert_eq!(domain.as_ref(), Ok(&request.shop_domain));
        }
        Err(e) => assert!(CODES.contains(&e.code()), "{}", e.code()),
    }
});
