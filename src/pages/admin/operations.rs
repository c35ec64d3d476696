//! `GET /admin/operations`: the supervision view — the actor tree (the
//! registry and its session actors, the creator, router, webhook sender,
//! chain watcher and payout actor) with each kind's figures, beside the
//! chain, webhook, payout and session figures — and
//! `GET /admin/operations/events`, which streams the same
//! `app::operations` snapshot as server-sent events about once a second;
//! the page's script (under its CSP nonce) puts the new numbers in place.
//!
//! The page renders complete without the script. Must not: compute a
//! figure of its own (everything comes from the snapshot).

use std::convert::Infallible;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::frame::Frame;
use super::guard;
use crate::actors::supervision::{ActorKind, KindFigures, Latency};
use crate::app::operations::{self, OperationsSnapshot, Sources};
use crate::clock::format_doc_time;
use crate::http::headers;
use crate::http::state::AppState;
use crate::pages::dashboard::render;

/// How often the stream sends a snapshot.
const EVERY: Duration = Duration::from_secs(1);

/// One node of the actor tree, as shown.
#[derive(Debug)]
struct ActorRow {
    kind: &'static str,
    name: &'static str,
    role: &'static str,
    /// A child of the row above (session actors under the registry).
    child: bool,
    up: bool,
    f: KindFigures,
    p50: String,
    p99: String,
    mean: String,
}

#[derive(Template)]
#[template(path = "admin/operations.html")]
struct OperationsPage {
    frame: Frame,
    actors: Vec<ActorRow>,
    s: OperationsSnapshot,
    at: String,
    webhook_age: String,
}

/// `GET /admin/operations`.
pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let ctx = match guard::page(&req, &state).await {
        Ok(ctx) => ctx,
        Err(refusal) => return refusal,
    };
    let s = operations::snapshot(sources(&state), ctx.now_ms).await;
    let page = OperationsPage {
        frame: ctx.frame(&state, "Operations", "/admin/operations", None),
        actors: TREE
            .iter()
            .filter_map(|kind| s.actor(*kind).cloned())
            .map(row)
            .collect(),
        at: format_doc_time(s.at_ms),
        webhook_age: s
            .webhooks
            .map(|w| age(w.depth, w.oldest_pending_age_seconds))
            .unwrap_or_else(|| "—".into()),
        s,
    };
    render(&state, StatusCode::OK, &ctx.nonce, page)
}

/// `GET /admin/operations/events`: `event: snapshot` with the JSON
/// snapshot, now and then every [`EVERY`], until the browser goes away or
/// the operator's session ends (logout, a timeout; the stream itself is no
/// activity).
pub async fn events(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if let Err(refusal) = guard::page(&req, &state).await {
        return refusal;
    }
    let hsts = state.settings.accounts.hsts;
    let stream =
        futures_util::stream::unfold((req, state, true), |(req, state, first)| async move {
            if !first {
                actix_web::rt::time::sleep(EVERY).await;
                if !guard::still_signed_in(&req, &state).await {
                    return None;
                }
            }
            let snapshot = operations::snapshot(sources(&state), state.clock.now_ms()).await;
            let event = match serde_json::to_string(&snapshot) {
                Ok(json) => format!("event: snapshot\ndata: {json}\n\n"),
                Err(e) => {
                    tracing::warn!(error = %e, "operations snapshot did not serialize");
                    ": snapshot unavailable\n\n".to_string()
                }
            };
            Some((Ok::<_, Infallible>(Bytes::from(event)), (req, state, false)))
        });
    let mut answer = HttpResponse::Ok();
    headers::dashboard_common(&mut answer, hsts);
    answer
        .content_type("text/event-stream")
        // Proxies that buffer would hold the stream back.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(stream)
}

fn sources(state: &AppState) -> Sources<'_> {
    Sources {
        store: &state.store,
        sessions: &state.sessions,
        chain: &state.chain,
    }
}

