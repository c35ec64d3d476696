//! Supervision figures of every actor kind, under one label `actor="<kind>"`:
//! how many run (`kassa_actor_live`), how many were started, restarted after
//! dying and passivated when idle, how many messages they handled and how
//! long each took, and how many messages were sent to them and not yet
//! handled or answered (`kassa_actor_mailbox_depth`: actix does not expose
//! a mailbox's length, so senders count in and handlers or replies count
//! out).
//!
//! Actors and handles call the small guards below; this module only
//! records figures. Every change goes through one function (`note`) that
//! moves the metric and a process-wide tally of atomics together, so the
//! admin console reads the same figures ([`figures`]) as a scrape would,
//! without scraping. It must hold no state beyond that tally, and it must
//! not decide anything.
//!
//! Only session actors are restarted (by the registry, after a panic).
//! The other kinds run once per process and nothing restarts them: their
//! `restarted` stays 0 and a panic shows as `live` 0.

use std::time::{Duration, Instant};

use actix::prelude::*;
use serde::Serialize;

mod figures;

pub use figures::{Bucket, KindFigures, Latency, figures};

/// Actors running now (session actors: those the registry holds).
pub const LIVE: &str = "kassa_actor_live";
/// Actors started (one started in place of a dead one counts as restarted).
pub const SPAWNED: &str = "kassa_actor_spawned_total";
/// Actors started again in place of one that died.
pub const RESTARTED: &str = "kassa_actor_restarted_total";
/// Actors stopped because they were idle.
pub const PASSIVATED: &str = "kassa_actor_passivated_total";
/// Messages handled to the end.
pub const MESSAGES: &str = "kassa_actor_messages_total";
/// Messages sent and not yet answered (notices: not yet handled).
pub const MAILBOX_DEPTH: &str = "kassa_actor_mailbox_depth";
/// Time from a message reaching its handler to the handler being done.
pub const HANDLING_SECONDS: &str = "kassa_actor_handling_seconds";
/// Upper bounds (seconds) of the [`HANDLING_SECONDS`] buckets: the exporter
/// is built with these, and [`figures`] counts into the same ones.
pub const HANDLING_BUCKETS: [f64; 13] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The kinds of actor Kassa runs; each is one value of the `actor` label
/// (and, serialized, the same snake_case name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// One per live checkout session.
    Session,
    /// The session registry (spawns, restarts and passivates sessions).
    Registry,
    /// The group-commit session creator.
    Creator,
    Router,
    WebhookSender,
    ChainWatcher,
    Payout,
}

impl ActorKind {
    pub const ALL: [ActorKind; 7] = [
        ActorKind::Session,
        ActorKind::Registry,
        ActorKind::Creator,
        ActorKind::Router,
        ActorKind::WebhookSender,
        ActorKind::ChainWatcher,
        ActorKind::Payout,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Session => "session",
            ActorKind::Registry => "registry",
            ActorKind::Creator => "creator",
            ActorKind::Router => "router",
            ActorKind::WebhookSender => "webhook_sender",
            ActorKind::ChainWatcher => "chain_watcher",
            ActorKind::Payout => "payout",
        }
    }

    /// The kind's slot in the tally (its place in [`ActorKind::ALL`]).
    fn slot(self) -> usize {
        match self {
            ActorKind::Session => 0,
            ActorKind::Registry => 1,
            ActorKind::Creator => 2,
            ActorKind::Router => 3,
            ActorKind::WebhookSender => 4,
            ActorKind::ChainWatcher => 5,
            ActorKind::Payout => 6,
        }
    }
}

/// One change to a kind's figures.
#[derive(Debug, Clone, Copy)]
enum Change {
    Spawned,
    Restarted,
    Passivated,
    /// Live actors counted up or down by one.
    LiveBy(i64),
    /// Live actors as counted by their owner.
    LiveAt(usize),
    MailboxBy(i64),
    MailboxAt(i64),
    Handled(Duration),
}

/// The one place a change is recorded: the metric and the tally together.
fn note(kind: ActorKind, change: Change) {
    let actor = kind.as_str();
    match change {
        Change::Spawned => metrics::counter!(SPAWNED, "actor" => actor).increment(1),
        Change::Restarted => metrics::counter!(RESTARTED, "actor" => actor).increment(1),
        Change::Passivated => metrics::counter!(PASSIVATED, "actor" => actor).increment(1),
        Change::LiveBy(by) => metrics::gauge!(LIVE, "actor" => actor).increment(by as f64),
        Change::LiveAt(at) => metrics::gauge!(LIVE, "actor" => actor).set(at as f64),
        Change::MailboxBy(by) => {
            metrics::gauge!(MAILBOX_DEPTH, "actor" => actor).increment(by as f64)
        }
        Change::MailboxAt(at) => metrics::gauge!(MAILBOX_DEPTH, "actor" => actor).set(at as f64),
        Change::Handled(took) => {
            metrics::counter!(MESSAGES, "actor" => actor).increment(1);
            metrics::histogram!(HANDLING_SECONDS, "actor" => actor).record(took.as_secs_f64());
        }
    }
    figures::tally(kind, change);
}

