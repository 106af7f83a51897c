//! Generates the SDRS error catalogue from `data/sdrs-error-codes.tsv`, so the 218 codes are data, not retyped code.

use std::fmt::Write as _;
use std::path::PathBuf;

/// Where a generated `TextColumn` comes from: its static's name and the text a row gives it.
type TextColumnSource = (&'static str, fn(&Row) -> &str);

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
    // One column at a time, not one array of rows: a program that reads only some columns (the console reads the
    // codes and messages) links only those, and the longer texts it never shows stay out of its wasm module. A text
    // column is its texts one after another and where each ends, not an array of `&str`: the array's pointers and
    // lengths were 1.7 KB a column in sdrs-wasm and compress badly.
    writeln!(out, "/// How many codes the documented error table has.").unwrap();
    writeln!(out, "pub(crate) const CODE_COUNT: usize = {};\n", rows.len()).unwrap();
    writeln!(out, "/// The codes, in code order (each nine ASCII characters: `SDRS.` and four digits).").unwrap();
    writeln!(out, "pub(crate) static CODES: [[u8; 9]; CODE_COUNT] = [").unwrap();
    for row in &rows {
        assert_eq!(row.code.len(), 9, "code {} is not nine characters", row.code);
        writeln!(out, "    *b{:?},", row.code).unwrap();
    }
    writeln!(out, "];\n").unwrap();
    writeln!(out, "/// The HTTP status of each code, in code order.").unwrap();
    writeln!(out, "pub(crate) static HTTP_STATUSES: [u16; CODE_COUNT] = [").unwrap();
    for row in &rows {
        writeln!(out, "    {},", row.http_status).unwrap();
    }
    writeln!(out, "];\n").unwrap();
    let columns: [TextColumnSource; 3] = [
        ("MESSAGES", |row| &row.message),
        ("DESCRIPTIONS", |row| &row.description),
        ("HANDLINGS", |row| &row.handling),
    ];
    for (name, cell) in columns {
        let mut text = String::new();
        let mut ends = Vec::new();
        for row in &rows {
            text.push_str(cell(row));
            ends.push(u16::try_from(text.len()).expect("a text column under 64 KiB"));
        }
        writeln!(out, "/// A text column of the documented error table, in code order.").unwrap();
        writeln!(out, "pub(crate) static {name}: TextColumn = TextColumn {{ text: {text:?}, ends: {ends:?} }};\n")
            .unwrap();
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
