//! A session as its customer may see it: shop, amount, time left, state,
//! what is still owed, the masked e-mail and the session's own return and
//! cancel URLs. Built from the stored session and merchant; nothing of the
//! merchant's configuration passes through.

use super::error::PageError;
use super::frame::{Live, Shop};
use super::i18n::Lang;
use crate::domain::checkout_session::SessionRecord;
use crate::domain::confirmation::Progress;
use crate::domain::email::Email;
use crate::domain::https_url::HttpsUrl;
use crate::domain::merchant::Merchant;
use crate::domain::session::SessionStatus;
use crate::http::state::AppState;

/// Where a session stands, for its customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageState {
    /// Waiting for payment.
    Open,
    /// A deposit was seen; waiting for confirmations.
    Pending,
    Paid,
    /// Part was paid; the rest is still owed.
    Underpaid,
    Expired,
    /// The customer cancelled.
    Cancelled,
}

impl PageState {
    /// The state at `now_ms`: an open session past its expiry is shown
    /// expired even before the sweep records it.
    pub fn of(record: &SessionRecord, now_ms: i64) -> PageState {
        match record.status {
            SessionStatus::Created if now_ms >= record.expires_at_ms => PageState::Expired,
            SessionStatus::Created => PageState::Open,
            SessionStatus::Pending => PageState::Pending,
            SessionStatus::Paid => PageState::Paid,
            SessionStatus::Underpaid => PageState::Underpaid,
            SessionStatus::Expired => PageState::Expired,
            SessionStatus::Cancelled => PageState::Cancelled,
        }
    }

    /// The session status this state shows (`created`, `paid`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            PageState::Open => SessionStatus::Created.as_str(),
            PageState::Pending => SessionStatus::Pending.as_str(),
            PageState::Paid => SessionStatus::Paid.as_str(),
            PageState::Underpaid => SessionStatus::Underpaid.as_str(),
            PageState::Expired => SessionStatus::Expired.as_str(),
            PageState::Cancelled => SessionStatus::Cancelled.as_str(),
        }
    }

    /// Whether the customer can still pay (all or the rest).
    pub fn payable(self) -> bool {
        matches!(self, PageState::Open | PageState::Underpaid)
    }

    /// Whether the page should keep itself up to date.
    pub fn live(self) -> bool {
        matches!(
            self,
            PageState::Open | PageState::Underpaid | PageState::Pending
        )
    }
}

/// A session with its merchant.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub record: SessionRecord,
    pub merchant: Merchant,
    /// While a seen payment waits to count: how far it has come.
    pub confirming: Option<Progress>,
}

/// Loads a session and its merchant; a missing id, session or merchant (or
/// a disabled merchant) is "not found".
pub async fn load(state: &AppState, id: Option<i64>) -> Result<Loaded, PageError> {
    let id = id.ok_or(PageError::NotFound)?;
    let record = state.store.session(id).await?.ok_or(PageError::NotFound)?;
    let merchant = state
        .store
        .merchant(record.merchant_id)
        .await?
        .filter(|m| !m.disabled)
        .ok_or(PageError::NotFound)?;
    let confirming = confirming(state, &record).await?;
    Ok(Loaded {
        record,
        merchant,
        confirming,
    })
}

/// "confirming (k of N)" for a pending session, `None` otherwise.
pub async fn confirming(
    state: &AppState,
    record: &SessionRecord,
) -> Result<Option<Progress>, crate::store::StoreError> {
    state
        .store
        .confirming(record, state.settings.chain.required_confirmations)
        .await
}

/// What the templates show of a session.
#[derive(Debug, Clone)]
pub struct SessionSummary {
    pub id: i64,
    pub shop: Shop,
    pub state: PageState,
    /// The fiat amount with the language's decimal mark (`79,00`).
    pub amount: String,
    pub currency: &'static str,
    /// USDC owed in all / still owed, with the language's decimal mark.
    pub expected_usdc: String,
    pub remaining_usdc: String,
    pub seconds_left: i64,
    /// `mm:ss` (or `h:mm:ss`) left, as first rendered.
    pub time_left: String,
    pub email_masked: Option<String>,
    /// The session's return URL with `session_id=N` added.
    pub return_url: Option<String>,
    pub cancel_url: Option<String>,
    pub test: bool,
    pub confirming: Option<Progress>,
}

