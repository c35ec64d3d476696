//! A merchant account: webhook settings, payout wallet (and a change of it
//! waiting out its cool-off), package, branding (display name, logo URL,
//! accent colour), and the dashboard password (hashed). Its API keys are
//! rows of `api_keys` (see `api_key.rs`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "merchants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub email: String,
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<String>,
    /// The secret being rotated out; also signs until `webhook_secret_previous_until`.
    pub webhook_secret_previous: Option<String>,
    pub webhook_secret_previous_until: Option<i64>,
    /// Set when the endpoint answered 410 Gone; cleared when re-enabled.
    pub webhook_disabled: bool,
    /// Comma-separated event statuses to deliver; `None` means all.
    pub webhook_statuses: Option<String>,
    /// The wallet in force, unless a pending change below has come due.
    pub payout_wallet: Option<String>,
    /// A change waiting out its cool-off (all three set, or none): the
    /// wallet, when it takes effect and when it was asked for (unix ms).
    pub pending_payout_wallet: Option<String>,
    pub pending_payout_wallet_at: Option<i64>,
    pub pending_payout_wallet_requested_at: Option<i64>,
    pub package: String,
    pub checkout_mode: String,
    pub country: Option<String>,
    pub crypto_enabled: bool,
    pub disabled: bool,
    pub display_name: Option<String>,
    /// An `https://` URL, checked when it was saved.
    pub logo_url: Option<String>,
    /// `#rrggbb`, checked when it was saved.
    pub accent_color: Option<String>,
    /// The dashboard password as an argon2id PHC string; `None` until set.
    pub password_hash: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
