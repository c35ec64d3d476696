//! What the dashboard's layouts show around every page: the title, the CSP
//! nonce, the form CSRF token, the signed-in account and the navigation
//! (`templates/dashboard/app.html`), or the small centred card of the login
//! and sign-up pages (`templates/dashboard/auth.html`).
//!
//! Must not: carry secrets other than the session's own CSRF token.

use crate::domain::merchant::Merchant;

/// One entry of the side navigation.
#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// The navigation of `sections` (href, label) with `current` marked.
pub fn nav(sections: &[(&'static str, &'static str)], current: &str) -> Vec<NavItem> {
    sections
        .iter()
        .map(|(href, label)| NavItem {
            href,
            label,
            current: *href == current,
        })
        .collect()
}

/// The dashboard's sections, in navigation order.
pub const SECTIONS: [(&str, &str); 10] = [
    ("/dashboard", "Overview"),
    ("/dashboard/sessions", "Sessions"),
    ("/dashboard/domains", "Shop domains"),
    ("/dashboard/wallet", "Payout wallet"),
    ("/dashboard/checkout", "Checkout"),
    ("/dashboard/links", "Payment links"),
    ("/dashboard/products", "Products"),
    ("/dashboard/webhooks", "Webhooks"),
    ("/dashboard/api-keys", "API keys"),
    ("/dashboard/security", "Security"),
];

/// The layout of a signed-in page.
#[derive(Debug, Clone)]
pub struct Frame {
    pub title: String,
    pub nonce: String,
    pub csrf: String,
    pub email: String,
    pub shop_name: String,
    pub merchant_id: i64,
    pub nav: Vec<NavItem>,
    /// Sandbox: a badge says no real money moves.
    pub test: bool,
    /// A one-line confirmation after a change ("Domain added").
    pub notice: Option<String>,
}

impl Frame {
    pub fn new(
        title: &str,
        current: &str,
        merchant: &Merchant,
        csrf: &str,
        nonce: &str,
        test: bool,
    ) -> Frame {
        Frame {
            title: title.to_string(),
            nonce: nonce.to_string(),
            csrf: csrf.to_string(),
            email: merchant.email.clone(),
            shop_name: merchant
                .branding
                .display_name
                .as_ref()
                .map(|n| n.as_str().to_string())
                .unwrap_or_else(|| merchant.email.clone()),
            merchant_id: merchant.id,
            nav: nav(&SECTIONS, current),
            test,
            notice: None,
        }
    }

    /// The same frame with a confirmation line.
    pub fn with_notice(mut self, notice: Option<String>) -> Frame {
        self.notice = notice;
        self
    }
}

/// The layout of the login and sign-up pages.
#[derive(Debug, Clone)]
pub struct AuthFrame {
    pub title: String,
    pub nonce: String,
    pub csrf: String,
    pub test: bool,
    pub signup_open: bool,
}
