//! Merchant branding on the hosted pages: the logo (and exactly its origin
//! in the CSP `img-src`), the display name, the accent colour as a CSS
//! custom property; none of it when the merchant has none; and the
//! `kassa merchant` flags that set, show and clear it (refusing a hostile
//! colour), on SQLite and PostgreSQL.

use kassa::domain::branding::{AccentColor, DisplayName, LogoUrl};
use kassa::store::merchants::MerchantUpdate;
use serde_json::{Value, json};

use crate::cli::{kassa, stderr, stdout};
use crate::helpers::{Answer, Backend, TestApp, TestDb, order, read, spawn_app, spawn_on};

const LOGO: &str = "https://cdn.brand.example/img/logo.png";

async fn page(app: &TestApp, path: &str) -> Answer {
    read(app.client.get(app.url(path)).send().await.unwrap()).await
}

/// The page, fetched again (for up to three seconds) until `ready` holds.
async fn page_once(app: &TestApp, path: &str, ready: impl Fn(&Answer) -> bool) -> Answer {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    loop {
        let answer = page(app, path).await;
        if ready(&answer) || std::time::Instant::now() > deadline {
            return answer;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

fn img_src(answer: &Answer) -> String {
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

fn list_row(listed: &std::process::Output, id: &Value) -> Value {
    let list: Value = serde_json::from_str(stdout(listed).trim()).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .find(|m| &m["merchant_id"] == id)
        .unwrap()
        .clone()
}

async fn cli_branding_flags_round_trip_to_the_page(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let url = db.url.clone();
    let app = spawn_on(db, |_| {}).await;
    let env = [("KASSA_DATABASE_URL", url.as_str()), ("KASSA_LOG", "error")];
    let created = kassa(
        &[
            "merchant",
            "create",
            "--email",
            "ops@brand.example",
            "--domain",
            "brand.example",
            "--payout-wallet",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "--display-name",
            "  Brand Shop ",
            "--logo-url",
            LOGO,
            "--accent-color",
            "#0F766E",
            "--json",
        ],
        &env,
    )
    .await;
    assert!(created.status.success(), "{}", stderr(&created));
    let out: Value = serde_json::from_str(stdout(&created).trim()).unwrap();
    let id = out["merchant_id"].clone();

    let row = list_row(&kassa(&["merchant", "list", "--json"], &env).await, &id);
    assert_eq!(row["display_name"], json!("Brand Shop"));
    assert_eq!(row["logo_url"], json!(LOGO));
    assert_eq!(row["accent_color"], json!("#0f766e"));
    let text = stdout(&kassa(&["merchant", "list"], &env).await);
    assert!(
        text.contains("Brand Shop") && text.contains("#0f766e"),
        "{text}"
    );

    let mut body = order("CLI_BRAND");
    body["domain"] = json!("brand.example");
    let session = app
        .create_session_as(out["api_key"].as_str().unwrap(), &body)
        .await;
    assert_eq!(session.status, 200, "{}", session.text);
    let page_path = format!("/pay.php?session={}", session.json()["session_id"]);
    let shown = page(&app, &page_path).await;
    assert!(shown.text.contains("--accent:#0f766e"), "{}", shown.text);
    assert!(shown.text.contains("alt=\"Brand Shop\""), "{}", shown.text);

    let id_arg = id.to_string();
    let cleared = kassa(
        &[
            "merchant",
            "update",
            "--id",
            &id_arg,
            "--logo-url",
            "",
            "--accent-color",
            "",
        ],
        &env,
    )
    .await;
    assert!(cleared.status.success(), "{}", stderr(&cleared));
    let row = list_row(&kassa(&["merchant", "list", "--json"], &env).await, &id);
    assert_eq!(row["logo_url"], Value::Null);
    assert_eq!(row["accent_color"], Value::Null);
    assert_eq!(
        row["display_name"],
        json!("Brand Shop"),
        "untouched flags stay"
    );
    // Another process changed the merchant: the page shows it once the
    // server's one-second merchant cache has expired.
    let plain = page_once(&app, &page_path, |a| !a.text.contains("<img")).await;
    assert!(!plain.text.contains("<img"), "{}", plain.text);
    assert_eq!(img_src(&plain), "img-src 'self' data:");
    app.stop().await;
}

#[actix_web::test]
async fn cli_branding_flags_round_trip_to_the_page_on_sqlite() {
    cli_branding_flags_round_trip_to_the_page(Backend::Sqlite).await;
}

#[actix_web::test]
async fn cli_branding_flags_round_trip_to_the_page_on_postgres() {
    cli_branding_flags_round_trip_to_the_page(Backend::Postgres).await;
}

#[actix_web::test]
async fn the_cli_refuses_a_hostile_accent_or_logo_naming_the_flag_and_changes_nothing() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let url = db.url.clone();
    let app = spawn_on(db, |_| {}).await;
    let env = [("KASSA_DATABASE_URL", url.as_str()), ("KASSA_LOG", "error")];
    let id = app.merchant.id.to_string();

    let hostile = [
        ("--accent-color", "red;}</style><script>alert(1)</script>"),
        ("--logo-url", "http://cdn.brand.example/logo.png"),
        ("--logo-url", "https://cdn.brand.example;script-src *"),
        ("--display-name", "Evil\u{202e}gnp.exe"),
    ];
    for (flag, value) in hostile {
        let updated = kassa(&["merchant", "update", "--id", &id, flag, value], &env).await;

        assert!(!updated.status.success(), "{flag} {value} was accepted");
        assert!(
            stderr(&updated).contains(flag),
            "the error names {flag}: {}",
            stderr(&updated)
        );
    }
    let created = kassa(
        &[
            "merchant",
            "create",
            "--email",
            "x@brand.example",
            "--domain",
            "brand.example",
            "--payout-wallet",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "--accent-color",
            "red;}</style><script>",
        ],
        &env,
    )
    .await;
    assert!(!created.status.success());
    assert!(
        stderr(&created).contains("--accent-color"),
        "{}",
        stderr(&created)
    );

    let listed = kassa(&["merchant", "list", "--json"], &env).await;
    let list: Value = serde_json::from_str(stdout(&listed).trim()).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "no merchant was created");
    assert_eq!(list[0]["accent_color"], Value::Null);
    assert_eq!(list[0]["logo_url"], Value::Null);
    assert_eq!(list[0]["display_name"], json!("Test Shop"));
    app.stop().await;
}
