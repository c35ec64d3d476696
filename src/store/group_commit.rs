//! Group commit of session transitions on SQLite.
//!
//! SQLite has one write lock, and every commit waits for its WAL `fsync`
//! (`synchronous=FULL`). When many sessions commit at once (the chain
//! watcher delivering a block range's deposits side by side), each writer
//! queues its transition and takes the write lane; the writer that gets the
//! lane writes every transition queued so far in one transaction and one
//! `fsync`, and tells each waiting writer its own result.
//!
//! Each transition keeps its own outcome: one whose version check fails
//! (`Stale`, nothing written) is refused alone. Any other error rolls the
//! batch back, and its transitions are then written one per transaction,
//! so a bad write cannot fail the others. On PostgreSQL, which commits
//! concurrent transactions in parallel, every transition has its own.
//!
//! This module must not decide anything: it only writes what the session
//! actors handed over, each exactly once.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::oneshot;

use super::transition_batch::write_transitions;
use super::transitions::{Applied, TransitionWrite, write_transition};
use super::{Store, StoreError};

/// Transitions written at most in one transaction.
const MAX_BATCH: usize = 256;

/// Transitions waiting for the write lane.
#[derive(Default)]
pub(super) struct Queue {
    waiting: Mutex<Waiting>,
    transitions: AtomicU64,
    transactions: AtomicU64,
}

/// How many transitions were written, in how many transactions (since start).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupCommitStats {
    pub transitions: u64,
    pub transactions: u64,
}

#[derive(Default)]
struct Waiting {
    next_ticket: u64,
    items: Vec<Pending>,
}

struct Pending {
    ticket: u64,
    write: TransitionWrite,
    now_ms: i64,
    reply: oneshot::Sender<Result<(), StoreError>>,
}

impl Queue {
    fn push(
        &self,
        write: &TransitionWrite,
        now_ms: i64,
    ) -> (u64, oneshot::Receiver<Result<(), StoreError>>) {
        let (reply, answer) = oneshot::channel();
        let mut waiting = self.lock();
        let ticket = waiting.next_ticket;
        waiting.next_ticket += 1;
        waiting.items.push(Pending {
            ticket,
            write: write.clone(),
            now_ms,
            reply,
        });
        (ticket, answer)
    }

    fn take(&self) -> Vec<Pending> {
        let mut waiting = self.lock();
        let n = waiting.items.len().min(MAX_BATCH);
        waiting.items.drain(..n).collect()
    }

    /// Takes a ticket back if no writer has taken it yet.
    fn withdraw(&self, ticket: u64) -> bool {
        let mut waiting = self.lock();
        let before = waiting.items.len();
        waiting.items.retain(|p| p.ticket != ticket);
        waiting.items.len() != before
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Waiting> {
        // A writer that panicked while holding the lock left a valid list.
        self.waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Store {
    /// What group commit has done so far (SQLite; zero on PostgreSQL).
    pub fn group_commit_stats(&self) -> GroupCommitStats {
        GroupCommitStats {
            transitions: self.group.transitions.load(Ordering::Relaxed),
            transactions: self.group.transactions.load(Ordering::Relaxed),
        }
    }

    /// Applies a transition; [`StoreError::Conflict`] if another writer moved
    /// the session first.
    pub async fn apply_transition(
        &self,
        write: &TransitionWrite,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        if self.write_lane.is_none() {
            let result = self.apply_alone(write, now_ms).await;
            self.sessions.forget(write.session_id);
            return result;
        }
        let (ticket, answer) = self.group.push(write, now_ms);
        let lane = match self.lock_lane().await {
            Ok(lane) => lane,
            // Still queued: nobody will write it, so it failed. Taken: a
            // writer holding the lane is writing it; its answer is the one.
            Err(e) if self.group.withdraw(ticket) => return Err(e.into()),
            Err(_) => return answered(answer).await,
        };
        // Written by an earlier lane holder, or by this one now.
        let batch = self.group.take();
        if !batch.is_empty() {
            let started = std::time::Instant::now();
            let size = batch.len();
            self.write_batch(batch).await;
            tracing::debug!(
                size,
                write_ms = started.elapsed().as_secs_f64() * 1e3,
                "group commit"
            );
        }
        drop(lane);
        answered(answer).await
    }

    /// Writes a batch (the caller holds the lane) and answers each writer.
    async fn write_batch(&self, batch: Vec<Pending>) {
        let together = if batch.len() > 1 {
            self.write_together(&batch)
                .await
                .inspect_err(|e| {
                    tracing::debug!(error = %e, size = batch.len(), "a shared commit failed; writing its transitions one by one");
                })
                .ok()
        } else {
            None
        };
        let transactions = if together.is_some() { 1 } else { batch.len() };
        self.group
            .transitions
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        self.group
            .transactions
            .fetch_add(transactions as u64, Ordering::Relaxed);
        let results = match together {
            Some(results) => results,
            None => {
                let mut results = Vec::with_capacity(batch.len());
                for p in &batch {
                    results.push(self.apply_alone(&p.write, p.now_ms).await);
                }
                results
            }
        };
        metrics::histogram!("kassa_store_group_commit_size").record(batch.len() as f64);
        for (p, result) in batch.into_iter().zip(results) {
            self.sessions.forget(p.write.session_id);
            // A writer that stopped waiting lost nothing: its write stands.
            let _ = p.reply.send(result);
        }
    }

    /// Every transition of the batch in one transaction, a statement per
    /// table; any error but a stale version rolls them all back.
    async fn write_together(
        &self,
        batch: &[Pending],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        let txn = self.begin_immediate().await?;
        let writes: Vec<(&TransitionWrite, i64)> =
            batch.iter().map(|p| (&p.write, p.now_ms)).collect();
        let results = write_transitions(&txn, &writes)
            .await?
            .into_iter()
            .map(outcome)
            .collect();
        crate::fault::point("group_commit_written").await;
        txn.commit().await?;
        Ok(results)
    }

    /// One transition in its own transaction (the caller holds the lane on
    /// SQLite).
    async fn apply_alone(&self, write: &TransitionWrite, now_ms: i64) -> Result<(), StoreError> {
        let txn = self.begin_immediate().await?;
        outcome(write_transition(&txn, write, now_ms).await?)?;
        crate::fault::point("group_commit_written").await;
        txn.commit().await?;
        Ok(())
    }
}

async fn answered(answer: oneshot::Receiver<Result<(), StoreError>>) -> Result<(), StoreError> {
    answer.await.unwrap_or_else(|_| {
        Err(StoreError::Unexpected(anyhow::anyhow!(
            "the writer committing this transition stopped before answering"
        )))
    })
}

fn outcome(applied: Applied) -> Result<(), StoreError> {
    match applied {
        Applied::Written => Ok(()),
        Applied::Stale => Err(StoreError::Conflict),
    }
}
