//! The merchant's shop domain, normalised to a lower-case ASCII (punycode)
//! host name such as `shop.example` or `xn--bcher-kva.example`.
//!
//! This module owns parsing what merchants type (a bare host or a full
//! http(s) URL) into one canonical host. It must not resolve names, fetch
//! anything or decide whether a domain is allowed for a given merchant.

use std::fmt;

use url::{Host, Url};

const MAX_DOMAIN_LEN: usize = 253;
const MAX_LABEL_LEN: usize = 63;

/// A canonical, public-looking DNS host name (no IP, at least two labels).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ShopDomain(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid shop domain")]
pub struct InvalidDomain;

impl ShopDomain {
    /// Accepts `YourShop.com`, `shop.example:8443`, `shop.example/path` or
    /// `https://www.shop.example/checkout?x=1`, and normalises them to the
    /// host alone: lower case, punycode, without leading `www.`s, the
    /// trailing dot, port, userinfo, path, query and fragment.
    pub fn parse(s: &str) -> Result<ShopDomain, InvalidDomain> {
        let input = s.trim();
        if input.is_empty() || input.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InvalidDomain);
        }
        let url = match scheme_of(input) {
            Some(scheme)
                if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") =>
            {
                Url::parse(input)
            }
            Some(_) => return Err(InvalidDomain),
            None => Url::parse(&format!("http://{input}")),
        }
        .map_err(|_| InvalidDomain)?;
        // `url` lower-cases, applies IDNA (UTS #46) and recognises IPv4 in
        // all its legacy spellings, so only real domains reach this arm.
        let host = match url.host() {
            Some(Host::Domain(host)) => host,
            _ => return Err(InvalidDomain),
        };
        let host = host.strip_suffix('.').unwrap_or(host);
        // Every leading `www.` goes (so the result parses to itself), but
        // not when it is all there is to the name (`www.com`).
        let mut host = host;
        while let Some(rest) = host.strip_prefix("www.")
            && rest.contains('.')
        {
            host = rest;
        }
        if is_valid_host_name(host) {
            Ok(ShopDomain(host.to_owned()))
        } else {
            Err(InvalidDomain)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ShopDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The scheme of `input` if it starts with `scheme:` (RFC 3986 scheme
/// characters). A colon followed by a digit is a port (`shop.example:8443`),
/// not a scheme; `mailto:x@shop.example` does have one.
fn scheme_of(input: &str) -> Option<&str> {
    let (scheme, rest) = input.split_once(':')?;
    let mut chars = scheme.chars();
    let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let is_port = rest.starts_with(|c: char| c.is_ascii_digit());
    (starts_with_letter && rest_ok && !is_port).then_some(scheme)
}

/// Letters-digits-hyphen labels, 1..=63 long, not starting or ending with
/// a hyphen, at least two of them, 253 characters at most in total.
fn is_valid_host_name(host: &str) -> bool {
    if host.is_empty() || host.len() > MAX_DOMAIN_LEN || !host.contains('.') {
        return false;
    }
    let is_valid_label = |label: &str| {
        !label.is_empty()
            && label.len() <= MAX_LABEL_LEN
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    host.split('.').all(is_valid_label)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn parsed(s: &str) -> String {
        ShopDomain::parse(s)
            .unwrap_or_else(|_| panic!("{s:?} should parse"))
            .to_string()
    }

    fn rejects(s: &str) {
        assert_eq!(
            ShopDomain::parse(s),
            Err(InvalidDomain),
            "{s:?} should be rejected"
        );
    }

    #[test]
    fn parse_accepts_a_bare_host_and_lower_cases_it() {
        assert_eq!(parsed("YourShop.com"), "yourshop.com");
        assert_eq!(parsed("shop.example"), "shop.example");
        assert_eq!(parsed("  Shop.Example  "), "shop.example");
        assert_eq!(parsed("a-b.c-d.example"), "a-b.c-d.example");
        assert_eq!(parsed("123.example"), "123.example");
    }

    #[test]
    fn parse_strips_leading_www_to_a_fixed_point() {
        assert_eq!(parsed("www.shop.example"), "shop.example");
        assert_eq!(parsed("WWW.Shop.Example"), "shop.example");
        assert_eq!(parsed("www.www.shop.example"), "shop.example");
        assert_eq!(parsed("www.www.com"), "www.com");
        assert_eq!(parsed("wwwshop.example"), "wwwshop.example");
    }

    #[test]
    fn parse_keeps_www_when_it_is_the_only_label_before_the_tld() {
        assert_eq!(parsed("www.com"), "www.com");
    }

    #[test]
    fn parse_strips_the_trailing_dot() {
        assert_eq!(parsed("shop.example."), "shop.example");
        assert_eq!(parsed("https://www.shop.example./"), "shop.example");
    }

    #[test]
    fn parse_strips_the_port() {
        assert_eq!(parsed("shop.example:8443"), "shop.example");
        assert_eq!(parsed("http://shop.example:8080/"), "shop.example");
    }

    #[test]
    fn parse_accepts_full_urls_and_keeps_only_the_host() {
        assert_eq!(
            parsed("https://www.shop.example/checkout?x=1"),
            "shop.example"
        );
        assert_eq!(parsed("HTTPS://Shop.Example#top"), "shop.example");
        assert_eq!(parsed("https://user:pw@shop.example/a"), "shop.example");
        assert_eq!(
            parsed("http://shop.example?next=https://other.example"),
            "shop.example"
        );
    }

    #[test]
    fn parse_accepts_a_host_followed_by_a_path_without_scheme() {
        assert_eq!(parsed("shop.example/path"), "shop.example");
        assert_eq!(
            parsed("www.shop.example/a/b?c=https://x.example#d"),
            "shop.example"
        );
        assert_eq!(parsed("shop.example:8443/path"), "shop.example");
    }

    #[test]
    fn parse_converts_unicode_names_to_punycode() {
        assert_eq!(parsed("bücher.example"), "xn--bcher-kva.example");
        assert_eq!(parsed("BÜCHER.example"), "xn--bcher-kva.example");
        assert_eq!(
            parsed("https://www.bücher.example/x"),
            "xn--bcher-kva.example"
        );
        assert_eq!(parsed("xn--bcher-kva.example"), "xn--bcher-kva.example");
    }

    #[test]
    fn parse_rejects_empty_and_whitespace_input() {
        rejects("");
        rejects("   ");
        rejects("not a domain");
        rejects("shop .example");
        rejects("shop.example\tx");
    }

    #[test]
    fn parse_rejects_ip_addresses() {
        rejects("127.0.0.1");
        rejects("http://10.0.0.1:8080/");
        rejects("127.1");
        rejects("0x7f.0.0.1");
        rejects("[::1]");
        rejects("https://[2001:db8::1]/");
    }

    #[test]
    fn parse_rejects_single_label_names() {
        rejects("localhost");
        rejects("http://intranet/");
        rejects("shop.");
        rejects("www.");
    }

    #[test]
    fn parse_rejects_empty_or_overlong_labels() {
        rejects("..");
        rejects(".shop.example");
        rejects("shop..example");
        rejects(&format!("{}.example", "a".repeat(64)));
        assert_eq!(parsed(&format!("{}.example", "a".repeat(63))).len(), 63 + 8);
    }

    #[test]
    fn parse_accepts_253_characters_but_not_more() {
        let label = "a".repeat(63);
        let at_limit = format!("{label}.{label}.{label}.{}", "b".repeat(61));
        assert_eq!(at_limit.len(), 253);
        assert_eq!(parsed(&at_limit), at_limit);
        rejects(&format!("{label}.{label}.{label}.{}", "b".repeat(62)));
    }

    #[test]
    fn parse_rejects_characters_outside_letters_digits_and_hyphen() {
        rejects("shop_x.example");
        rejects("shop!.example");
        rejects("shop*.example");
        rejects("shop$.example");
    }

    #[test]
    fn parse_rejects_labels_starting_or_ending_with_a_hyphen() {
        rejects("-shop.com");
        rejects("shop-.com");
        rejects("shop.-example");
        rejects("https://shop.example-/");
    }

    #[test]
    fn parse_rejects_schemes_other_than_http_and_https() {
        rejects("ftp://shop.example");
        rejects("javascript://shop.example");
        rejects("file:///etc/passwd");
        rejects("mailto:owner@shop.example");
        rejects("javascript:alert(1)");
        rejects("data:text/html,shop.example");
    }

    #[test]
    fn parse_accepts_http_urls_written_without_slashes() {
        assert_eq!(parsed("https:shop.example"), "shop.example");
    }

    #[test]
    fn parse_rejects_garbage() {
        rejects("http://");
        rejects("https://");
        rejects("://shop.example");
        rejects("//");
        rejects("@");
        rejects("shop.example:notaport");
        rejects("xn--.example");
        rejects("shop.example:");
    }

    #[test]
    fn as_str_and_display_agree() {
        let domain = ShopDomain::parse("Shop.Example").unwrap();
        assert_eq!(domain.as_str(), "shop.example");
        assert_eq!(domain.to_string(), domain.as_str());
    }
}
