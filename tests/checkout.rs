//! The hosted checkout over plain HTTP: what the page shows and hides,
//! its safety headers, the 404 page, iDEAL for NL customers only, routing a
//! chosen method (and refusing a blocked override), the sandbox on-ramp,
//! the e-mail form, the states and the public status endpoint.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Answer, Backend, TestApp, go_live, order, read, spawn_app, spawn_app_with};

/// A client that shows redirects instead of following them.
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

pub async fn page(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut req = no_redirects().get(app.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    read(req.send().await.unwrap()).await
}

pub async fn post_form(app: &TestApp, path: &str, form: &[(&str, &str)]) -> Answer {
    read(
        no_redirects()
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(form)
                    .finish(),
            )
            .send()
            .await
            .unwrap(),
    )
    .await
}

pub fn header<'a>(a: &'a Answer, name: &str) -> &'a str {
    a.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[actix_web::test]
async fn the_checkout_shows_shop_amount_and_methods_and_hides_the_email() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let id = app.new_session("C1").await;

    let answer = page(&app, &format!("/pay.php?session={id}"), &[]).await;

    assert_eq!(answer.status, 200, "{}", answer.text);
    assert!(header(&answer, "content-type").starts_with("text/html"));
    let html = &answer.text;
    for expected in [
        "Test Shop",
        "shop.example",
        "79.00",
        "EUR",
        "data-method=\"card\"",
        "data-method=\"crypto\"",
        "action=\"/pay/cancel\"",
        "b•••r@example.com",
        "id=\"left\"",
    ] {
        assert!(html.contains(expected), "missing {expected}: {html}");
    }
    assert!(!html.contains("buyer@example.com"));
    assert!(!html.contains("@shop.example"), "no merchant e-mail");
    assert!(!html.contains("<script src"), "no external script");
    app.stop().await;
}

#[actix_web::test]
async fn every_page_sends_nosniff_referrer_policy_and_frame_ancestors() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let id = app.new_session("H1").await;

    for path in [
        format!("/pay.php?session={id}"),
        format!("/crypto.php?session={id}"),
        "/pay.php?session=424242".to_string(),
    ] {
        let a = page(&app, &path, &[]).await;
        assert_eq!(header(&a, "x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header(&a, "referrer-policy"), "no-referrer", "{path}");
        let csp = header(&a, "content-security-policy");
        assert!(csp.contains("frame-ancestors"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|r| r.split('\'').next())
            .unwrap();
        for tag in a.text.match_indices("<script") {
            assert!(
                a.text[tag.0..].starts_with(&format!("<script nonce=\"{nonce}\"")),
                "{path}: an inline script without the nonce"
            );
        }
    }
    let csp = header(
        &page(&app, &format!("/pay.php?session={id}"), &[]).await,
        "content-security-policy",
    )
    .to_string();
    assert!(
        csp.contains("frame-ancestors 'self' https://shop.example https://*.shop.example"),
        "{csp}"
    );
    app.stop().await;
}

#[actix_web::test]
async fn an_unknown_or_malformed_session_is_an_html_404_page() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };

    for path in [
        "/pay.php?session=987654321",
        "/pay.php?session=abc",
        "/pay.php",
        "/crypto.php?session=987654321",
    ] {
        let a = page(&app, path, &[("Accept-Language", "de-DE")]).await;
        assert_eq!(a.status, 404, "{path}");
        assert!(
            header(&a, "content-type").starts_with("text/html"),
            "{path}"
        );
        assert!(
            a.text.contains("Bezahlvorgang nicht gefunden"),
            "{path}: {}",
            a.text
        );
    }
    app.stop().await;
}

#[actix_web::test]
async fn ideal_is_offered_to_customers_from_nl_only() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let id = app.new_session("I1").await;
    let path = format!("/pay.php?session={id}");

    let dutch = page(&app, &path, &[("Accept-Language", "nl-NL,nl;q=0.9")]).await;
    let german_edge = page(
        &app,
        &path,
        &[("CF-IPCountry", "DE"), ("Accept-Language", "nl-NL")],
    )
    .await;
    let german = page(&app, &path, &[("Accept-Language", "de-DE")]).await;

    assert!(dutch.text.contains("data-method=\"ideal\""));
    assert!(!german_edge.text.contains("data-method=\"ideal\""));
    assert!(!german.text.contains("data-method=\"ideal\""));
    // The router agrees: a German customer asking for iDEAL is refused.
    let refused = page(
        &app,
        &format!("{path}&method=ideal"),
        &[("CF-IPCountry", "DE")],
    )
    .await;
    assert_eq!(refused.status, 403);
    assert!(refused.text.contains("country_not_eligible"));
    app.stop().await;
}

