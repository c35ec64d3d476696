//! `KeyUsage`: records when each API key was last used without a database
//! write per API call. Authentication notes the use in a map shared with
//! the actor (a short lock, no message: a message per request woke the
//! actor's thread from every HTTP worker); the actor writes the latest time
//! per key in one transaction every flush interval (5 s in the server), on
//! demand ([`KeyUses::flush`]) and once more when the server stops
//! gracefully.
//!
//! Precision: `last_used_at` is the time of the latest authenticated
//! request, written up to one interval late; a crash (not a graceful stop)
//! loses at most the last interval's uses. A failed write keeps the batch for
//! the next one. Times never move back, whatever order nodes write in. It
//! must not decide anything about a key; it only remembers uses.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actix::prelude::*;

use crate::store::{Store, StoreError};

/// Remembers that `key_id` was used at `at_ms`, keeping the later time.
fn note(pending: &mut HashMap<i64, i64>, key_id: i64, at_ms: i64) {
    pending
        .entry(key_id)
        .and_modify(|t| *t = (*t).max(at_ms))
        .or_insert(at_ms);
}

/// Write what was recorded now; answers how many keys were written.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "Result<usize, StoreError>")]
pub struct FlushKeyUses;

pub struct KeyUsage {
    store: Store,
    every: Duration,
    /// Key id → latest use (unix ms) not yet written; shared with [`KeyUses`].
    pending: Pending,
}

type Pending = Arc<Mutex<HashMap<i64, i64>>>;

/// The map, whether or not a holder panicked (it only ever holds times).
fn lock(pending: &Pending) -> std::sync::MutexGuard<'_, HashMap<i64, i64>> {
    pending.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Actor for KeyUsage {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(self.every, |_, ctx| ctx.notify(FlushKeyUses));
    }
}

impl Supervised for KeyUsage {}

impl Handler<FlushKeyUses> for KeyUsage {
    type Result = ResponseActFuture<Self, Result<usize, StoreError>>;

    fn handle(&mut self, _: FlushKeyUses, _: &mut Context<Self>) -> Self::Result {
        let batch: Vec<(i64, i64)> = lock(&self.pending).drain().collect();
        let store = self.store.clone();
        let write = async move {
            let result = store.record_key_uses(&batch).await;
            (batch, result)
        };
        Box::pin(
            write
                .into_actor(self)
                .map(|(batch, result), act, _| match result {
                    Ok(()) => Ok(batch.len()),
                    Err(e) => {
                        tracing::warn!(error = %e, keys = batch.len(), "could not record API key uses; keeping them for the next flush");
                        let mut pending = lock(&act.pending);
                        for (key_id, at_ms) in batch {
                            note(&mut pending, key_id, at_ms);
                        }
                        Err(e)
                    }
                }),
        )
    }
}

/// The handle authentication and startup hold.
#[derive(Clone)]
pub struct KeyUses {
    addr: Addr<KeyUsage>,
    pending: Pending,
}

impl KeyUses {
    /// Starts the recorder under a supervisor, flushing every `every`.
    /// Must run inside the actix system.
    pub fn start(store: Store, every: Duration) -> KeyUses {
        let pending = Pending::default();
        let shared = pending.clone();
        let addr = Supervisor::start(move |_| KeyUsage {
            store,
            every,
            pending: shared,
        });
        KeyUses { addr, pending }
    }

    /// Records a use (never waits, never fails the request).
    pub fn used(&self, key_id: i64, at_ms: i64) {
        note(&mut lock(&self.pending), key_id, at_ms);
    }

    /// Writes the recorded uses now.
    pub async fn flush(&self) -> anyhow::Result<usize> {
        Ok(self.addr.send(FlushKeyUses).await??)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_use_of_a_key_is_kept_whatever_order_uses_arrive_in() {
        let mut pending = HashMap::new();
        note(&mut pending, 7, 2_000);
        note(&mut pending, 7, 1_000);
        note(&mut pending, 8, 1_500);
        note(&mut pending, 7, 3_000);
        assert_eq!(pending.get(&7), Some(&3_000));
        assert_eq!(pending.get(&8), Some(&1_500));
        assert_eq!(pending.len(), 2);
    }
}
