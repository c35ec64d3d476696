//! Payment links, the one way every door manages and opens them: the
//! dashboard and the CLI create, edit and disable a merchant's links; the
//! public page `/l/{slug}` shows one and opens a session through it.
//!
//! What a merchant types arrives as text ([`LinkInput`]) and is checked
//! here into a [`LinkDraft`], every refused field named with a message a
//! person can act on. Opening a link goes through `app::sessions::open`, like the
//! API, with `order_id` `LINK-{slug}-{n}`, the platform's shop domain and
//! `source: link`. Another merchant's link is [`LinkError::NotFound`].

use crate::app::merchants::{self, MerchantError};
use crate::app::sessions::open::{OpenError, OpenRequest, Opened, SessionOpener, SessionRules};
use crate::domain::merchant::Merchant;
use crate::domain::payment_link::{self, AmountRefused, Closed, LinkDraft, PaymentLink};
use crate::domain::session_source::{SessionSource, SourceKind};
use crate::domain::slug::Slug;
use crate::store::{Store, StoreError};

mod input;

use super::catalog::insert_with_fresh_slug;
pub use super::catalog::{FieldProblems, parse_expiry};
pub use input::{LinkInput, MAX_USES_LIMIT, check};

/// A link with its paid uses.
#[derive(Debug, Clone)]
pub struct LinkSummary {
    pub link: PaymentLink,
    pub paid_uses: u64,
}

/// Why a link could not be created, changed or found.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("{0}")]
    Invalid(FieldProblems),
    #[error("no such payment link")]
    NotFound,
    #[error(transparent)]
    Merchant(#[from] MerchantError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a link's page opened no session.
#[derive(Debug, thiserror::Error)]
pub enum OpenLinkError {
    /// No link has this slug (HTTP 404).
    #[error("no such payment link")]
    NotFound,
    /// The link takes no new sessions (HTTP 410).
    #[error("the payment link is closed: {0:?}")]
    Closed(Closed),
    /// The customer's amount was refused; the page asks again.
    #[error("the amount was refused: {0:?}")]
    Amount(AmountRefused),
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Creates a link for the merchant.
pub async fn create(
    store: &Store,
    rules: &SessionRules,
    merchant_id: i64,
    input: &LinkInput,
    now_ms: i64,
) -> Result<PaymentLink, LinkError> {
    let draft = &check(rules, input, now_ms)?;
    merchants::find(store, merchant_id).await?;
    Ok(insert_with_fresh_slug(|slug| async move {
        store
            .insert_payment_link(merchant_id, &slug, draft, now_ms)
            .await
    })
    .await?)
}

/// Replaces the settings of the merchant's link.
pub async fn update(
    store: &Store,
    rules: &SessionRules,
    merchant_id: i64,
    id: i64,
    input: &LinkInput,
    now_ms: i64,
) -> Result<PaymentLink, LinkError> {
    let draft = check(rules, input, now_ms)?;
    store
        .update_payment_link(merchant_id, id, &draft, now_ms)
        .await?
        .ok_or(LinkError::NotFound)
}

/// Turns the merchant's link on or off, keeping everything else.
pub async fn set_active(
    store: &Store,
    merchant_id: i64,
    id: i64,
    active: bool,
    now_ms: i64,
) -> Result<PaymentLink, LinkError> {
    let link = store
        .payment_link(merchant_id, id)
        .await?
        .ok_or(LinkError::NotFound)?;
    let draft = LinkDraft {
        title: link.title,
        description: link.description,
        amount: link.amount,
        max_uses: link.max_uses,
        expires_at_ms: link.expires_at_ms,
        return_url: link.return_url,
        active,
    };
    store
        .update_payment_link(merchant_id, id, &draft, now_ms)
        .await?
        .ok_or(LinkError::NotFound)
}

/// The merchant's links with their paid uses, newest first.
pub async fn list(store: &Store, merchant_id: i64) -> Result<Vec<LinkSummary>, LinkError> {
    let links = store.payment_links(merchant_id).await?;
    let ids: Vec<i64> = links.iter().map(|l| l.id).collect();
    let uses = store.paid_uses(SourceKind::Link, &ids).await?;
    Ok(links
        .into_iter()
        .map(|link| LinkSummary {
            paid_uses: uses.get(&link.id).copied().unwrap_or(0),
            link,
        })
        .collect())
}

/// The merchant's link with its paid uses.
pub async fn get(store: &Store, merchant_id: i64, id: i64) -> Result<LinkSummary, LinkError> {
    let link = store
        .payment_link(merchant_id, id)
        .await?
        .ok_or(LinkError::NotFound)?;
    let paid_uses = paid_uses_of(store, link.id).await?;
    Ok(LinkSummary { link, paid_uses })
}

async fn paid_uses_of(store: &Store, id: i64) -> Result<u64, StoreError> {
    Ok(store
        .paid_uses(SourceKind::Link, &[id])
        .await?
        .get(&id)
        .copied()
        .unwrap_or(0))
}

/// A link as its public page shows it, with its merchant; refused when
/// unknown or closed. Creates nothing.
pub async fn visit(
    store: &Store,
    slug: &str,
    now_ms: i64,
) -> Result<(PaymentLink, Merchant), OpenLinkError> {
    let slug = Slug::parse(slug).ok_or(OpenLinkError::NotFound)?;
    let link = store
        .payment_link_by_slug(&slug)
        .await?
        .ok_or(OpenLinkError::NotFound)?;
    let merchant = match store.merchant(link.merchant_id).await? {
        Some(m) if !m.disabled => m,
        Some(_) | None => return Err(OpenLinkError::Closed(Closed::Inactive)),
    };
    let paid_uses = paid_uses_of(store, link.id).await?;
    if let Some(closed) = link.closed(now_ms, paid_uses) {
        return Err(OpenLinkError::Closed(closed));
    }
    Ok((link, merchant))
}

/// Opens a session through the link, for the amount the customer entered
/// (ignored for a fixed amount).
pub async fn open(
    store: &Store,
    opener: &SessionOpener,
    slug: &str,
    entered: Option<&str>,
    now_ms: i64,
) -> Result<Opened, OpenLinkError> {
    let (link, merchant) = visit(store, slug, now_ms).await?;
    let amount = link
        .amount_for(entered, opener.rules().max_amount)
        .map_err(OpenLinkError::Amount)?;
    let n = store.next_link_number(link.id).await?;
    let request = OpenRequest {
        order_id: Some(payment_link::order_id(&link.slug, n)),
        amount,
        shop_domain: opener.rules().platform_domain.clone(),
        customer_email: None,
        return_url: link.return_url,
        cancel_url: None,
        webhook_url: None,
        meta: None,
        routing_hint: None,
        customer_country: None,
        source: SessionSource::Link(link.id),
    };
    Ok(opener.open(&merchant, request).await?)
}
