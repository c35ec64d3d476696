//! Merchant rows: create (with its first API key), update, list. The keys
//! themselves live in `api_keys` (see `store::api_keys`).

use kassa_entities::{merchant, merchant_domain};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};

use super::api_keys::{NewKeyRow, insert_key, revoke_all_but};
use super::merchant_rows::to_merchant;
use super::{Store, StoreError};
use crate::domain::branding::{AccentColor, Branding, DisplayName, LogoUrl};
use crate::domain::merchant::{CheckoutMode, Merchant, Package};
use crate::domain::secret_box::Purpose;

/// What creating a merchant needs (secrets already generated or chosen).
#[derive(Debug, Clone)]
pub struct NewMerchant {
    pub email: String,
    pub api_key_id: String,
    pub api_key_hash: String,
    pub domains: Vec<String>,
    pub payout_wallet: Option<String>,
    pub package: Package,
    pub checkout_mode: CheckoutMode,
    pub country: Option<String>,
    pub crypto_enabled: bool,
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<String>,
    pub branding: Branding,
    /// The dashboard password's argon2id PHC string, when one was chosen.
    pub password_hash: Option<String>,
}

/// A partial update: `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct MerchantUpdate {
    pub email: Option<String>,
    pub domains: Option<Vec<String>>,
    /// Sets the wallet in force at once, past any cool-off (seeding and
    /// tests); a person's change goes through `app::merchants::payout_wallet`.
    pub payout_wallet: Option<String>,
    pub package: Option<Package>,
    pub checkout_mode: Option<CheckoutMode>,
    pub country: Option<String>,
    pub crypto_enabled: Option<bool>,
    pub disabled: Option<bool>,
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<String>,
    /// `Some(None)` clears the name (the page then shows the shop domain).
    pub display_name: Option<Option<DisplayName>>,
    /// `Some(None)` removes the logo.
    pub logo_url: Option<Option<LogoUrl>>,
    /// `Some(None)` goes back to Kassa's own colour.
    pub accent_color: Option<Option<AccentColor>>,
    /// A replacement API key (id, hash): added, and every other active key
    /// of the merchant revoked, in one transaction.
    pub api_key: Option<(String, String)>,
    /// Re-enable (false) or park (true) the webhook endpoint.
    pub webhook_disabled: Option<bool>,
    /// Statuses to deliver (`Some(vec![])` means all).
    pub webhook_statuses: Option<Vec<String>>,
    /// Rotate: the new secret, and until when the old one keeps signing.
    pub rotate_webhook_secret: Option<(String, i64)>,
}

impl Store {
    /// Creates a merchant, its allowlist and its first API key (a row of
    /// `api_keys`, no label); returns its id.
    pub async fn create_merchant(&self, new: NewMerchant, now_ms: i64) -> Result<i64, StoreError> {
        let webhook_secret = new
            .webhook_secret
            .map(|s| self.seal(Purpose::WebhookSecret, &s))
            .transpose()?;
        let txn = self.begin_write().await?;
        let row = merchant::ActiveModel {
            email: Set(new.email),
            webhook_url: Set(new.webhook_url),
            webhook_secret: Set(webhook_secret),
            payout_wallet: Set(new.payout_wallet),
            package: Set(new.package.as_str().into()),
            checkout_mode: Set(new.checkout_mode.as_str().into()),
            country: Set(new.country),
            crypto_enabled: Set(new.crypto_enabled),
            disabled: Set(false),
            display_name: Set(new.branding.display_name.map(|n| n.as_str().to_string())),
            logo_url: Set(new.branding.logo_url.map(|u| u.as_str().to_string())),
            accent_color: Set(new.branding.accent_color.map(AccentColor::css)),
            password_hash: Set(new.password_hash),
            created_at: Set(now_ms),
            updated_at: Set(now_ms),
            ..Default::default()
        }
        .insert(&*txn)
        .await?;
        insert_domains(&txn, row.id, &new.domains).await?;
        let key = NewKeyRow {
            prefix: new.api_key_id,
            hash: new.api_key_hash,
            label: None,
        };
        insert_key(&txn, row.id, key, now_ms).await?;
        txn.commit().await?;
        Ok(row.id)
    }

