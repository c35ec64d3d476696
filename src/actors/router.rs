//! RouterActor: holds the routing configuration and the on-ramp adapters
//! (the live version in the database: it polls the version every
//! `reload_every` and reloads when it moved, so a change made on any node
//! reaches every node) and provider health (unhealthy-until times on the
//! injected clock), and answers routing questions by asking the pure policy
//! in `domain::routing`. It then asks the chosen adapters for their URLs;
//! one that fails is passed over for `provider_cooldown` and the next in
//! priority is tried. Read-only questions (capabilities, a hint's first
//! choice) are answered by the `Router` handle from the view this actor
//! publishes on every change (`view.rs`), without a round trip.
//!
//! Must not: import actix-web, write to the database (it only reads the
//! routing version and the live routing), or log credentials.

mod config_file;
mod handle;
pub mod outcomes;
mod reload;
mod view;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;

pub use config_file::parse as parse_routing_text;
pub use handle::{
    BuildDirectUrl, DecideRoute, GetRouterStatus, ProviderFailed, ReloadRouting, RouteDecision,
    RouteOutcome, RouteQuestion, RouteRequest, RouteSession, Router, RouterStatus, SessionPaid,
    SessionTarget,
};
pub use view::RoutingView;

use super::supervision::{self, ActorKind, Handling};
use crate::clock::SharedClock;
use crate::domain::merchant::Merchant;
use crate::domain::routing::Provider;
use crate::domain::routing::{
    Audience, Decision, ProviderStates, Reason, RouteContext, RoutingConfig, Skip, decide,
};
use crate::providers::{BuildError, OnRamp, ProviderFactory, Providers};
use crate::store::Store;
use outcomes::Outcomes;

/// What the router is built from.
pub struct RouterSetup {
    /// Builds the adapters from the credentials in force.
    pub factory: ProviderFactory,
    pub store: Store,
    pub clock: SharedClock,
    pub sandbox: bool,
    /// The `smart_router_enabled` setting.
    pub setting_enabled: bool,
    /// How often the routing version is polled.
    pub reload_every: Duration,
    pub cooldown: Duration,
}

pub struct RouterActor {
    config: RoutingConfig,
    providers: Providers,
    factory: ProviderFactory,
    store: Store,
    /// The routing version in force here (0: built-in table, nothing stored).
    version: i64,
    /// A poll of the version is under way (polls never overlap).
    polling: bool,
    clock: SharedClock,
    sandbox: bool,
    setting_enabled: bool,
    reload_every: Duration,
    cooldown_ms: i64,
    unhealthy_until: HashMap<Provider, i64>,
    outcomes: Outcomes,
    /// Where the current table and health are published (see `view.rs`).
    view: view::ViewSender,
}

impl RouterActor {
    /// Builds the router on the live routing in the database (a stored
    /// configuration that does not read is an error at start; later it is
    /// refused and the previous one kept).
    pub async fn load(setup: RouterSetup) -> anyhow::Result<RouterActor> {
        let stored = setup.store.live_routing().await?;
        let config = reload::config_of(&stored, setup.sandbox).map_err(|e| {
            anyhow::anyhow!(
                "the routing configuration in the database (version {}): {e}; replace it with `kassa routing import FILE`",
                stored.version
            )
        })?;
        let providers = setup.factory.build(&stored.credentials);
        metrics::gauge!("kassa_routing_config_version").set(stored.version as f64);
        let (view, _) = tokio::sync::watch::channel(Arc::new(RoutingView {
            config: config.clone(),
            configured: providers.configured(),
            unhealthy_until: Vec::new(),
        }));
        Ok(RouterActor {
            view,
            config,
            providers,
            factory: setup.factory,
            store: setup.store,
            version: stored.version,
            polling: false,
            clock: setup.clock,
            sandbox: setup.sandbox,
            setting_enabled: setup.setting_enabled,
            reload_every: setup.reload_every,
            cooldown_ms: i64::try_from(setup.cooldown.as_millis()).unwrap_or(i64::MAX),
            unhealthy_until: HashMap::new(),
            outcomes: Outcomes::default(),
        })
    }

    /// A receiver of the published view, for the `Router` handle.
    pub fn view(&self) -> view::ViewReceiver {
        self.view.subscribe()
    }

    /// Publishes the current table and health to the handles.
    fn publish(&self) {
        self.view.send_replace(Arc::new(RoutingView {
            config: self.config.clone(),
            configured: self.providers.configured(),
            unhealthy_until: self.unhealthy_until.iter().map(|(p, u)| (*p, *u)).collect(),
        }));
    }

