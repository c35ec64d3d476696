//! The public name of a payment link or product page in its URL (`/l/{slug}`,
//! `/p/{slug}`): 10 random lower-case letters and digits, made by Kassa so
//! that one merchant's links cannot be found by counting from another's.
//!
//! Pure: generating takes the random source from the caller's thread RNG,
//! and parsing only checks the shape (whether a slug exists is the store's).

use std::fmt;

use rand::Rng;

/// Letters and digits that cannot be mistaken for one another when read
/// aloud or typed from a printed QR caption (no `0/o`, `1/l/i`).
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
const LENGTH: usize = 10;
/// The longest slug the URL accepts (room for later, longer ones).
const MAX_LENGTH: usize = 40;

/// A slug: lower-case ASCII letters, digits and `-`, 4 to 40 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    /// A fresh random slug.
    pub fn generate() -> Slug {
        let mut rng = rand::rng();
        Slug(
            (0..LENGTH)
                .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
                .collect(),
        )
    }

    /// `None` unless `s` has a slug's shape.
    pub fn parse(s: &str) -> Option<Slug> {
        let ok = (4..=MAX_LENGTH).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        ok.then(|| Slug(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_slug_parses_and_two_differ() {
        let a = Slug::generate();
        assert_eq!(Slug::parse(a.as_str()), Some(a.clone()));
        assert_eq!(a.as_str().len(), LENGTH);
        assert_ne!(a, Slug::generate());
    }

    #[test]
    fn upper_case_paths_and_odd_lengths_are_not_slugs() {
        assert!(Slug::parse("AbCdEf").is_none());
        assert!(Slug::parse("abc").is_none());
        assert!(Slug::parse("../etc").is_none());
        assert!(Slug::parse(&"a".repeat(41)).is_none());
        assert!(Slug::parse("spring-sale").is_some());
    }
}
