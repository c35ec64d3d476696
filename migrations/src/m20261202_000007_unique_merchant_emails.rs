//! Merchant e-mail addresses become unique, ignoring case: the address is
//! the login of the merchant dashboard, so it must name one account.
//!
//! Every stored address is normalised the way Kassa stores one from now on
//! (surrounding blanks trimmed, lower-cased). Existing duplicates are then
//! resolved by this rule, applied in id order: the oldest merchant (lowest
//! id) keeps the address; each later merchant with the same address gets
//! `+dup<id>` inserted before the `@` (`shop@x.example` for merchant 7
//! becomes `shop+dup7@x.example`), repeated in the unlikely case that the
//! result is itself taken. Each renamed merchant is logged (a warning naming
//! both ids) so an operator can tell the owner; the renamed address still
//! reaches the same mailbox on most mail servers. Finally a unique index on
//! `merchants.email` keeps it so.

use std::collections::{HashMap, HashSet};

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Merchants {
    Table,
    Id,
    Email,
}

const INDEX: &str = "idx_merchants_email_unique";

/// The stored form of an address (kept in step with `app::merchants::fields::email`).
fn normalised(email: &str) -> String {
    email.trim().to_lowercase()
}

/// `local@domain` with `+dup<id>` inserted before the last `@` (appended
/// when there is no `@`, which a checked address always has).
fn renamed(email: &str, id: i64) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => format!("{local}+dup{id}@{domain}"),
        None => format!("{email}+dup{id}"),
    }
}

/// The new address of every merchant whose stored address changes, by the
/// rule in the module doc; `rows` in id order.
fn resolve(rows: &[(i64, String)]) -> Vec<(i64, String)> {
    let mut taken: HashSet<String> = HashSet::new();
    let mut owner: HashMap<String, i64> = HashMap::new();
    let mut changes = Vec::new();
    for (id, stored) in rows {
        let mut email = normalised(stored);
        if taken.contains(&email) {
            let first = owner.get(&email).copied().unwrap_or_default();
            while taken.contains(&email) {
                email = renamed(&email, *id);
            }
            log_renamed(*id, first, &email);
        }
        taken.insert(email.clone());
        owner.insert(email.clone(), *id);
        if &email != stored {
            changes.push((*id, email));
        }
    }
    changes
}

fn log_renamed(id: i64, owner: i64, email: &str) {
    tracing::warn!(
        merchant_id = id,
        kept_by_merchant_id = owner,
        new_email = email,
        "duplicate merchant e-mail address renamed (the oldest merchant keeps it)"
    );
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let select = Query::select()
            .columns([Merchants::Id, Merchants::Email])
            .from(Merchants::Table)
            .order_by(Merchants::Id, Order::Asc)
            .to_owned();
        let mut rows = Vec::new();
        for row in db.query_all(&select).await? {
            let id: i64 = row.try_get("", "id")?;
            let email: String = row.try_get("", "email")?;
            rows.push((id, email));
        }
        for (id, email) in resolve(&rows) {
            let update = Query::update()
                .table(Merchants::Table)
                .value(Merchants::Email, email)
                .and_where(Expr::col(Merchants::Id).eq(id))
                .to_owned();
            db.execute(&update).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Merchants::Table)
                    .col(Merchants::Email)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    /// Drops the index; renamed addresses stay as they are.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(Merchants::Table).to_owned())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(list: &[(i64, &str)]) -> Vec<(i64, String)> {
        list.iter().map(|(id, e)| (*id, (*e).to_string())).collect()
    }

    #[test]
    fn the_oldest_merchant_keeps_an_address_and_later_ones_get_a_dup_tag() {
        let changes = resolve(&rows(&[
            (1, "Shop@X.example"),
            (2, "other@x.example"),
            (3, " shop@x.example"),
            (5, "SHOP@x.example"),
        ]));
        assert_eq!(
            changes,
            vec![
                (1, "shop@x.example".to_string()),
                (3, "shop+dup3@x.example".to_string()),
                (5, "shop+dup5@x.example".to_string()),
            ]
        );
    }

    #[test]
    fn a_tagged_address_already_taken_is_tagged_again() {
        let changes = resolve(&rows(&[
            (1, "a@x.example"),
            (2, "a+dup3@x.example"),
            (3, "a@x.example"),
        ]));
        assert_eq!(changes, vec![(3, "a+dup3+dup3@x.example".to_string())]);
    }
}
