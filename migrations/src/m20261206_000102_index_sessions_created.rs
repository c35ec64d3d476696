//! The index behind the chain leader's read of deposit addresses other
//! nodes issued lately (`created_at` from a moment on): without it every
//! range of logs on a shared database would scan every session.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sessions {
    Table,
    CreatedAt,
}

const CREATED: &str = "idx_sessions_created";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(CREATED)
                    .table(Sessions::Table)
                    .col(Sessions::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(CREATED)
                    .table(Sessions::Table)
                    .to_owned(),
            )
            .await
    }
}
