//! `kassa merchant set-password --id N`: reads the new dashboard password
//! from standard input (one line) and has `app::merchants` check, hash and
//! store it.
//!
//! The password is never taken as an argument (it would land in shell
//! history and `ps`), never echoed back and never logged; only a
//! confirmation is printed.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, anyhow};
use clap::Args;
use secrecy::SecretString;

use super::merchant::refusal;
use crate::app::merchants::{self, MerchantError};
use crate::clock::{Clock, SystemClock};
use crate::store::Store;

#[derive(Debug, Args)]
pub struct SetPasswordArgs {
    /// The merchant id.
    #[arg(long)]
    id: i64,
    /// Read the password from standard input (the only way; the flag only
    /// makes it explicit in scripts).
    #[arg(long)]
    password_stdin: bool,
}

pub(super) async fn set_password(store: &Store, a: SetPasswordArgs) -> anyhow::Result<()> {
    let _ = a.password_stdin;
    let password = read_password_line()?;
    merchants::set_password(store, a.id, password, SystemClock.now_ms())
        .await
        .map_err(|e| match e {
            MerchantError::Store(e) => anyhow::Error::new(e).context("setting the password"),
            other => refusal(other),
        })?;
    println!("merchant {}: dashboard password set", a.id);
    Ok(())
}

/// One line from standard input, without its line ending.
fn read_password_line() -> anyhow::Result<SecretString> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("New password (one line on standard input; it will be visible as you type):");
    }
    let mut line = String::new();
    let read = stdin
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    if read == 0 {
        return Err(anyhow!(
            "no password on standard input: pipe one line in, e.g. `kassa merchant set-password --id 1 < file`"
        ));
    }
    let password = line
        .strip_suffix('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .unwrap_or(&line)
        .to_string();
    Ok(SecretString::from(password))
}
