//! The merchant dashboard's account sessions and security log.
//!
//! `dashboard_sessions`: one row per logged-in browser. The cookie carries a
//! random token; only its SHA-256 is stored (`token_hash`), so a copy of the
//! database does not let anyone log in. `csrf_token` is the synchronizer
//! token every form of that session must echo. `last_seen_at` drives the
//! idle timeout, `created_at` the absolute one.
//!
//! `security_events`: what the merchant's security log shows (logins, failed
//! logins, every settings change): who, when, from which address. Failed
//! logins are also what login throttling counts per account, so the count
//! holds across nodes; hence the index on (merchant_id, kind, created_at).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DashboardSessions {
    Table,
    Id,
    TokenHash,
    MerchantId,
    CsrfToken,
    ClientIp,
    CreatedAt,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum SecurityEvents {
    Table,
    Id,
    MerchantId,
    Kind,
    Detail,
    ClientIp,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DashboardSessions::Table)
                    .if_not_exists()
                    .col(big_pk_auto(DashboardSessions::Id))
                    .col(string_uniq(DashboardSessions::TokenHash))
                    .col(big_integer(DashboardSessions::MerchantId))
                    .col(string(DashboardSessions::CsrfToken))
                    .col(string(DashboardSessions::ClientIp))
                    .col(big_integer(DashboardSessions::CreatedAt))
                    .col(big_integer(DashboardSessions::LastSeenAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_dashboard_sessions_merchant")
                    .table(DashboardSessions::Table)
                    .col(DashboardSessions::MerchantId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SecurityEvents::Table)
                    .if_not_exists()
                    .col(big_pk_auto(SecurityEvents::Id))
                    .col(big_integer(SecurityEvents::MerchantId))
                    .col(string(SecurityEvents::Kind))
                    .col(text(SecurityEvents::Detail))
                    .col(string(SecurityEvents::ClientIp))
                    .col(big_integer(SecurityEvents::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_security_events_merchant_kind_time")
                    .table(SecurityEvents::Table)
                    .col(SecurityEvents::MerchantId)
                    .col(SecurityEvents::Kind)
                    .col(SecurityEvents::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SecurityEvents::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(DashboardSessions::Table).to_owned())
            .await
    }
}