/// One actor of `kind` was started.
pub fn spawned(kind: ActorKind) {
    note(kind, Change::Spawned);
}

/// One actor of `kind` was started in place of one that died.
pub fn restarted(kind: ActorKind) {
    note(kind, Change::Restarted);
}

/// One actor of `kind` stopped because it was idle.
pub fn passivated(kind: ActorKind) {
    note(kind, Change::Passivated);
}

/// `live` actors of `kind` run now (kinds that keep their own count).
pub fn set_live(kind: ActorKind, live: usize) {
    note(kind, Change::LiveAt(live));
}

/// `depth` messages wait for `kind` actors now (kinds whose handle keeps
/// its own count: session actors).
pub fn set_mailbox_depth(kind: ActorKind, depth: i64) {
    note(kind, Change::MailboxAt(depth));
}

/// Held by a running singleton actor from `started` on: it counts as
/// spawned once and as live for as long as the guard exists. A panic drops
/// the actor and with it the guard, so a dead singleton shows `live` 0.
#[derive(Debug)]
pub struct Presence(ActorKind);

impl Presence {
    pub fn started(kind: ActorKind) -> Self {
        spawned(kind);
        note(kind, Change::LiveBy(1));
        Presence(kind)
    }
}

impl Drop for Presence {
    fn drop(&mut self) {
        note(self.0, Change::LiveBy(-1));
    }
}

/// A fire-and-forget notice was posted to a `kind` actor: it counts in the
/// kind's mailbox depth until the handler calls [`taken`] (a notice to an
/// actor that died stays counted: it will never be handled).
pub fn posted(kind: ActorKind) {
    note(kind, Change::MailboxBy(1));
}

/// The handler of a `kind` actor took a notice counted by [`posted`].
pub fn taken(kind: ActorKind) {
    note(kind, Change::MailboxBy(-1));
}

/// Counts the actor of `ctx` as a live `kind` from now until it stops or
/// dies: the guard rides on a future of its own context, which is dropped
/// with the actor. Call it from `started`.
pub fn hold<A>(kind: ActorKind, ctx: &mut Context<A>)
where
    A: Actor<Context = Context<A>>,
{
    let presence = Presence::started(kind);
    ctx.spawn(fut::wrap_future(async move {
        let _presence = presence;
        std::future::pending::<()>().await;
    }));
}

/// One message being handled: counted, and its latency recorded, when the
/// guard is dropped (keep it alive until the reply is ready).
#[derive(Debug)]
pub struct Handling {
    kind: ActorKind,
    since: Instant,
}

impl Handling {
    pub fn begin(kind: ActorKind) -> Self {
        Handling {
            kind,
            since: Instant::now(),
        }
    }
}

impl Drop for Handling {
    fn drop(&mut self) {
        note(self.kind, Change::Handled(self.since.elapsed()));
    }
}

/// One message sent through a handle and awaiting its answer: it counts in
/// the kind's mailbox depth while the guard exists.
#[derive(Debug)]
pub struct Queued(ActorKind);

impl Queued {
    pub fn enter(kind: ActorKind) -> Self {
        note(kind, Change::MailboxBy(1));
        Queued(kind)
    }
}

impl Drop for Queued {
    fn drop(&mut self) {
        note(self.0, Change::MailboxBy(-1));
    }
}

/// Every actor family at zero for every kind, with its help text, so a
/// fresh scrape lists them all. Called once at startup; calling it again
/// changes no value.
pub fn register() {
    metrics::describe_gauge!(LIVE, "Actors running now, by kind.");
    metrics::describe_counter!(
        SPAWNED,
        "Actors started, by kind (one started in place of a dead one counts as restarted instead)."
    );
    metrics::describe_counter!(
        RESTARTED,
        "Actors started again in place of one that died (a panic), by kind."
    );
    metrics::describe_counter!(
        PASSIVATED,
        "Actors stopped because they were idle, by kind."
    );
    metrics::describe_counter!(
        MESSAGES,
        "Messages handled to the end, by actor kind (a chain watcher or payout step counts as one, whether its timer or a request started it)."
    );
    metrics::describe_gauge!(
        MAILBOX_DEPTH,
        "Messages sent to actors and not yet answered (notices: not yet taken by their handler), by kind."
    );
    metrics::describe_histogram!(
        HANDLING_SECONDS,
        metrics::Unit::Seconds,
        "Time from a message reaching its actor's handler to its reply being ready, by kind."
    );
    for kind in ActorKind::ALL {
        let actor = kind.as_str();
        metrics::gauge!(LIVE, "actor" => actor).increment(0.0);
        metrics::gauge!(MAILBOX_DEPTH, "actor" => actor).increment(0.0);
        for counter in [SPAWNED, RESTARTED, PASSIVATED, MESSAGES] {
            metrics::counter!(counter, "actor" => actor).increment(0);
        }
    }
}

#[cfg(test)]
#[path = "supervision_tests.rs"]
mod tests;
