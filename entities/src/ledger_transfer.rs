//! One token transfer on the sandbox ledger, unique by (tx_hash, log_index);
//! addresses are lower-case `0x` hex, the amount is token base units.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_transfers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub block_number: i64,
    pub tx_hash: String,
    pub log_index: i64,
    pub token: String,
    pub from_address: String,
    pub to_address: String,
    pub amount: i64,
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
