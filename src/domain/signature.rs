//! Webhook signatures, both schemes, over the exact body bytes sent.
//!
//! - The document's `X-Signature`: lowercase hex HMAC-SHA256 of the raw body,
//!   keyed by the whole secret string (bare hex, no `sha256=` prefix).
//! - Standard Webhooks: `webhook-signature: v1,<base64 HMAC-SHA256 of
//!   "{id}.{timestamp}.{body}">`, keyed by the base64-decoded part of a
//!   `whsec_` secret (any other secret is used as its bytes). One `v1,` entry
//!   per active secret, space-separated, during a rotation.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// Standard base64 that accepts the `=` padding or its absence, as the
/// official Standard Webhooks libraries do when they read a `whsec_` secret.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC accepts keys of any length; the error case cannot happen.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return Vec::new(),
    };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// The document's `X-Signature` value for `body`.
pub fn x_signature(secret: &str, body: &[u8]) -> String {
    hex::encode(hmac(secret.as_bytes(), &[body]))
}

/// The key bytes a Standard Webhooks library derives from `secret`.
pub fn standard_key(secret: &str) -> Vec<u8> {
    match secret.strip_prefix("whsec_").map(|b64| LENIENT.decode(b64)) {
        Some(Ok(bytes)) => bytes,
        _ => secret.as_bytes().to_vec(),
    }
}

/// The `webhook-signature` header: one `v1,` signature per secret.
pub fn standard_signature(secrets: &[&str], id: &str, timestamp: i64, body: &[u8]) -> String {
    let ts = timestamp.to_string();
    secrets
        .iter()
        .map(|secret| {
            let mac = hmac(
                &standard_key(secret),
                &[id.as_bytes(), b".", ts.as_bytes(), b".", body],
            );
            format!("v1,{}", STANDARD.encode(mac))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_signature_is_bare_lowercase_hex_hmac_of_the_body() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            x_signature("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn standard_signature_matches_the_specifications_example() {
        // The example from the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        let sig = standard_signature(&[secret], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_rotation_signs_with_every_active_secret() {
        let sig = standard_signature(
            &["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "plain-secret"],
            "id",
            1,
            b"{}",
        );
        let parts: Vec<&str> = sig.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| p.starts_with("v1,")));
        assert_ne!(parts[0], parts[1]);
    }

    #[test]
    fn a_secret_that_is_not_whsec_is_used_as_its_bytes() {
        assert_eq!(standard_key("merchant-chosen"), b"merchant-chosen".to_vec());
        assert_eq!(standard_key("whsec_AAEC").len(), 3);
        assert_eq!(standard_key("whsec_AAE=").len(), 2);
        assert_eq!(
            standard_key("whsec_AAE").len(),
            2,
            "padding is optional, as in the official libraries"
        );
    }
}
