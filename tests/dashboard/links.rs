//! The "Payment links" and "Products" sections: create, edit, disable,
//! errors next to their fields, share address and QR code, and another
//! merchant's link or product is not there (404).

use super::browser::{Browser, location};
use crate::helpers::{Backend, TestApp, next_merchant_email, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    a_link_created_in_the_dashboard_is_shared_edited_and_disabled,
    a_bad_link_form_is_refused_next_to_its_fields,
    another_merchants_link_and_product_are_not_found,
    a_product_created_in_the_dashboard_gets_a_page_and_can_be_taken_off_sale,
);

async fn signed_up(app: &TestApp) -> Browser {
    let mut browser = Browser::new(app);
    browser.sign_up(&next_merchant_email()).await;
    browser
}

/// The id in a `/dashboard/{section}/{id}?done=created` redirect.
fn created_id(location: &str, section: &str) -> i64 {
    let rest = location
        .strip_prefix(&format!("/dashboard/{section}/"))
        .unwrap_or_else(|| panic!("to the new object: {location}"));
    rest.split('?').next().unwrap().parse().unwrap()
}

/// A fixed 5 EUR link titled `title` and a 5 EUR product named `name`,
/// created in `browser`'s dashboard: their ids.
pub(super) async fn link_and_product(browser: &mut Browser, title: &str, name: &str) -> (i64, i64) {
    browser.get("/dashboard/links").await;
    let link = browser
        .post(
            "/dashboard/links",
            &[
                ("title", title),
                ("kind", "fixed"),
                ("amount", "5"),
                ("currency", "EUR"),
            ],
        )
        .await;
    let link_id = created_id(&location(&link), "links");
    browser.get("/dashboard/products").await;
    let product = browser
        .post(
            "/dashboard/products",
            &[("name", name), ("price", "5"), ("currency", "EUR")],
        )
        .await;
    (link_id, created_id(&location(&product), "products"))
}

/// The share address shown on a link's or product's page.
fn shared_url(html: &str) -> String {
    let at = html.find("url\">").unwrap() + "url\">".len();
    html[at..at + html[at..].find('<').unwrap()].to_string()
}

