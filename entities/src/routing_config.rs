//! One version of the live Smart Routing configuration; the highest
//! `version` is in force.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "routing_config")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub version: i64,
    /// The checked configuration as JSON (the routing file's shape); `None`:
    /// the built-in table.
    pub config: Option<String>,
    /// Who made this version (`admin:3`, `cli`, `system`).
    pub actor: String,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
