//! The rules for a merchant's fields as a person typed them (a CLI flag, later
//! a dashboard or admin form): e-mail, shop domains, payout wallet, country,
//! package, checkout mode, the webhook statuses to deliver, and the branding.
//! Each turns raw text into the form the store keeps, or a [`FieldError`]
//! that names the field and the refused value.
//!
//! Pure: no I/O here (the webhook URL's address check is in `targets`). It
//! must not know how a door words its errors (flag names, form labels); the
//! door maps each variant to its own text.

use crate::domain::branding::{AccentColor, Branding, BrandingError, DisplayName, LogoUrl};
use crate::domain::email::Email;
use crate::domain::merchant::{CheckoutMode, Package, parse_country};
use crate::domain::session::EventKind;
use crate::domain::shop_domain::ShopDomain;
use crate::domain::wallet::WalletAddress;

/// A merchant field that does not pass its rule, with the value as given.
#[derive(Debug, thiserror::Error)]
pub enum FieldError {
    #[error("`{0}` is not an e-mail address")]
    Email(String),
    #[error("`{0}` is not a shop domain")]
    Domain(String),
    #[error("`{0}` is not a valid Polygon address")]
    PayoutWallet(String),
    #[error("`{0}` is not a two-letter country code (ISO 3166-1, like NL)")]
    Country(String),
    #[error("`{0}` is not a package (free, pro or unlimited)")]
    Package(String),
    #[error("`{0}` is not a checkout mode (standard or smart_router)")]
    CheckoutMode(String),
    #[error("unknown webhook status `{0}`")]
    WebhookStatus(String),
    #[error("{field:?}: `{value}` refused: {error}")]
    Branding {
        field: BrandingField,
        value: String,
        error: BrandingError,
    },
}

/// Which branding setting a [`FieldError::Branding`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrandingField {
    DisplayName,
    LogoUrl,
    AccentColor,
}

/// The branding settings as typed: `None` leaves a setting alone, an empty
/// (or blank) value clears it.
#[derive(Debug, Clone, Default)]
pub struct BrandingFields {
    pub display_name: Option<String>,
    pub logo_url: Option<String>,
    pub accent_color: Option<String>,
}

/// Checked branding changes: `None` keeps, `Some(None)` clears.
#[derive(Debug, Clone, Default)]
pub struct BrandingChanges {
    pub display_name: Option<Option<DisplayName>>,
    pub logo_url: Option<Option<LogoUrl>>,
    pub accent_color: Option<Option<AccentColor>>,
}

impl BrandingFields {
    /// The branding of a new merchant (an empty value is the same as none).
    pub fn for_create(&self) -> Result<Branding, FieldError> {
        let changes = self.changes()?;
        Ok(Branding {
            display_name: changes.display_name.flatten(),
            logo_url: changes.logo_url.flatten(),
            accent_color: changes.accent_color.flatten(),
        })
    }

    /// The changes to an existing merchant's branding.
    pub fn changes(&self) -> Result<BrandingChanges, FieldError> {
        Ok(BrandingChanges {
            display_name: branding_value(
                BrandingField::DisplayName,
                self.display_name.as_deref(),
                DisplayName::parse,
            )?,
            logo_url: branding_value(
                BrandingField::LogoUrl,
                self.logo_url.as_deref(),
                LogoUrl::parse,
            )?,
            accent_color: branding_value(
                BrandingField::AccentColor,
                self.accent_color.as_deref(),
                AccentColor::parse,
            )?,
        })
    }
}

/// Absent → `None`; blank → `Some(None)`; else the parsed value or an error
/// naming `field`.
fn branding_value<T>(
    field: BrandingField,
    raw: Option<&str>,
    parse: fn(&str) -> Result<T, BrandingError>,
) -> Result<Option<Option<T>>, FieldError> {
    match raw.map(str::trim) {
        None => Ok(None),
        Some("") => Ok(Some(None)),
        Some(value) => parse(value)
            .map(|v| Some(Some(v)))
            .map_err(|error| FieldError::Branding {
                field,
                value: value.to_string(),
                error,
            }),
    }
}

/// The e-mail address as stored.
pub fn email(raw: &str) -> Result<String, FieldError> {
    Email::parse(raw)
        .map(|e| e.as_str().to_lowercase())
        .map_err(|_| FieldError::Email(raw.to_string()))
}

/// The allowlist as stored (normalised names, in the order given).
pub fn domains(raw: &[String]) -> Result<Vec<String>, FieldError> {
    raw.iter()
        .map(|d| {
            ShopDomain::parse(d)
                .map(|d| d.as_str().to_string())
                .map_err(|_| FieldError::Domain(d.clone()))
        })
        .collect()
}

/// The payout wallet, EIP-55 checksummed.
pub fn payout_wallet(raw: &str) -> Result<String, FieldError> {
    WalletAddress::parse(raw)
        .map(|w| w.checksummed())
        .map_err(|_| FieldError::PayoutWallet(raw.to_string()))
}

/// An ISO 3166-1 alpha-2 country code, upper case.
pub fn country(raw: &str) -> Result<String, FieldError> {
    parse_country(raw).ok_or_else(|| FieldError::Country(raw.to_string()))
}

pub fn package(raw: &str) -> Result<Package, FieldError> {
    raw.parse()
        .map_err(|_| FieldError::Package(raw.to_string()))
}

pub fn checkout_mode(raw: &str) -> Result<CheckoutMode, FieldError> {
    raw.parse()
        .map_err(|_| FieldError::CheckoutMode(raw.to_string()))
}

/// `paid,expired` → the statuses; `all` → every status (an empty list).
pub fn webhook_statuses(raw: &str) -> Result<Vec<String>, FieldError> {
    if raw.trim() == "all" {
        return Ok(Vec::new());
    }
    raw.split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .map(|s| {
            if EventKind::ALL.iter().any(|k| k.as_str() == s) {
                Ok(s)
            } else {
                Err(FieldError::WebhookStatus(s))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn an_empty_branding_value_clears_and_a_missing_one_keeps() {
        assert!(
            branding_value(BrandingField::AccentColor, None, AccentColor::parse)
                .unwrap()
                .is_none()
        );
        let cleared =
            branding_value(BrandingField::AccentColor, Some(" "), AccentColor::parse).unwrap();
        assert_eq!(cleared, Some(None));
    }

    #[test]
    fn a_bad_branding_value_names_its_field() {
        let err = branding_value(
            BrandingField::AccentColor,
            Some("red;}</style><script>"),
            AccentColor::parse,
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                FieldError::Branding {
                    field: BrandingField::AccentColor,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn all_webhook_statuses_is_the_empty_list_and_unknown_ones_are_refused() {
        assert!(webhook_statuses("all").unwrap().is_empty());
        assert_eq!(
            webhook_statuses(" Paid, expired ,").unwrap(),
            vec!["paid".to_string(), "expired".to_string()]
        );
        assert!(matches!(
            webhook_statuses("paid,shipped"),
            Err(FieldError::WebhookStatus(s)) if s == "shipped"
        ));
    }

    #[test]
    fn a_country_is_upper_cased_and_a_wallet_checksummed() {
        assert_eq!(country("nl").unwrap(), "NL");
        assert!(matches!(country("NLD"), Err(FieldError::Country(_))));
        assert_eq!(
            payout_wallet("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed").unwrap(),
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
        );
    }
}
