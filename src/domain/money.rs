//! Money value types: payable ISO 4217 currencies, fiat amounts held as
//! integer minor units, and USDC amounts held as 6-decimal base units.
//!
//! This module owns the rules for turning merchant-supplied amount text
//! (JSON strings or JSON numbers) into exact amounts. It must never go
//! through binary floating point, and it must not do any I/O, pricing or
//! exchange-rate lookups: rates are passed in by callers.

use std::cmp::Ordering;
use std::fmt;
use std::num::IntErrorKind;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::value::RawValue;

/// How close (in major units) a JSON number must be to a value with the
/// currency's decimals to be read as that value: 1e-9.
const SNAP_TOLERANCE_EXPONENT: usize = 9;
/// More integer digits than this cannot fit a `Decimal` (max ~7.9e28).
const MAX_INT_DIGITS: i64 = 30;
/// Digits this far below the minor unit are far below the snap tolerance.
const MIN_POINT: i64 = -40;
/// Decimals of USDC base units.
const USDC_DECIMALS: u32 = 6;
const USDC_UNITS_PER_TOKEN: u64 = 1_000_000;

/// A payable ISO 4217 currency (one that has a minor-unit exponent).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Currency(iso_currency::Currency);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid currency")]
pub struct CurrencyError;

impl Currency {
    /// Parses an alphabetic ISO 4217 code, case-insensitively. Codes without
    /// a minor-unit exponent (precious metals, XTS, XXX, ...) are rejected.
    pub fn parse(s: &str) -> Result<Currency, CurrencyError> {
        let code = s.trim().to_ascii_uppercase();
        let currency = iso_currency::Currency::from_code(&code).ok_or(CurrencyError)?;
        currency
            .exponent()
            .map(|_| Currency(currency))
            .ok_or(CurrencyError)
    }

    /// The upper-case alphabetic code, e.g. `"EUR"`.
    pub fn code(&self) -> &'static str {
        self.0.code()
    }

    /// The ISO 4217 exponent: EUR 2, JPY 0, KWD 3.
    pub fn decimals(&self) -> u32 {
        // `parse` only admits currencies with an exponent.
        self.0.exponent().map_or(0, u32::from)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("amount is not a number")]
    NotANumber,
    #[error("amount must be positive")]
    NotPositive,
    #[error("amount is too large")]
    TooLarge,
    #[error("amount has too many decimals for the currency")]
    TooManyDecimals,
}

/// A fiat amount in integer minor units of its currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    pub fn from_minor(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    /// Reads the raw JSON text of an `amount` field: a JSON string holding a
    /// plain decimal (`"79.00"`) or a JSON number (`79`, `1e2`).
    ///
    /// JSON numbers within 1e-9 of a value with the currency's decimals are
    /// read as that value (they often come from float serialisers); strings
    /// must be exact.
    pub fn parse_json(
        raw: &RawValue,
        currency: Currency,
        max: Decimal,
    ) -> Result<Money, AmountError> {
        let text = raw.get().trim_matches([' ', '\t', '\n', '\r']);
        let from_number = !text.starts_with('"');
        let literal = if from_number {
            Literal::parse(text, true)
        } else {
            let s: String = serde_json::from_str(text).map_err(|_| AmountError::NotANumber)?;
            Literal::parse(s.trim(), false)
        };
        let literal = literal.ok_or(AmountError::NotANumber)?;
        if literal.negative || literal.is_zero() {
            return Err(AmountError::NotPositive);
        }
        let decimals = currency.decimals();
        let minor = literal.to_scaled(decimals as usize, from_number)?;
        if minor <= 0 {
            return Err(AmountError::NotPositive);
        }
        let amount = Decimal::try_from_i128_with_scale(minor, decimals)
            .map_err(|_| AmountError::TooLarge)?;
        if amount > max {
            return Err(AmountError::TooLarge);
        }
        let minor = i64::try_from(minor).map_err(|_| AmountError::TooLarge)?;
        Ok(Money { minor, currency })
    }

    /// Reads an amount a person typed into a form (`24.50`; `24,50` too
    /// when it has no `.`): a plain decimal, exact, with at most the
    /// currency's decimals, positive and not above `max`.
    pub fn parse_text(text: &str, currency: Currency, max: Decimal) -> Result<Money, AmountError> {
        let text = text.trim();
        let text = if text.contains('.') || text.matches(',').count() != 1 {
            text.to_string()
        } else {
            text.replace(',', ".")
        };
        let raw = serde_json::value::to_raw_value(&text).map_err(|_| AmountError::NotANumber)?;
        Money::parse_json(&raw, currency, max)
    }

    pub fn minor(&self) -> i64 {
        self.minor
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The amount in major units, with exactly the currency's decimals.
    pub fn amount(&self) -> Decimal {
        Decimal::new(self.minor, self.currency.decimals())
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.amount())
    }
}

