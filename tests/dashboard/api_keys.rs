//! The API keys page: a key created here works on the API and is shown
//! once only, a key revoked here is refused at once, a wrong password
//! refuses both next to its field, another merchant's key is not found.

use super::browser::{Browser, PASSWORD, api_key_in, location};
use crate::helpers::{Backend, next_merchant_email, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    a_key_created_in_the_dashboard_works_and_is_refused_once_revoked,
    a_wrong_password_refuses_creating_and_revoking_next_to_the_field,
    another_merchants_key_cannot_be_revoked,
);

async fn a_key_created_in_the_dashboard_works_and_is_refused_once_revoked(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut browser = Browser::new(&app);
    browser.sign_up(&next_merchant_email()).await;
    browser.get("/dashboard/api-keys").await;

    let created = browser
        .post(
            "/dashboard/api-keys",
            &[
                ("action", "create"),
                ("label", "shop live"),
                ("current", PASSWORD),
            ],
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text);
    let key = api_key_in(&created.text).expect("the new key is shown once");
    assert_eq!(app.me_as(&key).await.status, 200);

    let page = browser.get("/dashboard/api-keys").await;
    assert!(page.text.contains("shop live"), "{}", page.text);
    assert!(
        !page.text.contains(&key),
        "the full key is never shown again"
    );
    assert!(api_key_in(&page.text).is_none());
    let home = browser.get("/dashboard").await;
    assert!(home.text.contains("href=\"/dashboard/api-keys\""));

    let id = key.rsplit_once('_').map(|(id, _)| id).unwrap().to_string();
    let revoked = browser
        .post(
            "/dashboard/api-keys",
            &[("action", "revoke"), ("key", &id), ("current", PASSWORD)],
        )
        .await;
    assert_eq!(revoked.status, 303, "{}", revoked.text);
    assert_eq!(location(&revoked), "/dashboard/api-keys?done=revoked");
    let refused = app.me_as(&key).await;
    assert_eq!(refused.status, 401, "{}", refused.text);
    assert_eq!(refused.error_code(), "invalid_api_key");

    let page = browser.get("/dashboard/api-keys?done=revoked").await;
    assert!(page.text.contains("Revoked "), "{}", page.text);
    assert!(!page.text.contains(&key));
    let log = browser.get("/dashboard/security").await;
    assert!(log.text.contains(&id), "{}", log.text);
}

async fn a_wrong_password_refuses_creating_and_revoking_next_to_the_field(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut browser = Browser::new(&app);
    let first = browser.sign_up(&next_merchant_email()).await;
    browser.get("/dashboard/api-keys").await;

    let create = browser
        .post(
            "/dashboard/api-keys",
            &[
                ("action", "create"),
                ("label", "x"),
                ("current", "not my password"),
            ],
        )
        .await;
    assert_eq!(create.status, 422, "{}", create.text);
    assert!(
        create.text.contains("id=\"current-error\""),
        "{}",
        create.text
    );
    assert!(create.text.contains("That is not your current password."));
    assert!(api_key_in(&create.text).is_none());

    let id = first
        .rsplit_once('_')
        .map(|(id, _)| id)
        .unwrap()
        .to_string();
    let revoke = browser
        .post(
            "/dashboard/api-keys",
            &[
                ("action", "revoke"),
                ("key", &id),
                ("current", "not my password"),
            ],
        )
        .await;
    assert_eq!(revoke.status, 422, "{}", revoke.text);
    assert!(
        revoke.text.contains("id=\"revoke_current-error\""),
        "{}",
        revoke.text
    );
    assert_eq!(app.me_as(&first).await.status, 200, "the key still works");
}

async fn another_merchants_key_cannot_be_revoked(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut other = Browser::new(&app);
    let theirs = other.sign_up(&next_merchant_email()).await;
    let mut browser = Browser::new(&app);
    browser.sign_up(&next_merchant_email()).await;
    browser.get("/dashboard/api-keys").await;

    let id = theirs
        .rsplit_once('_')
        .map(|(id, _)| id)
        .unwrap()
        .to_string();
    let answer = browser
        .post(
            "/dashboard/api-keys",
            &[("action", "revoke"), ("key", &id), ("current", PASSWORD)],
        )
        .await;
    assert_eq!(answer.status, 404, "{}", answer.text);
    assert_eq!(app.me_as(&theirs).await.status, 200);
}
