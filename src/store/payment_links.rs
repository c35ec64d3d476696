//! Payment link rows: create (with a fresh slug), edit, list a merchant's,
//! find one by slug for its public page, number the sessions opened
//! through it, and count its paid uses from the sessions table.
//!
//! Tenancy is part of every merchant-facing query: a link is always looked
//! up together with its merchant, so another merchant's link is `None`.

use std::collections::HashMap;

use kassa_entities::{payment_link, session};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::{Store, StoreError};
use crate::domain::money::{Currency, Money};
use crate::domain::payment_link::{LinkAmount, LinkDraft, PaymentLink};
use crate::domain::session::SessionStatus;
use crate::domain::session_source::SourceKind;
use crate::domain::slug::Slug;

impl Store {
    /// Stores a new link under `slug`; [`StoreError::Conflict`] when the
    /// slug is taken (the caller draws another).
    pub async fn insert_payment_link(
        &self,
        merchant_id: i64,
        slug: &Slug,
        draft: &LinkDraft,
        now_ms: i64,
    ) -> Result<PaymentLink, StoreError> {
        let mut row = payment_link::ActiveModel {
            merchant_id: Set(merchant_id),
            slug: Set(slug.as_str().to_string()),
            opened: Set(0),
            created_at: Set(now_ms),
            ..Default::default()
        };
        fill(&mut row, draft, now_ms);
        let row = row.insert(self.db()).await?;
        to_link(row)
    }

    /// Replaces what the merchant sets on its link; `None` when the merchant
    /// has no such link.
    pub async fn update_payment_link(
        &self,
        merchant_id: i64,
        id: i64,
        draft: &LinkDraft,
        now_ms: i64,
    ) -> Result<Option<PaymentLink>, StoreError> {
        let Some(row) = self.link_row(merchant_id, id).await? else {
            return Ok(None);
        };
        let mut row = row.into_active_model();
        fill(&mut row, draft, now_ms);
        let row = row.update(self.db()).await?;
        to_link(row).map(Some)
    }

    /// The merchant's links, newest first.
    pub async fn payment_links(&self, merchant_id: i64) -> Result<Vec<PaymentLink>, StoreError> {
        payment_link::Entity::find()
            .filter(payment_link::Column::MerchantId.eq(merchant_id))
            .order_by_desc(payment_link::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(to_link)
            .collect()
    }

    /// The merchant's link with this id.
    pub async fn payment_link(
        &self,
        merchant_id: i64,
        id: i64,
    ) -> Result<Option<PaymentLink>, StoreError> {
        self.link_row(merchant_id, id)
            .await?
            .map(to_link)
            .transpose()
    }

    /// Any merchant's link by its slug (its public page).
    pub async fn payment_link_by_slug(
        &self,
        slug: &Slug,
    ) -> Result<Option<PaymentLink>, StoreError> {
        payment_link::Entity::find()
            .filter(payment_link::Column::Slug.eq(slug.as_str()))
            .one(self.db())
            .await?
            .map(to_link)
            .transpose()
    }

    /// Counts one more session opened through the link and returns its
    /// number (1, 2, …), in one transaction so no two sessions share one.
    pub async fn next_link_number(&self, id: i64) -> Result<i64, StoreError> {
        self.next_opened::<payment_link::Entity>(
            payment_link::Column::Id,
            payment_link::Column::Opened,
            id,
            "payment link",
        )
        .await
    }

    /// Paid sessions per link or product id (`kind` says which), for the
    /// ids given; an id without any is absent.
    pub async fn paid_uses(
        &self,
        kind: SourceKind,
        ids: &[i64],
    ) -> Result<HashMap<i64, u64>, StoreError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<(Option<i64>, i64)> = session::Entity::find()
            .select_only()
            .column(session::Column::SourceId)
            .column_as(session::Column::Id.count(), "uses")
            .filter(session::Column::Source.eq(kind.as_str()))
            .filter(session::Column::SourceId.is_in(ids.iter().copied()))
            .filter(session::Column::Status.eq(SessionStatus::Paid.as_str()))
            .group_by(session::Column::SourceId)
            .into_tuple()
            .all(self.db())
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, n)| Some((id?, u64::try_from(n).unwrap_or(0))))
            .collect())
    }

    async fn link_row(
        &self,
        merchant_id: i64,
        id: i64,
    ) -> Result<Option<payment_link::Model>, StoreError> {
        Ok(payment_link::Entity::find_by_id(id)
            .filter(payment_link::Column::MerchantId.eq(merchant_id))
            .one(self.db())
            .await?)
    }
}

fn fill(row: &mut payment_link::ActiveModel, d: &LinkDraft, now_ms: i64) {
    let (amount, min, max) = match d.amount {
        LinkAmount::Fixed(m) => (Some(m.minor()), None, None),
        LinkAmount::Open { min, max } => (None, Some(min.minor()), Some(max.minor())),
    };
    row.title = Set(d.title.clone());
    row.description = Set(d.description.clone());
    row.amount_minor = Set(amount);
    row.min_minor = Set(min);
    row.max_minor = Set(max);
    row.currency = Set(d.amount.currency().code().to_string());
    row.max_uses = Set(d.max_uses.map(i64::from));
    row.expires_at = Set(d.expires_at_ms);
    row.return_url = Set(d.return_url.clone());
    row.active = Set(d.active);
    row.updated_at = Set(now_ms);
}

fn to_link(row: payment_link::Model) -> Result<PaymentLink, StoreError> {
    let unexpected =
        |what: &str| StoreError::Unexpected(anyhow::anyhow!("payment link {}: {what}", row.id));
    let currency = Currency::parse(&row.currency).map_err(|_| unexpected("bad currency"))?;
    let money = |minor| Money::from_minor(minor, currency);
    let amount = match (row.amount_minor, row.min_minor, row.max_minor) {
        (Some(a), _, _) => LinkAmount::Fixed(money(a)),
        (None, Some(min), Some(max)) => LinkAmount::Open {
            min: money(min),
            max: money(max),
        },
        (None, _, _) => return Err(unexpected("no amount and no bounds")),
    };
    Ok(PaymentLink {
        id: row.id,
        merchant_id: row.merchant_id,
        slug: Slug::parse(&row.slug).ok_or_else(|| unexpected("bad slug"))?,
        title: row.title,
        description: row.description,
        amount,
        max_uses: row.max_uses.and_then(|n| u32::try_from(n).ok()),
        expires_at_ms: row.expires_at,
        return_url: row.return_url,
        active: row.active,
        created_at_ms: row.created_at,
    })
}
