//! The checkout page: branding saved with the CLI's rules and shown in the
//! preview and on the real hosted checkout; Smart Routing only where the
//! package allows it.

use super::browser::{Browser, location};
use crate::helpers::{Backend, spawn_app};
use crate::on_both_backends;

on_both_backends!(checkout_settings_are_saved_previewed_and_checked);

async fn checkout_settings_are_saved_previewed_and_checked(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let email = crate::helpers::next_merchant_email();
    let mut browser = Browser::new(&app);
    browser.sign_up(&email).await;
    let page = browser.get("/dashboard/checkout").await;
    assert_eq!(page.status, 200);
    assert!(
        page.text
            .contains("Smart Routing needs the Pro or Unlimited package")
    );

    let saved = browser
        .post(
            "/dashboard/checkout",
            &[
                ("mode", "smart_router"),
                ("display_name", "Tulip Store"),
                ("logo_url", "https://cdn.tulip.example/logo.png"),
                ("accent_color", "#0F7B4A"),
            ],
        )
        .await;
    assert_eq!(
        location(&saved),
        "/dashboard/checkout?done=saved",
        "{}",
        saved.text
    );
    let page = browser.get("/dashboard/checkout?done=saved").await;
    assert!(page.text.contains("Checkout saved."));
    assert!(
        page.text.contains("<strong>Tulip Store</strong>"),
        "{}",
        page.text
    );
    assert!(
        page.text.contains("background:#0f7b4a"),
        "the preview uses the accent"
    );
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("img-src 'self' data: https://cdn.tulip.example;"),
        "{csp}"
    );

    let id = app
        .store
        .merchant_id_by_email(&email)
        .await
        .unwrap()
        .unwrap();
    let m = app.store.merchant(id).await.unwrap().unwrap();
    assert!(!m.crypto_enabled, "the unchecked box turned crypto off");
    assert_eq!(
        m.checkout_mode.as_str(),
        "standard",
        "a free package keeps Standard"
    );
    assert_eq!(m.branding.display_name.unwrap().as_str(), "Tulip Store");

    for (field, value) in [
        ("logo_url", "http://cdn.tulip.example/logo.png"),
        ("accent_color", "green"),
        ("display_name", &"x".repeat(65)),
    ] {
        let answer = browser
            .post("/dashboard/checkout", &[("crypto", "on"), (field, value)])
            .await;
        assert_eq!(answer.status, 422, "{field}: {}", answer.text);
        assert!(
            answer.text.contains(&format!("id=\"{field}-error\"")),
            "{field}"
        );
    }
    let m = app.store.merchant(id).await.unwrap().unwrap();
    assert!(!m.crypto_enabled, "a refused form changes nothing");

    let log = browser.get("/dashboard/security").await;
    assert!(log.text.contains("Checkout settings changed"));
    app.stop().await;
}
