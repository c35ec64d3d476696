//! The watched set across nodes: deposit addresses other nodes issued.
//!
//! A node pushes the addresses it issues to its own watcher (`Watch`)
//! before answering their creation; with several nodes on one database the
//! leader's watcher must also learn the others'. So after each range of
//! logs is read and before its logs are matched, the leader reads the
//! addresses of sessions created since its previous read (less an
//! overlap). An address shown to a customer was committed before the
//! customer could pay, so before the paying block was mined, so before the
//! logs were read: that order is what guarantees no deposit is missed.
//!
//! Session ids are random and HD indexes are reserved in batches per node,
//! so neither grows in commit order; `created_at` (indexed) does, up to
//! the creating node's commit delay and clock skew, which [`OVERLAP_MS`]
//! covers. Reading an address twice is harmless (the set is a map).
//!
//! Only on a shared database (PostgreSQL): on SQLite one node issues every
//! address and pushes each to its own watcher, so the read is skipped.
//! On gaining leadership the whole set is read again ([`Issued::all`]),
//! since a follower only heard its own addresses.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use actix::Recipient;
use alloy_primitives::Address;

use super::Watch;
use super::step::StepError;
use crate::clock::SharedClock;
use crate::store::Store;

/// How far before its previous read the leader reads again: covers a
/// session batch's commit delay and the clock skew between nodes (whose
/// clocks stamp `created_at`).
pub const OVERLAP_MS: i64 = 60_000;

/// Where the leader's reads of issued addresses stand.
#[derive(Clone)]
pub(super) struct Issued {
    store: Store,
    clock: SharedClock,
    watch: Recipient<Watch>,
    /// Whether other nodes may issue addresses (a PostgreSQL database).
    shared: bool,
    /// The clock's time at the start of the last read.
    read_from_ms: Arc<AtomicI64>,
}

impl Issued {
    /// `loaded_at_ms`: when the set the watcher starts with was read.
    pub fn new(
        store: Store,
        clock: SharedClock,
        watch: Recipient<Watch>,
        shared: bool,
        loaded_at_ms: i64,
    ) -> Self {
        Issued {
            store,
            clock,
            watch,
            shared,
            read_from_ms: Arc::new(AtomicI64::new(loaded_at_ms)),
        }
    }

    /// Every address ever issued, into the watched set (on gaining
    /// leadership).
    pub async fn all(&self) -> Result<(), StepError> {
        let started = self.clock.now_ms();
        let mut pages = self.store.address_pages();
        while let Some(rows) = pages.next().await? {
            self.add(rows).await?;
        }
        self.read_from_ms.store(started, Ordering::SeqCst);
        Ok(())
    }

    /// The addresses issued since the last read, into the watched set; call
    /// after a range's logs were read and before they are matched.
    pub async fn learn(&self) -> Result<(), StepError> {
        if !self.shared {
            return Ok(());
        }
        let started = self.clock.now_ms();
        let since = self.read_from_ms.load(Ordering::SeqCst) - OVERLAP_MS;
        let rows = self.store.deposit_addresses_since(since).await?;
        self.add(rows).await?;
        self.read_from_ms.store(started, Ordering::SeqCst);
        Ok(())
    }

    async fn add(&self, rows: Vec<(i64, String)>) -> Result<(), StepError> {
        let addresses = readable(rows);
        if addresses.is_empty() {
            return Ok(());
        }
        self.watch
            .send(Watch(addresses))
            .await
            .map_err(|_| StepError::Stopped)
    }
}

/// The rows whose address reads; an unreadable one is logged and skipped
/// (it cannot be paid on chain either).
pub fn readable(rows: Vec<(i64, String)>) -> Vec<(Address, i64)> {
    rows.into_iter()
        .filter_map(|(id, address)| match address.parse::<Address>() {
            Ok(a) => Some((a, id)),
            Err(e) => {
                tracing::error!(session_id = id, error = %e, "a session's deposit address does not read");
                None
            }
        })
        .collect()
}
