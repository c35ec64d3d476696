//! Absolute `https://` URLs supplied by merchants (success, cancel and
//! similar redirect targets).
//!
//! This module owns deciding whether such a URL is usable and appending
//! query parameters to it. It must not fetch URLs, resolve hosts or check
//! them against a shop's domain; callers ignore URLs that do not parse.

use std::fmt;

use url::Url;

const MAX_URL_LEN: usize = 2048;

/// An absolute `https://` URL with a host, at most 2048 characters long.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HttpsUrl(Url);

impl HttpsUrl {
    /// `None` for anything but an absolute `https://` URL with a host of at
    /// most 2048 characters (before and after normalisation).
    pub fn parse(s: &str) -> Option<HttpsUrl> {
        let s = s.trim();
        let scheme_ok = s.get(..8)?.eq_ignore_ascii_case("https://");
        // `https:///x` would be read leniently as `https://x/`; refuse it.
        let authority_ok = !s[8..].starts_with(['/', '\\']);
        if s.len() > MAX_URL_LEN || !scheme_ok || !authority_ok {
            return None;
        }
        let url = Url::parse(s).ok()?;
        let has_host = url.host_str().is_some_and(|host| !host.is_empty());
        if url.scheme() != "https" || !has_host || url.as_str().len() > MAX_URL_LEN {
            return None;
        }
        Some(HttpsUrl(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The URL with `key=value` (form-encoded) appended to its query,
    /// keeping the existing query and the fragment:
    /// `https://s.example/t?order=1#x` → `https://s.example/t?order=1&session_id=5#x`.
    pub fn with_query_param(&self, key: &str, value: &str) -> String {
        let mut url = self.0.clone();
        url.query_pairs_mut().append_pair(key, value);
        url.into()
    }
}

impl fmt::Display for HttpsUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn url(s: &str) -> HttpsUrl {
        HttpsUrl::parse(s).unwrap_or_else(|| panic!("{s:?} should parse"))
    }

    #[test]
    fn parse_accepts_absolute_https_urls() {
        assert_eq!(
            url("https://s.example/t?order=1").as_str(),
            "https://s.example/t?order=1"
        );
        assert_eq!(url("https://s.example").as_str(), "https://s.example/");
        assert_eq!(
            url("  HTTPS://S.Example:8443/a#b ").as_str(),
            "https://s.example:8443/a#b"
        );
        assert_eq!(url("https://127.0.0.1/ok").as_str(), "https://127.0.0.1/ok");
    }

    #[test]
    fn parse_rejects_other_schemes() {
        for s in [
            "http://s.example/",
            "javascript:alert(1)",
            "ftp://s.example/",
            "data:text/html,x",
            "wss://s.example/",
        ] {
            assert!(HttpsUrl::parse(s).is_none(), "{s:?}");
        }
    }

    #[test]
    fn parse_rejects_relative_or_hostless_urls() {
        for s in [
            "",
            "/success",
            "s.example/success",
            "//s.example/success",
            "https://",
            "https:///path",
            "https:\\\\s.example/",
            "https://\\s.example/",
            "https:s.example",
            "https:",
        ] {
            assert!(HttpsUrl::parse(s).is_none(), "{s:?}");
        }
    }

    #[test]
    fn parse_rejects_garbage() {
        for s in [
            "not a url",
            "https://exa mple.com/",
            "https://[::1/",
            "https://s.example:99999/",
        ] {
            assert!(HttpsUrl::parse(s).is_none(), "{s:?}");
        }
    }

    #[test]
    fn parse_accepts_2048_characters_but_not_more() {
        let prefix = "https://s.example/";
        let at_limit = format!("{prefix}{}", "a".repeat(MAX_URL_LEN - prefix.len()));
        assert_eq!(url(&at_limit).as_str().len(), MAX_URL_LEN);
        assert!(HttpsUrl::parse(&format!("{at_limit}a")).is_none());
    }

    #[test]
    fn parse_rejects_urls_that_grow_beyond_the_limit_when_normalised() {
        let prefix = "https://s.example/";
        let accented = format!("{prefix}{}", "é".repeat((MAX_URL_LEN - prefix.len()) / 2));
        assert!(accented.len() <= MAX_URL_LEN);
        assert!(HttpsUrl::parse(&accented).is_none());
    }

    #[test]
    fn with_query_param_appends_to_an_existing_query() {
        let u = url("https://s.example/t?order=1");
        assert_eq!(
            u.with_query_param("session_id", "5"),
            "https://s.example/t?order=1&session_id=5"
        );
    }

    #[test]
    fn with_query_param_starts_a_query_when_there_is_none() {
        let u = url("https://s.example/t");
        assert_eq!(
            u.with_query_param("session_id", "5"),
            "https://s.example/t?session_id=5"
        );
        let empty = url("https://s.example/t?");
        assert_eq!(
            empty.with_query_param("session_id", "5"),
            "https://s.example/t?session_id=5"
        );
    }

    #[test]
    fn with_query_param_keeps_the_fragment_at_the_end() {
        let u = url("https://s.example/t?order=1#done");
        assert_eq!(
            u.with_query_param("session_id", "5"),
            "https://s.example/t?order=1&session_id=5#done"
        );
        let no_query = url("https://s.example/t#done");
        assert_eq!(
            no_query.with_query_param("session_id", "5"),
            "https://s.example/t?session_id=5#done"
        );
    }

    #[test]
    fn with_query_param_encodes_the_key_and_value() {
        let u = url("https://s.example/t");
        assert_eq!(
            u.with_query_param("a b", "x&y=z"),
            "https://s.example/t?a+b=x%26y%3Dz"
        );
    }

    #[test]
    fn with_query_param_leaves_the_original_untouched() {
        let u = url("https://s.example/t?order=1");
        let _ = u.with_query_param("session_id", "5");
        assert_eq!(u.as_str(), "https://s.example/t?order=1");
        assert_eq!(u.to_string(), u.as_str());
    }
}
