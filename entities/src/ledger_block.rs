//! One block of the sandbox ledger: its number, hash and parent's hash
//! (lower-case `0x` hex). Block 0 is the genesis, inserted by the migration.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_blocks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub number: i64,
    #[sea_orm(unique)]
    pub hash: String,
    pub parent_hash: String,
    pub mined_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::ledger_transfer::Entity")]
    Transfers,
}

impl Related<super::ledger_transfer::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Transfers.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
