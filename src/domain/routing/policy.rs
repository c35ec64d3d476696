//! The routing decision: given a merchant, the routing configuration, which
//! providers are configured and healthy, the customer's country and the
//! session's hint, which providers (in priority order) may take the customer,
//! or why none may. `me.php`, the create endpoint and the hosted pages all
//! ask here, so they never disagree. Pure: no I/O, no clock.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::Method;
use super::provider::{Hint, Layer, Provider};
use super::table::{MerchantRules, RoutingConfig};
use crate::domain::merchant::Merchant;

/// The only country iDEAL is offered to.
pub const IDEAL_COUNTRY: &str = "NL";

/// Which providers can be used right now (credentials present; not in a
/// failure cool-down). The router keeps these; tests write them directly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderStates {
    pub configured: BTreeSet<Provider>,
    pub unhealthy: BTreeSet<Provider>,
}

/// A method's route (providers to try, or why none), what was passed over,
/// and the method's providers in priority order.
type Considered = (
    Result<Vec<Provider>, Reason>,
    Vec<(Provider, Skip)>,
    Vec<Provider>,
);

/// Everything a decision depends on except the customer and the hint.
#[derive(Debug, Clone, Copy)]
pub struct RouteContext<'a> {
    pub merchant: &'a Merchant,
    pub config: &'a RoutingConfig,
    pub states: &'a ProviderStates,
    /// The `smart_router_enabled` setting (the file may override it).
    pub setting_enabled: bool,
}

/// Who the route is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience<'a> {
    /// Any customer of the merchant (`me.php`): country rules not applied.
    AnyCustomer,
    /// One customer, country (ISO alpha-2, upper case) if known.
    Customer(Option<&'a str>),
}

/// Why a decision came out as it did (stable snake_case codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    Resolved,
    NoHint,
    UnknownHint,
    GlobalSwitchOff,
    PackageNotAllowed,
    StandardCheckoutMode,
    CryptoNotEnabled,
    Epv2Inactive,
    MethodNotConfigured,
    ProviderNotRouted,
    CountryNotEligible,
    CountryUnknown,
    BlockedForMerchant,
    NoUsableProvider,
    /// Set by the router: every candidate failed to build its URL.
    AllProvidersFailed,
    /// Set by the router's handle when the router does not answer.
    RouterUnavailable,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Resolved => "resolved",
            Reason::NoHint => "no_hint",
            Reason::UnknownHint => "unknown_hint",
            Reason::GlobalSwitchOff => "smart_routing_disabled_globally",
            Reason::PackageNotAllowed => "package_not_allowed",
            Reason::StandardCheckoutMode => "checkout_mode_standard",
            Reason::CryptoNotEnabled => "crypto_not_enabled",
            Reason::Epv2Inactive => "epv2_inactive",
            Reason::MethodNotConfigured => "method_not_configured",
            Reason::ProviderNotRouted => "provider_not_in_routing_table",
            Reason::CountryNotEligible => "country_not_eligible",
            Reason::CountryUnknown => "country_unknown",
            Reason::BlockedForMerchant => "blocked_for_merchant",
            Reason::NoUsableProvider => "no_usable_provider",
            Reason::AllProvidersFailed => "all_providers_failed",
            Reason::RouterUnavailable => "router_unavailable",
        }
    }
}

/// Why one provider of the list was passed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    Disabled,
    NotConfigured,
    Unhealthy,
    BlockedForMerchant,
    /// Set by the router: building its URL failed.
    BuildFailed,
    /// Set by the router: it cannot serve this request (e.g. currency).
    Unsupported,
}

impl Skip {
    pub fn as_str(self) -> &'static str {
        match self {
            Skip::Disabled => "disabled",
            Skip::NotConfigured => "not_configured",
            Skip::Unhealthy => "unhealthy",
            Skip::BlockedForMerchant => "blocked_for_merchant",
            Skip::BuildFailed => "build_failed",
            Skip::Unsupported => "unsupported",
        }
    }
}

