//! The driver primitives the one store implementation (`statements.rs`) is written over: `Sql` (run a statement,
//! get owned rows), its arguments (`Arg`) and values (`Value`, `Row`), and the `Dialect` for the few fragments the two
//! databases spell differently.
//!
//! Statements are written once, in SQLite's numbered placeholders (`?1`, `?2`); PostgreSQL's driver rewrites them
//! to `$1`, `$2` (`postgres_placeholders`) and prepares each with the types of its arguments, so one `i64` argument
//! serves a `BIGINT` and an `INTEGER` column alike.

use crate::error::{ApiError, ApiResult};

/// An argument of a statement, typed so that PostgreSQL can prepare the statement with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arg<'a> {
    Text(Option<&'a str>),
    Int(Option<i64>),
    Bool(bool),
    Bytes(Option<&'a [u8]>),
}

/// An argument kept beyond its statement's call (a write sent later, a read remembered).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OwnedArg {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(bool),
    Bytes(Option<Vec<u8>>),
}

impl Arg<'_> {
    pub fn kept(self) -> OwnedArg {
        match self {
            Arg::Text(text) => OwnedArg::Text(text.map(str::to_owned)),
            Arg::Int(n) => OwnedArg::Int(n),
            Arg::Bool(b) => OwnedArg::Bool(b),
            Arg::Bytes(bytes) => OwnedArg::Bytes(bytes.map(<[u8]>::to_vec)),
        }
    }
}

impl OwnedArg {
    pub fn as_arg(&self) -> Arg<'_> {
        match self {
            OwnedArg::Text(text) => Arg::Text(text.as_deref()),
            OwnedArg::Int(n) => Arg::Int(*n),
            OwnedArg::Bool(b) => Arg::Bool(*b),
            OwnedArg::Bytes(bytes) => Arg::Bytes(bytes.as_deref()),
        }
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(value: &'a str) -> Self {
        Arg::Text(Some(value))
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(value: &'a String) -> Self {
        Arg::Text(Some(value))
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(value: Option<&'a str>) -> Self {
        Arg::Text(value)
    }
}

impl<'a> From<&'a Option<String>> for Arg<'a> {
    fn from(value: &'a Option<String>) -> Self {
        Arg::Text(value.as_deref())
    }
}

impl From<i64> for Arg<'_> {
    fn from(value: i64) -> Self {
        Arg::Int(Some(value))
    }
}

impl From<u32> for Arg<'_> {
    fn from(value: u32) -> Self {
        Arg::Int(Some(i64::from(value)))
    }
}

impl From<u16> for Arg<'_> {
    fn from(value: u16) -> Self {
        Arg::Int(Some(i64::from(value)))
    }
}

impl From<bool> for Arg<'_> {
    fn from(value: bool) -> Self {
        Arg::Bool(value)
    }
}

impl<'a> From<&'a [u8]> for Arg<'a> {
    fn from(value: &'a [u8]) -> Self {
        Arg::Bytes(Some(value))
    }
}

/// The arguments of a statement: `args![a, b, c]`.
macro_rules! args {
    ($($arg:expr),* $(,)?) => { &[$($crate::store::sql::Arg::from($arg)),*] };
}
pub(super) use args;

/// A value read back.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

/// One row read back, its values in the statement's column order.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Value>);

fn unexpected(column: usize, wanted: &str, found: &Value) -> ApiError {
    ApiError::Internal(anyhow::anyhow!("column {column}: expected {wanted}, found {found:?}"))
}

impl Row {
    fn at(&self, column: usize) -> ApiResult<&Value> {
        self.0.get(column).ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no column {column} in the row")))
    }

    pub fn text(&self, column: usize) -> ApiResult<String> {
        match self.at(column)? {
            Value::Text(text) => Ok(text.clone()),
            other => Err(unexpected(column, "text", other)),
        }
    }

    pub fn opt_text(&self, column: usize) -> ApiResult<Option<String>> {
        match self.at(column)? {
            Value::Null => Ok(None),
            _ => self.text(column).map(Some),
        }
    }

    pub fn int(&self, column: usize) -> ApiResult<i64> {
        match self.at(column)? {
            Value::Int(n) => Ok(*n),
            other => Err(unexpected(column, "an integer", other)),
        }
    }