    fn states(&self, now_ms: i64) -> ProviderStates {
        ProviderStates {
            configured: self.providers.configured(),
            unhealthy: self
                .unhealthy_until
                .iter()
                .filter(|(_, until)| **until > now_ms)
                .map(|(p, _)| *p)
                .collect::<BTreeSet<_>>(),
        }
    }

    fn mark_unhealthy(&mut self, provider: Provider, now_ms: i64) {
        self.unhealthy_until
            .insert(provider, now_ms.saturating_add(self.cooldown_ms));
        metrics::gauge!("kassa_routing_provider_unhealthy", "provider" => provider.as_str())
            .set(1.0);
        self.publish();
    }

    fn tick(&mut self, ctx: &mut Context<Self>) {
        self.poll(ctx);
        let now = self.clock.now_ms();
        let before = self.unhealthy_until.len();
        self.unhealthy_until.retain(|p, until| {
            let keep = *until > now;
            if !keep {
                metrics::gauge!("kassa_routing_provider_unhealthy", "provider" => p.as_str())
                    .set(0.0);
            }
            keep
        });
        if self.unhealthy_until.len() != before {
            self.publish();
        }
        self.outcomes.prune(now);
    }

    /// The policy's decision for a question, before any adapter is asked.
    fn policy(&self, merchant: &Merchant, hint: Option<&str>, country: Option<&str>) -> Decision {
        let states = self.states(self.clock.now_ms());
        let ctx = RouteContext {
            merchant,
            config: &self.config,
            states: &states,
            setting_enabled: self.setting_enabled,
        };
        decide(&ctx, hint, Audience::Customer(country))
    }

    /// Asks the candidates in priority order; the first whose adapter
    /// answers `ask` is chosen. An adapter that fails is passed over for a
    /// while; one that cannot serve the request is simply skipped.
    fn first_answer<T>(
        &mut self,
        decision: &mut Decision,
        mut ask: impl FnMut(&dyn OnRamp) -> Result<T, BuildError>,
    ) -> Option<(Provider, T)> {
        let now = self.clock.now_ms();
        let mut chosen = None;
        for provider in std::mem::take(&mut decision.candidates) {
            let answer = match self.providers.get(provider) {
                Some(adapter) => ask(adapter),
                None => Err(BuildError::Unsupported("not configured")),
            };
            match answer {
                Ok(value) => {
                    chosen = Some((provider, value));
                    break;
                }
                Err(BuildError::Unsupported(_)) => {
                    decision.skipped.push((provider, Skip::Unsupported));
                }
                Err(BuildError::Failed(error)) => {
                    self.build_failed(provider, &error, now);
                    decision.skipped.push((provider, Skip::BuildFailed));
                }
            }
        }
        if decision.reason == Reason::Resolved && chosen.is_none() {
            decision.reason = Reason::AllProvidersFailed;
        }
        if let Some((provider, _)) = &chosen {
            decision.candidates = vec![*provider];
        }
        metrics::counter!(
            "kassa_routing_decisions_total",
            "reason" => decision.reason.as_str(),
            "provider" => chosen.as_ref().map_or("none", |(p, _)| p.as_str()),
            "method" => decision.method.map_or("none", |m| m.as_str())
        )
        .increment(1);
        chosen
    }

    fn build_failed(&mut self, provider: Provider, error: &str, now_ms: i64) {
        tracing::warn!(provider = provider.as_str(), %error, "provider failed to build its redirect");
        metrics::counter!("kassa_routing_build_failures_total", "provider" => provider.as_str())
            .increment(1);
        self.mark_unhealthy(provider, now_ms);
    }

    /// Decides a session about to be created: the provider whose adapter
    /// serves the currency, without building its URL (the session has no id
    /// or address yet; [`RouterActor::direct_url`] builds it afterwards).
    fn decide_route(&mut self, q: &RouteQuestion) -> RouteDecision {
        let mut decision = self.policy(&q.merchant, q.hint.as_deref(), q.country.as_deref());
        let currency = q.fiat.currency();
        let chosen = self.first_answer(&mut decision, |adapter| adapter.serves(currency));
        let description = decision.describe();
        tracing::info!(merchant_id = q.merchant.id, routing_reason = %description, "routing decision");
        RouteDecision {
            selected_provider: chosen.map(|(p, ())| p),
            method: decision.method,
            smart_route: decision.smart_route,
            reason: decision.reason,
            description,
        }
    }

