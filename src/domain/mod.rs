//! Pure rules and value types: money, shop domains, e-mail and wallet
//! addresses, API keys, merchants and their branding, the session state
//! machine, held money, the routing policy, the session list's
//! filters and keyset pages, the paid volume per day, and the operators'
//! audit log's actors and actions, and sealing secrets at rest. No I/O here: every function
//! can be unit-tested in isolation.

pub mod account_realm;
pub mod api_key;
pub mod attention;
pub mod audit;
pub mod branding;
pub mod checkout_session;
pub mod client_addr;
pub mod confirmation;
pub mod contrast;
pub mod deposit;
pub mod email;
pub mod held;
pub mod https_url;
pub mod journal;
pub mod merchant;
pub mod money;
pub mod money_check;
pub mod page_token;
pub mod password;
pub mod payment_link;
pub mod payout;
pub mod payout_wallet;
pub mod product;
pub mod retry;
pub mod routing;
pub mod secret_box;
pub mod security_event;
pub mod session;
pub mod session_list;
pub mod session_source;
pub mod shop_domain;
pub mod signature;
pub mod slug;
pub mod totp;
pub mod volume;
pub mod wallet;
