//! `GET /dashboard/login` shows the login form; `POST` checks the e-mail
//! and password (throttled per client address here and per account in
//! `app::accounts`), ends any session the browser still had, and sets a new
//! session cookie (a new id at every login). A wrong address and a wrong
//! password read the same.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use governor::clock::{Clock, DefaultClock};
use secrecy::{ExposeSecret, SecretString};

use super::frame::AuthFrame;
use super::guard::{self, refuse};
use super::{is_dashboard_path, is_test, redirect, render_anonymous};
use crate::app::accounts::{self, AccountError, Signup};
use crate::domain::account_realm::Realm;
use crate::http::account;
use crate::http::headers;
use crate::http::state::AppState;

#[derive(Template)]
#[template(path = "dashboard/login.html")]
struct LoginPage {
    frame: AuthFrame,
    email: String,
    next: String,
    error: Option<String>,
    /// A sign-up just failed because the address has an account.
    notice: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// `GET /dashboard/login`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<LoginQuery>,
) -> HttpResponse {
    let settings = &state.settings.accounts;
    match account::current_session(
        &req,
        &state.store,
        settings,
        Realm::Merchant,
        state.clock.now_ms(),
    )
    .await
    {
        Ok(Some(_)) => return redirect(&state, "/dashboard"),
        Ok(None) => {}
        Err(e) => return refuse(&state, e.into()),
    }
    let next = query.next.clone().unwrap_or_default();
    page(
        &req,
        &state,
        StatusCode::OK,
        String::new(),
        next,
        None,
        None,
    )
}

/// `POST /dashboard/login`.
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
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
        account::current_session(&req, &state.store, settings, Realm::Merchant, now_ms).await;
    let opened = match accounts::log_in(&state.store, &email, password, &ip.to_string(), now_ms)
        .await
    {
        Ok(opened) => opened,
        Err(AccountError::WrongCredentials) => {
            let error = Some("Wrong e-mail address or password.".to_string());
            return page(
                &req,
                &state,
                StatusCode::UNAUTHORIZED,
                email,
                next,
                error,
                None,
            );
        }
        Err(AccountError::Throttled(wait)) => return throttled(&req, &state, email, next, wait),
        Err(e) => return refuse(&state, e.into()),
    };
    // The browser's earlier session (if any) ends: a new id at every login.
    if let Ok(Some(old)) = previous {
        let _ = accounts::end_session(&state.store, &old).await;
    }
    if let Err(e) = accounts::delete_stale_sessions(&state.store, settings, now_ms).await {
        tracing::warn!(error = %e, "could not delete stale dashboard sessions");
    }
    let target = if is_dashboard_path(&next) {
        next.as_str()
    } else {
        "/dashboard"
    };
    let mut builder = headers::dashboard_redirect(target, settings.hsts);
    builder.cookie(account::session_cookie(
        settings,
        Realm::Merchant,
        opened.token.expose_secret(),
    ));
    builder.finish()
}

fn throttled(
    req: &HttpRequest,
    state: &AppState,
    email: String,
    next: String,
    wait: std::time::Duration,
) -> HttpResponse {
    let error = Some(wait_message(wait));
    let response = page(
        req,
        state,
        StatusCode::TOO_MANY_REQUESTS,
        email,
        next,
        error,
        None,
    );
    with_retry_after(response, wait)
}

/// What a throttled login (or second-factor code) is told.
pub fn wait_message(wait: std::time::Duration) -> String {
    format!(
        "Too many failed attempts. Wait {} seconds, then try again.",
        wait.as_secs().max(1)
    )
}

/// `response` with a `Retry-After` of `wait` (whole seconds, at least 1).
pub fn with_retry_after(mut response: HttpResponse, wait: std::time::Duration) -> HttpResponse {
    let secs = wait.as_secs().max(1).to_string();
    if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&secs) {
        response
            .headers_mut()
            .insert(actix_web::http::header::RETRY_AFTER, v);
    }
    response
}

/// The login page, with `error` shown above the fields.
pub fn page(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    email: String,
    next: String,
    error: Option<String>,
    notice: Option<String>,
) -> HttpResponse {
    let signup_open = state.settings.accounts.signup == Signup::Open;
    let next = if is_dashboard_path(&next) {
        next
    } else {
        String::new()
    };
    render_anonymous(req, state, status, |csrf, nonce| LoginPage {
        frame: AuthFrame {
            title: "Log in".into(),
            nonce: nonce.to_string(),
            csrf,
            test: is_test(state),
            signup_open,
        },
        email,
        next,
        error,
        notice,
    })
}
