//! Reading a routing file's text: through figment's TOML reader into the
//! domain's `RawRoutingFile`, then checked by `RoutingConfig::from_raw`.
//! The one parser of routing files (`kassa routing import`, the
//! `routing_file` setting's import at first start); errors name the entry.

use figment::Figment;
use figment::providers::{Format, Toml};

use crate::domain::routing::RoutingConfig;
use crate::domain::routing::table::RawRoutingFile;

/// Parses routing-file text; the error names the problem (unknown key,
/// bad slug, TOML syntax).
pub fn parse(text: &str, sandbox: bool) -> Result<RoutingConfig, String> {
    let raw: RawRoutingFile = Figment::from(Toml::string(text))
        .extract()
        .map_err(|e| e.to_string())?;
    RoutingConfig::from_raw(raw, sandbox)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::routing::{Method, Provider};

    #[test]
    fn the_example_routing_file_parses_to_the_built_in_table() {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/routing.example.toml"))
                .unwrap();
        let parsed = parse(&text, false).unwrap();
        assert_eq!(parsed.table, RoutingConfig::defaults(false).table);
        assert!(!parsed.epv2.active);
    }

    #[test]
    fn a_file_with_merchant_lists_parses() {
        let parsed = parse(
            "[methods]\ncard = [\"transak\"]\n[epv2]\nactive = true\n[merchants.88]\nblock_methods = [\"paypal\"]\n",
            true,
        )
        .unwrap();
        assert_eq!(parsed.table[&Method::Card], vec![Provider::Transak]);
        assert!(parsed.epv2.active);
        assert!(!parsed.rules_for(88).method_allowed(Method::Paypal));
    }

    #[test]
    fn a_typo_is_refused_with_its_name() {
        let err = parse("[epv2]\nactiv = true\n", false).unwrap_err();
        assert!(err.contains("activ"), "{err}");
    }
}
