//! The routing configuration: the ordered provider list per method, the
//! EPv2 switches, operator-disabled providers and per-merchant allow/block
//! lists. Read from a routing file (`kassa routing import`, or the
//! `routing_file` setting once at first start) or the database's copy, and
//! checked here; no I/O.
//!
//! Merchant allow/block lists live here, keyed by merchant id, until the
//! merchants table has columns for them.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::Method;
use super::provider::{Layer, Provider};

/// Checked routing configuration (the live one is kept in the database,
/// see `document.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingConfig {
    /// Overrides the `smart_router_enabled` setting when set.
    pub enabled_global: Option<bool>,
    /// Providers in priority order, per fiat method (EPv1 only). `other` is
    /// not listed: it is always the EPv2 flow.
    pub table: BTreeMap<Method, Vec<Provider>>,
    pub epv2: Epv2Switches,
    /// Switched off by the operator, whatever their credentials.
    pub disabled: BTreeSet<Provider>,
    pub merchants: BTreeMap<i64, MerchantRules>,
}

/// The document's EPv2 switches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Epv2Switches {
    /// "Admin EPv2 configuration must be active."
    pub active: bool,
    /// Try the reseller checkout first, then the v2 provider list.
    pub partner_split: bool,
}

/// One merchant's allow/block lists. An empty allow list allows everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MerchantRules {
    pub allow_providers: BTreeSet<Provider>,
    pub block_providers: BTreeSet<Provider>,
    pub allow_methods: BTreeSet<Method>,
    pub block_methods: BTreeSet<Method>,
    /// Partner split for this merchant: `None` follows the EPv2 switch,
    /// `Some(_)` overrides it (the partner parameters stay global).
    pub partner_split: Option<bool>,
}

impl MerchantRules {
    pub fn method_allowed(&self, m: Method) -> bool {
        (self.allow_methods.is_empty() || self.allow_methods.contains(&m))
            && !self.block_methods.contains(&m)
    }

    pub fn provider_allowed(&self, p: Provider) -> bool {
        (self.allow_providers.is_empty() || self.allow_providers.contains(&p))
            && !self.block_providers.contains(&p)
    }

    /// Whether partner split applies to this merchant, given the global switch.
    pub fn partner_split(&self, global: bool) -> bool {
        self.partner_split.unwrap_or(global)
    }

    /// Rules that change nothing (the merchant's entry can be dropped).
    pub fn is_empty(&self) -> bool {
        *self == MerchantRules::default()
    }
}

