//! `GET /admin/audit[?before=ID]`: the audit log, newest first, page by
//! page — who changed what, when, from what to what. Records never hold a
//! secret (they are redacted when written).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::frame::Frame;
use super::guard::{self, refuse};
use crate::app::audit_log;
use crate::clock::format_doc_time;
use crate::domain::audit::{AuditActor, AuditEntry};
use crate::http::state::AppState;
use crate::pages::dashboard::render;

const PAGE: u64 = 50;

/// One line as shown.
#[derive(Debug, Clone)]
pub struct Line {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub before: String,
    pub after: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    frame: Frame,
    lines: Vec<Line>,
    next_before: Option<i64>,
    first: bool,
}

#[derive(Debug, serde::Deserialize)]
pub struct AuditQuery {
    before: Option<i64>,
}

/// `GET /admin/audit`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> HttpResponse {
    let ctx = match guard::page(&req, &state).await {
        Ok(ctx) => ctx,
        Err(refusal) => return refusal,
    };
    let page = match audit_log::list(&state.store, query.before, PAGE).await {
        Ok(page) => page,
        Err(e) => return refuse(&state, e.into()),
    };
    let body = AuditPage {
        frame: ctx.frame(&state, "Audit log", "/admin/audit", None),
        lines: page.entries.iter().map(line).collect(),
        next_before: page.next_before,
        first: query.before.is_none(),
    };
    render(&state, StatusCode::OK, &ctx.nonce, body)
}

/// An entry as the console shows it.
pub fn line(e: &AuditEntry) -> Line {
    Line {
        id: e.id,
        at: format_doc_time(e.at_ms),
        actor: match e.actor {
            AuditActor::Admin(id) => format!("operator {id}"),
            AuditActor::Cli => "command line".into(),
            AuditActor::System => "Kassa".into(),
        },
        action: e.action.clone(),
        subject: e.subject.clone(),
        before: shown(e.before.as_ref()),
        after: shown(e.after.as_ref()),
    }
}

fn shown(v: Option<&serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => "—".into(),
        Some(v) => v.to_string(),
    }
}
