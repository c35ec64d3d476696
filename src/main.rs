//! The `kassa` binary: parse the command line, set up logging, run the command.

use std::process::ExitCode;

use clap::Parser;
use kassa::cli::{self, Cli};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _ = rustls::crypto::ring::default_provider().install_default();
    kassa::telemetry::init("info,sqlx=warn");
    let result = actix_web::rt::System::new().block_on(cli::run(cli));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