#[actix_web::test]
async fn a_chosen_method_goes_to_the_sandbox_onramp_which_pays_and_returns() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let mut body = order("P1");
    body["return_url"] = json!("https://shop.example/thank-you?order=1");
    let id = app.create_session(&body).await.json()["session_id"]
        .as_i64()
        .unwrap();

    let chosen = page(&app, &format!("/pay.php?session={id}&method=card"), &[]).await;
    assert_eq!(chosen.status, 303);
    let onramp = header(&chosen, "location").to_string();
    assert!(
        onramp.starts_with(&format!("{}/sandbox/onramp?session={id}&token=", app.base)),
        "{onramp}"
    );
    let token = url::Url::parse(&onramp)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "token")
        .unwrap()
        .1
        .into_owned();
    let shown = page(&app, onramp.trim_start_matches(&app.base), &[]).await;
    assert_eq!(shown.status, 200);
    assert!(shown.text.contains("id=\"pay\""));

    let paid = post_form(
        &app,
        "/sandbox/onramp",
        &[("session", &id.to_string()), ("token", &token)],
    )
    .await;

    assert_eq!(paid.status, 303);
    assert_eq!(header(&paid, "location"), format!("/pay.php?session={id}"));
    assert_eq!(app.session_status(id).await, "paid");
    let after = page(&app, &format!("/pay.php?session={id}"), &[]).await;
    assert!(after.text.contains("data-state=\"paid\""));
    let unescaped = after.text.replace("&#38;", "&").replace("&amp;", "&");
    assert!(
        unescaped.contains(&format!(
            "url=https://shop.example/thank-you?order=1&session_id={id}\""
        )),
        "{}",
        after.text
    );
    // A second click pays nothing more.
    post_form(
        &app,
        "/sandbox/onramp",
        &[("session", &id.to_string()), ("token", &token)],
    )
    .await;
    let status = app.status(&format!("session_id={id}")).await.json();
    assert_eq!(
        status["session"]["paid_value_coin"],
        status["session"]["expected_value_coin"]
    );
    app.stop().await;
}

#[actix_web::test]
async fn the_onramp_refuses_a_wrong_token_and_does_not_exist_in_live_mode() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let id = app.new_session("T1").await;

    let wrong = page(&app, &format!("/sandbox/onramp?session={id}&token=00"), &[]).await;
    let post = post_form(
        &app,
        "/sandbox/onramp",
        &[("session", &id.to_string()), ("token", "ab")],
    )
    .await;

    assert_eq!(wrong.status, 404);
    assert_eq!(post.status, 404);
    assert_eq!(app.session_status(id).await, "created");
    app.stop().await;

    let Some(live) = spawn_app_with(Backend::Sqlite, go_live).await else {
        return;
    };
    let id = live.new_session("T2").await;
    let token_free = page(
        &live,
        &format!("/sandbox/onramp?session={id}&token=00"),
        &[],
    )
    .await;
    assert_eq!(token_free.status, 404);
    let crypto = page(&live, &format!("/crypto.php?session={id}"), &[]).await;
    assert!(!crypto.text.contains("id=\"simulate\""));
    live.stop().await;
}