/// An exact decimal literal `±0.digits × 10^point`, where `digits` has no
/// leading or trailing zeros (empty for zero).
struct Literal {
    negative: bool,
    digits: String,
    point: i64,
}

impl Literal {
    /// Accepts `-?digits(.digits)?`, plus `[eE][+-]?digits` when
    /// `allow_exponent` (JSON number syntax).
    fn parse(text: &str, allow_exponent: bool) -> Option<Literal> {
        let unsigned = text.strip_prefix('-');
        let negative = unsigned.is_some();
        let unsigned = unsigned.unwrap_or(text);
        let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
            Some((mantissa, exponent)) if allow_exponent => (mantissa, Some(exponent)),
            _ => (unsigned, None),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(int) || (mantissa.contains('.') && !all_digits(frac)) {
            return None;
        }
        let exponent = match exponent.map(str::parse::<i64>) {
            None => 0,
            Some(Ok(exponent)) => exponent,
            Some(Err(e)) if *e.kind() == IntErrorKind::PosOverflow => i64::MAX,
            Some(Err(e)) if *e.kind() == IntErrorKind::NegOverflow => i64::MIN,
            Some(Err(_)) => return None,
        };
        let all = format!("{int}{frac}");
        let significant = all.trim_start_matches('0');
        let point = if significant.is_empty() {
            0
        } else {
            let leading_zeros = (all.len() - significant.len()) as i64;
            (int.len() as i64 - leading_zeros).saturating_add(exponent)
        };
        let digits = significant.trim_end_matches('0').to_owned();
        Some(Literal {
            negative,
            digits,
            point,
        })
    }

    fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// The value in units of 10^-decimals. Extra decimals are an error,
    /// except that `snap` reads values within 1e-9 of such a unit as it.
    fn to_scaled(&self, decimals: usize, snap: bool) -> Result<i128, AmountError> {
        if self.point > MAX_INT_DIGITS {
            return Err(AmountError::TooLarge);
        }
        // Digits at or above the unit; deeper than MIN_POINT only ever
        // matters as "nonzero", so the padding is bounded there.
        let whole = self.point.saturating_add(decimals as i64).max(MIN_POINT);
        let (kept, rest) = match usize::try_from(whole) {
            Err(_) => {
                let width = self.digits.len() + whole.unsigned_abs() as usize;
                (String::new(), format!("{:0>width$}", self.digits))
            }
            Ok(whole) if whole >= self.digits.len() => {
                (format!("{:0<whole$}", self.digits), String::new())
            }
            Ok(whole) => (
                self.digits[..whole].to_owned(),
                self.digits[whole..].to_owned(),
            ),
        };
        let mut round_up = false;
        if !rest.is_empty() {
            // `rest` is a fraction of one unit; the tolerance in units is
            // 10^(decimals - 9), i.e. "0.00…01" with the 1 at this position.
            let tolerance_digits = SNAP_TOLERANCE_EXPONENT.saturating_sub(decimals).max(1);
            let tolerance = format!("{}1", "0".repeat(tolerance_digits - 1));
            let one_minus_tolerance = "9".repeat(tolerance_digits);
            if !snap {
                return Err(AmountError::TooManyDecimals);
            } else if compare_fractions(&rest, &one_minus_tolerance) != Ordering::Less {
                round_up = true;
            } else if compare_fractions(&rest, &tolerance) == Ordering::Greater {
                return Err(AmountError::TooManyDecimals);
            }
        }
        let units: i128 = format!("0{kept}")
            .parse()
            .map_err(|_| AmountError::TooLarge)?;
        Ok(units + i128::from(round_up))
    }
}

