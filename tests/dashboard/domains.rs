//! The shop domains page: normalised as the API normalises, errors next to
//! the field, another merchant's domain is not there to remove.

use super::browser::{Browser, location};
use crate::helpers::{Backend, order, read, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    an_added_domain_is_normalised_and_accepted_by_the_api,
    a_bad_domain_is_refused_next_to_its_field,
    another_merchants_domain_cannot_be_removed,
);

async fn an_added_domain_is_normalised_and_accepted_by_the_api(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut browser = Browser::new(&app);
    let key = browser
        .sign_up(&crate::helpers::next_merchant_email())
        .await;
    let create = |domain: &str| {
        let mut body = order("DASH-1");
        body["domain"] = domain.into();
        body
    };
    let before = read(
        app.client
            .post(app.url("/gateway/session.php"))
            .bearer_auth(&key)
            .json(&create("new-shop.example"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(before.error_code(), "domain_not_allowed");
    assert!(
        before.json()["message"]
            .as_str()
            .unwrap()
            .contains("/dashboard/domains")
    );

    browser.get("/dashboard/domains").await;
    let added = browser
        .post(
            "/dashboard/domains",
            &[
                ("action", "add"),
                ("domain", "https://www.New-Shop.Example/cart?x=1"),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.text);
    assert_eq!(location(&added), "/dashboard/domains?done=added");
    let page = browser.get("/dashboard/domains?done=added").await;
    assert!(page.text.contains(">new-shop.example<"), "{}", page.text);
    assert!(page.text.contains("Domain added."));

    // The API caches an authenticated key's merchant for a second.
    let mut answer = None;
    for _ in 0..40 {
        let a = read(
            app.client
                .post(app.url("/gateway/session.php"))
                .bearer_auth(&key)
                .json(&create("www.new-shop.example"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        if a.error_code() != "domain_not_allowed" {
            answer = Some(a);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let answer = answer.expect("the API accepts the new domain within a second");
    // Past the domain check, the next step is the wallet, not set yet.
    assert_eq!(
        answer.error_code(),
        "missing_merchant_payout_wallet",
        "{}",
        answer.text
    );

    let removed = browser
        .post(
            "/dashboard/domains",
            &[("action", "remove"), ("domain", "new-shop.example")],
        )
        .await;
    assert_eq!(removed.status, 303);
    let page = browser.get("/dashboard/domains").await;
    assert!(!page.text.contains(">new-shop.example<"));
    let log = browser.get("/dashboard/security").await;
    assert!(log.text.contains("added new-shop.example"), "{}", log.text);
    assert!(log.text.contains("removed new-shop.example"));
    app.stop().await;
}

async fn a_bad_domain_is_refused_next_to_its_field(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut browser = Browser::new(&app);
    browser
        .sign_up(&crate::helpers::next_merchant_email())
        .await;
    browser.get("/dashboard/domains").await;
    for bad in ["", "localhost", "127.0.0.1", "not a domain"] {
        let answer = browser
            .post("/dashboard/domains", &[("action", "add"), ("domain", bad)])
            .await;
        assert_eq!(answer.status, 422, "{bad}: {}", answer.text);
        assert!(answer.text.contains("id=\"domain-error\""), "{bad}");
        assert!(answer.text.contains("aria-invalid=\"true\""), "{bad}");
    }
    browser
        .post(
            "/dashboard/domains",
            &[("action", "add"), ("domain", "shop-a.example")],
        )
        .await;
    let twice = browser
        .post(
            "/dashboard/domains",
            &[("action", "add"), ("domain", "SHOP-A.example")],
        )
        .await;
    assert_eq!(twice.status, 422);
    assert!(twice.text.contains("already on your list"));
    app.stop().await;
}

async fn another_merchants_domain_cannot_be_removed(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // The test merchant (made by the harness) has shop.example.
    let before = app.store.merchant(app.merchant.id).await.unwrap().unwrap();
    assert!(!before.domains.is_empty());
    let mut browser = Browser::new(&app);
    browser
        .sign_up(&crate::helpers::next_merchant_email())
        .await;
    browser.get("/dashboard/domains").await;
    let answer = browser
        .post(
            "/dashboard/domains",
            &[("action", "remove"), ("domain", &before.domains[0])],
        )
        .await;
    assert_eq!(answer.status, 404, "{}", answer.text);
    let after = app.store.merchant(app.merchant.id).await.unwrap().unwrap();
    assert_eq!(after.domains, before.domains);
    app.stop().await;
}
