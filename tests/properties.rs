//! Properties of every parser at the edge (amount, currency, shop domain,
//! e-mail, https URL, webhook URL, the create body, the hosted pages' query
//! string), over generated input: none panics, and each input is either
//! accepted as a canonical value (parse → display → parse gives it back)
//! or refused with the documented error code.

use proptest::prelude::*;
use proptest::test_runner::Config;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use kassa::api::field_schemas::{AMOUNT_PATTERN, CURRENCIES, DOMAIN_PATTERN, EMAIL_PATTERN};
use kassa::api::session_request::{BodyRules, read_body};
use kassa::domain::email::Email;
use kassa::domain::https_url::HttpsUrl;
use kassa::domain::money::{Currency, Money};
use kassa::domain::shop_domain::ShopDomain;
use kassa::pages::checkout::query::PageQuery;
use kassa::webhooks::ssrf::check_literal;

/// Small runs (a few seconds all together) and no regression files in the tree.
fn config() -> Config {
    Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Every code the create endpoint answers for a bad body (its documented 400s and 403).
const BODY_CODES: [&str; 8] = [
    "invalid_json",
    "invalid_request",
    "invalid_domain",
    "domain_not_allowed",
    "invalid_amount",
    "invalid_currency",
    "invalid_email",
    "invalid_meta",
];

fn max_amount() -> Decimal {
    Decimal::from(1_000_000)
}

/// Any JSON value, a couple of levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::from),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z]{0,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Text shaped like an amount: signs, digits, points, exponents, blanks.
fn amount_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "-?[0-9]{0,9}(\\.[0-9]{0,5})?",
        "[0-9]{1,4}(\\.[0-9]{1,3})?[eE][+-]?[0-9]{1,3}",
        "[ 0-9.,eE+-]{0,12}",
        ".{0,12}",
    ]
}

fn currency_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "EUR", "eur", " usd ", "JPY", "KWD", "XAU", "XXX", "EURO", ""
        ])
        .prop_map(String::from),
        "[A-Za-z]{0,4}",
        ".{0,5}",
    ]
}

fn domain_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "(https?://)?(www\\.){0,2}[a-zA-Z0-9-]{1,8}(\\.[a-zA-Z0-9-]{1,8}){0,3}\\.?(:[0-9]{1,5})?(/[a-z?=]{0,6})?",
        "[a-z0-9.:/\\[\\]@%_-]{0,30}",
        "[0-9]{1,3}(\\.[0-9]{1,3}){0,3}",
        "[a-zäöüßé\u{4e00}-\u{4e10}]{1,8}\\.[a-z]{2,4}",
        ".{0,30}",
    ]
}

fn email_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9._+-]{1,12}@[a-zA-Z0-9-]{1,8}(\\.[a-zA-Z0-9-]{1,8}){0,2}",
        "[ -~]{0,30}",
        ".{0,30}",
    ]
}

