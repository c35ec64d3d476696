//! `Router`: the handle handlers hold to ask the router. It never fails:
//! when the router does not answer, a hint is simply not resolved.

use actix::prelude::*;

use super::RouterActor;
use crate::domain::merchant::Merchant;
use crate::domain::money::Money;
use crate::domain::routing::{Capabilities, Provider, Reason, RoutingConfig};

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

/// The provider a hint would route to first, before a session exists.
#[derive(Debug, Message)]
#[rtype(result = "Option<Provider>")]
pub struct PreviewRoute {
    pub merchant: Merchant,
    pub hint: String,
    pub country: Option<String>,
}

/// `me.php`'s per-method view for a merchant.
#[derive(Debug, Message)]
#[rtype(result = "Capabilities")]
pub struct GetCapabilities(pub Merchant);

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

#[derive(Clone, Debug)]
pub struct Router {
    addr: Addr<RouterActor>,
    /// The `smart_router_enabled` setting, for answers without the actor.
    setting_enabled: bool,
}

impl Router {
    pub fn new(addr: Addr<RouterActor>, setting_enabled: bool) -> Self {
        Self {
            addr,
            setting_enabled,
        }
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
    /// hint does not route, or the router does not answer).
    pub async fn first_choice(
        &self,
        merchant: Merchant,
        hint: String,
        country: Option<String>,
    ) -> Option<Provider> {
        self.addr
            .send(PreviewRoute {
                merchant,
                hint,
                country,
            })
            .await
            .ok()
            .flatten()
    }

    /// Per-method capabilities, from the same policy as [`Router::route`].
    pub async fn capabilities(&self, merchant: Merchant) -> Option<Capabilities> {
        self.addr.send(GetCapabilities(merchant)).await.ok()
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
