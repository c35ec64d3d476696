//! The two kinds of people who log in to Kassa's web doors: merchants on
//! the dashboard and operators on the admin console. Their sessions share
//! one machinery but never one another's cookies or pages: a session found
//! for one realm is never accepted by the other.

/// Whose account a session belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Realm {
    Merchant,
    Operator,
}

impl Realm {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Realm::Merchant => "merchant",
            Realm::Operator => "operator",
        }
    }

    /// The realm stored as `name`, if it is one.
    pub fn parse(name: &str) -> Option<Realm> {
        [Realm::Merchant, Realm::Operator]
            .into_iter()
            .find(|r| r.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realms_read_back_from_their_stored_names() {
        for realm in [Realm::Merchant, Realm::Operator] {
            assert_eq!(Realm::parse(realm.as_str()), Some(realm));
        }
        assert_eq!(Realm::parse("admin"), None);
    }
}
