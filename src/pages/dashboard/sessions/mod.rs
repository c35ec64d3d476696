//! `GET /dashboard/sessions`: the merchant's sessions, newest first, in
//! keyset pages (newer / older links, no total), filtered by status,
//! created date range (UTC days), exact order id and source (API, payment
//! link, product page); each row links to its
//! detail page ([`detail`]) and the filtered list downloads as CSV
//! ([`export`]). A filter or page link that cannot be read answers 400 with
//! the reason next to its field.
//!
//! Must not: count the sessions, or show another merchant's.

pub mod detail;
pub mod export;
pub mod query;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::frame::Frame;
use super::guard::{self, refuse};
use super::render;
use crate::app::sessions::{self, PAGE_SIZE};
use crate::clock::format_doc_time;
use crate::domain::session::SessionStatus;
use crate::domain::session_list::SessionSummary;
use crate::http::state::AppState;
use query::ListQuery;

/// A session as a row of the list.
#[derive(Debug)]
pub struct Row {
    pub id: i64,
    pub created: String,
    pub order_id: String,
    pub amount: String,
    pub received: String,
    pub expected: String,
    pub status: &'static str,
    pub paid: String,
}

#[derive(Template)]
#[template(path = "dashboard/sessions.html")]
struct SessionsPage {
    frame: Frame,
    q: ListQuery,
    statuses: Vec<&'static str>,
    /// The source filter's choices: value and label.
    sources: [(&'static str, &'static str); 3],
    rows: Vec<Row>,
    newer: Option<String>,
    older: Option<String>,
    csv: String,
    filtered: bool,
}

/// `GET /dashboard/sessions`.
pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let ctx = match guard::page(&req, &state).await {
        Ok(ctx) => ctx,
        Err(refusal) => return refusal,
    };
    let q = ListQuery::read(req.query_string());
    let (rows, newer, older, status) = match q.understood() {
        Some((filter, at)) => {
            let page =
                match sessions::list(&state.store, ctx.merchant.id, filter, at, PAGE_SIZE).await {
                    Ok(page) => page,
                    Err(e) => return refuse(&state, e.into()),
                };
            let path = "/dashboard/sessions";
            (
                page.rows.into_iter().map(row).collect(),
                page.newer.map(|c| q.link(path, Some(("after", c)))),
                page.older.map(|c| q.link(path, Some(("before", c)))),
                StatusCode::OK,
            )
        }
        None => (Vec::new(), None, None, StatusCode::BAD_REQUEST),
    };
    let page = SessionsPage {
        frame: ctx.frame(&state, "Sessions", "/dashboard/sessions", None),
        statuses: SessionStatus::ALL.iter().map(|s| s.as_str()).collect(),
        sources: [
            ("api", "API"),
            ("link", "Payment link"),
            ("product", "Product page"),
        ],
        rows,
        newer,
        older,
        csv: q.link("/dashboard/sessions.csv", None),
        filtered: !q.filters().is_empty(),
        q,
    };
    render(&state, status, &ctx.nonce, page)
}

fn row(s: SessionSummary) -> Row {
    Row {
        id: s.id,
        created: format_doc_time(s.created_at_ms),
        order_id: s.order_id.unwrap_or_default(),
        amount: format!("{} {}", s.amount, s.amount.currency().code()),
        received: s.received.to_string(),
        expected: s.expected.to_string(),
        status: s.status.as_str(),
        paid: s.paid_at_ms.map(format_doc_time).unwrap_or_default(),
    }
}
