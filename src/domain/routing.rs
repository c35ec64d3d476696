//! Smart Routing policy (pure): which payment methods a merchant can route,
//! given its package, checkout mode, the global switch and which methods have
//! a provider configured. `me.php` and (later) the checkout page and the
//! router all ask this one function, so they never disagree.

use std::str::FromStr;

use super::merchant::Merchant;

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

/// Operator switches that shape routing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingSwitches {
    pub enabled_global: bool,
    /// Methods with at least one provider configured.
    pub configured: Vec<Method>,
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

/// What Smart Routing can do for `merchant`.
pub fn capabilities(merchant: &Merchant, switches: &RoutingSwitches) -> Capabilities {
    let effective = merchant.smart_routing_effective(switches.enabled_global);
    let methods = Method::ALL
        .into_iter()
        .map(|method| {
            let configured = switches.configured.contains(&method);
            MethodCapability {
                method,
                enabled: effective,
                configured,
                available: effective && configured,
            }
        })
        .collect();
    Capabilities {
        enabled_global: switches.enabled_global,
        allowed_for_package: merchant.package.allows_smart_routing(),
        effective,
        methods,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::domain::merchant::{CheckoutMode, Package};

    fn merchant(package: Package, mode: CheckoutMode) -> Merchant {
        Merchant {
            id: 1,
            email: "m@shop.example".into(),
            package,
            checkout_mode: mode,
            country: None,
            crypto_enabled: false,
            disabled: false,
            payout_wallet: None,
            webhook_url: None,
            display_name: None,
            domains: vec![],
        }
    }

    fn switches(on: bool) -> RoutingSwitches {
        RoutingSwitches {
            enabled_global: on,
            configured: vec![Method::Card, Method::Ideal],
        }
    }

    #[test]
    fn a_pro_smart_router_merchant_has_its_configured_methods_available() {
        let c = capabilities(
            &merchant(Package::Pro, CheckoutMode::SmartRouter),
            &switches(true),
        );
        assert!(c.effective && c.allowed_for_package && c.enabled_global);
        let card = c.methods.iter().find(|m| m.method == Method::Card).unwrap();
        assert!(card.enabled && card.configured && card.available);
        let paypal = c
            .methods
            .iter()
            .find(|m| m.method == Method::Paypal)
            .unwrap();
        assert!(paypal.enabled && !paypal.configured && !paypal.available);
    }

    #[test]
    fn nothing_is_available_without_package_mode_or_global_switch() {
        let cases = [
            (Package::Free, CheckoutMode::SmartRouter, true),
            (Package::Pro, CheckoutMode::Standard, true),
            (Package::Unlimited, CheckoutMode::SmartRouter, false),
        ];
        for (package, mode, on) in cases {
            let c = capabilities(&merchant(package, mode), &switches(on));
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
