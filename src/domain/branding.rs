//! A merchant's branding on the hosted pages: display name, logo URL and
//! accent colour, each a checked value type.
//!
//! Each value reaches HTML, a CSS block or a response header, so `parse`
//! admits only what is safe there: a plain-text name, an `https://` logo URL
//! whose origin is a plain host name (it becomes the CSP `img-src`), and a
//! `#rrggbb` colour (it becomes a CSS custom property). Must not: render
//! anything or choose colours (see `contrast.rs`).

use std::fmt;

use url::{Host, Url};

use super::contrast::Rgb;

/// Longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 64;
/// Longest logo URL, in bytes (before and after normalisation).
pub const MAX_LOGO_URL_LEN: usize = 512;

/// Why a branding value was refused (the CLI names the flag beside it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrandingError {
    #[error("the name is empty")]
    EmptyName,
    #[error("the name is longer than {MAX_NAME_CHARS} characters")]
    NameTooLong,
    #[error("the name contains control or direction-changing characters")]
    NameNotPlainText,
    #[error("not an https:// URL with a host name, at most {MAX_LOGO_URL_LEN} characters")]
    BadLogoUrl,
    #[error("not a colour of the form #rrggbb")]
    BadColor,
}

/// The shop's public name: trimmed, 1 to 64 characters of plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<DisplayName, BrandingError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(BrandingError::EmptyName);
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(BrandingError::NameTooLong);
        }
        if name.chars().any(|c| c.is_control() || is_bidi_control(c)) {
            return Err(BrandingError::NameNotPlainText);
        }
        Ok(DisplayName(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Characters that reorder the text around them (name spoofing).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The logo: an absolute `https://` URL on a host name (no IP literal, no
/// user info), at most 512 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoUrl(Url);

impl LogoUrl {
    pub fn parse(raw: &str) -> Result<LogoUrl, BrandingError> {
        let raw = raw.trim();
        let scheme_ok = raw
            .get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"));
        if raw.len() > MAX_LOGO_URL_LEN || !scheme_ok || raw[8..].starts_with(['/', '\\']) {
            return Err(BrandingError::BadLogoUrl);
        }
        let url = Url::parse(raw).map_err(|_| BrandingError::BadLogoUrl)?;
        let host_ok = matches!(url.host(), Some(Host::Domain(h)) if is_host_name(h));
        let plain = url.username().is_empty() && url.password().is_none();
        if url.scheme() != "https" || !host_ok || !plain || url.as_str().len() > MAX_LOGO_URL_LEN {
            return Err(BrandingError::BadLogoUrl);
        }
        Ok(LogoUrl(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// `https://host[:port]`: the one origin the page's CSP lets images come from.
    pub fn origin(&self) -> String {
        let host = self.0.host_str().unwrap_or_default();
        match self.0.port() {
            Some(port) => format!("https://{host}:{port}"),
            None => format!("https://{host}"),
        }
    }
}

/// A dotted host name of letters, digits and hyphens (IDNs arrive as punycode).
fn is_host_name(h: &str) -> bool {
    h.contains('.')
        && h.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// The accent colour: exactly `#rrggbb`, kept in lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccentColor(Rgb);

impl AccentColor {
    pub fn parse(raw: &str) -> Result<AccentColor, BrandingError> {
        let hex = raw
            .trim()
            .strip_prefix('#')
            .filter(|h| h.len() == 6 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or(BrandingError::BadColor)?;
        let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16);
        match (channel(0), channel(2), channel(4)) {
            (Ok(r), Ok(g), Ok(b)) => Ok(AccentColor(Rgb { r, g, b })),
            _ => Err(BrandingError::BadColor),
        }
    }

    pub fn rgb(self) -> Rgb {
        self.0
    }

    /// `#rrggbb`, lower case: the only form that reaches CSS.
    pub fn css(self) -> String {
        self.0.hex()
    }
}

impl fmt::Display for AccentColor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.css())
    }
}

/// Everything a merchant may set about how its pages look; all optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Branding {
    pub display_name: Option<DisplayName>,
    pub logo_url: Option<LogoUrl>,
    pub accent_color: Option<AccentColor>,
}

impl Branding {
    /// Only a display name.
    pub fn named(name: DisplayName) -> Branding {
        Branding {
            display_name: Some(name),
            ..Branding::default()
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_display_name_is_trimmed_and_kept_as_written() {
        let name = DisplayName::parse("  Ben & Jerry's <Shop>  ").unwrap();
        assert_eq!(name.as_str(), "Ben & Jerry's <Shop>");
    }

    #[test]
    fn a_display_name_must_be_short_plain_text() {
        assert_eq!(DisplayName::parse("   "), Err(BrandingError::EmptyName));
        assert!(DisplayName::parse(&"é".repeat(MAX_NAME_CHARS)).is_ok());
        assert_eq!(
            DisplayName::parse(&"é".repeat(MAX_NAME_CHARS + 1)),
            Err(BrandingError::NameTooLong)
        );
        for bad in ["Two\nlines", "Tab\there", "Evil\u{202e}gnp.exe"] {
            assert_eq!(
                DisplayName::parse(bad),
                Err(BrandingError::NameNotPlainText)
            );
        }
    }

    #[test]
    fn a_logo_url_gives_its_exact_origin() {
        let logo = LogoUrl::parse(" https://CDN.Shop.example/img/logo.png?v=2 ").unwrap();
        assert_eq!(logo.as_str(), "https://cdn.shop.example/img/logo.png?v=2");
        assert_eq!(logo.origin(), "https://cdn.shop.example");
        let ported = LogoUrl::parse("https://cdn.shop.example:8443/l.svg").unwrap();
        assert_eq!(ported.origin(), "https://cdn.shop.example:8443");
        let default_port = LogoUrl::parse("https://cdn.shop.example:443/l.svg").unwrap();
        assert_eq!(default_port.origin(), "https://cdn.shop.example");
        let idn = LogoUrl::parse("https://bücher.example/l.png").unwrap();
        assert_eq!(idn.origin(), "https://xn--bcher-kva.example");
    }

    #[test]
    fn a_logo_url_must_be_https_on_a_host_name() {
        for bad in [
            "",
            "http://cdn.shop.example/l.png",
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "//cdn.shop.example/l.png",
            "https:///l.png",
            "https://127.0.0.1/l.png",
            "https://[::1]/l.png",
            "https://localhost/l.png",
            "https://user:pw@cdn.shop.example/l.png",
            "https://cdn.shop.example;script-src/l.png",
            "https://cdn shop.example/l.png",
        ] {
            assert_eq!(
                LogoUrl::parse(bad),
                Err(BrandingError::BadLogoUrl),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_logo_url_is_capped_in_length() {
        let prefix = "https://cdn.shop.example/";
        let at_limit = format!("{prefix}{}", "a".repeat(MAX_LOGO_URL_LEN - prefix.len()));
        assert!(LogoUrl::parse(&at_limit).is_ok());
        assert!(LogoUrl::parse(&format!("{at_limit}a")).is_err());
    }

    #[test]
    fn an_accent_colour_is_six_hex_digits_and_nothing_else() {
        assert_eq!(AccentColor::parse("#1A2b3C").unwrap().css(), "#1a2b3c");
        assert_eq!(
            AccentColor::parse(" #ffffff ").unwrap().to_string(),
            "#ffffff"
        );
        for bad in [
            "",
            "red",
            "#fff",
            "1a2b3c",
            "#1a2b3g",
            "#1a2b3c0",
            "#1a2b3c;",
            "red;}</style><script>",
            "#12345é",
            "var(--x)",
        ] {
            assert_eq!(
                AccentColor::parse(bad),
                Err(BrandingError::BadColor),
                "{bad:?}"
            );
        }
    }
}
