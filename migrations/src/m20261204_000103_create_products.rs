//! Products with a landing page (`/p/{slug}`): name, description, price in
//! `currency`'s minor units, an optional image URL and whether it is on
//! sale. `opened` counts the sessions opened by buying it (their order ids
//! are numbered from it).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    MerchantId,
    Slug,
    Name,
    Description,
    PriceMinor,
    Currency,
    ImageUrl,
    Active,
    Opened,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Merchants {
    Table,
    Id,
}

const MERCHANT_INDEX: &str = "idx_products_merchant_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .col(big_pk_auto(Products::Id))
                    .col(big_integer(Products::MerchantId))
                    .col(string_uniq(Products::Slug))
                    .col(string(Products::Name))
                    .col(text(Products::Description).default(""))
                    .col(big_integer(Products::PriceMinor))
                    .col(string(Products::Currency))
                    .col(text_null(Products::ImageUrl))
                    .col(boolean(Products::Active).default(true))
                    .col(big_integer(Products::Opened).default(0))
                    .col(big_integer(Products::CreatedAt))
                    .col(big_integer(Products::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Products::Table, Products::MerchantId)
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
                    .table(Products::Table)
                    .col(Products::MerchantId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Products::Table).to_owned())
            .await
    }
}
