//! Opening a checkout session: the one way every door creates one (the
//! merchant API, payment links, product pages), so their rules cannot drift.
//!
//! [`SessionOpener::open`] prices the amount in USDC, sets the expiry, checks
//! the merchant's payout wallet, asks Smart Routing for its decision (and
//! refuses a hint that goes straight to a provider needing the customer's
//! e-mail when there is none), then has the creator store the session with
//! its deposit address and its routing decision in one insert. Only then is
//! the chosen provider's URL built, as it needs the session's id and address.
//!
//! Doors parse their own input into an [`OpenRequest`]; this module must not
//! know about HTTP, forms or JSON, and must not write the session a second time.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;

use crate::actors::creator::CreateError;
use crate::actors::handle::Sessions;
use crate::actors::router::{RouteDecision, RouteQuestion, Router, SessionTarget};
use crate::clock::SharedClock;
use crate::domain::checkout_session::{NewSession, SessionRecord};
use crate::domain::email::Email;
use crate::domain::merchant::{Merchant, PayoutWalletProblem};
use crate::domain::money::{Money, UsdcAmount};
use crate::domain::session_source::SessionSource;
use crate::domain::shop_domain::{InvalidDomain, ShopDomain};

/// The operator's rules for every new session.
#[derive(Debug, Clone)]
pub struct SessionRules {
    /// USDC per unit of fiat, by upper-case currency code.
    pub rates: BTreeMap<&'static str, Decimal>,
    /// The largest amount a session may ask for, in any currency.
    pub max_amount: Decimal,
    /// How long a session stays open.
    pub lifetime: Duration,
    /// Sessions are marked `test` in sandbox mode.
    pub sandbox: bool,
    /// The `shop_domain` of sessions opened on the platform's own pages
    /// (payment links, product pages): the public URL's host.
    pub platform_domain: ShopDomain,
}

/// The platform's shop domain for `public_base`: its host, or
/// `kassa.localhost` when that is an address or a single label (a
/// development setup on loopback).
pub fn platform_domain(public_base: &str) -> Result<ShopDomain, InvalidDomain> {
    ShopDomain::parse(public_base).or_else(|_| ShopDomain::parse("kassa.localhost"))
}

/// What a door asks for, already parsed into domain values.
#[derive(Debug, Clone)]
pub struct OpenRequest {
    pub order_id: Option<String>,
    pub amount: Money,
    pub shop_domain: ShopDomain,
    pub customer_email: Option<Email>,
    pub return_url: Option<String>,
    pub cancel_url: Option<String>,
    pub webhook_url: Option<String>,
    /// The `meta` object as sent (JSON text).
    pub meta: Option<String>,
    /// The normalised routing hint, if any.
    pub routing_hint: Option<String>,
    /// Upper-case ISO alpha-2, when known.
    pub customer_country: Option<String>,
    /// The door the session is opened through.
    pub source: SessionSource,
}

/// A stored session, with what routing made of its hint.
#[derive(Debug, Clone)]
pub struct Opened {
    pub record: SessionRecord,
    pub route: RouteDecision,
    /// The chosen provider's URL; `None`: send the customer to checkout.
    pub direct_url: Option<String>,
}

/// Why a session was not opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("no exchange rate is configured for {0}")]
    NoRate(&'static str),
    #[error("the amount is above the maximum or too large to price")]
    AmountTooLarge,
    #[error("the merchant has no payout wallet")]
    MissingPayoutWallet,
    #[error("the merchant's payout wallet is not a valid address")]
    InvalidPayoutWallet,
    /// The hint goes straight to a provider that needs the customer's e-mail.
    #[error("{provider} needs the customer's e-mail")]
    EmailRequired { provider: &'static str },
    #[error("the database is unavailable")]
    Unavailable,
    #[error("the session could not be created: {0}")]
    Failed(CreateError),
}

impl From<CreateError> for OpenError {
    fn from(err: CreateError) -> Self {
        match err {
            CreateError::Unavailable => OpenError::Unavailable,
            other @ (CreateError::Wallet(_) | CreateError::Failed(_) | CreateError::Stopped) => {
                OpenError::Failed(other)
            }
        }
    }
}

/// The handles and rules a session is opened with (cheap to clone).
#[derive(Clone)]
pub struct SessionOpener {
    sessions: Sessions,
    router: Router,
    clock: SharedClock,
    rules: Arc<SessionRules>,
}

impl std::fmt::Debug for SessionOpener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionOpener")
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
}

