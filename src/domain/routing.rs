//! Smart Routing policy (pure): which payment methods a merchant can route,
//! given its package, checkout mode, the global switch, the routing table,
//! provider health and the merchant's allow/block lists; and, for one
//! session's hint, which provider takes the customer. `me.php`, the create
//! endpoint and the hosted pages all ask here, so they never disagree.
//!
//! - [`provider`]: provider slugs, layers (EPv1/EPv2/EPv3) and hint parsing.
//! - [`table`]: the routing configuration (the operator's routing file).
//! - [`policy`]: the decision itself ([`decide`]).
//! - [`document`]: the configuration back as a routing file (JSON in the
//!   database, TOML for export) and the console's checked edits.
//! - [`credential`]: on-ramp credential names, sources and checked values.
//! - [`merchant_edit`]: an operator's checked edits of one merchant's rules.

pub mod credential;
pub mod document;
pub mod merchant_edit;
pub mod policy;
pub mod provider;
pub mod table;
#[cfg(test)]
mod tests_table;

use std::str::FromStr;

pub use policy::{Audience, Decision, ProviderStates, Reason, RouteContext, Skip, decide};
pub use provider::{Hint, Layer, Provider};
pub use table::{Epv2Switches, MerchantRules, RoutingConfig};

/// A payment method family, as the document names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    Card,
    Paypal,
    Revolut,
    Bank,
    Ideal,
    Other,
}

impl Method {
    pub const ALL: [Method; 6] = [
        Method::Card,
        Method::Paypal,
        Method::Revolut,
        Method::Bank,
        Method::Ideal,
        Method::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Card => "card",
            Method::Paypal => "paypal",
            Method::Revolut => "revolut",
            Method::Bank => "bank",
            Method::Ideal => "ideal",
            Method::Other => "other",
        }
    }
}

impl FromStr for Method {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Method::ALL
            .into_iter()
            .find(|m| m.as_str() == s.trim().to_ascii_lowercase())
            .ok_or(())
    }
}

/// One method's standing for a merchant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodCapability {
    pub method: Method,
    pub enabled: bool,
    pub configured: bool,
    pub available: bool,
}

/// A merchant's Smart Routing standing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    pub enabled_global: bool,
    pub allowed_for_package: bool,
    pub effective: bool,
    pub methods: Vec<MethodCapability>,
}

/// What Smart Routing can do for the context's merchant, per method, for
/// any of its customers (country rules apply per customer, not here).
pub fn capabilities(ctx: &RouteContext<'_>) -> Capabilities {
    let methods = Method::ALL
        .into_iter()
        .map(|method| {
            let enabled = ctx.method_enabled(method);
            let configured = ctx.method_configured(method);
            MethodCapability {
                method,
                enabled,
                configured,
                available: enabled
                    && configured
                    && ctx.method_available(method, Audience::AnyCustomer),
            }
        })
        .collect();
    Capabilities {
        enabled_global: ctx.enabled_global(),
        allowed_for_package: ctx.merchant.package.allows_smart_routing(),
        effective: ctx.smart_route(),
        methods,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::domain::merchant::{CheckoutMode, Merchant, Package};

    fn merchant(package: Package, mode: CheckoutMode) -> Merchant {
        Merchant {
            id: 1,
            email: "m@shop.example".into(),
            package,
            checkout_mode: mode,
            country: None,
            crypto_enabled: false,
            disabled: false,
            payout_wallets: crate::domain::payout_wallet::PayoutWallets::default(),
            webhook_url: None,
            branding: crate::domain::branding::Branding::default(),
            domains: vec![],
        }
    }

    /// Card and iDEAL configured (through MoonPay and iDEAL), nothing else.
    fn caps(m: &Merchant, on: bool) -> Capabilities {
        let config = RoutingConfig::defaults(false);
        let states = ProviderStates {
            configured: [Provider::Moonpay, Provider::Ideal].into(),
            unhealthy: Default::default(),
        };
        capabilities(&RouteContext {
            merchant: m,
            config: &config,
            states: &states,
            setting_enabled: on,
        })
    }

    #[test]
    fn a_pro_smart_router_merchant_has_its_configured_methods_available() {
        let c = caps(&merchant(Package::Pro, CheckoutMode::SmartRouter), true);
        assert!(c.effective && c.allowed_for_package && c.enabled_global);
        let card = c.methods.iter().find(|m| m.method == Method::Card).unwrap();
        assert!(card.enabled && card.configured && card.available);
        let paypal = c
            .methods
            .iter()
            .find(|m| m.method == Method::Paypal)
            .unwrap();
        assert!(paypal.enabled && paypal.configured && paypal.available);
        let bank = c.methods.iter().find(|m| m.method == Method::Bank).unwrap();
        assert!(bank.enabled && !bank.configured && !bank.available);
    }

    #[test]
    fn nothing_is_available_without_package_mode_or_global_switch() {
        let cases = [
            (Package::Free, CheckoutMode::SmartRouter, true),
            (Package::Pro, CheckoutMode::Standard, true),
            (Package::Unlimited, CheckoutMode::SmartRouter, false),
        ];
        for (package, mode, on) in cases {
            let c = caps(&merchant(package, mode), on);
            assert!(!c.effective);
            assert!(c.methods.iter().all(|m| !m.available && !m.enabled));
        }
    }

    #[test]
    fn methods_parse_case_insensitively() {
        assert_eq!("Card".parse::<Method>(), Ok(Method::Card));
        assert!("crypto".parse::<Method>().is_err());
    }
}
