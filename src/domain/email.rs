//! Customer e-mail addresses: validated syntax and a masked form for
//! showing an address back to a customer.
//!
//! This module owns only the shape of an address. It must not send mail,
//! look up MX records or decide who may receive what.

use std::fmt;

use email_address::{EmailAddress, Options};

const MAX_EMAIL_LEN: usize = 254;
const MASK: &str = "•••";

/// A syntactically valid `local@domain.tld` address (no display name, no
/// IP literal, at most 254 characters).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid email address")]
pub struct InvalidEmail;

impl Email {
    pub fn parse(s: &str) -> Result<Email, InvalidEmail> {
        let address = s.trim();
        if address.is_empty() || address.chars().count() > MAX_EMAIL_LEN {
            return Err(InvalidEmail);
        }
        let options = Options::default()
            .without_display_text()
            .without_domain_literal()
            .with_required_tld();
        let parsed =
            EmailAddress::parse_with_options(address, options).map_err(|_| InvalidEmail)?;
        // The display-name form is refused above; double-check that what was
        // accepted is the bare address itself.
        if parsed.email() != address || !parsed.domain().contains('.') {
            return Err(InvalidEmail);
        }
        Ok(Email(address.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address with its local part hidden except for the first and last
    /// characters: `jane.doe@example.com` → `j•••e@example.com`,
    /// `j@example.com` → `j•••@example.com`.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.rsplit_once('@').unwrap_or((self.0.as_str(), ""));
        let mut chars = local.chars();
        let first = chars.next().map(String::from).unwrap_or_default();
        let last = chars.next_back().map(String::from).unwrap_or_default();
        format!("{first}{MASK}{last}@{domain}")
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn rejects(s: &str) {
        assert_eq!(
            Email::parse(s),
            Err(InvalidEmail),
            "{s:?} should be rejected"
        );
    }

    #[test]
    fn parse_accepts_ordinary_addresses() {
        assert_eq!(
            Email::parse("jane.doe@example.com").unwrap().as_str(),
            "jane.doe@example.com"
        );
        assert_eq!(
            Email::parse("j+tag@mail.example.co.uk").unwrap().as_str(),
            "j+tag@mail.example.co.uk"
        );
        assert_eq!(
            Email::parse("O'Brien@Example.COM").unwrap().as_str(),
            "O'Brien@Example.COM"
        );
    }

    #[test]
    fn parse_trims_surrounding_whitespace() {
        assert_eq!(
            Email::parse("  jane@example.com\n").unwrap().as_str(),
            "jane@example.com"
        );
    }

    #[test]
    fn parse_rejects_display_name_forms() {
        rejects("Bob <b@x.com>");
        rejects("<b@x.com>");
        rejects("\"Bob\" <b@x.com>");
    }

    #[test]
    fn parse_requires_a_dot_in_the_domain() {
        rejects("jane@localhost");
        rejects("jane@[127.0.0.1]");
        rejects("jane@[IPv6:::1]");
    }

    #[test]
    fn parse_rejects_malformed_addresses() {
        for s in [
            "",
            "   ",
            "jane",
            "@example.com",
            "jane@",
            "jane@@example.com",
            "jane doe@example.com",
            "jane@example..com",
            "jane@.example.com",
            "jane.@example.com",
            "jane@exa mple.com",
            "a@b@c.com",
        ] {
            rejects(s);
        }
    }

    #[test]
    fn parse_accepts_254_characters_but_not_more() {
        let domain = format!(
            "{}.{}.{}.{}",
            "d".repeat(63),
            "d".repeat(63),
            "d".repeat(63),
            "com"
        );
        let at_limit = format!("{}@{domain}", "a".repeat(254 - 1 - domain.len()));
        assert_eq!(at_limit.len(), 254);
        assert!(Email::parse(&at_limit).is_ok());
        rejects(&format!("a{at_limit}"));
    }

    #[test]
    fn masked_keeps_the_first_and_last_character_of_the_local_part() {
        assert_eq!(
            Email::parse("jane.doe@example.com").unwrap().masked(),
            "j•••e@example.com"
        );
        assert_eq!(
            Email::parse("jo@example.com").unwrap().masked(),
            "j•••o@example.com"
        );
    }

    #[test]
    fn masked_shows_only_the_single_character_of_a_one_character_local_part() {
        assert_eq!(
            Email::parse("j@example.com").unwrap().masked(),
            "j•••@example.com"
        );
    }

    #[test]
    fn masked_handles_non_ascii_local_parts() {
        assert_eq!(
            Email::parse("élodie@example.fr").unwrap().masked(),
            "é•••e@example.fr"
        );
    }

    #[test]
    fn display_is_the_address() {
        assert_eq!(
            Email::parse("jane@example.com").unwrap().to_string(),
            "jane@example.com"
        );
    }
}
