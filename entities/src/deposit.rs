//! One USDC transfer to a session's deposit address, unique by (tx_hash, log_index).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deposits")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub session_id: i64,
    pub tx_hash: String,
    pub log_index: i64,
    pub amount_usdc: i64,
    pub confirmations: i64,
    pub counted: bool,
    pub observed_at: i64,
    pub block_number: Option<i64>,
    pub block_hash: Option<String>,
    pub from_address: Option<String>,
    /// `seen`, `counted`, `late` (held: after the grace window) or `dropped` (reorg).
    pub state: String,
    /// The sweep that took this deposit out of its address, once one did.
    pub sweep_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
