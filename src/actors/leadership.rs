//! `LeadershipActor`: keeps this node's claim on the chain leader's lease
//! (`store::lease`), so that of several nodes on one database exactly one
//! runs the chain watcher's and the payouts' steps.
//!
//! A follower tries to take the lease every `retry` (about a second); the
//! leader renews it every `ttl / 3`. Leadership is the token in the shared
//! [`Fence`]: the watcher and the payout actor step only while it holds
//! one, and their stores check it in every write, so a deposed leader's
//! late write is refused by the database, not by this actor's timing.
//!
//! Leadership is dropped locally before the lease can have expired in the
//! database: each successful renewal sets a deadline on the monotonic
//! clock, measured from the moment the renewal was *sent* (the database
//! counts its `ttl` from a later moment), less a margin; a renewal refused,
//! or the deadline passing without one, clears the fence at once. A node
//! that dies (SIGKILL) simply stops renewing and another takes over once
//! the lease expires (within `ttl` plus one `retry`). A graceful shutdown
//! releases the lease ([`Leadership::release`]) so the takeover is
//! immediate.
//!
//! This actor must not step the led actors itself: they read the fence at
//! each step, so no message can be lost between a change of leader and
//! their next step.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;

use crate::store::Store;
use crate::store::lease::Fence;

/// How the lease is kept.
#[derive(Debug, Clone)]
pub struct LeaseSettings {
    /// How long a taken or renewed lease lasts.
    pub ttl: Duration,
    /// How often a follower tries to take it.
    pub retry: Duration,
}

impl LeaseSettings {
    /// A lease of `ttl`, tried for every second (more often under a short
    /// `ttl`, so a takeover stays well within a few `ttl`s).
    pub fn new(ttl: Duration) -> Self {
        let ttl = ttl.max(Duration::from_millis(100));
        LeaseSettings {
            ttl,
            retry: Duration::from_secs(1).min(ttl / 2),
        }
    }

    fn renew_every(&self) -> Duration {
        self.ttl / 3
    }

    /// Leadership ends locally this long before the lease could expire.
    fn margin(&self) -> Duration {
        self.ttl / 5
    }
}

/// Give the lease up now and stop trying (graceful shutdown).
#[derive(Message)]
#[rtype(result = "()")]
struct Release;

/// The result of one attempt to take or renew the lease.
enum Attempt {
    /// Held with this token; the attempt was sent at this instant.
    Held(i64, Instant),
    /// Another holder has it, or our renewal was refused.
    Lost,
    /// The database did not answer.
    Failed(String),
}

pub struct LeadershipActor {
    store: Store,
    fence: Arc<Fence>,
    settings: LeaseSettings,
    /// While leading: when leadership ends unless a renewal succeeds first.
    deadline: Option<Instant>,
    busy: bool,
    released: bool,
}

impl LeadershipActor {
    /// `fence` may already hold a token (taken at start); its deadline is
    /// then counted from `held_since`.
    pub fn new(
        store: Store,
        fence: Arc<Fence>,
        settings: LeaseSettings,
        held_since: Instant,
    ) -> Self {
        let deadline = fence
            .token()
            .map(|_| held_since + settings.ttl - settings.margin());
        LeadershipActor {
            store,
            fence,
            settings,
            deadline,
            busy: false,
            released: false,
        }
    }

    fn attempt(&mut self, ctx: &mut Context<Self>) {
        if self.busy || self.released {
            return;
        }
        self.busy = true;
        let store = self.store.clone();
        let fence = self.fence.clone();
        let ttl = self.settings.ttl;
        let held = fence.token();
        let work = async move {
            let sent = Instant::now();
            let answer = match held {
                Some(token) => store
                    .renew_lease(fence.name(), fence.holder(), token, ttl)
                    .await
                    .map(|renewed| renewed.then_some(token)),
                None => {
                    store
                        .try_acquire_lease(fence.name(), fence.holder(), ttl)
                        .await
                }
            };
            match answer {
                Ok(Some(token)) => Attempt::Held(token, sent),
                Ok(None) => Attempt::Lost,
                Err(e) => Attempt::Failed(e.to_string()),
            }
        };
        ctx.spawn(work.into_actor(self).map(|attempt, act, ctx| {
            act.busy = false;
            if act.released {
                return;
            }
            match attempt {
                Attempt::Held(token, sent) => {
                    act.deadline = Some(sent + act.settings.ttl - act.settings.margin());
                    if act.fence.token() != Some(token) {
                        act.gain(token);
                    }
                }
                Attempt::Lost => {
                    if act.fence.token().is_some() {
                        act.lose("the lease was renewed by nobody or taken by another node");
                    }
                }
                Attempt::Failed(why) => {
                    tracing::warn!(error = %why, leading = act.fence.token().is_some(), "could not take or renew the chain leader's lease");
                }
            }
            let next = if act.fence.token().is_some() {
                act.settings.renew_every()
            } else {
                act.settings.retry
            };
            ctx.run_later(next, |act, ctx| act.attempt(ctx));
        }));
    }

