//! The security page: the password change asks for the current password
//! and ends the other sessions; the log records the client address, taken
//! from X-Forwarded-For only behind a trusted proxy.

use super::browser::{Browser, PASSWORD, location};
use crate::helpers::{Backend, spawn_app, spawn_app_with};
use crate::on_both_backends;

on_both_backends!(changing_the_password_asks_for_the_current_one_and_ends_other_sessions);

async fn changing_the_password_asks_for_the_current_one_and_ends_other_sessions(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let email = crate::helpers::next_merchant_email();
    let mut laptop = Browser::new(&app);
    laptop.sign_up(&email).await;
    let mut phone = Browser::new(&app);
    assert_eq!(phone.log_in(&email, PASSWORD).await.status, 303);

    laptop.get("/dashboard/security").await;
    let new = "a much better passphrase";
    let wrong = laptop
        .post(
            "/dashboard/security/password",
            &[
                ("current", "not my password"),
                ("password", new),
                ("password_confirm", new),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.text);
    assert!(wrong.text.contains("id=\"current-error\""));
    let differ = laptop
        .post(
            "/dashboard/security/password",
            &[
                ("current", PASSWORD),
                ("password", new),
                ("password_confirm", "other"),
            ],
        )
        .await;
    assert_eq!(differ.status, 422);
    assert!(differ.text.contains("id=\"password_confirm-error\""));

    let done = laptop
        .post(
            "/dashboard/security/password",
            &[
                ("current", PASSWORD),
                ("password", new),
                ("password_confirm", new),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.text);
    assert_eq!(location(&done), "/dashboard/security?done=password");
    assert_eq!(
        laptop.get("/dashboard").await.status,
        200,
        "this session stays"
    );
    assert_eq!(
        phone.get("/dashboard").await.status,
        303,
        "the other one ends"
    );

    let mut again = Browser::new(&app);
    assert_eq!(again.log_in(&email, PASSWORD).await.status, 401);
    assert_eq!(again.log_in(&email, new).await.status, 303);
    let log = again.get("/dashboard/security").await;
    assert!(log.text.contains("Password changed"));
    assert!(log.text.contains("Wrong password on a protected change"));
    app.stop().await;
}

#[actix_web::test]
async fn the_log_believes_x_forwarded_for_only_from_a_trusted_proxy() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let mut direct = Browser::new(&app);
    direct
        .extra
        .push(("x-forwarded-for".into(), "203.0.113.7".into()));
    direct.sign_up(&crate::helpers::next_merchant_email()).await;
    let log = direct.get("/dashboard/security").await;
    assert!(log.text.contains("127.0.0.1"), "{}", log.text);
    assert!(
        !log.text.contains("203.0.113.7"),
        "a spoofed header is ignored"
    );
    app.stop().await;

    let Some(app) = spawn_app_with(Backend::Sqlite, |s| {
        s.trusted_proxies = "127.0.0.1/32, ::1".into();
    })
    .await
    else {
        return;
    };
    let mut proxied = Browser::new(&app);
    proxied
        .extra
        .push(("x-forwarded-for".into(), "198.51.100.4, 203.0.113.7".into()));
    proxied
        .sign_up(&crate::helpers::next_merchant_email())
        .await;
    let log = proxied.get("/dashboard/security").await;
    assert!(log.text.contains("203.0.113.7"), "{}", log.text);
    app.stop().await;
}
