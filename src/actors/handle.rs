//! `Sessions`: the handle the rest of the gateway holds to create sessions
//! and send facts to them. It hides which actor does what, retries a
//! message once on a fresh actor when the old one died, and again when
//! another node's write won the version check (the actor reloads first).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use actix::prelude::*;

use super::creator::{CommitStats, CreateError, CreateSession, GetCommitStats, SessionCreator};
use super::registry::{Died, GetStats, Lookup, RegistryStats, SessionRegistry};
use super::session::{
    CancelSession, DepositObserved, DepositReversed, ExpireSession, InjectPanic, PayoutSent,
    SessionActor, SessionError, SessionOutcome,
};
use super::supervision::{self, ActorKind, Queued};
use crate::domain::checkout_session::{NewSession, SessionRecord};
use crate::domain::deposit::DepositFact;

/// How often a message is sent when other nodes keep moving its session
/// first (each loss means another transition was committed meanwhile).
const STALE_TRIES: usize = 3;

#[derive(Clone)]
pub struct Sessions {
    creator: Addr<SessionCreator>,
    registry: Addr<SessionRegistry>,
    /// Messages sent to session actors and not yet answered (mailbox depth).
    in_flight: Arc<AtomicI64>,
}

impl Sessions {
    pub fn new(creator: Addr<SessionCreator>, registry: Addr<SessionRegistry>) -> Self {
        Self {
            creator,
            registry,
            in_flight: Arc::new(AtomicI64::new(0)),
        }
    }

    /// Creates a session; answered after it is committed.
    pub async fn create(&self, new: NewSession) -> Result<SessionRecord, CreateError> {
        let _queued = Queued::enter(ActorKind::Creator);
        self.creator
            .send(CreateSession(new))
            .await
            .unwrap_or(Err(CreateError::Stopped))
    }

    /// Tells a session that a transfer reached its deposit address.
    pub async fn deposit(
        &self,
        session_id: i64,
        fact: DepositFact,
    ) -> Result<SessionOutcome, SessionError> {
        self.dispatch(session_id, DepositObserved(fact)).await
    }

    /// Tells a session that one of its counted deposits left the canonical chain.
    pub async fn reverse(
        &self,
        session_id: i64,
        tx_hash: String,
        log_index: i64,
    ) -> Result<SessionOutcome, SessionError> {
        self.dispatch(session_id, DepositReversed { tx_hash, log_index })
            .await
    }

    /// Ends a session whose time has come (or, with `force`, now).
    pub async fn expire(
        &self,
        session_id: i64,
        force: bool,
    ) -> Result<SessionOutcome, SessionError> {
        self.dispatch(session_id, ExpireSession { force }).await
    }

    /// The customer cancels an open session.
    pub async fn cancel(&self, session_id: i64) -> Result<SessionOutcome, SessionError> {
        self.dispatch(session_id, CancelSession).await
    }

    /// Tells a session that a sweep of its money was mined (once per sweep).
    pub async fn payout_sent(
        &self,
        session_id: i64,
        sweep_id: i64,
        txid_out: String,
    ) -> Result<SessionOutcome, SessionError> {
        self.dispatch(session_id, PayoutSent { sweep_id, txid_out })
            .await
    }

    /// Sandbox fault switch: makes the session's actor panic.
    pub async fn inject_panic(&self, session_id: i64) -> Result<(), SessionError> {
        let addr = self
            .lookup(session_id)
            .await
            .map_err(|_| SessionError::Unavailable)?;
        addr.do_send(InjectPanic);
        Ok(())
    }

    /// What group commit has done so far.
    pub async fn commit_stats(&self) -> CommitStats {
        let _queued = Queued::enter(ActorKind::Creator);
        self.creator.send(GetCommitStats).await.unwrap_or_default()
    }

    /// Supervision figures, with the current mailbox depth.
    pub async fn stats(&self) -> (RegistryStats, i64) {
        let stats = {
            let _queued = Queued::enter(ActorKind::Registry);
            self.registry.send(GetStats).await.unwrap_or_default()
        };
        (stats, self.in_flight.load(Ordering::Relaxed))
    }

    /// The session's actor, through the registry.
    async fn lookup(&self, id: i64) -> Result<Addr<SessionActor>, MailboxError> {
        let _queued = Queued::enter(ActorKind::Registry);
        self.registry.send(Lookup { id }).await
    }

    /// Sends `msg` to session `id`'s actor. A message whose write lost to
    /// another node's (the version check) is sent again, so it is decided
    /// against the session as that node left it: applied if it still
    /// applies, refused otherwise, never written over the other's change.
    async fn dispatch<M>(&self, id: i64, msg: M) -> Result<SessionOutcome, SessionError>
    where
        M: Message<Result = Result<SessionOutcome, SessionError>> + Clone + Send + 'static,
        SessionActor: Handler<M>,
    {
        let mut tries = 1;
        loop {
            match self.dispatch_once(id, msg.clone()).await {
                Err(SessionError::Stale) if tries < STALE_TRIES => tries += 1,
                result => return result,
            }
        }
    }

    async fn dispatch_once<M>(&self, id: i64, msg: M) -> Result<SessionOutcome, SessionError>
    where
        M: Message<Result = Result<SessionOutcome, SessionError>> + Clone + Send + 'static,
        SessionActor: Handler<M>,
    {
        let addr = self
            .lookup(id)
            .await
            .map_err(|_| SessionError::Unavailable)?;
        match self.send_counted(&addr, msg.clone()).await {
            Err(MailboxError::Closed) => {
                let fresh = {
                    let _queued = Queued::enter(ActorKind::Registry);
                    self.registry.send(Died { id, addr }).await
                }
                .map_err(|_| SessionError::Unavailable)?;
                self.send_counted(&fresh, msg)
                    .await
                    .map_err(|_| SessionError::Unavailable)?
            }
            Err(MailboxError::Timeout) => Err(SessionError::Unavailable),
            Ok(result) => result,
        }
    }

    async fn send_counted<M>(
        &self,
        addr: &Addr<SessionActor>,
        msg: M,
    ) -> Result<M::Result, MailboxError>
    where
        M: Message + Send + 'static,
        M::Result: Send,
        SessionActor: Handler<M>,
    {
        let depth = self.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        metrics::gauge!("kassa_registry_mailbox_depth").set(depth as f64);
        supervision::set_mailbox_depth(ActorKind::Session, depth);
        let result = addr.send(msg).await;
        let depth = self.in_flight.fetch_sub(1, Ordering::Relaxed) - 1;
        metrics::gauge!("kassa_registry_mailbox_depth").set(depth as f64);
        supervision::set_mailbox_depth(ActorKind::Session, depth);
        result
    }
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("in_flight", &self.in_flight)
            .finish_non_exhaustive()
    }
}
