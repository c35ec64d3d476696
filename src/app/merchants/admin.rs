//! What an operator does to merchants (the admin console, and the CLI
//! where it does the same): find them page by page, read one, set its
//! package, checkout mode, country and crypto checkout, its provider allow
//! and block lists and its partner split, and switch it off or on.
//!
//! Every change is checked before anything is written, then audited with
//! only what changed (before and after) under the [`Console`]'s actor. A
//! change reaches the API at once on this node: the merchant cache is
//! dropped by the store, the API keys' cached credentials (which carry the
//! merchant) are forgotten through [`Console::keys`], and a routing change
//! reloads [`Console::router`]. Switching a merchant off also tells other
//! nodes on PostgreSQL to forget its keys (see `store::merchant_search`).
//!
//! Must not: word an error for a person (each door does), or write a
//! merchant's row for a field that did not pass.

use crate::actors::router::Router;
use crate::app::api_keys::{ApiKeySummary, ForgetRevokedKey};
use crate::app::audit_log::record_merchant_update;
use crate::app::routing_admin::{self, RoutingAdminError, RoutingScope};
use crate::domain::audit::AuditActor;
use crate::domain::merchant::Merchant;
use crate::domain::routing::MerchantRules;
use crate::store::merchant_search::ListedMerchant;
use crate::store::merchants::MerchantUpdate;
use crate::store::{Store, StoreError};

use super::{FieldError, MerchantError, fields};

/// Rows per page when the door does not say.
pub const PER_PAGE: u64 = 25;
/// Rows per page at most.
pub const MAX_PER_PAGE: u64 = 500;

/// Who acts, where, and which caches of this node must follow.
#[derive(Clone, Copy)]
pub struct Console<'a> {
    /// The store and what routing changes need.
    pub routing: RoutingScope<'a>,
    /// This node's router, reloaded after a routing change (`None`: the
    /// CLI; running nodes pick the change up within `routing_reload_ms`).
    pub router: Option<&'a Router>,
    /// This node's cache of authenticated API keys (`NoKeyCache`: the CLI).
    pub keys: &'a dyn ForgetRevokedKey,
    pub actor: AuditActor,
    pub now_ms: i64,
}

impl Console<'_> {
    fn store(&self) -> &Store {
        self.routing.store
    }
}

/// Why an operator's merchant call failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No such merchant, a field refused, or the store.
    #[error(transparent)]
    Merchant(#[from] MerchantError),
    /// A provider list or partner split refused, or the routing store.
    #[error(transparent)]
    Routing(#[from] RoutingAdminError),
}

impl From<StoreError> for AdminError {
    fn from(err: StoreError) -> Self {
        AdminError::Merchant(MerchantError::Store(err))
    }
}

impl From<FieldError> for AdminError {
    fn from(err: FieldError) -> Self {
        AdminError::Merchant(MerchantError::Field(err))
    }
}

/// One page of a merchant search, newest first.
#[derive(Debug, Clone)]
pub struct MerchantPage {
    pub rows: Vec<ListedMerchant>,
    /// Merchants matching in all.
    pub total: u64,
    /// 1-based.
    pub page: u64,
    pub per_page: u64,
}

impl MerchantPage {
    /// How many pages the matches fill (at least one).
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(self.per_page).max(1)
    }
}

/// Merchants whose id is `text` or whose e-mail, shop domain or display
/// name contains it (every merchant when it is blank), page `page` (from
/// 1) of `per_page` rows.
pub async fn search(
    store: &Store,
    text: Option<&str>,
    page: u64,
    per_page: u64,
) -> Result<MerchantPage, MerchantError> {
    let per_page = per_page.clamp(1, MAX_PER_PAGE);
    let page = page.max(1);
    let text = text.map(str::trim).filter(|t| !t.is_empty());
    let offset = (page - 1).saturating_mul(per_page);
    let (rows, total) = store.search_merchants(text, offset, per_page).await?;
    Ok(MerchantPage {
        rows,
        total,
        page,
        per_page,
    })
}

/// Everything the merchant page shows.
#[derive(Debug, Clone)]
pub struct MerchantDetail {
    pub listed: ListedMerchant,
    /// The merchant's routing rules (allow/block lists, partner split).
    pub rules: MerchantRules,
    /// The EPv2 partner split switch the merchant follows by default.
    pub partner_split_global: bool,
    /// Its API keys, revoked ones included (never a secret).
    pub keys: Vec<ApiKeySummary>,
}

impl MerchantDetail {
    pub fn merchant(&self) -> &Merchant {
        &self.listed.merchant
    }

    /// Whether partner split applies to this merchant now.
    pub fn partner_split(&self) -> bool {
        self.rules.partner_split(self.partner_split_global)
    }
}

