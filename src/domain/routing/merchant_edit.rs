//! An operator's edits of one merchant's routing rules (the admin console's
//! merchant page): the provider allow and block lists, and whether partner
//! split applies to the merchant. Each edit is checked here and gives the
//! next configuration; a merchant whose rules end up changing nothing loses
//! its entry, so an export stays as short as the operator left it.
//!
//! Pure: storing the next version and its audit line is
//! `app::routing_admin`'s. Must not touch another merchant's rules or the
//! method lists.

use std::collections::BTreeSet;

use super::provider::{Layer, Provider};
use super::table::{MerchantRules, RoutingConfig};

/// A provider list edit refused, naming the provider as typed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MerchantRulesError {
    #[error("`{0}` is not a provider (known: {known})", known = known_slugs())]
    UnknownProvider(String),
    /// Crypto checkout is its own per-merchant switch, not a routed provider.
    #[error("`crypto` is not routed: switch crypto checkout instead")]
    CryptoIsASwitch,
    #[error("`{0}` is on both the allow list and the block list")]
    InBothLists(Provider),
}

/// The slugs an operator may put on a list, for error messages and forms.
pub fn listable_providers() -> impl Iterator<Item = Provider> {
    Provider::ALL
        .into_iter()
        .filter(|p| p.layer() != Layer::Epv3)
}

fn known_slugs() -> String {
    listable_providers()
        .map(Provider::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads a list of provider slugs (any spelling `Provider::from_slug`
/// knows); blank entries are skipped, duplicates collapse.
pub fn provider_list<S: AsRef<str>>(raw: &[S]) -> Result<BTreeSet<Provider>, MerchantRulesError> {
    raw.iter()
        .map(|s| s.as_ref().trim())
        .filter(|s| !s.is_empty())
        .map(|s| match Provider::from_slug(s) {
            Some(p) if p.layer() == Layer::Epv3 => Err(MerchantRulesError::CryptoIsASwitch),
            Some(p) => Ok(p),
            None => Err(MerchantRulesError::UnknownProvider(s.to_string())),
        })
        .collect()
}

impl RoutingConfig {
    /// This configuration with merchant `id`'s provider lists replaced
    /// (an empty allow list allows every provider).
    pub fn with_merchant_providers(
        &self,
        id: i64,
        allow: BTreeSet<Provider>,
        block: BTreeSet<Provider>,
    ) -> Result<RoutingConfig, MerchantRulesError> {
        if let Some(p) = allow.intersection(&block).next() {
            return Err(MerchantRulesError::InBothLists(*p));
        }
        Ok(self.with_merchant_rules(id, |rules| {
            rules.allow_providers = allow;
            rules.block_providers = block;
        }))
    }

    /// This configuration with merchant `id`'s partner split set (`None`:
    /// it follows the EPv2 switch again).
    pub fn with_merchant_partner_split(&self, id: i64, partner_split: Option<bool>) -> Self {
        self.with_merchant_rules(id, |rules| rules.partner_split = partner_split)
    }

    fn with_merchant_rules(&self, id: i64, edit: impl FnOnce(&mut MerchantRules)) -> Self {
        let mut next = self.clone();
        let mut rules = next.rules_for(id);
        edit(&mut rules);
        if rules.is_empty() {
            next.merchants.remove(&id);
        } else {
            next.merchants.insert(id, rules);
        }
        next
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::domain::routing::Method;

    #[test]
    fn provider_lists_read_any_known_spelling_and_skip_blanks() {
        let list = provider_list(&["MoonPay", " ", "ramp-network", "moonpay"]).unwrap();
        assert_eq!(
            list.into_iter().collect::<Vec<_>>(),
            vec![Provider::Moonpay, Provider::RampNetwork]
        );
    }

    #[test]
    fn an_unknown_provider_or_crypto_is_refused_by_name() {
        let err = provider_list(&["moonpay", "paypalx"]).unwrap_err();
        assert_eq!(err, MerchantRulesError::UnknownProvider("paypalx".into()));
        assert!(err.to_string().contains("known: sandbox, moonpay"), "{err}");
        assert_eq!(
            provider_list(&["crypto"]),
            Err(MerchantRulesError::CryptoIsASwitch)
        );
    }

    #[test]
    fn a_provider_on_both_lists_is_refused() {
        let both: BTreeSet<Provider> = [Provider::Wert].into();
        let c = RoutingConfig::defaults(false);
        assert_eq!(
            c.with_merchant_providers(7, both.clone(), both),
            Err(MerchantRulesError::InBothLists(Provider::Wert))
        );
    }

    #[test]
    fn an_edit_touches_only_its_merchant_and_keeps_its_method_lists() {
        let mut c = RoutingConfig::defaults(true);
        let mut rules = MerchantRules::default();
        rules.block_methods.insert(Method::Paypal);
        c.merchants.insert(7, rules);
        c.merchants.insert(8, MerchantRules::default());

        let next = c
            .with_merchant_providers(7, BTreeSet::new(), [Provider::Sandbox].into())
            .unwrap();

        let seven = next.rules_for(7);
        assert!(!seven.provider_allowed(Provider::Sandbox));
        assert!(!seven.method_allowed(Method::Paypal));
        assert_eq!(next.merchants.get(&8), c.merchants.get(&8));
        assert_eq!(next.table, c.table);
    }

    #[test]
    fn a_merchant_s_partner_split_overrides_the_epv2_switch_both_ways() {
        use crate::domain::merchant::{CheckoutMode, Merchant, Package};
        use crate::domain::routing::{Audience, ProviderStates, RouteContext, decide};
        let merchant = Merchant {
            id: 9,
            email: "m@shop.example".into(),
            package: Package::Pro,
            checkout_mode: CheckoutMode::SmartRouter,
            country: None,
            crypto_enabled: false,
            disabled: false,
            payout_wallets: Default::default(),
            webhook_url: None,
            branding: Default::default(),
            domains: vec![],
        };
        let states = ProviderStates {
            configured: [Provider::Epv2Partner, Provider::Epv2].into(),
            unhealthy: Default::default(),
        };
        let route = |config: &RoutingConfig| {
            let ctx = RouteContext {
                merchant: &merchant,
                config,
                states: &states,
                setting_enabled: true,
            };
            decide(&ctx, Some("other"), Audience::AnyCustomer).candidates
        };
        let mut off = RoutingConfig::defaults(false);
        off.epv2.active = true;
        let mut on = off.clone();
        on.epv2.partner_split = true;

        assert_eq!(route(&off), [Provider::Epv2]);
        assert_eq!(
            route(&off.with_merchant_partner_split(9, Some(true))),
            [Provider::Epv2Partner, Provider::Epv2]
        );
        assert_eq!(
            route(&on.with_merchant_partner_split(9, Some(false))),
            [Provider::Epv2]
        );
        assert_eq!(
            route(&on.with_merchant_partner_split(8, Some(false))),
            [Provider::Epv2Partner, Provider::Epv2],
            "another merchant's setting does not apply"
        );
    }

    #[test]
    fn rules_that_change_nothing_drop_the_merchant_entry() {
        let c = RoutingConfig::defaults(false).with_merchant_partner_split(9, Some(true));
        assert!(c.rules_for(9).partner_split(false));
        assert!(c.merchants.contains_key(&9));

        let back = c.with_merchant_partner_split(9, None);

        assert!(!back.merchants.contains_key(&9));
    }
}
