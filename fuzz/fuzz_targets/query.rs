//! Any text as the query string of the pages: the hosted pages' query (and
//! their form bodies, read the same way), the status lookup of
//! `GET /gateway/session_status.php` (read as actix's `web::Query` reads
//! it), and the dashboard's session list with its filters and cursor.
//!
//! Beyond "no panic": what a page understood, written back as the links
//! write it, reads again to the very same thing; ids are positive, texts
//! trimmed and bounded, and refusals carry a documented code or a field.
#![no_main]

use kassa::api::session_status::{Lookup, StatusQuery, lookup};
use kassa::domain::session_list::{MAX_ORDER_ID, PageAt};
use kassa::pages::checkout::query::PageQuery;
use kassa::pages::dashboard::sessions::query::ListQuery;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    hosted_page(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    status_lookup(text);
    session_list(text);
});

fn hosted_page(data: &[u8]) {
    let q = PageQuery::parse(data);
    assert!(q.session.is_none_or(|id| id > 0));
    let texts = [
        ("method", &q.method),
        ("provider", &q.provider),
        ("token", &q.token),
        ("email", &q.email),
        ("back", &q.back),
    ];
    for (_, value) in texts {
        if let Some(v) = value {
            assert!(!v.is_empty() && v.len() <= 320 && v.trim() == v, "{v:?}");
        }
    }
    assert_eq!(q.hint(), q.provider.as_deref().or(q.method.as_deref()));
    let suffix = q.lang_suffix();
    assert!(suffix.is_empty() || (suffix.starts_with("&lang=") && suffix.len() == 8));
    // Written back as a link would, it reads to the same query.
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    if let Some(id) = q.session {
        out.append_pair("session", &id.to_string());
    }
    if let Some(lang) = q.lang {
        out.append_pair("lang", lang.code());
    }
    for (key, value) in texts {
        if let Some(v) = value {
            out.append_pair(key, v);
        }
    }
    assert_eq!(PageQuery::parse(out.finish().as_bytes()), q);
}

fn status_lookup(text: &str) {
    // actix answers 400 itself when the query does not deserialise.
    let Ok(query) = serde_urlencoded::from_str::<StatusQuery>(text) else {
        return;
    };
    match lookup(&query) {
        Ok(Lookup::Id(id)) => assert!(id > 0),
        Ok(Lookup::Order(order)) => {
            assert!(!order.is_empty() && order.trim() == order && !order.contains('\0'));
        }
        Err(e) => assert!(
            matches!(e.code(), "session_not_found" | "invalid_request"),
            "{}",
            e.code()
        ),
    }
}

fn session_list(text: &str) {
    let q = ListQuery::read(text);
    if let Some((field, _)) = &q.error {
        assert!(q.error_of(field).is_some_and(|m| !m.is_empty()));
        assert!(q.understood().is_none());
        return;
    }
    let Some((filter, at)) = q.understood() else {
        panic!("{text:?}: neither understood nor refused");
    };
    if let (Some(from), Some(until)) = (filter.created_from_ms, filter.created_until_ms) {
        assert!(from < until, "{text:?}");
    }
    if let Some(order) = &filter.order_id {
        assert!(!order.is_empty() && order.chars().count() <= MAX_ORDER_ID);
    }
    // The newer/older links keep the filters and the cursor.
    let page = match at {
        PageAt::First => None,
        PageAt::Older(c) => Some(("before", c)),
        PageAt::Newer(c) => Some(("after", c)),
    };
    let link = q.link("", page);
    let again = ListQuery::read(link.strip_prefix('?').unwrap_or(&link));
    assert_eq!(
        again.understood(),
        Some((filter, at)),
        "{text:?} -> {link:?}"
    );
}