fn row(f: KindFigures) -> ActorRow {
    let (name, role, child) = match f.kind {
        ActorKind::Registry => (
            "Session registry",
            "Supervisor: spawns, restarts and passivates session actors",
            false,
        ),
        ActorKind::Session => (
            "Session actors",
            "One per live checkout session; the only writer of its session",
            true,
        ),
        ActorKind::Creator => (
            "Session creator",
            "Opens new sessions in group commits",
            false,
        ),
        ActorKind::Router => ("Router", "Routing configuration and provider health", false),
        ActorKind::WebhookSender => (
            "Webhook sender",
            "Delivers the outbox: signs, posts, retries",
            false,
        ),
        ActorKind::ChainWatcher => (
            "Chain watcher",
            "Follows the chain and counts deposits",
            false,
        ),
        ActorKind::Payout => (
            "Payout actor",
            "Sweeps counted money to merchants, exactly once",
            false,
        ),
    };
    ActorRow {
        kind: f.kind.as_str(),
        name,
        role,
        child,
        // Session actors come and go; the registry being up is what counts.
        up: f.live > 0 || f.kind == ActorKind::Session,
        p50: within(&f.handling, 0.5),
        p99: within(&f.handling, 0.99),
        mean: f
            .handling
            .mean_seconds()
            .map_or_else(|| "—".into(), duration),
        f,
    }
}

/// The bound a share of messages was handled within, as the script shows it.
fn within(latency: &Latency, q: f64) -> String {
    match (latency.count, latency.within(q)) {
        (0, _) => "—".into(),
        (_, Some(bound)) => format!("≤ {}", duration(bound)),
        (_, None) => latency
            .buckets
            .last()
            .map_or_else(|| "—".into(), |b| format!("> {}", duration(b.le))),
    }
}

/// Seconds as `2.5 ms` or `1.2 s` (one decimal at most, as the script).
fn duration(seconds: f64) -> String {
    if seconds < 1.0 {
        format!("{} ms", one_decimal(seconds * 1000.0))
    } else {
        format!("{} s", one_decimal(seconds))
    }
}

fn one_decimal(x: f64) -> String {
    let text = format!("{x:.1}");
    text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
}

/// How long the oldest pending delivery has waited (`—` with none).
/// The tree's rows, each parent before its children.
const TREE: [ActorKind; 7] = [
    ActorKind::Registry,
    ActorKind::Session,
    ActorKind::Creator,
    ActorKind::Router,
    ActorKind::WebhookSender,
    ActorKind::ChainWatcher,
    ActorKind::Payout,
];

fn age(depth: u64, seconds: f64) -> String {
    let s = seconds.floor() as u64;
    match (depth, s) {
        (0, _) => "—".into(),
        (_, 0..60) => format!("{s} s"),
        (_, 60..3_600) => format!("{} min", s / 60),
        _ => format!("{} h", s / 3_600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_shows_every_actor_kind_once_with_the_registry_above_its_sessions() {
        for kind in ActorKind::ALL {
            assert_eq!(TREE.iter().filter(|k| **k == kind).count(), 1, "{kind:?}");
        }
        assert_eq!(&TREE[..2], &[ActorKind::Registry, ActorKind::Session]);
    }

    #[test]
    fn durations_read_in_milliseconds_below_a_second() {
        assert_eq!(duration(0.0005), "0.5 ms");
        assert_eq!(duration(0.001), "1 ms");
        assert_eq!(duration(0.0025), "2.5 ms");
        assert_eq!(duration(2.5), "2.5 s");
        assert_eq!(duration(5.0), "5 s");
    }

    #[test]
    fn ages_round_down_to_their_unit() {
        assert_eq!(age(0, 99.0), "—");
        assert_eq!(age(3, 59.9), "59 s");
        assert_eq!(age(3, 125.0), "2 min");
        assert_eq!(age(3, 7_300.0), "2 h");
    }
}
