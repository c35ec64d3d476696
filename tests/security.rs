//! Browser security over HTTP: every HTML page family sends its CSP (with
//! `frame-ancestors`), `nosniff`, a `Referrer-Policy`, and HSTS in live
//! mode only; hostile `return_url` / `cancel_url` values never send a
//! customer anywhere but the session's own stored URLs; and an API key, a
//! webhook secret and a merchant password never appear in the server's
//! log, its `/metrics` or any error body.

use kassa::app::links::{self, LinkInput};
use kassa::clock::Clock;
use kassa::domain::https_url::HttpsUrl;
use serde_json::json;

use crate::contract::Served;
use crate::helpers::{
    Answer, Backend, TestApp, go_live, kassa_with_stdin, order, read, spawn_app, spawn_app_with,
};

/// A client that shows redirects instead of following them.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// `fields` as an `application/x-www-form-urlencoded` body.
fn form(fields: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

async fn page(app: &TestApp, path: &str) -> Answer {
    read(no_redirects().get(app.url(path)).send().await.unwrap()).await
}

/// One page of each HTML family: checkout (a page and its error page),
/// crypto checkout, dashboard login, admin login, a payment link and an
/// unknown link.
async fn html_pages(app: &TestApp) -> Vec<(String, Answer)> {
    let id = app.new_session("HEADERS").await;
    let now = app.clock.now_ms();
    let input = LinkInput {
        title: "Gift card".into(),
        amount: "25.00".into(),
        currency: "EUR".into(),
        active: true,
        ..LinkInput::default()
    };
    let link = links::create(
        &app.store,
        &crate::storefront::rules(),
        app.merchant.id,
        &input,
        now,
    )
    .await
    .unwrap();
    let paths = [
        format!("/pay.php?session={id}"),
        format!("/pay.php?session={id}&lang=nl"),
        "/pay.php?session=999999".to_string(),
        format!("/crypto.php?session={id}"),
        "/dashboard/login".to_string(),
        "/dashboard/signup".to_string(),
        "/admin/login".to_string(),
        format!("/l/{}", link.slug),
        "/l/no-such-link".to_string(),
    ];
    let mut out = Vec::new();
    for path in paths {
        let answer = page(app, &path).await;
        out.push((path, answer));
    }
    out
}

fn header<'a>(answer: &'a Answer, name: &str) -> Option<&'a str> {
    answer.headers.get(name).and_then(|v| v.to_str().ok())
}

