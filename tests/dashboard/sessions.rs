//! The sessions pages: the list filtered by status, order id and dates and
//! paged newer / older by keyset, bad filters answered 400 next to their
//! field, a paid session's timeline (deposit, confirmations, paid, every
//! webhook attempt) with a working Resend, and another merchant's session
//! not found.

use std::time::Duration;

use serde_json::json;

use super::browser::{Browser, location};
use super::session_pages::{ids_in, link, new_session_later, signed_in, wait_for_text};
use crate::helpers::{Backend, next_merchant_email, point_merchant_at, spawn_app, spawn_app_with};
use crate::on_both_backends;
use crate::receiver::Receiver;
use kassa::clock::Clock;

on_both_backends!(
    the_list_pages_older_and_newer_without_losing_or_repeating_a_session,
    the_list_filters_by_status_order_id_and_created_dates,
    bad_filters_and_page_links_answer_400_next_to_their_field,
    a_paid_sessions_timeline_shows_deposit_paid_and_webhook_attempts_and_resends,
    another_merchants_session_is_not_found,
);

async fn the_list_pages_older_and_newer_without_losing_or_repeating_a_session(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut created = Vec::new();
    for i in 0..105 {
        created.push(new_session_later(&app, &format!("PAGE-{i:03}")).await);
    }
    let mut browser = signed_in(&app).await;

    let first = browser.get("/dashboard/sessions").await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert!(first.text.contains("aria-current=\"page\">Sessions<"));
    let page1 = ids_in(&first.text);
    assert_eq!(page1.len(), 50);
    assert_eq!(page1[0], *created.last().unwrap(), "newest first");
    assert!(link(&first.text, "newer").is_none());
    let older = link(&first.text, "older").expect("an older page");

    let second = browser.get(&older).await;
    let page2 = ids_in(&second.text);
    assert_eq!(page2.len(), 50);
    let third = browser.get(&link(&second.text, "older").unwrap()).await;
    let page3 = ids_in(&third.text);
    assert_eq!(page3.len(), 5);
    assert!(link(&third.text, "older").is_none(), "the oldest page");

    let mut seen: Vec<i64> = [&page1[..], &page2[..], &page3[..]].concat();
    let mut expected = created.clone();
    expected.reverse();
    assert_eq!(seen, expected, "every session once, newest first");
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 105);

    let back = browser.get(&link(&third.text, "newer").unwrap()).await;
    assert_eq!(ids_in(&back.text), page2, "newer from page 3 is page 2");
    let top = browser.get(&link(&back.text, "newer").unwrap()).await;
    assert_eq!(ids_in(&top.text), page1);
    assert!(link(&top.text, "newer").is_none(), "back at the newest");
    app.stop().await;
}

async fn the_list_filters_by_status_order_id_and_created_dates(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let old = app.new_session("OLD-1").await;
    app.clock.advance(Duration::from_secs(3 * 86_400));
    let a = new_session_later(&app, "ORD-A").await;
    let b = new_session_later(&app, "ORD-B").await;
    let c = new_session_later(&app, "ORD-C").await;
    for id in [a, c] {
        let paid = app.sandbox_pay(json!({ "session_id": id })).await;
        assert_eq!(paid.status, 200, "{}", paid.text);
    }
    let mut browser = signed_in(&app).await;

    let paid = browser.get("/dashboard/sessions?status=paid").await;
    assert_eq!(paid.status, 200, "{}", paid.text);
    assert_eq!(ids_in(&paid.text), vec![c, a]);
    assert!(paid.text.contains("<option value=\"paid\" selected>"));

    let one = browser.get("/dashboard/sessions?order_id=ORD-B").await;
    assert_eq!(ids_in(&one.text), vec![b]);
    assert!(
        one.text.contains("value=\"ORD-B\""),
        "the filter is kept in its field"
    );
    let none = browser
        .get("/dashboard/sessions?order_id=ORD-B&status=paid")
        .await;
    assert!(ids_in(&none.text).is_empty());
    assert!(none.text.contains("No session matches these filters."));

    let day = |ms: i64| kassa::clock::format_doc_time(ms)[..10].to_string();
    let today = day(app.clock.now_ms());
    let recent = browser
        .get(&format!("/dashboard/sessions?from={today}&to={today}"))
        .await;
    assert_eq!(ids_in(&recent.text), vec![c, b, a]);
    let before = day(app.clock.now_ms() - 2 * 86_400_000);
    let early = browser
        .get(&format!("/dashboard/sessions?to={before}"))
        .await;
    assert_eq!(ids_in(&early.text), vec![old]);
    app.stop().await;
}

async fn bad_filters_and_page_links_answer_400_next_to_their_field(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.new_session("ANY").await;
    let mut browser = signed_in(&app).await;
    for (query, field) in [
        ("status=done", "status-error"),
        ("from=2026-02-30", "from-error"),
        ("to=tomorrow", "to-error"),
        ("from=2026-12-02&to=2026-12-01", "from-error"),
        ("before=not-a-cursor", "page-error"),
        ("after=1_x", "page-error"),
    ] {
        let page = browser.get(&format!("/dashboard/sessions?{query}")).await;
        assert_eq!(page.status, 400, "{query}: {}", page.text);
        assert!(
            page.text.contains(&format!("id=\"{field}\"")),
            "{query}: {}",
            page.text
        );
        assert!(ids_in(&page.text).is_empty());
        let csv = browser
            .get(&format!("/dashboard/sessions.csv?{query}"))
            .await;
        assert_eq!(csv.status, 400, "{query}");
    }
    let long = "x".repeat(201);
    let page = browser
        .get(&format!("/dashboard/sessions?order_id={long}"))
        .await;
    assert_eq!(page.status, 400);
    assert!(page.text.contains("id=\"order_id-error\""));
    app.stop().await;
}

