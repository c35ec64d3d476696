//! Products with a landing page, the one way every door manages and sells
//! them: the dashboard and the CLI create, edit and take a product off
//! sale; its page `/p/{slug}` shows it and opens a session when the
//! customer buys (`order_id` `PRODUCT-{slug}-{n}`, the platform's shop
//! domain, `source: product`), through `app::sessions::open` like the API.
//! Another merchant's product is [`ProductError::NotFound`].

use crate::app::merchants::{self, MerchantError};
use crate::app::sessions::open::{OpenError, OpenRequest, Opened, SessionOpener, SessionRules};
use crate::domain::branding::LogoUrl;
use crate::domain::merchant::Merchant;
use crate::domain::money::Money;
use crate::domain::product::{self, Product, ProductDraft};
use crate::domain::session_source::SessionSource;
use crate::domain::slug::Slug;
use crate::store::{Store, StoreError};

use super::catalog::{FieldProblems, currency_of, description_of, insert_with_fresh_slug, name_of};

/// A product's settings as typed (dashboard form or CLI flags).
#[derive(Debug, Clone, Default)]
pub struct ProductInput {
    pub name: String,
    pub description: String,
    pub price: String,
    pub currency: String,
    pub image_url: String,
    pub active: bool,
}

/// Why a product could not be created, changed or found.
#[derive(Debug, thiserror::Error)]
pub enum ProductError {
    #[error("{0}")]
    Invalid(FieldProblems),
    #[error("no such product")]
    NotFound,
    #[error(transparent)]
    Merchant(#[from] MerchantError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a product's page sold nothing.
#[derive(Debug, thiserror::Error)]
pub enum BuyError {
    /// No product has this slug (HTTP 404).
    #[error("no such product")]
    NotFound,
    /// Off sale, or its merchant is disabled (HTTP 410).
    #[error("the product is not on sale")]
    OffSale,
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks what was typed; every refused field is named.
pub fn check(rules: &SessionRules, input: &ProductInput) -> Result<ProductDraft, ProductError> {
    let mut problems = FieldProblems::default();
    let name = name_of(&mut problems, "name", &input.name);
    let description = description_of(&mut problems, &input.description);
    let currency = currency_of(&mut problems, rules, &input.currency);
    let price = currency.and_then(|c| {
        let parsed = Money::parse_text(&input.price, c, rules.max_amount).ok();
        if parsed.is_none() {
            problems.add(
                "price",
                format!(
                    "Enter a positive price with at most {} decimals, not above {}.",
                    c.decimals(),
                    rules.max_amount
                ),
            );
        }
        parsed
    });
    // The image is shown on the page like a logo: https, no credentials.
    let image_url = match input.image_url.trim() {
        "" => None,
        typed => match LogoUrl::parse(typed) {
            Ok(url) => Some(url.as_str().to_string()),
            Err(_) => {
                problems.add(
                    "image_url",
                    "Enter a full https:// address of the picture, like https://shop.example/mug.jpg.",
                );
                None
            }
        },
    };
    match (name, description, price) {
        (Some(name), Some(description), Some(price)) if problems.is_empty() => Ok(ProductDraft {
            name,
            description,
            price,
            image_url,
            active: input.active,
        }),
        _ => Err(ProductError::Invalid(problems)),
    }
}

/// Creates a product for the merchant.
pub async fn create(
    store: &Store,
    rules: &SessionRules,
    merchant_id: i64,
    input: &ProductInput,
    now_ms: i64,
) -> Result<Product, ProductError> {
    let draft = &check(rules, input)?;
    merchants::find(store, merchant_id).await?;
    Ok(insert_with_fresh_slug(|slug| async move {
        store
            .insert_product(merchant_id, &slug, draft, now_ms)
            .await
    })
    .await?)
}

/// Replaces the settings of the merchant's product.
pub async fn update(
    store: &Store,
    rules: &SessionRules,
    merchant_id: i64,
    id: i64,
    input: &ProductInput,
    now_ms: i64,
) -> Result<Product, ProductError> {
    let draft = check(rules, input)?;
    store
        .update_product(merchant_id, id, &draft, now_ms)
        .await?
        .ok_or(ProductError::NotFound)
}

/// Puts the merchant's product on or off sale, keeping everything else.
pub async fn set_active(
    store: &Store,
    merchant_id: i64,
    id: i64,
    active: bool,
    now_ms: i64,
) -> Result<Product, ProductError> {
    let p = get(store, merchant_id, id).await?;
    let draft = ProductDraft {
        name: p.name,
        description: p.description,
        price: p.price,
        image_url: p.image_url,
        active,
    };
    store
        .update_product(merchant_id, id, &draft, now_ms)
        .await?
        .ok_or(ProductError::NotFound)
}

/// The merchant's products, newest first.
pub async fn list(store: &Store, merchant_id: i64) -> Result<Vec<Product>, ProductError> {
    Ok(store.products(merchant_id).await?)
}

/// The merchant's product.
pub async fn get(store: &Store, merchant_id: i64, id: i64) -> Result<Product, ProductError> {
    store
        .product(merchant_id, id)
        .await?
        .ok_or(ProductError::NotFound)
}

/// A product on sale, with its merchant, as its page shows it. Creates nothing.
pub async fn visit(store: &Store, slug: &str) -> Result<(Product, Merchant), BuyError> {
    let slug = Slug::parse(slug).ok_or(BuyError::NotFound)?;
    let product = store
        .product_by_slug(&slug)
        .await?
        .ok_or(BuyError::NotFound)?;
    match store.merchant(product.merchant_id).await? {
        Some(m) if !m.disabled && product.active => Ok((product, m)),
        Some(_) | None => Err(BuyError::OffSale),
    }
}

/// Opens a session for the product's price.
pub async fn buy(store: &Store, opener: &SessionOpener, slug: &str) -> Result<Opened, BuyError> {
    let (product, merchant) = visit(store, slug).await?;
    let n = store.next_product_number(product.id).await?;
    let request = OpenRequest {
        order_id: Some(product::order_id(&product.slug, n)),
        amount: product.price,
        shop_domain: opener.rules().platform_domain.clone(),
        customer_email: None,
        return_url: None,
        cancel_url: None,
        webhook_url: None,
        meta: None,
        routing_hint: None,
        customer_country: None,
        source: SessionSource::Product(product.id),
    };
    Ok(opener.open(&merchant, request).await?)
}
