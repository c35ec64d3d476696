//! One signed transaction of a sweep, stored before it is broadcast.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payout_transactions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub sweep_id: i64,
    /// `merchant`, `fee`, `refund` or `topup`.
    pub leg: String,
    pub sender: String,
    pub nonce: i64,
    pub tx_hash: String,
    /// The signed EIP-2718 bytes, `0x` hex.
    pub raw: String,
    pub max_fee_wei: String,
    pub priority_fee_wei: String,
    pub auth_nonce: Option<String>,
    /// `signed`, `broadcast`, `mined`, `reverted` or `replaced`.
    pub state: String,
    pub replaces_id: Option<i64>,
    pub broadcast_block: Option<i64>,
    pub mined_block: Option<i64>,
    pub gas_used: Option<i64>,
    pub gas_price_wei: Option<String>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
