//! `GET /dashboard/security`: the account's security log (logins, failed
//! logins and every change, with time and client address, newest first,
//! paged) and the password form; `POST /dashboard/security/password`
//! changes the password after checking the current one, and ends every
//! other session of the account.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use secrecy::SecretString;

use super::form::{FieldErrors, Form};
use super::frame::Frame;
use super::guard::{self, Ctx, refuse};
use super::{redirect, render};
use crate::app::accounts::{self, AccountError, SecurityLine};
use crate::app::merchants::MerchantError;
use crate::clock::format_doc_time;
use crate::domain::password::{MAX_CHARS, MIN_CHARS, PasswordError};
use crate::domain::security_event::SecurityEventKind;
use crate::http::state::AppState;

/// Lines per page of the log.
const PAGE: u64 = 50;

/// A log line as shown.
#[derive(Debug)]
pub struct Row {
    pub label: &'static str,
    pub failed: bool,
    pub detail: String,
    pub client_ip: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "dashboard/security.html")]
struct SecurityPage {
    frame: Frame,
    rows: Vec<Row>,
    older: Option<i64>,
    errors: FieldErrors,
    min_chars: usize,
}

#[derive(Debug, serde::Deserialize)]
pub struct LogQuery {
    before: Option<i64>,
    done: Option<String>,
}

/// `GET /dashboard/security`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<LogQuery>,
) -> HttpResponse {
    let ctx = match guard::page(&req, &state).await {
        Ok(ctx) => ctx,
        Err(refusal) => return refusal,
    };
    let notice = (query.done.as_deref() == Some("password"))
        .then(|| "Password changed. Your other sessions were logged out.".to_string());
    page(&state, &ctx, query.before, FieldErrors::default(), notice).await
}

/// `POST /dashboard/security/password` with `current`, `password`, `password_confirm`.
pub async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let (ctx, form) = match guard::form(&req, &state, payload).await {
        Ok(ok) => ok,
        Err(refusal) => return refusal,
    };
    let mut errors = FieldErrors::default();
    let new = form.get("password").unwrap_or_default();
    if form.get("password_confirm").unwrap_or_default() != new {
        errors.add("password_confirm", "The two new passwords differ.");
        return page(&state, &ctx, None, errors, None).await;
    }
    let current = SecretString::from(form.get("current").unwrap_or_default().to_string());
    let new = SecretString::from(new.to_string());
    let result = accounts::change_password(
        &state.store,
        &ctx.session,
        current,
        new,
        &ctx.client_ip,
        ctx.now_ms,
    )
    .await;
    match result {
        Ok(()) => redirect(&state, "/dashboard/security?done=password"),
        Err(e) => match reauth_error(e) {
            Ok((field, message)) => {
                errors.add(field, message);
                page(&state, &ctx, None, errors, None).await
            }
            Err(e) => refuse(&state, e.into()),
        },
    }
}

/// The field and message of a refused protected change (wrong or throttled
/// password, or a new password that breaks the length rule), or the error
/// to answer. Every page that asks for the password again uses it.
pub fn reauth_error(e: AccountError) -> Result<(&'static str, String), AccountError> {
    Ok(match e {
        AccountError::WrongCredentials => ("current", "That is not your current password.".into()),
        AccountError::Throttled(wait) => (
            "current",
            format!(
                "Too many wrong passwords. Wait {} seconds, then try again.",
                wait.as_secs().max(1)
            ),
        ),
        AccountError::Merchant(MerchantError::Password(PasswordError::TooShort)) => {
            ("password", format!("Use at least {MIN_CHARS} characters."))
        }
        AccountError::Merchant(MerchantError::Password(PasswordError::TooLong)) => {
            ("password", format!("Use at most {MAX_CHARS} characters."))
        }
        other => return Err(other),
    })
}

/// Checks the form's `current` password again before a protected change:
/// `Ok(None)` when it is right, `Ok(Some(message))` to show next to the
/// password field, `Err` with the answer when the check itself failed.
pub async fn check_current(
    state: &AppState,
    ctx: &Ctx,
    form: &Form,
) -> Result<Option<String>, HttpResponse> {
    let current = SecretString::from(form.get("current").unwrap_or_default().to_string());
    let result = accounts::reauthenticate(
        &state.store,
        ctx.merchant.id,
        current,
        &ctx.client_ip,
        ctx.now_ms,
    )
    .await;
    match result.map_err(reauth_error) {
        Ok(()) => Ok(None),
        Err(Ok((_, message))) => Ok(Some(message)),
        Err(Err(e)) => Err(refuse(state, e.into())),
    }
}

/// Writes a change to the security log; the error answer when it cannot.
pub async fn log_change(
    state: &AppState,
    ctx: &Ctx,
    kind: SecurityEventKind,
    detail: &str,
) -> Result<(), HttpResponse> {
    accounts::record(
        &state.store,
        ctx.merchant.id,
        kind,
        detail,
        &ctx.client_ip,
        ctx.now_ms,
    )
    .await
    .map_err(|e| refuse(state, e.into()))
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    before: Option<i64>,
    errors: FieldErrors,
    notice: Option<String>,
) -> HttpResponse {
    let lines = match accounts::security_log(&state.store, ctx.merchant.id, before, PAGE).await {
        Ok(lines) => lines,
        Err(e) => return refuse(state, e.into()),
    };
    let older = (lines.len() as u64 == PAGE)
        .then(|| lines.last().map(|l| l.id))
        .flatten();
    let status = errors.status();
    let frame = ctx.frame(state, "Security", "/dashboard/security", notice);
    let page = SecurityPage {
        frame,
        rows: lines.into_iter().map(row).collect(),
        older,
        errors,
        min_chars: MIN_CHARS,
    };
    render(state, status, &ctx.nonce, page)
}

fn row(line: SecurityLine) -> Row {
    Row {
        label: line.label,
        failed: line.kind.contains("failed"),
        detail: line.detail,
        client_ip: line.client_ip,
        at: format!("{} UTC", format_doc_time(line.at_ms)),
    }
}
