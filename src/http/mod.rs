//! What every web door shares: the application state handlers reach
//! ([`state::AppState`]), the per-request middleware, load shedding at the
//! API's busiest doors, reading a request body
//! under a size limit, the cache of authenticated API keys (and the follower
//! that forgets keys revoked on other nodes), the URLs of the hosted pages
//! that answers point to, the client address behind a trusted proxy, and
//! the dashboard's account session, CSRF and security headers.
//!
//! This module sits between `app` and the doors (`api`, `pages`): both take
//! what they share from here, so `pages` never imports `api`. It must not
//! register routes, hold handlers or render pages, and it must not import
//! `api`, `pages`, `cli` or `startup`.

pub mod account;
pub mod admission;
pub mod auth_cache;
pub mod body;
pub mod client_ip;
pub mod headers;
pub mod key_revocations;
pub mod middleware;
pub mod state;
pub mod urls;
