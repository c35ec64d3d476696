//! One EIP-3009 authorization the sandbox ledger's token consumed, unique by
//! (token, authorizer, nonce), with the transaction that used it (freed when
//! a reorg drops that transaction). Lower-case `0x` hex throughout.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_authorizations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub token: String,
    pub authorizer: String,
    /// The authorization's bytes32 nonce.
    pub nonce: String,
    pub tx_hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
