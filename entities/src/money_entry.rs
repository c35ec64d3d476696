//! One double entry of the money journal.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "money_entries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub created_at: i64,
    pub kind: String,
    /// `usdc` (base units) or `wei`.
    pub unit: String,
    /// Decimal text.
    pub amount: String,
    pub debit: String,
    pub credit: String,
    pub session_id: Option<i64>,
    pub deposit_id: Option<i64>,
    pub sweep_id: Option<i64>,
    pub tx_hash: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
