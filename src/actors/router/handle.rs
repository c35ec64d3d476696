//! `Router`: the handle handlers hold to ask the router. It never fails:
//! when the router does not answer, a hint is simply not resolved.

use actix::prelude::*;

use super::RouterActor;
use super::view::ViewReceiver;
use crate::actors::supervision::{self, ActorKind, Queued};
use crate::clock::SharedClock;
use crate::domain::merchant::Merchant;
use crate::domain::money::Money;
use crate::domain::routing::{
    Audience, Capabilities, Method, Provider, Reason, RouteContext, RoutingConfig, capabilities,
    decide,
};
use crate::providers::WidgetRequest;

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

/// A session about to be created, to decide its route before it is stored.
#[derive(Debug, Clone)]
pub struct RouteQuestion {
    pub merchant: Merchant,
    /// The hint as sent (`provider`/`method`/…), if any.
    pub hint: Option<String>,
    /// The customer's country (ISO alpha-2, upper case), if known.
    pub country: Option<String>,
    pub fiat: Money,
}

/// What routing decided for a session about to be created; stored with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteDecision {
    pub selected_provider: Option<Provider>,
    /// The route family the hint named or implied.
    pub method: Option<Method>,
    /// Whether Smart Routing is in force for the merchant.
    pub smart_route: bool,
    pub reason: Reason,
    /// `reason` with what was passed over (`routing_reason`).
    pub description: String,
}

/// A created session, as an adapter needs it to build its URL.
#[derive(Debug, Clone)]
pub struct SessionTarget {
    pub session_id: i64,
    pub deposit_address: String,
    pub fiat: Money,
    pub email: Option<String>,
    pub return_url: Option<String>,
    pub country: Option<String>,
}

impl SessionTarget {
    pub(super) fn widget_request(&self) -> WidgetRequest<'_> {
        WidgetRequest {
            session_id: self.session_id,
            deposit_address: &self.deposit_address,
            fiat: self.fiat,
            email: self.email.as_deref(),
            return_url: self.return_url.as_deref(),
            country: self.country.as_deref(),
        }
    }
}

/// Decides a session about to be created (`RouteQuestion`).
#[derive(Debug, Message)]
#[rtype(result = "RouteDecision")]
pub struct DecideRoute(pub RouteQuestion);

/// Builds the decided provider's URL for the created session; `None` when
/// the adapter failed (it is then passed over for a while).
#[derive(Debug, Message)]
#[rtype(result = "Option<String>")]
pub struct BuildDirectUrl {
    pub provider: Provider,
    pub method: Option<Method>,
    pub target: SessionTarget,
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

/// Routes an existing session (`RouteRequest`).
#[derive(Debug, Message)]
#[rtype(result = "RouteOutcome")]
pub struct RouteSession(pub RouteRequest);

/// Re-read the live routing from the database now (without waiting for the
/// next poll); answers the version now in force.
#[derive(Debug, Message)]
#[rtype(result = "Result<i64, String>")]
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
    /// Outcomes per provider × country × method since this node started.
    pub outcomes: Vec<super::outcomes::OutcomeFigures>,
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

    /// Decides the route of a session about to be created. When the router
    /// does not answer, the hint is simply not resolved. Without a hint
    /// there is nothing to resolve and no adapter to ask, so the published
    /// view answers, without a round trip to the actor (most creates).
    pub async fn decide(&self, question: RouteQuestion) -> RouteDecision {
        if question.hint.is_none() {
            let decision = self.with_context(&question.merchant, |ctx| {
                decide(ctx, None, Audience::Customer(question.country.as_deref()))
            });
            return RouteDecision {
                selected_provider: None,
                method: decision.method,
                smart_route: decision.smart_route,
                reason: decision.reason,
                description: decision.describe(),
            };
        }
        let smart_route = question
            .merchant
            .smart_routing_effective(self.setting_enabled);
        let _queued = Queued::enter(ActorKind::Router);
        self.addr
            .send(DecideRoute(question))
            .await
            .unwrap_or_else(|_| RouteDecision {
                selected_provider: None,
                method: None,
                smart_route,
                reason: Reason::RouterUnavailable,
                description: Reason::RouterUnavailable.as_str().to_string(),
            })
    }

    /// The decided provider's URL for the created session (`None`: send the
    /// customer to `checkout_url`).
    pub async fn direct_url(
        &self,
        decision: &RouteDecision,
        target: SessionTarget,
    ) -> Option<String> {
        let provider = decision.selected_provider?;
        let _queued = Queued::enter(ActorKind::Router);
        self.addr
            .send(BuildDirectUrl {
                provider,
                method: decision.method,
                target,
            })
            .await
            .ok()
            .flatten()
    }

