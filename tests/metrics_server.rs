//! `kassa serve` in sandbox mode as a child process, for tests that read
//! `/metrics`: the Prometheus recorder is process-wide, so figures of an
//! in-process app would mix with every other test's. Also a small reader of
//! the Prometheus text format.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use kassa::store::merchants::MerchantUpdate;
use serde_json::{Value, json};

use crate::helpers::{
    Answer, Backend, MerchantSpec, TestDb, TestMerchant, create_merchant, open_store, order, read,
};
use crate::single_node::{Node, install_crypto};

/// A sandbox gateway in its own process, with one merchant.
pub struct Server {
    // Dropped first: the server stops before its folder and database go.
    _node: Node,
    pub base: String,
    pub merchant: TestMerchant,
    client: reqwest::Client,
    _db: TestDb,
    _data: tempfile::TempDir,
}

impl Server {
    /// Starts `kassa serve` on a fresh SQLite database on a free port, and
    /// waits until it answers. Payouts step every 100 ms.
    pub async fn start() -> Server {
        Self::start_on(Backend::Sqlite)
            .await
            .expect("SQLite is always there")
    }

    /// `start` on `backend`; `None` when the backend is skipped.
    pub async fn start_on(backend: Backend) -> Option<Server> {
        Self::launch(backend, None).await
    }

    /// `start`, with the merchant's webhooks sent to `url` (loopback allowed).
    pub async fn start_with_webhooks_to(url: &str) -> Server {
        Self::launch(Backend::Sqlite, Some(url))
            .await
            .expect("SQLite is always there")
    }

