//! Bank-transfer route: MoonPay's widget with the bank transfer of the
//! session's currency preselected (`sepa_bank_transfer` for EUR,
//! `gbp_bank_transfer` for GBP, `ach_bank_transfer` for USD), signed like
//! any MoonPay URL.

use super::credentials::MoonpayKeys;
use super::moonpay::Moonpay;
use super::{BuildError, OnRamp, WidgetRequest};
use crate::domain::money::Currency;
use crate::domain::routing::Provider;

pub struct BankTransfer {
    via: Moonpay,
}

impl BankTransfer {
    pub fn new(keys: MoonpayKeys, production: bool) -> Self {
        Self {
            via: Moonpay::new(keys, production),
        }
    }
}

impl OnRamp for BankTransfer {
    fn provider(&self) -> Provider {
        Provider::BankTransfer
    }

    fn serves(&self, currency: Currency) -> Result<(), BuildError> {
        bank_method(currency).map(|_| ())
    }

    fn widget_url(&self, req: &WidgetRequest<'_>) -> Result<String, BuildError> {
        let method = bank_method(req.fiat.currency())?;
        self.via.url_with(req, &[("paymentMethod", method)])
    }
}

/// MoonPay's bank transfer for the currency.
fn bank_method(currency: Currency) -> Result<&'static str, BuildError> {
    match currency.code() {
        "EUR" => Ok("sepa_bank_transfer"),
        "GBP" => Ok("gbp_bank_transfer"),
        "USD" => Ok("ach_bank_transfer"),
        _ => Err(BuildError::Unsupported(
            "no bank transfer for this currency",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::test_support::{param, request};
    use secrecy::SecretString;

    #[test]
    fn the_bank_transfer_of_the_currency_is_preselected_and_signed() {
        let bank = BankTransfer::new(
            MoonpayKeys {
                api_key: SecretString::from("pk"),
                secret_key: SecretString::from("sk"),
            },
            false,
        );
        let url = bank.widget_url(&request("EUR")).unwrap();
        assert_eq!(
            param(&url, "paymentMethod").as_deref(),
            Some("sepa_bank_transfer")
        );
        assert!(param(&url, "signature").is_some());
        assert!(matches!(
            bank.widget_url(&request("JPY")),
            Err(BuildError::Unsupported(_))
        ));
    }
}
