//! Per-session page tokens: `hex(HMAC-SHA256(page_secret, session_id))`.
//!
//! A hosted page reached by session id alone (the sandbox on-ramp, later the
//! checkout's provider hand-offs) carries this token so that knowing an id is
//! not enough to act on a session. The page secret comes from the
//! `page_secret` setting, or is generated into `<data_dir>/page.secret` on
//! first start (see `providers/page_secret.rs`). Pure: no I/O.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;

/// The key behind page tokens; never logged.
#[derive(Clone)]
pub struct PageSecret(SecretSlice<u8>);

impl std::fmt::Debug for PageSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PageSecret(<secret>)")
    }
}

impl PageSecret {
    pub fn new(bytes: Vec<u8>) -> PageSecret {
        PageSecret(SecretSlice::from(bytes))
    }

    fn mac(&self, session_id: i64) -> Hmac<Sha256> {
        // HMAC takes keys of any length; this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.expose_secret())
            .unwrap_or_else(|_| <Hmac<Sha256> as Mac>::new(&Default::default()));
        mac.update(session_id.to_string().as_bytes());
        mac
    }

    /// The token for `session_id`: lowercase hex.
    pub fn token(&self, session_id: i64) -> String {
        hex::encode(self.mac(session_id).finalize().into_bytes())
    }

    /// Whether `token` is the one for `session_id` (constant time).
    pub fn verify(&self, session_id: i64, token: &str) -> bool {
        match hex::decode(token.trim()) {
            Ok(bytes) => self.mac(session_id).verify_slice(&bytes).is_ok(),
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_the_hex_hmac_of_the_decimal_session_id() {
        // Expected from an independent computation:
        // printf 12345 | openssl dgst -sha256 -hmac key
        let secret = PageSecret::new(b"key".to_vec());
        assert_eq!(
            secret.token(12345),
            "ab99a81f96d56f3b99596e3168b1ade13e02ab0aae08898b8aa4e3377c9e29d1"
        );
        assert!(secret.verify(12345, &secret.token(12345)));
        assert!(!secret.verify(12346, &secret.token(12345)));
        assert!(!secret.verify(12345, "zz"));
    }
}
