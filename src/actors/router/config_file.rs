//! Reading the routing file: its text through figment's TOML reader into
//! the domain's `RawRoutingFile`, then checked by `RoutingConfig::from_raw`.
//! A change is noticed by modification time and length.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use figment::Figment;
use figment::providers::{Format, Toml};

use crate::domain::routing::RoutingConfig;
use crate::domain::routing::table::RawRoutingFile;

/// What identifies one version of the file on disk.
pub type Stamp = (Option<SystemTime>, u64);

/// The routing file named by the `routing_file` setting.
#[derive(Debug, Clone)]
pub struct RoutingFile {
    pub path: PathBuf,
    pub stamp: Option<Stamp>,
}

impl RoutingFile {
    pub fn new(path: PathBuf) -> Self {
        Self { path, stamp: None }
    }

    /// The file's stamp now (`None` when it cannot be read).
    pub fn current_stamp(&self) -> Option<Stamp> {
        std::fs::metadata(&self.path)
            .ok()
            .map(|m| (m.modified().ok(), m.len()))
    }

    /// Whether the file changed since it was last loaded.
    pub fn changed(&self) -> bool {
        self.current_stamp() != self.stamp
    }

    /// Reads and checks the file; on success remembers its stamp.
    pub fn load(&mut self, sandbox: bool) -> Result<RoutingConfig, String> {
        let stamp = self.current_stamp();
        let config = parse_file(&self.path, sandbox)?;
        self.stamp = stamp;
        Ok(config)
    }
}

fn parse_file(path: &Path, sandbox: bool) -> Result<RoutingConfig, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("routing file {}: {e}", path.display()))?;
    parse(&text, sandbox).map_err(|e| format!("routing file {}: {e}", path.display()))
}

/// Parses routing-file text.
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
