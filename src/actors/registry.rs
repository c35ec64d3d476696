//! `SessionRegistry`: spawns one `SessionActor` per session on demand
//! (virtual actors), replaces one that died (a panic closes its mailbox),
//! and forgets passivated ones. It keeps the supervision figures.
//!
//! Its figures appear twice: as the `kassa_registry_*` series and as the
//! session kind of the `kassa_actor_*` families (`supervision`); its own
//! presence and messages count under the registry kind.
//!
//! The registry only hands out addresses; messages go straight to the
//! session actors, so it is never on the path of the work itself.

use std::collections::HashMap;

use actix::prelude::*;

use super::session::{SessionActor, SessionDeps};
use super::supervision::{self, ActorKind, Handling};

/// The address of a session's actor, spawning it if needed.
#[derive(Message)]
#[rtype(result = "Addr<SessionActor>")]
pub struct Lookup {
    pub id: i64,
}

/// A session actor's mailbox closed without passivation: it died. Replace it.
#[derive(Message)]
#[rtype(result = "Addr<SessionActor>")]
pub struct Died {
    pub id: i64,
    pub addr: Addr<SessionActor>,
}

/// A session actor stopped because it was idle.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Passivated {
    pub id: i64,
    pub addr: Addr<SessionActor>,
}

/// Supervision figures.
#[derive(Message)]
#[rtype(result = "RegistryStats")]
pub struct GetStats;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegistryStats {
    pub live: usize,
    pub spawned: u64,
    pub restarted: u64,
    pub passivated: u64,
}

pub struct SessionRegistry {
    deps: SessionDeps,
    live: HashMap<i64, Addr<SessionActor>>,
    stats: RegistryStats,
}

impl SessionRegistry {
    pub fn new(deps: SessionDeps) -> Self {
        Self {
            deps,
            live: HashMap::new(),
            stats: RegistryStats::default(),
        }
    }

    fn spawn(&mut self, id: i64, ctx: &mut Context<Self>) -> Addr<SessionActor> {
        let addr = SessionActor::new(id, self.deps.clone(), ctx.address()).start();
        self.live.insert(id, addr.clone());
        self.publish();
        addr
    }

    fn publish(&mut self) {
        self.stats.live = self.live.len();
        metrics::gauge!("kassa_registry_live_actors").set(self.stats.live as f64);
        supervision::set_live(ActorKind::Session, self.stats.live);
    }

    fn count_spawned(&mut self) {
        self.stats.spawned += 1;
        metrics::counter!("kassa_registry_spawned_total").increment(1);
        supervision::spawned(ActorKind::Session);
    }

    fn count_restarted(&mut self) {
        self.stats.restarted += 1;
        metrics::counter!("kassa_registry_restarted_total").increment(1);
        supervision::restarted(ActorKind::Session);
    }
}

impl Actor for SessionRegistry {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        supervision::hold(ActorKind::Registry, ctx);
    }
}

impl Handler<Lookup> for SessionRegistry {
    type Result = MessageResult<Lookup>;

    fn handle(&mut self, msg: Lookup, ctx: &mut Context<Self>) -> Self::Result {
        let _handling = Handling::begin(ActorKind::Registry);
        if let Some(addr) = self.live.get(&msg.id).filter(|a| a.connected()) {
            return MessageResult(addr.clone());
        }
        if self.live.remove(&msg.id).is_some() {
            // Found dead before anyone reported it.
            self.count_restarted();
        } else {
            self.count_spawned();
        }
        MessageResult(self.spawn(msg.id, ctx))
    }
}

impl Handler<Died> for SessionRegistry {
    type Result = MessageResult<Died>;

    fn handle(&mut self, msg: Died, ctx: &mut Context<Self>) -> Self::Result {
        let _handling = Handling::begin(ActorKind::Registry);
        match self.live.get(&msg.id) {
            Some(current) if *current != msg.addr && current.connected() => {
                return MessageResult(current.clone());
            }
            Some(current) if *current == msg.addr => {
                tracing::warn!(
                    session_id = msg.id,
                    "session actor died; restarting it from the database"
                );
                self.count_restarted();
            }
            _ => self.count_spawned(),
        }
        self.live.remove(&msg.id);
        MessageResult(self.spawn(msg.id, ctx))
    }
}

impl Handler<Passivated> for SessionRegistry {
    type Result = ();

    fn handle(&mut self, msg: Passivated, _: &mut Context<Self>) {
        supervision::taken(ActorKind::Registry);
        let _handling = Handling::begin(ActorKind::Registry);
        if self.live.get(&msg.id) == Some(&msg.addr) {
            self.live.remove(&msg.id);
            self.stats.passivated += 1;
            metrics::counter!("kassa_registry_passivated_total").increment(1);
            supervision::passivated(ActorKind::Session);
            self.publish();
        }
    }
}

impl Handler<GetStats> for SessionRegistry {
    type Result = MessageResult<GetStats>;

    fn handle(&mut self, _: GetStats, _: &mut Context<Self>) -> Self::Result {
        let _handling = Handling::begin(ActorKind::Registry);
        MessageResult(self.stats)
    }
}
