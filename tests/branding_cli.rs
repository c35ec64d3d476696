//! The `kassa merchant` branding flags run as a real process: they set,
//! show and clear a merchant's name, logo and accent colour, the page
//! follows, and hostile values are refused naming their flag (SQLite and
//! PostgreSQL).

use serde_json::{Value, json};

use crate::branding::{LOGO, img_src, page, page_once};
use crate::cli::{kassa, stderr, stdout};
use crate::helpers::{Backend, TestDb, order, spawn_on};

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
