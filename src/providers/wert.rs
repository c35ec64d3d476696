//! Wert hosted widget: `partner_id`, `commodity=USDC`, `network=polygon`,
//! `address`, `currency`, `currency_amount`, `email`, `redirect_url`,
//! `click_id` (our session id). Wert sells for USD and EUR only.

use secrecy::{ExposeSecret, SecretString};

use super::{BuildError, OnRamp, WidgetRequest, amount_text, with_query};
use crate::domain::money::Currency;
use crate::domain::routing::Provider;

const PRODUCTION: &str = "https://widget.wert.io";
const SANDBOX: &str = "https://sandbox.wert.io";

pub struct Wert {
    partner_id: SecretString,
    host: &'static str,
}

impl Wert {
    pub fn new(partner_id: SecretString, production: bool) -> Self {
        Self {
            partner_id,
            host: if production { PRODUCTION } else { SANDBOX },
        }
    }
}

impl OnRamp for Wert {
    fn provider(&self) -> Provider {
        Provider::Wert
    }

    fn serves(&self, currency: Currency) -> Result<(), BuildError> {
        if !matches!(currency.code(), "USD" | "EUR") {
            return Err(BuildError::Unsupported("wert sells for USD and EUR only"));
        }
        Ok(())
    }

    fn widget_url(&self, req: &WidgetRequest<'_>) -> Result<String, BuildError> {
        self.serves(req.fiat.currency())?;
        let currency = req.fiat.currency().code();
        let amount = amount_text(&req.fiat);
        let session = req.session_id.to_string();
        let mut params: Vec<(&str, &str)> = vec![
            ("partner_id", self.partner_id.expose_secret()),
            ("commodity", "USDC"),
            ("network", "polygon"),
            ("address", req.deposit_address),
            ("currency", currency),
            ("currency_amount", &amount),
            ("click_id", &session),
        ];
        if let Some(email) = req.email {
            params.push(("email", email));
        }
        if let Some(url) = req.return_url {
            params.push(("redirect_url", url));
        }
        Ok(with_query(self.host, &params))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::test_support::{ADDRESS, param, request};

    #[test]
    fn the_widget_url_carries_werts_parameters() {
        let wert = Wert::new(SecretString::from("01GZ"), false);
        let url = wert.widget_url(&request("USD")).unwrap();

        assert!(url.starts_with("https://sandbox.wert.io?partner_id=01GZ&"));
        for (k, v) in [
            ("commodity", "USDC"),
            ("network", "polygon"),
            ("address", ADDRESS),
            ("currency", "USD"),
            ("currency_amount", "79.00"),
            ("email", "buyer+1@example.com"),
            ("redirect_url", "https://shop.example/thank-you?order=7"),
            ("click_id", "4815162342"),
        ] {
            assert_eq!(param(&url, k).as_deref(), Some(v), "{k}");
        }
        assert!(matches!(
            wert.widget_url(&request("GBP")),
            Err(BuildError::Unsupported(_))
        ));
    }
}
