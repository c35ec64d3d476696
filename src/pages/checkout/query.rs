//! The hosted pages' query string and form bodies, read leniently: unknown
//! keys are ignored, the first of a repeated key wins, and a malformed value
//! is simply absent (the page then answers 404 or ignores it). Never an
//! error page for a stray parameter.

use super::i18n::Lang;

/// What a hosted page's URL (or form) may carry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageQuery {
    pub session: Option<i64>,
    /// A route family (`card`, `ideal`, …).
    pub method: Option<String>,
    /// A direct provider override (`moonpay`, `epv2`, …).
    pub provider: Option<String>,
    /// An explicit language choice (the visible switch).
    pub lang: Option<Lang>,
    /// The per-session page token (sandbox on-ramp).
    pub token: Option<String>,
    /// A customer's e-mail address (the e-mail form).
    pub email: Option<String>,
    /// Where the sandbox on-ramp sends the customer back (`crypto`).
    pub back: Option<String>,
}

impl PageQuery {
    /// Reads `a=1&b=2` (a query string or a form body).
    pub fn parse(text: &[u8]) -> PageQuery {
        let mut q = PageQuery::default();
        for (key, value) in url::form_urlencoded::parse(text) {
            let value = value.trim();
            let text = || (!value.is_empty() && value.len() <= 320).then(|| value.to_string());
            match key.as_ref() {
                "session" | "session_id" if q.session.is_none() => {
                    q.session = value.parse().ok().filter(|id: &i64| *id > 0);
                }
                "method" if q.method.is_none() => q.method = text(),
                "provider" if q.provider.is_none() => q.provider = text(),
                "lang" if q.lang.is_none() => q.lang = Lang::parse(value),
                "token" if q.token.is_none() => q.token = text(),
                "email" if q.email.is_none() => q.email = text(),
                "back" if q.back.is_none() => q.back = text(),
                _ => {}
            }
        }
        q
    }

    /// The routing hint these parameters ask for: a provider override wins
    /// over a method (`method=other&provider=epv2` is the provider).
    pub fn hint(&self) -> Option<&str> {
        self.provider.as_deref().or(self.method.as_deref())
    }

    /// `&lang=xx` when the language was chosen explicitly, else nothing:
    /// links keep the choice without a cookie.
    pub fn lang_suffix(&self) -> String {
        self.lang
            .map(|l| format!("&lang={}", l.code()))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_value_wins_and_junk_is_ignored() {
        let q = PageQuery::parse(b"session=12&session=13&method=card&lang=NL&x=%ZZ&provider=");
        assert_eq!(q.session, Some(12));
        assert_eq!(q.method.as_deref(), Some("card"));
        assert_eq!(q.provider, None);
        assert_eq!(q.lang, Some(Lang::Nl));
        assert_eq!(q.hint(), Some("card"));
        assert_eq!(q.lang_suffix(), "&lang=nl");
    }

    #[test]
    fn a_bad_session_id_is_absent() {
        assert_eq!(PageQuery::parse(b"session=abc").session, None);
        assert_eq!(PageQuery::parse(b"session=-4").session, None);
        assert_eq!(PageQuery::parse(b"").session, None);
    }
}