/// Compares two digit strings as the fractions `0.a` and `0.b`.
fn compare_fractions(a: &str, b: &str) -> Ordering {
    let width = a.len().max(b.len());
    format!("{a:0<width$}").cmp(&format!("{b:0<width$}"))
}

/// An amount of USDC in base units (6 decimals).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UsdcAmount(u64);

impl UsdcAmount {
    pub fn from_units(units: u64) -> UsdcAmount {
        UsdcAmount(units)
    }

    pub fn units(&self) -> u64 {
        self.0
    }

    /// `amount × rate`, rounded half away from zero to 6 decimals. `None` on
    /// overflow or a negative result.
    pub fn from_fiat(amount: Decimal, rate: Decimal) -> Option<UsdcAmount> {
        let product = amount.checked_mul(rate)?;
        if product.is_sign_negative() && !product.is_zero() {
            return None;
        }
        let rounded =
            product.round_dp_with_strategy(USDC_DECIMALS, RoundingStrategy::MidpointAwayFromZero);
        let units = rounded.checked_mul(Decimal::from(USDC_UNITS_PER_TOKEN))?;
        units.to_u64().map(UsdcAmount)
    }

    /// Parses a plain positive decimal with at most 6 decimals (`"85.123456"`).
    pub fn parse(s: &str) -> Option<UsdcAmount> {
        let literal = Literal::parse(s.trim(), false)?;
        if literal.negative || literal.is_zero() {
            return None;
        }
        let units = literal.to_scaled(USDC_DECIMALS as usize, false).ok()?;
        u64::try_from(units).ok().map(UsdcAmount)
    }

    /// The amount in whole USDC, with scale 6.
    pub fn decimal(&self) -> Decimal {
        let low = (self.0 & u64::from(u32::MAX)) as u32;
        let mid = (self.0 >> 32) as u32;
        Decimal::from_parts(low, mid, 0, false, USDC_DECIMALS)
    }

    pub fn checked_add(self, other: UsdcAmount) -> Option<UsdcAmount> {
        self.0.checked_add(other.0).map(UsdcAmount)
    }

    pub fn saturating_sub(self, other: UsdcAmount) -> UsdcAmount {
        UsdcAmount(self.0.saturating_sub(other.0))
    }
}

