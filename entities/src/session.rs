//! A checkout session: what is owed, where it is paid, and where it stands.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub merchant_id: i64,
    pub hd_index: i64,
    pub deposit_address: String,
    pub order_id: Option<String>,
    pub amount_minor: i64,
    pub currency: String,
    pub expected_usdc: i64,
    pub received_usdc: i64,
    pub status: String,
    pub version: i64,
    pub event_count: i32,
    pub shop_domain: String,
    pub customer_email: Option<String>,
    pub return_url: Option<String>,
    pub cancel_url: Option<String>,
    pub webhook_url: Option<String>,
    pub meta: Option<String>,
    pub routing_hint: Option<String>,
    pub selected_provider: Option<String>,
    /// Why routing chose (or did not choose) a provider for the session's hint.
    pub routing_reason: Option<String>,
    pub txid_in: Option<String>,
    pub txid_out: Option<String>,
    pub last_error: Option<String>,
    pub test: bool,
    pub created_at: i64,
    pub expires_at: i64,
    pub paid_at: Option<i64>,
    /// `api`, `link` or `product`: where the session was opened.
    pub source: String,
    /// The payment link's or product's id; NULL for `api`.
    pub source_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
