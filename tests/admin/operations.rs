//! The operations page and its event stream: anonymous visitors are sent
//! to the login page, an operator sees the actor tree with each kind's
//! figures beside the chain, webhook, payout and session figures, and the
//! stream sends the JSON snapshot as a server-sent event until the
//! operator's session ends.

use std::time::Duration;

use serde_json::{Value, json};

use super::{log_in, new_operator};
use crate::dashboard::browser::{Browser, location};
use crate::helpers::{Backend, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    the_operations_page_shows_the_actor_tree_and_the_platform_figures,
    the_event_stream_sends_a_snapshot_to_an_operator_only,
    the_event_stream_ends_with_the_operators_session,
);

async fn the_operations_page_shows_the_actor_tree_and_the_platform_figures(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let anonymous = Browser::new(&app).get("/admin/operations").await;
    assert_eq!(anonymous.status, 303);
    assert!(location(&anonymous).starts_with("/admin/login"));
    let id = app.new_session("OPS-PAGE").await;
    let paid = app.sandbox_pay(json!({ "session_id": id })).await;
    assert_eq!(paid.status, 200, "{}", paid.text);
    app.chain.sync().await.unwrap();
    let (email, password) = new_operator(&app).await;
    let mut op = Browser::new(&app);
    log_in(&mut op, &app, &email, &password, None).await;

    let page = op.get("/admin/operations").await;

    assert_eq!(page.status, 200, "{}", page.text);
    for kind in [
        "registry",
        "session",
        "creator",
        "router",
        "webhook_sender",
        "chain_watcher",
        "payout",
    ] {
        assert!(page.text.contains(&format!("data-a=\"{kind}\"")), "{kind}");
    }
    assert!(page.text.contains("Session registry"));
    assert!(
        page.text.contains("<dd data-s=\"paid\">1</dd>"),
        "{}",
        page.text
    );
    assert!(page.text.contains("data-c=\"head\""));
    assert!(!page.text.contains("has not completed a step"));
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap();
    assert!(page.text.contains(&format!("<script nonce=\"{nonce}\">")));
    assert!(
        page.text
            .contains("new EventSource(\"/admin/operations/events\")")
    );
    app.stop().await;
}

async fn the_event_stream_sends_a_snapshot_to_an_operator_only(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let anonymous = Browser::new(&app).get("/admin/operations/events").await;
    assert_eq!(anonymous.status, 303);
    app.new_session("OPS-STREAM").await;
    let (email, password) = new_operator(&app).await;
    let mut op = Browser::new(&app);
    log_in(&mut op, &app, &email, &password, None).await;

    let mut stream = open_stream(&app, &op).await;
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    let mut text = String::new();
    let mut events = 0;
    while events < 2 {
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.chunk())
            .await
            .expect("a snapshot within 10 s")
            .unwrap()
            .expect("the stream stays open");
        text.push_str(&String::from_utf8_lossy(&chunk));
        events = text.matches("\n\n").count();
    }
    drop(stream);

    let first = text.split("\n\n").next().unwrap();
    assert!(first.starts_with("event: snapshot\ndata: "), "{first}");
    let json: Value =
        serde_json::from_str(first.trim_start_matches("event: snapshot\ndata: ")).unwrap();
    assert_eq!(json["actors"].as_array().unwrap().len(), 7);
    assert_eq!(json["actors"][1]["kind"], "registry");
    let created = json["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["status"] == "created")
        .unwrap();
    assert_eq!(created["count"], 1);
    assert!(json["webhooks"]["depth"].is_u64());
    app.stop().await;
}

async fn the_event_stream_ends_with_the_operators_session(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (email, password) = new_operator(&app).await;

    // Logout ends a stream opened before it.
    let mut op = Browser::new(&app);
    log_in(&mut op, &app, &email, &password, None).await;
    let mut stream = open_stream(&app, &op).await;
    next_event(&mut stream).await;
    op.get("/admin/operations").await; // the page's CSRF token
    let out = op.post("/admin/logout", &[]).await;
    assert_eq!(location(&out), "/admin/login");
    ends(&mut stream).await;

    // So does the idle timeout (30 minutes) while nothing but the stream is
    // going on: 20 minutes in, the stream goes on (and its check must not
    // count as activity), 40 minutes in, it ends.
    let mut op = Browser::new(&app);
    log_in(&mut op, &app, &email, &password, None).await;
    let mut stream = open_stream(&app, &op).await;
    next_event(&mut stream).await;
    app.clock.advance(Duration::from_secs(20 * 60));
    next_event(&mut stream).await;
    next_event(&mut stream).await;
    app.clock.advance(Duration::from_secs(20 * 60));
    ends(&mut stream).await;
    app.stop().await;
}

async fn open_stream(app: &crate::helpers::TestApp, op: &Browser) -> reqwest::Response {
    let cookies: Vec<String> = op.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let stream = app
        .client
        .get(app.url("/admin/operations/events"))
        .header("cookie", cookies.join("; "))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    stream
}

/// Reads one whole event.
async fn next_event(stream: &mut reqwest::Response) {
    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.chunk())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .expect("the stream is still open");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.starts_with("event: snapshot"), "{text}");
}

/// The stream ends (perhaps after an event already on its way).
async fn ends(stream: &mut reqwest::Response) {
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream went on after the session ended");
}
