//! Browser journeys (fantoccini + chromedriver). NOT compiled yet: starting
//! Chromium from the full suite ended the development shell in this
//! environment (see the closing note of the session that wrote it); to be
//! re-enabled with `mod browser;` in tests/main.rs once that is understood
//! (and the dev-dependencies fantoccini 0.22, default features off, and
//! hyper-util 0.1 with client-legacy/http1/tokio restored in Cargo.toml).

//! The hosted pages in a real browser: headless Chromium driven over
//! WebDriver (chromedriver, started per test on a free port). Pays a card
//! session on the sandbox on-ramp and lands on the shop's return URL, pays
//! on the crypto screen, shows iDEAL to an NL customer only, speaks Dutch,
//! refuses a blocked provider override, and shows an expired session.
//! A screenshot of each page goes to `target/test-output/screenshots/`.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver`
//! (`apt-get install chromium chromium-driver`); skipped without them.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, order, spawn_app, spawn_app_with};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const WAIT: Duration = Duration::from_secs(20);

/// One browser at a time: the machine has two cores.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// chromedriver (killed with its browser on drop) and a WebDriver session.
struct Browser {
    client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // chromedriver leads its own process group (see `start`): end the
        // group, so the browser it started goes too.
        let _ = Command::new("kill")
            .args(["-TERM", &format!("-{}", self.driver.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    /// A fresh headless Chromium whose customer speaks `accept_language`;
    /// `None` (skipped) when Chromium or chromedriver is missing.
    async fn start(accept_language: &str) -> Option<Browser> {
        for program in [CHROMIUM, CHROMEDRIVER] {
            if !Path::new(program).exists() {
                crate::helpers::skip(&format!(
                    "{program} is missing (apt-get install chromium chromium-driver)"
                ));
                return None;
            }
        }
        let port = free_port();
        let mut command = Command::new(CHROMEDRIVER);
        command
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            command.process_group(0);
        }
        let driver = command.spawn().expect("chromedriver starts");
        let profile = tempfile::tempdir().unwrap();
        let caps: serde_json::Map<String, Value> = serde_json::from_value(json!({
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                    "--window-size=412,915",
                    format!("--lang={accept_language}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": { "intl.accept_languages": accept_language },
            }
        }))
        .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = None;
        for _ in 0..100 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Some(Browser {
                        client,
                        driver,
                        _profile: profile,
                    });
                }
                Err(e) => last_error = Some(e.to_string()),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start a session: {last_error:?}");
    }

    async fn open(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
    }

    async fn has(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    async fn text(&self, css: &str) -> String {
        self.wait_for(css).await.text().await.unwrap()
    }

    async fn click(&self, css: &str) {
        self.wait_for(css).await.click().await.unwrap();
    }

    async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        let dir = screenshots();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// Waits until the browser is at (or tried to reach) a URL starting with `prefix`.
    async fn wait_for_url(&self, prefix: &str) -> String {
        let mut seen = String::new();
        for _ in 0..(WAIT.as_millis() / 100) {
            seen = self.attempted_url().await;
            if seen.starts_with(prefix) {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the browser never went to {prefix}; it is at {seen}");
    }

    /// The current URL; on a network error page (the test shop's host does
    /// not resolve) the URL the browser tried to load.
    async fn attempted_url(&self) -> String {
        let current = self.client.current_url().await.unwrap().to_string();
        if !current.starts_with("chrome-error:") {
            return current;
        }
        let tried = self
            .client
            .execute(
                "return (performance.getEntriesByType('navigation')[0]||{}).name || document.URL",
                vec![],
            )
            .await
            .unwrap();
        tried.as_str().unwrap_or(&current).to_string()
    }

    async fn close(mut self) {
        let client = self.client.clone();
        let _ = client.close().await;
        let _ = self.driver.kill();
    }
}

fn screenshots() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-output/screenshots")
}

async fn created(app: &TestApp, body: &Value) -> Value {
    let answer = app.create_session(body).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json()
}

#[actix_web::test]
async fn a_customer_pays_by_card_on_the_sandbox_onramp_and_returns_to_the_shop() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(browser) = Browser::start("en-US,en").await else {
        return;
    };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let mut body = order("BR-1");
    body["return_url"] = json!("https://shop.example/thank-you?order=1");
    let session = created(&app, &body).await;
    let id = session["session_id"].as_i64().unwrap();

    browser
        .open(session["checkout_url"].as_str().unwrap())
        .await;
    assert!(browser.text("header h1").await.contains("Test Shop"));
    assert!(browser.text(".amount strong").await.contains("79.00"));
    browser.screenshot("checkout-open").await;
    browser.click("a[data-method=card]").await;
    browser.wait_for("#pay").await;
    assert!(
        browser
            .client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/sandbox/onramp")
    );
    browser.screenshot("sandbox-onramp").await;
    browser.click("#pay").await;
    browser.wait_for("#state[data-state=paid]").await;
    browser.screenshot("checkout-paid").await;

    let landed = browser.wait_for_url("https://shop.example/thank-you").await;

    assert_eq!(
        landed,
        format!("https://shop.example/thank-you?order=1&session_id={id}")
    );
    assert_eq!(app.session_status(id).await, "paid");
    browser.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn the_crypto_screen_shows_address_and_qr_and_turns_paid() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(browser) = Browser::start("en-US,en").await else {
        return;
    };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let session = created(&app, &order("BR-2")).await;
    let id = session["session_id"].as_i64().unwrap();

    browser
        .open(&app.url(&format!("/crypto.php?session={id}")))
        .await;
    assert_eq!(
        browser.text("#address").await,
        session["polygon_address_in"].as_str().unwrap()
    );
    assert!(browser.has(".qr svg").await);
    assert!(browser.text("#usdc-amount").await.contains("USDC"));
    browser.screenshot("crypto-open").await;
    // Paid elsewhere (the API): the open page notices by itself.
    app.sandbox_pay(json!({"session_id": id})).await;
    browser.wait_for("#state[data-state=paid]").await;
    browser.screenshot("crypto-paid").await;

    // A second session paid with the page's own "Simulate payment" button.
    let other = created(&app, &order("BR-3")).await;
    let other_id = other["session_id"].as_i64().unwrap();
    browser
        .open(&app.url(&format!("/crypto.php?session={other_id}")))
        .await;
    browser.click("#simulate").await;
    browser.wait_for("#state[data-state=paid]").await;
    assert_eq!(app.session_status(other_id).await, "paid");
    browser.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn a_dutch_customer_sees_ideal_and_dutch_and_a_german_one_no_ideal() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(dutch) = Browser::start("nl-NL,nl").await else {
        return;
    };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let id = app.new_session("BR-4").await;
    let checkout = app.url(&format!("/pay.php?session={id}"));

    dutch.open(&checkout).await;
    assert!(dutch.has("a[data-method=ideal]").await);
    assert_eq!(dutch.text("#choose").await, "Kies hoe je wilt betalen");
    dutch.screenshot("checkout-nl").await;
    dutch.close().await;

    let german = Browser::start("de-DE,de").await.unwrap();
    german.open(&checkout).await;
    german.wait_for("a[data-method=card]").await;
    assert!(!german.has("a[data-method=ideal]").await);
    assert_eq!(german.text("#choose").await, "Wählen Sie eine Zahlungsart");
    // The visible switch: the same page in English.
    german.click("footer a[hreflang=en]").await;
    german.wait_for("html[lang=en]").await;
    assert_eq!(german.text("#choose").await, "Choose how to pay");
    german.screenshot("checkout-de-switched-to-en").await;
    german.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn a_blocked_provider_override_shows_the_refusal_page() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(browser) = Browser::start("en-US,en").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("routing.toml");
    std::fs::write(&file, "").unwrap();
    let path = file.display().to_string();
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.routing_file = Some(path);
        s.routing_reload_ms = 100;
    })
    .await
    .unwrap();
    std::fs::write(
        &file,
        format!(
            "[merchants.{}]\nblock_providers = [\"sandbox\"]\n",
            app.merchant.id
        ),
    )
    .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let id = app.new_session("BR-5").await;

    browser
        .open(&app.url(&format!(
            "/pay.php?session={id}&method=card&provider=sandbox"
        )))
        .await;

    let error = browser.wait_for("#error").await;
    assert_eq!(
        error.attr("data-reason").await.unwrap().as_deref(),
        Some("blocked_for_merchant")
    );
    assert!(
        browser
            .client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/pay.php")
    );
    browser.screenshot("override-refused").await;
    browser.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn an_expired_session_shows_the_expired_state() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(browser) = Browser::start("en-US,en").await else {
        return;
    };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let id = app.new_session("BR-6").await;
    app.clock.advance(Duration::from_secs(16 * 60));

    browser
        .open(&app.url(&format!("/pay.php?session={id}")))
        .await;

    browser.wait_for("#state[data-state=expired]").await;
    assert!(!browser.has("a[data-method=card]").await);
    browser.screenshot("checkout-expired").await;
    browser.close().await;
    app.stop().await;
}
