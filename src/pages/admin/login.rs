//! `GET/POST /admin/login`: an operator's e-mail and password (throttled
//! per client address and per account, like the dashboard's login), then
//! `GET/POST /admin/login/code`: the TOTP code, or at the first login the
//! enrolment (a QR code of the secret, then its first code). In sandbox an
//! operator without a second factor goes straight in and may enrol later
//! from the same code page. `POST /admin/logout` ends the session.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use governor::clock::{Clock, DefaultClock};
use secrecy::{ExposeSecret, SecretString};

use super::guard::{self, refuse};
use super::{is_admin_path, redirect};
use crate::app::operators::{self, OperatorError, SecondFactor};
use crate::config::Mode;
use crate::domain::account_realm::Realm;
use crate::http::account;
use crate::http::headers;
use crate::http::state::AppState;
use crate::pages::dashboard::error::DashError;
use crate::pages::dashboard::frame::AuthFrame;
use crate::pages::dashboard::login::{wait_message, with_retry_after};
use crate::pages::dashboard::{is_test, qr, render, render_anonymous};

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginPage {
    frame: AuthFrame,
    email: String,
    next: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/code.html")]
struct CodePage {
    frame: AuthFrame,
    email: String,
    /// Enrolment: the secret typed by hand and its QR code.
    enrol: Option<(String, String)>,
    /// The operator may leave without enrolling (sandbox, already in).
    optional: bool,
    error: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

impl From<OperatorError> for DashError {
    fn from(e: OperatorError) -> Self {
        match e {
            OperatorError::Store(e) => e.into(),
            other => DashError::Unexpected(anyhow::Error::new(other)),
        }
    }
}

fn totp_required(state: &AppState) -> bool {
    state.settings.mode == Mode::Live
}

/// `GET /admin/login`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<LoginQuery>,
) -> HttpResponse {
    if let Err(refusal) = guard::not_a_merchant(&req, &state).await {
        return refusal;
    }
    if let Ok(ctx) = guard::any_stage(&req, &state).await {
        let to = if ctx.session.second_factor_pending {
            "/admin/login/code"
        } else {
            "/admin"
        };
        return redirect(&state, to);
    }
    let next = query.next.clone().unwrap_or_default();
    login_page(&req, &state, StatusCode::OK, String::new(), next, None)
}

/// `POST /admin/login`.
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    if let Err(refusal) = guard::not_a_merchant(&req, &state).await {
        return refusal;
    }
    let settings = &state.settings.accounts;
    let (form, ip) = match guard::anonymous_form(&req, &state, payload).await {
        Ok(ok) => ok,
        Err(refusal) => return refusal,
    };
    let email = form.text("email");
    let next = form.text("next");
    if let Err(not_until) = state.login_limiter.check_key(&ip) {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        return throttled(&req, &state, email, next, wait);
    }
    let password = SecretString::from(form.get("password").unwrap_or_default().to_string());
    let now_ms = state.clock.now_ms();
    let previous =
        account::current_session(&req, &state.store, settings, Realm::Operator, now_ms).await;
    let opened = match operators::log_in(
        &state.store,
        &email,
        password,
        totp_required(&state),
        &ip.to_string(),
        now_ms,
    )
    .await
    {
        Ok(opened) => opened,
        Err(OperatorError::WrongCredentials) => {
            let error = Some("Wrong e-mail address or password.".to_string());
            return login_page(&req, &state, StatusCode::UNAUTHORIZED, email, next, error);
        }
        Err(OperatorError::Throttled(wait)) => return throttled(&req, &state, email, next, wait),
        Err(e) => return refuse(&state, e.into()),
    };
    if let Ok(Some(old)) = previous {
        let _ = operators::log_out(&state.store, &old).await;
    }
    let target = if opened.session.second_factor_pending {
        "/admin/login/code"
    } else if is_admin_path(&next) {
        next.as_str()
    } else {
        "/admin"
    };
    let mut builder = headers::dashboard_redirect(target, settings.hsts);
    builder.cookie(account::session_cookie(
        settings,
        Realm::Operator,
        opened.token.expose_secret(),
    ));
    builder.finish()
}

