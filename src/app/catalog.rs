//! What payment links and products share when a merchant sets them up:
//! the refused fields of a form ([`FieldProblems`]), names, descriptions,
//! currencies with a configured rate, expiry times typed in UTC, and a
//! fresh slug drawn again when taken. Pure checks plus one retry loop; the
//! rules of each object stay in `app::links` and `app::products`.

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};

use crate::app::sessions::open::SessionRules;
use crate::domain::money::Currency;
use crate::domain::slug::Slug;
use crate::store::StoreError;

/// Longest title or product name.
pub const MAX_NAME: usize = 120;
/// Longest description.
pub const MAX_DESCRIPTION: usize = 2_000;
/// Slugs drawn before giving up (a clash is already vanishingly rare).
const SLUG_ATTEMPTS: usize = 4;

/// Refused fields, by form field name, with what to do about each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldProblems(pub Vec<(&'static str, String)>);

impl FieldProblems {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for FieldProblems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (field, message)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{field}: {message}")?;
        }
        Ok(())
    }
}

/// A required one-line name of at most [`MAX_NAME`] characters.
pub(super) fn name_of(
    problems: &mut FieldProblems,
    field: &'static str,
    typed: &str,
) -> Option<String> {
    let name = typed.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        problems.add(
            field,
            format!("Enter a name of 1 to {MAX_NAME} characters on one line."),
        );
        return None;
    }
    Some(name.to_string())
}

/// An optional description of at most [`MAX_DESCRIPTION`] characters.
pub(super) fn description_of(problems: &mut FieldProblems, typed: &str) -> Option<String> {
    let text = typed.trim().replace("\r\n", "\n");
    if text.chars().count() > MAX_DESCRIPTION {
        problems.add(
            "description",
            format!("Keep the description to {MAX_DESCRIPTION} characters."),
        );
        return None;
    }
    Some(text)
}

/// An ISO 4217 code the operator has an exchange rate for.
pub(super) fn currency_of(
    problems: &mut FieldProblems,
    rules: &SessionRules,
    typed: &str,
) -> Option<Currency> {
    match Currency::parse(&typed.trim().to_ascii_uppercase()) {
        Ok(c) if rules.rates.contains_key(c.code()) => Some(c),
        Ok(_) => {
            problems.add(
                "currency",
                "No exchange rate is configured for this currency.",
            );
            None
        }
        Err(_) => {
            problems.add("currency", "Enter a currency code like EUR or USD.");
            None
        }
    }
}

/// A UTC time typed as `YYYY-MM-DD HH:MM[:SS]`, `YYYY-MM-DDTHH:MM[:SS]`
/// (what a date-time field sends) or a bare date (its midnight), in unix ms.
pub fn parse_expiry(typed: &str) -> Option<i64> {
    let typed = typed.trim().trim_end_matches('Z');
    let formats = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ];
    let at = formats
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(typed, f).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(typed, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    Some(at.and_utc().timestamp_millis())
}

/// Runs `insert` with fresh slugs until one is not taken.
pub(super) async fn insert_with_fresh_slug<T, F, Fut>(mut insert: F) -> Result<T, StoreError>
where
    F: FnMut(Slug) -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    for _ in 1..SLUG_ATTEMPTS {
        match insert(Slug::generate()).await {
            Err(StoreError::Conflict) => continue,
            other => return other,
        }
    }
    insert(Slug::generate()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_times_are_read_as_utc_in_the_forms_people_and_browsers_use() {
        let at = Some(1_798_736_400_000); // 2026-12-31 17:00:00 UTC
        assert_eq!(parse_expiry("2026-12-31 17:00"), at);
        assert_eq!(parse_expiry("2026-12-31T17:00"), at);
        assert_eq!(parse_expiry("2026-12-31 17:00:00"), at);
        assert_eq!(parse_expiry("2026-12-31T17:00:00Z"), at);
        assert_eq!(parse_expiry("2026-12-31"), Some(1_798_675_200_000));
        assert_eq!(parse_expiry("31/12/2026"), None);
        assert_eq!(parse_expiry("tomorrow"), None);
    }

    #[test]
    fn problems_read_as_one_line_for_the_cli() {
        let mut p = FieldProblems::default();
        p.add("title", "Enter a name.");
        p.add("amount", "Too large.");
        assert_eq!(p.to_string(), "title: Enter a name.; amount: Too large.");
    }
}
