//! `kassa link create | list` and `kassa product create | list`, run as real
//! processes against a running server's database: the printed URL opens
//! the link's page on the server, lists show only the merchant's own, and
//! bad flags are named in the error.

use serde_json::Value;

use crate::helpers::{
    Backend, MerchantSpec, TestApp, TestDb, create_merchant, kassa, spawn_on, stderr, stdout,
};
use crate::on_both_backends;

on_both_backends!(
    link_create_prints_a_working_url_and_list_shows_the_merchants_links,
    product_create_prints_a_working_url_and_list_shows_the_merchants_products,
);

async fn server(backend: Backend) -> Option<(TestApp, String)> {
    let db = TestDb::new(backend).await?;
    let url = db.url.clone();
    Some((spawn_on(db, |_| {}).await, url))
}

async fn link_create_prints_a_working_url_and_list_shows_the_merchants_links(backend: Backend) {
    let Some((app, db_url)) = server(backend).await else {
        return;
    };
    let env = [
        ("KASSA_DATABASE_URL", db_url.as_str()),
        ("KASSA_PUBLIC_URL", app.base.as_str()),
        ("KASSA_LOG", "error"),
    ];
    let id = app.merchant.id.to_string();

    let fixed = kassa(
        &[
            "link",
            "create",
            "--merchant",
            &id,
            "--amount",
            "79.00",
            "--currency",
            "EUR",
            "--title",
            "Invoice 7",
            "--max-uses",
            "3",
            "--expires",
            "2099-01-01 00:00",
            "--return-url",
            "https://shop.example/thanks",
            "--json",
        ],
        &env,
    )
    .await;
    assert!(fixed.status.success(), "{}", stderr(&fixed));
    let printed: Value = serde_json::from_str(stdout(&fixed).trim()).unwrap();
    let slug = printed["slug"].as_str().unwrap().to_string();
    assert!(printed["id"].as_i64().unwrap() > 0);
    assert_eq!(printed["url"], format!("{}/l/{slug}", app.base).as_str());
    let page = app.get(&format!("/l/{slug}")).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("Invoice 7"));

    let open = kassa(
        &[
            "link",
            "create",
            "--merchant",
            &id,
            "--min",
            "5",
            "--max",
            "50",
            "--currency",
            "usd",
            "--title",
            "Tips",
        ],
        &env,
    )
    .await;
    assert!(open.status.success(), "{}", stderr(&open));
    assert!(stdout(&open).contains("/l/"), "{}", stdout(&open));

    let list = kassa(&["link", "list", "--merchant", &id, "--json"], &env).await;
    assert!(list.status.success(), "{}", stderr(&list));
    let rows: Value = serde_json::from_str(stdout(&list).trim()).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let invoice = rows.iter().find(|r| r["slug"] == slug.as_str()).unwrap();
    assert_eq!(invoice["amount"], "79.00");
    assert_eq!(invoice["max_uses"], 3);
    assert_eq!(invoice["paid_uses"], 0);
    assert_eq!(invoice["state"], "active");
    let tips = rows.iter().find(|r| r["title"] == "Tips").unwrap();
    assert_eq!(
        (tips["min"].as_str(), tips["max"].as_str()),
        (Some("5.00"), Some("50.00"))
    );
    assert_eq!(tips["currency"], "USD");
    let table = kassa(&["link", "list", "--merchant", &id], &env).await;
    assert!(stdout(&table).contains("Invoice 7"), "{}", stdout(&table));
    assert!(stdout(&table).contains("0/3"), "{}", stdout(&table));

    let other = create_merchant(&app.store, MerchantSpec::default()).await;
    let theirs = kassa(
        &[
            "link",
            "list",
            "--merchant",
            &other.id.to_string(),
            "--json",
        ],
        &env,
    )
    .await;
    assert_eq!(
        stdout(&theirs).trim(),
        "[]",
        "another merchant sees none of them"
    );

    for (args, says) in [
        (
            vec![
                "--amount",
                "10",
                "--min",
                "5",
                "--max",
                "9",
                "--currency",
                "EUR",
            ],
            "cannot be used with",
        ),
        (vec!["--amount", "10", "--currency", "XYZ"], "--currency:"),
        (vec!["--amount", "10.001", "--currency", "EUR"], "--amount:"),
        (
            vec!["--min", "9", "--max", "5", "--currency", "EUR"],
            "--max: The maximum must not be below the minimum",
        ),
        (
            vec!["--amount", "10", "--currency", "EUR", "--expires", "soon"],
            "--expires:",
        ),
        (
            vec![
                "--amount",
                "10",
                "--currency",
                "EUR",
                "--return-url",
                "http://x.example",
            ],
            "--return-url:",
        ),
    ] {
        let mut all = vec!["link", "create", "--merchant", id.as_str(), "--title", "T"];
        all.extend(args.iter().copied());
        let refused = kassa(&all, &env).await;
        assert!(!refused.status.success(), "{args:?} was accepted");
        assert!(
            stderr(&refused).contains(says),
            "{args:?}: {}",
            stderr(&refused)
        );
    }
    let nobody = kassa(
        &[
            "link",
            "create",
            "--merchant",
            "999999",
            "--amount",
            "1",
            "--currency",
            "EUR",
            "--title",
            "T",
        ],
        &env,
    )
    .await;
    assert!(
        stderr(&nobody).contains("--merchant: no merchant with id 999999"),
        "{}",
        stderr(&nobody)
    );
    app.stop().await;
}

async fn product_create_prints_a_working_url_and_list_shows_the_merchants_products(
    backend: Backend,
) {
    let Some((app, db_url)) = server(backend).await else {
        return;
    };
    let env = [
        ("KASSA_DATABASE_URL", db_url.as_str()),
        ("KASSA_PUBLIC_URL", app.base.as_str()),
        ("KASSA_LOG", "error"),
    ];
    let id = app.merchant.id.to_string();

    let created = kassa(
        &[
            "product",
            "create",
            "--merchant",
            &id,
            "--name",
            "Blue mug",
            "--price",
            "24.50",
            "--currency",
            "EUR",
            "--description",
            "Stoneware.",
            "--image-url",
            "https://cdn.shop.example/mug.jpg",
            "--json",
        ],
        &env,
    )
    .await;
    assert!(created.status.success(), "{}", stderr(&created));
    let printed: Value = serde_json::from_str(stdout(&created).trim()).unwrap();
    let slug = printed["slug"].as_str().unwrap().to_string();
    assert_eq!(printed["url"], format!("{}/p/{slug}", app.base).as_str());
    let page = app.get(&format!("/p/{slug}")).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Blue mug") && page.text.contains("24.50"));

    let list = kassa(&["product", "list", "--merchant", &id, "--json"], &env).await;
    let rows: Value = serde_json::from_str(stdout(&list).trim()).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["price"], "24.50");
    assert_eq!(rows[0]["active"], true);
    let table = kassa(&["product", "list", "--merchant", &id], &env).await;
    assert!(stdout(&table).contains("Blue mug"), "{}", stdout(&table));
    assert!(stdout(&table).contains("on sale"), "{}", stdout(&table));

    let refused = kassa(
        &[
            "product",
            "create",
            "--merchant",
            &id,
            "--name",
            "Mug",
            "--price",
            "0",
            "--currency",
            "EUR",
            "--image-url",
            "ftp://x.example/a.jpg",
        ],
        &env,
    )
    .await;
    assert!(!refused.status.success());
    let err = stderr(&refused);
    assert!(
        err.contains("--price:") && err.contains("--image-url:"),
        "{err}"
    );
    app.stop().await;
}
