//! The counter that numbers the sessions opened through a payment link or
//! a product page (`LINK-{slug}-{n}`, `PRODUCT-{slug}-{n}`): one write
//! transaction adds one to the row's `opened` column and reads it back, so
//! no two sessions get the same number. Shared by both kinds of row; it
//! knows nothing of what the number is for.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::{Store, StoreError};

impl Store {
    /// Adds one to `opened` of the `E` row whose `id_column` is `id` and
    /// returns the new value; `what` names the row in the error when it is
    /// gone.
    pub(super) async fn next_opened<E: EntityTrait>(
        &self,
        id_column: E::Column,
        opened: E::Column,
        id: i64,
        what: &str,
    ) -> Result<i64, StoreError> {
        let txn = self.begin_write().await?;
        E::update_many()
            .col_expr(opened, Expr::col(opened).add(1))
            .filter(id_column.eq(id))
            .exec(&*txn)
            .await?;
        let now: Option<i64> = E::find()
            .select_only()
            .column(opened)
            .filter(id_column.eq(id))
            .into_tuple()
            .one(&*txn)
            .await?;
        txn.commit().await?;
        now.ok_or_else(|| StoreError::Unexpected(anyhow::anyhow!("{what} {id} vanished")))
    }
}
