//! What the "Payment links" and "Products" pages share: the currencies a
//! merchant may choose (those with a configured rate), how a stored link
//! or product is shown in a form again, and the errors `app::` named per
//! field turned into the page's [`FieldErrors`].

use super::form::FieldErrors;
use crate::app::catalog::FieldProblems;
use crate::domain::payment_link::Closed;
use crate::http::state::AppState;

/// The currencies with a configured exchange rate, in code order.
pub fn currencies(state: &AppState) -> Vec<&'static str> {
    state.opener.rules().rates.keys().copied().collect()
}

/// `app::`'s refused fields as the form's errors.
pub fn errors_of(problems: FieldProblems) -> FieldErrors {
    let mut errors = FieldErrors::default();
    for (field, message) in problems.0 {
        errors.add(field, message);
    }
    errors
}

/// A stored time in a `datetime-local` field (UTC): `2026-12-31T18:00`.
pub fn local_input(ms: Option<i64>) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

/// A link's state as the list shows it.
pub fn state_word(closed: Option<Closed>) -> &'static str {
    match closed {
        None => "Active",
        Some(Closed::Inactive) => "Disabled",
        Some(Closed::Expired) => "Expired",
        Some(Closed::UsedUp) => "Used up",
    }
}
