//! On-ramp credentials and endpoints from configuration (`[onramp]` in
//! `kassa.toml`, or `KASSA_ONRAMP__<NAME>`), and the same with the values
//! stored in the database put over them ([`OnrampSettings::overridden`]).
//! A provider without its credentials is simply not configured (a pair of
//! which only one half is known counts as missing). Every credential is
//! wrapped so it never reaches a log line or a `Debug` print.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::domain::routing::credential::CredentialName;

/// `[onramp]` as written.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct RawOnramp {
    /// Use the providers' production hosts (else their test/sandbox hosts).
    pub production: bool,
    pub moonpay_api_key: Option<String>,
    pub moonpay_secret_key: Option<String>,
    pub transak_api_key: Option<String>,
    pub ramp_host_api_key: Option<String>,
    pub wert_partner_id: Option<String>,
    pub robinhood_application_id: Option<String>,
    pub revolut_partner_id: Option<String>,
    /// The reseller checkout used first while EPv2 partner split is active.
    pub partner_checkout_url: Option<String>,
    pub partner_id: Option<String>,
}

impl std::fmt::Debug for RawOnramp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawOnramp")
            .field("production", &self.production)
            .finish_non_exhaustive()
    }
}

/// Checked on-ramp settings.
#[derive(Debug, Clone, Default)]
pub struct OnrampSettings {
    pub production: bool,
    pub moonpay: Option<MoonpayKeys>,
    pub transak_api_key: Option<SecretString>,
    pub ramp_host_api_key: Option<SecretString>,
    pub wert_partner_id: Option<SecretString>,
    pub robinhood_application_id: Option<SecretString>,
    pub revolut_partner_id: Option<SecretString>,
    pub partner: Option<PartnerCheckout>,
}

/// MoonPay needs both: the publishable key in the URL, the secret to sign it.
#[derive(Debug, Clone)]
pub struct MoonpayKeys {
    pub api_key: SecretString,
    pub secret_key: SecretString,
}

/// The reseller checkout (EPv2 partner split).
#[derive(Debug, Clone)]
pub struct PartnerCheckout {
    pub url: url::Url,
    pub partner_id: SecretString,
}

fn secret(v: &Option<String>) -> Option<SecretString> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| SecretString::from(s.to_string()))
}

impl RawOnramp {
    /// Checks the section; errors name the setting.
    pub fn check(&self) -> Result<OnrampSettings, String> {
        let moonpay = match (
            secret(&self.moonpay_api_key),
            secret(&self.moonpay_secret_key),
        ) {
            (Some(api_key), Some(secret_key)) => Some(MoonpayKeys {
                api_key,
                secret_key,
            }),
            (None, None) => None,
            _ => {
                return Err(
                    "settings `onramp.moonpay_api_key` and `onramp.moonpay_secret_key`: set both or neither"
                        .into(),
                );
            }
        };
        let partner = match (
            self.partner_checkout_url
                .as_deref()
                .filter(|u| !u.trim().is_empty()),
            secret(&self.partner_id),
        ) {
            (Some(u), Some(partner_id)) => {
                let url = url::Url::parse(u.trim())
                    .ok()
                    .filter(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some())
                    .ok_or_else(|| {
                        format!(
                            "setting `onramp.partner_checkout_url`: `{u}` is not an http(s) URL"
                        )
                    })?;
                Some(PartnerCheckout { url, partner_id })
            }
            (None, None) => None,
            _ => {
                return Err(
                    "settings `onramp.partner_checkout_url` and `onramp.partner_id`: set both or neither"
                        .into(),
                );
            }
        };
        Ok(OnrampSettings {
            production: self.production,
            moonpay,
            transak_api_key: secret(&self.transak_api_key),
            ramp_host_api_key: secret(&self.ramp_host_api_key),
            wert_partner_id: secret(&self.wert_partner_id),
            robinhood_application_id: secret(&self.robinhood_application_id),
            revolut_partner_id: secret(&self.revolut_partner_id),
            partner,
        })
    }
}

