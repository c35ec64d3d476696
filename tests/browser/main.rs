//! The hosted pages in a real browser: headless Chromium driven over
//! WebDriver (chromedriver). A customer pays a card session on the sandbox
//! on-ramp and lands on the shop's return URL while the shop receives the
//! signed webhook; pays on the crypto screen; sees iDEAL only from NL; reads
//! the page in Dutch; is refused a blocked provider override; sees an
//! expired session; cancels back to the shop; and pays with the keyboard alone.
//! A new merchant also onboards in the dashboard (sign-up, domain, wallet,
//! checkout) with the keyboard. A screenshot of each page goes to
//! `target/test-output/screenshots/`.
//!
//! A binary of its own, so it runs after the main suite rather than beside
//! its many concurrent servers. Needs `/usr/bin/chromium` and
//! `/usr/bin/chromedriver` (`apt-get install chromium chromium-driver`);
//! skipped without them, a failure under `KASSA_TEST_REQUIRE_ALL=1`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../helpers.rs"]
mod helpers;
#[path = "../receiver.rs"]
#[allow(dead_code)]
mod receiver;

mod admin;
mod chrome;
mod dashboard;
mod journeys;
mod states;
mod storefront;
