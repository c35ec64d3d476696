//! An on-ramp credential stored in the database (overriding configuration),
//! its value sealed with the secrets key.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "provider_credentials")]
pub struct Model {
    /// The setting it stands for (`moonpay_api_key`, `partner_id`, …).
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// The provider slug it serves.
    pub provider: String,
    /// Sealed (`v1:…`), never the clear value.
    pub value: String,
    pub updated_at: i64,
    pub updated_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