fn url_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "(https?|HTTPS|javascript|data|ftp)://[a-zA-Z0-9.@:\\[\\]-]{0,20}(/[ -~]{0,15})?",
        "(https?:)?[/\\\\]{0,3}[a-z0-9.]{0,12}",
        "https://[0-9]{1,3}(\\.[0-9]{1,3}){3}(:[0-9]{1,5})?/x",
        "https://\\[[0-9a-f:]{2,20}\\]/x",
        ".{0,40}",
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn an_amount_is_exact_and_canonical_or_refused(
        text in amount_text(),
        as_number in any::<bool>(),
        code in currency_text(),
    ) {
        let Ok(currency) = Currency::parse(&code) else { return Ok(()) };
        let raw = if as_number {
            // Only real JSON numbers reach the parser as numbers.
            match serde_json::from_str::<Value>(&text) {
                Ok(Value::Number(_)) => serde_json::value::RawValue::from_string(text.trim().to_string()).unwrap(),
                _ => return Ok(()),
            }
        } else {
            serde_json::value::to_raw_value(&text).unwrap()
        };

        let parsed = Money::parse_json(&raw, currency, max_amount());

        if let Ok(money) = parsed {
            prop_assert!(money.minor() > 0);
            prop_assert!(money.amount() <= max_amount());
            prop_assert_eq!(money.amount().scale(), currency.decimals());
            let again = Money::parse_text(&money.to_string(), currency, max_amount());
            prop_assert_eq!(again, Ok(money));
        }
    }

    #[test]
    fn a_typed_amount_is_canonical_or_refused(text in amount_text(), code in currency_text()) {
        let Ok(currency) = Currency::parse(&code) else { return Ok(()) };
        if let Ok(money) = Money::parse_text(&text, currency, max_amount()) {
            prop_assert_eq!(Money::parse_text(&money.to_string(), currency, max_amount()), Ok(money));
        }
    }

    #[test]
    fn a_currency_is_its_upper_case_code_or_refused(code in currency_text()) {
        if let Ok(currency) = Currency::parse(&code) {
            prop_assert_eq!(currency.code(), code.trim().to_ascii_uppercase());
            prop_assert_eq!(Currency::parse(&currency.to_string()), Ok(currency));
        }
    }

    #[test]
    fn a_shop_domain_normalises_to_a_fixed_point_or_is_refused(text in domain_text()) {
        if let Ok(domain) = ShopDomain::parse(&text) {
            let canonical = domain.as_str();
            prop_assert!(!canonical.is_empty() && canonical.len() <= 253);
            prop_assert!(canonical.contains('.'));
            prop_assert!(canonical.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-'), "{}", canonical);
            prop_assert_eq!(ShopDomain::parse(canonical), Ok(domain.clone()));
            prop_assert_eq!(ShopDomain::parse(&format!("https://{canonical}/cart")), Ok(domain));
        }
    }

    #[test]
    fn an_email_is_kept_as_given_or_refused(text in email_text()) {
        if let Ok(email) = Email::parse(&text) {
            prop_assert_eq!(email.as_str(), text.trim());
            prop_assert!(email.as_str().chars().count() <= 254);
            prop_assert_eq!(Email::parse(&email.to_string()), Ok(email));
        }
    }

    #[test]
    fn a_return_url_is_a_normalised_https_url_or_ignored(text in url_text()) {
        if let Some(url) = HttpsUrl::parse(&text) {
            prop_assert!(url.as_str().starts_with("https://"), "{}", url);
            prop_assert!(url.as_str().len() <= 2048);
            prop_assert!(!url.as_str().chars().any(|c| c.is_control() || c == '\\'), "{}", url);
            prop_assert_eq!(HttpsUrl::parse(url.as_str()), Some(url));
        }
    }

    #[test]
    fn a_webhook_url_passes_the_same_way_once_normalised(
        text in url_text(),
        https_only in any::<bool>(),
        allow_private in any::<bool>(),
    ) {
        if check_literal(&text, https_only, allow_private).is_ok() {
            let url = url::Url::parse(&text).unwrap();
            prop_assert!(url.scheme() == "https" || (!https_only && url.scheme() == "http"));
            prop_assert!(url.host().is_some());
            prop_assert!(check_literal(url.as_str(), https_only, allow_private).is_ok());
            if !allow_private {
                prop_assert!(check_literal(url.as_str(), https_only, true).is_ok());
            }
        }
    }

    #[test]
    fn a_page_query_reads_leniently_and_round_trips(text in "[a-z_=&%0-9A-F+. -]{0,60}|.{0,40}") {
        let query = PageQuery::parse(text.as_bytes());

        prop_assert!(query.session.is_none_or(|id| id > 0));
        for value in [&query.method, &query.provider, &query.token, &query.email, &query.back].into_iter().flatten() {
            prop_assert!(!value.is_empty() && value.len() <= 320 && value.trim() == value);
        }
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        if let Some(id) = query.session { out.append_pair("session", &id.to_string()); }
        for (key, value) in [("method", &query.method), ("provider", &query.provider), ("token", &query.token), ("email", &query.email), ("back", &query.back)] {
            if let Some(v) = value { out.append_pair(key, v); }
        }
        if let Some(lang) = query.lang { out.append_pair("lang", lang.code()); }
        prop_assert_eq!(PageQuery::parse(out.finish().as_bytes()), query);
    }

    #[test]
    fn any_bytes_as_a_create_body_get_a_documented_answer(body in prop::collection::vec(any::<u8>(), 0..200)) {
        let rules = body_rules();
        match read_body(&rules, |_| true, &body) {
            Ok(request) => check_canonical(&request)?,
            Err(e) => prop_assert!(BODY_CODES.contains(&e.code()), "{}", e.code()),
        }
    }

    #[test]
    fn a_create_body_is_read_canonically_or_refused_with_its_code(
        fields in create_body(),
        live in any::<bool>(),
    ) {
        let rules = BodyRules { live, ..body_rules() };
        let text = format!("{{{}}}", fields.join(","));

        let read = read_body(&rules, |d| d.as_str() != "blocked.example", text.as_bytes());

        match read {
            Ok(request) => {
                check_canonical(&request)?;
                if let Some(url) = &request.webhook_url {
                    prop_assert!(check_literal(url, live, false).is_ok());
                }
            }
            Err(e) => prop_assert!(BODY_CODES.contains(&e.code()), "{}: {}", e.code(), text),
        }
    }
}

/// Strings matching one of the OpenAPI document's patterns (anchors dropped:
/// the generator makes whole matches).
fn matching(pattern: &str) -> BoxedStrategy<String> {
    let inner = pattern.trim_start_matches('^').trim_end_matches('$');
    proptest::string::string_regex(inner).unwrap().boxed()
}

