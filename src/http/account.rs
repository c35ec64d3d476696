//! The account session and CSRF machinery every signed-in page uses, the
//! merchant dashboard's and the operators' admin console's: the session
//! cookie of each realm (`__Host-kassa` and `__Host-kassa_admin` over https,
//! Secure; `kassa_session` and `kassa_admin_session` over plain http, where
//! browsers refuse a `__Host-` cookie without Secure; all HttpOnly,
//! SameSite=Lax, Path=/), the session behind it, and the CSRF tokens forms
//! carry: the session's synchronizer token once logged in, and a
//! double-submit cookie on the login and sign-up forms.
//!
//! It must not decide what a session may do (pages do) nor render anything.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite, time};
use subtle::ConstantTimeEq;

use crate::app::accounts::{self, AccountSession, AccountSettings};
use crate::domain::account_realm::Realm;
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

/// The name of the realm's session cookie.
pub fn session_cookie_name(settings: &AccountSettings, realm: Realm) -> &'static str {
    match (realm, settings.secure_cookies) {
        (Realm::Merchant, true) => "__Host-kassa",
        (Realm::Merchant, false) => "kassa_session",
        (Realm::Operator, true) => "__Host-kassa_admin",
        (Realm::Operator, false) => "kassa_admin_session",
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

/// The realm's session cookie carrying `token` (a browser-session cookie:
/// the server's idle and absolute timeouts end it).
pub fn session_cookie(settings: &AccountSettings, realm: Realm, token: &str) -> Cookie<'static> {
    cookie(
        settings,
        session_cookie_name(settings, realm),
        token.to_string(),
    )
}

/// A cookie that deletes the realm's session cookie.
pub fn clear_session_cookie(settings: &AccountSettings, realm: Realm) -> Cookie<'static> {
    let mut c = cookie(
        settings,
        session_cookie_name(settings, realm),
        String::new(),
    );
    c.set_max_age(time::Duration::ZERO);
    c
}

/// The `realm` session the request's cookie stands for, if it is live.
pub async fn current_session(
    req: &HttpRequest,
    store: &Store,
    settings: &AccountSettings,
    realm: Realm,
    now_ms: i64,
) -> Result<Option<AccountSession>, StoreError> {
    match cookie_token(req, settings, realm) {
        Some(token) => accounts::session_for(store, settings, realm, &token, now_ms).await,
        None => Ok(None),
    }
}

/// The realm's session token from the request's cookie, if it is one.
fn cookie_token(req: &HttpRequest, settings: &AccountSettings, realm: Realm) -> Option<String> {
    let cookie = req.cookie(session_cookie_name(settings, realm))?;
    let token = cookie.value();
    (!token.is_empty() && token.len() <= 128).then(|| token.to_string())
}

/// `current_session` without counting as activity (see
/// [`accounts::peek_session`]).
pub async fn peek_session(
    req: &HttpRequest,
    store: &Store,
    settings: &AccountSettings,
    realm: Realm,
    now_ms: i64,
) -> Result<Option<AccountSession>, StoreError> {
    match cookie_token(req, settings, realm) {
        Some(token) => accounts::peek_session(store, settings, realm, &token, now_ms).await,
        None => Ok(None),
    }
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
