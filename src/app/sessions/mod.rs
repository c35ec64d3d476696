//! Use cases of checkout sessions that more than one door calls: opening
//! one ([`open`]: the merchant API, payment links, product pages).

pub mod open;
