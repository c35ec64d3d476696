//! One logged-in browser, a merchant's on the dashboard or an operator's on
//! the admin console (`realm`): the SHA-256 of its cookie token, its owner,
//! its CSRF token, and the times that end it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dashboard_sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Lowercase hex SHA-256 of the cookie's token; the token itself is never stored.
    #[sea_orm(unique)]
    pub token_hash: String,
    /// The merchant's id (realm `merchant`) or the operator's (`operator`).
    pub owner_id: i64,
    pub realm: String,
    /// An operator who gave the password but not yet the TOTP code.
    pub second_factor_pending: bool,
    pub csrf_token: String,
    pub client_ip: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
