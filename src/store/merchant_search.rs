//! Merchants as an operator looks for them: one page of a search over the
//! id, the e-mail address, the shop domains and the display name (newest
//! first, with the total), one merchant with its row dates, and switching a
//! merchant on or off together with forgetting its keys everywhere.
//!
//! Matching is case-insensitive on both databases (`lower(…) LIKE`, the
//! typed text escaped). Must not decide what a page is or word anything
//! for a person: `app::merchants::admin` does.

use kassa_entities::{api_key, merchant, merchant_domain};
use sea_orm::sea_query::{Expr, Func, LikeExpr, Query, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::api_keys::announce_revoked;
use super::merchant_rows::to_merchant;
use super::{Store, StoreError};
use crate::domain::merchant::Merchant;

/// A merchant with the dates of its row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedMerchant {
    pub merchant: Merchant,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// A merchant switched on or off, and the prefixes of its active keys
/// (each cache that holds one must forget it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwitchedMerchant {
    pub key_prefixes: Vec<String>,
}

impl Store {
    /// Up to `limit` merchants matching `text` (all when `None`) from
    /// `offset` on, newest first, and how many match in all.
    pub async fn search_merchants(
        &self,
        text: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<ListedMerchant>, u64), StoreError> {
        let filter = text.map_or_else(Condition::all, matching);
        let total = merchant::Entity::find()
            .filter(filter.clone())
            .count(self.db())
            .await?;
        let rows = merchant::Entity::find()
            .filter(filter)
            .order_by_desc(merchant::Column::Id)
            .offset(offset)
            .limit(limit)
            .all(self.db())
            .await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let domains = merchant_domain::Entity::find()
            .filter(merchant_domain::Column::MerchantId.is_in(ids))
            .order_by_asc(merchant_domain::Column::Domain)
            .all(self.db())
            .await?;
        let listed = rows
            .into_iter()
            .map(|row| {
                let mine = domains
                    .iter()
                    .filter(|d| d.merchant_id == row.id)
                    .map(|d| d.domain.clone())
                    .collect();
                listed(row, mine)
            })
            .collect::<Result<_, _>>()?;
        Ok((listed, total))
    }

    /// One merchant with its row dates, read from the database.
    pub async fn listed_merchant(&self, id: i64) -> Result<Option<ListedMerchant>, StoreError> {
        let Some(row) = merchant::Entity::find_by_id(id).one(self.db()).await? else {
            return Ok(None);
        };
        let domains = merchant_domain::Entity::find()
            .filter(merchant_domain::Column::MerchantId.eq(id))
            .order_by_asc(merchant_domain::Column::Domain)
            .all(self.db())
            .await?
            .into_iter()
            .map(|d| d.domain)
            .collect();
        Ok(Some(listed(row, domains)?))
    }

    /// Switches the merchant off (`true`) or on; `None` when there is no
    /// such merchant. On PostgreSQL each active key is announced on the
    /// revocation channel in the same transaction, so every node drops the
    /// key's cached credentials (read again, they carry the new state)
    /// when it commits; this node's merchant cache forgets it at once.
    pub async fn set_merchant_disabled(
        &self,
        id: i64,
        disabled: bool,
        now_ms: i64,
    ) -> Result<Option<SwitchedMerchant>, StoreError> {
        let txn = self.begin_write().await?;
        let Some(row) = merchant::Entity::find_by_id(id).one(&*txn).await? else {
            return Ok(None);
        };
        let mut active: merchant::ActiveModel = row.into();
        active.disabled = Set(disabled);
        active.updated_at = Set(now_ms);
        active.update(&*txn).await?;
        let key_prefixes: Vec<String> = api_key::Entity::find()
            .filter(api_key::Column::MerchantId.eq(id))
            .filter(api_key::Column::RevokedAt.is_null())
            .all(&*txn)
            .await?
            .into_iter()
            .map(|k| k.prefix)
            .collect();
        for prefix in &key_prefixes {
            announce_revoked(&txn, prefix).await?;
        }
        txn.commit().await?;
        self.merchants.forget(id);
        Ok(Some(SwitchedMerchant { key_prefixes }))
    }
}

fn listed(row: merchant::Model, domains: Vec<String>) -> Result<ListedMerchant, StoreError> {
    let (created_at_ms, updated_at_ms) = (row.created_at, row.updated_at);
    Ok(ListedMerchant {
        merchant: to_merchant(row, domains)?,
        created_at_ms,
        updated_at_ms,
    })
}

/// Merchants whose id is `text`, or whose e-mail address, display name or
/// one of whose shop domains contains it (case-insensitive).
fn matching(text: &str) -> Condition {
    let text = text.trim();
    let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
    let mut any = Condition::any()
        .add(lower_like(merchant::Column::Email, &pattern))
        .add(lower_like(merchant::Column::DisplayName, &pattern))
        .add(
            merchant::Column::Id.in_subquery(
                Query::select()
                    .column(merchant_domain::Column::MerchantId)
                    .from(merchant_domain::Entity)
                    .and_where(lower_like(merchant_domain::Column::Domain, &pattern))
                    .to_owned(),
            ),
        );
    if let Ok(id) = text.trim_start_matches('#').parse::<i64>() {
        any = any.add(merchant::Column::Id.eq(id));
    }
    any
}

fn lower_like(column: impl sea_orm::sea_query::IntoColumnRef, pattern: &str) -> SimpleExpr {
    use sea_orm::sea_query::ExprTrait;
    Expr::expr(Func::lower(Expr::col(column))).like(LikeExpr::new(pattern).escape('\\'))
}

/// `%`, `_` and the escape character itself match only themselves.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_typed_by_an_operator_match_only_themselves() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
        assert_eq!(escape_like("shop.example"), "shop.example");
    }
}
