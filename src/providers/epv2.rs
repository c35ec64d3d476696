//! Gateway-internal routes: the EPv2 provider list
//! (`/pay.php?session=N&provider=epv2`), the reseller checkout tried first
//! while partner split is active (the partner's URL with `partner_*`
//! parameters, falling back to the provider list), and the EPv3 crypto
//! checkout (`/crypto.php?session=N`).

use secrecy::ExposeSecret;

use super::credentials;
use super::{BuildError, OnRamp, WidgetRequest, amount_text};
use crate::domain::routing::Provider;

/// `{public_base}/pay.php?session=N&provider=epv2`.
pub fn provider_list_url(public_base: &str, session_id: i64) -> String {
    format!(
        "{}/pay.php?session={session_id}&provider=epv2",
        public_base.trim_end_matches('/')
    )
}

pub struct ProviderList {
    public_base: String,
}

impl ProviderList {
    pub fn new(public_base: &str) -> Self {
        Self {
            public_base: public_base.to_string(),
        }
    }
}

impl OnRamp for ProviderList {
    fn provider(&self) -> Provider {
        Provider::Epv2
    }

    fn widget_url(&self, req: &WidgetRequest<'_>) -> Result<String, BuildError> {
        Ok(provider_list_url(&self.public_base, req.session_id))
    }
}

pub struct CryptoCheckout {
    public_base: String,
}

impl CryptoCheckout {
    pub fn new(public_base: &str) -> Self {
        Self {
            public_base: public_base.trim_end_matches('/').to_string(),
        }
    }
}

impl OnRamp for CryptoCheckout {
    fn provider(&self) -> Provider {
        Provider::Crypto
    }

    fn widget_url(&self, req: &WidgetRequest<'_>) -> Result<String, BuildError> {
        Ok(format!(
            "{}/crypto.php?session={}",
            self.public_base, req.session_id
        ))
    }
}

/// The reseller checkout (v3 with `partner_*` parameters).
pub struct PartnerCheckout {
    partner: credentials::PartnerCheckout,
    public_base: String,
}

impl PartnerCheckout {
    pub fn new(partner: credentials::PartnerCheckout, public_base: &str) -> Self {
        Self {
            partner,
            public_base: public_base.to_string(),
        }
    }
}

impl OnRamp for PartnerCheckout {
    fn provider(&self) -> Provider {
        Provider::Epv2Partner
    }

    fn widget_url(&self, req: &WidgetRequest<'_>) -> Result<String, BuildError> {
        let mut url = self.partner.url.clone();
        let fallback = provider_list_url(&self.public_base, req.session_id);
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("partner_id", self.partner.partner_id.expose_secret())
                .append_pair("partner_session", &req.session_id.to_string())
                .append_pair("partner_amount", &amount_text(&req.fiat))
                .append_pair("partner_currency", req.fiat.currency().code())
                .append_pair("partner_address", req.deposit_address)
                .append_pair("partner_asset", "USDC")
                .append_pair("partner_network", "polygon")
                .append_pair("partner_fallback_url", &fallback);
            if let Some(r) = req.return_url {
                q.append_pair("partner_return_url", r);
            }
        }
        Ok(url.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::test_support::{ADDRESS, param, request};
    use secrecy::SecretString;

    #[test]
    fn the_provider_list_and_crypto_urls_are_the_documents() {
        let r = request("EUR");
        assert_eq!(
            ProviderList::new("https://pay.example")
                .widget_url(&r)
                .unwrap(),
            "https://pay.example/pay.php?session=4815162342&provider=epv2"
        );
        assert_eq!(
            CryptoCheckout::new("https://pay.example/")
                .widget_url(&r)
                .unwrap(),
            "https://pay.example/crypto.php?session=4815162342"
        );
    }

    #[test]
    fn the_reseller_checkout_gets_partner_parameters_and_a_fallback() {
        let partner = credentials::PartnerCheckout {
            url: url::Url::parse("https://reseller.example/v3/checkout?x=1").unwrap(),
            partner_id: SecretString::from("p-9"),
        };
        let url = PartnerCheckout::new(partner, "https://pay.example")
            .widget_url(&request("EUR"))
            .unwrap();
        assert!(url.starts_with("https://reseller.example/v3/checkout?x=1&partner_id=p-9&"));
        assert_eq!(param(&url, "partner_amount").as_deref(), Some("79.00"));
        assert_eq!(param(&url, "partner_address").as_deref(), Some(ADDRESS));
        assert_eq!(
            param(&url, "partner_fallback_url").as_deref(),
            Some("https://pay.example/pay.php?session=4815162342&provider=epv2")
        );
    }
}
