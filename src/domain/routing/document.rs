//! The routing configuration as a document: back to the routing file's
//! shape ([`RoutingConfig::to_raw`], every method listed, so reading it
//! back gives exactly the same table whatever the built-in defaults), as
//! TOML text a routing file import accepts again ([`RoutingConfig::to_toml`]),
//! and the console's edits, each checked by the same rules as a file.
//!
//! Pure: the store keeps the document as JSON; no I/O here.

use std::fmt::Write as _;

use super::Method;
use super::provider::{Layer, Provider};
use super::table::{RawEpv2, RawMerchantRules, RawRoutingFile, RoutingConfig};

/// An edit refused by the routing rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoutingEditError {
    /// `other` has no list of its own: it is always the EPv2 provider list.
    #[error("methods.other: `other` is always the EPv2 provider list (switch EPv2 instead)")]
    OtherHasNoList,
    #[error("methods.{method}: `{provider}` is not an EPv1 provider (EPv2 is only for `other`)")]
    NotEpv1 {
        method: &'static str,
        provider: Provider,
    },
}

fn slugs<'a>(list: impl IntoIterator<Item = &'a Provider>) -> Vec<String> {
    list.into_iter().map(|p| p.as_str().to_string()).collect()
}

fn quoted(list: &[String]) -> String {
    let items: Vec<String> = list.iter().map(|s| format!("\"{s}\"")).collect();
    format!("[{}]", items.join(", "))
}

impl RoutingConfig {
    /// The configuration in the routing file's shape, every fiat method
    /// listed explicitly.
    pub fn to_raw(&self) -> RawRoutingFile {
        RawRoutingFile {
            enabled_global: self.enabled_global,
            methods: Method::ALL
                .into_iter()
                .filter(|m| *m != Method::Other)
                .map(|m| {
                    let list = self.table.get(&m).map(slugs).unwrap_or_default();
                    (m.as_str().to_string(), list)
                })
                .collect(),
            epv2: RawEpv2 {
                active: self.epv2.active,
                partner_split: self.epv2.partner_split,
            },
            disabled: slugs(&self.disabled),
            merchants: self
                .merchants
                .iter()
                .map(|(id, r)| {
                    let methods = |set: &std::collections::BTreeSet<Method>| {
                        set.iter().map(|m| m.as_str().to_string()).collect()
                    };
                    (
                        id.to_string(),
                        RawMerchantRules {
                            allow_providers: slugs(&r.allow_providers),
                            block_providers: slugs(&r.block_providers),
                            allow_methods: methods(&r.allow_methods),
                            block_methods: methods(&r.block_methods),
                            partner_split: r.partner_split,
                        },
                    )
                })
                .collect(),
        }
    }

    /// The stored form: the raw document as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.to_raw()).unwrap_or_default()
    }

    /// Reads the stored form back, checked like a routing file.
    pub fn from_json(json: &str, sandbox: bool) -> Result<RoutingConfig, String> {
        let raw: RawRoutingFile = serde_json::from_str(json).map_err(|e| e.to_string())?;
        RoutingConfig::from_raw(raw, sandbox)
    }

    /// A routing file (TOML) holding exactly this configuration; `header`
    /// lines are written first as comments.
    pub fn to_toml(&self, header: &[&str]) -> String {
        let raw = self.to_raw();
        let mut out = String::new();
        for line in header {
            let _ = writeln!(out, "# {line}");
        }
        match raw.enabled_global {
            Some(on) => {
                let _ = writeln!(out, "enabled_global = {on}");
            }
            None => {
                out.push_str("# enabled_global unset: the smart_router_enabled setting applies\n")
            }
        }
        let _ = writeln!(out, "disabled = {}", quoted(&raw.disabled));
        out.push_str("\n[methods]\n");
        for (method, list) in &raw.methods {
            let _ = writeln!(out, "{method} = {}", quoted(list));
        }
        let _ = write!(
            out,
            "\n[epv2]\nactive = {}\npartner_split = {}\n",
            raw.epv2.active, raw.epv2.partner_split
        );
        for (id, r) in &raw.merchants {
            let _ = write!(
                out,
                "\n[merchants.{id}]\nallow_providers = {}\nblock_providers = {}\nallow_methods = {}\nblock_methods = {}\n",
                quoted(&r.allow_providers),
                quoted(&r.block_providers),
                quoted(&r.allow_methods),
                quoted(&r.block_methods)
            );
            if let Some(on) = r.partner_split {
                let _ = writeln!(out, "partner_split = {on}");
            }
        }
        out
    }

    /// This configuration with `method`'s providers replaced by `providers`
    /// (in priority order, duplicates dropped), checked like a file's list.
    pub fn with_method_providers(
        &self,
        method: Method,
        providers: &[Provider],
    ) -> Result<RoutingConfig, RoutingEditError> {
        if method == Method::Other {
            return Err(RoutingEditError::OtherHasNoList);
        }
        let mut list = Vec::new();
        for p in providers.iter().copied() {
            if p.layer() != Layer::Epv1 {
                return Err(RoutingEditError::NotEpv1 {
                    method: method.as_str(),
                    provider: p,
                });
            }
            if !list.contains(&p) {
                list.push(p);
            }
        }
        let mut next = self.clone();
        next.table.insert(method, list);
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::routing::MerchantRules;

    fn edited() -> RoutingConfig {
        let mut c = RoutingConfig::defaults(true)
            .with_method_providers(Method::Card, &[Provider::Transak, Provider::Moonpay])
            .unwrap();
        c.enabled_global = Some(false);
        c.epv2.active = true;
        c.disabled.insert(Provider::Wert);
        let mut rules = MerchantRules::default();
        rules.block_providers.insert(Provider::Sandbox);
        rules.allow_methods.insert(Method::Card);
        rules.partner_split = Some(false);
        c.merchants.insert(88, rules);
        c
    }

    #[test]
    fn the_raw_form_reads_back_to_the_same_configuration_in_either_mode() {
        let c = edited();
        for sandbox in [true, false] {
            assert_eq!(RoutingConfig::from_raw(c.to_raw(), sandbox).unwrap(), c);
            assert_eq!(RoutingConfig::from_json(&c.to_json(), sandbox).unwrap(), c);
        }
    }

    #[test]
    fn a_method_list_of_another_layer_or_for_other_is_refused() {
        let c = RoutingConfig::defaults(false);
        assert_eq!(
            c.with_method_providers(Method::Other, &[Provider::Epv2]),
            Err(RoutingEditError::OtherHasNoList)
        );
        assert!(matches!(
            c.with_method_providers(Method::Card, &[Provider::Crypto]),
            Err(RoutingEditError::NotEpv1 { .. })
        ));
        let deduped = c
            .with_method_providers(Method::Bank, &[Provider::Wert, Provider::Wert])
            .unwrap();
        assert_eq!(deduped.table[&Method::Bank], vec![Provider::Wert]);
    }
}
