//! Payment links (`/l/{slug}`) and product pages (`/p/{slug}`) as a
//! customer meets them: a GET shows and creates nothing, a POST opens a
//! session and answers 303 to the checkout, closed links answer 410 and
//! unknown ones 404, and opening is rate-limited per client address.

use std::time::Duration;

use kassa::app::links::{self, LinkInput};
use kassa::app::products::{self, ProductInput};
use kassa::app::sessions::open::SessionRules;
use kassa::clock::Clock;
use kassa::domain::payment_link::PaymentLink;
use kassa::domain::product::Product;
use kassa::domain::shop_domain::ShopDomain;
use serde_json::json;

use crate::dashboard::session_pages::{ids_in, signed_in};
use crate::helpers::{Answer, Backend, TestApp, point_merchant_at, read, spawn_app_with};
use crate::on_both_backends;
use crate::receiver::Receiver;

on_both_backends!(
    a_fixed_link_shows_without_creating_and_a_post_opens_a_session_for_its_amount,
    a_customer_chosen_amount_must_lie_within_the_links_bounds,
    a_link_used_up_by_paid_sessions_takes_no_more_and_its_webhook_names_the_link,
    an_expired_an_inactive_and_an_unknown_link_are_refused_with_a_clear_page,
    a_product_page_sells_the_product_at_its_price,
    opening_links_is_rate_limited_per_client_address,
    the_sessions_list_and_its_csv_tell_link_sessions_from_api_ones,
);

/// The operator's rules as the test settings configure them.
pub fn rules() -> SessionRules {
    SessionRules {
        rates: [
            ("EUR", "1.08".parse().unwrap()),
            ("USD", "1".parse().unwrap()),
        ]
        .into_iter()
        .collect(),
        max_amount: "1000000".parse().unwrap(),
        lifetime: Duration::from_secs(3600),
        sandbox: true,
        platform_domain: ShopDomain::parse("kassa.localhost").unwrap(),
    }
}

pub fn link_input(title: &str) -> LinkInput {
    LinkInput {
        title: title.into(),
        currency: "EUR".into(),
        active: true,
        ..LinkInput::default()
    }
}

async fn app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |s| {
        s.webhook_allow_private = true;
        s.webhook_tick_ms = 20;
    })
    .await
}

async fn new_link(app: &TestApp, input: LinkInput) -> PaymentLink {
    let now = app.clock.now_ms();
    links::create(&app.store, &rules(), app.merchant.id, &input, now)
        .await
        .unwrap()
}

/// A client that shows redirects instead of following them.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> Answer {
    read(
        no_redirects()
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(form)
                    .finish(),
            )
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// The session a 303 points at.
fn session_of(answer: &Answer) -> i64 {
    assert_eq!(answer.status, 303, "{}", answer.text);
    let location = answer.headers["location"].to_str().unwrap();
    location
        .strip_prefix("/pay.php?session=")
        .unwrap_or_else(|| panic!("to the checkout: {location}"))
        .parse()
        .unwrap()
}

async fn session(app: &TestApp, id: i64) -> serde_json::Value {
    let answer = app.status(&format!("session_id={id}")).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json()["session"].clone()
}

async fn a_fixed_link_shows_without_creating_and_a_post_opens_a_session_for_its_amount(
    backend: Backend,
) {
    let Some(app) = app(backend).await else {
        return;
    };
    let mut input = link_input("Invoice 2026-118");
    input.amount = "79.00".into();
    input.description = "Design work, November.".into();
    input.return_url = "https://shop.example/thanks".into();
    let link = new_link(&app, input).await;
    let path = format!("/l/{}", link.slug);
    let order = format!("LINK-{}-1", link.slug);

    for _ in 0..3 {
        let page = app.get(&path).await;
        assert_eq!(page.status, 200, "{}", page.text);
        assert!(page.text.contains("Invoice 2026-118"));
        assert!(page.text.contains("79.00"));
        assert!(page.text.contains("Design work, November."));
        assert!(page.headers.get("set-cookie").is_none(), "cookie-free");
    }
    let none = app.status(&format!("order_id={order}")).await;
    assert_eq!(none.status, 404, "a GET opened a session: {}", none.text);

    let id = session_of(&post(&app, &path, &[("amount", "1.00")]).await);

    let s = session(&app, id).await;
    assert_eq!(s["order_id"], json!(order));
    assert_eq!(
        s["amount"],
        json!("79.00"),
        "a fixed link ignores a typed amount"
    );
    assert_eq!(s["currency"], json!("EUR"));
    assert_eq!(s["shop_domain"], json!("kassa.localhost"));
    assert_eq!(s["source"], json!("link"));
    assert_eq!(s["source_id"], json!(link.id));
    let second = session_of(&post(&app, &path, &[]).await);
    let s = session(&app, second).await;
    assert_eq!(s["order_id"], json!(format!("LINK-{}-2", link.slug)));
    app.stop().await;
}

