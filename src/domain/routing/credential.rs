//! On-ramp credentials by name (the `[onramp]` settings a database value
//! may override), the provider each serves, where the one in force comes
//! from, and a checked value ([`CredentialValue::parse`]).
//!
//! Must not: print a value. `Debug` of a value shows nothing of it.

use secrecy::{ExposeSecret, SecretString};

use super::provider::Provider;

/// A credential, named as its `[onramp]` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CredentialName {
    MoonpayApiKey,
    MoonpaySecretKey,
    TransakApiKey,
    RampHostApiKey,
    WertPartnerId,
    RobinhoodApplicationId,
    RevolutPartnerId,
    PartnerCheckoutUrl,
    PartnerId,
}

impl CredentialName {
    pub const ALL: [CredentialName; 9] = [
        CredentialName::MoonpayApiKey,
        CredentialName::MoonpaySecretKey,
        CredentialName::TransakApiKey,
        CredentialName::RampHostApiKey,
        CredentialName::WertPartnerId,
        CredentialName::RobinhoodApplicationId,
        CredentialName::RevolutPartnerId,
        CredentialName::PartnerCheckoutUrl,
        CredentialName::PartnerId,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CredentialName::MoonpayApiKey => "moonpay_api_key",
            CredentialName::MoonpaySecretKey => "moonpay_secret_key",
            CredentialName::TransakApiKey => "transak_api_key",
            CredentialName::RampHostApiKey => "ramp_host_api_key",
            CredentialName::WertPartnerId => "wert_partner_id",
            CredentialName::RobinhoodApplicationId => "robinhood_application_id",
            CredentialName::RevolutPartnerId => "revolut_partner_id",
            CredentialName::PartnerCheckoutUrl => "partner_checkout_url",
            CredentialName::PartnerId => "partner_id",
        }
    }

    pub fn parse(name: &str) -> Option<CredentialName> {
        let name = name.trim().to_ascii_lowercase();
        CredentialName::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// The provider it serves (MoonPay's keys also serve bank transfer,
    /// Transak's also iDEAL: those adapters share them).
    pub fn provider(self) -> Provider {
        match self {
            CredentialName::MoonpayApiKey | CredentialName::MoonpaySecretKey => Provider::Moonpay,
            CredentialName::TransakApiKey => Provider::Transak,
            CredentialName::RampHostApiKey => Provider::RampNetwork,
            CredentialName::WertPartnerId => Provider::Wert,
            CredentialName::RobinhoodApplicationId => Provider::Robinhood,
            CredentialName::RevolutPartnerId => Provider::Revolut,
            CredentialName::PartnerCheckoutUrl | CredentialName::PartnerId => Provider::Epv2Partner,
        }
    }

    /// Whether its value must be an http(s) URL (the partner checkout).
    pub fn is_url(self) -> bool {
        self == CredentialName::PartnerCheckoutUrl
    }
}

/// Where the credential in force comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialSource {
    /// Stored in the database (it overrides configuration).
    Database,
    /// From `[onramp]` / `KASSA_ONRAMP__…`.
    Configuration,
    /// Neither: the provider is not configured by it.
    Missing,
}

impl CredentialSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialSource::Database => "database",
            CredentialSource::Configuration => "configuration",
            CredentialSource::Missing => "missing",
        }
    }
}

/// Longest credential accepted (provider keys are far shorter).
const MAX_LEN: usize = 2048;

/// A credential value that passed its checks: trimmed, not empty, no
/// whitespace or control characters inside, and for the partner checkout
/// an http(s) URL with a host.
#[derive(Clone)]
pub struct CredentialValue(SecretString);

impl std::fmt::Debug for CredentialValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CredentialValue(..)")
    }
}

/// Why a credential value was refused (the value itself is never named).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CredentialValueError {
    #[error("{0}: the value is empty")]
    Empty(&'static str),
    #[error("{0}: the value is longer than 2048 characters")]
    TooLong(&'static str),
    #[error("{0}: the value contains spaces or control characters")]
    BadCharacters(&'static str),
    #[error("{0}: the value is not an http(s) URL")]
    NotAnUrl(&'static str),
}

impl CredentialValue {
    pub fn parse(name: CredentialName, raw: &str) -> Result<CredentialValue, CredentialValueError> {
        let at = name.as_str();
        let value = raw.trim();
        if value.is_empty() {
            return Err(CredentialValueError::Empty(at));
        }
        if value.chars().count() > MAX_LEN {
            return Err(CredentialValueError::TooLong(at));
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(CredentialValueError::BadCharacters(at));
        }
        if name.is_url()
            && !url::Url::parse(value)
                .is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some())
        {
            return Err(CredentialValueError::NotAnUrl(at));
        }
        Ok(CredentialValue(SecretString::from(value.to_string())))
    }

    pub fn secret(&self) -> &SecretString {
        &self.0
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back() {
        for n in CredentialName::ALL {
            assert_eq!(CredentialName::parse(n.as_str()), Some(n));
        }
        assert_eq!(CredentialName::parse("moonpay"), None);
    }

    #[test]
    fn a_value_is_trimmed_and_checked() {
        let v = CredentialValue::parse(CredentialName::TransakApiKey, "  key-123 \n").unwrap();
        assert_eq!(v.expose(), "key-123");
        assert_eq!(format!("{v:?}"), "CredentialValue(..)");
        for (name, bad) in [
            (CredentialName::TransakApiKey, "   "),
            (CredentialName::TransakApiKey, "two words"),
            (CredentialName::PartnerCheckoutUrl, "ftp://x.example"),
            (CredentialName::PartnerCheckoutUrl, "not a url"),
        ] {
            let err = CredentialValue::parse(name, bad).unwrap_err().to_string();
            assert!(err.starts_with(name.as_str()), "{err}");
        }
    }
}
