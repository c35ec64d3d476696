//! One signed transaction the sandbox ledger mined, unique by hash and by
//! (sender, nonce); present only while its block is canonical. Addresses and
//! hashes are lower-case `0x` hex; the gas price is decimal wei text.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_transactions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub tx_hash: String,
    pub sender: String,
    pub nonce: i64,
    pub to_address: String,
    pub block_number: i64,
    /// Receipt status: false when the call reverted (the nonce is used all the same).
    pub success: bool,
    pub gas_used: i64,
    /// Wei per gas paid, decimal text (a u128 does not fit a BIGINT).
    pub effective_gas_price: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::ledger_block::Entity",
        from = "Column::BlockNumber",
        to = "super::ledger_block::Column::Number"
    )]
    Block,
}

impl Related<super::ledger_block::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Block.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
