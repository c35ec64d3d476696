//! One headless Chromium per test, driven through its own chromedriver on a
//! free port, kept off every network but loopback, and cleaned up without
//! signalling anything it did not start.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const WAIT: Duration = Duration::from_secs(20);

/// One browser at a time: the machine has two cores.
pub static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// chromedriver, the browser it started, and a WebDriver session.
pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        end_processes_using(self.profile.path());
    }
}

/// Ends the Chromium processes started with this (unique) profile folder:
/// found by their command line in /proc, signalled one by one by pid. Never
/// a process group or a negative pid, so nothing else can be hit.
fn end_processes_using(profile: &Path) {
    let needle = profile.display().to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<u32>().ok())
            .filter(|pid| *pid > 1 && *pid != std::process::id())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        if String::from_utf8_lossy(&cmdline).contains(&needle) {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .stderr(Stdio::null())
                .status();
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Where screenshots and the drivers' logs go.
pub fn output_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-output/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Browser {
    /// A fresh headless Chromium whose customer speaks `accept_language`;
    /// `None` (skipped) when Chromium or chromedriver is missing.
    pub async fn start(accept_language: &str) -> Option<Browser> {
        for program in [CHROMIUM, CHROMEDRIVER] {
            if !Path::new(program).exists() {
                crate::helpers::skip(&format!(
                    "{program} is missing (apt-get install chromium chromium-driver)"
                ));
                return None;
            }
        }
        let port = free_port();
        let log = output_dir().join("chromedriver.log");
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .arg("--append-log")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().unwrap();
        let caps = capabilities(accept_language, profile.path());
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
                        profile,
                    });
                }
                Err(e) => last_error = Some(e.to_string()),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start a session: {last_error:?}");
    }

    pub async fn open(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
    }

    /// Types `text` into the field `css` (focusing it first).
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.wait_for(css).await;
        field.click().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    pub async fn has(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    pub async fn text(&self, css: &str) -> String {
        self.wait_for(css).await.text().await.unwrap()
    }

    pub async fn click(&self, css: &str) {
        self.wait_for(css).await.click().await.unwrap();
    }

    /// Presses Tab until the focused element matches `css` (at most 30
    /// times), as a keyboard user would; `false` if it never gets focus.
    pub async fn tab_to(&self, css: &str) -> bool {
        for _ in 0..30 {
            let focused = self
                .client
                .execute(
                    "return document.activeElement ? document.activeElement.matches(arguments[0]) : false",
                    vec![json!(css)],
                )
                .await
                .unwrap();
            if focused == json!(true) {
                return true;
            }
            self.client
                .active_element()
                .await
                .unwrap()
                .send_keys(&fantoccini::key::Key::Tab.to_string())
                .await
                .unwrap();
        }
        false
    }

    /// Presses Enter on the focused element.
    pub async fn press_enter(&self) {
        self.client
            .active_element()
            .await
            .unwrap()
            .send_keys(&fantoccini::key::Key::Enter.to_string())
            .await
            .unwrap();
    }

    pub async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_string()
    }

    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot of {name}");
        std::fs::write(output_dir().join(format!("{name}.png")), png).unwrap();
    }

    /// Waits until the browser is at (or tried to reach) a URL starting with `prefix`.
    pub async fn wait_for_url(&self, prefix: &str) -> String {
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
    /// not resolve: see `capabilities`) the URL the browser tried to load.
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

    /// Ends the WebDriver session (Chromium quits), then chromedriver.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

/// Headless, phone-sized, in `accept_language`, with no background traffic:
/// every host name but the loopback address fails to resolve, so the test
/// shop's `https://shop.example/…` return URL ends on an error page whose URL
/// the test reads, and nothing leaves the machine.
fn capabilities(accept_language: &str, profile: &Path) -> serde_json::Map<String, Value> {
    serde_json::from_value(json!({
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-default-apps", "--no-pings",
                "--disable-domain-reliability", "--disable-client-side-phishing-detection",
                "--disable-dev-shm-usage", "--window-size=412,915",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                format!("--lang={accept_language}"),
                format!("--user-data-dir={}", profile.display()),
            ],
            "prefs": { "intl.accept_languages": accept_language },
        }
    }))
    .unwrap()
}
