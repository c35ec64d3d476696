//! Merchants in the console: anonymous visitors are sent to the login; an
//! operator lists, searches and opens merchants; each form changes one
//! group of settings, is audited under the operator, and reaches the API
//! at once (disabling answers `merchant_disabled` on the very next call,
//! with the key's credentials cached); bad input is shown beside its form.

use kassa::app::audit_log;
use kassa::domain::audit::AuditActor;
use serde_json::{Value, json};

use super::{log_in, new_operator};
use crate::dashboard::browser::{Browser, location};
use crate::helpers::{Backend, MerchantSpec, TestApp, create_merchant, spawn_app_with};
use crate::on_both_backends;

on_both_backends!(
    anonymous_visitors_are_sent_to_the_login,
    an_operator_finds_a_merchant_and_changes_its_plan_with_an_audit_line,
    bad_input_is_shown_beside_its_form_and_changes_nothing,
    disabling_from_the_page_refuses_the_merchant_s_next_api_call,
    provider_lists_from_the_page_reach_me_php_at_once,
);

/// An app whose API key cache would keep a key for a minute.
async fn app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |s| s.auth_cache_ttl_ms = 60_000).await
}

async fn operator(app: &TestApp) -> Browser {
    let (email, password) = new_operator(app).await;
    let mut op = Browser::new(app);
    log_in(&mut op, app, &email, &password, None).await;
    op
}

/// The newest `merchant.update` line of merchant `id`.
async fn last_line(app: &TestApp, id: i64) -> (AuditActor, Value, Value) {
    let page = audit_log::list(&app.store, None, 50).await.unwrap();
    let e = page
        .entries
        .into_iter()
        .find(|e| e.action == "merchant.update" && e.subject == format!("merchant:{id}"))
        .expect("the change is audited");
    (e.actor, e.before.unwrap(), e.after.unwrap())
}

async fn anonymous_visitors_are_sent_to_the_login(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let mut anonymous = Browser::new(&app);
    let id = app.merchant.id;

    let list = anonymous.get("/admin/merchants?q=shop").await;
    let detail = anonymous.get(&format!("/admin/merchants/{id}")).await;
    let post = anonymous
        .post_raw(
            &format!("/admin/merchants/{id}/status"),
            &[("action", "disable")],
        )
        .await;

    assert_eq!(list.status, 303);
    assert_eq!(location(&list), "/admin/login?next=%2Fadmin%2Fmerchants");
    assert_eq!(
        location(&detail),
        format!("/admin/login?next=%2Fadmin%2Fmerchants%2F{id}")
    );
    assert_eq!((post.status, location(&post)), (303, "/admin/login".into()));
    assert_eq!(app.me().await.status, 200, "nothing was disabled");
    app.stop().await;
}

async fn an_operator_finds_a_merchant_and_changes_its_plan_with_an_audit_line(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let other = create_merchant(
        &app.store,
        MerchantSpec {
            domains: vec!["bakery.example".into()],
            ..MerchantSpec::default()
        },
    )
    .await;
    let id = app.merchant.id;
    assert_eq!(app.me().await.json()["package"], json!("pro"));
    let mut op = operator(&app).await;

    let list = op.get("/admin/merchants").await;
    let found = op.get("/admin/merchants?q=BAKERY").await;
    let detail = op.get(&format!("/admin/merchants/{id}")).await;
    let saved = op
        .post(
            &format!("/admin/merchants/{id}/plan"),
            &[
                ("package", "unlimited"),
                ("checkout_mode", "smart_router"),
                ("country", "de"),
                ("crypto", "1"),
            ],
        )
        .await;
    let after = op.get(&location(&saved)).await;

    assert_eq!(list.status, 200, "{}", list.text);
    assert!(list.text.contains(&format!("id=\"merchant-{id}\"")));
    assert!(list.text.contains(&format!("id=\"merchant-{}\"", other.id)));
    assert!(
        found
            .text
            .contains(&format!("id=\"merchant-{}\"", other.id))
    );
    assert!(!found.text.contains(&format!("id=\"merchant-{id}\"")));
    assert_eq!(detail.status, 200, "{}", detail.text);
    assert!(detail.text.contains("shop.example"));
    assert_eq!(location(&saved), format!("/admin/merchants/{id}?done=plan"));
    assert!(after.text.contains("Plan and checkout saved."));
    assert!(after.text.contains("value=\"DE\""));
    let me = app.me().await.json();
    assert_eq!(
        (&me["package"], &me["country"]),
        (&json!("unlimited"), &json!("DE"))
    );
    let (actor, before, now) = last_line(&app, id).await;
    assert!(matches!(actor, AuditActor::Admin(_)), "{actor:?}");
    assert_eq!(before, json!({ "package": "pro", "country": "NL" }));
    assert_eq!(now, json!({ "package": "unlimited", "country": "DE" }));
    let missing = op.get("/admin/merchants/999999").await;
    assert_eq!(missing.status, 404);
    app.stop().await;
}

