//! Product rows: create (with a fresh slug), edit, list a merchant's, find
//! one by slug for its landing page, and number the sessions opened by
//! buying it. Another merchant's product is `None`, like a missing one.

use kassa_entities::product;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder,
};

use super::{Store, StoreError};
use crate::domain::money::{Currency, Money};
use crate::domain::product::{Product, ProductDraft};
use crate::domain::slug::Slug;

impl Store {
    /// Stores a new product under `slug`; [`StoreError::Conflict`] when the
    /// slug is taken (the caller draws another).
    pub async fn insert_product(
        &self,
        merchant_id: i64,
        slug: &Slug,
        draft: &ProductDraft,
        now_ms: i64,
    ) -> Result<Product, StoreError> {
        let mut row = product::ActiveModel {
            merchant_id: Set(merchant_id),
            slug: Set(slug.as_str().to_string()),
            opened: Set(0),
            created_at: Set(now_ms),
            ..Default::default()
        };
        fill(&mut row, draft, now_ms);
        to_product(row.insert(self.db()).await?)
    }

    /// Replaces what the merchant sets on its product; `None` when the
    /// merchant has no such product.
    pub async fn update_product(
        &self,
        merchant_id: i64,
        id: i64,
        draft: &ProductDraft,
        now_ms: i64,
    ) -> Result<Option<Product>, StoreError> {
        let Some(row) = self.product_row(merchant_id, id).await? else {
            return Ok(None);
        };
        let mut row = row.into_active_model();
        fill(&mut row, draft, now_ms);
        to_product(row.update(self.db()).await?).map(Some)
    }

    /// The merchant's products, newest first.
    pub async fn products(&self, merchant_id: i64) -> Result<Vec<Product>, StoreError> {
        product::Entity::find()
            .filter(product::Column::MerchantId.eq(merchant_id))
            .order_by_desc(product::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(to_product)
            .collect()
    }

    /// The merchant's product with this id.
    pub async fn product(&self, merchant_id: i64, id: i64) -> Result<Option<Product>, StoreError> {
        self.product_row(merchant_id, id)
            .await?
            .map(to_product)
            .transpose()
    }

    /// Any merchant's product by its slug (its landing page).
    pub async fn product_by_slug(&self, slug: &Slug) -> Result<Option<Product>, StoreError> {
        product::Entity::find()
            .filter(product::Column::Slug.eq(slug.as_str()))
            .one(self.db())
            .await?
            .map(to_product)
            .transpose()
    }

    /// Counts one more session opened by buying the product and returns
    /// its number (1, 2, …).
    pub async fn next_product_number(&self, id: i64) -> Result<i64, StoreError> {
        self.next_opened::<product::Entity>(
            product::Column::Id,
            product::Column::Opened,
            id,
            "product",
        )
        .await
    }

    async fn product_row(
        &self,
        merchant_id: i64,
        id: i64,
    ) -> Result<Option<product::Model>, StoreError> {
        Ok(product::Entity::find_by_id(id)
            .filter(product::Column::MerchantId.eq(merchant_id))
            .one(self.db())
            .await?)
    }
}

fn fill(row: &mut product::ActiveModel, d: &ProductDraft, now_ms: i64) {
    row.name = Set(d.name.clone());
    row.description = Set(d.description.clone());
    row.price_minor = Set(d.price.minor());
    row.currency = Set(d.price.currency().code().to_string());
    row.image_url = Set(d.image_url.clone());
    row.active = Set(d.active);
    row.updated_at = Set(now_ms);
}

fn to_product(row: product::Model) -> Result<Product, StoreError> {
    let unexpected =
        |what: &str| StoreError::Unexpected(anyhow::anyhow!("product {}: {what}", row.id));
    let currency = Currency::parse(&row.currency).map_err(|_| unexpected("bad currency"))?;
    Ok(Product {
        id: row.id,
        merchant_id: row.merchant_id,
        slug: Slug::parse(&row.slug).ok_or_else(|| unexpected("bad slug"))?,
        name: row.name,
        description: row.description,
        price: Money::from_minor(row.price_minor, currency),
        image_url: row.image_url,
        active: row.active,
        created_at_ms: row.created_at,
    })
}