    /// Routes an existing session's hint (the checkout's method choice).
    pub async fn route(&self, request: RouteRequest) -> RouteOutcome {
        let smart_route = request
            .merchant
            .smart_routing_effective(self.setting_enabled);
        let _queued = Queued::enter(ActorKind::Router);
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

    /// Per-method capabilities, from the same policy as [`Router::route`].
    pub fn capabilities(&self, merchant: &Merchant) -> Capabilities {
        self.with_context(merchant, capabilities)
    }

    /// Re-reads the live routing now; the version in force afterwards.
    pub async fn reload(&self) -> Result<i64, String> {
        let _queued = Queued::enter(ActorKind::Router);
        self.addr
            .send(ReloadRouting)
            .await
            .unwrap_or_else(|_| Err("the router is not running".into()))
    }

    pub fn provider_failed(&self, provider: Provider) {
        supervision::posted(ActorKind::Router);
        self.addr.do_send(ProviderFailed(provider));
    }

    pub fn session_paid(&self, session_id: i64) {
        supervision::posted(ActorKind::Router);
        self.addr.do_send(SessionPaid { session_id });
    }

    pub async fn status(&self) -> RouterStatus {
        let _queued = Queued::enter(ActorKind::Router);
        self.addr.send(GetRouterStatus).await.unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::actors::router::RouterSetup;
    use crate::domain::merchant::{CheckoutMode, Package};
    use crate::domain::money::Currency;

    fn question(merchant: &Merchant, hint: Option<&str>, country: Option<&str>) -> RouteQuestion {
        RouteQuestion {
            merchant: merchant.clone(),
            hint: hint.map(str::to_string),
            country: country.map(str::to_string),
            fiat: Money::from_minor(2_500, Currency::parse("EUR").unwrap()),
        }
    }

    /// A create without a hint is answered from the published view, as
    /// the actor answers it, and still answered when the actor is gone; a
    /// hinted one needs the actor.
    #[actix_web::test]
    async fn a_create_without_a_hint_is_decided_as_the_actor_decides_it_without_the_actor() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::connect(
            &crate::store::DatabaseSettings::sqlite_for_tests(dir.path(), 2),
        )
        .await
        .unwrap();
        store.migrate().await.unwrap();
        let clock: SharedClock = crate::clock::ManualClock::new();
        let actor = RouterActor::load(RouterSetup {
            factory: crate::providers::ProviderFactory::new(
                Default::default(),
                "http://127.0.0.1:1",
                crate::domain::page_token::PageSecret::new(vec![7; 32]),
                true,
            ),
            store,
            clock: clock.clone(),
            sandbox: true,
            setting_enabled: true,
            reload_every: std::time::Duration::from_secs(3600),
            cooldown: std::time::Duration::from_secs(60),
        })
        .await
        .unwrap();
        let view = actor.view();
        let arbiter = Arbiter::new();
        let addr = RouterActor::start_in_arbiter(&arbiter.handle(), |_| actor);
        let router = Router::new(addr.clone(), true, view, clock);

        let merchants = [
            Merchant::for_tests(Package::Pro, CheckoutMode::SmartRouter, true),
            Merchant::for_tests(Package::Pro, CheckoutMode::Standard, true),
            Merchant::for_tests(Package::Free, CheckoutMode::SmartRouter, true),
            Merchant::for_tests(Package::Unlimited, CheckoutMode::SmartRouter, false),
        ];
        let countries = [None, Some("NL"), Some("US")];
        let mut answers = Vec::new();
        for m in &merchants {
            for country in countries {
                let fast = router.decide(question(m, None, country)).await;
                let asked = addr
                    .send(DecideRoute(question(m, None, country)))
                    .await
                    .unwrap();
                assert_eq!(
                    fast, asked,
                    "{:?}/{:?} in {country:?}",
                    m.package, m.checkout_mode
                );
                answers.push(fast);
            }
        }
        assert!(answers.iter().all(|a| a.reason == Reason::NoHint));
        let smart: Vec<bool> = answers.iter().map(|a| a.smart_route).collect();
        assert!(
            smart.contains(&true) && smart.contains(&false),
            "Smart Routing is in force for some merchants only: {smart:?}"
        );

        arbiter.stop();
        arbiter.join().unwrap();
        for (i, m) in merchants.iter().enumerate() {
            let after = router.decide(question(m, None, countries[0])).await;
            assert_eq!(after, answers[i * countries.len()]);
        }
        let hinted = router
            .decide(question(&merchants[0], Some("card"), None))
            .await;
        assert_eq!(hinted.reason, Reason::RouterUnavailable);
    }
}
