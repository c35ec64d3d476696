//! Payment links: one row per link a merchant shares (`/l/{slug}`). The
//! amount is either fixed (`amount_minor`) or entered by the customer
//! between `min_minor` and `max_minor`, all in `currency`'s minor units.
//! `opened` counts the sessions opened through the link (their order ids
//! are numbered from it); paid uses are counted from the sessions table.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PaymentLinks {
    Table,
    Id,
    MerchantId,
    Slug,
    Title,
    Description,
    AmountMinor,
    MinMinor,
    MaxMinor,
    Currency,
    MaxUses,
    ExpiresAt,
    ReturnUrl,
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

const MERCHANT_INDEX: &str = "idx_payment_links_merchant_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PaymentLinks::Table)
                    .col(big_pk_auto(PaymentLinks::Id))
                    .col(big_integer(PaymentLinks::MerchantId))
                    .col(string_uniq(PaymentLinks::Slug))
                    .col(string(PaymentLinks::Title))
                    .col(text(PaymentLinks::Description).default(""))
                    .col(big_integer_null(PaymentLinks::AmountMinor))
                    .col(big_integer_null(PaymentLinks::MinMinor))
                    .col(big_integer_null(PaymentLinks::MaxMinor))
                    .col(string(PaymentLinks::Currency))
                    .col(big_integer_null(PaymentLinks::MaxUses))
                    .col(big_integer_null(PaymentLinks::ExpiresAt))
                    .col(text_null(PaymentLinks::ReturnUrl))
                    .col(boolean(PaymentLinks::Active).default(true))
                    .col(big_integer(PaymentLinks::Opened).default(0))
                    .col(big_integer(PaymentLinks::CreatedAt))
                    .col(big_integer(PaymentLinks::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PaymentLinks::Table, PaymentLinks::MerchantId)
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
                    .table(PaymentLinks::Table)
                    .col(PaymentLinks::MerchantId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PaymentLinks::Table).to_owned())
            .await
    }
}