    /// The decided provider's URL for the created session.
    fn direct_url(&mut self, b: &BuildDirectUrl) -> Option<String> {
        let now = self.clock.now_ms();
        let t = &b.target;
        let built = match self.providers.get(b.provider) {
            Some(adapter) => adapter.widget_url(&t.widget_request()),
            None => Err(BuildError::Unsupported("not configured")),
        };
        match built {
            Ok(url) => {
                self.outcomes.started(
                    t.session_id,
                    b.provider,
                    t.country.as_deref(),
                    b.method,
                    now,
                );
                Some(url)
            }
            Err(BuildError::Unsupported(why)) => {
                tracing::warn!(
                    session_id = t.session_id,
                    provider = b.provider.as_str(),
                    why,
                    "the decided provider no longer serves the session"
                );
                None
            }
            Err(BuildError::Failed(error)) => {
                self.build_failed(b.provider, &error, now);
                None
            }
        }
    }

    /// Routes an existing session (the checkout's method choice): decides
    /// and builds in one step, falling through to the next candidate when
    /// an adapter fails.
    fn route(&mut self, r: RouteRequest) -> RouteOutcome {
        let now = self.clock.now_ms();
        let mut decision = self.policy(&r.merchant, r.hint.as_deref(), r.country.as_deref());
        let target = SessionTarget {
            session_id: r.session_id,
            deposit_address: r.deposit_address,
            fiat: r.fiat,
            email: r.email,
            return_url: r.return_url,
            country: r.country,
        };
        let request = target.widget_request();
        let chosen = self.first_answer(&mut decision, |adapter| adapter.widget_url(&request));
        if let Some((provider, _)) = &chosen {
            self.outcomes.started(
                r.session_id,
                *provider,
                target.country.as_deref(),
                decision.method,
                now,
            );
        }
        let description = decision.describe();
        tracing::info!(session_id = r.session_id, merchant_id = r.merchant.id, routing_reason = %description, "routing decision");
        let (selected_provider, direct_url) =
            chosen.map_or((None, None), |(p, u)| (Some(p), Some(u)));
        RouteOutcome {
            direct_url,
            selected_provider,
            smart_route: decision.smart_route,
            reason: decision.reason,
            description,
        }
    }
}

impl Actor for RouterActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        supervision::hold(ActorKind::Router, ctx);
        ctx.run_interval(self.reload_every, |actor, ctx| actor.tick(ctx));
    }
}

impl Handler<RouteSession> for RouterActor {
    type Result = MessageResult<RouteSession>;
    fn handle(&mut self, msg: RouteSession, _: &mut Self::Context) -> Self::Result {
        let _handling = Handling::begin(ActorKind::Router);
        MessageResult(self.route(msg.0))
    }
}

impl Handler<DecideRoute> for RouterActor {
    type Result = MessageResult<DecideRoute>;
    fn handle(&mut self, msg: DecideRoute, _: &mut Self::Context) -> Self::Result {
        let _handling = Handling::begin(ActorKind::Router);
        MessageResult(self.decide_route(&msg.0))
    }
}

impl Handler<BuildDirectUrl> for RouterActor {
    type Result = Option<String>;
    fn handle(&mut self, msg: BuildDirectUrl, _: &mut Self::Context) -> Self::Result {
        let _handling = Handling::begin(ActorKind::Router);
        self.direct_url(&msg)
    }
}

impl Handler<ProviderFailed> for RouterActor {
    type Result = ();
    fn handle(&mut self, msg: ProviderFailed, _: &mut Self::Context) {
        supervision::taken(ActorKind::Router);
        let _handling = Handling::begin(ActorKind::Router);
        let now = self.clock.now_ms();
        self.mark_unhealthy(msg.0, now);
    }
}

impl Handler<SessionPaid> for RouterActor {
    type Result = ();
    fn handle(&mut self, msg: SessionPaid, _: &mut Self::Context) {
        supervision::taken(ActorKind::Router);
        let _handling = Handling::begin(ActorKind::Router);
        let now = self.clock.now_ms();
        self.outcomes.completed(msg.session_id, now);
    }
}

impl Handler<GetRouterStatus> for RouterActor {
    type Result = MessageResult<GetRouterStatus>;
    fn handle(&mut self, _: GetRouterStatus, _: &mut Self::Context) -> Self::Result {
        let _handling = Handling::begin(ActorKind::Router);
        let now = self.clock.now_ms();
        MessageResult(RouterStatus {
            config: Some(self.config.clone()),
            configured: self.providers.configured().into_iter().collect(),
            unhealthy_until: self
                .unhealthy_until
                .iter()
                .filter(|(_, u)| **u > now)
                .map(|(p, u)| (*p, *u))
                .collect(),
            outcomes: self.outcomes.figures(),
        })
    }
}
