//! What every handler can reach, on every web door (API and pages): handles
//! to the actors and the store, the clock, and the checked settings. It only
//! holds them; it must not carry behaviour of its own.

use std::sync::Arc;

use governor::DefaultKeyedRateLimiter;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::actors::handle::Sessions;
use crate::actors::sandbox::SandboxPayments;
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::store::Store;

pub struct AppState {
    pub store: Store,
    pub sessions: Sessions,
    /// The payout actor (gas levels for `/readyz`).
    pub payouts: crate::actors::payout::Payouts,
    /// The chain watcher (where it stands, for the operations page).
    pub chain: crate::actors::chain_watcher::ChainWatch,
    /// Present in sandbox mode only.
    pub sandbox: Option<SandboxPayments>,
    /// The one way to open a session (API, payment links, product pages).
    pub opener: crate::app::sessions::open::SessionOpener,
    /// Smart Routing: the routing policy with its configuration and provider health.
    pub router: crate::actors::router::Router,
    pub clock: SharedClock,
    pub settings: Arc<Settings>,
    /// Base URL of the hosted pages (`checkout_url`).
    pub public_base: String,
    /// Key of the per-session page tokens (hosted pages, sandbox on-ramp).
    pub page_secret: crate::domain::page_token::PageSecret,
    pub limiter: DefaultKeyedRateLimiter<String>,
    /// Load shedding at session creation and the status lookup.
    pub admission: super::admission::Admission,
    /// Sessions opened through payment links and product pages per client address.
    pub storefront_limiter: DefaultKeyedRateLimiter<std::net::IpAddr>,
    /// Dashboard logins and sign-ups per client address.
    pub login_limiter: DefaultKeyedRateLimiter<std::net::IpAddr>,
    /// Shared with the follower that forgets keys revoked on other nodes.
    pub auth_cache: Arc<super::auth_cache::AuthCache>,
    /// Where authentication records key uses ("last used", written in batches).
    pub key_uses: crate::actors::key_usage::KeyUses,
    /// The signed, SSRF-checked webhook client (the sender's settings), for
    /// a test webhook sent now from the dashboard.
    pub deliverer: crate::webhooks::delivery::Deliverer,
    pub metrics: PrometheusHandle,
    /// This node's name and whether it leads the chain watcher and payouts.
    pub leadership: crate::actors::leadership::Leadership,
}
