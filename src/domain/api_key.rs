//! API keys and webhook secrets: how they look, how they are hashed, and how
//! a presented key is checked (constant time).
//!
//! A key is `kassa_<id>_<secret>`: the 12-character id is public and finds the
//! row; only SHA-256 of the whole key is stored. Keys carry 190 bits of
//! randomness, so a fast hash is enough (no password stretching needed).

use base64::Engine;
use rand::Rng;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const PREFIX: &str = "kassa_";
const ID_LEN: usize = 12;
const SECRET_LEN: usize = 32;

/// A freshly generated key: shown once, then only its hash is kept.
#[derive(Debug)]
pub struct NewApiKey {
    pub key: String,
    pub id: String,
    pub hash: String,
}

/// Generates a new API key.
pub fn generate() -> NewApiKey {
    let id: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(ID_LEN)
        .map(char::from)
        .collect();
    let secret: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(SECRET_LEN)
        .map(char::from)
        .collect();
    let key = format!("{PREFIX}{id}_{secret}");
    let hash = hash(&key);
    NewApiKey { key, id, hash }
}

/// The public id of a presented key, if it has our shape.
pub fn public_id(presented: &str) -> Option<&str> {
    let rest = presented.strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_at_checked(ID_LEN)?;
    let secret = secret.strip_prefix('_')?;
    let well_formed = id.chars().all(|c| c.is_ascii_alphanumeric())
        && secret.len() == SECRET_LEN
        && secret.chars().all(|c| c.is_ascii_alphanumeric());
    well_formed.then_some(id)
}

/// Hex SHA-256 of a key.
pub fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Whether `presented` hashes to `stored_hash`, compared in constant time.
pub fn matches(presented: &str, stored_hash: &str) -> bool {
    hash(presented)
        .as_bytes()
        .ct_eq(stored_hash.as_bytes())
        .into()
}

/// A new webhook secret: `whsec_` + base64 of 32 random bytes (the form the
/// Standard Webhooks libraries accept; the whole string keys `X-Signature`).
pub fn new_webhook_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_generated_key_has_its_id_and_matches_its_hash() {
        let k = generate();
        assert_eq!(public_id(&k.key), Some(k.id.as_str()));
        assert!(matches(&k.key, &k.hash));
    }

    #[test]
    fn a_changed_key_does_not_match() {
        let k = generate();
        let mut other = k.key.clone();
        other.pop();
        other.push(if k.key.ends_with('a') { 'b' } else { 'a' });
        assert!(!matches(&other, &k.hash));
    }

    #[test]
    fn malformed_keys_have_no_id() {
        for bad in [
            "",
            "kassa_",
            "kassa_short_x",
            "sk_live_123",
            "kassa_abcdefghijkl-0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(public_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn webhook_secrets_are_whsec_base64_of_32_bytes() {
        let s = new_webhook_secret();
        let raw = s.strip_prefix("whsec_").unwrap();
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(raw)
                .unwrap()
                .len(),
            32
        );
    }
}
