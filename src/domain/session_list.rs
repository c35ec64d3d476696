//! The merchant's session list as a query: which sessions (status, created
//! date range, order id) and where a page starts. Pages are keyset pages
//! over `(created_at, id)`, newest first: a cursor names the last row seen,
//! so a page costs the same at the millionth session as at the first and
//! no total is ever counted.
//!
//! Pure values and rules: the store turns a [`SessionFilter`] and a
//! [`PageAt`] into SQL, the pages parse them from a query string. Must not
//! do I/O.

use crate::domain::session_source::SourceKind;
use chrono::NaiveDate;

use super::money::{Money, UsdcAmount};
use super::session::SessionStatus;

/// Longest order id a filter accepts (the API's own limit is lower).
pub const MAX_ORDER_ID: usize = 200;

/// Which of a merchant's sessions to list. Every field narrows the list;
/// `None` does not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionFilter {
    pub status: Option<SessionStatus>,
    /// Created at or after this time (unix ms).
    pub created_from_ms: Option<i64>,
    /// Created before this time (unix ms, exclusive).
    pub created_until_ms: Option<i64>,
    /// Exactly this order id.
    pub order_id: Option<String>,
    /// Opened through this door (the API, a payment link, a product page).
    pub source: Option<SourceKind>,
}

/// Why a filter or cursor was refused; shown next to its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("`{0}` is not a session status")]
    Status(String),
    #[error("`{0}` is not a source (api, link or product)")]
    Source(String),
    #[error("`{0}` is not a date (use YYYY-MM-DD)")]
    Date(String),
    #[error("the start date is after the end date")]
    DateOrder,
    #[error("an order id has at most {MAX_ORDER_ID} characters")]
    OrderId,
    #[error("this page link is not valid; start again from the newest sessions")]
    Cursor,
}

const DAY_MS: i64 = 86_400_000;

impl SessionFilter {
    /// The filter from its typed parts (empty text means "any"): `from`
    /// and `to` are UTC days, both included.
    pub fn parse(
        status: &str,
        from: &str,
        to: &str,
        order_id: &str,
        source: &str,
    ) -> Result<Self, FilterError> {
        let status = match status.trim() {
            "" => None,
            s => Some(
                s.parse::<SessionStatus>()
                    .map_err(|_| FilterError::Status(s.to_string()))?,
            ),
        };
        let created_from_ms = day_start(from)?;
        let created_until_ms = day_start(to)?.map(|ms| ms.saturating_add(DAY_MS));
        if let (Some(a), Some(b)) = (created_from_ms, created_until_ms)
            && a >= b
        {
            return Err(FilterError::DateOrder);
        }
        let order_id = match order_id.trim() {
            "" => None,
            o if o.chars().count() > MAX_ORDER_ID => return Err(FilterError::OrderId),
            o => Some(o.to_string()),
        };
        let source = match source.trim() {
            "" => None,
            s => Some(SourceKind::parse(s).ok_or_else(|| FilterError::Source(s.to_string()))?),
        };
        Ok(SessionFilter {
            status,
            created_from_ms,
            created_until_ms,
            order_id,
            source,
        })
    }
}

/// The start (00:00 UTC, unix ms) of a `YYYY-MM-DD` day; `None` when empty.
pub fn day_start(raw: &str) -> Result<Option<i64>, FilterError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| FilterError::Date(raw.to_string()))?;
    let ms = day
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_millis())
        .ok_or_else(|| FilterError::Date(raw.to_string()))?;
    Ok(Some(ms))
}

/// A position in the list: the row `(created_at, id)` a page starts after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at_ms: i64,
    pub id: i64,
}

impl Cursor {
    /// Reads a cursor as [`Cursor::token`] wrote it (`<created_at>_<id>`).
    pub fn parse(raw: &str) -> Result<Cursor, FilterError> {
        let (at, id) = raw.trim().split_once('_').ok_or(FilterError::Cursor)?;
        let created_at_ms = at.parse().map_err(|_| FilterError::Cursor)?;
        let id = id.parse().map_err(|_| FilterError::Cursor)?;
        Ok(Cursor { created_at_ms, id })
    }

    /// The cursor as it travels in a link.
    pub fn token(&self) -> String {
        format!("{}_{}", self.created_at_ms, self.id)
    }
}

/// Which page to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageAt {
    /// The newest sessions.
    First,
    /// The sessions just older than the cursor (newest first).
    Older(Cursor),
    /// The sessions just newer than the cursor (the store reads them
    /// oldest first; [`page_of`] puts them back newest first).
    Newer(Cursor),
}

/// One page of the list, newest first, with the cursors of its neighbours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub rows: Vec<T>,
    /// Pass as `Newer` for the page before; `None` on the newest page.
    pub newer: Option<Cursor>,
    /// Pass as `Older` for the page after; `None` on the oldest page.
    pub older: Option<Cursor>,
}

/// The page `at` from the rows the store read for it: at most `size + 1`,
/// in the store's order (descending for `First`/`Older`, ascending for
/// `Newer`); the extra row only says that more lie beyond.
pub fn page_of<T>(
    at: PageAt,
    mut rows: Vec<T>,
    size: usize,
    key: impl Fn(&T) -> Cursor,
) -> Page<T> {
    let more = rows.len() > size;
    rows.truncate(size);
    if matches!(at, PageAt::Newer(_)) {
        rows.reverse();
    }
    let first = rows.first().map(&key);
    let last = rows.last().map(&key);
    let (newer, older) = match at {
        PageAt::First => (None, last.filter(|_| more)),
        PageAt::Older(_) => (first, last.filter(|_| more)),
        PageAt::Newer(_) => (first.filter(|_| more), last),
    };
    Page { rows, newer, older }
}

/// A session as the list (and its export) shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSummary {
    pub id: i64,
    pub order_id: Option<String>,
    pub source: SourceKind,
    pub amount: Money,
    pub status: SessionStatus,
    pub expected: UsdcAmount,
    pub received: UsdcAmount,
    pub customer_email: Option<String>,
    pub provider: Option<String>,
    pub txid_in: Option<String>,
    pub txid_out: Option<String>,
    pub test: bool,
    pub created_at_ms: i64,
    pub paid_at_ms: Option<i64>,
}

impl SessionSummary {
    pub fn cursor(&self) -> Cursor {
        Cursor {
            created_at_ms: self.created_at_ms,
            id: self.id,
        }
    }
}

#[cfg(test)]
#[path = "session_list_tests.rs"]
mod tests;
