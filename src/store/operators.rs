//! Operators of the admin console: their accounts, password hashes, sealed
//! TOTP secrets and failed-login counts. A TOTP secret is sealed on write
//! and opened only when a code is checked ([`Store::operator_totp_secret`]),
//! so listing operators or resetting a lost factor never needs the key.

use kassa_entities::operator;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{Store, StoreError};
use crate::domain::secret_box::Purpose;

/// A stored operator; its TOTP secret still sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct OperatorRow {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    /// Sealed (`v1:…`); see [`Store::operator_totp_secret`].
    pub totp_secret: Option<String>,
    pub totp_enabled: bool,
    pub totp_last_step: Option<i64>,
    pub failed_logins: i64,
    pub last_failed_at: Option<i64>,
    pub created_at: i64,
}

impl std::fmt::Debug for OperatorRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorRow")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("totp_enabled", &self.totp_enabled)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Adds an operator; [`StoreError::Conflict`] when the e-mail is taken.
    pub async fn insert_operator(
        &self,
        email: &str,
        password_hash: &str,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        let done = operator::Entity::insert(operator::ActiveModel {
            email: Set(email.to_string()),
            password_hash: Set(password_hash.to_string()),
            totp_secret: Set(None),
            totp_enabled: Set(false),
            totp_last_step: Set(None),
            failed_logins: Set(0),
            last_failed_at: Set(None),
            created_at: Set(now_ms),
            ..Default::default()
        })
        .exec(self.db())
        .await?;
        Ok(done.last_insert_id)
    }

    pub async fn operator(&self, id: i64) -> Result<Option<OperatorRow>, StoreError> {
        let row = operator::Entity::find_by_id(id).one(self.db()).await?;
        Ok(row.map(operator_row))
    }

    /// The operator's TOTP secret (base32), opened.
    pub fn operator_totp_secret(&self, row: &OperatorRow) -> Result<Option<String>, StoreError> {
        let what = format!("operator {} TOTP secret", row.id);
        row.totp_secret
            .as_deref()
            .map(|s| self.open(Purpose::TotpSecret, s, &what))
            .transpose()
    }

    pub async fn operator_by_email(&self, email: &str) -> Result<Option<OperatorRow>, StoreError> {
        let row = operator::Entity::find()
            .filter(operator::Column::Email.eq(email))
            .one(self.db())
            .await?;
        Ok(row.map(operator_row))
    }

    /// Every operator, oldest first.
    pub async fn operators(&self) -> Result<Vec<OperatorRow>, StoreError> {
        let rows = operator::Entity::find()
            .order_by_asc(operator::Column::Id)
            .all(self.db())
            .await?;
        Ok(rows.into_iter().map(operator_row).collect())
    }

    /// Counts a failed password (or code) for the throttle.
    pub async fn record_operator_failure(&self, id: i64, now_ms: i64) -> Result<(), StoreError> {
        operator::Entity::update_many()
            .col_expr(
                operator::Column::FailedLogins,
                Expr::col(operator::Column::FailedLogins).add(1),
            )
            .col_expr(operator::Column::LastFailedAt, Expr::value(now_ms))
            .filter(operator::Column::Id.eq(id))
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// A successful login clears the failure count.
    pub async fn clear_operator_failures(&self, id: i64) -> Result<(), StoreError> {
        operator::Entity::update_many()
            .col_expr(operator::Column::FailedLogins, Expr::value(0i64))
            .col_expr(
                operator::Column::LastFailedAt,
                Expr::value(Option::<i64>::None),
            )
            .filter(operator::Column::Id.eq(id))
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// Starts (or restarts) enrolment with a new secret, not yet enabled.
    pub async fn begin_operator_totp(&self, id: i64, base32: &str) -> Result<bool, StoreError> {
        let sealed = self.seal(Purpose::TotpSecret, base32)?;
        let done = operator::Entity::update_many()
            .col_expr(operator::Column::TotpSecret, Expr::value(sealed))
            .col_expr(operator::Column::TotpEnabled, Expr::value(false))
            .col_expr(
                operator::Column::TotpLastStep,
                Expr::value(Option::<i64>::None),
            )
            .filter(operator::Column::Id.eq(id))
            .exec(self.db())
            .await?;
        Ok(done.rows_affected == 1)
    }

    /// Records an accepted code's step (enabling TOTP at the first one).
    /// Only succeeds while the stored step is older, so two nodes cannot
    /// both accept the same code.
    pub async fn accept_operator_totp_step(&self, id: i64, step: i64) -> Result<bool, StoreError> {
        let done = operator::Entity::update_many()
            .col_expr(operator::Column::TotpEnabled, Expr::value(true))
            .col_expr(operator::Column::TotpLastStep, Expr::value(step))
            .filter(operator::Column::Id.eq(id))
            .filter(
                sea_orm::Condition::any()
                    .add(operator::Column::TotpLastStep.is_null())
                    .add(operator::Column::TotpLastStep.lt(step)),
            )
            .exec(self.db())
            .await?;
        Ok(done.rows_affected == 1)
    }

    /// Forgets the TOTP secret (recovery): enrolment starts again at the
    /// next login.
    pub async fn reset_operator_totp(&self, id: i64) -> Result<bool, StoreError> {
        let done = operator::Entity::update_many()
            .col_expr(
                operator::Column::TotpSecret,
                Expr::value(Option::<String>::None),
            )
            .col_expr(operator::Column::TotpEnabled, Expr::value(false))
            .col_expr(
                operator::Column::TotpLastStep,
                Expr::value(Option::<i64>::None),
            )
            .filter(operator::Column::Id.eq(id))
            .exec(self.db())
            .await?;
        Ok(done.rows_affected == 1)
    }
}

fn operator_row(r: operator::Model) -> OperatorRow {
    OperatorRow {
        id: r.id,
        email: r.email,
        password_hash: r.password_hash,
        totp_secret: r.totp_secret,
        totp_enabled: r.totp_enabled,
        totp_last_step: r.totp_last_step,
        failed_logins: r.failed_logins,
        last_failed_at: r.last_failed_at,
        created_at: r.created_at,
    }
}
