//! Merchant dashboard passwords: the length rule a new password passes, and
//! argon2id hashing with OWASP's parameters (19 MiB of memory, two passes,
//! one lane) into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`).
//!
//! Hashing takes a fresh random salt from the operating system, as API key
//! generation takes its randomness; nothing else here does I/O. A password
//! is held in a [`SecretString`] and must never be logged, formatted or
//! stored in the clear; only its hash leaves this module.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};

/// Fewest characters a password may have.
pub const MIN_CHARS: usize = 12;
/// Most characters a password may have (hashing cost does not depend on it,
/// but a megabyte "password" is a mistake or an attack).
pub const MAX_CHARS: usize = 128;

/// OWASP's argon2id minimum: m = 19 MiB, t = 2, p = 1.
const MEMORY_KIB: u32 = 19_456;
const PASSES: u32 = 2;
const LANES: u32 = 1;

/// A new password that passed the length rule.
#[derive(Debug, Clone)]
pub struct NewPassword(SecretString);

/// Why a password was refused or could not be hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password is too short: at least {MIN_CHARS} characters are needed")]
    TooShort,
    #[error("the password is too long: at most {MAX_CHARS} characters are allowed")]
    TooLong,
    /// The hasher failed (no randomness from the OS, or bad parameters).
    #[error("the password could not be hashed")]
    Hashing,
}

impl NewPassword {
    /// Checks the length in characters (not bytes); the password is taken
    /// exactly as given, blanks included.
    pub fn parse(raw: SecretString) -> Result<NewPassword, PasswordError> {
        let chars = raw.expose_secret().chars().count();
        if chars < MIN_CHARS {
            return Err(PasswordError::TooShort);
        }
        if chars > MAX_CHARS {
            return Err(PasswordError::TooLong);
        }
        Ok(NewPassword(raw))
    }

    /// The argon2id PHC string to store, with a fresh random salt.
    pub fn hash(&self) -> Result<String, PasswordError> {
        let hash = hasher()?
            .hash_password(self.0.expose_secret().as_bytes())
            .map_err(|_| PasswordError::Hashing)?;
        Ok(hash.to_string())
    }
}

/// Characters of a generated password: URL-safe, so it survives a copy
/// from a terminal, a `.json` file or a URL untouched.
const GENERATED_ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/// 20 characters of 64 kinds: 120 bits.
pub const GENERATED_CHARS: usize = 20;

/// A new random password (for the sandbox demo merchant), 20 URL-safe
/// characters from the operating system's randomness.
pub fn generate() -> SecretString {
    use rand::Rng;
    let mut rng = rand::rng();
    let password: String = (0..GENERATED_CHARS)
        .map(|_| {
            let i = rng.random_range(0..GENERATED_ALPHABET.len());
            GENERATED_ALPHABET.get(i).copied().map_or('x', char::from)
        })
        .collect();
    SecretString::from(password)
}

/// Whether `password` matches the stored PHC string `hash` (constant time
/// inside argon2). A hash that does not parse never matches.
pub fn verify(password: &SecretString, hash: &str) -> bool {
    // The parameters are read from the PHC string, so hashes made with
    // other parameters (older or stronger) still verify.
    Argon2::default()
        .verify_password(password.expose_secret().as_bytes(), hash)
        .is_ok()
}

fn hasher() -> Result<Argon2<'static>, PasswordError> {
    let params =
        Params::new(MEMORY_KIB, PASSES, LANES, None).map_err(|_| PasswordError::Hashing)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_string())
    }

    #[test]
    fn the_right_password_verifies_and_a_wrong_one_does_not() {
        let hash = NewPassword::parse(secret("correct horse battery"))
            .unwrap()
            .hash()
            .unwrap();

        assert!(verify(&secret("correct horse battery"), &hash));
        assert!(!verify(&secret("correct horse battery "), &hash));
        assert!(!verify(&secret("Correct horse battery"), &hash));
    }

    #[test]
    fn the_hash_is_argon2id_with_owasp_parameters_and_a_fresh_salt() {
        let password = NewPassword::parse(secret("twelve chars")).unwrap();

        let first = password.hash().unwrap();
        let second = password.hash().unwrap();

        assert!(
            first.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{first}"
        );
        assert_ne!(first, second, "each hash has its own salt");
        assert!(!first.contains("twelve chars"));
    }

    #[test]
    fn a_password_must_have_twelve_to_128_characters() {
        assert_eq!(
            NewPassword::parse(secret("twelve chars")).err(),
            None,
            "12 characters pass"
        );
        assert_eq!(
            NewPassword::parse(secret("elevenchars")).err(),
            Some(PasswordError::TooShort)
        );
        assert_eq!(
            NewPassword::parse(secret(&"é".repeat(12))).err(),
            None,
            "characters, not bytes"
        );
        assert_eq!(NewPassword::parse(secret(&"x".repeat(128))).err(), None);
        assert_eq!(
            NewPassword::parse(secret(&"x".repeat(129))).err(),
            Some(PasswordError::TooLong)
        );
    }

    #[test]
    fn a_generated_password_has_20_url_safe_characters_and_passes_the_rule() {
        let first = generate();
        let second = generate();

        let text = first.expose_secret();
        assert_eq!(text.chars().count(), GENERATED_CHARS);
        assert!(
            text.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "{text}"
        );
        assert_ne!(text, second.expose_secret());
        assert!(NewPassword::parse(first).is_ok());
    }

    #[test]
    fn a_stored_value_that_is_not_a_hash_never_verifies() {
        assert!(!verify(&secret("anything at all"), "not a hash"));
        assert!(!verify(&secret("anything at all"), ""));
    }

    #[test]
    fn the_error_messages_name_the_limits() {
        assert!(PasswordError::TooShort.to_string().contains("at least 12"));
        assert!(PasswordError::TooLong.to_string().contains("at most 128"));
    }
}