impl OnrampSettings {
    /// The value configuration gives `name`, if any.
    pub fn value_of(&self, name: CredentialName) -> Option<SecretString> {
        match name {
            CredentialName::MoonpayApiKey => self.moonpay.as_ref().map(|k| k.api_key.clone()),
            CredentialName::MoonpaySecretKey => self.moonpay.as_ref().map(|k| k.secret_key.clone()),
            CredentialName::TransakApiKey => self.transak_api_key.clone(),
            CredentialName::RampHostApiKey => self.ramp_host_api_key.clone(),
            CredentialName::WertPartnerId => self.wert_partner_id.clone(),
            CredentialName::RobinhoodApplicationId => self.robinhood_application_id.clone(),
            CredentialName::RevolutPartnerId => self.revolut_partner_id.clone(),
            CredentialName::PartnerCheckoutUrl => self
                .partner
                .as_ref()
                .map(|p| SecretString::from(p.url.to_string())),
            CredentialName::PartnerId => self.partner.as_ref().map(|p| p.partner_id.clone()),
        }
    }

    /// These settings with `stored` (database values, already checked when
    /// they were set) in place of the configured ones.
    pub fn overridden(&self, stored: &[(CredentialName, SecretString)]) -> OnrampSettings {
        let get = |name: CredentialName| {
            stored
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
                .or_else(|| self.value_of(name))
        };
        let moonpay = match (
            get(CredentialName::MoonpayApiKey),
            get(CredentialName::MoonpaySecretKey),
        ) {
            (Some(api_key), Some(secret_key)) => Some(MoonpayKeys {
                api_key,
                secret_key,
            }),
            _ => None,
        };
        let partner = match (
            get(CredentialName::PartnerCheckoutUrl)
                .and_then(|u| url::Url::parse(u.expose_secret()).ok()),
            get(CredentialName::PartnerId),
        ) {
            (Some(url), Some(partner_id)) => Some(PartnerCheckout { url, partner_id }),
            _ => None,
        };
        OnrampSettings {
            production: self.production,
            moonpay,
            transak_api_key: get(CredentialName::TransakApiKey),
            ramp_host_api_key: get(CredentialName::RampHostApiKey),
            wert_partner_id: get(CredentialName::WertPartnerId),
            robinhood_application_id: get(CredentialName::RobinhoodApplicationId),
            revolut_partner_id: get(CredentialName::RevolutPartnerId),
            partner,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_show_in_debug_output() {
        let raw = RawOnramp {
            moonpay_api_key: Some("pk_live_visible".into()),
            moonpay_secret_key: Some("sk_live_hidden".into()),
            ..RawOnramp::default()
        };
        let checked = raw.check().unwrap();
        for text in [format!("{raw:?}"), format!("{checked:?}")] {
            assert!(
                !text.contains("sk_live_hidden") && !text.contains("pk_live_visible"),
                "{text}"
            );
        }
    }

    #[test]
    fn database_values_override_configured_ones_and_fill_gaps() {
        let configured = RawOnramp {
            moonpay_api_key: Some("pk_config".into()),
            moonpay_secret_key: Some("sk_config".into()),
            transak_api_key: Some("transak_config".into()),
            ..RawOnramp::default()
        }
        .check()
        .unwrap();
        let stored = [
            (
                CredentialName::TransakApiKey,
                SecretString::from("transak_db"),
            ),
            (CredentialName::WertPartnerId, SecretString::from("wert_db")),
            (CredentialName::PartnerId, SecretString::from("half_a_pair")),
        ];
        let merged = configured.overridden(&stored);
        let shown = |v: Option<SecretString>| v.map(|s| s.expose_secret().to_string());
        assert_eq!(
            shown(merged.value_of(CredentialName::TransakApiKey)).as_deref(),
            Some("transak_db")
        );
        assert_eq!(
            shown(merged.value_of(CredentialName::WertPartnerId)).as_deref(),
            Some("wert_db")
        );
        assert_eq!(
            shown(merged.value_of(CredentialName::MoonpaySecretKey)).as_deref(),
            Some("sk_config")
        );
        assert!(merged.partner.is_none(), "half a pair configures nothing");
    }

    #[test]
    fn half_a_credential_pair_is_refused() {
        let raw = RawOnramp {
            moonpay_api_key: Some("pk".into()),
            ..RawOnramp::default()
        };
        assert!(raw.check().unwrap_err().contains("moonpay_secret_key"));
    }
}
