//! An operator of the admin console.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "operators")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Lower case, unique.
    #[sea_orm(unique)]
    pub email: String,
    /// Argon2id (PHC string).
    pub password_hash: String,
    /// Sealed (`v1:…`) base32 TOTP secret; NULL before enrolment began.
    pub totp_secret: Option<String>,
    /// A first code was accepted: every login asks for one.
    pub totp_enabled: bool,
    /// The time step of the last accepted code (no code is used twice).
    pub totp_last_step: Option<i64>,
    pub failed_logins: i64,
    pub last_failed_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