    /// The merchant whose stored e-mail address is exactly `email` (stored
    /// addresses are lower-cased), if any.
    pub async fn merchant_id_by_email(&self, email: &str) -> Result<Option<i64>, StoreError> {
        let row = merchant::Entity::find()
            .filter(merchant::Column::Email.eq(email))
            .one(&self.db)
            .await?;
        Ok(row.map(|r| r.id))
    }

    /// Stores a new dashboard password hash; `Ok(false)` when there is no
    /// such merchant.
    pub async fn set_merchant_password_hash(
        &self,
        id: i64,
        hash: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let txn = self.begin_write().await?;
        let result = merchant::Entity::update_many()
            .col_expr(merchant::Column::PasswordHash, Expr::value(hash))
            .col_expr(merchant::Column::UpdatedAt, Expr::value(now_ms))
            .filter(merchant::Column::Id.eq(id))
            .exec(&*txn)
            .await?;
        txn.commit().await?;
        Ok(result.rows_affected > 0)
    }

    /// The stored dashboard password hash: `None` when there is no such
    /// merchant, `Some(None)` when it has no password yet.
    pub async fn merchant_password_hash(
        &self,
        id: i64,
    ) -> Result<Option<Option<String>>, StoreError> {
        let row = merchant::Entity::find_by_id(id).one(&self.db).await?;
        Ok(row.map(|r| r.password_hash))
    }

    /// Applies a partial update; `Ok(false)` when there is no such merchant.
    pub async fn update_merchant(
        &self,
        id: i64,
        update: MerchantUpdate,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let txn = self.begin_write().await?;
        let Some(row) = merchant::Entity::find_by_id(id).one(&*txn).await? else {
            return Ok(false);
        };
        // Stored sealed already (or sealed at the next start if still clear).
        let previous_secret = row.webhook_secret.clone();
        let mut active: merchant::ActiveModel = row.into();
        if let Some(v) = update.email {
            active.email = Set(v);
        }
        if let Some(v) = update.payout_wallet {
            active.payout_wallet = Set(Some(v).filter(|w| !w.is_empty()));
        }
        if let Some(v) = update.package {
            active.package = Set(v.as_str().into());
        }
        if let Some(v) = update.checkout_mode {
            active.checkout_mode = Set(v.as_str().into());
        }
        if let Some(v) = update.country {
            active.country = Set(Some(v).filter(|c| !c.is_empty()));
        }
        if let Some(v) = update.crypto_enabled {
            active.crypto_enabled = Set(v);
        }
        if let Some(v) = update.disabled {
            active.disabled = Set(v);
        }
        if let Some(v) = update.webhook_url {
            active.webhook_url = Set(Some(v).filter(|u| !u.is_empty()));
        }
        if let Some(v) = update.webhook_secret {
            active.webhook_secret = Set(Some(self.seal(Purpose::WebhookSecret, &v)?));
        }
        if let Some((new_secret, previous_until)) = update.rotate_webhook_secret {
            active.webhook_secret_previous = Set(previous_secret);
            active.webhook_secret_previous_until = Set(Some(previous_until));
            active.webhook_secret = Set(Some(self.seal(Purpose::WebhookSecret, &new_secret)?));
        }
        if let Some(v) = update.webhook_disabled {
            active.webhook_disabled = Set(v);
        }
        if let Some(v) = update.webhook_statuses {
            active.webhook_statuses = Set(Some(v.join(",")).filter(|s| !s.is_empty()));
        }
        if let Some(v) = update.display_name {
            active.display_name = Set(v.map(|n| n.as_str().to_string()));
        }
        if let Some(v) = update.logo_url {
            active.logo_url = Set(v.map(|u| u.as_str().to_string()));
        }
        if let Some(v) = update.accent_color {
            active.accent_color = Set(v.map(AccentColor::css));
        }
        active.updated_at = Set(now_ms);
        active.update(&*txn).await?;
        if let Some((prefix, hash)) = update.api_key {
            let label = None;
            let added = insert_key(
                &txn,
                id,
                NewKeyRow {
                    prefix,
                    hash,
                    label,
                },
                now_ms,
            )
            .await?;
            revoke_all_but(&txn, id, added.id, now_ms).await?;
        }
        if let Some(domains) = update.domains {
            merchant_domain::Entity::delete_many()
                .filter(merchant_domain::Column::MerchantId.eq(id))
                .exec(&*txn)
                .await?;
            insert_domains(&txn, id, &domains).await?;
        }
        txn.commit().await?;
        self.merchants.forget(id);
        Ok(true)
    }

