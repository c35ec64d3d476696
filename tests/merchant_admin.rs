//! An operator's work on merchants through `app::merchants::admin` (what
//! the admin console and the CLI call): switching a merchant off reaches
//! its very next API call even with its key's credentials cached, each
//! setting change is one audit line of what changed, the provider lists
//! change what the router offers, bad input is refused by name and stores
//! nothing, and the search finds merchants by id, e-mail, domain and name.

use std::time::Duration;

use kassa::app::audit_log;
use kassa::app::merchants::admin::{self, AdminError, Console, PlanFields};
use kassa::app::merchants::{FieldError, MerchantError};
use kassa::app::routing_admin::{self, RoutingAdminError};
use kassa::domain::audit::AuditActor;
use kassa::domain::routing::credential::{CredentialName, CredentialValue};
use kassa::domain::routing::merchant_edit::MerchantRulesError;
use kassa::store::merchants::MerchantUpdate;
use serde_json::{Value, json};

use crate::helpers::{
    Backend, MerchantSpec, TestApp, TestDb, create_merchant, kassa, order, routing_scope,
    spawn_app_with, spawn_on, stderr, stdout,
};
use crate::on_both_backends;

const OPERATOR: AuditActor = AuditActor::Admin(7);

/// An app whose API key cache would keep a key for a minute, and whose
/// router polls the routing version every 100 ms.
async fn app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |s| {
        s.auth_cache_ttl_ms = 60_000;
        s.routing_reload_ms = 100;
    })
    .await
}

/// Several nodes: a merchant disabled through one node is refused by
/// another node on the same PostgreSQL within a second (though that node's
/// key cache would keep the key for a minute), and works there again once
/// enabled.
#[actix_web::test]
async fn a_merchant_disabled_on_one_node_is_refused_by_another_node_within_a_second() {
    let Some(db) = TestDb::new(Backend::Postgres).await else {
        return;
    };
    let shared = db.shared();
    let long_cache = |s: &mut kassa::config::RawSettings| s.auth_cache_ttl_ms = 60_000;
    let one = spawn_on(db, long_cache).await;
    let two = spawn_on(shared, long_cache).await;
    let (id, key) = (one.merchant.id, one.merchant.api_key.clone());
    assert_eq!(
        two.me_as(&key).await.status,
        200,
        "the other node caches the key"
    );

    admin::set_disabled(&console(&one), id, true).await.unwrap();
    let refused = answered_within_a_second(&two, &key, 403).await;
    assert_eq!(refused.error_code(), "merchant_disabled");

    admin::set_disabled(&console(&one), id, false)
        .await
        .unwrap();
    answered_within_a_second(&two, &key, 200).await;
    assert_eq!(
        two.me().await.status,
        200,
        "its own merchant was never touched"
    );
    two.stop().await;
    one.stop().await;
}

