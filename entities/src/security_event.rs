//! One line of a merchant's security log: a login, a failed login or a
//! settings change, with the client address it came from.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "security_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub merchant_id: i64,
    /// `login`, `login_failed`, `logout`, `signup`, `domains_changed`, …
    pub kind: String,
    /// A short human-readable detail; never a secret.
    pub detail: String,
    pub client_ip: String,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
