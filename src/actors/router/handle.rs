//! `Router`: the handle handlers hold to ask the router. It never fails:
//! when the router does not answer, a hint is simply not resolved.

use actix::prelude::*;

use super::RouterActor;
use super::view::ViewReceiver;
use crate::clock::SharedClock;
use crate::domain::merchant::Merchant;
use crate::domain::money::Money;
use crate::domain::routing::{
    Audience, Capabilities, Provider, Reason, RouteContext, RoutingConfig, capabilities, decide,
};

/// A created session to route.
#[derive(Debug, Clone)]
pub struct RouteRequest {
    pub merchant: Merchant,
    /// The hint as sent (`provider`/`method`/…), if any.
    pub hint: Option<String>,
    /// The customer's country (ISO alpha-2, upper case), if known.
    pub country: Option<String>,
    pub session_id: i64,
    pub deposit_address: String,
    pub fiat: Money,
    pub email: Option<String>,
    pub return_url: Option<String>,
}

/// What routing made of a session's hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteOutcome {
    /// Where to send the customer directly; `None`: use `checkout_url`.
    pub direct_url: Option<String>,
    pub selected_provider: Option<Provider>,
    /// Whether Smart Routing is in force for the merchant.
    pub smart_route: bool,
    pub reason: Reason,
    /// `reason` with what was passed over (`routing_reason`).
    pub description: String,
}

/// Routes a created session (`RouteRequest`).
#[derive(Debug, Message)]
#[rtype(result = "RouteOutcome")]
pub struct RouteSession(pub RouteRequest);

/// Re-read the routing file now.
#[derive(Debug, Message)]
#[rtype(result = "Result<(), String>")]
pub struct ReloadRouting;

/// A page or adapter saw `provider` fail: pass it over for a while.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct ProviderFailed(pub Provider);

/// A session was paid (outcome figures: completed, time until paid).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct SessionPaid {
    pub session_id: i64,
}

/// The router's current configuration and provider health.
#[derive(Debug, Message)]
#[rtype(result = "RouterStatus")]
pub struct GetRouterStatus;

#[derive(Debug, Clone, Default)]
pub struct RouterStatus {
    pub config: Option<RoutingConfig>,
    pub configured: Vec<Provider>,
    /// Providers passed over, with the unix-ms time they are tried again.
    pub unhealthy_until: Vec<(Provider, i64)>,
}

#[derive(Clone)]
pub struct Router {
    addr: Addr<RouterActor>,
    /// The `smart_router_enabled` setting, for answers without the actor.
    setting_enabled: bool,
    /// The actor's published table and health, for read-only answers.
    view: ViewReceiver,
    clock: SharedClock,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router").finish_non_exhaustive()
    }
}

impl Router {
    pub fn new(
        addr: Addr<RouterActor>,
        setting_enabled: bool,
        view: ViewReceiver,
        clock: SharedClock,
    ) -> Self {
        Self {
            addr,
            setting_enabled,
            view,
            clock,
        }
    }

    /// Runs `f` on the policy's inputs for `merchant`, as published now.
    fn with_context<T>(&self, merchant: &Merchant, f: impl FnOnce(&RouteContext<'_>) -> T) -> T {
        let view = self.view.borrow().clone();
        let states = view.states(self.clock.now_ms());
        f(&RouteContext {
            merchant,
            config: &view.config,
            states: &states,
            setting_enabled: self.setting_enabled,
        })
    }

    /// Routes a created session's hint.
    pub async fn route(&self, request: RouteRequest) -> RouteOutcome {
        let smart_route = request
            .merchant
            .smart_routing_effective(self.setting_enabled);
        self.addr
            .send(RouteSession(request))
            .await
            .unwrap_or_else(|_| RouteOutcome {
                direct_url: None,
                selected_provider: None,
                smart_route,
                reason: Reason::RouterUnavailable,
                description: Reason::RouterUnavailable.as_str().to_string(),
            })
    }

    /// The provider `hint` would send this customer to first (`None`: the
    /// hint does not route).
    pub fn first_choice(
        &self,
        merchant: &Merchant,
        hint: &str,
        country: Option<&str>,
    ) -> Option<Provider> {
        self.with_context(merchant, |ctx| {
            decide(ctx, Some(hint), Audience::Customer(country))
                .candidates
                .first()
                .copied()
        })
    }

    /// Per-method capabilities, from the same policy as [`Router::route`].
    pub fn capabilities(&self, merchant: &Merchant) -> Capabilities {
        self.with_context(merchant, capabilities)
    }

    pub async fn reload(&self) -> Result<(), String> {
        self.addr
            .send(ReloadRouting)
            .await
            .unwrap_or_else(|_| Err("the router is not running".into()))
    }

    pub fn provider_failed(&self, provider: Provider) {
        self.addr.do_send(ProviderFailed(provider));
    }

    pub fn session_paid(&self, session_id: i64) {
        self.addr.do_send(SessionPaid { session_id });
    }

    pub async fn status(&self) -> RouterStatus {
        self.addr.send(GetRouterStatus).await.unwrap_or_default()
    }
}