async fn a_customer_chosen_amount_must_lie_within_the_links_bounds(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let mut input = link_input("Donation");
    input.min = "5".into();
    input.max = "100".into();
    let link = new_link(&app, input).await;
    let path = format!("/l/{}", link.slug);

    let page = app.get(&path).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("name=\"amount\""), "asks for the amount");
    for (typed, says) in [
        ("4.99", "The smallest amount is 5.00 EUR."),
        ("100.01", "The largest amount is 100.00 EUR."),
        ("", "Enter the amount as a number"),
        ("ten", "Enter the amount as a number"),
        ("-5", "Enter the amount as a number"),
    ] {
        let refused = post(&app, &path, &[("amount", typed)]).await;
        assert_eq!(refused.status, 422, "{typed}: {}", refused.text);
        assert!(refused.text.contains(says), "{typed}: {}", refused.text);
    }
    let none = app.status(&format!("order_id=LINK-{}-1", link.slug)).await;
    assert_eq!(none.status, 404, "a refused amount opened nothing");

    for (typed, amount) in [("5", "5.00"), ("100.00", "100.00"), ("25,50", "25.50")] {
        let id = session_of(&post(&app, &path, &[("amount", typed)]).await);
        assert_eq!(session(&app, id).await["amount"], json!(amount), "{typed}");
    }
    app.stop().await;
}

async fn a_link_used_up_by_paid_sessions_takes_no_more_and_its_webhook_names_the_link(
    backend: Backend,
) {
    let Some(app) = app(backend).await else {
        return;
    };
    let receiver = Receiver::start().await;
    point_merchant_at(&app, app.merchant.id, &receiver.url).await;
    let mut input = link_input("One seat");
    input.amount = "10".into();
    input.max_uses = "1".into();
    let link = new_link(&app, input).await;
    let path = format!("/l/{}", link.slug);

    let first = session_of(&post(&app, &path, &[]).await);
    let unpaid = session_of(&post(&app, &path, &[]).await);
    assert_ne!(first, unpaid, "an open session is not a use");
    let paid = app.sandbox_pay(json!({ "session_id": first })).await;
    assert_eq!(paid.status, 200, "{}", paid.text);
    app.wait_for_status(first, "paid").await;

    let page = app.get(&path).await;
    assert_eq!(page.status, 410, "{}", page.text);
    assert!(page.text.contains("used up"));
    assert_eq!(post(&app, &path, &[]).await.status, 410);
    let summary = links::get(&app.store, app.merchant.id, link.id)
        .await
        .unwrap();
    assert_eq!(summary.paid_uses, 1);

    let hooks = receiver.wait_for(1, Duration::from_secs(10)).await;
    let event = hooks[0].json();
    assert_eq!(event["session_id"], json!(first));
    assert_eq!(event["source"], json!("link"));
    assert_eq!(event["source_id"], json!(link.id));
    assert_eq!(event["order_id"], json!(format!("LINK-{}-1", link.slug)));
    assert_eq!(event["shop_domain"], json!("kassa.localhost"));
    let _ = unpaid;
    app.stop().await;
}

async fn an_expired_an_inactive_and_an_unknown_link_are_refused_with_a_clear_page(
    backend: Backend,
) {
    let Some(app) = app(backend).await else {
        return;
    };
    let now = app.clock.now_ms();
    let in_an_hour = kassa::clock::format_doc_time(now + 3_600_000);
    let mut expiring = link_input("Early bird");
    expiring.amount = "10".into();
    expiring.expires = in_an_hour;
    let expiring = new_link(&app, expiring).await;
    let mut paused = link_input("Paused");
    paused.amount = "10".into();
    let paused = new_link(&app, paused).await;
    links::set_active(&app.store, app.merchant.id, paused.id, false, now)
        .await
        .unwrap();

    assert_eq!(app.get(&format!("/l/{}", expiring.slug)).await.status, 200);
    app.clock.advance(Duration::from_secs(3_601));

    for (slug, status, says) in [
        (expiring.slug.as_str(), 410, "expired"),
        (paused.slug.as_str(), 410, "no longer active"),
        ("nosuchlink", 404, "not found"),
        ("NOT-A-SLUG", 404, "not found"),
    ] {
        let path = format!("/l/{slug}");
        let page = app.get(&path).await;
        assert_eq!(page.status, status, "{slug}: {}", page.text);
        assert!(page.text.contains(says), "{slug}: {}", page.text);
        assert_eq!(post(&app, &path, &[]).await.status, status, "{slug}");
    }
    app.stop().await;
}