/// The routing file as written.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawRoutingFile {
    pub enabled_global: Option<bool>,
    pub methods: BTreeMap<String, Vec<String>>,
    pub epv2: RawEpv2,
    pub disabled: Vec<String>,
    pub merchants: BTreeMap<String, RawMerchantRules>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawEpv2 {
    pub active: bool,
    pub partner_split: bool,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawMerchantRules {
    pub allow_providers: Vec<String>,
    pub block_providers: Vec<String>,
    pub allow_methods: Vec<String>,
    pub block_methods: Vec<String>,
    /// Absent: the merchant follows `[epv2] partner_split`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_split: Option<bool>,
}

impl RoutingConfig {
    /// The built-in table. In sandbox mode the sandbox on-ramp comes first
    /// for every fiat method; live providers follow and are used once their
    /// credentials are configured.
    pub fn defaults(sandbox: bool) -> RoutingConfig {
        use Provider::*;
        let live: [(Method, Vec<Provider>); 5] = [
            (
                Method::Card,
                vec![Moonpay, Transak, RampNetwork, Wert, Robinhood],
            ),
            (Method::Paypal, vec![Moonpay]),
            (Method::Revolut, vec![Revolut]),
            (Method::Bank, vec![BankTransfer, RampNetwork]),
            (Method::Ideal, vec![Ideal]),
        ];
        let table = live
            .into_iter()
            .map(|(m, mut list)| {
                if sandbox {
                    list.insert(0, Sandbox);
                }
                (m, list)
            })
            .collect();
        RoutingConfig {
            enabled_global: None,
            table,
            epv2: Epv2Switches::default(),
            disabled: BTreeSet::new(),
            merchants: BTreeMap::new(),
        }
    }

    /// Checks a routing file over the defaults: a method listed in the file
    /// replaces its default list; every error names the entry.
    pub fn from_raw(raw: RawRoutingFile, sandbox: bool) -> Result<RoutingConfig, String> {
        let mut config = RoutingConfig::defaults(sandbox);
        config.enabled_global = raw.enabled_global;
        for (name, list) in raw.methods {
            let method = name
                .parse::<Method>()
                .map_err(|_| format!("methods.{name}: not a method"))?;
            if method == Method::Other {
                return Err(format!(
                    "methods.{name}: `other` is always the EPv2 provider list (see [epv2])"
                ));
            }
            let mut providers = Vec::new();
            for slug in list {
                let p = slug_of(&slug, &format!("methods.{name}"))?;
                if p.layer() != Layer::Epv1 {
                    return Err(format!(
                        "methods.{name}: `{slug}` is not an EPv1 provider (EPv2 is only for `other`)"
                    ));
                }
                if !providers.contains(&p) {
                    providers.push(p);
                }
            }
            config.table.insert(method, providers);
        }
        config.epv2 = Epv2Switches {
            active: raw.epv2.active,
            partner_split: raw.epv2.partner_split,
        };
        config.disabled = raw
            .disabled
            .iter()
            .map(|s| slug_of(s, "disabled"))
            .collect::<Result<_, _>>()?;
        for (id, rules) in raw.merchants {
            let at = format!("merchants.{id}");
            let merchant_id: i64 = id
                .trim()
                .parse()
                .map_err(|_| format!("{at}: the key must be a merchant id"))?;
            let providers = |list: &[String]| -> Result<BTreeSet<Provider>, String> {
                list.iter().map(|s| slug_of(s, &at)).collect()
            };
            let methods = |list: &[String]| -> Result<BTreeSet<Method>, String> {
                list.iter()
                    .map(|s| {
                        s.parse::<Method>()
                            .map_err(|_| format!("{at}: `{s}` is not a method"))
                    })
                    .collect()
            };
            config.merchants.insert(
                merchant_id,
                MerchantRules {
                    allow_providers: providers(&rules.allow_providers)?,
                    block_providers: providers(&rules.block_providers)?,
                    allow_methods: methods(&rules.allow_methods)?,
                    block_methods: methods(&rules.block_methods)?,
                    partner_split: rules.partner_split,
                },
            );
        }
        Ok(config)
    }

    /// The rules for one merchant (none: everything allowed).
    pub fn rules_for(&self, merchant_id: i64) -> MerchantRules {
        self.merchants
            .get(&merchant_id)
            .cloned()
            .unwrap_or_default()
    }
}

fn slug_of(s: &str, at: &str) -> Result<Provider, String> {
    Provider::from_slug(s).ok_or_else(|| format!("{at}: `{s}` is not a provider slug"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_defaults_put_the_sandbox_on_ramp_first() {
        let c = RoutingConfig::defaults(true);
        for m in [
            Method::Card,
            Method::Paypal,
            Method::Revolut,
            Method::Bank,
            Method::Ideal,
        ] {
            assert_eq!(c.table[&m][0], Provider::Sandbox, "{m:?}");
        }
        assert!(
            !RoutingConfig::defaults(false)
                .table
                .values()
                .flatten()
                .any(|p| *p == Provider::Sandbox)
        );
    }

    #[test]
    fn a_file_overrides_listed_methods_and_keeps_the_rest() {
        let raw = RawRoutingFile {
            methods: [("card".to_string(), vec!["transak".into(), "MoonPay".into()])].into(),
            disabled: vec!["wert".into()],
            merchants: [(
                "88".to_string(),
                RawMerchantRules {
                    block_providers: vec!["moonpay".into()],
                    ..RawMerchantRules::default()
                },
            )]
            .into(),
            ..RawRoutingFile::default()
        };
        let c = RoutingConfig::from_raw(raw, false).unwrap();
        assert_eq!(
            c.table[&Method::Card],
            vec![Provider::Transak, Provider::Moonpay]
        );
        assert_eq!(c.table[&Method::Revolut], vec![Provider::Revolut]);
        assert!(c.disabled.contains(&Provider::Wert));
        assert!(!c.rules_for(88).provider_allowed(Provider::Moonpay));
        assert!(c.rules_for(7).provider_allowed(Provider::Moonpay));
    }

    #[test]
    fn epv2_and_unknown_names_are_refused_in_method_lists() {
        for (method, slug) in [
            ("card", "epv2"),
            ("card", "nope"),
            ("other", "epv2"),
            ("cash", "wert"),
        ] {
            let raw = RawRoutingFile {
                methods: [(method.to_string(), vec![slug.to_string()])].into(),
                ..RawRoutingFile::default()
            };
            let err = RoutingConfig::from_raw(raw, false).unwrap_err();
            assert!(err.starts_with(&format!("methods.{method}")), "{err}");
        }
    }
}
