//! Polygon behind one trait ([`source::ChainSource`]): HD derivation of
//! deposit addresses, and the reads the chain watcher makes of a real node
//! or of the sandbox ledger.

pub mod hd;
pub mod rpc;
pub mod source;
