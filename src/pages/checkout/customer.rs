//! Who is paying, as far as the pages can tell without a cookie: the
//! language (explicit `lang=` link, else `Accept-Language`) and the country
//! (a trusted edge header such as `CF-IPCountry`, else the region of
//! `Accept-Language`, else the merchant's own country). The country only
//! decides which methods are offered (iDEAL for NL); it is never stored.

use actix_web::HttpRequest;
use actix_web::http::header::ACCEPT_LANGUAGE;

use super::i18n::{Lang, accept_language};
use super::query::PageQuery;
use crate::domain::merchant::parse_country;

/// The language for this request.
pub fn language(req: &HttpRequest, query: &PageQuery) -> Lang {
    query.lang.unwrap_or_else(|| {
        Lang::from_accept_language(
            req.headers()
                .get(ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        )
    })
}

/// The customer's country (ISO alpha-2, upper case), if any source gives one.
pub fn country(
    req: &HttpRequest,
    edge_header: Option<&str>,
    merchant_country: Option<&str>,
) -> Option<String> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let from_edge = edge_header.and_then(header).and_then(edge_country);
    from_edge
        .or_else(|| header(ACCEPT_LANGUAGE.as_str()).and_then(region_of))
        .or_else(|| merchant_country.and_then(parse_country))
}

/// An edge's country value; Cloudflare's `XX` (unknown) and `T1` (Tor) are none.
fn edge_country(value: &str) -> Option<String> {
    parse_country(value).filter(|c| c != "XX")
}

/// The region of the most preferred `Accept-Language` tag that has one
/// (`nl-NL` → `NL`; `nl` alone names no region).
fn region_of(header: &str) -> Option<String> {
    let mut tags: Vec<(&str, u16)> = accept_language(header).filter(|(_, q)| *q > 0).collect();
    tags.sort_by_key(|t| std::cmp::Reverse(t.1));
    tags.into_iter().find_map(|(tag, _)| {
        tag.split(['-', '_'])
            .skip(1)
            .find(|part| part.len() == 2)
            .and_then(parse_country)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn the_edge_header_wins_then_the_language_region_then_the_merchant() {
        let req = TestRequest::default()
            .insert_header(("CF-IPCountry", "de"))
            .insert_header(("Accept-Language", "nl-NL"))
            .to_http_request();
        assert_eq!(
            country(&req, Some("cf-ipcountry"), Some("NL")).as_deref(),
            Some("DE")
        );
        assert_eq!(country(&req, None, Some("FR")).as_deref(), Some("NL"));
        let bare = TestRequest::default()
            .insert_header(("CF-IPCountry", "XX"))
            .insert_header(("Accept-Language", "nl, en;q=0.5"))
            .to_http_request();
        assert_eq!(
            country(&bare, Some("cf-ipcountry"), Some("FR")).as_deref(),
            Some("FR")
        );
        assert_eq!(country(&bare, Some("cf-ipcountry"), None), None);
    }

    #[test]
    fn the_region_comes_from_the_most_preferred_tag_with_one() {
        assert_eq!(
            region_of("en;q=0.9, de-AT;q=0.8, nl-NL").as_deref(),
            Some("NL")
        );
        assert_eq!(region_of("zh-Hant-TW").as_deref(), Some("TW"));
        assert_eq!(region_of("fr"), None);
    }
}