    pub fn opt_int(&self, column: usize) -> ApiResult<Option<i64>> {
        match self.at(column)? {
            Value::Null => Ok(None),
            _ => self.int(column).map(Some),
        }
    }

    pub fn bool(&self, column: usize) -> ApiResult<bool> {
        self.int(column).map(|n| n != 0)
    }

    pub fn opt_bytes(&self, column: usize) -> ApiResult<Option<Vec<u8>>> {
        match self.at(column)? {
            Value::Null => Ok(None),
            Value::Bytes(bytes) => Ok(Some(bytes.clone())),
            other => Err(unexpected(column, "bytes", other)),
        }
    }
}

/// Which database a statement runs on, for the fragments they spell differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// A text field of a resource's JSON body.
    pub fn json_text(self, field: &str) -> String {
        match self {
            Dialect::Sqlite => format!("json_extract(body, '$.{field}')"),
            Dialect::Postgres => format!("(body::jsonb ->> '{field}')"),
        }
    }

    /// An integer field of a resource's JSON body.
    pub fn json_int(self, field: &str) -> String {
        match self {
            Dialect::Sqlite => format!("json_extract(body, '$.{field}')"),
            Dialect::Postgres => format!("((body::jsonb ->> '{field}')::bigint)"),
        }
    }

    /// Whether `haystack` contains the text of argument `needle` (`?N`).
    pub fn contains(self, haystack: &str, needle: &str) -> String {
        match self {
            Dialect::Sqlite => format!("instr({haystack}, {needle}) > 0"),
            Dialect::Postgres => format!("strpos({haystack}, {needle}) > 0"),
        }
    }

    /// What a worker's claim adds to its choice of rows: PostgreSQL passes over rows another replica's worker is
    /// claiming (SQLite has one writer, so nothing to pass over).
    pub fn skip_locked(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// What a read adds to hold the rows it read until the transaction ends: PostgreSQL locks them, so that another
    /// replica's claim passes over them (`skip_locked`); SQLite's one writer already excludes every other.
    pub fn lock_rows(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }

    /// The column that orders jobs inserted in the same millisecond (SQLite's rowid; PostgreSQL's identity column).
    pub fn job_order(self) -> &'static str {
        match self {
            Dialect::Sqlite => "rowid",
            Dialect::Postgres => "seq",
        }
    }
}

/// A step of a savepoint an operation sets inside its own (a job's advance, a job's step).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SavepointStep {
    Open,
    Release,
    RollBack,
}

impl SavepointStep {
    pub fn sql(self, name: &str) -> String {
        match self {
            SavepointStep::Open => format!("SAVEPOINT {name}"),
            SavepointStep::Release => format!("RELEASE SAVEPOINT {name}"),
            SavepointStep::RollBack => format!("ROLLBACK TO SAVEPOINT {name}"),
        }
    }
}

/// What a database driver offers the store: statements with arguments, owned rows back.
pub trait Sql {
    fn dialect(&self) -> Dialect;