/// The outcome for one hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub hint: Option<Hint>,
    /// The route family, when the hint names or implies one.
    pub method: Option<Method>,
    /// Providers to try, in order; empty unless `reason` is `Resolved`.
    pub candidates: Vec<Provider>,
    pub skipped: Vec<(Provider, Skip)>,
    /// The method's providers in priority order, as considered.
    pub listed: Vec<Provider>,
    pub reason: Reason,
    /// Whether Smart Routing is in force for the merchant.
    pub smart_route: bool,
}

impl Decision {
    /// `reason`, then what was passed over: `resolved; skipped transak
    /// (unhealthy)`. Once resolved, only providers ahead of the first
    /// candidate are named (those after it did not matter).
    pub fn describe(&self) -> String {
        let mut text = self.reason.as_str().to_string();
        let rank = |p: &Provider| self.listed.iter().position(|l| l == p);
        let cutoff = self.candidates.first().and_then(rank);
        let relevant = self
            .skipped
            .iter()
            .filter(|(p, _)| cutoff.is_none() || rank(p) < cutoff);
        for (i, (p, why)) in relevant.enumerate() {
            let sep = if i == 0 { "; skipped " } else { ", " };
            let _ = write!(text, "{sep}{p} ({})", why.as_str());
        }
        text
    }
}

