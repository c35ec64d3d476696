//! Merchant branding on the hosted pages: a logo URL and an accent colour
//! beside the display name the merchants table already has. Both nullable:
//! a merchant without them keeps Kassa's own look.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Merchants {
    Table,
    LogoUrl,
    AccentColor,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one column change per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(Merchants::Table)
                    .add_column(text_null(Merchants::LogoUrl))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Merchants::Table)
                    .add_column(string_null(Merchants::AccentColor))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Merchants::Table)
                    .drop_column(Merchants::AccentColor)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Merchants::Table)
                    .drop_column(Merchants::LogoUrl)
                    .to_owned(),
            )
            .await
    }
}
