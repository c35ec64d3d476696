//! Any text through each single-field parser at the edge: the shop domain,
//! the customer's e-mail, the currency, the return/cancel URLs, the
//! per-session webhook URL, the country, the routing hint and the page
//! language. The first byte picks the webhook rules (live mode, private
//! targets allowed); the rest is the text, given to every parser.
//!
//! Beyond "no panic", each accepted value must be in canonical form: it
//! parses again to itself, and has the shape its type promises.
#![no_main]

use kassa::domain::email::Email;
use kassa::domain::https_url::HttpsUrl;
use kassa::domain::merchant::parse_country;
use kassa::domain::money::Currency;
use kassa::domain::routing::Hint;
use kassa::domain::shop_domain::ShopDomain;
use kassa::pages::checkout::i18n::{Lang, accept_language};
use kassa::webhooks::ssrf::{check_form, check_literal, is_public};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((flags, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    shop_domain(text);
    email(text);
    currency(text);
    https_url(text);
    webhook_url(text, flags & 1 == 1, flags & 2 == 2);
    country(text);
    hint(text);
    lang(text);
});

fn shop_domain(text: &str) {
    let Ok(domain) = ShopDomain::parse(text) else {
        return;
    };
    let s = domain.as_str();
    assert!(s.len() <= 253 && s.contains('.'), "{s:?}");
    assert!(
        s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'),
        "{s:?}"
    );
    assert_eq!(ShopDomain::parse(s).as_ref(), Ok(&domain), "{text:?}");
}

fn email(text: &str) {
    let Ok(email) = Email::parse(text) else {
        return;
    };
    assert_eq!(email.as_str(), text.trim());
    assert!(email.as_str().chars().count() <= 254);
    assert_eq!(Email::parse(email.as_str()).as_ref(), Ok(&email));
    let (_, domain) = email.as_str().rsplit_once('@').unwrap_or_default();
    assert!(domain.contains('.'), "{text:?}");
    let masked = email.masked();
    assert!(
        masked.contains("•••") && masked.ends_with(&format!("@{domain}")),
        "{text:?}"
    );
}

fn currency(text: &str) {
    let Ok(currency) = Currency::parse(text) else {
        return;
    };
    let code = currency.code();
    assert!(code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()));
    assert!(code.eq_ignore_ascii_case(text.trim()), "{text:?}");
    assert_eq!(Currency::parse(code), Ok(currency));
    assert!(currency.decimals() <= 4, "{code}");
}

fn https_url(text: &str) {
    let Some(url) = HttpsUrl::parse(text) else {
        return;
    };
    let s = url.as_str();
    assert!(s.starts_with("https://") && s.len() <= 2048, "{text:?}");
    assert_eq!(HttpsUrl::parse(s).as_ref(), Some(&url), "{text:?}");
    // The redirect after payment adds the session; it must stay a URL.
    let with = url.with_query_param("session", "12");
    assert!(with.starts_with("https://"), "{with:?}");
}

fn webhook_url(text: &str, live: bool, allow_private: bool) {
    let Ok(()) = check_literal(text, live, allow_private) else {
        return;
    };
    // Looser rules accept whatever stricter ones did.
    assert_eq!(check_literal(text, false, allow_private), Ok(()));
    assert_eq!(check_literal(text, live, true), Ok(()));
    let parsed = check_form(text, live).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    assert!(matches!(parsed.scheme(), "https" | "http"));
    assert!(!live || parsed.scheme() == "https");
    let literal = match parsed.host() {
        Some(url::Host::Ipv4(v4)) => Some(std::net::IpAddr::V4(v4)),
        Some(url::Host::Ipv6(v6)) => Some(std::net::IpAddr::V6(v6)),
        Some(url::Host::Domain(_)) => None,
        None => panic!("{text:?} has no host"),
    };
    assert!(allow_private || literal.is_none_or(is_public), "{text:?}");
    // The deliverer sends the URL as the url crate prints it: that form
    // must name the same host and pass the same check.
    let again = check_form(parsed.as_str(), live).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    assert_eq!(again.host(), parsed.host(), "{text:?}");
    assert_eq!(check_literal(parsed.as_str(), live, allow_private), Ok(()));
}

fn country(text: &str) {
    let Some(code) = parse_country(text) else {
        return;
    };
    assert!(code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()));
    assert_eq!(parse_country(&code).as_deref(), Some(code.as_str()));
}

fn hint(text: &str) {
    // Hints are case-insensitive.
    assert_eq!(Hint::parse(text), Hint::parse(&text.to_ascii_uppercase()));
}

fn lang(text: &str) {
    if let Some(lang) = Lang::parse(text) {
        assert_eq!(Lang::parse(lang.code()), Some(lang));
    }
    for (tag, q) in accept_language(text) {
        assert!(q <= 1000 && !tag.is_empty(), "{text:?}");
    }
    let _ = Lang::from_accept_language(Some(text));
}
