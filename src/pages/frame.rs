//! What the layout template (`templates/checkout/layout.html`) shows around
//! every page: language and its switch, the shop's name and domain, the test
//! badge, the CSP nonce, and — on pages that update themselves — what the
//! small script polls.
//!
//! Must not: carry anything of the merchant's configuration beyond its
//! public name and shop domain.

use super::i18n::{Lang, Messages};

/// The shop a page is for, as the customer may see it.
#[derive(Debug, Clone)]
pub struct Shop {
    pub name: String,
    pub domain: String,
}

/// One entry of the visible language switch.
#[derive(Debug, Clone)]
pub struct LangLink {
    pub code: &'static str,
    pub name: &'static str,
    pub href: String,
    pub current: bool,
}

/// What the self-updating script needs (open, pending and underpaid pages).
#[derive(Debug, Clone)]
pub struct Live {
    pub session_id: i64,
    /// The status the page was rendered with; a change reloads it.
    pub status: &'static str,
    /// The USDC still owed as rendered; a change reloads it.
    pub remaining: String,
    /// Seconds until the session expires (the countdown).
    pub seconds_left: i64,
}

/// The layout's data.
#[derive(Debug, Clone)]
pub struct Frame {
    pub lang: Lang,
    pub t: &'static Messages,
    pub nonce: String,
    pub title: &'static str,
    pub shop: Option<Shop>,
    pub test: bool,
    pub langs: Vec<LangLink>,
    pub live: Option<Live>,
}

impl Frame {
    /// A frame for a page reached at `self_path` (path and query without
    /// `lang`, e.g. `/pay.php?session=5`).
    pub fn new(lang: Lang, nonce: String, self_path: &str) -> Frame {
        let t = lang.messages();
        let sep = if self_path.contains('?') { '&' } else { '?' };
        Frame {
            lang,
            t,
            nonce,
            title: t.checkout_title,
            shop: None,
            test: false,
            langs: Lang::ALL
                .into_iter()
                .map(|l| LangLink {
                    code: l.code(),
                    name: l.messages().name,
                    href: format!("{self_path}{sep}lang={}", l.code()),
                    current: l == lang,
                })
                .collect(),
            live: None,
        }
    }

    pub fn title(mut self, title: &'static str) -> Frame {
        self.title = title;
        self
    }

    pub fn shop(mut self, shop: Shop, test: bool) -> Frame {
        self.shop = Some(shop);
        self.test = test;
        self
    }

    pub fn live(mut self, live: Live) -> Frame {
        self.live = Some(live);
        self
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }
}