impl fmt::Display for UsdcAmount {
    /// At least two decimals; zeros beyond the second are trimmed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / USDC_UNITS_PER_TOKEN;
        let frac = format!("{:06}", self.0 % USDC_UNITS_PER_TOKEN);
        let trimmed = frac.trim_end_matches('0');
        write!(
            f,
            "{whole}.{}",
            if trimmed.len() < 2 {
                &frac[..2]
            } else {
                trimmed
            }
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::str::FromStr;

    use super::*;

    fn cur(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn parse(json: &str, code: &str) -> Result<Money, AmountError> {
        parse_max(json, code, "1000000")
    }

    fn parse_max(json: &str, code: &str, max: &str) -> Result<Money, AmountError> {
        let raw = RawValue::from_string(json.to_owned()).unwrap();
        Money::parse_json(&raw, cur(code), dec(max))
    }

    fn minor(json: &str, code: &str) -> i64 {
        parse(json, code).unwrap().minor()
    }

    #[test]
    fn typed_amounts_are_exact_and_accept_a_decimal_comma() {
        let typed = |t: &str| Money::parse_text(t, cur("EUR"), dec("1000")).map(|m| m.minor());
        assert_eq!(typed(" 24.50 "), Ok(2450));
        assert_eq!(typed("24,5"), Ok(2450));
        assert_eq!(typed("1,000.00"), Err(AmountError::NotANumber));
        assert_eq!(typed("24.505"), Err(AmountError::TooManyDecimals));
        assert_eq!(typed("1e2"), Err(AmountError::NotANumber));
        assert_eq!(typed("0"), Err(AmountError::NotPositive));
        assert_eq!(typed("1000.01"), Err(AmountError::TooLarge));
        assert_eq!(typed(""), Err(AmountError::NotANumber));
    }

    #[test]
    fn currency_parse_accepts_upper_and_lower_case_codes_with_whitespace() {
        assert_eq!(Currency::parse("EUR").unwrap().code(), "EUR");
        assert_eq!(Currency::parse("eur").unwrap().code(), "EUR");
        assert_eq!(Currency::parse(" usd \n").unwrap().code(), "USD");
        assert_eq!(Currency::parse("jPy").unwrap(), cur("JPY"));
    }

    #[test]
    fn currency_decimals_follow_the_iso_exponent() {
        assert_eq!(cur("EUR").decimals(), 2);
        assert_eq!(cur("JPY").decimals(), 0);
        assert_eq!(cur("KWD").decimals(), 3);
    }

    #[test]
    fn currency_parse_rejects_unknown_codes() {
        for code in ["", "EU", "EURO", "ABC", "€", "E U", "123"] {
            assert_eq!(Currency::parse(code), Err(CurrencyError), "{code}");
        }
    }

    #[test]
    fn currency_parse_rejects_codes_without_a_minor_unit() {
        for code in ["XAU", "XAG", "XPT", "XPD", "XTS", "XXX", "XDR", "xts"] {
            assert_eq!(Currency::parse(code), Err(CurrencyError), "{code}");
        }
    }

    #[test]
    fn currency_error_says_invalid_currency() {
        assert_eq!(CurrencyError.to_string(), "invalid currency");
    }

    #[test]
    fn parse_json_reads_plain_decimal_strings() {
        assert_eq!(minor(r#""79.00""#, "EUR"), 7900);
        assert_eq!(minor(r#""50""#, "EUR"), 5000);
        assert_eq!(minor(r#"" 12.5 ""#, "EUR"), 1250);
        assert_eq!(minor(r#""0.01""#, "EUR"), 1);
        assert_eq!(minor(r#""007.5""#, "EUR"), 750);
    }

    #[test]
    fn parse_json_reads_json_numbers_including_exponents() {
        assert_eq!(minor("50", "EUR"), 5000);
        assert_eq!(minor("99.99", "EUR"), 9999);
        assert_eq!(minor("1e2", "EUR"), 10000);
        assert_eq!(minor("1E2", "EUR"), 10000);
        assert_eq!(minor("1.5e+1", "EUR"), 1500);
        assert_eq!(minor("125e-2", "EUR"), 125);
        assert_eq!(minor("0.5E1", "JPY"), 5);
    }

    #[test]
    fn parse_json_accepts_trailing_zeros_beyond_the_currency_decimals() {
        assert_eq!(minor(r#""79.000""#, "EUR"), 7900);
        assert_eq!(minor("79.000", "EUR"), 7900);
        assert_eq!(minor(r#""500.00""#, "JPY"), 500);
        assert_eq!(minor("1.2300e1", "EUR"), 1230);
    }

    #[test]
    fn parse_json_respects_each_currency_exponent() {
        assert_eq!(minor(r#""500""#, "JPY"), 500);
        assert_eq!(minor(r#""1.5""#, "KWD"), 1500);
        assert_eq!(minor(r#""1.234""#, "KWD"), 1234);
        assert_eq!(
            parse(r#""1.2345""#, "KWD"),
            Err(AmountError::TooManyDecimals)
        );
        assert_eq!(
            parse(r#""500.5""#, "JPY"),
            Err(AmountError::TooManyDecimals)
        );
        assert_eq!(parse("500.5", "JPY"), Err(AmountError::TooManyDecimals));
    }

    #[test]
    fn parse_json_rejects_strings_with_too_many_decimals() {
        assert_eq!(
            parse(r#""79.001""#, "EUR"),
            Err(AmountError::TooManyDecimals)
        );
        assert_eq!(
            parse(r#""14.700000000000001""#, "EUR"),
            Err(AmountError::TooManyDecimals)
        );
        let tiny = format!("\"0.{}1\"", "0".repeat(60));
        assert_eq!(parse(&tiny, "EUR"), Err(AmountError::TooManyDecimals));
    }

    #[test]
    fn parse_json_snaps_json_numbers_within_one_billionth() {
        assert_eq!(minor("14.700000000000001", "EUR"), 1470);
        assert_eq!(minor("14.699999999999999", "EUR"), 1470);
        assert_eq!(minor("0.30000000000000004", "EUR"), 30);
        assert_eq!(minor("19.999999999999996", "EUR"), 2000);
        assert_eq!(minor("499.9999999999", "JPY"), 500);
        assert_eq!(minor("1.2340000000001", "KWD"), 1234);
    }

    #[test]
    fn parse_json_snaps_exactly_at_the_one_billionth_boundary_but_not_beyond() {
        assert_eq!(minor("14.700000001", "EUR"), 1470);
        assert_eq!(minor("14.699999999", "EUR"), 1470);
        assert_eq!(minor("500.000000001", "JPY"), 500);
        assert_eq!(
            parse("14.7000000010000001", "EUR"),
            Err(AmountError::TooManyDecimals)
        );
        assert_eq!(
            parse("14.6999999989999999", "EUR"),
            Err(AmountError::TooManyDecimals)
        );
        assert_eq!(
            parse("14.70000001", "EUR"),
            Err(AmountError::TooManyDecimals)
        );
        assert_eq!(parse("14.7049", "EUR"), Err(AmountError::TooManyDecimals));
        assert_eq!(
            parse("500.0000000011", "JPY"),
            Err(AmountError::TooManyDecimals)
        );
    }

    #[test]
    fn parse_json_rejects_zero_and_negative_amounts() {
        for json in [
            "0",
            "0.0",
            "-0",
            r#""0""#,
            r#""0.00""#,
            "-5",
            "-0.01",
            r#""-5""#,
            r#"" -79.00 ""#,
            "-1e2",
        ] {
            assert_eq!(parse(json, "EUR"), Err(AmountError::NotPositive), "{json}");
        }
    }

    #[test]
    fn parse_json_treats_a_number_that_snaps_to_zero_as_not_positive() {
        assert_eq!(parse("0.0000000001", "EUR"), Err(AmountError::NotPositive));
        assert_eq!(parse("1e-400", "EUR"), Err(AmountError::NotPositive));
    }

    #[test]
    fn parse_json_accepts_exactly_the_maximum_and_rejects_anything_above() {
        assert_eq!(
            parse_max(r#""10000.00""#, "EUR", "10000").unwrap().minor(),
            1_000_000
        );
        assert_eq!(parse_max("1e4", "EUR", "10000").unwrap().minor(), 1_000_000);
        assert_eq!(
            parse_max(r#""10000.01""#, "EUR", "10000"),
            Err(AmountError::TooLarge)
        );
        assert_eq!(
            parse_max("10000.000000001", "EUR", "10000")
                .unwrap()
                .minor(),
            1_000_000
        );
        assert_eq!(
            parse_max("10001", "JPY", "10000"),
            Err(AmountError::TooLarge)
        );
    }

    #[test]
    fn parse_json_rejects_numbers_too_large_for_any_representation() {
        let huge = format!("\"{}\"", "9".repeat(40));
        let max = "79228162514264337593543950335";
        assert_eq!(parse_max(&huge, "EUR", max), Err(AmountError::TooLarge));
        assert_eq!(parse_max("1e400", "EUR", max), Err(AmountError::TooLarge));
        assert_eq!(
            parse_max("1e99999999999999999999", "EUR", max),
            Err(AmountError::TooLarge)
        );
        assert_eq!(parse_max("1e27", "EUR", max), Err(AmountError::TooLarge));
        assert_eq!(parse_max("1e19", "JPY", max), Err(AmountError::TooLarge));
    }

    #[test]
    fn parse_json_rejects_anything_that_is_not_a_plain_number() {
        let cases = [
            "null",
            "true",
            "false",
            "{}",
            "[]",
            "[1]",
            r#"{"v":1}"#,
            r#""abc""#,
            r#""""#,
            r#"" ""#,
            r#""1,5""#,
            r#""1,000.00""#,
            r#""1 000""#,
            r#""1e2""#,
            r#""1E2""#,
            r#""+5""#,
            r#""5.""#,
            r#"".5""#,
            r#""1.2.3""#,
            r#""0x10""#,
            r#""NaN""#,
            r#""Infinity""#,
            r#""-""#,
            r#""1_000""#,
            r#""12€""#,
        ];
        for json in cases {
            assert_eq!(parse(json, "EUR"), Err(AmountError::NotANumber), "{json}");
        }
    }

    #[test]
    fn money_amount_and_display_use_the_currency_decimals() {
        let eur = Money::from_minor(7900, cur("EUR"));
        assert_eq!(eur.amount(), dec("79.00"));
        assert_eq!(eur.to_string(), "79.00");
        assert_eq!(eur.currency(), cur("EUR"));
        assert_eq!(Money::from_minor(500, cur("JPY")).to_string(), "500");
        assert_eq!(Money::from_minor(1500, cur("KWD")).to_string(), "1.500");
        assert_eq!(Money::from_minor(5, cur("EUR")).to_string(), "0.05");
    }

    #[test]
    fn usdc_display_shows_at_least_two_decimals_and_trims_the_rest() {
        let shown = |units| UsdcAmount::from_units(units).to_string();
        assert_eq!(shown(79_000_000), "79.00");
        assert_eq!(shown(85_123_456), "85.123456");
        assert_eq!(shown(1_500_000), "1.50");
        assert_eq!(shown(1_230_000), "1.23");
        assert_eq!(shown(1_234_500), "1.2345");
        assert_eq!(shown(1), "0.000001");
        assert_eq!(shown(0), "0.00");
    }

    #[test]
    fn usdc_from_fiat_rounds_half_away_from_zero_to_six_decimals() {
        let usdc = |a, r| UsdcAmount::from_fiat(dec(a), dec(r)).map(|u| u.units());
        assert_eq!(usdc("79.00", "1.08"), Some(85_320_000));
        assert_eq!(usdc("1", "0.0000005"), Some(1));
        assert_eq!(usdc("1", "0.00000049"), Some(0));
        assert_eq!(usdc("3", "0.3333335"), Some(1_000_001));
        assert_eq!(usdc("500", "0.0067"), Some(3_350_000));
    }

    #[test]
    fn usdc_from_fiat_is_none_on_negative_results_or_overflow() {
        assert_eq!(UsdcAmount::from_fiat(dec("-1"), dec("1.1")), None);
        assert_eq!(UsdcAmount::from_fiat(dec("1"), dec("-0.0000001")), None);
        assert_eq!(UsdcAmount::from_fiat(dec("20000000000000"), dec("1")), None);
        assert_eq!(UsdcAmount::from_fiat(Decimal::MAX, dec("2")), None);
    }

    #[test]
    fn usdc_parse_accepts_plain_positive_decimals_with_up_to_six_decimals() {
        assert_eq!(
            UsdcAmount::parse("85.123456").map(|u| u.units()),
            Some(85_123_456)
        );
        assert_eq!(
            UsdcAmount::parse(" 79 ").map(|u| u.units()),
            Some(79_000_000)
        );
        assert_eq!(
            UsdcAmount::parse("1.5000000").map(|u| u.units()),
            Some(1_500_000)
        );
        assert_eq!(UsdcAmount::parse("0.000001").map(|u| u.units()), Some(1));
    }

    #[test]
    fn usdc_parse_rejects_zero_negative_too_precise_or_malformed_input() {
        for s in [
            "0",
            "0.000000",
            "-1",
            "1.0000001",
            "1e2",
            "",
            "abc",
            "1,5",
            "+1",
            "99999999999999999999",
        ] {
            assert_eq!(UsdcAmount::parse(s), None, "{s}");
        }
    }

    #[test]
    fn usdc_decimal_has_six_decimals() {
        assert_eq!(
            UsdcAmount::from_units(85_123_456).decimal(),
            dec("85.123456")
        );
        assert_eq!(
            UsdcAmount::from_units(u64::MAX).decimal(),
            dec("18446744073709.551615")
        );
        assert_eq!(UsdcAmount::from_units(1).decimal().scale(), 6);
    }

    #[test]
    fn usdc_checked_add_and_saturating_sub_do_not_wrap() {
        let a = UsdcAmount::from_units(5);
        assert_eq!(
            a.checked_add(UsdcAmount::from_units(7)),
            Some(UsdcAmount::from_units(12))
        );
        assert_eq!(UsdcAmount::from_units(u64::MAX).checked_add(a), None);
        assert_eq!(
            a.saturating_sub(UsdcAmount::from_units(7)),
            UsdcAmount::from_units(0)
        );
        assert_eq!(
            UsdcAmount::from_units(7).saturating_sub(a),
            UsdcAmount::from_units(2)
        );
    }
}