async fn a_link_created_in_the_dashboard_is_shared_edited_and_disabled(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut browser = signed_up(&app).await;
    let list = browser.get("/dashboard/links").await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert!(list.text.contains("No payment links yet"));
    assert!(
        list.text
            .contains("href=\"/dashboard/links\" aria-current=\"page\"")
    );

    let created = browser
        .post(
            "/dashboard/links",
            &[
                ("title", "Invoice 42"),
                ("kind", "fixed"),
                ("amount", "120.00"),
                ("min", "1"),
                ("currency", "EUR"),
                ("max_uses", "2"),
                ("expires", "2099-06-30T12:00"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.text);
    let id = created_id(&location(&created), "links");

    let page = browser
        .get(&format!("/dashboard/links/{id}?done=created"))
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    let url = shared_url(&page.text);
    assert!(url.starts_with(&format!("{}/l/", app.base)), "{url}");
    assert!(page.text.contains("<svg"), "a QR code is drawn");
    assert!(
        page.text.contains("data-copy=\"link-url\""),
        "a copy button"
    );
    assert!(page.text.contains("id=\"paid-uses\">0<"));
    assert!(
        page.text.contains("value=\"2099-06-30T12:00\""),
        "expiry shown again"
    );
    let path = url.strip_prefix(&app.base).unwrap().to_string();
    let public = app.get(&path).await;
    assert_eq!(public.status, 200);
    assert!(public.text.contains("Invoice 42") && public.text.contains("120.00"));

    let saved = browser
        .post(
            &format!("/dashboard/links/{id}"),
            &[
                ("action", "save"),
                ("title", "Invoice 42 (revised)"),
                ("kind", "open"),
                ("amount", "120.00"),
                ("min", "10"),
                ("max", "200"),
                ("currency", "USD"),
            ],
        )
        .await;
    assert_eq!(
        location(&saved),
        format!("/dashboard/links/{id}?done=saved")
    );
    let public = app.get(&path).await;
    assert!(public.text.contains("Invoice 42 (revised)"));
    assert!(
        public.text.contains("From 10.00 to 200.00 USD."),
        "{}",
        public.text
    );

    let list = browser.get("/dashboard/links").await;
    assert!(
        list.text.contains("Invoice 42 (revised)") && list.text.contains("10.00 to 200.00 USD")
    );
    browser.get(&format!("/dashboard/links/{id}")).await;
    let disabled = browser
        .post(&format!("/dashboard/links/{id}"), &[("action", "disable")])
        .await;
    assert_eq!(
        location(&disabled),
        format!("/dashboard/links/{id}?done=disabled")
    );
    assert_eq!(app.get(&path).await.status, 410);
    let page = browser.get(&format!("/dashboard/links/{id}")).await;
    assert!(page.text.contains("Enable link"));
    browser
        .post(&format!("/dashboard/links/{id}"), &[("action", "enable")])
        .await;
    assert_eq!(app.get(&path).await.status, 200);

    // Every change is in the merchant's security log, naming the link.
    let log = browser.get("/dashboard/security").await;
    let slug = path.trim_start_matches("/l/");
    assert!(
        log.text.contains(&format!("Invoice 42 (/l/{slug})"))
            && log.text.contains("Payment link created"),
        "{}",
        log.text
    );
    for done in ["saved", "disabled", "enabled"] {
        assert!(
            log.text
                .contains(&format!("{done}: Invoice 42 (revised) (/l/{slug})")),
            "{done}: {}",
            log.text
        );
    }

    // A merchant without a payout wallet cannot take payments yet.
    let refused = crate::helpers::read(
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(app.url(&path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("amount=50")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert!(refused.text.contains("not finished setting up payments"));
    app.stop().await;
}

async fn a_bad_link_form_is_refused_next_to_its_fields(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut browser = signed_up(&app).await;
    browser.get("/dashboard/links").await;
    let refused = browser
        .post(
            "/dashboard/links",
            &[
                ("title", ""),
                ("kind", "open"),
                ("min", "50"),
                ("max", "5"),
                ("currency", "EUR"),
                ("max_uses", "0"),
                ("expires", "2001-01-01T00:00"),
                ("return_url", "http://shop.example/"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    for says in [
        "Enter a name of 1 to 120 characters",
        "The maximum must not be below the minimum.",
        "Enter a whole number from 1 to",
        "The expiry must be in the future.",
        "Enter a full https:// address",
    ] {
        assert!(refused.text.contains(says), "{says}: {}", refused.text);
    }
    assert!(refused.text.contains("value=\"50\""), "typed values stay");
    assert!(
        refused.text.contains("No payment links yet"),
        "nothing was created"
    );
    app.stop().await;
}

async fn another_merchants_link_and_product_are_not_found(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut owner = signed_up(&app).await;
    let (link_id, product_id) = link_and_product(&mut owner, "Mine", "Mine too").await;

    let mut other = signed_up(&app).await;
    for path in [
        format!("/dashboard/links/{link_id}"),
        format!("/dashboard/products/{product_id}"),
        "/dashboard/links/not-a-number".to_string(),
    ] {
        let page = other.get(&path).await;
        assert_eq!(page.status, 404, "{path}: {}", page.text);
    }
    other.get("/dashboard/links").await;
    let disable = other
        .post(
            &format!("/dashboard/links/{link_id}"),
            &[("action", "disable")],
        )
        .await;
    assert_eq!(disable.status, 404);
    let take_off = other
        .post(
            &format!("/dashboard/products/{product_id}"),
            &[("action", "disable")],
        )
        .await;
    assert_eq!(take_off.status, 404);
    let list = other.get("/dashboard/links").await;
    assert!(
        !list.text.contains("Mine"),
        "not in another merchant's list"
    );

    let mine = owner.get(&format!("/dashboard/links/{link_id}")).await;
    assert!(
        mine.text.contains("Disable link"),
        "still active for its owner"
    );
    app.stop().await;
}

async fn a_product_created_in_the_dashboard_gets_a_page_and_can_be_taken_off_sale(
    backend: Backend,
) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut browser = signed_up(&app).await;
    browser.get("/dashboard/products").await;
    let refused = browser
        .post(
            "/dashboard/products",
            &[
                ("name", "Mug"),
                ("price", "-1"),
                ("currency", "EUR"),
                ("image_url", "nope"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.text.contains("Enter a positive price"));
    assert!(
        refused
            .text
            .contains("Enter a full https:// address of the picture")
    );

    let created = browser
        .post(
            "/dashboard/products",
            &[
                ("name", "Blue mug"),
                ("description", "Stoneware."),
                ("price", "24.50"),
                ("currency", "EUR"),
                ("image_url", "https://cdn.shop.example/mug.jpg"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.text);
    let id = created_id(&location(&created), "products");
    let page = browser.get(&format!("/dashboard/products/{id}")).await;
    let url = shared_url(&page.text);
    assert!(page.text.contains("<svg"));
    let path = url.strip_prefix(&app.base).unwrap().to_string();
    let public = app.get(&path).await;
    assert_eq!(public.status, 200);
    assert!(public.text.contains("Blue mug") && public.text.contains("24.50"));

    browser
        .post(
            &format!("/dashboard/products/{id}"),
            &[("action", "disable")],
        )
        .await;
    assert_eq!(app.get(&path).await.status, 410);
    let list = browser.get("/dashboard/products").await;
    assert!(list.text.contains("Off sale"));
    let log = browser.get("/dashboard/security").await;
    let slug = path.trim_start_matches("/p/");
    assert!(log.text.contains("Product created") && log.text.contains("Product changed"));
    assert!(
        log.text
            .contains(&format!("disabled: Blue mug (/p/{slug})")),
        "{}",
        log.text
    );
    app.stop().await;
}
