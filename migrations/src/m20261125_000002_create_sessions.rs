//! Checkout sessions, the deposits seen for them, and the counter that hands
//! out HD wallet indexes (one per session, never reused).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    MerchantId,
    HdIndex,
    DepositAddress,
    OrderId,
    AmountMinor,
    Currency,
    ExpectedUsdc,
    ReceivedUsdc,
    Status,
    Version,
    EventCount,
    ShopDomain,
    CustomerEmail,
    ReturnUrl,
    CancelUrl,
    WebhookUrl,
    Meta,
    RoutingHint,
    SelectedProvider,
    RoutingReason,
    TxidIn,
    TxidOut,
    LastError,
    Test,
    CreatedAt,
    ExpiresAt,
    PaidAt,
}

#[derive(DeriveIden)]
enum Merchants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Deposits {
    Table,
    Id,
    SessionId,
    TxHash,
    LogIndex,
    AmountUsdc,
    Confirmations,
    Counted,
    ObservedAt,
}

#[derive(DeriveIden)]
enum Counters {
    Table,
    Name,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(big_integer(Sessions::Id).primary_key())
                    .col(big_integer(Sessions::MerchantId))
                    .col(big_integer_uniq(Sessions::HdIndex))
                    .col(string(Sessions::DepositAddress))
                    .col(string_null(Sessions::OrderId))
                    .col(big_integer(Sessions::AmountMinor))
                    .col(string(Sessions::Currency))
                    .col(big_integer(Sessions::ExpectedUsdc))
                    .col(big_integer(Sessions::ReceivedUsdc).default(0))
                    .col(string(Sessions::Status))
                    .col(big_integer(Sessions::Version))
                    .col(integer(Sessions::EventCount).default(0))
                    .col(string(Sessions::ShopDomain))
                    .col(string_null(Sessions::CustomerEmail))
                    .col(text_null(Sessions::ReturnUrl))
                    .col(text_null(Sessions::CancelUrl))
                    .col(text_null(Sessions::WebhookUrl))
                    .col(text_null(Sessions::Meta))
                    .col(string_null(Sessions::RoutingHint))
                    .col(string_null(Sessions::SelectedProvider))
                    .col(text_null(Sessions::RoutingReason))
                    .col(string_null(Sessions::TxidIn))
                    .col(string_null(Sessions::TxidOut))
                    .col(text_null(Sessions::LastError))
                    .col(boolean(Sessions::Test))
                    .col(big_integer(Sessions::CreatedAt))
                    .col(big_integer(Sessions::ExpiresAt))
                    .col(big_integer_null(Sessions::PaidAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Sessions::Table, Sessions::MerchantId)
                            .to(Merchants::Table, Merchants::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_merchant_order")
                    .table(Sessions::Table)
                    .col(Sessions::MerchantId)
                    .col(Sessions::OrderId)
                    .col(Sessions::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_status_expires")
                    .table(Sessions::Table)
                    .col(Sessions::Status)
                    .col(Sessions::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Deposits::Table)
                    .col(big_pk_auto(Deposits::Id))
                    .col(big_integer(Deposits::SessionId))
                    .col(string(Deposits::TxHash))
                    .col(big_integer(Deposits::LogIndex))
                    .col(big_integer(Deposits::AmountUsdc))
                    .col(big_integer(Deposits::Confirmations))
                    .col(boolean(Deposits::Counted))
                    .col(big_integer(Deposits::ObservedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Deposits::Table, Deposits::SessionId)
                            .to(Sessions::Table, Sessions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_deposits_tx_log")
                    .table(Deposits::Table)
                    .col(Deposits::TxHash)
                    .col(Deposits::LogIndex)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_deposits_session")
                    .table(Deposits::Table)
                    .col(Deposits::SessionId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Counters::Table)
                    .col(string(Counters::Name).primary_key())
                    .col(big_integer(Counters::Value))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(Counters::Table)
                    .columns([Counters::Name, Counters::Value])
                    .values_panic(["hd_index".into(), 0i64.into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Deposits::Table.into_iden(),
            Counters::Table.into_iden(),
            Sessions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
