//! The operators' admin console, driven over HTTP as a browser would
//! (the dashboard tests' browser: cookies kept, CSRF tokens carried).

mod accounts;
mod attention;
mod merchants;
mod operations;
mod routing;

use kassa::app::operators;
use kassa::clock::Clock;
use kassa::domain::audit::AuditActor;
use kassa::domain::totp::TotpSecret;
use secrecy::ExposeSecret;

use crate::dashboard::browser::{Browser, location};
use crate::helpers::TestApp;

/// A new operator's e-mail and one-time password.
pub async fn new_operator(app: &TestApp) -> (String, String) {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let email = format!("operator{n}@kassa.example");
    let created = operators::create(&app.store, &email, AuditActor::Cli, app.clock.now_ms())
        .await
        .unwrap();
    (email, created.password.expose_secret().to_string())
}

/// The TOTP key an enrolment page shows.
pub fn secret_in(html: &str) -> Option<TotpSecret> {
    let at = html.find("id=\"totp-secret\">")? + "id=\"totp-secret\">".len();
    let end = html[at..].find('<')?;
    TotpSecret::parse(&html[at..at + end].replace(' ', ""))
}

/// The code an authenticator shows at the app's clock.
pub fn code_now(app: &TestApp, secret: &TotpSecret) -> String {
    let secs = u64::try_from(app.clock.now_ms() / 1000).unwrap();
    secret.code_at(secs).unwrap()
}

/// Logs in with a password (and, where the page asks, enrols or gives a
/// TOTP code for `secret`); returns the enrolled secret if any.
pub async fn log_in(
    browser: &mut Browser,
    app: &TestApp,
    email: &str,
    password: &str,
    secret: Option<&TotpSecret>,
) -> Option<TotpSecret> {
    browser.get("/admin/login").await;
    let done = browser
        .post("/admin/login", &[("email", email), ("password", password)])
        .await;
    assert_eq!(done.status, 303, "{}", done.text);
    if location(&done) == "/admin" {
        return None;
    }
    assert_eq!(location(&done), "/admin/login/code");
    let page = browser.get("/admin/login/code").await;
    assert_eq!(page.status, 200, "{}", page.text);
    let secret = match secret_in(&page.text) {
        Some(new) => new,
        None => secret.expect("a code is asked for").clone(),
    };
    let code = code_now(app, &secret);
    let entered = browser.post("/admin/login/code", &[("code", &code)]).await;
    assert_eq!(entered.status, 303, "{}", entered.text);
    assert_eq!(location(&entered), "/admin");
    Some(secret)
}
