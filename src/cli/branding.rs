//! The branding flags of `kassa merchant create | update`: `--display-name`,
//! `--logo-url`, `--accent-color`, and how `merchant list` shows them. The
//! values are checked by `app::merchants` (a bad one is worded after its flag
//! in `merchant.rs`); on `update` an empty string clears the setting. This
//! file must not parse the values itself.

use clap::Args;

use crate::app::merchants::BrandingFields;
use crate::domain::branding::{AccentColor, Branding};

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
    /// The flags as typed, for `app::merchants` to check (an empty flag
    /// clears the setting on `update`; on `create` it is the same as none).
    pub fn fields(&self) -> BrandingFields {
        BrandingFields {
            display_name: self.display_name.clone(),
            logo_url: self.logo_url.clone(),
            accent_color: self.accent_color.clone(),
        }
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
