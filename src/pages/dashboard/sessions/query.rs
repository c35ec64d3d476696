//! The session list's query string: the filters as typed (echoed back into
//! the form), the page asked for (`before` / `after` a cursor), and what
//! was wrong with them, by field. Also the links that keep the filters:
//! newer, older, and the CSV export. Reads the raw query itself, so no
//! query string can fail before the page explains what was wrong.

use crate::domain::session_list::{Cursor, FilterError, PageAt, SessionFilter};

/// The list's query, as typed and as understood.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub status: String,
    pub from: String,
    pub to: String,
    pub order_id: String,
    pub source: String,
    pub filter: SessionFilter,
    pub at: Option<PageAt>,
    /// The field in error and why (the page answers 400).
    pub error: Option<(&'static str, FilterError)>,
}

impl ListQuery {
    /// Reads `raw` (the request's query string).
    pub fn read(raw: &str) -> ListQuery {
        let mut q = ListQuery::default();
        let (mut before, mut after) = (None, None);
        for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
            let v = v.into_owned();
            match k.as_ref() {
                "status" => q.status = v,
                "from" => q.from = v,
                "to" => q.to = v,
                "order_id" => q.order_id = v,
                "source" => q.source = v,
                "before" => before = Some(v),
                "after" => after = Some(v),
                _ => {}
            }
        }
        match SessionFilter::parse(&q.status, &q.from, &q.to, &q.order_id, &q.source) {
            Ok(filter) => q.filter = filter,
            Err(e) => q.error = Some((field_of(&e, &q.to), e)),
        }
        let at = match (before, after) {
            (Some(b), _) => Cursor::parse(&b).map(PageAt::Older),
            (None, Some(a)) => Cursor::parse(&a).map(PageAt::Newer),
            (None, None) => Ok(PageAt::First),
        };
        match at {
            Ok(at) => q.at = Some(at),
            Err(e) if q.error.is_none() => q.error = Some(("page", e)),
            Err(_) => {}
        }
        q
    }

    /// The page to read, when the query was understood.
    pub fn understood(&self) -> Option<(&SessionFilter, PageAt)> {
        match (&self.error, self.at) {
            (None, Some(at)) => Some((&self.filter, at)),
            _ => None,
        }
    }

    /// The filters as a query string (no page), for links.
    pub fn filters(&self) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("status", &self.status),
            ("from", &self.from),
            ("to", &self.to),
            ("order_id", &self.order_id),
            ("source", &self.source),
        ] {
            if !v.trim().is_empty() {
                out.append_pair(k, v.trim());
            }
        }
        out.finish()
    }

    /// The link to the list with these filters and `page` (`before=…`).
    pub fn link(&self, path: &str, page: Option<(&str, Cursor)>) -> String {
        let mut q = self.filters();
        if let Some((k, c)) = page {
            if !q.is_empty() {
                q.push('&');
            }
            q.push_str(&format!("{k}={}", c.token()));
        }
        if q.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{q}")
        }
    }

    /// The error of `field`, if any (templates call this).
    pub fn error_of(&self, field: &str) -> Option<String> {
        self.error
            .as_ref()
            .filter(|(f, _)| *f == field)
            .map(|(_, e)| capitalise(&e.to_string()))
    }
}

fn field_of(e: &FilterError, to: &str) -> &'static str {
    match e {
        FilterError::Status(_) => "status",
        FilterError::Date(raw) if raw == to.trim() => "to",
        FilterError::Date(_) | FilterError::DateOrder => "from",
        FilterError::OrderId => "order_id",
        FilterError::Source(_) => "source",
        FilterError::Cursor => "page",
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_and_a_cursor_are_read_and_links_keep_the_filters() {
        let q = ListQuery::read("status=paid&order_id=A+1&before=5_7&x=y");
        assert_eq!(
            q.understood().map(|(f, _)| f.order_id.clone()),
            Some(Some("A 1".into()))
        );
        assert_eq!(
            q.at,
            Some(PageAt::Older(Cursor {
                created_at_ms: 5,
                id: 7
            }))
        );
        let c = Cursor {
            created_at_ms: 9,
            id: 1,
        };
        assert_eq!(
            q.link("/dashboard/sessions", Some(("after", c))),
            "/dashboard/sessions?status=paid&order_id=A+1&after=9_1"
        );
        assert_eq!(ListQuery::read("").link("/x", None), "/x");
    }

    #[test]
    fn a_bad_field_or_cursor_is_named() {
        let q = ListQuery::read("from=2026-02-30");
        assert_eq!(q.error.as_ref().map(|(f, _)| *f), Some("from"));
        assert!(q.understood().is_none());
        assert!(
            q.error_of("from")
                .unwrap_or_default()
                .contains("2026-02-30")
        );
        let q = ListQuery::read("after=nope");
        assert_eq!(q.error.as_ref().map(|(f, _)| *f), Some("page"));
    }
}
