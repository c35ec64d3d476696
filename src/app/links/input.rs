//! What a merchant types for a payment link (dashboard form or CLI flags)
//! and its check into a [`LinkDraft`]: every refused field is named with a
//! message a person can act on. Pure, apart from reading the rules.

use super::LinkError;
use crate::app::catalog::{FieldProblems, currency_of, description_of, name_of, parse_expiry};
use crate::app::sessions::open::SessionRules;
use crate::domain::https_url::HttpsUrl;
use crate::domain::money::{Currency, Money};
use crate::domain::payment_link::{LinkAmount, LinkDraft};

/// Most uses a link may be limited to.
pub const MAX_USES_LIMIT: u32 = 1_000_000;

/// A link's settings as typed (dashboard form or CLI flags); empty is absent.
#[derive(Debug, Clone, Default)]
pub struct LinkInput {
    pub title: String,
    pub description: String,
    /// A fixed amount; leave empty to let the customer enter one.
    pub amount: String,
    pub min: String,
    pub max: String,
    pub currency: String,
    pub max_uses: String,
    /// UTC, `YYYY-MM-DD HH:MM[:SS]` or `YYYY-MM-DDTHH:MM` (a date-time field).
    pub expires: String,
    pub return_url: String,
    pub active: bool,
}

/// Checks what was typed; every refused field is named.
pub fn check(rules: &SessionRules, input: &LinkInput, now_ms: i64) -> Result<LinkDraft, LinkError> {
    let mut problems = FieldProblems::default();
    let title = name_of(&mut problems, "title", &input.title);
    let description = description_of(&mut problems, &input.description);
    let currency = currency_of(&mut problems, rules, &input.currency);
    let amount = currency.and_then(|c| amount_of(&mut problems, rules, input, c));
    let max_uses = match input.max_uses.trim() {
        "" => None,
        typed => match typed.parse::<u32>() {
            Ok(n) if (1..=MAX_USES_LIMIT).contains(&n) => Some(n),
            _ => {
                problems.add(
                    "max_uses",
                    format!("Enter a whole number from 1 to {MAX_USES_LIMIT}, or leave it empty."),
                );
                None
            }
        },
    };
    let expires_at_ms = match input.expires.trim() {
        "" => None,
        typed => match parse_expiry(typed) {
            Some(at) if at > now_ms => Some(at),
            Some(_) => {
                problems.add("expires", "The expiry must be in the future.");
                None
            }
            None => {
                problems.add(
                    "expires",
                    "Enter a date and time like 2026-12-31 18:00 (UTC).",
                );
                None
            }
        },
    };
    let return_url = match input.return_url.trim() {
        "" => None,
        typed => match HttpsUrl::parse(typed) {
            Some(url) => Some(url.as_str().to_string()),
            None => {
                problems.add(
                    "return_url",
                    "Enter a full https:// address, like https://shop.example/thanks.",
                );
                None
            }
        },
    };
    match (title, description, amount) {
        (Some(title), Some(description), Some(amount)) if problems.is_empty() => Ok(LinkDraft {
            title,
            description,
            amount,
            max_uses,
            expires_at_ms,
            return_url,
            active: input.active,
        }),
        _ => Err(LinkError::Invalid(problems)),
    }
}

fn amount_of(
    problems: &mut FieldProblems,
    rules: &SessionRules,
    input: &LinkInput,
    currency: Currency,
) -> Option<LinkAmount> {
    let typed = |field: &'static str, text: &str, problems: &mut FieldProblems| {
        let parsed = Money::parse_text(text, currency, rules.max_amount);
        if parsed.is_err() {
            problems.add(
                field,
                format!(
                    "Enter a positive amount with at most {} decimals, not above {}.",
                    currency.decimals(),
                    rules.max_amount
                ),
            );
        }
        parsed.ok()
    };
    let (amount, min, max) = (input.amount.trim(), input.min.trim(), input.max.trim());
    if !amount.is_empty() {
        if !min.is_empty() || !max.is_empty() {
            problems.add(
                "amount",
                "Enter a fixed amount, or a minimum and maximum for the customer to choose within, not both.",
            );
            return None;
        }
        return typed("amount", amount, problems).map(LinkAmount::Fixed);
    }
    if min.is_empty() || max.is_empty() {
        problems.add(
            "amount",
            "Enter a fixed amount, or both a minimum and a maximum.",
        );
        return None;
    }
    let (min, max) = (typed("min", min, problems)?, typed("max", max, problems)?);
    if min.minor() > max.minor() {
        problems.add("max", "The maximum must not be below the minimum.");
        return None;
    }
    Some(LinkAmount::Open { min, max })
}
