//! An operator's request the server carries out: retry a sweep, forward or refund held money.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payout_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `retry`, `forward` or `refund`.
    pub action: String,
    pub sweep_id: Option<i64>,
    pub deposit_id: Option<i64>,
    pub destination: Option<String>,
    pub requested_by: String,
    pub requested_at: i64,
    pub done_at: Option<i64>,
    pub outcome: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
