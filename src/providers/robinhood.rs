//! Robinhood Connect (on-ramp): `applicationId`, `walletAddress`,
//! `supportedAssets=USDC`, `supportedNetworks=POLYGON`, `assetCode`,
//! `networkCode`, `fiatCode=USD`, `fiatAmount`, `redirectUrl`, `referenceId`
//! (our session id). Robinhood sells for USD only.

use secrecy::{ExposeSecret, SecretString};

use super::{BuildError, OnRamp, WidgetRequest, amount_text, with_query};
use crate::domain::money::Currency;
use crate::domain::routing::Provider;

const CONNECT: &str = "https://applink.robinhood.com/u/connect";

pub struct Robinhood {
    application_id: SecretString,
}

impl Robinhood {
    pub fn new(application_id: SecretString) -> Self {
        Self { application_id }
    }
}

impl OnRamp for Robinhood {
    fn provider(&self) -> Provider {
        Provider::Robinhood
    }

    fn serves(&self, currency: Currency) -> Result<(), BuildError> {
        if currency.code() != "USD" {
            return Err(BuildError::Unsupported(
                "robinhood connect sells for USD only",
            ));
        }
        Ok(())
    }

    fn widget_url(&self, req: &WidgetRequest<'_>) -> Result<String, BuildError> {
        self.serves(req.fiat.currency())?;
        let amount = amount_text(&req.fiat);
        let session = req.session_id.to_string();
        let mut params: Vec<(&str, &str)> = vec![
            ("applicationId", self.application_id.expose_secret()),
            ("walletAddress", req.deposit_address),
            ("supportedAssets", "USDC"),
            ("supportedNetworks", "POLYGON"),
            ("assetCode", "USDC"),
            ("networkCode", "POLYGON"),
            ("fiatCode", "USD"),
            ("fiatAmount", &amount),
            ("referenceId", &session),
        ];
        if let Some(url) = req.return_url {
            params.push(("redirectUrl", url));
        }
        Ok(with_query(CONNECT, &params))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::test_support::{ADDRESS, param, request};

    #[test]
    fn the_connect_url_carries_robinhoods_parameters() {
        let rh = Robinhood::new(SecretString::from("app-1"));
        let url = rh.widget_url(&request("USD")).unwrap();

        assert!(url.starts_with("https://applink.robinhood.com/u/connect?applicationId=app-1&"));
        for (k, v) in [
            ("walletAddress", ADDRESS),
            ("supportedNetworks", "POLYGON"),
            ("assetCode", "USDC"),
            ("fiatCode", "USD"),
            ("fiatAmount", "79.00"),
            ("redirectUrl", "https://shop.example/thank-you?order=7"),
        ] {
            assert_eq!(param(&url, k).as_deref(), Some(v), "{k}");
        }
        assert!(matches!(
            rh.widget_url(&request("EUR")),
            Err(BuildError::Unsupported(_))
        ));
    }
}
