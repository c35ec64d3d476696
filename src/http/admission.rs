//! Load shedding for the API's two busiest doors, session creation and the
//! status lookup. Each door admits a bounded number of requests at once; a
//! request that finds the door full waits in a bounded queue for at most
//! `api_queue_ms`, then is answered 503 `service_unavailable` with
//! `Retry-After`. Past capacity, load is shed at once instead of piling up
//! behind the session engine, so an answered request is never older than
//! the queue bound plus one request's work, and service is back to normal as
//! soon as the excess stops.
//!
//! The per-key rate limit protects the platform from one merchant; this
//! protects it from all of them at once. It is per node.

use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::error::ApiError;

/// One door's admission: `in_flight` requests at once, the rest wait at
/// most `queue`.
pub struct Gate {
    route: &'static str,
    permits: Semaphore,
    queue: Duration,
}

impl Gate {
    pub fn new(route: &'static str, in_flight: usize, queue: Duration) -> Self {
        Self {
            route,
            permits: Semaphore::new(in_flight.clamp(1, Semaphore::MAX_PERMITS)),
            queue,
        }
    }

    /// Admits the request (held until the permit drops) or sheds it.
    pub async fn enter(&self) -> Result<SemaphorePermit<'_>, ApiError> {
        if let Ok(permit) = self.permits.try_acquire() {
            return Ok(permit);
        }
        // Waiters are served in arrival order; the semaphore is never closed.
        match tokio::time::timeout(self.queue, self.permits.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) | Err(_) => {
                metrics::counter!("kassa_http_shed_total", "route" => self.route).increment(1);
                Err(ApiError::Unavailable)
            }
        }
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
}
