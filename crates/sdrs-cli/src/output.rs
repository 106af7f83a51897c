//! What the operator reads: tables, errors with the catalogue's meaning and handling, JSON documents.

use comfy_table::{presets, Table};
use serde_json::{json, Value};

use sdrs_client::ClientError;
use sdrs_core::ErrorCode;

use crate::CliError;

/// A table with a header, plain ASCII borders (they paste into any incident channel).
pub fn table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut table = Table::new();
    table.load_preset(presets::ASCII_MARKDOWN).set_header(header.to_vec());
    for row in rows {
        table.add_row(row);
    }
    table.to_string()
}

/// Prints a command's JSON document.
pub fn print_json(value: &Value) {
    println!("{}", serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string()));
}

/// The error as JSON: the service's code and message, and the catalogue's meaning and handling when it has them.
pub fn error_json(error: &CliError) -> Value {
    let (code, message, http_status) = match error {
        CliError::Client(ClientError::Api { status, code, message }) => {
            (Some(code.clone()), message.clone(), Some(*status))
        }
        CliError::Client(ClientError::Unexpected { status, detail }) => (None, detail.clone(), Some(*status)),
        other => (None, other.to_string(), None),
    };
    let documented = code.as_deref().and_then(ErrorCode::parse);
    json!({"error": {
        "code": code,
        "message": message,
        "http_status": http_status,
        "meaning": documented.map(|c| c.description()),
        "handling": documented.map(|c| c.handling()),
        "exit_status": error.exit_status(),
    }})
}

/// Prints an error: on stdout as JSON for scripts, on stderr in words otherwise.
pub fn report_error(error: &CliError, json: bool) {
    if json {
        print_json(&error_json(error));
        return;
    }
    match error {
        CliError::Client(ClientError::Api { status, code, message }) => {
            eprintln!("sdrs: refused (HTTP {status}): {code} {message}");
            if let Some(documented) = ErrorCode::parse(code) {
                eprintln!("  meaning:  {}", documented.description());
                eprintln!("  handling: {}", documented.handling());
            }
        }
        other => eprintln!("sdrs: {other}"),
    }
}
