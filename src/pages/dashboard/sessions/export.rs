//! `GET /dashboard/sessions.csv`: the filtered session list as CSV, with
//! the list page's filters. The body is streamed: the sessions are read in
//! keyset pages of [`MAX_PAGE`] and each page is written out before the
//! next is read, so a million sessions never sit in memory. Cells are
//! quoted by the `csv` crate; text a customer or shop typed that starts
//! like a spreadsheet formula (`=`, `+`, `-`, `@`, tab, CR) gets a leading
//! `'`, so opening the file never runs it.
//!
//! Must not: export another merchant's sessions.

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};

use super::query::ListQuery;
use crate::app::sessions::{self, MAX_PAGE};
use crate::clock::format_rfc3339;
use crate::domain::session_list::{PageAt, SessionFilter, SessionSummary};
use crate::http::headers;
use crate::http::state::AppState;
use crate::pages::dashboard::guard;
use crate::store::Store;

/// The columns, in order.
pub const HEADER: [&str; 14] = [
    "session_id",
    "created_at",
    "order_id",
    "status",
    "amount",
    "currency",
    "expected_usdc",
    "received_usdc",
    "paid_at",
    "customer_email",
    "provider",
    "txid_in",
    "txid_out",
    "source",
];

/// `GET /dashboard/sessions.csv`.
pub async fn download(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let ctx = match guard::page(&req, &state).await {
        Ok(ctx) => ctx,
        Err(refusal) => return refusal,
    };
    let q = ListQuery::read(req.query_string());
    let Some((filter, _)) = q.understood() else {
        // The list page explains what was wrong with the filters.
        return super::show(req, state).await;
    };
    let next = Next {
        store: state.store.clone(),
        merchant_id: ctx.merchant.id,
        filter: filter.clone(),
        at: Some(PageAt::First),
        header: true,
    };
    let body = futures_util::stream::unfold(next, |mut next| async move {
        let at = next.at.take()?;
        let mut out = Vec::new();
        if std::mem::take(&mut next.header) {
            out.extend(csv_lines(&[HEADER.map(String::from).to_vec()]));
        }
        match sessions::list(&next.store, next.merchant_id, &next.filter, at, MAX_PAGE).await {
            Ok(page) => {
                next.at = page.older.map(PageAt::Older);
                let rows: Vec<Vec<String>> = page.rows.iter().map(record).collect();
                out.extend(csv_lines(&rows));
                Some((Ok(Bytes::from(out)), next))
            }
            Err(e) => {
                tracing::error!(error = format!("{e:#}"), "session export failed");
                Some((
                    Err(actix_web::error::ErrorServiceUnavailable("export failed")),
                    next,
                ))
            }
        }
    });
    let mut builder = HttpResponse::build(StatusCode::OK);
    headers::dashboard_common(&mut builder, state.settings.accounts.hsts);
    builder
        .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((CONTENT_DISPOSITION, "attachment; filename=\"sessions.csv\""))
        .streaming(body)
}

/// Where the export stands between two pages.
struct Next {
    store: Store,
    merchant_id: i64,
    filter: SessionFilter,
    /// The page to read next; `None` once the oldest was written.
    at: Option<PageAt>,
    /// Whether the header line is still to be written.
    header: bool,
}

fn record(s: &SessionSummary) -> Vec<String> {
    let text = |v: &Option<String>| guard_formula(v.as_deref().unwrap_or_default());
    vec![
        s.id.to_string(),
        format_rfc3339(s.created_at_ms),
        text(&s.order_id),
        s.status.as_str().to_string(),
        s.amount.to_string(),
        s.amount.currency().code().to_string(),
        s.expected.to_string(),
        s.received.to_string(),
        s.paid_at_ms.map(format_rfc3339).unwrap_or_default(),
        text(&s.customer_email),
        text(&s.provider),
        text(&s.txid_in),
        text(&s.txid_out),
        s.source.as_str().to_string(),
    ]
}

/// The CSV lines of `rows` (RFC 4180 quoting, `\n` line ends).
pub fn csv_lines(rows: &[Vec<String>]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    for row in rows {
        // Writing to a Vec cannot fail; a failure would only drop the row.
        if writer.write_record(row).is_err() {
            tracing::error!("a CSV row could not be written");
        }
    }
    writer.into_inner().unwrap_or_default()
}

/// `s`, with a leading `'` when a spreadsheet would read it as a formula.
pub fn guard_formula(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_plain_text_is_kept() {
        assert_eq!(guard_formula("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        for s in ["+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(guard_formula(s).starts_with('\''), "{s:?}");
        }
        assert_eq!(guard_formula("A-1"), "A-1");
        assert_eq!(guard_formula(""), "");
    }

    #[test]
    fn cells_with_commas_quotes_and_newlines_are_quoted() {
        let out = csv_lines(&[vec![
            "a,b".into(),
            "say \"hi\"".into(),
            "x\ny".into(),
            "z".into(),
        ]]);
        assert_eq!(
            String::from_utf8(out).unwrap_or_default(),
            "\"a,b\",\"say \"\"hi\"\"\",\"x\ny\",z\n"
        );
    }
}
