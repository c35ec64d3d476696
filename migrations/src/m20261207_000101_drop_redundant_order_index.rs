//! Drops `idx_sessions_merchant_order` (`merchant_id, order_id, created_at`):
//! `idx_sessions_merchant_order_created` holds the same columns first and
//! serves every lookup it served, so it only cost each created session one
//! more index entry to write.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sessions {
    Table,
    MerchantId,
    OrderId,
    CreatedAt,
}

const ORDER: &str = "idx_sessions_merchant_order";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(ORDER).table(Sessions::Table).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(ORDER)
                    .table(Sessions::Table)
                    .col(Sessions::MerchantId)
                    .col(Sessions::OrderId)
                    .col(Sessions::CreatedAt)
                    .to_owned(),
            )
            .await
    }
}
