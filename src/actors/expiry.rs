//! `ExpirySweeper`: ends sessions whose `expires_at` has passed.
//!
//! Expiry lives in the database (an indexed `expires_at`), not in sleeping
//! actors: each tick asks for due sessions and sends each an `ExpireSession`,
//! so open sessions cost no memory. An underpaid session not topped up
//! by the end of its grace window is ended too (its partial amount is held). Time is read from the injected clock.
//! Every sixty sweeps it also forgets idempotency keys past their 24 hours.

use std::time::Duration;

use actix::prelude::*;

use super::handle::Sessions;
use crate::clock::SharedClock;
use crate::store::Store;
use crate::store::idempotency::KEEP_MS;

const BATCH: u64 = 500;
/// Old idempotency keys are purged on every this-many sweeps.
const PURGE_EVERY: u64 = 60;

pub struct ExpirySweeper {
    store: Store,
    clock: SharedClock,
    sessions: Sessions,
    interval: Duration,
    /// An underpaid session is ended this long after its `expires_at`.
    grace_ms: i64,
    running: bool,
    sweeps: u64,
}

impl ExpirySweeper {
    pub fn new(
        store: Store,
        clock: SharedClock,
        sessions: Sessions,
        interval: Duration,
        grace_ms: i64,
    ) -> Self {
        Self {
            store,
            clock,
            sessions,
            interval,
            grace_ms,
            running: false,
            sweeps: 0,
        }
    }

    fn sweep(&mut self, ctx: &mut Context<Self>) {
        if self.running {
            return;
        }
        self.running = true;
        self.sweeps += 1;
        let purge = self.sweeps.is_multiple_of(PURGE_EVERY);
        let store = self.store.clone();
        let sessions = self.sessions.clone();
        let now_ms = self.clock.now_ms();
        let grace_ms = self.grace_ms;
        let work = async move {
            if purge && let Err(e) = store.purge_idempotency(now_ms - KEEP_MS).await {
                tracing::warn!(error = %e, "could not purge old idempotency keys");
            }
            let due = match store.due_for_expiry(now_ms, grace_ms, BATCH).await {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %e, "expiry sweep could not read due sessions");
                    return;
                }
            };
            for id in due {
                if let Err(e) = sessions.expire(id, false).await {
                    tracing::warn!(session_id = id, error = %e, "expiry failed; will retry");
                }
            }
        };
        ctx.spawn(work.into_actor(self).map(|_, act, _| act.running = false));
    }
}

impl Actor for ExpirySweeper {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(self.interval, |act, ctx| act.sweep(ctx));
    }
}
