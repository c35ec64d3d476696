//! The branding flags of `kassa merchant create | update`: `--display-name`,
//! `--logo-url`, `--accent-color`. Each is parsed into its domain type here,
//! and a bad value is an error naming its flag; on `update` an empty string
//! clears the setting.

use anyhow::anyhow;
use clap::Args;

use crate::domain::branding::{AccentColor, Branding, BrandingError, DisplayName, LogoUrl};
use crate::store::merchants::MerchantUpdate;

#[derive(Debug, Args)]
pub struct BrandingArgs {
    /// Shop name on the hosted pages (plain text, up to 64 characters; "" clears).
    #[arg(long)]
    display_name: Option<String>,
    /// Logo on the hosted pages: an https:// URL on a host name ("" clears).
    #[arg(long)]
    logo_url: Option<String>,
    /// Colour of buttons and links on the hosted pages, #rrggbb ("" clears).
    #[arg(long)]
    accent_color: Option<String>,
}

impl BrandingArgs {
    /// The branding of a new merchant (an empty flag is the same as none).
    pub fn for_create(&self) -> anyhow::Result<Branding> {
        Ok(Branding {
            display_name: flag("--display-name", &self.display_name, DisplayName::parse)?.flatten(),
            logo_url: flag("--logo-url", &self.logo_url, LogoUrl::parse)?.flatten(),
            accent_color: flag("--accent-color", &self.accent_color, AccentColor::parse)?.flatten(),
        })
    }

    /// Writes the given flags into `update` (`Some(None)` clears).
    pub fn apply(&self, update: &mut MerchantUpdate) -> anyhow::Result<()> {
        update.display_name = flag("--display-name", &self.display_name, DisplayName::parse)?;
        update.logo_url = flag("--logo-url", &self.logo_url, LogoUrl::parse)?;
        update.accent_color = flag("--accent-color", &self.accent_color, AccentColor::parse)?;
        Ok(())
    }
}

/// Absent → `None`; empty → `Some(None)`; else the parsed value or an error
/// naming `name`.
fn flag<T>(
    name: &str,
    raw: &Option<String>,
    parse: fn(&str) -> Result<T, BrandingError>,
) -> anyhow::Result<Option<Option<T>>> {
    match raw.as_deref().map(str::trim) {
        None => Ok(None),
        Some("") => Ok(Some(None)),
        Some(value) => parse(value)
            .map(|v| Some(Some(v)))
            .map_err(|e| anyhow!("{name}: `{value}` refused: {e}")),
    }
}

/// How `merchant list` shows a merchant's branding.
pub fn describe(b: &Branding) -> (String, String, String) {
    (
        b.display_name
            .as_ref()
            .map_or_else(|| "-".into(), |n| n.as_str().to_string()),
        b.accent_color.map_or_else(|| "-".into(), AccentColor::css),
        b.logo_url
            .as_ref()
            .map_or_else(|| "-".into(), |u| u.as_str().to_string()),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn an_empty_flag_clears_and_a_missing_one_keeps() {
        let none: Option<String> = None;
        assert!(flag("--x", &none, AccentColor::parse).unwrap().is_none());
        let empty = Some(" ".to_string());
        assert_eq!(flag("--x", &empty, AccentColor::parse).unwrap(), Some(None));
    }

    #[test]
    fn a_bad_value_names_its_flag() {
        let hostile = Some("red;}</style><script>".to_string());
        let err = flag("--accent-color", &hostile, AccentColor::parse).unwrap_err();
        assert!(err.to_string().starts_with("--accent-color:"), "{err}");
    }
}
