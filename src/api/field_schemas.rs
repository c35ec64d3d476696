//! OpenAPI schemas of the create body's fields and the status lookup,
//! written to match what the parsers accept: a request the document calls
//! valid is accepted (or refused only for who is asking: 401, 403, 404), and
//! a request it calls invalid gets an error. Contract tests (schemathesis)
//! hold the server to both halves.
//!
//! The patterns are deliberately a little narrower than the parsers (a
//! client that keeps to them is always understood); the descriptions say
//! what else is read. Must not: describe a value the parsers refuse as valid.

use serde_json::json;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn, ParameterStyle};
use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{Deprecated, RefOr, Required};
use utoipa::{PartialSchema, ToSchema};

/// A host name: labels of letters, digits and inner hyphens, ending in an
/// alphabetic top-level label (the form `ShopDomain::parse` keeps as is).
pub const DOMAIN_PATTERN: &str = r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,8}[a-z]{2,24}$";

/// A positive amount of at most six integer digits and two decimals, which
/// every listed currency reads exactly.
pub const AMOUNT_PATTERN: &str = r"^[1-9][0-9]{0,5}(?:\.[0-9]{2})?$";

/// An address `Email::parse` accepts: a dotted or plussed local part, a
/// domain with an alphabetic top-level label.
pub const EMAIL_PATTERN: &str =
    r"^[a-z0-9]{1,32}(?:[._+-][a-z0-9]{1,16})?@(?:[a-z0-9]{1,30}\.){1,3}[a-z]{2,12}$";

/// A string the parsers read as absent (only spaces, tabs and newlines).
const BLANK_PATTERN: &str = r"^[ \t\r\n]*$";

/// The currencies the default rate table prices with two decimals. (JPY
/// and KWD are priced too, with 0 and 3 decimals; operators add more.)
pub const CURRENCIES: [&str; 11] = [
    "USD", "EUR", "GBP", "CHF", "CAD", "AUD", "SEK", "NOK", "DKK", "PLN", "CZK",
];

fn string_matching(pattern: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
}

fn of_types(types: &[Type]) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::from_iter(types.iter().cloned()))
}

/// `amount`: a decimal string or a JSON number, read exactly.
pub struct AmountField;

impl PartialSchema for AmountField {
    fn schema() -> RefOr<Schema> {
        AnyOfBuilder::new()
            .item(string_matching(AMOUNT_PATTERN).examples(["79.00"]))
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(1))
                    .maximum(Some(999_999)),
            )
            .description(Some(
                "A JSON string (`\"79.00\"`) or number (`79`, `99.99`), parsed exactly: \
                 positive, at most the currency's decimals (JPY 0, KWD 3, the others 2), \
                 not above the configured maximum.",
            ))
            .examples([json!("79.00")])
            .into()
    }
}

impl ToSchema for AmountField {}

/// `currency`: an ISO 4217 code with a configured exchange rate.
pub struct CurrencyField;

impl PartialSchema for CurrencyField {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(CURRENCIES))
            .description(Some(
                "ISO 4217 code (read case-insensitively) with an exchange rate configured: \
                 the default table's two-decimal currencies are listed; JPY, KWD and \
                 any the operator adds are read too.",
            ))
            .examples(["EUR"])
            .into()
    }
}

impl ToSchema for CurrencyField {}

/// `customer_email` / `email`: an address, or blank / null for none.
pub struct EmailField;

impl PartialSchema for EmailField {
    fn schema() -> RefOr<Schema> {
        AnyOfBuilder::new()
            .item(
                string_matching(EMAIL_PATTERN)
                    .max_length(Some(254))
                    .examples(["buyer@example.com"]),
            )
            .item(string_matching(BLANK_PATTERN))
            .item(of_types(&[Type::Null]))
            .description(Some(
                "The customer's e-mail address (any address of at most 254 characters \
                 with a dotted domain is read); blank or null for none.",
            ))
            .examples([json!("buyer@example.com")])
            .into()
    }
}

impl ToSchema for EmailField {}

/// A text field that also takes a JSON number (numeric order ids) or null;
/// a string must not hold a NUL character.
pub struct TextField;

impl PartialSchema for TextField {
    fn schema() -> RefOr<Schema> {
        of_types(&[Type::String, Type::Number, Type::Null])
            .pattern(Some(r"^[^\x00]*$"))
            .into()
    }
}

impl ToSchema for TextField {}

/// A field read when usable and ignored otherwise (any JSON value).
pub struct IgnoredUnlessUsable;

impl PartialSchema for IgnoredUnlessUsable {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::AnyValue)
            .into()
    }
}

impl ToSchema for IgnoredUnlessUsable {}

/// `webhook_url`: an http(s) URL whose host is not a private address, or
/// blank / null for the merchant's own webhook.
pub struct WebhookUrlField;

impl PartialSchema for WebhookUrlField {
    fn schema() -> RefOr<Schema> {
        AnyOfBuilder::new()
            .item(
                string_matching(
                    r"^https://(?:[a-z0-9]{1,30}\.){1,3}[a-z]{2,12}(?:/[a-z0-9_-]{0,30}){0,3}$",
                )
                .examples(["https://shop.example/kassa-webhook"]),
            )
            .item(string_matching(BLANK_PATTERN))
            .item(of_types(&[Type::Null]))
            .description(Some(
                "A webhook URL for this session only: `https://` (plain `http://` is read \
                 in sandbox too), never a private, loopback or link-local address.",
            ))
            .into()
    }
}

impl ToSchema for WebhookUrlField {}

/// The status lookup: one query parameter object whose properties are sent
/// as `session_id=…`, `order_id=…` or `number=…` (form style, exploded),
/// with at least one of them present and not blank.
pub fn status_lookup() -> Parameter {
    const PROPERTIES: [(&str, &str, &str); 3] = [
        ("session_id", "The session id.", "4815162342108"),
        (
            "order_id",
            "Your order reference: finds your newest session with it.",
            "ORDER_123",
        ),
        ("number", "`session_<id>`.", "session_4815162342108"),
    ];
    // One shape per parameter that may carry the lookup: that one not
    // blank, the others anything (a blank one is skipped).
    let shape = |required: &str| {
        PROPERTIES
            .iter()
            .fold(
                ObjectBuilder::new(),
                |object, (name, description, example)| {
                    let mut property = ObjectBuilder::new()
                        .schema_type(Type::String)
                        .description(Some(*description))
                        .examples([*example]);
                    if *name == required {
                        property = property.pattern(Some(r"\S"));
                    }
                    object.property(*name, property)
                },
            )
            .required(required)
    };
    let schema = AnyOfBuilder::new()
        .item(shape("session_id"))
        .item(shape("order_id"))
        .item(shape("number"));
    ParameterBuilder::new()
        .name("lookup")
        .parameter_in(ParameterIn::Query)
        .required(Required::True)
        .deprecated(Some(Deprecated::False))
        .style(Some(ParameterStyle::Form))
        .explode(Some(true))
        .description(Some(
            "Which session: `session_id=N`, `order_id=REF` or `number=session_N` in the \
             query string (one is required; `session_id` wins, then `number`, then \
             `order_id`). Without any: 400 `invalid_request`.",
        ))
        .schema(Some(schema))
        .build()
}
