//! Generates the SDRS error catalogue from `data/sdrs-error-codes.tsv`, so the 218 codes are data, not retyped code.

use std::fmt::Write as _;
use std::path::PathBuf;

/// A generated column: its static's name, its element type, and how a row fills it.
type Column = (&'static str, &'static str, fn(&Row) -> String);

struct Row {
    http_status: u16,
    code: String,
    message: String,
    description: String,
    handling: String,
}

fn main() {
    let source = "data/sdrs-error-codes.tsv";
    println!("cargo:rerun-if-changed={source}");
    let text = std::fs::read_to_string(source).expect("read the error-code table");
    let mut rows: Vec<Row> = text
        .lines()
        .skip(1) // header: http_status code message description handling
        .filter(|line| !line.trim().is_empty())
        .enumerate()
        .map(|(index, line)| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 5, "line {} of {source} has {} fields", index + 2, fields.len());
            Row {
                http_status: fields[0].parse().expect("numeric HTTP status"),
                code: fields[1].to_owned(),
                // The published table marks parameter names in Markdown bold; the service's own messages do not.
                message: fields[2].replace("**", ""),
                description: fields[3].replace("**", ""),
                handling: fields[4].replace("**", ""),
            }
        })
        .collect();
    rows.sort_by(|a, b| a.code.cmp(&b.code));
    for pair in rows.windows(2) {
        assert_ne!(pair[0].code, pair[1].code, "duplicate code {}", pair[0].code);
    }

    let mut out = String::new();
    // One array per column, not one array of rows: a program that reads only some columns (the console reads the
    // codes and messages) links only those, and the longer texts it never shows stay out of its wasm module.
    let columns: [Column; 5] = [
        ("CODES", "&str", |row| format!("{:?}", row.code)),
        ("HTTP_STATUSES", "u16", |row| row.http_status.to_string()),
        ("MESSAGES", "&str", |row| format!("{:?}", row.message)),
        ("DESCRIPTIONS", "&str", |row| format!("{:?}", row.description)),
        ("HANDLINGS", "&str", |row| format!("{:?}", row.handling)),
    ];
    for (name, kind, cell) in columns {
        writeln!(out, "/// A column of the documented error table, in code order.").unwrap();
        writeln!(out, "pub(crate) static {name}: [{kind}; {}] = [", rows.len()).unwrap();
        for row in &rows {
            writeln!(out, "    {},", cell(row)).unwrap();
        }
        writeln!(out, "];\n").unwrap();
    }
    writeln!(out, "impl ErrorCode {{").unwrap();
    for (index, row) in rows.iter().enumerate() {
        let ident = row.code.replace('.', "_");
        writeln!(out, "    /// {} (HTTP {}): {}", row.code, row.http_status, row.message).unwrap();
        writeln!(out, "    pub const {ident}: ErrorCode = ErrorCode({index});").unwrap();
    }
    writeln!(out, "}}").unwrap();

    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("catalogue.rs");
    std::fs::write(dest, out).expect("write the generated catalogue");
}
