//! Where a session came from: `source` is `api` (the merchant API, and every
//! session made before this migration), `link` (a payment link) or `product`
//! (a product page); `source_id` is the link's or product's id, NULL for the
//! API. The index serves "paid uses of this link" and the source filter.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Source,
    SourceId,
    Status,
}

const SOURCE_INDEX: &str = "idx_sessions_source";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE statement.
        for column in [
            text(Sessions::Source).default("api").to_owned(),
            big_integer_null(Sessions::SourceId),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Sessions::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name(SOURCE_INDEX)
                    .table(Sessions::Table)
                    .col(Sessions::Source)
                    .col(Sessions::SourceId)
                    .col(Sessions::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(SOURCE_INDEX)
                    .table(Sessions::Table)
                    .to_owned(),
            )
            .await?;
        for column in [Sessions::SourceId, Sessions::Source] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Sessions::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