/// Polls `/gateway/me.php` on `app` with `key` until it answers `status`;
/// fails after a second.
async fn answered_within_a_second(app: &TestApp, key: &str, status: u16) -> crate::helpers::Answer {
    let deadline = std::time::Instant::now() + Duration::from_secs(1);
    loop {
        let answer = app.me_as(key).await;
        if answer.status == status {
            return answer;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still {} after a second: {}",
            answer.status,
            answer.text
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

fn console(app: &TestApp) -> Console<'_> {
    Console {
        routing: routing_scope(&app.store),
        router: None,
        keys: app.auth_cache.as_ref(),
        actor: OPERATOR,
        now_ms: 1_000,
    }
}

/// The `merchant.update` lines of merchant `id`, oldest first.
async fn merchant_lines(app: &TestApp, id: i64) -> Vec<(AuditActor, Value, Value)> {
    let page = audit_log::list(&app.store, None, 100).await.unwrap();
    let mut lines: Vec<_> = page
        .entries
        .into_iter()
        .filter(|e| e.action == "merchant.update" && e.subject == format!("merchant:{id}"))
        .map(|e| (e.actor, e.before.unwrap(), e.after.unwrap()))
        .collect();
    lines.reverse();
    lines
}

async fn a_disabled_merchant_is_refused_on_its_very_next_call_and_works_again_when_enabled(
    backend: Backend,
) {
    let Some(app) = app(backend).await else {
        return;
    };
    let id = app.merchant.id;
    assert_eq!(
        app.me().await.status,
        200,
        "the key's credentials are cached"
    );

    admin::set_disabled(&console(&app), id, true).await.unwrap();
    let me = app.me().await;
    let create = app.create_session(&order("OFF_1")).await;

    assert_eq!(
        (me.status, me.error_code()),
        (403, "merchant_disabled".into())
    );
    assert_eq!(
        (create.status, create.error_code()),
        (403, "merchant_disabled".into())
    );

    admin::set_disabled(&console(&app), id, false)
        .await
        .unwrap();
    assert_eq!(app.me().await.status, 200, "{}", app.me().await.text);
    assert_eq!(app.create_session(&order("ON_1")).await.status, 200);

    let lines = merchant_lines(&app, id).await;
    assert_eq!(
        lines,
        vec![
            (
                OPERATOR,
                json!({ "disabled": false }),
                json!({ "disabled": true })
            ),
            (
                OPERATOR,
                json!({ "disabled": true }),
                json!({ "disabled": false })
            ),
        ]
    );
    app.stop().await;
}

async fn a_plan_change_is_audited_with_only_what_changed_and_shows_at_once(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let id = app.merchant.id;
    assert_eq!(app.me().await.json()["package"], json!("pro"));

    let plan = PlanFields {
        package: Some("unlimited".into()),
        checkout_mode: Some("smart_router".into()),
        country: Some("de".into()),
        crypto_enabled: Some(true),
    };
    let after = admin::set_plan(&console(&app), id, plan).await.unwrap();
    let cleared = PlanFields {
        country: Some(" ".into()),
        crypto_enabled: Some(false),
        ..PlanFields::default()
    };
    admin::set_plan(&console(&app), id, cleared).await.unwrap();

    assert_eq!(after.country.as_deref(), Some("DE"));
    let me = app.me().await.json();
    assert_eq!(
        (&me["package"], &me["country"], &me["crypto_enabled"]),
        (&json!("unlimited"), &Value::Null, &json!(false)),
        "cached credentials were forgotten: {me}"
    );
    assert_eq!(
        merchant_lines(&app, id).await,
        vec![
            (
                OPERATOR,
                json!({ "package": "pro", "country": "NL" }),
                json!({ "package": "unlimited", "country": "DE" })
            ),
            (
                OPERATOR,
                json!({ "country": "DE", "crypto_enabled": true }),
                json!({ "country": null, "crypto_enabled": false })
            ),
        ]
    );
    app.stop().await;
}

/// `me.php`'s `card` method once `wanted` holds (the router polls).
async fn card_once(app: &TestApp, wanted: impl Fn(&Value) -> bool) -> Value {
    let mut card = Value::Null;
    for _ in 0..100 {
        card = app.me().await.json()["smart_router"]["methods"]["card"].clone();
        if wanted(&card) {
            return card;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("me.php never showed the change: {card}");
}

async fn provider_lists_change_what_the_router_offers_and_are_audited(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let id = app.merchant.id;
    let none: [&str; 0] = [];
    card_once(&app, |c| c["available"] == json!(true)).await;

    admin::set_provider_lists(&console(&app), id, &none, &["Sandbox"])
        .await
        .unwrap();
    let blocked = card_once(&app, |c| c["available"] == json!(false)).await;
    admin::set_provider_lists(&console(&app), id, &["moonpay"], &none)
        .await
        .unwrap();
    admin::set_provider_lists(&console(&app), id, &none, &none)
        .await
        .unwrap();
    card_once(&app, |c| c["available"] == json!(true)).await;

    assert_eq!(blocked["configured"], json!(true), "{blocked}");
    assert_eq!(
        merchant_lines(&app, id).await,
        vec![
            (
                OPERATOR,
                json!({ "block_providers": [] }),
                json!({ "block_providers": ["sandbox"] })
            ),
            (
                OPERATOR,
                json!({ "allow_providers": [], "block_providers": ["sandbox"] }),
                json!({ "allow_providers": ["moonpay"], "block_providers": [] })
            ),
            (
                OPERATOR,
                json!({ "allow_providers": ["moonpay"] }),
                json!({ "allow_providers": [] })
            ),
        ]
    );
    let routing = admin::detail(&routing_scope(&app.store), id).await.unwrap();
    assert!(routing.rules.allow_providers.is_empty());
    assert!(
        !app.store
            .live_routing()
            .await
            .unwrap()
            .config_json
            .unwrap()
            .contains(&format!("\"{id}\"")),
        "a merchant whose rules change nothing has no entry"
    );
    app.stop().await;
}

async fn bad_input_is_refused_by_name_and_stores_nothing(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let id = app.merchant.id;
    let c = console(&app);
    let none: [&str; 0] = [];

    let package = admin::set_plan(
        &c,
        id,
        PlanFields {
            package: Some("gold".into()),
            country: Some("DE".into()),
            ..PlanFields::default()
        },
    )
    .await
    .unwrap_err();
    let country = admin::set_plan(
        &c,
        id,
        PlanFields {
            country: Some("Holland".into()),
            ..PlanFields::default()
        },
    )
    .await
    .unwrap_err();
    let mode = admin::set_plan(
        &c,
        id,
        PlanFields {
            checkout_mode: Some("fast".into()),
            ..PlanFields::default()
        },
    )
    .await
    .unwrap_err();
    let provider = admin::set_provider_lists(&c, id, &["moonpay", "paypalx"], &none)
        .await
        .unwrap_err();
    let both = admin::set_provider_lists(&c, id, &["wert"], &["wert"])
        .await
        .unwrap_err();
    let partner = admin::set_partner_split(&c, id, Some(true))
        .await
        .unwrap_err();
    let missing = admin::set_disabled(&c, 999_999, true).await.unwrap_err();

    assert!(
        package
            .to_string()
            .contains("`gold` is not a package (free, pro or unlimited)"),
        "{package}"
    );
    assert!(
        matches!(country, AdminError::Merchant(MerchantError::Field(FieldError::Country(ref c))) if c == "Holland"),
        "{country}"
    );
    assert!(
        mode.to_string().contains("standard or smart_router"),
        "{mode}"
    );
    assert!(
        matches!(
            provider,
            AdminError::Routing(RoutingAdminError::MerchantRules(
                MerchantRulesError::UnknownProvider(ref p)
            )) if p == "paypalx"
        ),
        "{provider}"
    );
    assert!(both.to_string().contains("`wert` is on both"), "{both}");
    assert!(
        matches!(
            partner,
            AdminError::Routing(RoutingAdminError::PartnerNotConfigured)
        ),
        "{partner}"
    );
    assert!(
        matches!(
            missing,
            AdminError::Merchant(MerchantError::NotFound(999_999))
        ),
        "{missing}"
    );
    let merchant = app.store.merchant(id).await.unwrap().unwrap();
    assert_eq!(
        merchant.country.as_deref(),
        Some("NL"),
        "nothing was written"
    );
    assert_eq!(app.store.routing_version().await.unwrap(), 0);
    assert!(merchant_lines(&app, id).await.is_empty());
    app.stop().await;
}

async fn the_search_finds_merchants_by_id_email_domain_and_name_page_by_page(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let spec = |domain: &str| MerchantSpec {
        domains: vec![domain.to_string()],
        ..MerchantSpec::default()
    };
    let bakery = create_merchant(&app.store, spec("bakery-berlin.example")).await;
    let florist = create_merchant(&app.store, spec("florist.example")).await;
    let named = MerchantUpdate {
        display_name: Some(Some(
            kassa::domain::branding::DisplayName::parse("Blumen Müller").unwrap(),
        )),
        email: Some("Owner_100%@Florist.example".to_lowercase()),
        ..MerchantUpdate::default()
    };
    app.store
        .update_merchant(florist.id, named, 0)
        .await
        .unwrap();
    let ids = |page: &admin::MerchantPage| -> Vec<i64> {
        page.rows.iter().map(|r| r.merchant.id).collect()
    };

    let by_domain = admin::search(&app.store, Some("BAKERY"), 1, 25)
        .await
        .unwrap();
    let by_name = admin::search(&app.store, Some("blumen"), 1, 25)
        .await
        .unwrap();
    let by_email = admin::search(&app.store, Some("_100%@"), 1, 25)
        .await
        .unwrap();
    let wildcard = admin::search(&app.store, Some("%"), 1, 25).await.unwrap();
    let by_id = admin::search(&app.store, Some(&bakery.id.to_string()), 1, 25)
        .await
        .unwrap();
    let first = admin::search(&app.store, None, 1, 2).await.unwrap();
    let second = admin::search(&app.store, Some("  "), 2, 2).await.unwrap();

    assert_eq!(ids(&by_domain), [bakery.id]);
    assert_eq!(ids(&by_name), [florist.id]);
    assert_eq!(ids(&by_email), [florist.id]);
    assert_eq!(ids(&wildcard), [florist.id], "`%` matches only itself");
    assert!(ids(&by_id).contains(&bakery.id));
    assert_eq!((first.total, first.pages()), (3, 2));
    assert_eq!(ids(&first), [florist.id, bakery.id], "newest first");
    assert_eq!(ids(&second), [app.merchant.id]);
    let row = &by_domain.rows[0];
    assert_eq!(row.merchant.domains, ["bakery-berlin.example"]);
    assert_eq!(row.created_at_ms, 0);
    app.stop().await;
}

async fn the_cli_switches_a_merchant_and_sets_its_providers_as_the_console_does(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let id = app.merchant.id.to_string();
    let env = [
        ("KASSA_DATABASE_URL", app.db.url.as_str()),
        ("KASSA_LOG", "error"),
    ];

    let off = kassa(&["merchant", "update", "--id", &id, "--disable"], &env).await;
    let bad = kassa(
        &[
            "merchant",
            "update",
            "--id",
            &id,
            "--enable",
            "--block-providers",
            "wert,nope",
        ],
        &env,
    )
    .await;
    let blocked = kassa(
        &[
            "merchant",
            "update",
            "--id",
            &id,
            "--block-providers",
            "wert, moonpay",
        ],
        &env,
    )
    .await;
    let listed = kassa(
        &["merchant", "list", "--json", "--search", "shop.example"],
        &env,
    )
    .await;
    let nothing = kassa(&["merchant", "list", "--json", "--search", "nowhere"], &env).await;

    assert!(off.status.success(), "{}", stderr(&off));
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("--block-providers: `nope` is not a provider"),
        "{}",
        stderr(&bad)
    );
    assert!(blocked.status.success(), "{}", stderr(&blocked));
    let rules = admin::detail(&routing_scope(&app.store), app.merchant.id)
        .await
        .unwrap()
        .rules;
    assert_eq!(
        rules
            .block_providers
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>(),
        ["moonpay", "wert"]
    );
    let list: Value = serde_json::from_str(stdout(&listed).trim()).unwrap();
    assert_eq!(list[0]["merchant_id"], json!(app.merchant.id));
    assert_eq!(list[0]["disabled"], json!(true));
    assert_eq!(stdout(&nothing).trim(), "[]");
    assert_eq!(
        merchant_lines(&app, app.merchant.id).await,
        vec![
            (
                AuditActor::Cli,
                json!({ "disabled": false }),
                json!({ "disabled": true })
            ),
            (
                AuditActor::Cli,
                json!({ "block_providers": [] }),
                json!({ "block_providers": ["moonpay", "wert"] })
            ),
        ],
        "one line each; the refused command wrote nothing"
    );
    app.stop().await;
}

async fn a_merchant_s_partner_split_is_audited_and_survives_an_export_and_import(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let id = app.merchant.id;
    let scope = routing_scope(&app.store);
    for (name, value) in [
        (
            CredentialName::PartnerCheckoutUrl,
            "https://reseller.example/checkout",
        ),
        (CredentialName::PartnerId, "partner-0123456789"),
    ] {
        let value = CredentialValue::parse(name, value).unwrap();
        routing_admin::set_credential(&scope, AuditActor::Cli, 1, name, value)
            .await
            .unwrap();
    }

    admin::set_partner_split(&console(&app), id, Some(true))
        .await
        .unwrap();
    let exported = routing_admin::export(&scope).await.unwrap();
    routing_admin::import(&scope, AuditActor::Cli, 2, &exported)
        .await
        .unwrap();

    assert!(
        exported.contains(&format!("[merchants.{id}]"))
            && exported.contains("partner_split = true"),
        "{exported}"
    );
    let detail = admin::detail(&scope, id).await.unwrap();
    assert_eq!(detail.rules.partner_split, Some(true));
    assert!(detail.partner_split() && !detail.partner_split_global);
    assert_eq!(
        merchant_lines(&app, id).await,
        vec![(
            OPERATOR,
            json!({ "partner_split": null }),
            json!({ "partner_split": true })
        )]
    );
    app.stop().await;
}

on_both_backends!(
    a_merchant_s_partner_split_is_audited_and_survives_an_export_and_import,
    a_disabled_merchant_is_refused_on_its_very_next_call_and_works_again_when_enabled,
    a_plan_change_is_audited_with_only_what_changed_and_shows_at_once,
    provider_lists_change_what_the_router_offers_and_are_audited,
    bad_input_is_refused_by_name_and_stores_nothing,
    the_search_finds_merchants_by_id_email_domain_and_name_page_by_page,
    the_cli_switches_a_merchant_and_sets_its_providers_as_the_console_does,
);
