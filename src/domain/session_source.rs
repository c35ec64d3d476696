//! Where a session was opened: the merchant API, one of the merchant's
//! payment links, or one of its product pages. Stored as a kind (`api`,
//! `link`, `product`) and the link's or product's id; this type makes the
//! impossible pairs (an API session with an id, a link without one)
//! unrepresentable past the store.

use std::fmt;

/// The door a session came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionSource {
    Api,
    Link(i64),
    Product(i64),
}

/// A stored kind and id that do not make a source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{kind}` with id {id:?} is not a session source")]
pub struct SourceError {
    pub kind: String,
    pub id: Option<i64>,
}

/// A source kind alone, as filters name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    Api,
    Link,
    Product,
}

impl SourceKind {
    pub const ALL: [SourceKind; 3] = [SourceKind::Api, SourceKind::Link, SourceKind::Product];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Api => "api",
            SourceKind::Link => "link",
            SourceKind::Product => "product",
        }
    }

    /// `api`, `link` or `product`, exactly.
    pub fn parse(s: &str) -> Option<SourceKind> {
        SourceKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl SessionSource {
    pub fn kind(self) -> SourceKind {
        match self {
            SessionSource::Api => SourceKind::Api,
            SessionSource::Link(_) => SourceKind::Link,
            SessionSource::Product(_) => SourceKind::Product,
        }
    }

    /// `api`, `link` or `product` (the `source` field).
    pub fn as_str(self) -> &'static str {
        self.kind().as_str()
    }

    /// The link's or product's id (the `source_id` field).
    pub fn id(self) -> Option<i64> {
        match self {
            SessionSource::Api => None,
            SessionSource::Link(id) | SessionSource::Product(id) => Some(id),
        }
    }

    /// The source stored as `kind` and `id`.
    pub fn from_parts(kind: &str, id: Option<i64>) -> Result<SessionSource, SourceError> {
        match (SourceKind::parse(kind), id) {
            (Some(SourceKind::Api), None) => Ok(SessionSource::Api),
            (Some(SourceKind::Link), Some(id)) => Ok(SessionSource::Link(id)),
            (Some(SourceKind::Product), Some(id)) => Ok(SessionSource::Product(id)),
            (Some(SourceKind::Api | SourceKind::Link | SourceKind::Product) | None, _) => {
                Err(SourceError {
                    kind: kind.to_string(),
                    id,
                })
            }
        }
    }
}

impl fmt::Display for SessionSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_survives_the_round_trip_through_its_stored_parts() {
        for source in [
            SessionSource::Api,
            SessionSource::Link(7),
            SessionSource::Product(9),
        ] {
            assert_eq!(
                SessionSource::from_parts(source.as_str(), source.id()),
                Ok(source)
            );
        }
    }

    #[test]
    fn an_api_session_with_an_id_or_a_link_without_one_is_refused() {
        assert!(SessionSource::from_parts("api", Some(1)).is_err());
        assert!(SessionSource::from_parts("link", None).is_err());
        assert!(SessionSource::from_parts("product", None).is_err());
        assert!(SessionSource::from_parts("shop", None).is_err());
    }

    #[test]
    fn source_kinds_parse_exactly() {
        assert_eq!(SourceKind::parse("link"), Some(SourceKind::Link));
        assert_eq!(SourceKind::parse("Link"), None);
        assert_eq!(SourceKind::parse(""), None);
    }
}