/// `GET /admin/login/code`.
pub async fn show_code(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let ctx = match guard::any_stage(&req, &state).await {
        Ok(ctx) => ctx,
        Err(refusal) => return refusal,
    };
    if !ctx.session.second_factor_pending && ctx.operator.totp_enabled {
        return redirect(&state, "/admin");
    }
    code_page(&state, &ctx, StatusCode::OK, None).await
}

/// `POST /admin/login/code`.
pub async fn submit_code(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let (ctx, form) = match guard::any_stage_form(&req, &state, payload).await {
        Ok(ok) => ok,
        Err(refusal) => return refusal,
    };
    let code = form.text("code");
    match operators::check_code(&state.store, &ctx.session, &code, ctx.now_ms).await {
        Ok(()) => redirect(&state, "/admin"),
        Err(OperatorError::WrongCode) => {
            let error =
                "That code is wrong or was already used. Enter the code your app shows now.";
            code_page(&state, &ctx, StatusCode::UNAUTHORIZED, Some(error.into())).await
        }
        Err(OperatorError::Throttled(wait)) => {
            let error = Some(wait_message(wait));
            let page = code_page(&state, &ctx, StatusCode::TOO_MANY_REQUESTS, error).await;
            with_retry_after(page, wait)
        }
        Err(e) => refuse(&state, e.into()),
    }
}

/// `POST /admin/logout`.
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let (ctx, _) = match guard::any_stage_form(&req, &state, payload).await {
        Ok(ok) => ok,
        Err(refusal) => return refusal,
    };
    if let Err(e) = operators::log_out(&state.store, &ctx.session).await {
        return refuse(&state, e.into());
    }
    let settings = &state.settings.accounts;
    let mut builder = headers::dashboard_redirect("/admin/login", settings.hsts);
    builder.cookie(account::clear_session_cookie(settings, Realm::Operator));
    builder.finish()
}

async fn code_page(
    state: &AppState,
    ctx: &guard::Ctx,
    status: StatusCode,
    error: Option<String>,
) -> HttpResponse {
    let enrol = match operators::second_factor(&state.store, &ctx.session).await {
        Ok(SecondFactor::Code) => None,
        Ok(SecondFactor::Enrol { secret, uri }) => Some((
            spaced(&secret.to_base32()),
            qr::svg(&uri).unwrap_or_default(),
        )),
        Err(e) => return refuse(state, e.into()),
    };
    let body = CodePage {
        frame: AuthFrame {
            title: if enrol.is_some() {
                "Set up two-factor login".into()
            } else {
                "Two-factor login".into()
            },
            nonce: ctx.nonce.clone(),
            csrf: ctx.session.csrf_token.clone(),
            test: is_test(state),
            signup_open: false,
        },
        email: ctx.operator.email.clone(),
        enrol,
        optional: !ctx.session.second_factor_pending,
        error,
    };
    render(state, status, &ctx.nonce, body)
}

/// Base32 in groups of four, as people type it.
fn spaced(base32: &str) -> String {
    base32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn throttled(
    req: &HttpRequest,
    state: &AppState,
    email: String,
    next: String,
    wait: std::time::Duration,
) -> HttpResponse {
    let error = Some(wait_message(wait));
    let response = login_page(
        req,
        state,
        StatusCode::TOO_MANY_REQUESTS,
        email,
        next,
        error,
    );
    with_retry_after(response, wait)
}

fn login_page(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    email: String,
    next: String,
    error: Option<String>,
) -> HttpResponse {
    let next = if is_admin_path(&next) {
        next
    } else {
        String::new()
    };
    render_anonymous(req, state, status, |csrf, nonce| LoginPage {
        frame: AuthFrame {
            title: "Operator login".into(),
            nonce: nonce.to_string(),
            csrf,
            test: is_test(state),
            signup_open: false,
        },
        email,
        next,
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_shown_in_groups_of_four() {
        assert_eq!(spaced("ABCDEFGHIJ"), "ABCD EFGH IJ");
    }
}
