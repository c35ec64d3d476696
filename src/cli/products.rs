//! `kassa product create | list`: a merchant's products through
//! `app::products`. `create` prints the landing page's URL (`--json`:
//! `{"id":…,"slug":…,"url":…}`); `list` shows each product with its price
//! and whether it is on sale. It must not read or write product rows itself.

use anyhow::anyhow;
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::catalog_output::flag_problems;
use crate::app::products::{self, ProductError, ProductInput};
use crate::app::sessions::open::SessionRules;
use crate::clock::{Clock, SystemClock};
use crate::domain::product::Product;
use crate::store::Store;

#[derive(Debug, Subcommand)]
pub enum ProductCommand {
    /// Create a product with a landing page; prints its URL.
    Create(CreateProductArgs),
    /// List a merchant's products.
    List(ListProductsArgs),
}

#[derive(Debug, Args)]
pub struct CreateProductArgs {
    /// The merchant id.
    #[arg(long)]
    merchant: i64,
    #[arg(long)]
    name: String,
    /// The price, e.g. 24.50.
    #[arg(long)]
    price: String,
    /// ISO 4217 code, e.g. EUR.
    #[arg(long)]
    currency: String,
    #[arg(long, default_value = "")]
    description: String,
    /// An https:// picture of the product.
    #[arg(long)]
    image_url: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct ListProductsArgs {
    /// The merchant id.
    #[arg(long)]
    merchant: i64,
    #[arg(long)]
    json: bool,
}

pub async fn run(
    cmd: ProductCommand,
    store: &Store,
    rules: &SessionRules,
    public_base: &str,
) -> anyhow::Result<()> {
    match cmd {
        ProductCommand::Create(a) => {
            let input = ProductInput {
                name: a.name,
                description: a.description,
                price: a.price,
                currency: a.currency,
                image_url: a.image_url.unwrap_or_default(),
                active: true,
            };
            let now_ms = SystemClock.now_ms();
            let p = products::create(store, rules, a.merchant, &input, now_ms)
                .await
                .map_err(refusal)?;
            let url = format!("{public_base}/p/{}", p.slug);
            if a.json {
                println!(
                    "{}",
                    json!({ "id": p.id, "slug": p.slug.as_str(), "url": url })
                );
            } else {
                println!("product {} created for merchant {}", p.id, a.merchant);
                println!("  url: {url}");
            }
        }
        ProductCommand::List(a) => {
            let list = products::list(store, a.merchant).await.map_err(refusal)?;
            if a.json {
                let rows = list.iter().map(|p| product_json(p, public_base));
                println!("{}", Value::Array(rows.collect()));
            } else {
                println!(
                    "{:<6} {:<28} {:<16} {:<8} url",
                    "id", "name", "price", "state"
                );
                for p in &list {
                    println!(
                        "{:<6} {:<28} {:<16} {:<8} {public_base}/p/{}",
                        p.id,
                        p.name.chars().take(28).collect::<String>(),
                        format!("{} {}", p.price, p.price.currency()),
                        if p.active { "on sale" } else { "off sale" },
                        p.slug
                    );
                }
            }
        }
    }
    Ok(())
}

fn product_json(p: &Product, public_base: &str) -> Value {
    json!({
        "id": p.id,
        "slug": p.slug.as_str(),
        "url": format!("{public_base}/p/{}", p.slug),
        "name": p.name,
        "description": p.description,
        "price": p.price.to_string(),
        "currency": p.price.currency().code(),
        "image_url": p.image_url,
        "active": p.active,
    })
}

/// A refusal from `app::products`, worded after the flags it came from.
fn refusal(err: ProductError) -> anyhow::Error {
    match err {
        ProductError::Invalid(problems) => flag_problems(&problems),
        ProductError::NotFound => anyhow!("no such product"),
        ProductError::Merchant(crate::app::merchants::MerchantError::NotFound(id)) => {
            anyhow!("--merchant: no merchant with id {id}")
        }
        ProductError::Merchant(e) => anyhow::Error::new(e),
        ProductError::Store(e) => anyhow::Error::new(e),
    }
}
