//! `kassa webhooks list | resend | replay | dead | test`: the delivery log and
//! the operator's levers. Changes are picked up by the running server's
//! sender on its next tick; `test --now` delivers from here at once (the
//! same function the dashboard will call) and prints the answer.

use anyhow::{anyhow, bail};
use chrono::{NaiveDateTime, TimeZone, Utc};
use clap::Subcommand;

use crate::app::attention::levers;
use crate::app::merchants;
use crate::app::merchants::webhooks::{TEST_TIMEOUT, send_test_webhook_now};
use crate::clock::{Clock, SystemClock, format_doc_time};
use crate::config::{Mode, Settings};
use crate::store::Store;
use crate::webhooks::delivery::Deliverer;

#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Every event of a session and each delivery attempt.
    List { session_id: i64 },
    /// Queue one event again, now.
    Resend { event_id: String },
    /// Queue again a merchant's events created in a time range (after its outage).
    Replay {
        #[arg(long)]
        merchant: i64,
        /// `YYYY-MM-DD HH:MM:SS` or RFC 3339 (UTC).
        #[arg(long)]
        since: String,
        #[arg(long)]
        until: Option<String>,
    },
    /// Deliveries that gave up (dead letters).
    Dead {
        #[arg(long, default_value_t = 100)]
        limit: u64,
    },
    /// Send a test event (`status: test`, `session_id: 0`) to a merchant's endpoint.
    Test {
        #[arg(long)]
        merchant: i64,
        /// Deliver it from here, now, and print the answer (exit 1 unless 2xx),
        /// instead of queueing it for the server.
        #[arg(long)]
        now: bool,
    },
}

pub async fn run(cmd: WebhooksCommand, settings: &Settings) -> anyhow::Result<()> {
    let store = Store::connect(&settings.database).await?;
    store.migrate().await?;
    let now_ms = SystemClock.now_ms();
    match cmd {
        WebhooksCommand::List { session_id } => {
            let events = store.webhooks_of_session(session_id).await?;
            if events.is_empty() {
                println!("no webhook events for session {session_id}");
            }
            for (event, attempts) in events {
                println!(
                    "{}  #{} {:<10} {:<9} attempts={} created={}{}",
                    event.event_id,
                    event.sequence,
                    event.status,
                    event.state,
                    event.attempts,
                    format_doc_time(event.created_at),
                    event
                        .last_error
                        .map(|e| format!("  last_error={e}"))
                        .unwrap_or_default()
                );
                for a in attempts {
                    println!(
                        "    attempt {} at {}  {}  {} ms{}{}",
                        a.attempt,
                        format_doc_time(a.started_at),
                        a.http_status
                            .map(|s| format!("HTTP {s}"))
                            .unwrap_or_else(|| "no answer".into()),
                        a.latency_ms,
                        a.error.map(|e| format!("  error={e}")).unwrap_or_default(),
                        a.response_snippet
                            .filter(|s| !s.is_empty())
                            .map(|s| format!("  body={:.80}", s.replace('\n', " ")))
                            .unwrap_or_default()
                    );
                }
            }
        }
        WebhooksCommand::Resend { event_id } => {
            levers::resend_webhook(
                &store,
                &super::deposits::cli_requester(None),
                &event_id,
                now_ms,
            )
            .await?;
            println!("{event_id} queued");
        }
        WebhooksCommand::Replay {
            merchant,
            since,
            until,
        } => {
            let since_ms = parse_time(&since)?;
            let until_ms = until
                .as_deref()
                .map(parse_time)
                .transpose()?
                .unwrap_or(i64::MAX);
            let n = store
                .replay_webhooks(merchant, since_ms, until_ms, now_ms)
                .await?;
            println!("{n} event(s) of merchant {merchant} queued again");
        }
        WebhooksCommand::Dead { limit } => {
            for e in store.dead_webhooks(limit).await? {
                println!(
                    "{}  session={} merchant={} status={} attempts={} last_error={}",
                    e.event_id,
                    e.session_id,
                    e.merchant_id,
                    e.status,
                    e.attempts,
                    e.last_error.unwrap_or_default()
                );
            }
        }
        WebhooksCommand::Test {
            merchant,
            now: true,
        } => {
            let deliverer = Deliverer::new(
                settings.webhook_timeout,
                settings.webhook_allow_private,
                settings.mode == Mode::Live,
                1,
            )?;
            let sent = send_test_webhook_now(&store, &deliverer, merchant, TEST_TIMEOUT, now_ms)
                .await
                .map_err(super::merchant::refusal)?;
            let answer = match (sent.http_status, &sent.error) {
                (Some(status), _) => format!("HTTP {status}"),
                (None, Some(error)) => error.clone(),
                (None, None) => "no answer".to_string(),
            };
            let line = format!(
                "test event {} to {}: {answer} in {} ms",
                sent.event_id, sent.url, sent.latency_ms
            );
            if !sent.delivered {
                bail!("{line} (not delivered)");
            }
            println!("{line}");
        }
        WebhooksCommand::Test {
            merchant,
            now: false,
        } => {
            let event_id = merchants::queue_test_webhook(&store, merchant, now_ms)
                .await
                .map_err(super::merchant::refusal)?;
            println!("test event {event_id} queued for merchant {merchant}");
        }
    }
    Ok(())
}

fn parse_time(s: &str) -> anyhow::Result<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_millis());
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .map(|n| Utc.from_utc_datetime(&n).timestamp_millis())
        .map_err(|_| {
            anyhow!("`{s}` is not a time like 2026-02-25 12:00:00 or 2026-02-25T12:00:00Z")
        })
}
