//! What the sessions tests share: a browser signed in as the test app's
//! own merchant (the one with the API key and the allowlisted domain),
//! sessions created one after another, and readers of the list page.

use std::time::Duration;

use secrecy::SecretString;

use super::browser::{Browser, PASSWORD};
use crate::helpers::{Answer, TestApp};
use kassa::clock::Clock;

/// A browser signed in as the app's own merchant (the one with the API key).
pub async fn signed_in(app: &TestApp) -> Browser {
    let id = app.merchant.id;
    let merchant = kassa::app::merchants::find(&app.store, id).await.unwrap();
    let password = SecretString::from(PASSWORD.to_string());
    kassa::app::merchants::password::set_password(&app.store, id, password, app.clock.now_ms())
        .await
        .unwrap();
    let mut browser = Browser::new(app);
    let answer = browser.log_in(&merchant.email, PASSWORD).await;
    assert_eq!(answer.status, 303, "{}", answer.text);
    browser
}

/// A new session created strictly after the previous one (the list is
/// ordered by creation time).
pub async fn new_session_later(app: &TestApp, reference: &str) -> i64 {
    app.clock.advance(Duration::from_millis(2));
    app.new_session(reference).await
}

/// The session ids of a list page, in order.
pub fn ids_in(html: &str) -> Vec<i64> {
    html.split("<a href=\"/dashboard/sessions/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next()?.parse().ok())
        .collect()
}

/// The `href` of the link with `id` (`newer`, `older`), unescaped.
pub fn link(html: &str, id: &str) -> Option<String> {
    let marker = format!("id=\"{id}\" class=\"btn secondary\" rel=\"");
    let at = html.find(&marker)?;
    let href = html[at..].split("href=\"").nth(1)?.split('"').next()?;
    Some(href.replace("&amp;", "&").replace("&#x2b;", "+"))
}

/// GETs `path` until its page contains `text` (deliveries are asynchronous).
pub async fn wait_for_text(browser: &mut Browser, path: &str, text: &str) -> Answer {
    for _ in 0..100 {
        let page = browser.get(path).await;
        if page.text.contains(text) {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let page = browser.get(path).await;
    panic!("{path} never showed {text}: {}", page.text);
}
