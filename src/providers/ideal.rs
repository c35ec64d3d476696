//! iDEAL route: Transak's widget with iDEAL preselected
//! (`paymentMethod=ideal`), euros only. Offered to customers from NL only;
//! that rule is the routing policy's (`domain::routing::policy`).

use secrecy::SecretString;

use super::transak::Transak;
use super::{BuildError, OnRamp, WidgetRequest};
use crate::domain::money::Currency;
use crate::domain::routing::Provider;

pub struct Ideal {
    via: Transak,
}

impl Ideal {
    pub fn new(transak_api_key: SecretString, production: bool, public_base: &str) -> Self {
        Self {
            via: Transak::new(transak_api_key, production, public_base),
        }
    }
}

impl OnRamp for Ideal {
    fn provider(&self) -> Provider {
        Provider::Ideal
    }

    fn serves(&self, currency: Currency) -> Result<(), BuildError> {
        if currency.code() != "EUR" {
            return Err(BuildError::Unsupported("iDEAL pays in euros only"));
        }
        Ok(())
    }

    fn widget_url(&self, req: &WidgetRequest<'_>) -> Result<String, BuildError> {
        self.serves(req.fiat.currency())?;
        Ok(self.via.url_with(req, &[("paymentMethod", "ideal")]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::test_support::{param, request};

    #[test]
    fn ideal_preselects_the_payment_method_in_euros_only() {
        let ideal = Ideal::new(SecretString::from("tk"), false, "http://127.0.0.1:8080");
        let url = ideal.widget_url(&request("EUR")).unwrap();
        assert_eq!(param(&url, "paymentMethod").as_deref(), Some("ideal"));
        assert_eq!(param(&url, "network").as_deref(), Some("polygon"));
        assert!(matches!(
            ideal.widget_url(&request("USD")),
            Err(BuildError::Unsupported(_))
        ));
    }
}
