//! What the layout template (`templates/checkout/layout.html`) shows around
//! every page: language and its switch, the shop's name, domain and
//! branding (logo, accent colours), the test badge, the CSP nonce, and — on
//! pages that update themselves — what the small script polls.
//!
//! Must not: carry anything of the merchant's configuration beyond its
//! public name, shop domain and branding.

use super::i18n::{Lang, Messages};
use crate::domain::branding::{AccentColor, Branding};
use crate::domain::contrast::{self, DARK_CARD, DARK_INK, WHITE};

/// The shop a page is for, as the customer may see it.
#[derive(Debug, Clone)]
pub struct Shop {
    pub name: String,
    pub domain: String,
    /// The merchant's logo (its origin is in the page's CSP `img-src`).
    pub logo_url: Option<String>,
    pub accent: Option<Accent>,
}

impl Shop {
    /// `name` (the display name, else the domain) with the merchant's branding.
    pub fn new(name: String, domain: String, branding: &Branding) -> Shop {
        Shop {
            name,
            domain,
            logo_url: branding.logo_url.as_ref().map(|u| u.as_str().to_string()),
            accent: branding.accent_color.map(Accent::of),
        }
    }
}

/// The CSS colours derived from a merchant's accent; every value is a
/// `#rrggbb` string, so nothing else can reach the style block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accent {
    /// Buttons and focus rings.
    pub fill: String,
    /// Text on `fill`: white or dark, whichever reads better.
    pub ink: String,
    /// Links on the light card: the accent if readable there, else the ink.
    pub link_light: String,
    /// Links on the dark card: the accent if readable there, else white.
    pub link_dark: String,
}

impl Accent {
    pub fn of(color: AccentColor) -> Accent {
        let rgb = color.rgb();
        Accent {
            fill: color.css(),
            ink: contrast::ink_on(rgb).hex(),
            link_light: contrast::text_colour(rgb, WHITE, DARK_INK).hex(),
            link_dark: contrast::text_colour(rgb, DARK_CARD, WHITE).hex(),
        }
    }
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
    /// Confirmations of a waiting payment as rendered; a change reloads it.
    pub confirmations: u64,
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_dark_accent_gets_white_button_text_and_stays_the_link_colour_on_white() {
        let accent = Accent::of(AccentColor::parse("#1e3a8a").unwrap());
        assert_eq!(accent.fill, "#1e3a8a");
        assert_eq!(accent.ink, "#ffffff");
        assert_eq!(accent.link_light, "#1e3a8a");
        assert_eq!(accent.link_dark, "#ffffff");
    }

    #[test]
    fn a_pale_accent_gets_dark_button_text_and_dark_links_on_white() {
        let accent = Accent::of(AccentColor::parse("#ffd700").unwrap());
        assert_eq!(accent.ink, DARK_INK.hex());
        assert_eq!(accent.link_light, DARK_INK.hex());
        assert_eq!(accent.link_dark, "#ffd700");
    }
}
