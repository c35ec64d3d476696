//! On-ramp adapters: one file per provider behind one trait. Each turns a
//! session (deposit address, USDC on Polygon, fiat amount and currency,
//! customer e-mail, return URL) into that provider's hosted widget URL.
//!
//! Adapters build URLs only: no network calls, no logging of credentials.
//! The router decides which adapter to ask; see `domain::routing`.

pub mod banktransfer;
pub mod credentials;
pub mod epv2;
pub mod ideal;
pub mod moonpay;
pub mod page_secret;
pub mod ramp;
pub mod revolut;
pub mod robinhood;
pub mod sandbox;
pub mod transak;
pub mod wert;

use std::collections::BTreeSet;

use crate::domain::money::{Currency, Money};
use crate::domain::page_token::PageSecret;
use crate::domain::routing::Provider;
use credentials::OnrampSettings;

/// What every adapter is given.
#[derive(Debug, Clone)]
pub struct WidgetRequest<'a> {
    pub session_id: i64,
    /// The session's own Polygon deposit address (USDC arrives here).
    pub deposit_address: &'a str,
    /// What the customer pays, in fiat.
    pub fiat: Money,
    pub email: Option<&'a str>,
    /// Where the provider sends the customer afterwards.
    pub return_url: Option<&'a str>,
    /// The customer's country (ISO alpha-2), when known.
    pub country: Option<&'a str>,
}

/// Why an adapter gave no URL.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The provider cannot serve this request (currency, country…): try the
    /// next one, the provider itself is fine.
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
    /// Building failed: the router marks the provider unhealthy for a while.
    #[error("failed: {0}")]
    Failed(String),
}

/// One on-ramp adapter.
pub trait OnRamp: Send + Sync {
    fn provider(&self) -> Provider;
    /// Whether the provider sells for this currency. Known before the
    /// session exists, so routing decides before the session is stored.
    fn serves(&self, _currency: Currency) -> Result<(), BuildError> {
        Ok(())
    }
    /// The hosted URL to send the customer to.
    fn widget_url(&self, req: &WidgetRequest<'_>) -> Result<String, BuildError>;
}

/// The configured adapters.
pub struct Providers {
    adapters: Vec<Box<dyn OnRamp>>,
}

impl std::fmt::Debug for Providers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.adapters.iter().map(|a| a.provider()))
            .finish()
    }
}

impl Providers {
    /// One adapter per provider whose credentials are present. `sandbox`
    /// adds the sandbox on-ramp (sandbox mode only).
    pub fn new(
        onramp: &OnrampSettings,
        public_base: &str,
        page_secret: PageSecret,
        sandbox: bool,
    ) -> Providers {
        let mut adapters: Vec<Box<dyn OnRamp>> = vec![
            Box::new(epv2::ProviderList::new(public_base)),
            Box::new(epv2::CryptoCheckout::new(public_base)),
        ];
        if sandbox {
            adapters.push(Box::new(sandbox::SandboxOnRamp::new(
                public_base,
                page_secret,
            )));
        }
        let production = onramp.production;
        if let Some(keys) = &onramp.moonpay {
            adapters.push(Box::new(moonpay::Moonpay::new(keys.clone(), production)));
            adapters.push(Box::new(banktransfer::BankTransfer::new(
                keys.clone(),
                production,
            )));
        }
        if let Some(key) = &onramp.transak_api_key {
            adapters.push(Box::new(transak::Transak::new(
                key.clone(),
                production,
                public_base,
            )));
            adapters.push(Box::new(ideal::Ideal::new(
                key.clone(),
                production,
                public_base,
            )));
        }
        if let Some(key) = &onramp.ramp_host_api_key {
            adapters.push(Box::new(ramp::Ramp::new(key.clone(), production)));
        }
        if let Some(id) = &onramp.wert_partner_id {
            adapters.push(Box::new(wert::Wert::new(id.clone(), production)));
        }
        if let Some(id) = &onramp.robinhood_application_id {
            adapters.push(Box::new(robinhood::Robinhood::new(id.clone())));
        }
        if let Some(id) = &onramp.revolut_partner_id {
            adapters.push(Box::new(revolut::Revolut::new(id.clone(), production)));
        }
        if let Some(partner) = &onramp.partner {
            adapters.push(Box::new(epv2::PartnerCheckout::new(
                partner.clone(),
                public_base,
            )));
        }
        Providers { adapters }
    }

    /// Providers that can build URLs.
    pub fn configured(&self) -> BTreeSet<Provider> {
        self.adapters.iter().map(|a| a.provider()).collect()
    }

    pub fn get(&self, provider: Provider) -> Option<&dyn OnRamp> {
        self.adapters
            .iter()
            .find(|a| a.provider() == provider)
            .map(|a| a.as_ref())
    }
}

/// What the router rebuilds its adapters from when the credentials in
/// force change: configuration's credentials, with the database's put over
/// them at each build.
#[derive(Clone)]
pub struct ProviderFactory {
    onramp: OnrampSettings,
    public_base: String,
    page_secret: PageSecret,
    sandbox: bool,
}

impl std::fmt::Debug for ProviderFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderFactory")
            .field("sandbox", &self.sandbox)
            .finish_non_exhaustive()
    }
}

impl ProviderFactory {
    pub fn new(
        onramp: OnrampSettings,
        public_base: &str,
        page_secret: PageSecret,
        sandbox: bool,
    ) -> ProviderFactory {
        ProviderFactory {
            onramp,
            public_base: public_base.to_string(),
            page_secret,
            sandbox,
        }
    }

    /// The adapters configured by configuration's credentials with
    /// `stored` (the database's) in their place.
    pub fn build(
        &self,
        stored: &[(
            crate::domain::routing::credential::CredentialName,
            secrecy::SecretString,
        )],
    ) -> Providers {
        Providers::new(
            &self.onramp.overridden(stored),
            &self.public_base,
            self.page_secret.clone(),
            self.sandbox,
        )
    }
}

/// `base?k=v&…`, each key and value percent-encoded.
pub(crate) fn with_query(base: &str, params: &[(&str, &str)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        query.append_pair(k, v);
    }
    format!("{base}?{}", query.finish())
}

/// The amount as a plain decimal with the currency's decimals (`79.00`).
pub(crate) fn amount_text(fiat: &Money) -> String {
    fiat.amount().to_string()
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use crate::domain::money::Currency;

    pub const ADDRESS: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

    pub fn request(currency: &str) -> WidgetRequest<'static> {
        let currency = Currency::parse(currency).unwrap();
        WidgetRequest {
            session_id: 4815162342,
            deposit_address: ADDRESS,
            fiat: Money::from_minor(7900 * 10_i64.pow(currency.decimals()) / 100, currency),
            email: Some("buyer+1@example.com"),
            return_url: Some("https://shop.example/thank-you?order=7"),
            country: Some("NL"),
        }
    }

    /// The URL's query as ordered pairs, decoded.
    pub fn params(url: &str) -> Vec<(String, String)> {
        url::Url::parse(url)
            .unwrap()
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    pub fn param(url: &str, key: &str) -> Option<String> {
        params(url)
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}
