//! Polygon: HD derivation of deposit addresses (and, later, the RPC client,
//! the sandbox ledger and ERC-20 bindings) behind one trait.

pub mod hd;