async fn new_product(app: &TestApp, name: &str, price: &str) -> Product {
    let input = ProductInput {
        name: name.into(),
        description: "Stoneware, 350 ml.\n\nDishwasher safe.".into(),
        price: price.into(),
        currency: "EUR".into(),
        image_url: "https://cdn.shop.example/mug.jpg".into(),
        active: true,
    };
    products::create(
        &app.store,
        &rules(),
        app.merchant.id,
        &input,
        app.clock.now_ms(),
    )
    .await
    .unwrap()
}

async fn a_product_page_sells_the_product_at_its_price(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let product = new_product(&app, "Blue mug", "24.50").await;
    let path = format!("/p/{}", product.slug);

    let page = app.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.text);
    for shown in [
        "Blue mug",
        "24.50",
        "EUR",
        "Buy now",
        "Dishwasher safe.",
        "mug.jpg",
    ] {
        assert!(page.text.contains(shown), "{shown}: {}", page.text);
    }
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("img-src 'self' data: https://cdn.shop.example"),
        "{csp}"
    );
    let none = app
        .status(&format!("order_id=PRODUCT-{}-1", product.slug))
        .await;
    assert_eq!(none.status, 404, "a GET bought nothing");

    let id = session_of(&post(&app, &path, &[]).await);
    let s = session(&app, id).await;
    assert_eq!(s["order_id"], json!(format!("PRODUCT-{}-1", product.slug)));
    assert_eq!(s["amount"], json!("24.50"));
    assert_eq!(s["source"], json!("product"));
    assert_eq!(s["source_id"], json!(product.id));

    products::set_active(
        &app.store,
        app.merchant.id,
        product.id,
        false,
        app.clock.now_ms(),
    )
    .await
    .unwrap();
    let off = app.get(&path).await;
    assert_eq!(off.status, 410);
    assert!(off.text.contains("not on sale"));
    assert_eq!(post(&app, &path, &[]).await.status, 410);
    assert_eq!(app.get("/p/nosuchthing").await.status, 404);
    app.stop().await;
}

async fn opening_links_is_rate_limited_per_client_address(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let mut input = link_input("Tip jar");
    input.amount = "2".into();
    let link = new_link(&app, input).await;
    let path = format!("/l/{}", link.slug);

    for n in 1..=10 {
        assert_eq!(post(&app, &path, &[]).await.status, 303, "open {n}");
    }
    let limited = post(&app, &path, &[]).await;
    assert_eq!(limited.status, 429, "{}", limited.text);
    assert!(limited.headers.get("retry-after").is_some());
    assert_eq!(app.get(&path).await.status, 200, "looking is never limited");
    app.stop().await;
}

async fn the_sessions_list_and_its_csv_tell_link_sessions_from_api_ones(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let api = app.new_session("API-1").await;
    app.clock.advance(Duration::from_millis(2));
    let mut input = link_input("Invoice 7");
    input.amount = "12.00".into();
    let link = new_link(&app, input).await;
    let from_link = session_of(&post(&app, &format!("/l/{}", link.slug), &[]).await);
    let mut browser = signed_in(&app).await;

    let links_only = browser.get("/dashboard/sessions?source=link").await;
    assert_eq!(links_only.status, 200, "{}", links_only.text);
    assert_eq!(ids_in(&links_only.text), vec![from_link]);
    assert!(links_only.text.contains("<option value=\"link\" selected>"));
    let api_only = browser.get("/dashboard/sessions?source=api").await;
    assert_eq!(ids_in(&api_only.text), vec![api]);
    let both = browser.get("/dashboard/sessions").await;
    assert_eq!(ids_in(&both.text), vec![from_link, api]);
    let bad = browser.get("/dashboard/sessions?source=shop").await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    assert!(bad.text.contains("id=\"source-error\""));

    let csv = browser.get("/dashboard/sessions.csv?source=link").await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(
        lines.len(),
        2,
        "the header and the link's session: {}",
        csv.text
    );
    assert!(lines[0].ends_with(",txid_out,source"), "{}", lines[0]);
    let order = format!("LINK-{}-1", link.slug);
    assert!(
        lines[1].starts_with(&format!("{from_link},"))
            && lines[1].contains(&format!(",{order},"))
            && lines[1].ends_with(",link"),
        "{}",
        lines[1]
    );
    app.stop().await;
}
