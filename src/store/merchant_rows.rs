//! Merchant rows to the domain's [`Merchant`]: names parsed into their
//! enums, branding into its checked types, the payout wallet columns into
//! [`PayoutWallets`] (whose rule says which wallet is in force). Reads only; nothing here writes.

use kassa_entities::merchant;

use super::StoreError;
use crate::domain::branding::{AccentColor, Branding, DisplayName, LogoUrl};
use crate::domain::merchant::Merchant;
use crate::domain::payout_wallet::{PayoutWallets, PendingWallet};

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
    let payout_wallets = wallets_of(&row);
    Ok(Merchant {
        id: row.id,
        email: row.email,
        package,
        checkout_mode,
        country: row.country,
        crypto_enabled: row.crypto_enabled,
        disabled: row.disabled,
        payout_wallets,
        webhook_url: row.webhook_url,
        branding,
        domains,
    })
}

/// The stored payout wallet and the change pending, if any (a pending
/// wallet without its time is ignored: it could never take effect).
pub(super) fn wallets_of(row: &merchant::Model) -> PayoutWallets {
    let pending = match (&row.pending_payout_wallet, row.pending_payout_wallet_at) {
        (Some(wallet), Some(effective_at_ms)) => Some(PendingWallet {
            wallet: wallet.clone(),
            effective_at_ms,
            requested_at_ms: row
                .pending_payout_wallet_requested_at
                .unwrap_or(effective_at_ms),
        }),
        _ => None,
    };
    PayoutWallets::from_stored(row.payout_wallet.clone(), pending)
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
