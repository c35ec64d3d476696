//! Use cases of checkout sessions that more than one door calls: opening
//! one ([`open`]: the merchant API, payment links, product pages), and a
//! merchant's sessions as the dashboard offers them: the filtered list in
//! keyset pages (and the same list read whole, page by page, for the CSV
//! export), one session with the timeline of everything that happened to
//! it, the paid volume per day, and one of its webhooks sent again.
//!
//! Every function takes the merchant of the account acting and reads only
//! that merchant's rows: another merchant's session is
//! [`SessionsError::NotFound`], never a hint that it exists.

pub mod open;
pub mod timeline;

use crate::app::merchants::{MerchantError, webhooks};
use crate::domain::checkout_session::SessionRecord;
use crate::domain::session_list::{Page, PageAt, SessionFilter, SessionSummary, page_of};
use crate::domain::volume::{self, DayVolume};
use crate::store::{Store, StoreError};
use timeline::Entry;

/// Rows per page of the list.
pub const PAGE_SIZE: usize = 50;
/// Rows per page at most (the export reads in pages this large).
pub const MAX_PAGE: usize = 500;
/// Days of the paid volume chart.
pub const CHART_DAYS: u32 = 30;

#[derive(Debug, thiserror::Error)]
pub enum SessionsError {
    #[error("session {0} not found")]
    NotFound(i64),
    #[error("event {0} not found")]
    EventNotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Merchant(#[from] MerchantError),
}

/// One page of the merchant's sessions matching `filter` (at most `size`,
/// 1 to [`MAX_PAGE`]), newest first.
pub async fn list(
    store: &Store,
    merchant_id: i64,
    filter: &SessionFilter,
    at: PageAt,
    size: usize,
) -> Result<Page<SessionSummary>, SessionsError> {
    let size = size.clamp(1, MAX_PAGE);
    let limit = u64::try_from(size).unwrap_or(u64::MAX).saturating_add(1);
    let rows = store
        .merchant_session_page(merchant_id, filter, at, limit)
        .await?;
    Ok(page_of(at, rows, size, SessionSummary::cursor))
}

/// A session and its timeline, oldest first.
#[derive(Debug, Clone)]
pub struct SessionDetail {
    pub session: SessionRecord,
    pub timeline: Vec<Entry>,
}

/// The merchant's session `id` with its timeline.
pub async fn detail(
    store: &Store,
    merchant_id: i64,
    id: i64,
) -> Result<SessionDetail, SessionsError> {
    let session = store
        .merchant_session(merchant_id, id)
        .await?
        .ok_or(SessionsError::NotFound(id))?;
    let deposits = store.session_deposits(id).await?;
    let marks = store.session_journal_marks(id).await?;
    let hooks = store.webhooks_of_session(id).await?;
    let sweeps = store.session_sweeps(id).await?;
    let timeline = timeline::build(&session, &deposits, &marks, &hooks, &sweeps);
    Ok(SessionDetail { session, timeline })
}

/// Sends the session's webhook event `event_id` again now (its attempts
/// start over); not found unless the event is this session's and the
/// session this merchant's.
pub async fn resend_webhook(
    store: &Store,
    merchant_id: i64,
    session_id: i64,
    event_id: &str,
    now_ms: i64,
) -> Result<(), SessionsError> {
    store
        .merchant_session(merchant_id, session_id)
        .await?
        .ok_or(SessionsError::NotFound(session_id))?;
    let hooks = store.webhooks_of_session(session_id).await?;
    if !hooks.iter().any(|(e, _)| e.event_id == event_id) {
        return Err(SessionsError::EventNotFound(event_id.to_string()));
    }
    webhooks::resend_webhook(store, merchant_id, event_id, now_ms).await?;
    Ok(())
}

/// The settled USDC of the merchant's paid sessions per UTC day, over the
/// [`CHART_DAYS`] days ending today (oldest first, every day present).
pub async fn paid_volume(
    store: &Store,
    merchant_id: i64,
    now_ms: i64,
) -> Result<Vec<DayVolume>, SessionsError> {
    let (from, until) = volume::window(now_ms, CHART_DAYS);
    let sums = store.paid_volume_by_day(merchant_id, from, until).await?;
    Ok(volume::daily(now_ms, CHART_DAYS, &sums))
}
