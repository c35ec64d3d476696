//! A product with its own landing page (`/p/{slug}`): name, description,
//! price, image and whether it is on sale. Buying it opens a session for
//! the price. Pure value; the store maps rows to it.

use super::money::Money;
use super::slug::Slug;

/// A stored product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: i64,
    pub merchant_id: i64,
    pub slug: Slug,
    pub name: String,
    pub description: String,
    pub price: Money,
    /// An `https://` picture of the product, shown on its page.
    pub image_url: Option<String>,
    pub active: bool,
    pub created_at_ms: i64,
}

/// What a merchant sets on a product (checked by `app::products`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductDraft {
    pub name: String,
    pub description: String,
    pub price: Money,
    pub image_url: Option<String>,
    pub active: bool,
}

/// The `order_id` of the product's `n`-th session: `PRODUCT-{slug}-{n}`.
pub fn order_id(slug: &Slug, n: i64) -> String {
    format!("PRODUCT-{slug}-{n}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn order_ids_name_the_product_and_the_session_number() {
        assert_eq!(
            order_id(&Slug::parse("blue-mug").unwrap(), 12),
            "PRODUCT-blue-mug-12"
        );
    }
}