impl SessionSummary {
    pub fn new(loaded: &Loaded, now_ms: i64, lang: Lang) -> SessionSummary {
        let r = &loaded.record;
        let state = PageState::of(r, now_ms);
        let seconds_left = ((r.expires_at_ms - now_ms) / 1000).max(0);
        SessionSummary {
            id: r.id,
            shop: shop_of(loaded),
            state,
            amount: local_decimal(lang, &r.amount.to_string()),
            currency: r.amount.currency().code(),
            expected_usdc: local_decimal(lang, &r.expected.to_string()),
            remaining_usdc: local_decimal(lang, &r.owed().to_string()),
            seconds_left,
            time_left: clock_text(seconds_left),
            email_masked: r.customer_email.as_ref().map(Email::masked),
            return_url: r
                .return_url
                .as_deref()
                .and_then(HttpsUrl::parse)
                .map(|u| u.with_query_param("session_id", &r.id.to_string())),
            cancel_url: r
                .cancel_url
                .as_deref()
                .and_then(HttpsUrl::parse)
                .map(|u| u.as_str().to_string()),
            test: r.test,
            confirming: loaded.confirming,
        }
    }

    pub fn is_open(&self) -> bool {
        self.state == PageState::Open
    }

    pub fn is_pending(&self) -> bool {
        self.state == PageState::Pending
    }

    pub fn is_paid(&self) -> bool {
        self.state == PageState::Paid
    }

    pub fn is_underpaid(&self) -> bool {
        self.state == PageState::Underpaid
    }

    pub fn is_expired(&self) -> bool {
        self.state == PageState::Expired
    }

    pub fn is_cancelled(&self) -> bool {
        self.state == PageState::Cancelled
    }

    pub fn payable(&self) -> bool {
        self.state.payable()
    }

    /// The first letter of the shop's name (its avatar).
    pub fn initial(&self) -> String {
        self.shop
            .name
            .chars()
            .next()
            .map(|c| c.to_uppercase().collect())
            .unwrap_or_default()
    }

    /// What the self-updating script needs, when the page should update.
    pub fn live(&self, record: &SessionRecord) -> Option<Live> {
        self.state.live().then(|| Live {
            session_id: self.id,
            status: self.state.as_str(),
            remaining: record.owed().to_string(),
            confirmations: self.confirming.map_or(0, |c| c.confirmations),
            seconds_left: self.seconds_left,
        })
    }
}

/// The shop's public face: its display name (else its domain), domain and
/// branding.
pub fn shop_of(loaded: &Loaded) -> Shop {
    let domain = loaded.record.shop_domain.as_str().to_string();
    let branding = &loaded.merchant.branding;
    let name = branding
        .display_name
        .as_ref()
        .map_or_else(|| domain.clone(), |n| n.as_str().to_string());
    Shop::new(name, domain, branding)
}

/// `79.00` with the language's decimal mark.
pub fn local_decimal(lang: Lang, plain: &str) -> String {
    match lang {
        Lang::En => plain.to_string(),
        Lang::Nl | Lang::De | Lang::Fr | Lang::Es => plain.replace('.', ","),
    }
}

/// `mm:ss`, or `h:mm:ss` from an hour up.
pub fn clock_text(seconds: i64) -> String {
    let (h, m, s) = (seconds / 3600, (seconds % 3600) / 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_reads_like_a_clock() {
        assert_eq!(clock_text(899), "14:59");
        assert_eq!(clock_text(5), "0:05");
        assert_eq!(clock_text(3725), "1:02:05");
    }

    #[test]
    fn decimals_follow_the_language() {
        assert_eq!(local_decimal(Lang::Nl, "79.00"), "79,00");
        assert_eq!(local_decimal(Lang::En, "79.00"), "79.00");
    }
}
