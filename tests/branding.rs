//! Merchant branding on the hosted pages: the logo (and exactly its origin
//! in the CSP `img-src`), the display name, the accent colour as a CSS
//! custom property; none of it when the merchant has none. The CLI flags
//! that set it are in `branding_cli.rs`. With several nodes, branding
//! saved on one shows on another within the cache TTL.

use std::time::{Duration, Instant};

use kassa::domain::branding::{AccentColor, DisplayName, LogoUrl};
use kassa::store::merchants::MerchantUpdate;

use crate::helpers::{Answer, Backend, TestApp, TestDb, read, spawn_app, spawn_on};

pub(crate) const LOGO: &str = "https://cdn.brand.example/img/logo.png";

pub(crate) async fn page(app: &TestApp, path: &str) -> Answer {
    read(app.client.get(app.url(path)).send().await.unwrap()).await
}

/// The page, fetched again (for up to three seconds) until `ready` holds.
pub(crate) async fn page_once(
    app: &TestApp,
    path: &str,
    ready: impl Fn(&Answer) -> bool,
) -> Answer {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    loop {
        let answer = page(app, path).await;
        if ready(&answer) || std::time::Instant::now() > deadline {
            return answer;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

pub(crate) fn img_src(answer: &Answer) -> String {
    let csp = answer
        .headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    csp.split(';')
        .map(str::trim)
        .find(|d| d.starts_with("img-src"))
        .unwrap_or_default()
        .to_string()
}

async fn brand(app: &TestApp, update: MerchantUpdate) {
    assert!(
        app.store
            .update_merchant(app.merchant.id, update, 0)
            .await
            .unwrap()
    );
}

fn full_branding() -> MerchantUpdate {
    MerchantUpdate {
        display_name: Some(Some(DisplayName::parse("Brand & Co").unwrap())),
        logo_url: Some(Some(LogoUrl::parse(LOGO).unwrap())),
        accent_color: Some(Some(AccentColor::parse("#1E3A8A").unwrap())),
        ..MerchantUpdate::default()
    }
}

async fn branded_pages_show_logo_name_and_accent(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    brand(&app, full_branding()).await;
    let id = app.new_session("BRAND_1").await;

    for path in [
        format!("/pay.php?session={id}"),
        format!("/crypto.php?session={id}"),
    ] {
        let answer = page(&app, &path).await;

        assert_eq!(answer.status, 200, "{path}: {}", answer.text);
        let html = &answer.text;
        assert!(
            html.contains(&format!(
                "<img class=\"logo\" src=\"{LOGO}\" alt=\"Brand &#38; Co\""
            )),
            "{path} shows the logo named after the shop: {html}"
        );
        assert!(html.contains("<h1>Brand &#38; Co</h1>"), "{path}: {html}");
        assert!(
            html.contains(":root{--accent:#1e3a8a;--accent-ink:#ffffff;--link:#1e3a8a}"),
            "{path} applies the accent with white text on it: {html}"
        );
        assert_eq!(
            img_src(&answer),
            "img-src 'self' data: https://cdn.brand.example",
            "{path} allows exactly the logo's origin"
        );
    }
    app.stop().await;
}

#[actix_web::test]
async fn branded_pages_show_logo_name_and_accent_on_sqlite() {
    branded_pages_show_logo_name_and_accent(Backend::Sqlite).await;
}

#[actix_web::test]
async fn branded_pages_show_logo_name_and_accent_on_postgres() {
    branded_pages_show_logo_name_and_accent(Backend::Postgres).await;
}

#[actix_web::test]
async fn an_unbranded_merchant_gets_no_logo_no_outside_images_and_its_domain_as_name() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    brand(
        &app,
        MerchantUpdate {
            display_name: Some(None),
            ..MerchantUpdate::default()
        },
    )
    .await;
    let id = app.new_session("PLAIN_1").await;

    let answer = page(&app, &format!("/pay.php?session={id}")).await;

    assert_eq!(answer.status, 200, "{}", answer.text);
    assert!(!answer.text.contains("<img"), "{}", answer.text);
    assert!(
        answer.text.contains("<h1>shop.example</h1>"),
        "{}",
        answer.text
    );
    assert!(!answer.text.contains("--link:#"), "{}", answer.text);
    assert_eq!(img_src(&answer), "img-src 'self' data:");
    app.stop().await;
}

#[actix_web::test]
async fn a_pale_accent_gets_dark_text_and_the_refusal_page_is_branded_too() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let mut update = full_branding();
    update.accent_color = Some(Some(AccentColor::parse("#ffd700").unwrap()));
    update.crypto_enabled = Some(false);
    brand(&app, update).await;
    let id = app.new_session("PALE_1").await;

    let refused = page(&app, &format!("/crypto.php?session={id}")).await;

    assert_eq!(refused.status, 403, "{}", refused.text);
    assert!(
        refused
            .text
            .contains(":root{--accent:#ffd700;--accent-ink:#161a23;--link:#161a23}"),
        "{}",
        refused.text
    );
    assert!(refused.text.contains(&format!("src=\"{LOGO}\"")));
    assert_eq!(
        img_src(&refused),
        "img-src 'self' data: https://cdn.brand.example"
    );
    app.stop().await;
}

/// Several nodes: branding saved through one node shows on the pages of
/// another node, which had the merchant cached, within its cache's TTL.
#[actix_web::test]
async fn branding_saved_on_one_node_shows_on_another_nodes_pages_within_the_cache_ttl() {
    let Some(db) = TestDb::new(Backend::Postgres).await else {
        return;
    };
    let shared = db.shared();
    let ttl = Duration::from_millis(1_000);
    let cached = |s: &mut kassa::config::RawSettings| s.session_cache_ttl_ms = 1_000;
    let one = spawn_on(db, cached).await;
    let two = spawn_on(shared, cached).await;
    let id = one.new_session("BRAND_NODES").await;
    let path = format!("/pay.php?session={id}");
    let before = page(&two, &path).await;
    assert_eq!(before.status, 200, "{}", before.text);
    assert!(!before.text.contains("Brand &#38; Co"), "not branded yet");

    brand(&one, full_branding()).await;
    let saved = Instant::now();
    let deadline = saved + ttl + Duration::from_secs(1);
    loop {
        let answer = page(&two, &path).await;
        if answer.text.contains("<h1>Brand &#38; Co</h1>") {
            assert!(
                answer.text.contains("--accent:#1e3a8a"),
                "the accent came with the name: {}",
                answer.text
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the other node still shows the old branding {:?} after saving",
            saved.elapsed()
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    two.stop().await;
    one.stop().await;
}
