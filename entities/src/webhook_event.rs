//! The webhook outbox: one event of one session, and its delivery state.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub event_id: String,
    pub session_id: i64,
    pub merchant_id: i64,
    pub sequence: i32,
    pub status: String,
    pub payload: String,
    /// The session's own webhook URL, if it had one; else the merchant's at delivery time.
    pub target_url: Option<String>,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
    pub last_error: Option<String>,
    /// The node delivering the event right now (see `claim_until`); NULL while nobody is.
    pub claimed_by: Option<String>,
    /// When the claim lapses (unix ms) and another node may take the event over.
    pub claim_until: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
