//! The index behind the session list's source filter (API, payment link,
//! product page): one merchant's sessions of one source in the list's
//! newest-first keyset order, so a filtered page costs the same at a
//! million sessions as an unfiltered one.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    MerchantId,
    Source,
    CreatedAt,
}

const SOURCE_CREATED: &str = "idx_sessions_merchant_source_created";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(SOURCE_CREATED)
                    .table(Sessions::Table)
                    .col(Sessions::MerchantId)
                    .col(Sessions::Source)
                    .col(Sessions::CreatedAt)
                    .col(Sessions::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(SOURCE_CREATED)
                    .table(Sessions::Table)
                    .to_owned(),
            )
            .await
    }
}
