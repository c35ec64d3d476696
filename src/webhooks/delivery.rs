//! One signed webhook delivery over the SSRF-safe client: the exact body,
//! both signature schemes, no redirects, a timeout, and what came back.

use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER, USER_AGENT};
use serde_json::{Map, Value};

use super::ssrf::{GuardedResolver, TargetError};
use crate::domain::signature;

/// How much of a response body is kept with the attempt.
const SNIPPET_BYTES: usize = 512;

/// What one attempt found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptOutcome {
    pub http_status: Option<u16>,
    pub latency: Duration,
    pub error: Option<String>,
    pub snippet: Option<String>,
    pub retry_after: Option<Duration>,
}

impl AttemptOutcome {
    pub fn succeeded(&self) -> bool {
        self.http_status.is_some_and(|s| (200..300).contains(&s))
    }

    pub fn gone(&self) -> bool {
        self.http_status == Some(410)
    }

    /// A short label for metrics.
    pub fn label(&self) -> &'static str {
        match self.http_status {
            Some(s) if (200..300).contains(&s) => "success",
            Some(410) => "gone",
            Some(_) => "http_error",
            None if self
                .error
                .as_deref()
                .is_some_and(|e| e.contains("timed out")) =>
            {
                "timeout"
            }
            None if self
                .error
                .as_deref()
                .is_some_and(|e| e.contains("refused target")) =>
            {
                "blocked"
            }
            None => "network_error",
        }
    }
}

/// The body as sent: the stored payload with `sent_at` placed after `expires_at`.
pub fn body_with_sent_at(payload: &str, sent_at: &str) -> String {
    let Ok(Value::Object(stored)) = serde_json::from_str::<Value>(payload) else {
        return payload.to_string();
    };
    let mut out = Map::with_capacity(stored.len() + 1);
    let mut placed = false;
    for (k, v) in stored {
        let after = k == "expires_at";
        out.insert(k, v);
        if after {
            out.insert("sent_at".into(), Value::String(sent_at.to_string()));
            placed = true;
        }
    }
    if !placed {
        out.insert("sent_at".into(), Value::String(sent_at.to_string()));
    }
    Value::Object(out).to_string()
}

/// A URL for the attempt log without its query string (it may carry tokens).
pub fn redact_query(url: &str) -> String {
    match url.split_once('?') {
        Some((base, _)) => format!("{base}?…"),
        None => url.to_string(),
    }
}

/// The HTTP client every delivery goes through.
#[derive(Debug, Clone)]
pub struct Deliverer {
    client: reqwest::Client,
    allow_private: bool,
    https_only: bool,
}

impl Deliverer {
    /// `per_endpoint` is the sender's concurrency cap per endpoint: that many
    /// connections to one receiver are kept open between bursts, so a busy
    /// endpoint is not re-dialled for most deliveries.
    pub fn new(
        timeout: Duration,
        allow_private: bool,
        https_only: bool,
        per_endpoint: usize,
    ) -> anyhow::Result<Deliverer> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .dns_resolver(std::sync::Arc::new(GuardedResolver { allow_private }))
            .user_agent(concat!("Kassa-Webhooks/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(per_endpoint.max(1))
            .build()?;
        Ok(Deliverer {
            client,
            allow_private,
            https_only,
        })
    }

    /// Checks the URL's form and, for literal IPs, the address (names are
    /// checked by the resolver at connect time).
    pub fn precheck(&self, url: &str) -> Result<(), TargetError> {
        super::ssrf::check_literal(url, self.https_only, self.allow_private)
    }

    /// POSTs `body` to `url`, signed with `secrets` (the first keys `X-Signature`).
    pub async fn send(
        &self,
        url: &str,
        event_id: &str,
        timestamp: i64,
        body: &str,
        secrets: &[&str],
    ) -> AttemptOutcome {
        let started = Instant::now();
        if let Err(e) = self.precheck(url) {
            return failure(started, format!("refused target: {e}"));
        }
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("Kassa-Webhooks/", env!("CARGO_PKG_VERSION"))),
        );
        if let Some(primary) = secrets.first() {
            insert(
                &mut headers,
                "x-signature",
                &signature::x_signature(primary, body.as_bytes()),
            );
            insert(
                &mut headers,
                "webhook-signature",
                &signature::standard_signature(secrets, event_id, timestamp, body.as_bytes()),
            );
        }
        insert(&mut headers, "webhook-id", event_id);
        insert(&mut headers, "webhook-timestamp", &timestamp.to_string());
        let request = self
            .client
            .post(url)
            .headers(headers)
            .body(body.to_string());
        match request.send().await {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                let mut snippet = Vec::new();
                while snippet.len() < SNIPPET_BYTES {
                    match response.chunk().await {
                        Ok(Some(chunk)) => snippet.extend_from_slice(
                            &chunk[..chunk.len().min(SNIPPET_BYTES - snippet.len())],
                        ),
                        _ => break,
                    }
                }
                AttemptOutcome {
                    http_status: Some(status),
                    latency: started.elapsed(),
                    error: None,
                    snippet: Some(String::from_utf8_lossy(&snippet).into_owned()),
                    retry_after,
                }
            }
            Err(e) => failure(started, describe(e)),
        }
    }
}

fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
    }
}

fn failure(started: Instant, error: String) -> AttemptOutcome {
    AttemptOutcome {
        http_status: None,
        latency: started.elapsed(),
        error: Some(error),
        snippet: None,
        retry_after: None,
    }
}

/// A reqwest error with its causes (e.g. the resolver's refusal), without the URL's query.
fn describe(e: reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".into();
    }
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        let part = s.to_string();
        if part.contains("private or reserved") {
            text = format!("refused target: {part}");
            break;
        }
        text.push_str(": ");
        text.push_str(&part);
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sent_at_goes_right_after_expires_at() {
        let body = body_with_sent_at(
            r#"{"event":"payment.session","expires_at":"x","meta":null}"#,
            "2026-01-01T00:00:00Z",
        );
        assert_eq!(
            body,
            r#"{"event":"payment.session","expires_at":"x","sent_at":"2026-01-01T00:00:00Z","meta":null}"#
        );
    }
}