    /// Runs a statement that returns rows.
    fn query(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<Vec<Row>>;

    /// Runs a statement; the number of rows it changed.
    fn execute(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<u64>;

    /// Runs statements without arguments or results (savepoints).
    fn batch(&self, sql: &str) -> ApiResult<()>;

    /// A savepoint inside the running operation: opened, released or rolled back to. PostgreSQL's writer leaves out
    /// one that never reached the database (`PgConn::nested_savepoint`).
    fn nested_savepoint(&self, step: SavepointStep, name: &'static str) -> ApiResult<()> {
        self.batch(&step.sql(name))
    }

    /// Runs a write whose caller does not wait for its answer; it must change `expect.0` rows, if given, or the
    /// operation fails with `expect.1`. SQLite runs it at once. PostgreSQL sends it in front of the next statement of
    /// the batch, pipelined, at the latest with the commit; if it fails then, its operation alone is rolled back and
    /// fails (`take_failed_operations`).
    fn execute_later(&self, sql: &str, args: &[Arg<'_>], expect: Option<(u64, String)>) -> ApiResult<()> {
        let changed = self.execute(sql, args)?;
        match expect {
            Some((wanted, why)) if changed != wanted => Err(ApiError::Internal(anyhow::anyhow!(why))),
            _ => Ok(()),
        }
    }

    /// The writer begins the batch's operation `index`: its savepoint.
    fn begin_operation(&self, _index: usize) -> ApiResult<()> {
        self.batch("SAVEPOINT write_op")
    }

    /// The operation `index` returned; if it failed, its savepoint is rolled back.
    fn end_operation(&self, _index: usize, succeeded: bool) -> ApiResult<()> {
        self.batch(if succeeded {
            "RELEASE SAVEPOINT write_op"
        } else {
            "ROLLBACK TO SAVEPOINT write_op; RELEASE SAVEPOINT write_op"
        })
    }

    /// After the commit: the operations that returned but whose kept writes failed afterwards (each rolled back
    /// alone), by their index, with the error. SQLite runs every write at once, so it has none.
    fn take_failed_operations(&self) -> Vec<(usize, ApiError)> {
        Vec::new()
    }

    /// Runs these reads in one flight (PostgreSQL: all sent before the first answer is read); their rows, in order.
    fn query_together(&self, reads: &[(&str, Vec<Arg<'_>>)]) -> ApiResult<Vec<Vec<Row>>> {
        reads.iter().map(|(sql, args)| self.query(sql, args)).collect()
    }

    /// Whether this read is remembered (PostgreSQL's writer: `remembered.rs`).
    fn remembers(&self, _sql: &str, _args: &[Arg<'_>]) -> bool {
        false
    }

    /// Remembers `rows` as what this read answers now, where reads are remembered (`Store::read_ahead`, which reads
    /// many rows in one statement and remembers each single read it answers).
    fn remember(&self, _sql: &str, _args: &[Arg<'_>], _rows: Vec<Row>) {}

    /// Whether this connection remembers its reads (PostgreSQL's writer), which `Store::read_ahead` fills.
    fn remembers_reads(&self) -> bool {
        false
    }

    /// A write changed (or may have changed) something: noted for the operation's audit event (`take_noted`), and on
    /// SQLite for the writer, which invalidates what its hot-read cache holds of it.
    fn touched(&self, kind: &'static str, project: &str, id: &str);

    /// What `touched` noted since the last call, `(kind, id)`.
    fn take_noted(&self) -> Vec<(String, String)>;

    /// At most one row.
    fn query_opt(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<Option<Row>> {
        Ok(self.query(sql, args)?.into_iter().next())
    }

    /// Exactly one row.
    fn query_one(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<Row> {
        self.query_opt(sql, args)?.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no row from `{sql}`")))
    }

    /// The first column of every row, as text.
    fn texts(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<Vec<String>> {
        self.query(sql, args)?.iter().map(|row| row.text(0)).collect()
    }

    /// The first column of the row, if any, as text.
    fn text(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<Option<String>> {
        self.query_opt(sql, args)?.map(|row| row.text(0)).transpose()
    }

    /// Whether the statement finds a row.
    fn exists(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<bool> {
        Ok(self.query_opt(sql, args)?.is_some())
    }
}

/// A statement with SQLite's numbered placeholders (`?1`) in PostgreSQL's (`$1`). The statements have no `?` in a
/// string literal, so every `?` followed by digits is a placeholder.
pub fn postgres_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(
            postgres_placeholders("SELECT body FROM t WHERE a = ?1 AND b IN (?12, ?3) AND c = '$.x'"),
            "SELECT body FROM t WHERE a = $1 AND b IN ($12, $3) AND c = '$.x'"
        );
    }

    #[test]
    fn rows_read_their_values_or_say_what_they_found() {
        let row = Row(vec![Value::Text("a".into()), Value::Null, Value::Int(1), Value::Bytes(vec![1])]);
        assert_eq!(row.text(0).unwrap(), "a");
        assert_eq!(row.opt_text(1).unwrap(), None);
        assert!(row.bool(2).unwrap());
        assert_eq!(row.opt_bytes(3).unwrap(), Some(vec![1]));
        assert!(row.int(0).is_err() && row.text(4).is_err());
    }
}