/// One merchant, read from the database (not a cache).
pub async fn detail(scope: &RoutingScope<'_>, id: i64) -> Result<MerchantDetail, AdminError> {
    let listed = listed(scope.store, id).await?;
    let routing = routing_admin::current(scope).await?;
    Ok(MerchantDetail {
        listed,
        rules: routing.config.rules_for(id),
        partner_split_global: routing.config.epv2.partner_split,
        keys: scope.store.list_api_keys(id).await?,
    })
}

async fn listed(store: &Store, id: i64) -> Result<ListedMerchant, MerchantError> {
    store
        .listed_merchant(id)
        .await?
        .ok_or(MerchantError::NotFound(id))
}

/// The plan settings as typed: `None` leaves one alone; a blank country
/// clears it.
#[derive(Debug, Clone, Default)]
pub struct PlanFields {
    pub package: Option<String>,
    pub checkout_mode: Option<String>,
    pub country: Option<String>,
    pub crypto_enabled: Option<bool>,
}

/// Sets package, checkout mode, country and crypto checkout; the merchant
/// afterwards.
pub async fn set_plan(
    console: &Console<'_>,
    id: i64,
    plan: PlanFields,
) -> Result<Merchant, AdminError> {
    let package = plan.package.as_deref().map(fields::package).transpose()?;
    let checkout_mode = plan
        .checkout_mode
        .as_deref()
        .map(fields::checkout_mode)
        .transpose()?;
    let country = match plan.country.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(String::new()),
        Some(raw) => Some(fields::country(raw)?),
    };
    let update = MerchantUpdate {
        package,
        checkout_mode,
        country,
        crypto_enabled: plan.crypto_enabled,
        ..MerchantUpdate::default()
    };
    let before = listed(console.store(), id).await?;
    if !console
        .store()
        .update_merchant(id, update, console.now_ms)
        .await?
    {
        return Err(MerchantError::NotFound(id).into());
    }
    let after = listed(console.store(), id).await?;
    forget_keys(console, id).await?;
    audit(console, &before.merchant, &after.merchant).await?;
    Ok(after.merchant)
}

/// Replaces the merchant's provider allow and block lists (slugs as typed).
pub async fn set_provider_lists<S: AsRef<str>>(
    console: &Console<'_>,
    id: i64,
    allow: &[S],
    block: &[S],
) -> Result<(), AdminError> {
    listed(console.store(), id).await?;
    routing_admin::set_merchant_providers(
        &console.routing,
        console.actor,
        console.now_ms,
        id,
        allow,
        block,
    )
    .await?;
    reload_router(console).await;
    Ok(())
}

/// Sets whether partner split applies to the merchant (`None`: it follows
/// the EPv2 switch).
pub async fn set_partner_split(
    console: &Console<'_>,
    id: i64,
    partner_split: Option<bool>,
) -> Result<(), AdminError> {
    listed(console.store(), id).await?;
    routing_admin::set_merchant_partner_split(
        &console.routing,
        console.actor,
        console.now_ms,
        id,
        partner_split,
    )
    .await?;
    reload_router(console).await;
    Ok(())
}

/// Switches the merchant off (`true`: its next API call answers
/// `merchant_disabled`) or on again; the merchant afterwards.
pub async fn set_disabled(
    console: &Console<'_>,
    id: i64,
    disabled: bool,
) -> Result<Merchant, AdminError> {
    let before = listed(console.store(), id).await?;
    let switched = console
        .store()
        .set_merchant_disabled(id, disabled, console.now_ms)
        .await?
        .ok_or(MerchantError::NotFound(id))?;
    for prefix in &switched.key_prefixes {
        console.keys.forget_key(prefix);
    }
    let after = listed(console.store(), id).await?;
    audit(console, &before.merchant, &after.merchant).await?;
    Ok(after.merchant)
}

/// Forgets the cached credentials of the merchant's keys on this node
/// (they carry the merchant's settings).
async fn forget_keys(console: &Console<'_>, id: i64) -> Result<(), StoreError> {
    for key in console.store().list_api_keys(id).await? {
        console.keys.forget_key(&key.prefix);
    }
    Ok(())
}

async fn audit(
    console: &Console<'_>,
    before: &Merchant,
    after: &Merchant,
) -> Result<(), StoreError> {
    record_merchant_update(
        console.store(),
        console.now_ms,
        console.actor,
        before,
        after,
        &[],
    )
    .await
}

/// Applies a routing change on this node now; a router that does not
/// answer picks it up at its next poll.
async fn reload_router(console: &Console<'_>) {
    if let Some(router) = console.router
        && let Err(why) = router.reload().await
    {
        tracing::warn!(%why, "routing stored; this node's router reloads at its next poll");
    }
}
