//! Ramp Network hosted widget: `hostApiKey`, `swapAsset=MATIC_USDC`,
//! `userAddress`, `fiatCurrency`, `fiatValue`, `userEmailAddress`,
//! `finalUrl`, `hostAppName` — the names of the host configuration in
//! Ramp's own SDK (`ramp-instant-sdk`, `src/types.ts`). The asset name
//! `MATIC_USDC` (Ramp's `CHAIN_SYMBOL` form) is not confirmed there.

use secrecy::{ExposeSecret, SecretString};

use super::{BuildError, OnRamp, WidgetRequest, amount_text, with_query};
use crate::domain::routing::Provider;

const PRODUCTION: &str = "https://app.rampnetwork.com";
const DEMO: &str = "https://app.demo.rampnetwork.com";
/// USDC on Polygon, in Ramp's `CHAIN_SYMBOL` form.
pub const USDC_POLYGON: &str = "MATIC_USDC";

pub struct Ramp {
    host_api_key: SecretString,
    host: &'static str,
}

impl Ramp {
    pub fn new(host_api_key: SecretString, production: bool) -> Self {
        Self {
            host_api_key,
            host: if production { PRODUCTION } else { DEMO },
        }
    }
}

impl OnRamp for Ramp {
    fn provider(&self) -> Provider {
        Provider::RampNetwork
    }

    fn widget_url(&self, req: &WidgetRequest<'_>) -> Result<String, BuildError> {
        let amount = amount_text(&req.fiat);
        let mut params: Vec<(&str, &str)> = vec![
            ("hostApiKey", self.host_api_key.expose_secret()),
            ("hostAppName", "Kassa"),
            ("swapAsset", USDC_POLYGON),
            ("userAddress", req.deposit_address),
            ("fiatCurrency", req.fiat.currency().code()),
            ("fiatValue", &amount),
        ];
        if let Some(email) = req.email {
            params.push(("userEmailAddress", email));
        }
        if let Some(url) = req.return_url {
            params.push(("finalUrl", url));
        }
        Ok(with_query(self.host, &params))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::test_support::{ADDRESS, param, request};

    #[test]
    fn the_widget_url_carries_ramps_parameters() {
        let url = Ramp::new(SecretString::from("ramp_key"), false)
            .widget_url(&request("EUR"))
            .unwrap();

        assert!(url.starts_with("https://app.demo.rampnetwork.com?hostApiKey=ramp_key&"));
        for (k, v) in [
            ("hostAppName", "Kassa"),
            ("swapAsset", "MATIC_USDC"),
            ("userAddress", ADDRESS),
            ("fiatCurrency", "EUR"),
            ("fiatValue", "79.00"),
            ("userEmailAddress", "buyer+1@example.com"),
            ("finalUrl", "https://shop.example/thank-you?order=7"),
        ] {
            assert_eq!(param(&url, k).as_deref(), Some(v), "{k}");
        }
    }
}
