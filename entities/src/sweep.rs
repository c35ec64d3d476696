//! One movement of money out of a deposit address, keyed (session_id, sequence).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sweeps")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub session_id: i64,
    pub sequence: i32,
    pub merchant_id: i64,
    /// `sweep`, `forward` or `refund`.
    pub kind: String,
    pub deposit_address: String,
    pub hd_index: i64,
    pub destination: String,
    pub fee_wallet: Option<String>,
    pub amount_units: i64,
    pub fee_units: i64,
    /// `eip3009` or `topup`.
    pub method: String,
    pub lane: String,
    /// `queued`, `sending`, `sent` or `failed`.
    pub state: String,
    pub txid_out: Option<String>,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub announced_at: Option<i64>,
    pub requested_by: Option<String>,
    /// POL (wei, decimal) left on the deposit address after a top-up sweep.
    pub leftover_wei: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
