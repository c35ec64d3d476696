//! Merchant rows to the domain's [`Merchant`]: names parsed into their
//! enums, branding into its checked types. Reads only; nothing here writes.

use kassa_entities::merchant;

use super::StoreError;
use crate::domain::branding::{AccentColor, Branding, DisplayName, LogoUrl};
use crate::domain::merchant::Merchant;

pub(super) fn to_merchant(
    row: merchant::Model,
    domains: Vec<String>,
) -> Result<Merchant, StoreError> {
    let package = row
        .package
        .parse()
        .map_err(|e| StoreError::Unexpected(anyhow::Error::new(e)))?;
    let checkout_mode = row
        .checkout_mode
        .parse()
        .map_err(|e| StoreError::Unexpected(anyhow::Error::new(e)))?;
    let branding = branding_of(&row);
    Ok(Merchant {
        id: row.id,
        email: row.email,
        package,
        checkout_mode,
        country: row.country,
        crypto_enabled: row.crypto_enabled,
        disabled: row.disabled,
        payout_wallet: row.payout_wallet,
        webhook_url: row.webhook_url,
        branding,
        domains,
    })
}

/// The stored branding; a value that no longer parses (edited by hand) is
/// left out, so the page falls back to Kassa's look instead of failing.
fn branding_of(row: &merchant::Model) -> Branding {
    fn checked<T, E>(
        id: i64,
        field: &str,
        raw: Option<&str>,
        parse: fn(&str) -> Result<T, E>,
    ) -> Option<T> {
        let value = parse(raw?).ok();
        if value.is_none() {
            tracing::warn!(
                merchant_id = id,
                field,
                "ignoring a stored branding value that does not parse"
            );
        }
        value
    }
    Branding {
        display_name: checked(
            row.id,
            "display_name",
            row.display_name.as_deref(),
            DisplayName::parse,
        ),
        logo_url: checked(row.id, "logo_url", row.logo_url.as_deref(), LogoUrl::parse),
        accent_color: checked(
            row.id,
            "accent_color",
            row.accent_color.as_deref(),
            AccentColor::parse,
        ),
    }
}