impl RouteContext<'_> {
    pub fn enabled_global(&self) -> bool {
        self.config.enabled_global.unwrap_or(self.setting_enabled)
    }

    pub fn smart_route(&self) -> bool {
        self.merchant.smart_routing_effective(self.enabled_global())
    }

    fn rules(&self) -> MerchantRules {
        self.config.rules_for(self.merchant.id)
    }

    /// Smart Routing not in force: why.
    fn not_effective(&self) -> Option<Reason> {
        if !self.enabled_global() {
            Some(Reason::GlobalSwitchOff)
        } else if !self.merchant.package.allows_smart_routing() {
            Some(Reason::PackageNotAllowed)
        } else if !self.smart_route() {
            Some(Reason::StandardCheckoutMode)
        } else {
            None
        }
    }

    /// The providers that serve `method` before health and merchant rules.
    fn listed(&self, method: Method) -> Vec<Provider> {
        match method {
            Method::Other if self.rules().partner_split(self.config.epv2.partner_split) => {
                vec![Provider::Epv2Partner, Provider::Epv2]
            }
            Method::Other => vec![Provider::Epv2],
            m => self
                .config
                .table
                .get(&m)
                .map(|list| {
                    list.iter()
                        .copied()
                        .filter(|p| p.layer() == Layer::Epv1)
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// Whether the operator has a usable route for `method` at all
    /// (`configured` in `me.php`).
    pub fn method_configured(&self, method: Method) -> bool {
        (method != Method::Other || self.config.epv2.active)
            && self
                .listed(method)
                .into_iter()
                .any(|p| !self.config.disabled.contains(&p) && self.states.configured.contains(&p))
    }

    fn skip_of(&self, rules: &MerchantRules, p: Provider) -> Option<Skip> {
        if self.config.disabled.contains(&p) {
            Some(Skip::Disabled)
        } else if !self.states.configured.contains(&p) {
            Some(Skip::NotConfigured)
        } else if !rules.provider_allowed(p) {
            Some(Skip::BlockedForMerchant)
        } else if self.states.unhealthy.contains(&p) {
            Some(Skip::Unhealthy)
        } else {
            None
        }
    }

    /// The route for `method` (narrowed to `only` for a direct slug).
    fn route_method(
        &self,
        method: Method,
        audience: Audience<'_>,
        only: Option<Provider>,
    ) -> Considered {
        let mut skipped = Vec::new();
        if method == Method::Other && !self.config.epv2.active {
            return (Err(Reason::Epv2Inactive), skipped, Vec::new());
        }
        let mut listed = self.listed(method);
        if listed.is_empty() {
            return (Err(Reason::MethodNotConfigured), skipped, listed);
        }
        if method == Method::Ideal {
            match audience {
                Audience::AnyCustomer => {}
                Audience::Customer(None) => {
                    return (Err(Reason::CountryUnknown), skipped, listed);
                }
                Audience::Customer(Some(c)) if c != IDEAL_COUNTRY => {
                    return (Err(Reason::CountryNotEligible), skipped, listed);
                }
                Audience::Customer(Some(_)) => {}
            }
        }
        let rules = self.rules();
        if !rules.method_allowed(method) {
            return (Err(Reason::BlockedForMerchant), skipped, listed);
        }
        // A direct slug means that provider; `epv2` keeps the partner
        // checkout in front of it, as the document's fallback order says.
        if let Some(p) = only.filter(|p| *p != Provider::Epv2) {
            if !listed.contains(&p) {
                return (Err(Reason::ProviderNotRouted), skipped, listed);
            }
            listed = vec![p];
        }
        let mut usable = Vec::new();
        for p in listed.iter().copied() {
            match self.skip_of(&rules, p) {
                None => usable.push(p),
                Some(why) => skipped.push((p, why)),
            }
        }
        if !usable.is_empty() {
            return (Ok(usable), skipped, listed);
        }
        let any = |w: Skip| skipped.iter().any(|(_, s)| *s == w);
        let reason = if any(Skip::Unhealthy) {
            Reason::NoUsableProvider
        } else if any(Skip::BlockedForMerchant) {
            Reason::BlockedForMerchant
        } else {
            Reason::MethodNotConfigured
        };
        (Err(reason), skipped, listed)
    }

    /// Whether `method` can be routed for `audience` right now.
    pub fn method_available(&self, method: Method, audience: Audience<'_>) -> bool {
        self.not_effective().is_none() && self.route_method(method, audience, None).0.is_ok()
    }

    /// Whether `method` is switched on for this merchant (package, mode,
    /// global switch and the merchant's method lists).
    pub fn method_enabled(&self, method: Method) -> bool {
        self.not_effective().is_none() && self.rules().method_allowed(method)
    }
}

/// The decision for one session's hint (`raw_hint` as sent, if any).
pub fn decide(ctx: &RouteContext<'_>, raw_hint: Option<&str>, audience: Audience<'_>) -> Decision {
    let smart_route = ctx.smart_route();
    let hint = raw_hint.map(Hint::parse);
    let done = |method, result: Result<Vec<Provider>, Reason>, skipped, listed| {
        let (candidates, reason) = match result {
            Ok(list) => (list, Reason::Resolved),
            Err(r) => (Vec::new(), r),
        };
        Decision {
            hint,
            method,
            candidates,
            skipped,
            listed,
            reason,
            smart_route,
        }
    };
    let (method, only) = match hint {
        None => return done(None, Err(Reason::NoHint), Vec::new(), Vec::new()),
        Some(Hint::Unknown) => {
            return done(None, Err(Reason::UnknownHint), Vec::new(), Vec::new());
        }
        Some(Hint::Crypto) => {
            // EPv3 is the merchant's crypto checkout, not a package feature.
            let result = if ctx.merchant.crypto_enabled {
                Ok(vec![Provider::Crypto])
            } else {
                Err(Reason::CryptoNotEnabled)
            };
            return done(None, result, Vec::new(), vec![Provider::Crypto]);
        }
        Some(Hint::Method(m)) => (m, None),
        Some(Hint::Provider(p)) => (method_of(ctx, p), Some(p)),
    };
    if let Some(reason) = ctx.not_effective() {
        return done(Some(method), Err(reason), Vec::new(), Vec::new());
    }
    let (result, skipped, listed) = ctx.route_method(method, audience, only);
    done(Some(method), result, skipped, listed)
}

/// The method a direct slug routes under: its home method when that table
/// lists it, else the first method whose table does.
fn method_of(ctx: &RouteContext<'_>, p: Provider) -> Method {
    let home = p.home_method().unwrap_or(Method::Card);
    if p.layer() == Layer::Epv2 || ctx.listed(home).contains(&p) {
        return home;
    }
    Method::ALL
        .into_iter()
        .find(|m| *m != Method::Other && ctx.listed(*m).contains(&p))
        .unwrap_or(home)
}