#[actix_web::test]
async fn every_html_page_family_sends_the_browser_security_headers_and_hsts_when_live() {
    let Some(live) = spawn_app_with(Backend::Sqlite, go_live).await else {
        return;
    };
    let Some(sandbox) = spawn_app(Backend::Sqlite).await else {
        return;
    };

    let live_pages = html_pages(&live).await;
    let sandbox_pages = html_pages(&sandbox).await;

    for (path, answer) in live_pages.iter().chain(&sandbox_pages) {
        let content_type = header(answer, "content-type").unwrap_or_default();
        assert!(
            content_type.starts_with("text/html"),
            "{path}: {content_type} {}",
            answer.status
        );
        let csp = header(answer, "content-security-policy").unwrap_or_default();
        assert!(csp.contains("frame-ancestors "), "{path}: CSP {csp:?}");
        assert!(csp.contains("default-src 'none'"), "{path}: CSP {csp:?}");
        assert_eq!(
            header(answer, "x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        let referrer = header(answer, "referrer-policy").unwrap_or_default();
        assert!(
            ["no-referrer", "same-origin"].contains(&referrer),
            "{path}: {referrer:?}"
        );
    }
    for (path, answer) in &live_pages {
        let hsts = header(answer, "strict-transport-security").unwrap_or_default();
        assert!(
            hsts.starts_with("max-age=31536000"),
            "{path} (live): {hsts:?}"
        );
    }
    for (path, answer) in &sandbox_pages {
        assert_eq!(
            header(answer, "strict-transport-security"),
            None,
            "{path} (sandbox over http)"
        );
    }
    let api = live.me().await;
    assert!(
        header(&api, "strict-transport-security").is_some(),
        "the API too, when live"
    );
    live.stop().await;
    sandbox.stop().await;
}

/// Thirty ways to try to send a customer elsewhere.
const HOSTILE: [&str; 30] = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/phish",
    "\\\\evil.example\\phish",
    "/\\evil.example",
    "https:evil.example",
    "https:/evil.example",
    "https:///evil.example",
    "https:\\\\evil.example",
    "http://shop.example/thank-you",
    "ftp://shop.example/",
    "https://shop.example.evil.com/thank-you",
    "https://shop.example@evil.example/",
    "https://shop.example:443@evil.example/",
    "https://evil.example#@shop.example",
    "https://evil.example?.shop.example",
    "https://shop.example/\r\nSet-Cookie: a=b",
    "https://shop.example/%0d%0aLocation:%20https://evil.example",
    "https://shop.example/\u{0}x",
    "https://ѕһор.example/",
    "https://shop\u{3002}example/",
    "https://shop.example\u{202e}lmth.evil/",
    "\u{feff}https://evil.example/",
    "https://[::1]/",
    "https://127.0.0.1:8080/admin",
    "",
];

#[actix_web::test]
async fn hostile_return_and_cancel_urls_never_lead_off_the_sessions_own_urls() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let mut off_target = Vec::new();
    let mut kept = 0;

    for (n, hostile) in HOSTILE.iter().enumerate() {
        let mut body = order(&format!("HOSTILE-{n}"));
        body["return_url"] = json!(hostile);
        body["cancel_url"] = json!(hostile);
        let created = app.create_session(&body).await;
        assert_eq!(created.status, 200, "{hostile:?}: {}", created.text);
        let id = created.json()["session_id"].as_i64().unwrap();
        let stored = app.store.session(id).await.unwrap().unwrap();
        for url in [&stored.return_url, &stored.cancel_url]
            .into_iter()
            .flatten()
        {
            // Only a full https URL is kept, and only in its normalised form.
            assert_eq!(
                HttpsUrl::parse(url).map(|u| u.to_string()).as_deref(),
                Some(url.as_str())
            );
            assert!(!url.chars().any(char::is_control), "{url:?}");
            kept += 1;
        }
        let checkout = page(&app, &format!("/pay.php?session={id}")).await;
        assert!(!checkout.text.contains("javascript:") && !checkout.text.contains("data:text"));
        let token = checkout
            .text
            .split("name=\"token\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("{hostile:?}: no cancel form"))
            .to_string();

        let left = read(
            no_redirects()
                .post(app.url("/pay/cancel"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(&[
                    ("session", &id.to_string()),
                    ("token", &token),
                    ("cancel_url", "https://evil.example/"),
                ]))
                .send()
                .await
                .unwrap(),
        )
        .await;

        assert_eq!(left.status, 303, "{hostile:?}");
        let location = header(&left, "location").unwrap_or_default().to_string();
        let own_page = format!("/pay.php?session={id}");
        if Some(&location) != stored.cancel_url.as_ref() && location != own_page {
            off_target.push((hostile, location));
        }
    }

    assert_eq!(
        off_target,
        Vec::<(&&str, String)>::new(),
        "redirects off the session's URLs"
    );
    // Look-alike hosts that are full https URLs are the merchant's own
    // choice and kept (so some redirects did go to a stored URL); the
    // schemes, relative forms and broken ones were all dropped.
    assert!(kept > 0 && kept < 2 * HOSTILE.len(), "{kept} URLs kept");
    app.stop().await;
}

#[actix_web::test]
async fn secrets_never_reach_the_log_the_metrics_or_an_error_body() {
    let Some(served) = Served::start(Backend::Sqlite, &[("KASSA_LOG", "debug")]).await else {
        return;
    };
    let key = served.merchant.api_key.clone();
    let webhook_secret = served.merchant.webhook_secret.clone();
    let password = "leak-canary-password-7Qx9";
    let set = kassa_with_stdin(
        &[
            "merchant",
            "set-password",
            "--id",
            &served.merchant.id.to_string(),
        ],
        &[
            ("KASSA_DATABASE_URL", &served.db_url),
            ("KASSA_DATA_DIR", served.data.path().to_str().unwrap()),
        ],
        &format!("{password}\n"),
    )
    .await;
    assert!(set.status.success(), "{}", crate::helpers::stderr(&set));
    let client = no_redirects();
    let url = |path: &str| format!("{}{path}", served.base);
    let mut bodies = Vec::new();
    let me = read(
        client
            .get(url("/gateway/me.php"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let email = me.json()["email"].as_str().unwrap().to_string();

    // API traffic: good and bad keys, good and bad bodies, both headers.
    for (n, auth) in [
        format!("Bearer {key}"),
        format!("Bearer {key}x"),
        format!("Basic {key}"),
    ]
    .iter()
    .enumerate()
    {
        let created = read(
            client
                .post(url("/gateway/session.php"))
                .header("authorization", auth)
                .json(&order(&format!("LEAK-{n}")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        bodies.push(created.text);
    }
    for (key_header, query) in [
        (key.clone(), "session_id=1"),
        (format!("{key}{key}"), "order_id=LEAK-0"),
        (key.to_uppercase(), ""),
    ] {
        let status = read(
            client
                .get(url(&format!("/gateway/session_status.php?{query}")))
                .header("x-api-key", key_header)
                .send()
                .await
                .unwrap(),
        )
        .await;
        bodies.push(status.text);
    }
    let bad_body = read(
        client
            .post(url("/gateway/session.php"))
            .bearer_auth(&key)
            .body(format!(
                "{{\"domain\":\"{webhook_secret}\",\"meta\":\"{password}\"}}"
            ))
            .send()
            .await
            .unwrap(),
    )
    .await;
    bodies.push(bad_body.text);
    // Dashboard: a wrong password, then the right one.
    for attempt in [format!("{password}-wrong"), password.to_string()] {
        let login = read(client.get(url("/dashboard/login")).send().await.unwrap()).await;
        let cookie = login
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|c| c.to_str().ok()?.split(';').next().map(str::to_string))
            .collect::<Vec<_>>()
            .join("; ");
        let csrf = login
            .text
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_string();
        let submitted = read(
            client
                .post(url("/dashboard/login"))
                .header("cookie", cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(&[
                    ("csrf", &csrf),
                    ("email", &email),
                    ("password", &attempt),
                ]))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(
            submitted.status == 303 || attempt != password,
            "the right password logs in: {} {}",
            submitted.status,
            submitted.text
        );
        bodies.push(submitted.text);
    }
    let metrics = read(client.get(url("/metrics")).send().await.unwrap())
        .await
        .text;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let log = served.log_text();

    assert!(
        log.contains("request"),
        "the log was written: {} bytes",
        log.len()
    );
    // Its last 20 characters are random secret material (the prefix before
    // them is shown in the dashboard and may be logged).
    let secret_part = key[key.len() - 20..].to_string();
    let haystacks = [
        ("log", log),
        ("metrics", metrics),
        ("error bodies", bodies.join("\n")),
    ];
    for (what, text) in &haystacks {
        for (name, secret) in [
            ("API key", key.as_str()),
            ("API key secret part", secret_part.as_str()),
            ("webhook secret", webhook_secret.as_str()),
            ("password", password),
        ] {
            assert!(!text.contains(secret), "the {name} appears in the {what}");
        }
    }
}
