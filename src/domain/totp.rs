//! Operators' second factor: time-based one-time codes (RFC 6238: SHA-1, six
//! digits, 30-second steps, one step of clock skew either way), as every
//! authenticator app reads them from an `otpauth://` address or its QR code.
//!
//! Pure rules over a given time: the secret, the enrolment address, and
//! whether a code is good. A code's step is accepted once only: the caller
//! keeps the last step used and passes it back, so a code seen over a
//! shoulder cannot be replayed within its minute.

use rand::RngCore;
use totp_rs::{Builder, Secret, Totp};

/// A TOTP secret: 160 random bits, shown to the operator once as base32.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret([u8; 20]);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

impl TotpSecret {
    /// A new random secret.
    pub fn generate() -> TotpSecret {
        let mut bytes = [0u8; 20];
        rand::rng().fill_bytes(&mut bytes);
        TotpSecret(bytes)
    }

    /// The secret stored as base32, if it is one of ours.
    pub fn parse(base32: &str) -> Option<TotpSecret> {
        let secret = Secret::try_from_base32(base32).ok()?;
        let bytes: [u8; 20] = secret.as_bytes().try_into().ok()?;
        Some(TotpSecret(bytes))
    }

    /// Base32 without padding, as authenticator apps take it typed.
    pub fn to_base32(&self) -> String {
        Secret::new_stack(self.0).to_base32()
    }

    /// The `otpauth://` address an authenticator app enrols from.
    pub fn enrolment_uri(&self, issuer: &str, account: &str) -> String {
        let enc =
            |s: &str| -> String { url::form_urlencoded::byte_serialize(s.as_bytes()).collect() };
        format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period=30",
            enc(issuer),
            enc(account),
            self.to_base32(),
            enc(issuer)
        )
    }

    fn totp(&self) -> Option<Totp> {
        Builder::new()
            .with_secret(Secret::new_stack(self.0))
            .build()
            .ok()
    }

    /// The step `code` is good for at `unix_secs`, if it is good and newer
    /// than `last_step` (the last step accepted for this secret).
    pub fn accept(&self, code: &str, unix_secs: u64, last_step: Option<u64>) -> Option<u64> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let step = self.totp()?.check(&code, unix_secs)?;
        match last_step {
            Some(last) if step <= last => None,
            _ => Some(step),
        }
    }

    /// The code at `unix_secs` (what the operator's app shows; for tests
    /// and the CLI's recovery check).
    pub fn code_at(&self, unix_secs: u64) -> Option<String> {
        Some(self.totp()?.generate(unix_secs).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_796_000_000;

    #[test]
    fn the_current_code_is_accepted_once() {
        let secret = TotpSecret::generate();
        let code = secret.code_at(NOW).unwrap();
        let step = secret.accept(&code, NOW, None).expect("current code");
        assert_eq!(secret.accept(&code, NOW, Some(step)), None, "no replay");
    }

    #[test]
    fn a_code_from_the_previous_step_is_allowed_but_not_two_steps_back() {
        let secret = TotpSecret::generate();
        let previous = secret.code_at(NOW - 30).unwrap();
        let older = secret.code_at(NOW - 90).unwrap();
        assert!(secret.accept(&previous, NOW, None).is_some());
        if older != secret.code_at(NOW).unwrap() && older != previous {
            assert_eq!(secret.accept(&older, NOW, None), None);
        }
    }

    #[test]
    fn malformed_codes_are_refused() {
        let secret = TotpSecret::generate();
        for bad in ["", "12345", "1234567", "abcdef", "12 34 5x"] {
            assert_eq!(secret.accept(bad, NOW, None), None, "{bad}");
        }
        let spaced = secret.code_at(NOW).unwrap();
        let spaced = format!("{} {}", &spaced[..3], &spaced[3..]);
        assert!(
            secret.accept(&spaced, NOW, None).is_some(),
            "spaces ignored"
        );
    }

    #[test]
    fn the_secret_reads_back_from_base32_and_names_itself_in_the_uri() {
        let secret = TotpSecret::generate();
        let b32 = secret.to_base32();
        assert_eq!(TotpSecret::parse(&b32), Some(secret.clone()));
        let uri = secret.enrolment_uri("Kassa", "ops@example.com");
        assert!(uri.starts_with("otpauth://totp/Kassa:ops%40example.com?secret="));
        assert!(uri.contains(&b32) && uri.contains("period=30"));
        assert_eq!(TotpSecret::parse("not base32!"), None);
    }
}
