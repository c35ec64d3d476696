//! `GET /dashboard/signup` shows the sign-up form (when `KASSA_SIGNUP` is
//! open); `POST` creates the merchant with its e-mail and password, logs it
//! in and shows its first API key, once. Errors are shown next to their
//! fields; a taken address says so (sign-up cannot hide it anyway).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use governor::clock::{Clock, DefaultClock};
use secrecy::{ExposeSecret, SecretString};

use super::form::FieldErrors;
use super::frame::AuthFrame;
use super::guard::{self, refuse};
use super::{is_test, render, render_anonymous};
use crate::app::accounts::{self, AccountError, Signup};
use crate::app::merchants::{FieldError, MerchantError};
use crate::domain::account_realm::Realm;
use crate::domain::password::{MAX_CHARS, MIN_CHARS, PasswordError};
use crate::http::account;
use crate::http::headers;
use crate::http::state::AppState;

#[derive(Template)]
#[template(path = "dashboard/signup.html")]
struct SignupPage {
    frame: AuthFrame,
    email: String,
    errors: FieldErrors,
    min_chars: usize,
}

#[derive(Template)]
#[template(path = "dashboard/welcome.html")]
struct WelcomePage {
    frame: AuthFrame,
    merchant_id: i64,
    api_key: String,
}

/// `GET /dashboard/signup`.
pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    page(&req, &state, String::new(), FieldErrors::default())
}

/// `POST /dashboard/signup`.
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
    let mut errors = FieldErrors::default();
    if let Err(not_until) = state.login_limiter.check_key(&ip) {
        let secs = not_until
            .wait_time_from(DefaultClock::default().now())
            .as_secs()
            .max(1);
        errors.add(
            "email",
            format!("Too many attempts from your address. Wait {secs} seconds."),
        );
        return page(&req, &state, email, errors);
    }
    let password = form.get("password").unwrap_or_default();
    if form.get("password_confirm").unwrap_or_default() != password {
        errors.add("password_confirm", "The two passwords differ.");
        return page(&req, &state, email, errors);
    }
    let password = SecretString::from(password.to_string());
    let now_ms = state.clock.now_ms();
    let result = accounts::sign_up(
        &state.store,
        settings,
        &email,
        password,
        &ip.to_string(),
        now_ms,
    )
    .await;
    let (created, opened) = match result {
        Ok(ok) => ok,
        Err(AccountError::SignupClosed) => return page(&req, &state, email, errors),
        Err(AccountError::Merchant(e)) => match field_error(e) {
            Ok((field, message)) => {
                errors.add(field, message);
                return page(&req, &state, email, errors);
            }
            Err(e) => return refuse(&state, e.into()),
        },
        Err(e) => return refuse(&state, e.into()),
    };
    let nonce = headers::nonce();
    let body = WelcomePage {
        frame: frame(&state, &nonce, String::new()),
        merchant_id: created.id,
        api_key: created.api_key,
    };
    let mut response = render(&state, StatusCode::OK, &nonce, body);
    let _ = response.add_cookie(&account::session_cookie(
        settings,
        Realm::Merchant,
        opened.token.expose_secret(),
    ));
    response
}

/// The field and message of a refused sign-up, or the error to answer.
fn field_error(e: MerchantError) -> Result<(&'static str, String), MerchantError> {
    Ok(match e {
        MerchantError::Field(FieldError::Email(_)) => (
            "email",
            "Enter an e-mail address like you@shop.example.".into(),
        ),
        MerchantError::EmailTaken(_) => (
            "email",
            "An account with this address exists. Log in instead.".into(),
        ),
        MerchantError::Password(PasswordError::TooShort) => {
            ("password", format!("Use at least {MIN_CHARS} characters."))
        }
        MerchantError::Password(PasswordError::TooLong) => {
            ("password", format!("Use at most {MAX_CHARS} characters."))
        }
        other => return Err(other),
    })
}

fn frame(state: &AppState, nonce: &str, csrf: String) -> AuthFrame {
    AuthFrame {
        title: "Create your account".into(),
        nonce: nonce.to_string(),
        csrf,
        test: is_test(state),
        signup_open: state.settings.accounts.signup == Signup::Open,
    }
}

fn page(req: &HttpRequest, state: &AppState, email: String, errors: FieldErrors) -> HttpResponse {
    let status = if state.settings.accounts.signup == Signup::Closed {
        StatusCode::FORBIDDEN
    } else if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_anonymous(req, state, status, |csrf, nonce| SignupPage {
        frame: frame(state, nonce, csrf),
        email,
        errors,
        min_chars: MIN_CHARS,
    })
}
