//! Load shedding for the API's two busiest doors, session creation and the
//! status lookup. Each door admits a bounded number of requests at once; a
//! request that finds the door full waits in a queue no longer than the
//! door's concurrency, for at most `api_queue_ms`; one that finds the queue
//! full, or waits that long, is answered 503 `service_unavailable` with
//! `Retry-After`. Past capacity, load is shed at once instead of piling up
//! behind the session engine, so an answered request is never older than
//! the queue bound plus one request's work, and service is back to normal as
//! soon as the excess stops.
//!
//! The per-key rate limit protects the platform from one merchant; this
//! protects it from all of them at once. It is per node.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::error::ApiError;

/// One door's admission: `in_flight` requests at once, as many more
/// waiting at most `queue`, the rest shed at once.
pub struct Gate {
    route: &'static str,
    permits: Semaphore,
    /// Requests waiting for a place now.
    waiting: AtomicUsize,
    max_waiting: usize,
    queue: Duration,
}

impl Gate {
    pub fn new(route: &'static str, in_flight: usize, queue: Duration) -> Self {
        let in_flight = in_flight.clamp(1, Semaphore::MAX_PERMITS);
        Self {
            route,
            permits: Semaphore::new(in_flight),
            waiting: AtomicUsize::new(0),
            max_waiting: in_flight,
            queue,
        }
    }

    /// Admits the request (held until the permit drops) or sheds it.
    pub async fn enter(&self) -> Result<SemaphorePermit<'_>, ApiError> {
        if let Ok(permit) = self.permits.try_acquire() {
            return Ok(permit);
        }
        let in_queue = Waiting::join(&self.waiting);
        if in_queue.ahead >= self.max_waiting {
            return Err(self.shed());
        }
        // Waiters are served in arrival order; the semaphore is never closed.
        let waited = tokio::time::timeout(self.queue, self.permits.acquire()).await;
        drop(in_queue);
        match waited {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) | Err(_) => Err(self.shed()),
        }
    }

    fn shed(&self) -> ApiError {
        metrics::counter!("kassa_http_shed_total", "route" => self.route).increment(1);
        ApiError::Unavailable
    }
}

/// A place in a door's queue, left when dropped: also when the request is
/// dropped while it waits (the client went away).
struct Waiting<'a> {
    count: &'a AtomicUsize,
    /// Requests that were waiting when this one joined.
    ahead: usize,
}

impl<'a> Waiting<'a> {
    fn join(count: &'a AtomicUsize) -> Self {
        let ahead = count.fetch_add(1, Ordering::AcqRel);
        Self { count, ahead }
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The gates of the API's doors (see the module docs).
pub struct Admission {
    pub create: Gate,
    pub status: Gate,
}

impl Admission {
    pub fn new(create: usize, status: usize, queue: Duration) -> Self {
        Self {
            create: Gate::new("/gateway/session.php", create, queue),
            status: Gate::new("/gateway/session_status.php", status, queue),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_gate_sheds_after_the_queue_bound_and_admits_again_once_free() {
        let gate = Gate::new("/x", 2, Duration::from_millis(20));
        let a = gate.enter().await.unwrap();
        let _b = gate.enter().await.unwrap();
        let shed = gate.enter().await.unwrap_err();
        assert!(matches!(shed, ApiError::Unavailable));
        assert_eq!(shed.retry_after(), Some(Duration::from_secs(1)));
        drop(a);
        assert!(gate.enter().await.is_ok(), "a freed place admits at once");
    }

    #[tokio::test]
    async fn a_waiter_is_admitted_when_a_place_frees_within_the_queue_bound() {
        let gate = std::sync::Arc::new(Gate::new("/x", 1, Duration::from_secs(5)));
        let held = gate.enter().await.unwrap();
        let waiter = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.enter().await.map(drop).is_ok() })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(held);
        assert!(
            waiter.await.unwrap(),
            "the queued request got the freed place"
        );
    }

    #[tokio::test]
    async fn past_a_full_queue_requests_are_shed_at_once() {
        let gate = std::sync::Arc::new(Gate::new("/x", 1, Duration::from_secs(60)));
        let _held = gate.enter().await.unwrap();
        let waiter = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.enter().await.map(drop).is_ok() })
        };
        while gate.waiting.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        let started = std::time::Instant::now();
        assert!(gate.enter().await.is_err(), "the queue (1 place) is full");
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "shed without waiting out the queue bound"
        );
        waiter.abort();
        let _ = waiter.await;
        assert_eq!(
            gate.waiting.load(Ordering::Acquire),
            0,
            "a request dropped while it waits leaves the queue"
        );
    }
}