    /// Every merchant, oldest first.
    pub async fn list_merchants(&self) -> Result<Vec<Merchant>, StoreError> {
        let rows = merchant::Entity::find()
            .order_by_asc(merchant::Column::Id)
            .all(self.db())
            .await?;
        let domains = merchant_domain::Entity::find()
            .order_by_asc(merchant_domain::Column::Domain)
            .all(self.db())
            .await?;
        rows.into_iter()
            .map(|row| {
                let mine = domains
                    .iter()
                    .filter(|d| d.merchant_id == row.id)
                    .map(|d| d.domain.clone())
                    .collect();
                to_merchant(row, mine)
            })
            .collect()
    }

    /// One merchant by id (through the short-lived merchant cache).
    pub async fn merchant(&self, id: i64) -> Result<Option<Merchant>, StoreError> {
        if let Some(cached) = self.merchants.get(id) {
            return Ok(Some(cached));
        }
        let Some(row) = merchant::Entity::find_by_id(id).one(self.db()).await? else {
            return Ok(None);
        };
        let domains = self.domains_of(row.id).await?;
        let merchant = to_merchant(row, domains)?;
        self.merchants.put(&merchant);
        Ok(Some(merchant))
    }

    /// One merchant by id, read from the database (not the cache): API
    /// authentication must see a disabled merchant at once.
    pub(super) async fn merchant_uncached(&self, id: i64) -> Result<Option<Merchant>, StoreError> {
        let Some(row) = merchant::Entity::find_by_id(id).one(self.db()).await? else {
            return Ok(None);
        };
        let domains = self.domains_of(row.id).await?;
        Ok(Some(to_merchant(row, domains)?))
    }

    /// The webhook secret of a merchant (kept apart from [`Merchant`] so it is never shown by accident).
    pub async fn webhook_secret(&self, id: i64) -> Result<Option<String>, StoreError> {
        merchant::Entity::find_by_id(id)
            .one(self.db())
            .await?
            .and_then(|row| row.webhook_secret)
            .map(|stored| {
                self.open(
                    Purpose::WebhookSecret,
                    &stored,
                    &format!("merchant {id}'s webhook secret"),
                )
            })
            .transpose()
    }

    /// Whether any merchant exists (first start seeds a demo one).
    pub async fn has_merchants(&self) -> Result<bool, StoreError> {
        Ok(merchant::Entity::find().one(self.db()).await?.is_some())
    }

    async fn domains_of(&self, id: i64) -> Result<Vec<String>, StoreError> {
        Ok(merchant_domain::Entity::find()
            .filter(merchant_domain::Column::MerchantId.eq(id))
            .order_by_asc(merchant_domain::Column::Domain)
            .all(self.db())
            .await?
            .into_iter()
            .map(|d| d.domain)
            .collect())
    }
}

async fn insert_domains(
    txn: &sea_orm::DatabaseTransaction,
    id: i64,
    domains: &[String],
) -> Result<(), StoreError> {
    let mut unique: Vec<&String> = domains.iter().collect();
    unique.sort();
    unique.dedup();
    if unique.is_empty() {
        return Ok(());
    }
    merchant_domain::Entity::insert_many(unique.into_iter().map(|d| {
        merchant_domain::ActiveModel {
            merchant_id: Set(id),
            domain: Set(d.clone()),
        }
    }))
    .exec_without_returning(txn)
    .await?;
    Ok(())
}
