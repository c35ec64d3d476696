//! The hosted pages' words, per language: one typed table per language
//! (a missing message is a compile error), and how a language is chosen —
//! an explicit `lang=` link first, then `Accept-Language`, then English.
//!
//! Must not: format amounts or dates (the views do), or hold anything but
//! fixed text.

mod de;
mod en;
mod es;
mod fr;
mod nl;

/// A language the hosted pages speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Nl,
    De,
    Fr,
    Es,
}

/// Every fixed text of the hosted pages.
#[derive(Debug)]
pub struct Messages {
    /// The language's own name, for the switch.
    pub name: &'static str,
    pub checkout_title: &'static str,
    pub pay_to: &'static str,
    pub amount_due: &'static str,
    pub time_left: &'static str,
    pub choose_method: &'static str,
    pub method_card: &'static str,
    pub method_paypal: &'static str,
    pub method_revolut: &'static str,
    pub method_bank: &'static str,
    pub method_ideal: &'static str,
    pub method_other: &'static str,
    pub method_crypto: &'static str,
    pub no_methods: &'static str,
    pub cancel: &'static str,
    pub back_to_shop: &'static str,
    /// The cancel button when the session has no `cancel_url`.
    pub cancel_payment: &'static str,
    pub email_on_file: &'static str,
    pub status_paid: &'static str,
    pub paid_body: &'static str,
    pub redirecting: &'static str,
    pub status_expired: &'static str,
    pub expired_body: &'static str,
    pub status_cancelled: &'static str,
    pub cancelled_body: &'static str,
    pub status_underpaid: &'static str,
    pub underpaid_body: &'static str,
    pub remaining: &'static str,
    pub status_pending: &'static str,
    pub pending_body: &'static str,
    /// Label of "k / N" while a payment confirms.
    pub confirmations: &'static str,
    pub crypto_title: &'static str,
    pub network: &'static str,
    pub token: &'static str,
    pub send_exactly: &'static str,
    pub deposit_address: &'static str,
    pub copy: &'static str,
    pub copied: &'static str,
    pub scan_qr: &'static str,
    pub crypto_warning: &'static str,
    pub other_methods: &'static str,
    pub simulate_payment: &'static str,
    pub sandbox_notice: &'static str,
    pub onramp_title: &'static str,
    pub onramp_body: &'static str,
    pub pay_button: &'static str,
    pub email_title: &'static str,
    pub email_body: &'static str,
    pub email_label: &'static str,
    pub email_invalid: &'static str,
    pub continue_button: &'static str,
    pub provider_list_title: &'static str,
    pub not_found_title: &'static str,
    pub not_found_body: &'static str,
    pub refused_title: &'static str,
    pub refused_body: &'static str,
    pub unavailable_title: &'static str,
    pub unavailable_body: &'static str,
    pub error_title: &'static str,
    pub error_body: &'static str,
    pub test_mode: &'static str,
    pub secured_by: &'static str,
    pub language: &'static str,
}

impl Lang {
    pub const ALL: [Lang; 5] = [Lang::En, Lang::Nl, Lang::De, Lang::Fr, Lang::Es];

    /// The BCP 47 primary tag (`en`, `nl`, …).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nl => "nl",
            Lang::De => "de",
            Lang::Fr => "fr",
            Lang::Es => "es",
        }
    }

    pub fn messages(self) -> &'static Messages {
        match self {
            Lang::En => &en::MESSAGES,
            Lang::Nl => &nl::MESSAGES,
            Lang::De => &de::MESSAGES,
            Lang::Fr => &fr::MESSAGES,
            Lang::Es => &es::MESSAGES,
        }
    }

    /// A language tag (`nl`, `nl-BE`, `NL_nl`): its primary subtag, if spoken here.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// The best language for an `Accept-Language` header (quality order; ties
    /// keep header order); English when none is spoken here.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(header) = header else {
            return Lang::En;
        };
        let mut best: Option<(u16, Lang)> = None;
        for (tag, q) in accept_language(header) {
            if let Some(lang) = Lang::parse(tag)
                && q > 0
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::En, |(_, l)| l)
    }
}

/// `Accept-Language` entries as (tag, quality in thousandths), header order.
pub fn accept_language(header: &str) -> impl Iterator<Item = (&str, u16)> {
    header.split(',').take(16).filter_map(|entry| {
        let mut parts = entry.split(';');
        let tag = parts.next()?.trim();
        if tag.is_empty() || tag == "*" {
            return None;
        }
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .map_or(1000, |q| {
                q.trim()
                    .parse::<f32>()
                    .map_or(0, |v| (v.clamp(0.0, 1.0) * 1000.0) as u16)
            });
        Some((tag, q))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_spoken_language() {
        assert_eq!(
            Lang::from_accept_language(Some("nl-NL,nl;q=0.9,en;q=0.8")),
            Lang::Nl
        );
        assert_eq!(
            Lang::from_accept_language(Some("ja, de;q=0.5, fr;q=0.7")),
            Lang::Fr
        );
        assert_eq!(Lang::from_accept_language(Some("ja")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("es;q=0, de")), Lang::De);
        assert_eq!(Lang::from_accept_language(None), Lang::En);
    }

    #[test]
    fn every_language_has_its_own_words() {
        for lang in Lang::ALL {
            let m = lang.messages();
            assert!(!m.name.is_empty() && !m.pay_button.is_empty());
            if lang != Lang::En {
                assert_ne!(
                    m.choose_method,
                    Lang::En.messages().choose_method,
                    "{lang:?}"
                );
            }
        }
    }
}
