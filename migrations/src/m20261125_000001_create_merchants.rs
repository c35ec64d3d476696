//! Merchants and the shop domains each one allowlists.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Merchants {
    Table,
    Id,
    Email,
    ApiKeyPrefix,
    ApiKeyHash,
    WebhookUrl,
    WebhookSecret,
    WebhookSecretPrevious,
    WebhookSecretPreviousUntil,
    WebhookDisabled,
    WebhookStatuses,
    PayoutWallet,
    Package,
    CheckoutMode,
    Country,
    CryptoEnabled,
    Disabled,
    DisplayName,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MerchantDomains {
    Table,
    MerchantId,
    Domain,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Merchants::Table)
                    .col(big_pk_auto(Merchants::Id))
                    .col(string(Merchants::Email))
                    .col(string_uniq(Merchants::ApiKeyPrefix))
                    .col(string(Merchants::ApiKeyHash))
                    .col(text_null(Merchants::WebhookUrl))
                    .col(text_null(Merchants::WebhookSecret))
                    .col(text_null(Merchants::WebhookSecretPrevious))
                    .col(big_integer_null(Merchants::WebhookSecretPreviousUntil))
                    .col(boolean(Merchants::WebhookDisabled).default(false))
                    .col(text_null(Merchants::WebhookStatuses))
                    .col(string_null(Merchants::PayoutWallet))
                    .col(string(Merchants::Package))
                    .col(string(Merchants::CheckoutMode))
                    .col(string_null(Merchants::Country))
                    .col(boolean(Merchants::CryptoEnabled))
                    .col(boolean(Merchants::Disabled))
                    .col(string_null(Merchants::DisplayName))
                    .col(big_integer(Merchants::CreatedAt))
                    .col(big_integer(Merchants::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MerchantDomains::Table)
                    .col(big_integer(MerchantDomains::MerchantId))
                    .col(string(MerchantDomains::Domain))
                    .primary_key(
                        Index::create()
                            .col(MerchantDomains::MerchantId)
                            .col(MerchantDomains::Domain),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(MerchantDomains::Table, MerchantDomains::MerchantId)
                            .to(Merchants::Table, Merchants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MerchantDomains::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Merchants::Table).to_owned())
            .await
    }
}
