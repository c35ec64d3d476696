//! Secrets at rest: [`SecretBox`] seals a secret (a merchant's webhook
//! secret, a provider credential) with XChaCha20-Poly1305 under the
//! node's secrets key into a self-describing text, `v1:<base64 of nonce ‖
//! ciphertext>`, and opens it again. Each sealed text is bound to what it
//! is for (its [`Purpose`]), so a value copied into another column does not
//! open there.
//!
//! Pure apart from drawing a random nonce; the key's file is read by
//! `store::secrets_key`. Must not: log, print or `Debug` a key or a secret.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

/// The prefix of a sealed text (format version 1). Anything else in a
/// secret column is a value from before encryption, still in the clear.
pub const SEALED_PREFIX: &str = "v1:";
const NONCE_LEN: usize = 24;
/// Length of a secrets key, in bytes.
pub const KEY_LEN: usize = 32;

/// What a sealed value is for: mixed into its authentication, so a value
/// opens only where it was sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `merchants.webhook_secret` and `webhook_secret_previous`.
    WebhookSecret,
    /// A provider credential (`provider_credentials.value`).
    ProviderCredential,
    /// An operator's TOTP secret (`operators.totp_secret`).
    TotpSecret,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::WebhookSecret => b"kassa:webhook_secret",
            Purpose::ProviderCredential => b"kassa:provider_credential",
            Purpose::TotpSecret => b"kassa:totp_secret",
        }
    }
}

/// Why a stored value did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Not `v1:` followed by base64 of at least a nonce and a tag.
    #[error("not a sealed value")]
    Malformed,
    /// Authentication failed: another key sealed it, it was sealed for
    /// another purpose, or it was altered.
    #[error(
        "the value does not open with this secrets key (another key sealed it, or it was altered)"
    )]
    WrongKey,
    /// It opened, but is not UTF-8 text.
    #[error("the opened value is not text")]
    NotText,
}

/// Sealing failed: only a value longer than the cipher's limit (256 GiB)
/// does that, and no secret is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the value is too long to seal")]
pub struct SealError;

/// A secrets key, checked to be [`KEY_LEN`] bytes.
#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    pub fn new(key: &[u8; KEY_LEN]) -> SecretBox {
        SecretBox {
            cipher: XChaCha20Poly1305::new(&(*key).into()),
        }
    }

    /// Whether a stored value is sealed (as opposed to still in the clear).
    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(SEALED_PREFIX)
    }

    /// Seals `secret` for `purpose` under a fresh random nonce.
    pub fn seal(&self, purpose: Purpose, secret: &str) -> Result<String, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let payload = Payload {
            msg: secret.as_bytes(),
            aad: purpose.label(),
        };
        let sealed = self
            .cipher
            .encrypt(&XNonce::from(nonce), payload)
            .map_err(|_| SealError)?;
        let mut bytes = Vec::with_capacity(NONCE_LEN + sealed.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        Ok(format!("{SEALED_PREFIX}{}", STANDARD.encode(bytes)))
    }

    /// Opens a value sealed by [`SecretBox::seal`] for `purpose`.
    pub fn open(&self, purpose: Purpose, stored: &str) -> Result<String, OpenError> {
        let encoded = stored
            .strip_prefix(SEALED_PREFIX)
            .ok_or(OpenError::Malformed)?;
        let bytes = STANDARD
            .decode(encoded.trim())
            .map_err(|_| OpenError::Malformed)?;
        // A nonce, then at least the 16-byte tag.
        if bytes.len() < NONCE_LEN + 16 {
            return Err(OpenError::Malformed);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| OpenError::Malformed)?;
        let plain = self
            .cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: purpose.label(),
                },
            )
            .map_err(|_| OpenError::WrongKey)?;
        String::from_utf8(plain).map_err(|_| OpenError::NotText)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn sealer(byte: u8) -> SecretBox {
        SecretBox::new(&[byte; KEY_LEN])
    }

    #[test]
    fn a_sealed_secret_opens_to_itself_and_does_not_contain_it() {
        let b = sealer(7);
        let sealed = b
            .seal(Purpose::WebhookSecret, "whsec_plain_secret_value")
            .unwrap();
        assert!(SecretBox::is_sealed(&sealed));
        assert!(!sealed.contains("whsec_plain_secret_value"));
        assert_eq!(
            b.open(Purpose::WebhookSecret, &sealed).unwrap(),
            "whsec_plain_secret_value"
        );
    }

    #[test]
    fn sealing_twice_gives_two_different_texts() {
        let b = sealer(7);
        assert_ne!(
            b.seal(Purpose::WebhookSecret, "same").unwrap(),
            b.seal(Purpose::WebhookSecret, "same").unwrap()
        );
    }

    #[test]
    fn another_key_or_purpose_does_not_open_it() {
        let sealed = sealer(7).seal(Purpose::WebhookSecret, "s").unwrap();
        assert_eq!(
            sealer(8).open(Purpose::WebhookSecret, &sealed),
            Err(OpenError::WrongKey)
        );
        assert_eq!(
            sealer(7).open(Purpose::ProviderCredential, &sealed),
            Err(OpenError::WrongKey)
        );
    }

    #[test]
    fn an_altered_or_malformed_value_is_refused() {
        let b = sealer(7);
        let sealed = b.seal(Purpose::WebhookSecret, "secret").unwrap();
        let mut altered = sealed.into_bytes();
        let last = altered.len() - 3;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        assert!(b.open(Purpose::WebhookSecret, &altered).is_err());
        for bad in ["whsec_plain", "v1:", "v1:!!!", "v1:AAAA"] {
            assert_eq!(
                b.open(Purpose::WebhookSecret, bad),
                Err(OpenError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_box_never_shows_its_key() {
        assert_eq!(format!("{:?}", sealer(7)), "SecretBox(..)");
    }
}
