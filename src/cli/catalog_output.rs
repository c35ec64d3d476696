//! What `kassa link` and `kassa product` print alike: refused fields named
//! after their flags, a link's state word, and times in UTC.

use anyhow::anyhow;

use crate::app::catalog::FieldProblems;
use crate::domain::payment_link::Closed;

/// The refused fields as one error naming each flag (`--max-uses: …`).
pub fn flag_problems(problems: &FieldProblems) -> anyhow::Error {
    let text: Vec<String> = problems
        .0
        .iter()
        .map(|(field, message)| format!("--{}: {message}", field.replace('_', "-")))
        .collect();
    anyhow!("{}", text.join("\n"))
}

/// `active`, `inactive`, `expired` or `used up`.
pub fn state_of(closed: Option<Closed>) -> &'static str {
    match closed {
        None => "active",
        Some(Closed::Inactive) => "inactive",
        Some(Closed::Expired) => "expired",
        Some(Closed::UsedUp) => "used up",
    }
}

/// Unix ms as `YYYY-MM-DD HH:MM:SS` (UTC), or `-`.
pub fn when(ms: Option<i64>) -> String {
    ms.map_or_else(|| "-".to_string(), crate::clock::format_doc_time)
}
