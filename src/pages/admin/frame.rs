//! What the admin console's layout shows around every page
//! (`templates/admin/layout.html`): the title, the CSP nonce, the form CSRF
//! token, the signed-in operator and the navigation.
//!
//! Must not: carry secrets other than the session's own CSRF token.

use crate::app::operators::Operator;
pub use crate::pages::dashboard::frame::NavItem;

/// The console's sections, in navigation order.
pub const SECTIONS: [(&str, &str); 6] = [
    ("/admin", "Overview"),
    ("/admin/merchants", "Merchants"),
    ("/admin/routing", "Smart Routing"),
    ("/admin/attention", "Attention"),
    ("/admin/operations", "Operations"),
    ("/admin/audit", "Audit log"),
];

/// The layout of a signed-in console page.
#[derive(Debug, Clone)]
pub struct Frame {
    pub title: String,
    pub nonce: String,
    pub csrf: String,
    pub email: String,
    pub operator_id: i64,
    /// The operator has no second factor yet (sandbox only): the layout
    /// offers to set one up.
    pub totp_missing: bool,
    pub nav: Vec<NavItem>,
    pub test: bool,
    pub notice: Option<String>,
}

impl Frame {
    pub fn new(
        title: &str,
        current: &str,
        operator: &Operator,
        csrf: &str,
        nonce: &str,
        test: bool,
    ) -> Frame {
        Frame {
            title: title.to_string(),
            nonce: nonce.to_string(),
            csrf: csrf.to_string(),
            email: operator.email.clone(),
            operator_id: operator.id,
            totp_missing: !operator.totp_enabled,
            nav: SECTIONS
                .iter()
                .map(|(href, label)| NavItem {
                    href,
                    label,
                    current: *href == current,
                })
                .collect(),
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
