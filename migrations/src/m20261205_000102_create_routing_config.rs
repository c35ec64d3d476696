//! Smart Routing in the database. `routing_config` holds one row per
//! version of the live configuration (the highest `version` is in force);
//! every change, credential changes included, adds a row, so every node
//! notices a change by polling `MAX(version)`. `config` is the checked
//! configuration as JSON in the routing file's shape, or NULL while the
//! built-in table is in force (a credential change made before any routing
//! was stored). `provider_credentials` holds on-ramp credentials that
//! override configuration, each value sealed with the secrets key.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RoutingConfig {
    Table,
    Version,
    Config,
    Actor,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ProviderCredentials {
    Table,
    Name,
    Provider,
    Value,
    UpdatedAt,
    UpdatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RoutingConfig::Table)
                    .col(
                        ColumnDef::new(RoutingConfig::Version)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(text_null(RoutingConfig::Config))
                    .col(text(RoutingConfig::Actor))
                    .col(big_integer(RoutingConfig::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProviderCredentials::Table)
                    .col(
                        ColumnDef::new(ProviderCredentials::Name)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(string(ProviderCredentials::Provider))
                    .col(text(ProviderCredentials::Value))
                    .col(big_integer(ProviderCredentials::UpdatedAt))
                    .col(text(ProviderCredentials::UpdatedBy))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ProviderCredentials::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(RoutingConfig::Table).to_owned())
            .await
    }
}
