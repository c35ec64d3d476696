//! What the storefront's layout (`templates/storefront/layout.html`) shows
//! around every page — the shop's public name and branding, the sandbox
//! badge, the CSP nonce — and the notices shown instead of a page (unknown,
//! closed, too many requests). Pure views; no I/O.

use askama::Template;

use crate::domain::branding::Branding;
use crate::domain::contrast;
use crate::domain::merchant::Merchant;
use crate::domain::routing::Method;
use crate::http::headers;

/// The shop a page sells for, as a customer may see it.
#[derive(Debug, Clone)]
pub struct ShopView {
    pub name: String,
    pub logo_url: Option<String>,
    /// Button colour and the text on it (`#rrggbb` each).
    pub accent: Option<(String, String)>,
}

impl ShopView {
    /// The merchant's display name (else its first shop domain, else
    /// `fallback`) with its logo and accent colour.
    pub fn of(merchant: &Merchant, fallback: &str) -> ShopView {
        let b: &Branding = &merchant.branding;
        let name = b
            .display_name
            .as_ref()
            .map(|n| n.as_str().to_string())
            .or_else(|| merchant.domains.first().cloned())
            .unwrap_or_else(|| fallback.to_string());
        ShopView {
            name,
            logo_url: b.logo_url.as_ref().map(|u| u.as_str().to_string()),
            accent: b
                .accent_color
                .map(|c| (c.css(), contrast::ink_on(c.rgb()).hex())),
        }
    }

    /// The first letter, for the avatar shown without a logo.
    pub fn initial(&self) -> char {
        self.name.chars().next().unwrap_or('K')
    }
}

/// The layout's data.
#[derive(Debug, Clone)]
pub struct PageFrame {
    pub nonce: String,
    pub title: String,
    pub shop: Option<ShopView>,
    /// Sandbox: a badge says no real money moves.
    pub test: bool,
}

impl PageFrame {
    pub fn plain(title: &str, test: bool) -> PageFrame {
        PageFrame {
            nonce: headers::nonce(),
            title: title.to_string(),
            shop: None,
            test,
        }
    }

    pub fn for_shop(title: &str, shop: ShopView, test: bool) -> PageFrame {
        PageFrame {
            shop: Some(shop),
            ..PageFrame::plain(title, test)
        }
    }
}

/// The origin of the merchant's logo, for the page's CSP.
pub fn logo_origin(merchant: &Merchant) -> Vec<String> {
    merchant
        .branding
        .logo_url
        .as_ref()
        .map(|u| u.origin())
        .into_iter()
        .collect()
}

/// A description as paragraphs (blank lines separate them).
pub fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// How a payment method is named on the storefront.
pub fn method_label(method: Method) -> &'static str {
    match method {
        Method::Card => "Card",
        Method::Paypal => "PayPal",
        Method::Revolut => "Revolut",
        Method::Bank => "Bank transfer",
        // Offered at checkout to customers from the Netherlands only.
        Method::Ideal => "iDEAL (NL)",
        Method::Other => "More options",
    }
}

/// Why a page shows a notice instead of something to buy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    UnknownLink,
    UnknownProduct,
    LinkInactive,
    LinkExpired,
    LinkUsedUp,
    OffSale,
    TooMany,
    NotReady,
    TryLater,
}

impl Notice {
    pub fn title(self) -> &'static str {
        match self {
            Notice::UnknownLink => "Payment link not found",
            Notice::UnknownProduct => "Product not found",
            Notice::LinkInactive => "This payment link is no longer active",
            Notice::LinkExpired => "This payment link has expired",
            Notice::LinkUsedUp => "This payment link has been used up",
            Notice::OffSale => "This product is not on sale",
            Notice::TooMany => "Too many attempts",
            Notice::NotReady => "Payments are not available yet",
            Notice::TryLater => "Please try again in a moment",
        }
    }

    pub fn body(self) -> &'static str {
        match self {
            Notice::UnknownLink | Notice::UnknownProduct => {
                "Check the address you were given, or ask the shop for a new one."
            }
            Notice::LinkInactive | Notice::LinkExpired | Notice::LinkUsedUp => {
                "Nothing was charged. Ask the shop for a new link if you still want to pay."
            }
            Notice::OffSale => "Nothing was charged. The shop may offer it again later.",
            Notice::TooMany => "Nothing was charged. Wait a few seconds, then try again.",
            Notice::NotReady => {
                "Nothing was charged. The shop has not finished setting up payments."
            }
            Notice::TryLater => "Nothing was charged. We could not start the payment just now.",
        }
    }
}

/// A notice page.
#[derive(Template)]
#[template(path = "storefront/notice.html")]
pub struct NoticePage {
    pub frame: PageFrame,
    pub notice: Notice,
}
