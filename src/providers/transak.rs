//! Transak hosted widget: `apiKey`, `referrerDomain`,
//! `cryptoCurrencyCode=USDC`, `network=polygon`, `walletAddress`,
//! `fiatCurrency`, `fiatAmount`, `email`, `redirectURL`, `partnerOrderId`.
//! (Transak now prefers widget URLs created through its API; the query form
//! below is its documented hosted form. Its "Create Widget URL" reference
//! names `apiKey` and `referrerDomain` as the mandatory widget parameters:
//! the referrer is the host of Kassa's public URL, where the widget opens from.)

use secrecy::{ExposeSecret, SecretString};

use super::{BuildError, OnRamp, WidgetRequest, amount_text, with_query};
use crate::domain::routing::Provider;

const PRODUCTION: &str = "https://global.transak.com";
const STAGING: &str = "https://global-stg.transak.com";

pub struct Transak {
    api_key: SecretString,
    host: &'static str,
    /// The host name of Kassa's public URL.
    referrer_domain: String,
}

impl Transak {
    pub fn new(api_key: SecretString, production: bool, public_base: &str) -> Self {
        Self {
            api_key,
            host: if production { PRODUCTION } else { STAGING },
            referrer_domain: url::Url::parse(public_base)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_default(),
        }
    }

    /// The widget URL with `extra` parameters (payment method presets).
    pub(crate) fn url_with(&self, req: &WidgetRequest<'_>, extra: &[(&str, &str)]) -> String {
        let amount = amount_text(&req.fiat);
        let session = req.session_id.to_string();
        let mut params: Vec<(&str, &str)> = vec![
            ("apiKey", self.api_key.expose_secret()),
            ("referrerDomain", &self.referrer_domain),
            ("productsAvailed", "BUY"),
            ("cryptoCurrencyCode", "USDC"),
            ("network", "polygon"),
            ("walletAddress", req.deposit_address),
            ("disableWalletAddressForm", "true"),
            ("fiatCurrency", req.fiat.currency().code()),
            ("fiatAmount", &amount),
            ("partnerOrderId", &session),
        ];
        if let Some(email) = req.email {
            params.push(("email", email));
        }
        if let Some(url) = req.return_url {
            params.push(("redirectURL", url));
        }
        params.extend_from_slice(extra);
        with_query(self.host, &params)
    }
}

impl OnRamp for Transak {
    fn provider(&self) -> Provider {
        Provider::Transak
    }

    fn widget_url(&self, req: &WidgetRequest<'_>) -> Result<String, BuildError> {
        Ok(self.url_with(req, &[]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::test_support::{ADDRESS, param, request};

    #[test]
    fn the_widget_url_carries_transaks_parameters() {
        let url = Transak::new(
            SecretString::from("tk_key"),
            true,
            "https://pay.kassa.example/",
        )
        .widget_url(&request("GBP"))
        .unwrap();

        assert!(url.starts_with("https://global.transak.com?apiKey=tk_key&"));
        for (k, v) in [
            ("referrerDomain", "pay.kassa.example"),
            ("cryptoCurrencyCode", "USDC"),
            ("network", "polygon"),
            ("walletAddress", ADDRESS),
            ("fiatCurrency", "GBP"),
            ("fiatAmount", "79.00"),
            ("email", "buyer+1@example.com"),
            ("redirectURL", "https://shop.example/thank-you?order=7"),
            ("partnerOrderId", "4815162342"),
        ] {
            assert_eq!(param(&url, k).as_deref(), Some(v), "{k}");
        }
    }
}