proptest! {
    #![proptest_config(config())]

    /// What the published contract calls valid, the parsers accept: the
    /// document's domain, amount, currency and e-mail shapes.
    #[test]
    fn the_documents_patterns_describe_values_the_parsers_accept(
        // Hyphens in a label's third and fourth places mark an IDNA A-label
        // (`xn--…`), which must also decode as punycode: a check beyond the
        // pattern's shape (`xn--0.aa` fits the shape and is refused).
        domain in matching(DOMAIN_PATTERN).prop_filter(
            "labels with `--` in places 3 and 4 are IDNA's to judge",
            |d| !d.split('.').any(|label| label.get(2..4) == Some("--")),
        ),
        amount in matching(AMOUNT_PATTERN),
        code in prop::sample::select(CURRENCIES.to_vec()),
        email in matching(EMAIL_PATTERN),
    ) {
        prop_assume!(domain.len() <= 253);
        let currency = Currency::parse(code).unwrap();

        prop_assert!(ShopDomain::parse(&domain).is_ok(), "{}", domain);
        prop_assert!(Email::parse(&email).is_ok(), "{}", email);
        let raw = serde_json::value::to_raw_value(&amount).unwrap();
        prop_assert!(Money::parse_json(&raw, currency, max_amount()).is_ok(), "{} {}", amount, code);
    }
}

fn body_rules() -> BodyRules {
    BodyRules {
        max_amount: max_amount(),
        meta_max_bytes: 256,
        live: false,
        webhook_allow_private: false,
    }
}

/// What an accepted body turned into is canonical: each value parses back to itself.
fn check_canonical(request: &kassa::app::sessions::open::OpenRequest) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        ShopDomain::parse(request.shop_domain.as_str()),
        Ok(request.shop_domain.clone())
    );
    let currency = request.amount.currency();
    prop_assert_eq!(
        Money::parse_text(&request.amount.to_string(), currency, max_amount()),
        Ok(request.amount)
    );
    if let Some(email) = &request.customer_email {
        prop_assert_eq!(Email::parse(email.as_str()), Ok(email.clone()));
    }
    for url in [&request.return_url, &request.cancel_url]
        .into_iter()
        .flatten()
    {
        prop_assert_eq!(
            HttpsUrl::parse(url).map(|u| u.to_string()),
            Some(url.clone())
        );
    }
    if let Some(meta) = &request.meta {
        prop_assert!(serde_json::from_str::<Value>(meta).is_ok_and(|m| m.is_object()));
        prop_assert!(meta.len() <= 256);
    }
    if let Some(order) = &request.order_id {
        prop_assert!(order.chars().count() <= 255 && !order.contains('\0'));
    }
    if let Some(hint) = &request.routing_hint {
        prop_assert!(hint.chars().count() <= 64 && *hint == hint.to_ascii_lowercase());
    }
    if let Some(country) = &request.customer_country {
        prop_assert!(country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase()));
    }
    Ok(())
}

/// A body as JSON members (`"name":value`), each field absent, plausible or
/// any JSON; `amount` sometimes as a raw JSON number.
fn create_body() -> impl Strategy<Value = Vec<String>> {
    let member = |name: &'static str, value: BoxedStrategy<String>| {
        prop::option::weighted(0.8, value).prop_map(move |v| v.map(|v| format!("{name:?}:{v}")))
    };
    let json_text = |s: BoxedStrategy<String>| s.prop_map(|t| Value::from(t).to_string()).boxed();
    let or_any = |s: BoxedStrategy<String>| {
        prop_oneof![4 => s, 1 => any_json().prop_map(|v| v.to_string())].boxed()
    };
    let raw_number = "[0-9]{1,7}(\\.[0-9]{1,4})?([eE]-?[0-9])?"
        .prop_filter("a JSON number", |t| {
            matches!(serde_json::from_str::<Value>(t), Ok(Value::Number(_)))
        })
        .boxed();
    let domain = prop_oneof![
        3 => Just("shop.example".to_string()),
        1 => Just("blocked.example".to_string()),
        2 => domain_text(),
    ]
    .boxed();
    (
        member("domain", or_any(json_text(domain))),
        member(
            "amount",
            or_any(prop_oneof![json_text(amount_text().boxed()), raw_number].boxed()),
        ),
        member("currency", or_any(json_text(currency_text().boxed()))),
        member("merchant_ref", or_any(json_text(".{0,300}".boxed()))),
        member("customer_email", or_any(json_text(email_text().boxed()))),
        member("return_url", or_any(json_text(url_text().boxed()))),
        member("webhook_url", or_any(json_text(url_text().boxed()))),
        member("provider", or_any(json_text("[a-zA-Z0-9]{0,70}".boxed()))),
        member("country", or_any(json_text("[a-zA-Z]{0,3}".boxed()))),
        member("meta", any_json().prop_map(|v| v.to_string()).boxed()),
    )
        .prop_map(|members| {
            let (a, b, c, d, e, f, g, h, i, j) = members;
            [a, b, c, d, e, f, g, h, i, j]
                .into_iter()
                .flatten()
                .collect()
        })
}