impl SessionOpener {
    pub fn new(
        sessions: Sessions,
        router: Router,
        clock: SharedClock,
        rules: SessionRules,
    ) -> Self {
        Self {
            sessions,
            router,
            clock,
            rules: Arc::new(rules),
        }
    }

    /// The operator's rules (doors check customer-entered amounts against them).
    pub fn rules(&self) -> &SessionRules {
        &self.rules
    }

    /// Opens a session for `merchant`; answered once it is committed.
    pub async fn open(&self, merchant: &Merchant, req: OpenRequest) -> Result<Opened, OpenError> {
        let expected = self.price(req.amount)?;
        let now_ms = self.clock.now_ms();
        match merchant.payout_wallet(now_ms) {
            Ok(_) => {}
            Err(PayoutWalletProblem::Missing) => return Err(OpenError::MissingPayoutWallet),
            Err(PayoutWalletProblem::Invalid) => return Err(OpenError::InvalidPayoutWallet),
        }
        let route = self
            .router
            .decide(RouteQuestion {
                merchant: merchant.clone(),
                hint: req.routing_hint.clone(),
                country: req.customer_country.clone(),
                fiat: req.amount,
            })
            .await;
        if req.routing_hint.is_some()
            && req.customer_email.is_none()
            && let Some(provider) = route.selected_provider
            && provider.wants_email()
        {
            return Err(OpenError::EmailRequired {
                provider: provider.as_str(),
            });
        }
        let lifetime_ms = i64::try_from(self.rules.lifetime.as_millis()).unwrap_or(i64::MAX);
        let routed = req.routing_hint.is_some();
        let record = self
            .sessions
            .create(NewSession {
                merchant_id: merchant.id,
                order_id: req.order_id,
                amount: req.amount,
                expected,
                shop_domain: req.shop_domain,
                customer_email: req.customer_email,
                return_url: req.return_url,
                cancel_url: req.cancel_url,
                webhook_url: req.webhook_url,
                meta: req.meta,
                routing_hint: req.routing_hint,
                selected_provider: routed
                    .then(|| route.selected_provider.map(|p| p.as_str().to_string()))
                    .flatten(),
                routing_reason: routed.then(|| route.description.clone()),
                source: req.source,
                test: self.rules.sandbox,
                created_at_ms: now_ms,
                expires_at_ms: now_ms.saturating_add(lifetime_ms),
            })
            .await?;
        let target = SessionTarget {
            session_id: record.id,
            deposit_address: record.deposit_address.checksummed(),
            fiat: record.amount,
            email: record
                .customer_email
                .as_ref()
                .map(|e| e.as_str().to_string()),
            return_url: record.return_url.clone(),
            country: req.customer_country,
        };
        let direct_url = self.router.direct_url(&route, target).await;
        Ok(Opened {
            record,
            route,
            direct_url,
        })
    }

    /// The USDC owed for `amount` at the configured rate.
    pub fn price(&self, amount: Money) -> Result<UsdcAmount, OpenError> {
        let code = amount.currency().code();
        let rate = self.rules.rates.get(code).ok_or(OpenError::NoRate(code))?;
        if amount.amount() > self.rules.max_amount {
            return Err(OpenError::AmountTooLarge);
        }
        UsdcAmount::from_fiat(amount.amount(), *rate).ok_or(OpenError::AmountTooLarge)
    }
}