    fn gain(&mut self, token: i64) {
        self.fence.set(Some(token));
        record(self.fence.holder(), true);
        tracing::info!(
            node = self.fence.holder(),
            token,
            "this node leads: chain watcher and payouts run here"
        );
    }

    fn lose(&mut self, why: &str) {
        self.fence.set(None);
        self.deadline = None;
        record(self.fence.holder(), false);
        tracing::warn!(
            node = self.fence.holder(),
            why,
            "this node no longer leads: chain watcher and payouts stop here"
        );
    }

    /// Ends leadership once its local deadline passed without a renewal.
    fn check_deadline(&mut self) {
        if let Some(deadline) = self.deadline
            && Instant::now() >= deadline
            && self.fence.token().is_some()
        {
            self.lose("no renewal succeeded before the lease could expire");
        }
    }
}

/// The leader gauge of `node`, and a change counted.
fn record(node: &str, leading: bool) {
    metrics::gauge!("kassa_leader", "node" => node.to_string()).set(if leading {
        1.0
    } else {
        0.0
    });
    metrics::counter!("kassa_leader_changes_total").increment(1);
}

impl Actor for LeadershipActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let leading = self.fence.token().is_some();
        metrics::gauge!("kassa_leader", "node" => self.fence.holder().to_string())
            .set(if leading { 1.0 } else { 0.0 });
        let first = if leading {
            self.settings.renew_every()
        } else {
            self.settings.retry
        };
        ctx.run_later(first, |act, ctx| act.attempt(ctx));
        let watch = (self.settings.margin() / 4).max(Duration::from_millis(10));
        ctx.run_interval(watch, |act, _| act.check_deadline());
    }
}

impl Handler<Release> for LeadershipActor {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, _: Release, _: &mut Context<Self>) -> Self::Result {
        self.released = true;
        let held = self.fence.token();
        if held.is_some() {
            self.fence.set(None);
            self.deadline = None;
            record(self.fence.holder(), false);
        }
        let store = self.store.clone();
        let fence = self.fence.clone();
        let work = async move {
            if let Some(token) = held {
                match store
                    .release_lease(fence.name(), fence.holder(), token)
                    .await
                {
                    Ok(_) => {
                        tracing::info!(node = fence.holder(), "released the chain leader's lease")
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "could not release the chain leader's lease; it expires by itself")
                    }
                }
            }
        };
        Box::pin(work.into_actor(self).map(|(), _, ctx| ctx.stop()))
    }
}

/// What the rest of the node holds: whether it leads, and the release at
/// shutdown.
#[derive(Clone)]
pub struct Leadership {
    addr: Addr<LeadershipActor>,
    fence: Arc<Fence>,
}

impl Leadership {
    pub fn of(addr: Addr<LeadershipActor>, fence: Arc<Fence>) -> Self {
        Leadership { addr, fence }
    }

    /// This node's name.
    pub fn node(&self) -> &str {
        self.fence.holder()
    }

    /// Whether this node leads now.
    pub fn is_leader(&self) -> bool {
        self.fence.token().is_some()
    }

    /// The fencing token held now (`None`: not leading).
    pub fn token(&self) -> Option<i64> {
        self.fence.token()
    }

    /// Stops leading and gives the lease up so another node takes over at
    /// once; the node no longer tries to lead afterwards.
    pub async fn release(&self) {
        if self.addr.send(Release).await.is_err() {
            self.fence.set(None);
        }
    }
}

impl std::fmt::Debug for Leadership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leadership")
            .field("node", &self.node())
            .field("leader", &self.is_leader())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_is_renewed_three_times_per_ttl_and_given_up_locally_before_it_expires() {
        let s = LeaseSettings::new(Duration::from_secs(5));

        assert_eq!(s.renew_every().as_millis(), 1666);
        assert_eq!(s.retry, Duration::from_secs(1));
        assert!(s.ttl - s.margin() > s.renew_every() * 2);
        assert!(s.margin() > Duration::ZERO);
    }

    #[test]
    fn a_short_lease_is_tried_for_more_often_than_once_a_second() {
        let s = LeaseSettings::new(Duration::from_millis(600));

        assert_eq!(s.retry, Duration::from_millis(300));
        assert_eq!(s.renew_every(), Duration::from_millis(200));
    }
}
