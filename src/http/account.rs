//! The dashboard's account session and CSRF machinery, as every dashboard
//! page uses it: the cookie (`__Host-kassa` over https, Secure; `kassa_session`
//! over plain http, where browsers refuse a `__Host-` cookie without Secure;
//! both HttpOnly, SameSite=Lax, Path=/), the session behind it, and the
//! CSRF tokens forms carry: the session's synchronizer token once logged
//! in, and a double-submit cookie on the login and sign-up forms.
//!
//! It must not decide what a session may do (pages do) nor render anything.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite, time};
use subtle::ConstantTimeEq;

use crate::app::accounts::{self, AccountSession, AccountSettings};
use crate::store::{Store, StoreError};

/// Dashboard logins and sign-ups one client address may try: ten at once,
/// then one more every fifteen seconds (per account, `app::accounts`
/// throttles further).
pub fn login_quota() -> governor::Quota {
    governor::Quota::with_period(std::time::Duration::from_secs(15))
        .unwrap_or_else(|| governor::Quota::per_minute(nonzero(4)))
        .allow_burst(nonzero(10))
}

fn nonzero(n: u32) -> std::num::NonZeroU32 {
    std::num::NonZeroU32::new(n).unwrap_or(std::num::NonZeroU32::MIN)
}

/// The session cookie's name.
pub fn session_cookie_name(settings: &AccountSettings) -> &'static str {
    if settings.secure_cookies {
        "__Host-kassa"
    } else {
        "kassa_session"
    }
}

/// The pre-login CSRF cookie's name.
pub fn csrf_cookie_name(settings: &AccountSettings) -> &'static str {
    if settings.secure_cookies {
        "__Host-kassa_csrf"
    } else {
        "kassa_csrf"
    }
}

fn cookie(settings: &AccountSettings, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .secure(settings.secure_cookies)
        .same_site(SameSite::Lax)
        .finish()
}

/// The session cookie carrying `token` (a browser-session cookie: the
/// server's idle and absolute timeouts end it).
pub fn session_cookie(settings: &AccountSettings, token: &str) -> Cookie<'static> {
    cookie(settings, session_cookie_name(settings), token.to_string())
}

/// A cookie that deletes the session cookie.
pub fn clear_session_cookie(settings: &AccountSettings) -> Cookie<'static> {
    let mut c = cookie(settings, session_cookie_name(settings), String::new());
    c.set_max_age(time::Duration::ZERO);
    c
}

/// The session the request's cookie stands for, if it is live.
pub async fn current_session(
    req: &HttpRequest,
    store: &Store,
    settings: &AccountSettings,
    now_ms: i64,
) -> Result<Option<AccountSession>, StoreError> {
    let Some(token) = req.cookie(session_cookie_name(settings)) else {
        return Ok(None);
    };
    let token = token.value();
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    accounts::session_for(store, settings, token, now_ms).await
}

/// Whether a form's `csrf` field is the session's token.
pub fn csrf_matches(expected: &str, presented: Option<&str>) -> bool {
    match presented {
        Some(p) if !expected.is_empty() => bool::from(p.as_bytes().ct_eq(expected.as_bytes())),
        _ => false,
    }
}

/// The pre-login CSRF token: the one in the request's cookie, or a new one
/// with the cookie that sets it.
pub fn anonymous_csrf(
    req: &HttpRequest,
    settings: &AccountSettings,
) -> (String, Option<Cookie<'static>>) {
    match req
        .cookie(csrf_cookie_name(settings))
        .map(|c| c.value().to_string())
        .filter(|v| v.len() >= 32 && v.len() <= 128)
    {
        Some(token) => (token, None),
        None => {
            let token = accounts::new_token();
            let set = cookie(settings, csrf_cookie_name(settings), token.clone());
            (token, Some(set))
        }
    }
}

/// Whether a pre-login form's `csrf` field matches its cookie.
pub fn anonymous_csrf_matches(
    req: &HttpRequest,
    settings: &AccountSettings,
    presented: Option<&str>,
) -> bool {
    match req.cookie(csrf_cookie_name(settings)) {
        Some(c) => csrf_matches(c.value(), presented),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_needs_the_exact_token() {
        assert!(csrf_matches("abc", Some("abc")));
        assert!(!csrf_matches("abc", Some("abd")));
        assert!(!csrf_matches("abc", None));
        assert!(!csrf_matches("", Some("")));
    }
}
