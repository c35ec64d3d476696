//! Secrets at rest in the store: sealing a secret column's value on write
//! and opening it on read (through the store's `SecretBox`), and the start-up
//! step that seals values still in the clear from before encryption and
//! proves the configured key is the one the database was sealed with.
//!
//! A value not starting with `v1:` is from before encryption: it reads as
//! it is until the start-up step seals it in place. Must not: log a value.

use kassa_entities::merchant;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{Store, StoreError};
use crate::domain::secret_box::{Purpose, SEALED_PREFIX, SecretBox};

/// What the start-up step did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SealedAtStart {
    /// Merchants whose webhook secrets were still in the clear.
    pub merchants: u64,
}

fn not_sealed(col: merchant::Column) -> Condition {
    Condition::all()
        .add(col.is_not_null())
        .add(col.not_like(format!("{SEALED_PREFIX}%")))
}

impl Store {
    /// `secret` sealed for `purpose`, as it is stored.
    pub(crate) fn seal(&self, purpose: Purpose, secret: &str) -> Result<String, StoreError> {
        self.secrets
            .seal(purpose, secret)
            .map_err(|e| StoreError::Unexpected(anyhow::Error::new(e)))
    }

    /// A stored secret opened (or as it is, when still in the clear);
    /// `what` names it in the error.
    pub(crate) fn open(
        &self,
        purpose: Purpose,
        stored: &str,
        what: &str,
    ) -> Result<String, StoreError> {
        if !SecretBox::is_sealed(stored) {
            return Ok(stored.to_string());
        }
        self.secrets.open(purpose, stored).map_err(|e| {
            StoreError::Unexpected(anyhow::anyhow!(
                "{what}: {e} (is `secrets_key_file` / KASSA_SECRETS_KEY_FILE the key this database was sealed with?)"
            ))
        })
    }

    /// Seals, in place, every secret still in the clear. Run at start,
    /// after migrations; safe to run again and on several nodes at once (a
    /// row is rewritten only while it still holds the clear value read).
    pub async fn seal_plaintext_secrets(&self) -> Result<SealedAtStart, StoreError> {
        let rows = merchant::Entity::find()
            .filter(
                Condition::any()
                    .add(not_sealed(merchant::Column::WebhookSecret))
                    .add(not_sealed(merchant::Column::WebhookSecretPrevious)),
            )
            .all(self.db())
            .await?;
        let mut report = SealedAtStart::default();
        for row in rows {
            let txn = self.begin_write().await?;
            for (col, value) in [
                (
                    merchant::Column::WebhookSecret,
                    row.webhook_secret.as_deref(),
                ),
                (
                    merchant::Column::WebhookSecretPrevious,
                    row.webhook_secret_previous.as_deref(),
                ),
            ] {
                let Some(clear) = value.filter(|v| !SecretBox::is_sealed(v)) else {
                    continue;
                };
                let sealed = self.seal(Purpose::WebhookSecret, clear)?;
                merchant::Entity::update_many()
                    .col_expr(col, Expr::value(sealed))
                    .filter(merchant::Column::Id.eq(row.id))
                    .filter(col.eq(clear))
                    .exec(&*txn)
                    .await?;
            }
            txn.commit().await?;
            self.merchants.forget(row.id);
            report.merchants += 1;
        }
        Ok(report)
    }

    /// Fails when a sealed secret in the database does not open with the
    /// configured key (a node started with another key would otherwise
    /// fail later, at the first webhook).
    pub async fn verify_secrets_key(&self) -> Result<(), StoreError> {
        let sample = merchant::Entity::find()
            .select_only()
            .column(merchant::Column::Id)
            .column(merchant::Column::WebhookSecret)
            .filter(merchant::Column::WebhookSecret.like(format!("{SEALED_PREFIX}%")))
            .order_by_asc(merchant::Column::Id)
            .into_tuple::<(i64, String)>()
            .one(self.db())
            .await?;
        if let Some((id, stored)) = sample {
            self.open(
                Purpose::WebhookSecret,
                &stored,
                &format!("merchant {id}'s webhook secret"),
            )?;
        }
        self.verify_credentials_key().await
    }
}
