//! One line of the operators' audit log: who changed what, with the state
//! before and after as JSON text (secrets redacted before they are written).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at_ms: i64,
    /// `admin:<id>`, `cli` or `system`.
    pub actor: String,
    /// `routing.import`, `credential.set`, `merchant.update`, …
    pub action: String,
    /// What was changed (`routing`, `credential:moonpay_api_key`, `merchant:7`).
    pub subject: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
