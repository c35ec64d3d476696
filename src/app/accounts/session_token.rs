//! The random tokens of the dashboard: the session cookie's value and the
//! CSRF token (256 bits each, URL-safe base64), and the SHA-256 under which
//! a session token is stored. Nothing here logs a token.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new random token.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The lowercase hex SHA-256 a session token is stored under.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_url_safe() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }

    #[test]
    fn the_stored_hash_is_not_the_token() {
        let t = new_token();
        assert_eq!(hash(&t).len(), 64);
        assert_ne!(hash(&t), t);
        assert_eq!(hash(&t), hash(&t));
    }
}
