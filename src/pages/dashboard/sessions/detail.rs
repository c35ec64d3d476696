//! `GET /dashboard/sessions/{id}`: one session, what it is (amount, USDC
//! expected and received, order, addresses, transactions) and the timeline
//! of everything that happened to it, each webhook event with a button to
//! send it again (`POST /dashboard/sessions/{id}/resend`, CSRF-checked,
//! written to the security log). Another merchant's session, or an id that
//! is not a number, is not found (404).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::super::frame::Frame;
use super::super::guard::{self, refuse};
use super::super::security::log_change;
use super::super::{Done, redirect, render};
use crate::app::sessions;
use crate::app::sessions::timeline::Entry;
use crate::clock::format_doc_time;
use crate::domain::security_event::SecurityEventKind;
use crate::http::state::AppState;
use crate::pages::dashboard::error::DashError;

/// A line of the summary.
#[derive(Debug)]
pub struct Fact {
    pub label: &'static str,
    pub value: String,
    pub mono: bool,
}

/// A timeline entry as shown.
#[derive(Debug)]
pub struct Step {
    pub at: String,
    pub title: String,
    pub detail: String,
    pub tone: &'static str,
    pub event_id: Option<String>,
}

#[derive(Template)]
#[template(path = "dashboard/session.html")]
struct SessionPage {
    frame: Frame,
    id: i64,
    status: &'static str,
    facts: Vec<Fact>,
    steps: Vec<Step>,
}

/// `GET /dashboard/sessions/{id}`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    done: web::Query<Done>,
) -> HttpResponse {
    let ctx = match guard::page(&req, &state).await {
        Ok(ctx) => ctx,
        Err(refusal) => return refusal,
    };
    let Ok(id) = path.parse::<i64>() else {
        return refuse(&state, DashError::NotFound);
    };
    let detail = match sessions::detail(&state.store, ctx.merchant.id, id).await {
        Ok(d) => d,
        Err(e) => return refuse(&state, e.into()),
    };
    let notice = (done.done.as_deref() == Some("resent"))
        .then(|| "Webhook queued to be sent again.".to_string());
    let s = &detail.session;
    let fact = |label, value: String, mono| Fact { label, value, mono };
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    let facts = vec![
        fact(
            "Amount",
            format!("{} {}", s.amount, s.amount.currency().code()),
            false,
        ),
        fact("USDC expected", s.expected.to_string(), false),
        fact("USDC received", s.received.to_string(), false),
        fact("Order id", opt(&s.order_id), true),
        fact(
            "Customer",
            s.customer_email
                .as_ref()
                .map_or_else(|| "—".into(), |e| e.as_str().to_string()),
            false,
        ),
        fact("Shop domain", s.shop_domain.as_str().to_string(), false),
        fact("Deposit address", s.deposit_address.checksummed(), true),
        fact("txid_in", opt(&s.txid_in), true),
        fact("txid_out", opt(&s.txid_out), true),
        fact("Created (UTC)", format_doc_time(s.created_at_ms), true),
        fact("Expires (UTC)", format_doc_time(s.expires_at_ms), true),
        fact(
            "Paid (UTC)",
            s.paid_at_ms.map_or_else(|| "—".into(), format_doc_time),
            true,
        ),
    ];
    let page = SessionPage {
        frame: ctx.frame(
            &state,
            &format!("Session {id}"),
            "/dashboard/sessions",
            notice,
        ),
        id,
        status: s.status.as_str(),
        facts,
        steps: detail.timeline.into_iter().map(step).collect(),
    };
    render(&state, StatusCode::OK, &ctx.nonce, page)
}

/// `POST /dashboard/sessions/{id}/resend` with `event`: queues that
/// webhook event of the session again now.
pub async fn resend(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    let (ctx, form) = match guard::form(&req, &state, payload).await {
        Ok(ok) => ok,
        Err(refusal) => return refusal,
    };
    let Ok(id) = path.parse::<i64>() else {
        return refuse(&state, DashError::NotFound);
    };
    let event = form.text("event");
    let resent =
        sessions::resend_webhook(&state.store, ctx.merchant.id, id, &event, ctx.now_ms).await;
    if let Err(e) = resent {
        return refuse(&state, e.into());
    }
    match log_change(&state, &ctx, SecurityEventKind::WebhookResent, &event).await {
        Ok(()) => redirect(&state, &format!("/dashboard/sessions/{id}?done=resent")),
        Err(answer) => answer,
    }
}

fn step(e: Entry) -> Step {
    Step {
        at: format_doc_time(e.at_ms),
        title: e.title,
        detail: e.detail,
        tone: e.tone.as_str(),
        event_id: e.event_id,
    }
}
