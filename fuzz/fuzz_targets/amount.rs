//! Any text as an amount (a JSON string, a JSON number when it is one, and
//! as typed in a form) in a currency chosen by the first byte: accepted
//! amounts are positive, within the maximum and print back to themselves.
#![no_main]

use kassa::domain::money::{Currency, Money};
use libfuzzer_sys::fuzz_target;
use serde_json::value::RawValue;

const CURRENCIES: [&str; 4] = ["EUR", "JPY", "KWD", "USD"];

fuzz_target!(|data: &[u8]| {
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let Ok(currency) = Currency::parse(CURRENCIES[usize::from(*first) % CURRENCIES.len()]) else {
        return;
    };
    let max = rust_decimal::Decimal::from(1_000_000);
    let as_string = serde_json::value::to_raw_value(text).ok();
    let as_number = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .filter(serde_json::Value::is_number)
        .and_then(|_| RawValue::from_string(text.trim().to_string()).ok());
    let parsed = [as_string, as_number]
        .into_iter()
        .flatten()
        .map(|raw| Money::parse_json(&raw, currency, max))
        .chain([Money::parse_text(text, currency, max)]);
    for money in parsed.flatten() {
        assert!(money.minor() > 0 && money.amount() <= max);
        assert_eq!(
            Money::parse_text(&money.to_string(), currency, max),
            Ok(money)
        );
    }
});
