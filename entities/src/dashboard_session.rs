//! One logged-in dashboard browser: the SHA-256 of its cookie token, its
//! merchant, its CSRF token, and the times that end it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dashboard_sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Lowercase hex SHA-256 of the cookie's token; the token itself is never stored.
    #[sea_orm(unique)]
    pub token_hash: String,
    pub merchant_id: i64,
    pub csrf_token: String,
    pub client_ip: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
