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

/// The public id of a key as a person names it: the id alone, `kassa_<id>`
/// (as listed), or the whole key; `None` when it has no key id's shape.
pub fn named_id(named: &str) -> Option<&str> {
    let named = named.trim();
    if let Some(id) = public_id(named) {
        return Some(id);
    }
    let id = named.strip_prefix(PREFIX).unwrap_or(named);
    (id.len() == ID_LEN && id.chars().all(|c| c.is_ascii_alphanumeric())).then_some(id)
}

/// How a key is shown in lists: `kassa_<id>`, never its secret.
pub fn display_prefix(id: &str) -> String {
    format!("{PREFIX}{id}")
}

/// The longest label a key may carry, in characters.
pub const LABEL_MAX_CHARS: usize = 64;

/// A person's name for a key ("shop backend", "staging"): trimmed, 1 to
/// [`LABEL_MAX_CHARS`] characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLabel(String);

/// Why a label was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyLabelError {
    #[error("a label cannot be empty")]
    Empty,
    #[error("a label has at most {LABEL_MAX_CHARS} characters")]
    TooLong,
    #[error("a label cannot contain control characters")]
    ControlCharacter,
}

impl KeyLabel {
    pub fn parse(raw: &str) -> Result<KeyLabel, KeyLabelError> {
        let label = raw.trim();
        if label.is_empty() {
            return Err(KeyLabelError::Empty);
        }
        if label.chars().count() > LABEL_MAX_CHARS {
            return Err(KeyLabelError::TooLong);
        }
        if label.chars().any(char::is_control) {
            return Err(KeyLabelError::ControlCharacter);
        }
        Ok(KeyLabel(label.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
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
    fn a_key_is_named_by_its_id_its_listed_prefix_or_the_whole_key() {
        let k = generate();
        let listed = display_prefix(&k.id);
        for named in [k.id.as_str(), listed.as_str(), k.key.as_str()] {
            assert_eq!(named_id(named), Some(k.id.as_str()), "{named}");
        }
        for bad in [
            "",
            "kassa_",
            "kassa_short",
            "kassa_abcdefghijk!",
            "abcdefghijklm",
        ] {
            assert_eq!(named_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_label_is_trimmed_and_refused_when_empty_too_long_or_with_control_characters() {
        assert_eq!(
            KeyLabel::parse("  shop backend ").unwrap().as_str(),
            "shop backend"
        );
        assert_eq!(KeyLabel::parse("   "), Err(KeyLabelError::Empty));
        assert!(KeyLabel::parse(&"é".repeat(LABEL_MAX_CHARS)).is_ok());
        assert_eq!(
            KeyLabel::parse(&"x".repeat(LABEL_MAX_CHARS + 1)),
            Err(KeyLabelError::TooLong)
        );
        assert_eq!(
            KeyLabel::parse("a\nb"),
            Err(KeyLabelError::ControlCharacter)
        );
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
