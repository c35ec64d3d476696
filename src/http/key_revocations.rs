//! Keeps this node's authentication cache honest when keys are revoked on
//! other nodes: follows the store's revocation listener (PostgreSQL
//! `LISTEN kassa_api_keys`) and forgets each revoked prefix as it is
//! announced. When the connection is lost the whole cache is cleared (what
//! was announced meanwhile is gone) and the listener reconnects with
//! exponential back-off (200 ms to 30 s, jitter), clearing the cache once
//! more when it is back.
//!
//! The follower runs on a thread with a Tokio runtime of its own: the
//! listener's connection must be closed inside the runtime that opened it,
//! and the actix system of a server (or a test) may end at any moment. It
//! holds the cache weakly and ends within a second once the server's state
//! is gone. A panic clears the cache and restarts it on a fresh runtime.
//!
//! On SQLite there is one node and no listener: a revocation through this
//! node forgets the key at once (`app::api_keys::revoke`); one made by the
//! CLI in another process shows within the cache's TTL.
//!
//! It must not decide whether a key is valid; it only forgets.

use std::sync::{Arc, Weak};
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

use super::auth_cache::AuthCache;
use crate::store::Store;
use crate::store::api_key_events::{KeyEvent, RevocationListener, RevocationSource};

/// How often the follower checks that the server is still there.
const ALIVE_CHECK: Duration = Duration::from_secs(1);
/// How long startup waits for the first subscription.
const FIRST_SUBSCRIPTION: Duration = Duration::from_secs(5);

fn backoff() -> impl Iterator<Item = Duration> {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(200))
        .with_max_delay(Duration::from_secs(30))
        .with_jitter()
        .without_max_times()
        .build()
}

/// Starts the follower (PostgreSQL only) and waits until its first
/// subscription is made or has failed (then it keeps retrying), so a node
/// hears every revocation from its first request on when PostgreSQL is up.
pub async fn start(store: &Store, cache: &Arc<AuthCache>) {
    let Some(source) = store.revocation_source() else {
        return;
    };
    let (ready, subscribed) = tokio::sync::oneshot::channel();
    let cache = Arc::downgrade(cache);
    let spawned = std::thread::Builder::new()
        .name("kassa-key-revocations".into())
        .spawn(move || supervise(&source, &cache, ready));
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the API key revocation follower");
        return;
    }
    let _ = tokio::time::timeout(FIRST_SUBSCRIPTION, subscribed).await;
}

/// Runs the follower on a fresh runtime, again after a panic (the cache is
/// cleared first: revocations announced meanwhile were not heard).
fn supervise(
    source: &RevocationSource,
    cache: &Weak<AuthCache>,
    ready: tokio::sync::oneshot::Sender<()>,
) {
    let mut ready = Some(ready);
    loop {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(e) => {
                tracing::error!(error = %e, "cannot start the API key revocation follower");
                with_cache(cache, AuthCache::clear);
                return;
            }
        };
        let run = std::panic::AssertUnwindSafe(|| {
            runtime.block_on(follow(source.clone(), cache.clone(), ready.take()));
        });
        if std::panic::catch_unwind(run).is_ok() {
            return;
        }
        tracing::error!("the API key revocation follower panicked; cache cleared, restarting");
        if !with_cache(cache, AuthCache::clear) {
            return;
        }
        std::thread::sleep(ALIVE_CHECK);
    }
}

/// Runs `f` on the cache if the server is still there; `false` when gone.
fn with_cache(cache: &Weak<AuthCache>, f: impl FnOnce(&AuthCache)) -> bool {
    match cache.upgrade() {
        Some(c) => {
            f(&c);
            true
        }
        None => false,
    }
}

async fn follow(
    source: RevocationSource,
    cache: Weak<AuthCache>,
    mut ready: Option<tokio::sync::oneshot::Sender<()>>,
) {
    let mut delays = backoff();
    loop {
        let subscribed = source.listen().await;
        if let Some(ready) = ready.take() {
            let _ = ready.send(());
        }
        let listener = match subscribed {
            Ok(listener) => listener,
            Err(e) => {
                let pause = delays.next().unwrap_or(Duration::from_secs(30));
                tracing::warn!(error = %e, ?pause, "cannot listen for API key revocations");
                if !pause_while_alive(&cache, pause).await {
                    return;
                }
                continue;
            }
        };
        // Anything cached while no one listened may have been revoked since.
        if !with_cache(&cache, AuthCache::clear) {
            return;
        }
        delays = backoff();
        if !listen(listener, &cache).await {
            return;
        }
        let pause = delays.next().unwrap_or(Duration::from_secs(30));
        if !pause_while_alive(&cache, pause).await {
            return;
        }
    }
}

/// Follows one subscription until its connection is lost (the cache is
/// cleared at once; `true`: subscribe again, which clears it once more) or
/// the server is gone (`false`).
async fn listen(mut listener: RevocationListener, cache: &Weak<AuthCache>) -> bool {
    loop {
        let event = match tokio::time::timeout(ALIVE_CHECK, listener.next()).await {
            Ok(event) => event,
            Err(_) if cache.strong_count() > 0 => continue,
            Err(_) => return false,
        };
        let alive = match event {
            Ok(KeyEvent::Revoked(prefix)) => with_cache(cache, |c| c.forget(&prefix)),
            Ok(KeyEvent::Lost) => {
                tracing::warn!("revocation listener lost; authentication cache cleared");
                return with_cache(cache, AuthCache::clear);
            }
            Err(e) => {
                tracing::warn!(error = %e, "revocation listener lost; authentication cache cleared");
                return with_cache(cache, AuthCache::clear);
            }
        };
        if !alive {
            return false;
        }
    }
}

/// Sleeps `pause` in steps, answering `false` as soon as the server is gone.
async fn pause_while_alive(cache: &Weak<AuthCache>, pause: Duration) -> bool {
    let mut left = pause;
    while !left.is_zero() {
        if cache.strong_count() == 0 {
            return false;
        }
        let step = left.min(ALIVE_CHECK);
        tokio::time::sleep(step).await;
        left = left.saturating_sub(step);
    }
    cache.strong_count() > 0
}