    async fn launch(backend: Backend, webhook_url: Option<&str>) -> Option<Server> {
        install_crypto();
        let client = reqwest::Client::new();
        let db = TestDb::new(backend).await?;
        let store = open_store(&db).await;
        let merchant = create_merchant(&store, MerchantSpec::default()).await;
        if let Some(url) = webhook_url {
            let update = MerchantUpdate {
                webhook_url: Some(url.to_string()),
                ..MerchantUpdate::default()
            };
            assert!(store.update_merchant(merchant.id, update, 0).await.unwrap());
        }
        let data = tempfile::tempdir().unwrap();
        let allow_private = webhook_url.is_some().to_string();
        let extra = [
            ("KASSA_PAYOUT_POLL_MS", "100"),
            ("KASSA_LOG", "error"),
            ("KASSA_WEBHOOK_ALLOW_PRIVATE", allow_private.as_str()),
        ];
        let node = Node::start_with(&db.url, data.path(), data.path(), &extra).await;
        let server = Server {
            base: node.base.clone(),
            _node: node,
            merchant,
            client,
            _db: db,
            _data: data,
        };
        Some(server)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `POST /gateway/session.php`; the new session's id.
    pub async fn new_session(&self, reference: &str) -> i64 {
        let answer = read(
            self.client
                .post(self.url("/gateway/session.php"))
                .bearer_auth(&self.merchant.api_key)
                .json(&order(reference))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        answer.json()["session_id"].as_i64().unwrap()
    }

    /// `POST /sandbox/pay` for `session_id`, rehearsing `simulate`.
    pub async fn pay(&self, session_id: i64, simulate: &str) -> Answer {
        let body: Value = json!({ "session_id": session_id, "simulate": simulate });
        read(
            self.client
                .post(self.url("/sandbox/pay"))
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// One scrape of `/metrics`.
    pub async fn scrape(&self) -> Scrape {
        let answer = read(self.client.get(self.url("/metrics")).send().await.unwrap()).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        Scrape::parse(&answer.text)
    }

    /// Scrapes until `done` holds, failing after `within`.
    pub async fn scrape_until(&self, within: Duration, done: impl Fn(&Scrape) -> bool) -> Scrape {
        let deadline = Instant::now() + within;
        loop {
            let scrape = self.scrape().await;
            if done(&scrape) {
                return scrape;
            }
            assert!(
                Instant::now() < deadline,
                "not reached within {within:?}:\n{}",
                scrape.text
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A scrape: every sample by name and labels, and each family's type.
#[derive(Debug)]
pub struct Scrape {
    pub text: String,
    /// `name` → (sorted `label="value"` pairs joined by commas → value).
    samples: BTreeMap<String, BTreeMap<String, f64>>,
    /// Family name → `counter`, `gauge`, `histogram`… from `# TYPE` lines.
    pub types: BTreeMap<String, String>,
}

impl Scrape {
    pub fn parse(text: &str) -> Scrape {
        let mut samples: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
        let mut types = BTreeMap::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').unwrap();
                types.insert(name.to_string(), kind.to_string());
                continue;
            }
            if line.starts_with('#') {
                continue;
            }
            let (series, value) = line.rsplit_once(' ').unwrap();
            let value: f64 = value
                .parse()
                .unwrap_or_else(|_| panic!("bad value: {line}"));
            let (name, labels) = match series.split_once('{') {
                Some((name, labels)) => (name, canonical(labels.trim_end_matches('}'))),
                None => (series, String::new()),
            };
            samples
                .entry(name.to_string())
                .or_default()
                .insert(labels, value);
        }
        Scrape {
            text: text.to_string(),
            samples,
            types,
        }
    }

    /// The value of `name` with exactly `labels`, if the series exists.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let key = canonical(
            &labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{v}\""))
                .collect::<Vec<_>>()
                .join(","),
        );
        self.samples.get(name)?.get(&key).copied()
    }

    /// `value` for a series that must exist.
    pub fn must(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.value(name, labels)
            .unwrap_or_else(|| panic!("no series {name}{labels:?} in:\n{}", self.text))
    }

    /// Whether `name` (a family, or a histogram's `_bucket`, `_sum` or
    /// `_count` series) is on the page.
    pub fn names(&self, name: &str) -> bool {
        if self.types.contains_key(name) {
            return true;
        }
        ["_bucket", "_sum", "_count"].iter().any(|suffix| {
            name.strip_suffix(suffix)
                .is_some_and(|family| self.types.get(family).is_some_and(|t| t == "histogram"))
        })
    }
}

/// Labels in a fixed order, so `{b="2",a="1"}` and `{a="1",b="2"}` match.
fn canonical(labels: &str) -> String {
    let mut pairs: Vec<&str> = labels.split(',').filter(|p| !p.is_empty()).collect();
    pairs.sort_unstable();
    pairs.join(",")
}

/// Every `kassa_…` metric name mentioned in `text` (PromQL, JSON, YAML).
pub fn metric_names_in(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("kassa_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        let before = rest[..at].chars().last();
        if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            names.insert(tail[..end].to_string());
        }
        rest = &tail[end..];
    }
    names
}

#[test]
fn the_scrape_reader_matches_labels_in_any_order_and_knows_histogram_series() {
    let scrape = Scrape::parse(
        "# TYPE kassa_x counter\nkassa_x{b=\"2\",a=\"1\"} 3\n# TYPE kassa_h histogram\nkassa_h_bucket{le=\"+Inf\"} 4\nkassa_h_count 4\n",
    );

    assert_eq!(
        scrape.value("kassa_x", &[("a", "1"), ("b", "2")]),
        Some(3.0)
    );
    assert_eq!(scrape.value("kassa_x", &[("a", "1")]), None);
    assert!(scrape.names("kassa_h_bucket") && scrape.names("kassa_h"));
    assert!(!scrape.names("kassa_x_bucket"));
    assert_eq!(
        metric_names_in("rate(kassa_a_total[5m]) / kassa_b{x=\"y\"} + my_kassa_c"),
        ["kassa_a_total", "kassa_b"]
            .into_iter()
            .map(String::from)
            .collect()
    );
}
