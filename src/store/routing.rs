//! Smart Routing in the database: the versions of the live configuration
//! (`routing_config`, highest in force) and the on-ramp credentials that
//! override configuration (`provider_credentials`, values sealed). Every
//! change adds a version, writes its credential changes and its audit line
//! in one transaction, and fails with [`StoreError::Conflict`] when another
//! change (from this node or another) got in first.
//!
//! Must not: check a configuration (the domain does, through `app::routing_admin`)
//! or return a credential outside a `SecretString`.

use kassa_entities::{provider_credential, routing_config};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use secrecy::{ExposeSecret, SecretString};

use super::audit_log::{NewAuditEntry, insert_audit};
use super::{Store, StoreError};
use crate::domain::routing::credential::CredentialName;
use crate::domain::secret_box::Purpose;

/// The live routing as stored.
#[derive(Debug, Clone, Default)]
pub struct StoredRouting {
    /// 0 while nothing was ever stored.
    pub version: i64,
    /// The configuration's JSON (routing file shape); `None`: built-in table.
    pub config_json: Option<String>,
    /// Credentials stored in the database, opened.
    pub credentials: Vec<(CredentialName, SecretString)>,
}

/// What a change does to the configuration.
#[derive(Debug, Clone)]
pub enum ConfigWrite {
    /// The new version keeps the current configuration (a credential change).
    Keep,
    /// The new version holds this JSON.
    Replace(String),
}

/// What a change does to one credential.
#[derive(Debug, Clone)]
pub enum CredentialWrite {
    Set(CredentialName, SecretString),
    Clear(CredentialName),
}

/// One change of the live routing.
#[derive(Debug, Clone)]
pub struct RoutingWrite {
    /// The version the change was decided on; another one in force now is a conflict.
    pub based_on: i64,
    pub config: ConfigWrite,
    pub credentials: Vec<CredentialWrite>,
    pub audit: NewAuditEntry,
}

async fn max_version<C: ConnectionTrait>(conn: &C) -> Result<i64, StoreError> {
    let max: Option<Option<i64>> = routing_config::Entity::find()
        .select_only()
        .column_as(routing_config::Column::Version.max(), "v")
        .into_tuple::<Option<i64>>()
        .one(conn)
        .await?;
    Ok(max.flatten().unwrap_or(0))
}

impl Store {
    /// The version in force (0: none stored yet). One indexed read: the
    /// router polls it.
    pub async fn routing_version(&self) -> Result<i64, StoreError> {
        max_version(self.db()).await
    }

    /// Whether a configuration (not only credentials) was ever stored.
    pub async fn has_routing_config(&self) -> Result<bool, StoreError> {
        Ok(routing_config::Entity::find()
            .filter(routing_config::Column::Config.is_not_null())
            .one(self.db())
            .await?
            .is_some())
    }

    /// The live configuration and the stored credentials (opened).
    pub async fn live_routing(&self) -> Result<StoredRouting, StoreError> {
        let latest = routing_config::Entity::find()
            .order_by_desc(routing_config::Column::Version)
            .one(self.db())
            .await?;
        let rows = provider_credential::Entity::find()
            .order_by_asc(provider_credential::Column::Name)
            .all(self.db())
            .await?;
        let mut credentials = Vec::with_capacity(rows.len());
        for row in rows {
            let Some(name) = CredentialName::parse(&row.name) else {
                tracing::warn!(name = %row.name, "ignoring a stored credential this Kassa does not know");
                continue;
            };
            let what = format!("provider credential {}", row.name);
            let value = self.open(Purpose::ProviderCredential, &row.value, &what)?;
            credentials.push((name, SecretString::from(value)));
        }
        Ok(StoredRouting {
            version: latest.as_ref().map_or(0, |r| r.version),
            config_json: latest.and_then(|r| r.config),
            credentials,
        })
    }

    /// Applies one change as the next version; returns it.
    pub async fn write_routing(&self, change: RoutingWrite) -> Result<i64, StoreError> {
        let sealed: Vec<(CredentialName, Option<String>)> = change
            .credentials
            .iter()
            .map(|c| match c {
                CredentialWrite::Set(name, value) => Ok((
                    *name,
                    Some(self.seal(Purpose::ProviderCredential, value.expose_secret())?),
                )),
                CredentialWrite::Clear(name) => Ok((*name, None)),
            })
            .collect::<Result<_, StoreError>>()?;
        let txn = self.begin_write().await?;
        let current = max_version(&*txn).await?;
        if current != change.based_on {
            return Err(StoreError::Conflict);
        }
        let config = match change.config {
            ConfigWrite::Replace(json) => Some(json),
            ConfigWrite::Keep => routing_config::Entity::find_by_id(current)
                .one(&*txn)
                .await?
                .and_then(|r| r.config),
        };
        let version = current + 1;
        let at_ms = change.audit.at_ms;
        let actor = change.audit.actor.to_text();
        routing_config::Entity::insert(routing_config::ActiveModel {
            version: Set(version),
            config: Set(config),
            actor: Set(actor.clone()),
            created_at: Set(at_ms),
        })
        .exec_without_returning(&*txn)
        .await?;
        for (name, value) in sealed {
            provider_credential::Entity::delete_many()
                .filter(provider_credential::Column::Name.eq(name.as_str()))
                .exec(&*txn)
                .await?;
            if let Some(value) = value {
                provider_credential::Entity::insert(provider_credential::ActiveModel {
                    name: Set(name.as_str().to_string()),
                    provider: Set(name.provider().as_str().to_string()),
                    value: Set(value),
                    updated_at: Set(at_ms),
                    updated_by: Set(actor.clone()),
                })
                .exec_without_returning(&*txn)
                .await?;
            }
        }
        insert_audit(&*txn, &change.audit).await?;
        txn.commit().await?;
        Ok(version)
    }

    /// Whether any stored credential fails to open with the configured key
    /// (checked at start with the webhook secrets).
    pub(super) async fn verify_credentials_key(&self) -> Result<(), StoreError> {
        let sample = provider_credential::Entity::find()
            .order_by_asc(provider_credential::Column::Name)
            .one(self.db())
            .await?;
        if let Some(row) = sample {
            self.open(
                Purpose::ProviderCredential,
                &row.value,
                &format!("provider credential {}", row.name),
            )?;
        }
        Ok(())
    }
}
