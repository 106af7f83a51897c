//! sdrs-cli: the `sdrs` command. Every rule it applies is sdrs-core's; every request goes through sdrs-client.
//!
//! Text goes to a terminal (tables, a progress bar while a job runs) or to a pipe (plain lines); `--output json`
//! prints one JSON document per command instead, errors included. A change is submitted once: when no answer comes,
//! the command says so and how to find out, and never sends it again.

pub mod args;
mod commands;
pub mod config;
mod output;

use std::ffi::OsString;

use clap::{CommandFactory, FromArgMatches};

use sdrs_client::ClientError;

use args::{Cli, Output};

/// Why a command did not do what it was asked; each has its exit status (`args::EXIT_CODES`).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Client(ClientError),
    /// A check found blocking reasons, or the operator did not confirm: nothing was sent.
    #[error("{0}")]
    Blocked(String),
    /// A change was sent and no answer came.
    #[error("{0}")]
    NoAnswer(String),
    /// A job or run ended in failure.
    #[error("{0}")]
    Failed(String),
    #[error("{0}")]
    Io(String),
}

impl CliError {
    pub fn exit_status(&self) -> i32 {
        match self {
            CliError::Config(_) | CliError::Io(_) => 1,
            CliError::Client(ClientError::NoAnswer { .. }) => 4,
            CliError::Client(_) => 1,
            CliError::Blocked(_) => 3,
            CliError::NoAnswer(_) => 4,
            CliError::Failed(_) => 5,
        }
    }
}

impl From<ClientError> for CliError {
    fn from(error: ClientError) -> CliError {
        CliError::Client(error)
    }
}

/// Runs the command line `args`; returns the exit status.
pub fn main_with(args: impl IntoIterator<Item = OsString>) -> i32 {
    let matches = match Cli::command().try_get_matches_from(args) {
        Ok(matches) => matches,
        Err(error) => {
            let _ = error.print();
            return error.exit_code();
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return error.exit_code();
        }
    };
    let output = cli.output;
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("sdrs: {error}");
            return 1;
        }
    };
    match runtime.block_on(commands::run(&cli, &matches)) {
        Ok(status) => status,
        Err(error) => {
            output::report_error(&error, output == Output::Json);
            error.exit_status()
        }
    }
}
