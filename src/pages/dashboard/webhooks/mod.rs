//! `GET /dashboard/webhooks`: where the merchant's webhooks go (the URL,
//! SSRF-checked), which statuses are sent, the signing secret (rotated and
//! shown once), a test webhook sent now with its result inline, and the
//! delivery log, newest first and paged, with a Resend button per event.
//! The forms are handled in [`actions`]; this module renders the page.
//!
//! Must not: show a secret except on the response of its rotation.

pub mod actions;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::form::FieldErrors;
use super::frame::Frame;
use super::guard::{self, Ctx, refuse};
use super::render;
use crate::app::merchants::webhooks::{self, LogEntry, TestDelivery};
use crate::clock::format_doc_time;
use crate::domain::session::EventKind;
use crate::http::state::AppState;

/// Log entries per page.
const PAGE: u64 = 25;

/// A status checkbox.
#[derive(Debug)]
pub struct StatusBox {
    pub name: &'static str,
    pub checked: bool,
}

/// A log line as shown.
#[derive(Debug)]
pub struct Row {
    pub event_id: String,
    pub session_id: i64,
    pub status: String,
    pub state: String,
    pub attempts: i32,
    pub http_status: String,
    pub last_error: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "dashboard/webhooks.html")]
struct WebhooksPage {
    frame: Frame,
    url: String,
    statuses: Vec<StatusBox>,
    has_secret: bool,
    new_secret: Option<String>,
    test: Option<TestDelivery>,
    rows: Vec<Row>,
    older: Option<i64>,
    errors: FieldErrors,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct LogQuery {
    before: Option<i64>,
    done: Option<String>,
}

/// What a page shows beyond the stored settings.
#[derive(Default)]
pub struct Extra {
    /// The URL as typed (after a refused change).
    pub typed_url: Option<String>,
    /// The statuses as ticked (after a refused change).
    pub checked: Option<Vec<String>>,
    pub new_secret: Option<String>,
    pub test: Option<TestDelivery>,
    pub errors: FieldErrors,
    pub notice: Option<String>,
    pub before: Option<i64>,
}

/// `GET /dashboard/webhooks`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<LogQuery>,
) -> HttpResponse {
    let ctx = match guard::page(&req, &state).await {
        Ok(ctx) => ctx,
        Err(refusal) => return refusal,
    };
    let notice = match query.done.as_deref() {
        Some("saved") => Some("Webhook settings saved.".to_string()),
        Some("resent") => Some("Event queued to be sent again.".to_string()),
        _ => None,
    };
    let extra = Extra {
        notice,
        before: query.before,
        ..Extra::default()
    };
    page(&state, &ctx, extra).await
}

/// Renders the page with the stored settings and a page of the log.
pub async fn page(state: &AppState, ctx: &Ctx, extra: Extra) -> HttpResponse {
    let id = ctx.merchant.id;
    let settings = match webhooks::webhook_settings(&state.store, id, ctx.now_ms).await {
        Ok(s) => s,
        Err(e) => return refuse(state, e.into()),
    };
    let log = match webhooks::webhook_log(&state.store, id, extra.before, PAGE).await {
        Ok(log) => log,
        Err(e) => return refuse(state, e.into()),
    };
    let checked = extra.checked.unwrap_or(settings.statuses);
    let status = extra.errors.status();
    let frame = ctx.frame(state, "Webhooks", "/dashboard/webhooks", extra.notice);
    let page = WebhooksPage {
        frame,
        url: extra.typed_url.or(settings.url).unwrap_or_default(),
        statuses: EventKind::ALL
            .iter()
            .map(|k| StatusBox {
                name: k.as_str(),
                checked: checked.is_empty() || checked.iter().any(|c| c == k.as_str()),
            })
            .collect(),
        has_secret: settings.has_secret,
        new_secret: extra.new_secret,
        test: extra.test,
        rows: log.entries.into_iter().map(row).collect(),
        older: log.next_before,
        errors: extra.errors,
    };
    render(state, status, &ctx.nonce, page)
}

fn row(e: LogEntry) -> Row {
    Row {
        event_id: e.event_id,
        session_id: e.session_id,
        status: e.status,
        state: e.state,
        attempts: e.attempts,
        http_status: e
            .last_http_status
            .map_or_else(|| "—".to_string(), |s| s.to_string()),
        last_error: e.last_error.unwrap_or_default(),
        at: format!("{} UTC", format_doc_time(e.created_at_ms)),
    }
}
