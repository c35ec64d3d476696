//! `GET /admin`: the console's overview — where to go for what, the
//! operator's second-factor state, and the newest audit lines.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::audit::{Line, line};
use super::frame::Frame;
use super::guard::{self, refuse};
use crate::app::audit_log;
use crate::http::state::AppState;
use crate::pages::dashboard::render;

#[derive(Template)]
#[template(path = "admin/home.html")]
struct HomePage {
    frame: Frame,
    recent: Vec<Line>,
}

/// `GET /admin`.
pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let ctx = match guard::page(&req, &state).await {
        Ok(ctx) => ctx,
        Err(refusal) => return refusal,
    };
    let recent = match audit_log::list(&state.store, None, 8).await {
        Ok(page) => page.entries.iter().map(line).collect(),
        Err(e) => return refuse(&state, e.into()),
    };
    let body = HomePage {
        frame: ctx.frame(&state, "Overview", "/admin", None),
        recent,
    };
    render(&state, StatusCode::OK, &ctx.nonce, body)
}
