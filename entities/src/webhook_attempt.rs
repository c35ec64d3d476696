//! One delivery attempt of a webhook event: when, where, and what came back.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_attempts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub event_row_id: i64,
    pub event_id: String,
    pub session_id: i64,
    pub attempt: i32,
    pub url: String,
    /// When the attempt was due (`next_attempt_at`), to audit the schedule.
    pub scheduled_at: i64,
    pub started_at: i64,
    pub http_status: Option<i32>,
    pub latency_ms: i64,
    pub error: Option<String>,
    pub response_snippet: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
