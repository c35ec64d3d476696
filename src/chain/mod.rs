//! Polygon behind one trait ([`source::ChainSource`]): HD derivation of
//! deposit addresses, and the reads the chain watcher makes of a real node
//! or of the sandbox ledger (`ledger`, a chain kept in the database). The
//! writes payouts make stand behind [`sender::ChainSender`]; the sandbox
//! ledger takes them too, executing the signed transactions it is sent
//! (`ledger_exec` decodes and checks them, `ledger_sender` mines them).

pub mod hd;
pub mod ledger;
pub mod ledger_exec;
pub mod ledger_sender;
pub mod rpc;
mod rpc_sender;
pub mod sender;
pub mod settings;
pub mod signer;
pub mod source;
pub mod token;
