//! A payment link a merchant shares: a fixed amount or a customer-entered
//! one between bounds, with optional use limit, expiry and return URL.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_links")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub merchant_id: i64,
    #[sea_orm(unique)]
    pub slug: String,
    pub title: String,
    pub description: String,
    /// Fixed amount; NULL when the customer enters it.
    pub amount_minor: Option<i64>,
    pub min_minor: Option<i64>,
    pub max_minor: Option<i64>,
    pub currency: String,
    pub max_uses: Option<i64>,
    pub expires_at: Option<i64>,
    pub return_url: Option<String>,
    pub active: bool,
    /// Sessions opened through the link so far.
    pub opened: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
