use super::*;

fn c(at: i64, id: i64) -> Cursor {
    Cursor {
        created_at_ms: at,
        id,
    }
}

#[test]
fn an_empty_filter_narrows_nothing() {
    assert_eq!(
        SessionFilter::parse("", " ", "", "", "").unwrap(),
        SessionFilter::default()
    );
}

#[test]
fn days_are_utc_and_the_end_day_is_included() {
    let f = SessionFilter::parse("paid", "2026-12-01", "2026-12-01", " A-1 ", "").unwrap();
    assert_eq!(f.status, Some(SessionStatus::Paid));
    assert_eq!(f.created_from_ms, Some(1_796_083_200_000));
    assert_eq!(f.created_until_ms, Some(1_796_083_200_000 + DAY_MS));
    assert_eq!(f.order_id.as_deref(), Some("A-1"));
}

#[test]
fn a_bad_status_date_order_order_id_or_source_is_refused() {
    assert_eq!(
        SessionFilter::parse("done", "", "", "", ""),
        Err(FilterError::Status("done".into()))
    );
    assert_eq!(
        SessionFilter::parse("", "2026-13-01", "", "", ""),
        Err(FilterError::Date("2026-13-01".into()))
    );
    assert_eq!(
        SessionFilter::parse("", "", "yesterday", "", ""),
        Err(FilterError::Date("yesterday".into()))
    );
    assert_eq!(
        SessionFilter::parse("", "2026-12-02", "2026-12-01", "", ""),
        Err(FilterError::DateOrder)
    );
    assert_eq!(
        SessionFilter::parse("", "", "", "", "shop"),
        Err(FilterError::Source("shop".into()))
    );
    let long = "x".repeat(MAX_ORDER_ID + 1);
    assert_eq!(
        SessionFilter::parse("", "", "", &long, ""),
        Err(FilterError::OrderId)
    );
}

#[test]
fn a_cursor_survives_its_token_and_garbage_is_refused() {
    let cursor = c(1_796_083_200_123, -42);
    assert_eq!(Cursor::parse(&cursor.token()), Ok(cursor));
    for bad in ["", "12", "a_1", "1_b", "1_2_3", "99999999999999999999_1"] {
        assert_eq!(Cursor::parse(bad), Err(FilterError::Cursor), "{bad}");
    }
}

#[test]
fn the_first_page_links_only_to_older_rows_when_there_are_more() {
    let rows = vec![5, 4, 3];
    let page = page_of(PageAt::First, rows, 2, |r| c(*r, *r));
    assert_eq!(page.rows, vec![5, 4]);
    assert_eq!(page.newer, None);
    assert_eq!(page.older, Some(c(4, 4)));

    let last = page_of(PageAt::First, vec![5, 4], 2, |r| c(*r, *r));
    assert_eq!((last.newer, last.older), (None, None));
}

#[test]
fn an_older_page_links_back_to_newer_rows() {
    let page = page_of(PageAt::Older(c(6, 6)), vec![5, 4], 2, |r| c(*r, *r));
    assert_eq!(page.newer, Some(c(5, 5)));
    assert_eq!(page.older, None, "no extra row: nothing older");
}

#[test]
fn a_newer_page_is_put_back_newest_first() {
    let page = page_of(PageAt::Newer(c(3, 3)), vec![4, 5, 6], 2, |r| c(*r, *r));
    assert_eq!(page.rows, vec![5, 4]);
    assert_eq!(page.newer, Some(c(5, 5)));
    assert_eq!(page.older, Some(c(4, 4)));

    let newest = page_of(PageAt::Newer(c(3, 3)), vec![4, 5], 2, |r| c(*r, *r));
    assert_eq!(newest.rows, vec![5, 4]);
    assert_eq!(newest.newer, None, "the newest rows were reached");
}

#[test]
fn a_source_filter_names_one_door() {
    let f = SessionFilter::parse("", "", "", "", " link ").unwrap();
    assert_eq!(f.source, Some(SourceKind::Link));
    assert_eq!(
        SessionFilter::parse("", "", "", "", "").unwrap().source,
        None
    );
}
