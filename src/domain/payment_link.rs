//! A payment link (`/l/{slug}`): what it asks for (a fixed amount, or an
//! amount the customer enters between a minimum and a maximum), and the
//! rules of opening it — whether it still takes new sessions (active, not
//! expired, not used up) and which amount a customer's entry stands for.
//!
//! Pure: the store counts paid uses and hands them in; this module must not
//! do I/O or know about forms.

use rust_decimal::Decimal;

use super::money::{Currency, Money};
use super::slug::Slug;

/// What a link asks the customer to pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkAmount {
    Fixed(Money),
    /// The customer enters an amount from `min` to `max` (same currency).
    Open {
        min: Money,
        max: Money,
    },
}

impl LinkAmount {
    pub fn currency(&self) -> Currency {
        match self {
            LinkAmount::Fixed(m) | LinkAmount::Open { min: m, .. } => m.currency(),
        }
    }
}

/// A stored payment link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentLink {
    pub id: i64,
    pub merchant_id: i64,
    pub slug: Slug,
    pub title: String,
    pub description: String,
    pub amount: LinkAmount,
    /// Paid sessions after which the link stops taking new ones.
    pub max_uses: Option<u32>,
    pub expires_at_ms: Option<i64>,
    /// Where the customer lands after paying (`https://`).
    pub return_url: Option<String>,
    pub active: bool,
    pub created_at_ms: i64,
}

/// What a merchant sets on a link (checked by `app::links`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkDraft {
    pub title: String,
    pub description: String,
    pub amount: LinkAmount,
    pub max_uses: Option<u32>,
    pub expires_at_ms: Option<i64>,
    pub return_url: Option<String>,
    pub active: bool,
}

/// Why a link takes no new sessions (HTTP 410 on its page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    Inactive,
    Expired,
    UsedUp,
}

/// Why a customer's amount was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountRefused {
    /// Not a plain positive amount with at most the currency's decimals.
    Unreadable,
    BelowMinimum(Money),
    AboveMaximum(Money),
}

impl PaymentLink {
    /// Why the link takes no new sessions at `now_ms` with `paid_uses`
    /// paid sessions, or `None` when it does. Inactive wins over expired,
    /// expired over used up (the merchant's choice is the clearest reason).
    pub fn closed(&self, now_ms: i64, paid_uses: u64) -> Option<Closed> {
        if !self.active {
            Some(Closed::Inactive)
        } else if self.expires_at_ms.is_some_and(|at| now_ms >= at) {
            Some(Closed::Expired)
        } else if self.max_uses.is_some_and(|max| paid_uses >= u64::from(max)) {
            Some(Closed::UsedUp)
        } else {
            None
        }
    }

    /// The amount of a new session: the fixed one (anything typed is
    /// ignored), or what the customer `entered` if within the bounds.
    pub fn amount_for(&self, entered: Option<&str>, max: Decimal) -> Result<Money, AmountRefused> {
        match self.amount {
            LinkAmount::Fixed(m) => Ok(m),
            LinkAmount::Open { min, max: upper } => {
                let typed = entered.unwrap_or_default();
                let m = Money::parse_text(typed, upper.currency(), max)
                    .map_err(|_| AmountRefused::Unreadable)?;
                if m.minor() < min.minor() {
                    Err(AmountRefused::BelowMinimum(min))
                } else if m.minor() > upper.minor() {
                    Err(AmountRefused::AboveMaximum(upper))
                } else {
                    Ok(m)
                }
            }
        }
    }
}

/// The `order_id` of the link's `n`-th session: `LINK-{slug}-{n}`.
pub fn order_id(slug: &Slug, n: i64) -> String {
    format!("LINK-{slug}-{n}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn eur(minor: i64) -> Money {
        Money::from_minor(minor, Currency::parse("EUR").unwrap())
    }

    fn link(amount: LinkAmount) -> PaymentLink {
        PaymentLink {
            id: 1,
            merchant_id: 1,
            slug: Slug::parse("spring-sale").unwrap(),
            title: "Spring sale".into(),
            description: String::new(),
            amount,
            max_uses: Some(2),
            expires_at_ms: Some(1_000),
            return_url: None,
            active: true,
            created_at_ms: 0,
        }
    }

    const MAX: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

    #[test]
    fn an_open_link_before_expiry_and_below_its_uses_takes_sessions() {
        assert_eq!(link(LinkAmount::Fixed(eur(500))).closed(999, 1), None);
    }

    #[test]
    fn a_link_closes_at_its_expiry_at_its_last_use_and_when_disabled() {
        let mut l = link(LinkAmount::Fixed(eur(500)));
        assert_eq!(l.closed(1_000, 0), Some(Closed::Expired));
        assert_eq!(l.closed(0, 2), Some(Closed::UsedUp));
        l.active = false;
        assert_eq!(l.closed(1_000, 2), Some(Closed::Inactive));
        l.active = true;
        l.max_uses = None;
        l.expires_at_ms = None;
        assert_eq!(l.closed(i64::MAX, u64::MAX), None);
    }

    #[test]
    fn a_fixed_link_ignores_what_was_typed() {
        let l = link(LinkAmount::Fixed(eur(500)));
        assert_eq!(l.amount_for(Some("1"), MAX), Ok(eur(500)));
        assert_eq!(l.amount_for(None, MAX), Ok(eur(500)));
    }

    #[test]
    fn a_customer_amount_must_lie_within_the_bounds_inclusive() {
        let l = link(LinkAmount::Open {
            min: eur(500),
            max: eur(10_000),
        });
        assert_eq!(l.amount_for(Some("5"), MAX), Ok(eur(500)));
        assert_eq!(l.amount_for(Some("100.00"), MAX), Ok(eur(10_000)));
        assert_eq!(
            l.amount_for(Some("4.99"), MAX),
            Err(AmountRefused::BelowMinimum(eur(500)))
        );
        assert_eq!(
            l.amount_for(Some("100.01"), MAX),
            Err(AmountRefused::AboveMaximum(eur(10_000)))
        );
        assert_eq!(
            l.amount_for(Some("ten"), MAX),
            Err(AmountRefused::Unreadable)
        );
        assert_eq!(l.amount_for(None, MAX), Err(AmountRefused::Unreadable));
    }

    #[test]
    fn order_ids_name_the_link_and_the_session_number() {
        assert_eq!(
            order_id(&Slug::parse("spring-sale").unwrap(), 3),
            "LINK-spring-sale-3"
        );
    }
}
