//! Several API keys per merchant: the `api_keys` table, one row per key
//! (public prefix, SHA-256 hash, optional label, when it was made, last
//! used and revoked), and every merchant's current key copied into it as
//! its first row (`created_at` = the merchant's, no label).
//!
//! The old `merchants.api_key_prefix` / `api_key_hash` columns are dropped by
//! the next migration (`m20261203_000102_drop_merchant_key_columns`), kept
//! apart so a failure there never leaves this table half made.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    MerchantId,
    Prefix,
    Hash,
    Label,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Merchants {
    Table,
    Id,
    ApiKeyPrefix,
    ApiKeyHash,
    CreatedAt,
}

const MERCHANT_INDEX: &str = "idx_api_keys_merchant_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(big_pk_auto(ApiKeys::Id))
                    .col(big_integer(ApiKeys::MerchantId))
                    .col(string_uniq(ApiKeys::Prefix))
                    .col(string(ApiKeys::Hash))
                    .col(string_null(ApiKeys::Label))
                    .col(big_integer(ApiKeys::CreatedAt))
                    .col(big_integer_null(ApiKeys::LastUsedAt))
                    .col(big_integer_null(ApiKeys::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiKeys::Table, ApiKeys::MerchantId)
                            .to(Merchants::Table, Merchants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(MERCHANT_INDEX)
                    .table(ApiKeys::Table)
                    .col(ApiKeys::MerchantId)
                    .to_owned(),
            )
            .await?;
        let copy = Query::insert()
            .into_table(ApiKeys::Table)
            .columns([
                ApiKeys::MerchantId,
                ApiKeys::Prefix,
                ApiKeys::Hash,
                ApiKeys::CreatedAt,
            ])
            .select_from(
                Query::select()
                    .columns([
                        Merchants::Id,
                        Merchants::ApiKeyPrefix,
                        Merchants::ApiKeyHash,
                        Merchants::CreatedAt,
                    ])
                    .from(Merchants::Table)
                    .order_by(Merchants::Id, Order::Asc)
                    .to_owned(),
            )
            .map_err(|e| DbErr::Migration(e.to_string()))?
            .to_owned();
        manager.get_connection().execute(&copy).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApiKeys::Table).to_owned())
            .await
    }
}
