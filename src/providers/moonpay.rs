//! MoonPay buy widget: `apiKey`, `currencyCode=usdc_polygon`, `walletAddress`,
//! `baseCurrencyCode`, `baseCurrencyAmount`, `email`, `redirectURL`,
//! `externalTransactionId`; then `signature` = base64(HMAC-SHA256(secret key,
//! the query string including its leading `?`)), appended last (MoonPay
//! refuses a pre-filled wallet address without it).

use base64::Engine;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use super::credentials::MoonpayKeys;
use super::{BuildError, OnRamp, WidgetRequest, amount_text, with_query};
use crate::domain::routing::Provider;

const PRODUCTION: &str = "https://buy.moonpay.com";
const SANDBOX: &str = "https://buy-sandbox.moonpay.com";
/// USDC on Polygon, as MoonPay names it.
pub const USDC_POLYGON: &str = "usdc_polygon";

pub struct Moonpay {
    keys: MoonpayKeys,
    host: &'static str,
}

impl Moonpay {
    pub fn new(keys: MoonpayKeys, production: bool) -> Self {
        Self {
            keys,
            host: if production { PRODUCTION } else { SANDBOX },
        }
    }

    /// The widget URL with `extra` parameters (payment method presets), signed.
    pub(crate) fn url_with(
        &self,
        req: &WidgetRequest<'_>,
        extra: &[(&str, &str)],
    ) -> Result<String, BuildError> {
        let amount = amount_text(&req.fiat);
        let currency = req.fiat.currency().code().to_ascii_lowercase();
        let session = req.session_id.to_string();
        let mut params: Vec<(&str, &str)> = vec![
            ("apiKey", self.keys.api_key.expose_secret()),
            ("currencyCode", USDC_POLYGON),
            ("walletAddress", req.deposit_address),
            ("baseCurrencyCode", &currency),
            ("baseCurrencyAmount", &amount),
            ("lockAmount", "true"),
            ("externalTransactionId", &session),
        ];
        if let Some(email) = req.email {
            params.push(("email", email));
        }
        if let Some(url) = req.return_url {
            params.push(("redirectURL", url));
        }
        params.extend_from_slice(extra);
        sign_url(&with_query(self.host, &params), &self.keys.secret_key)
    }
}

impl OnRamp for Moonpay {
    fn provider(&self) -> Provider {
        Provider::Moonpay
    }

    fn widget_url(&self, req: &WidgetRequest<'_>) -> Result<String, BuildError> {
        self.url_with(req, &[])
    }
}

/// MoonPay's signature of `url`'s query (with the leading `?`): base64 of
/// HMAC-SHA256 under the secret key.
pub fn signature(
    query_with_question_mark: &str,
    secret: &SecretString,
) -> Result<String, BuildError> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose_secret().as_bytes())
        .map_err(|_| BuildError::Failed("moonpay secret key unusable".into()))?;
    mac.update(query_with_question_mark.as_bytes());
    Ok(base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}

/// `url` with `&signature=…` appended (percent-encoded).
pub fn sign_url(url: &str, secret: &SecretString) -> Result<String, BuildError> {
    let query = url
        .find('?')
        .map(|i| &url[i..])
        .ok_or_else(|| BuildError::Failed("moonpay url has no query".into()))?;
    let sig = signature(query, secret)?;
    let encoded: String = url::form_urlencoded::byte_serialize(sig.as_bytes()).collect();
    Ok(format!("{url}&signature={encoded}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::test_support::{ADDRESS, param, params, request};

    fn moonpay() -> Moonpay {
        Moonpay::new(
            MoonpayKeys {
                api_key: SecretString::from("pk_test_key"),
                secret_key: SecretString::from("sk_test_key"),
            },
            false,
        )
    }

    #[test]
    fn the_published_example_url_signs_to_the_expected_signature() {
        // MoonPay's URL-signing guide signs this URL with `sk_test_key`; the
        // expected value was computed independently with
        // `printf '?apiKey=…' | openssl dgst -sha256 -hmac sk_test_key -binary | base64`.
        let url = "https://buy-sandbox.moonpay.com?apiKey=pk_test_key&currencyCode=eth&walletAddress=0xde0b295669a9fd93d5f28d9ec85e40f4cb697bae";
        let signed = sign_url(url, &SecretString::from("sk_test_key")).unwrap();
        assert_eq!(
            signed,
            format!("{url}&signature=o1eO2arzL16TstEolGakHHFa33Mb61RCTfqToRWg7PA%3D")
        );
    }

    #[test]
    fn the_widget_url_buys_usdc_on_polygon_for_the_session_and_is_signed() {
        let url = moonpay().widget_url(&request("EUR")).unwrap();

        assert!(url.starts_with("https://buy-sandbox.moonpay.com?apiKey=pk_test_key&"));
        assert_eq!(param(&url, "currencyCode").as_deref(), Some("usdc_polygon"));
        assert_eq!(param(&url, "walletAddress").as_deref(), Some(ADDRESS));
        assert_eq!(param(&url, "baseCurrencyCode").as_deref(), Some("eur"));
        assert_eq!(param(&url, "baseCurrencyAmount").as_deref(), Some("79.00"));
        assert_eq!(param(&url, "email").as_deref(), Some("buyer+1@example.com"));
        assert_eq!(
            param(&url, "redirectURL").as_deref(),
            Some("https://shop.example/thank-you?order=7")
        );
        assert_eq!(
            params(&url).last().map(|(k, _)| k.as_str()),
            Some("signature")
        );
        let (unsigned, _) = url.rsplit_once("&signature=").unwrap();
        let query = &unsigned[unsigned.find('?').unwrap()..];
        let expected = signature(query, &SecretString::from("sk_test_key")).unwrap();
        assert_eq!(param(&url, "signature"), Some(expected));
    }
}
