//! `RoutingView`: what the router decides from (table and provider health),
//! published by the `RouterActor` whenever it changes. Read-only questions —
//! `me.php`'s capabilities, the checkout's method list, the provider a hint
//! would pick first — are answered from it by the pure policy, without a
//! round trip to the actor's thread on every page view.
//!
//! Only the actor writes it; handlers hold a receiver through `Router`.

use std::collections::BTreeSet;
use std::sync::Arc;

use tokio::sync::watch;

use crate::domain::routing::{Provider, ProviderStates, RoutingConfig};

#[derive(Debug, Clone)]
pub struct RoutingView {
    pub config: RoutingConfig,
    pub configured: BTreeSet<Provider>,
    /// Providers passed over, with the unix-ms time they are tried again.
    pub unhealthy_until: Vec<(Provider, i64)>,
}

impl RoutingView {
    /// Provider states at `now_ms`.
    pub fn states(&self, now_ms: i64) -> ProviderStates {
        ProviderStates {
            configured: self.configured.clone(),
            unhealthy: self
                .unhealthy_until
                .iter()
                .filter(|(_, until)| *until > now_ms)
                .map(|(p, _)| *p)
                .collect(),
        }
    }
}

pub type ViewSender = watch::Sender<Arc<RoutingView>>;
pub type ViewReceiver = watch::Receiver<Arc<RoutingView>>;