async fn bad_input_is_shown_beside_its_form_and_changes_nothing(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let id = app.merchant.id;
    let mut op = operator(&app).await;
    op.get(&format!("/admin/merchants/{id}")).await;

    let package = op
        .post(
            &format!("/admin/merchants/{id}/plan"),
            &[
                ("package", "gold"),
                ("checkout_mode", "standard"),
                ("country", "NL"),
            ],
        )
        .await;
    let country = op
        .post(
            &format!("/admin/merchants/{id}/plan"),
            &[
                ("package", "pro"),
                ("checkout_mode", "smart_router"),
                ("country", "Holland"),
            ],
        )
        .await;
    let provider = op
        .post(
            &format!("/admin/merchants/{id}/providers"),
            &[("allow", "moonpay, paypalx"), ("block", "")],
        )
        .await;
    let partner = op
        .post(
            &format!("/admin/merchants/{id}/partner"),
            &[("partner_split", "on")],
        )
        .await;
    let unknown = op
        .post(&format!("/admin/merchants/{id}/nothing"), &[])
        .await;
    let forged = op
        .post_raw(
            &format!("/admin/merchants/{id}/status"),
            &[("csrf", "forged"), ("action", "disable")],
        )
        .await;

    assert_eq!(package.status, 422);
    assert!(
        package.text.contains("id=\"package-error\""),
        "{}",
        package.text
    );
    assert!(package.text.contains("free, pro or unlimited"));
    assert_eq!(country.status, 422);
    assert!(country.text.contains("id=\"country-error\""));
    assert!(
        country.text.contains("value=\"Holland\""),
        "what was typed stays"
    );
    assert_eq!(provider.status, 422);
    assert!(provider.text.contains("id=\"providers-error\""));
    assert!(provider.text.contains("`paypalx` is not a provider"));
    assert_eq!(partner.status, 422);
    assert!(partner.text.contains("id=\"partner_split-error\""));
    assert_eq!(unknown.status, 404);
    assert_eq!(forged.status, 403);
    let me = app.me().await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["country"], json!("NL"));
    let audit = audit_log::list(&app.store, None, 50).await.unwrap();
    assert!(
        !audit.entries.iter().any(|e| e.action == "merchant.update"),
        "{audit:?}"
    );
    app.stop().await;
}

async fn disabling_from_the_page_refuses_the_merchant_s_next_api_call(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let id = app.merchant.id;
    assert_eq!(
        app.me().await.status,
        200,
        "the key's credentials are cached"
    );
    let mut op = operator(&app).await;
    op.get(&format!("/admin/merchants/{id}")).await;

    let off = op
        .post(
            &format!("/admin/merchants/{id}/status"),
            &[("action", "disable")],
        )
        .await;
    let refused = app.me().await;
    let page = op.get(&location(&off)).await;
    let on = op
        .post(
            &format!("/admin/merchants/{id}/status"),
            &[("action", "enable")],
        )
        .await;

    assert_eq!(
        location(&off),
        format!("/admin/merchants/{id}?done=disabled")
    );
    assert_eq!(
        (refused.status, refused.error_code()),
        (403, "merchant_disabled".into())
    );
    assert!(page.text.contains("Merchant disabled"));
    assert!(page.text.contains("Enable merchant"));
    assert_eq!(location(&on), format!("/admin/merchants/{id}?done=enabled"));
    assert_eq!(app.me().await.status, 200);
    let (_, before, after) = last_line(&app, id).await;
    assert_eq!(
        (before, after),
        (json!({ "disabled": true }), json!({ "disabled": false }))
    );
    let list = op.get("/admin/merchants").await;
    assert!(list.text.contains("active"));
    app.stop().await;
}

async fn provider_lists_from_the_page_reach_me_php_at_once(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let id = app.merchant.id;
    let card = |me: Value| me["smart_router"]["methods"]["card"]["available"].clone();
    assert_eq!(card(app.me().await.json()), json!(true));
    let mut op = operator(&app).await;
    op.get(&format!("/admin/merchants/{id}")).await;

    let blocked = op
        .post(
            &format!("/admin/merchants/{id}/providers"),
            &[("allow", ""), ("block", "sandbox")],
        )
        .await;
    let offered = card(app.me().await.json());
    let page = op.get(&location(&blocked)).await;
    op.post(
        &format!("/admin/merchants/{id}/providers"),
        &[("allow", ""), ("block", "")],
    )
    .await;

    assert_eq!(
        location(&blocked),
        format!("/admin/merchants/{id}?done=providers")
    );
    assert_eq!(offered, json!(false), "this node's router reloaded at once");
    assert!(page.text.contains("value=\"sandbox\""), "{}", page.text);
    assert_eq!(card(app.me().await.json()), json!(true));
    let (_, before, after) = last_line(&app, id).await;
    assert_eq!(
        (before, after),
        (
            json!({ "block_providers": ["sandbox"] }),
            json!({ "block_providers": [] })
        )
    );
    app.stop().await;
}