#[actix_web::test]
async fn a_blocked_provider_override_is_refused_and_nothing_else_is_picked() {
    let Some((app, _file, _dir)) = crate::helpers::spawn_app_with_routing_file("").await else {
        return;
    };
    let id = app.new_session("B1").await;
    crate::helpers::block_provider_for(&app, app.merchant.id, "sandbox").await;

    let mut refused = None;
    for _ in 0..100 {
        let a = page(
            &app,
            &format!("/pay.php?session={id}&method=card&provider=sandbox"),
            &[],
        )
        .await;
        if a.status != 303 {
            refused = Some(a);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let refused = refused.expect("the block list takes effect");
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert!(header(&refused, "location").is_empty());
    assert!(
        refused.text.contains("blocked_for_merchant"),
        "{}",
        refused.text
    );
    assert!(refused.text.contains(&format!("/pay.php?session={id}")));
    let unknown = page(
        &app,
        &format!("/pay.php?session={id}&provider=nonsense"),
        &[],
    )
    .await;
    assert_eq!(unknown.status, 400);
    app.stop().await;
}

#[actix_web::test]
async fn a_provider_that_wants_an_email_gets_the_form_first() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("routing.toml");
    std::fs::write(&file, "[methods]\ncard = [\"transak\"]\n").unwrap();
    let path = file.display().to_string();
    let Some(app) = spawn_app_with(Backend::Sqlite, |s| {
        s.routing_file = Some(path);
        s.onramp.transak_api_key = Some("test-key".into());
    })
    .await
    else {
        return;
    };
    let mut body = order("E1");
    body.as_object_mut().unwrap().remove("customer_email");
    let id = app.create_session(&body).await.json()["session_id"]
        .as_i64()
        .unwrap();
    let path = format!("/pay.php?session={id}&method=card");

    let form = page(&app, &path, &[]).await;
    let bad = post_form(&app, &path, &[("email", "not-an-address")]).await;
    let good = post_form(&app, &path, &[("email", "jane@example.com")]).await;

    assert_eq!(form.status, 200);
    assert!(form.text.contains("type=\"email\""), "{}", form.text);
    assert_eq!(bad.status, 422);
    assert_eq!(good.status, 303);
    let location = header(&good, "location");
    assert!(location.contains("transak"), "{location}");
    assert!(location.contains("jane%40example.com"), "{location}");
    app.stop().await;
}

#[actix_web::test]
async fn expired_underpaid_and_pending_sessions_show_their_own_state() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let expired = app.new_session("S1").await;
    let underpaid = app.new_session("S2").await;
    app.sandbox_pay(json!({"session_id": underpaid, "simulate": "underpaid"}))
        .await;

    let part = page(&app, &format!("/pay.php?session={underpaid}"), &[]).await;
    assert!(part.text.contains("data-state=\"underpaid\""));
    assert!(part.text.contains("id=\"remaining\""));
    let rest = app.status(&format!("session_id={underpaid}")).await.json()["session"]["remaining_value_coin"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        part.text.contains(&format!("{rest} USDC")),
        "{rest}: {}",
        part.text
    );

    app.clock.advance(Duration::from_secs(16 * 60));
    let gone = page(&app, &format!("/pay.php?session={expired}"), &[]).await;
    assert!(gone.text.contains("data-state=\"expired\""));
    assert!(!gone.text.contains("data-method=\"card\""));
    app.stop().await;
}

#[actix_web::test]
async fn the_status_endpoint_answers_only_status_and_remaining() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let id = app.new_session("J1").await;

    let open = page(&app, &format!("/pay/status.json?session={id}"), &[]).await;
    app.sandbox_pay(json!({"session_id": id})).await;
    let paid = page(&app, &format!("/pay/status.json?session={id}"), &[]).await;
    let missing = page(&app, "/pay/status.json?session=5", &[]).await;

    assert_eq!(open.status, 200);
    let open = open.json();
    let keys: Vec<&String> = open.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["status", "remaining"]);
    assert_eq!(open["status"], json!("created"));
    assert_eq!(paid.json(), json!({"status": "paid", "remaining": "0.00"}));
    assert_eq!(header(&paid, "x-content-type-options"), "nosniff");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"], Value::from("session_not_found"));
    app.stop().await;
}

#[actix_web::test]
async fn the_crypto_screen_shows_the_usdc_request_with_its_qr_code() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let created = app.create_session(&order("Q1")).await.json();
    let id = created["session_id"].as_i64().unwrap();
    let address = created["polygon_address_in"].as_str().unwrap();

    let a = page(&app, &format!("/crypto.php?session={id}&lang=nl"), &[]).await;

    assert_eq!(a.status, 200);
    assert!(a.text.contains(address));
    assert!(a.text.contains("<svg"));
    assert!(a.text.contains("Polygon") && a.text.contains("USDC"));
    assert!(
        a.text.contains(&format!(
            "{} USDC",
            created["amount_usdc"].as_str().unwrap().replace('.', ",")
        )),
        "{}",
        a.text
    );
    assert!(a.text.contains("Betaling simuleren"));
    assert!(a.text.contains("lang=\"nl\""));
    app.stop().await;
}

#[actix_web::test]
async fn the_checkout_and_crypto_pages_weigh_under_50_kb() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let id = app.new_session("W1").await;

    let pay = page(&app, &format!("/pay.php?session={id}"), &[]).await;
    let crypto = page(&app, &format!("/crypto.php?session={id}"), &[]).await;

    println!(
        "page weight: /pay.php {} bytes, /crypto.php {} bytes",
        pay.text.len(),
        crypto.text.len()
    );
    assert!(pay.text.len() < 50_000);
    assert!(crypto.text.len() < 50_000);
    app.stop().await;
}