async fn a_paid_sessions_timeline_shows_deposit_paid_and_webhook_attempts_and_resends(
    backend: Backend,
) {
    let Some(app) = spawn_app_with(backend, |s| {
        s.webhook_allow_private = true;
        s.webhook_tick_ms = 20;
    })
    .await
    else {
        return;
    };
    let receiver = Receiver::start().await;
    point_merchant_at(&app, app.merchant.id, &receiver.url).await;
    let id = app.new_session("TIMELINE-1").await;
    let paid = app.sandbox_pay(json!({ "session_id": id })).await;
    assert_eq!(paid.status, 200, "{}", paid.text);
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    let event = got[0].json()["event_id"].as_str().unwrap().to_string();
    let mut browser = signed_in(&app).await;

    let page = wait_for_text(
        &mut browser,
        &format!("/dashboard/sessions/{id}"),
        "HTTP 200",
    )
    .await;
    let text = &page.text;
    assert!(text.contains("id=\"session-status\">paid<"), "{text}");
    let order = [
        "<strong>Created</strong>",
        "<strong>Routing decision</strong>",
        "<strong>Deposit seen</strong>",
        "<strong>Deposit confirmed</strong>",
        "<strong>Paid</strong>",
        "<strong>Webhook attempt 1: HTTP 200</strong>",
    ];
    let mut at = 0;
    for step in order {
        let found = text[at..]
            .find(step)
            .unwrap_or_else(|| panic!("{step} after {at}: {text}"));
        at += found;
    }
    assert!(text.contains(&event), "the event id is on its entry");
    let txid = app
        .store
        .session(id)
        .await
        .unwrap()
        .unwrap()
        .txid_in
        .unwrap();
    assert!(text.contains(&txid), "the deposit's transaction is shown");
    assert!(text.contains(" ms to "), "the attempt's latency is shown");

    let resent = browser
        .post(
            &format!("/dashboard/sessions/{id}/resend"),
            &[("event", &event)],
        )
        .await;
    assert_eq!(resent.status, 303, "{}", resent.text);
    assert_eq!(
        location(&resent),
        format!("/dashboard/sessions/{id}?done=resent")
    );
    let again = receiver.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(again[1].json()["event_id"].as_str(), Some(event.as_str()));
    let page = browser
        .get(&format!("/dashboard/sessions/{id}?done=resent"))
        .await;
    assert!(page.text.contains("Webhook queued to be sent again."));
    let log = browser.get("/dashboard/security").await;
    assert!(
        log.text.contains(&event),
        "the resend is in the security log"
    );

    let other = app.new_session("TIMELINE-2").await;
    browser.get(&format!("/dashboard/sessions/{other}")).await;
    let wrong = browser
        .post(
            &format!("/dashboard/sessions/{other}/resend"),
            &[("event", &event)],
        )
        .await;
    assert_eq!(wrong.status, 404, "an event of another session");
    let no_csrf = browser
        .post_raw(
            &format!("/dashboard/sessions/{id}/resend"),
            &[("event", &event)],
        )
        .await;
    assert_eq!(no_csrf.status, 403);
    receiver.stop().await;
    app.stop().await;
}

async fn another_merchants_session_is_not_found(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.new_session("MINE").await;
    let paid = app.sandbox_pay(json!({ "session_id": id })).await;
    assert_eq!(paid.status, 200);
    let mut owner = signed_in(&app).await;
    assert_eq!(
        owner.get(&format!("/dashboard/sessions/{id}")).await.status,
        200
    );

    let mut other = Browser::new(&app);
    other.sign_up(&next_merchant_email()).await;
    let page = other.get(&format!("/dashboard/sessions/{id}")).await;
    assert_eq!(page.status, 404, "{}", page.text);
    assert!(!page.text.contains("MINE"));
    for path in [
        "/dashboard/sessions/nope",
        "/dashboard/sessions/999999999999",
    ] {
        assert_eq!(other.get(path).await.status, 404, "{path}");
    }
    other.get("/dashboard/sessions").await;
    let event = app.store.webhooks_of_session(id).await.unwrap()[0]
        .0
        .event_id
        .clone();
    let resend = other
        .post(
            &format!("/dashboard/sessions/{id}/resend"),
            &[("event", &event)],
        )
        .await;
    assert_eq!(resend.status, 404);
    let list = other.get("/dashboard/sessions").await;
    assert!(ids_in(&list.text).is_empty(), "{}", list.text);
    let csv = other.get("/dashboard/sessions.csv").await;
    assert!(!csv.text.contains("MINE"));
    assert_eq!(csv.text.lines().count(), 1, "only the header");
    app.stop().await;
}
