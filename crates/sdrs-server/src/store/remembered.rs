//! The PostgreSQL writer's remembered reads, and what each write makes it forget.
//!
//! Inside a write batch, which holds the write lock, only the writer's own statements change what it reads. So a read
//! is remembered (by statement and arguments) until a write may have changed it, and a write forgets only that:
//!
//! - a write to a table forgets the reads that name the table (and, for `resources`, the counts its trigger keeps);
//! - a write of one resource row (`RESOURCE_INSERT`, `RESOURCE_UPDATE`, `RESOURCE_DELETE`) forgets the resource
//!   reads other than single rows and member lists, the member lists it joins or leaves (its new group's, and any that
//!   holds its id), and *replaces* the remembered row itself with what was written (a job step reads back the group it
//!   just changed; a worker's batch reads its jobs' groups ahead, and one job's writes leave the others' reads be);
//! - savepoints and their release forget nothing; anything else sent as a simple statement (`ROLLBACK TO`, `BEGIN`)
//!   forgets everything, as does a write whose table cannot be told;
//! - an operation of the batch that ends with writes not sent yet forgets what it remembered or replaced while it ran
//!   (`end_operation`): those writes may still fail and be rolled back, and no later operation may have used them.
//!
//! A name is matched as a substring of the read's text, so a read that merely mentions a table (a column named like
//! it) is forgotten too: more round trips, never a stale answer.

use std::collections::HashMap;

use super::sql::{Arg, OwnedArg, Row, Value};
use super::statements::{MEMBER_BODIES, RESOURCE_BODY, RESOURCE_DELETE, RESOURCE_INSERT, RESOURCE_UPDATE};

/// A read: its statement and arguments.
pub type ReadKey = (String, Vec<OwnedArg>);

pub fn read_key(sql: &str, args: &[Arg<'_>]) -> ReadKey {
    (sql.to_owned(), args.iter().map(|arg| arg.kept()).collect())
}

/// The reads remembered since the batch began, each until a write may change it. A worker's batch remembers hundreds
/// of reads and makes hundreds of writes, so single rows and member lists are kept by their arguments, where a
/// resource row's write finds what it changes without a sweep.
#[derive(Default)]
pub struct Remembered {
    /// `RESOURCE_BODY`, by its arguments `(id, kind, project)`.
    rows: HashMap<Vec<OwnedArg>, Vec<Row>>,
    /// `MEMBER_BODIES`, by its arguments `(server_group_id, kind, project)`.
    member_lists: HashMap<Vec<OwnedArg>, Vec<Row>>,
    /// For each member of a remembered list, `(id, kind, project)`, that list's arguments.
    list_of_member: HashMap<Vec<OwnedArg>, Vec<OwnedArg>>,
    /// Every other read, with the bits of the tables it names.
    others: HashMap<ReadKey, (Vec<Row>, u32)>,
    /// What the writer's running operation put here (read or wrote), while one runs (`begin_operation`).
    operation: Option<Vec<Kept>>,
}

/// Where a remembered read is kept.
enum Kept {
    Row(Vec<OwnedArg>),
    List(Vec<OwnedArg>),
    Other(ReadKey),
}

/// The schema's tables (the migrations' `CREATE TABLE`s), each a bit of what another read names.
const TABLES: [&str; 15] = [
    "audit_events",
    "data_version",
    "domains",
    "failure_jobs",
    "faults",
    "jobs",
    "leases",
    "login_failures",
    "replays",
    "resource_counts",
    "resources",
    "sessions",
    "submissions",
    "webhook_deliveries",
    "webhooks",
];

/// The bits of the tables `sql` names (as a substring: `jobs` also marks a read of `failure_jobs`).
fn tables_named(sql: &str) -> u32 {
    TABLES.iter().enumerate().filter(|(_, table)| sql.contains(*table)).fold(0, |bits, (bit, _)| bits | 1 << bit)
}

fn table_bit(table: &str) -> Option<u32> {
    TABLES.iter().position(|known| *known == table).map(|bit| 1 << bit)
}

/// `resources` and the counts its trigger keeps.
fn resource_bits() -> u32 {
    table_bit("resources").unwrap_or(0) | table_bit("resource_counts").unwrap_or(0)
}

impl Remembered {
    pub fn get(&self, key: &ReadKey) -> Option<&Vec<Row>> {
        match key.0.as_str() {
            RESOURCE_BODY => self.rows.get(&key.1),
            MEMBER_BODIES => self.member_lists.get(&key.1),
            _ => self.others.get(key).map(|(rows, _)| rows),
        }
    }

    pub fn contains(&self, key: &ReadKey) -> bool {
        self.get(key).is_some()
    }

    /// An operation of the writer's batch begins: what it puts here from now on is noted (`end_operation`).
    pub fn begin_operation(&mut self) {
        self.operation = Some(Vec::new());
    }

    /// The operation that began last ended. With `forget`, what it put here is forgotten: its writes are kept to be
    /// sent later and may still fail, so what it read or wrote is read again from the database by the next operation
    /// that needs it, and that read sends those writes first.
    pub fn end_operation(&mut self, forget: bool) {
        let noted = self.operation.take().unwrap_or_default();
        if !forget {
            return;
        }
        for kept in noted {
            match kept {
                Kept::Row(args) => {
                    self.rows.remove(&args);
                }
                Kept::List(args) => {
                    self.member_lists.remove(&args);
                }
                Kept::Other(key) => {
                    self.others.remove(&key);
                }
            }
        }
    }

    fn note(&mut self, kept: impl FnOnce() -> Kept) {
        if let Some(noted) = &mut self.operation {
            noted.push(kept());
        }
    }

    pub fn keep(&mut self, (sql, args): ReadKey, rows: Vec<Row>) {
        match sql.as_str() {
            RESOURCE_BODY => {
                self.note(|| Kept::Row(args.clone()));
                self.rows.insert(args, rows);
            }
            MEMBER_BODIES => {
                if let Some((_, kind, project)) = row_key(&args) {
                    for row in &rows {
                        if let Some(Value::Text(id)) = row.0.get(1) {
                            self.list_of_member.insert(text_args([id, kind, project]), args.clone());
                        }
                    }
                }
                self.note(|| Kept::List(args.clone()));
                self.member_lists.insert(args, rows);
            }
            _ => {
                let tables = tables_named(&sql);
                self.note(|| Kept::Other((sql.clone(), args.clone())));
                self.others.insert((sql, args), (rows, tables));
            }
        }
    }

    pub fn forget_all(&mut self) {
        self.rows.clear();
        self.member_lists.clear();
        self.list_of_member.clear();
        self.others.clear();
    }

    /// A simple statement (savepoints, transaction control) was sent.
    pub fn ran(&mut self, sql: &str) {
        let only_savepoints = sql
            .split(';')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .all(|part| part.starts_with("SAVEPOINT ") || part.starts_with("RELEASE SAVEPOINT "));
        if !only_savepoints {
            self.forget_all();
        }
    }

    /// A write was sent (or kept to be sent). `changed`: the rows it changed, when known (`None` for a write sent
    /// later, which must then change its expected rows or fail the operation, rolling back its savepoint).
    pub fn wrote(&mut self, sql: &str, args: &[Arg<'_>], changed: Option<u64>) {
        if let Some(written) = resource_row_written(sql, args, changed) {
            return self.wrote_resource(written);
        }
        let Some(table) = written_table(sql) else { return self.forget_all() };
        let Some(bit) = table_bit(table) else {
            // A table the list does not know: told by its name.
            self.others.retain(|(read, _), _| !read.contains(table));
            if RESOURCE_BODY.contains(table) || MEMBER_BODIES.contains(table) {
                self.forget_resource_reads();
            }
            return;
        };
        let bits = if bit & resource_bits() != 0 { resource_bits() } else { bit };
        if bits & resource_bits() != 0 {
            self.forget_resource_reads();
        }
        self.others.retain(|_, (_, tables)| *tables & bits == 0);
    }

    fn forget_resource_reads(&mut self) {
        self.rows.clear();
        self.member_lists.clear();
        self.list_of_member.clear();
    }

    fn wrote_resource(&mut self, written: ResourceWrite<'_>) {
        let this = text_args([written.id, written.kind, written.project]);
        // What the row reads as now, when that is known.
        let now = match written.body {
            Body::Removed => Some(Vec::new()),
            Body::Inserted(body) => Some(vec![Row(vec![Value::Text(body.to_owned())])]),
            Body::Updated(body) => {
                // Only a row known to exist is surely updated (under the write lock, nothing else removes it).
                let exists = self.rows.get(&this).is_some_and(|rows| !rows.is_empty());
                exists.then(|| vec![Row(vec![Value::Text(body.to_owned())])])
            }
            Body::Unknown => None,
        };
        // The list it leaves (the one that holds it, if remembered) and the one it joins; other lists keep their rows.
        if let Some(left) = self.list_of_member.remove(&this) {
            self.member_lists.remove(&left);
        }
        if let Some(group) = written.group {
            self.member_lists.remove(&text_args([group, written.kind, written.project]));
        }
        self.others.retain(|_, (_, tables)| *tables & resource_bits() == 0);
        match now {
            Some(rows) => {
                self.note(|| Kept::Row(this.clone()));
                self.rows.insert(this, rows)
            }
            None => self.rows.remove(&this),
        };
    }
}

fn text_args<const N: usize>(texts: [&str; N]) -> Vec<OwnedArg> {
    texts.map(|text| OwnedArg::Text(Some(text.to_owned()))).to_vec()
}

/// The three text arguments of a single-row or member-list read: `(id or group, kind, project)`.
fn row_key(args: &[OwnedArg]) -> Option<(&str, &str, &str)> {
    match args {
        [OwnedArg::Text(Some(id)), OwnedArg::Text(Some(kind)), OwnedArg::Text(Some(project))] => {
            Some((id.as_str(), kind.as_str(), project.as_str()))
        }
        _ => None,
    }
}

/// One resource row's write, as the store's three resource statements give it.
struct ResourceWrite<'a> {
    id: &'a str,
    kind: &'a str,
    project: &'a str,
    /// The group it belongs to after the write, when the write says.
    group: Option<&'a str>,
    body: Body<'a>,
}

enum Body<'a> {
    Inserted(&'a str),
    Updated(&'a str),
    Removed,
    /// An insert that found the row there already: its body is not this one.
    Unknown,
}

fn resource_row_written<'a>(sql: &str, args: &[Arg<'a>], changed: Option<u64>) -> Option<ResourceWrite<'a>> {
    let text = |index: usize| match args.get(index) {
        Some(Arg::Text(Some(text))) => Some(*text),
        _ => None,
    };
    // The argument positions are the statements' own (statements.rs).
    let (id, kind, project, group, body) = if sql == RESOURCE_INSERT {
        let body = text(7)?;
        (text(0)?, text(1)?, text(2)?, text(3), if changed == Some(1) { Body::Inserted(body) } else { Body::Unknown })
    } else if sql == RESOURCE_UPDATE {
        (text(0)?, text(6)?, text(7)?, text(4), Body::Updated(text(5)?))
    } else if sql == RESOURCE_DELETE {
        (text(0)?, text(1)?, text(2)?, None, Body::Removed)
    } else {
        return None;
    };
    Some(ResourceWrite { id, kind, project, group, body })
}

/// The table an `INSERT`, `UPDATE` or `DELETE` writes; `None` for any other statement.
fn written_table(sql: &str) -> Option<&str> {
    let mut words = sql.split_whitespace();
    let table = match words.next()? {
        // `INSERT INTO table`, `DELETE FROM table`
        "INSERT" | "DELETE" => words.nth(1)?,
        "UPDATE" => words.next()?,
        _ => return None,
    };
    let table = table.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next()?;
    (!table.is_empty()).then_some(table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::args;
    use crate::store::sql::Dialect;
    use crate::store::statements::{claim_statement, JOB_BODY, LIST_FINGERPRINT, NOTIFY_CHANGED};

    #[test]
    fn every_table_of_the_schema_has_a_bit() {
        let migrations = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
        let mut created = Vec::new();
        for entry in std::fs::read_dir(migrations).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for part in text.split("CREATE TABLE ").skip(1) {
                let name = part.trim_start_matches("IF NOT EXISTS ").split([' ', '(']).next().unwrap();
                created.push(name.to_owned());
            }
        }
        created.sort();
        created.dedup();
        created.retain(|table| table != "schema_version");
        assert_eq!(created, TABLES, "TABLES lists the tables the migrations create");
    }

    fn body(text: &str) -> Vec<Row> {
        vec![Row(vec![Value::Text(text.to_owned())])]
    }

    fn remembered(reads: &[(&str, Vec<Arg<'_>>, Vec<Row>)]) -> Remembered {
        let mut remembered = Remembered::default();
        for (sql, args, rows) in reads {
            remembered.keep(read_key(sql, args), rows.clone());
        }
        remembered
    }

    const JOB: &str = JOB_BODY;
    const COUNT: &str = LIST_FINGERPRINT;

    #[test]
    fn a_write_forgets_the_reads_of_its_table_only() {
        let mut reads = remembered(&[
            (JOB, args!["j1", "p"].to_vec(), body("job")),
            (RESOURCE_BODY, args!["g1", "server-group", "p"].to_vec(), body("group")),
        ]);
        reads.wrote(&claim_statement(Dialect::Postgres), args!["holder", 0i64, 5_000i64, 64i64], None);
        assert!(!reads.contains(&read_key(JOB, args!["j1", "p"])));
        assert_eq!(reads.get(&read_key(RESOURCE_BODY, args!["g1", "server-group", "p"])), Some(&body("group")));
        reads.wrote(NOTIFY_CHANGED, &[], None);
        assert!(!reads.contains(&read_key(RESOURCE_BODY, args!["g1", "server-group", "p"])), "unknown: all forgotten");
    }

    fn members(ids: &[&str]) -> Vec<Row> {
        ids.iter().map(|id| Row(vec![Value::Text(format!("body of {id}")), Value::Text((*id).to_owned())])).collect()
    }

    #[test]
    fn a_resource_update_replaces_its_row_and_forgets_the_member_lists_it_joins_or_leaves() {
        let instance = args!["i1", "protected-instance", "p"];
        let other = args!["i2", "protected-instance", "p"];
        let (left, joined) = (args!["g1", "protected-instance", "p"], args!["g2", "protected-instance", "p"]);
        let (untouched, other_kind) = (args!["g3", "protected-instance", "p"], args!["g1", "replication", "p"]);
        let mut reads = remembered(&[
            (RESOURCE_BODY, instance.to_vec(), body("old")),
            (RESOURCE_BODY, other.to_vec(), body("other")),
            (MEMBER_BODIES, left.to_vec(), members(&["i1", "i2"])),
            (MEMBER_BODIES, joined.to_vec(), members(&["i4"])),
            (MEMBER_BODIES, untouched.to_vec(), members(&["i3"])),
            (MEMBER_BODIES, other_kind.to_vec(), members(&["i1"])),
            (COUNT, args!["p", "protected-instance"].to_vec(), vec![]),
            (JOB, args!["j1", "p"].to_vec(), body("job")),
        ]);
        // i1 moves from g1 to g2.
        let update = args!["i1", "name", "status", "az", "g2", "new", "protected-instance", "p"];
        reads.wrote(RESOURCE_UPDATE, update, None);
        assert_eq!(reads.get(&read_key(RESOURCE_BODY, instance)), Some(&body("new")));
        assert_eq!(reads.get(&read_key(RESOURCE_BODY, other)), Some(&body("other")));
        assert!(!reads.contains(&read_key(MEMBER_BODIES, left)), "the list it left");
        assert!(!reads.contains(&read_key(MEMBER_BODIES, joined)), "the list it joined");
        assert_eq!(reads.get(&read_key(MEMBER_BODIES, untouched)), Some(&members(&["i3"])));
        assert_eq!(reads.get(&read_key(MEMBER_BODIES, other_kind)), Some(&members(&["i1"])));
        assert!(!reads.contains(&read_key(COUNT, args!["p", "protected-instance"])));
        assert!(reads.contains(&read_key(JOB, args!["j1", "p"])));
        // Removed: every list that held it forgets it.
        let mut reads = remembered(&[(MEMBER_BODIES, joined.to_vec(), members(&["i1"]))]);
        reads.wrote(RESOURCE_DELETE, instance, Some(1));
        assert!(!reads.contains(&read_key(MEMBER_BODIES, joined)));
        assert_eq!(reads.get(&read_key(RESOURCE_BODY, instance)), Some(&vec![]));
    }

    #[test]
    fn a_resource_row_is_replaced_only_when_its_write_surely_happened() {
        let group = args!["g1", "server-group", "p"];
        let update = args!["g1", "name", "status", "az", "", "new", "server-group", "p"];
        // Not read before: an update may find no row, so nothing is remembered of it.
        let mut reads = Remembered::default();
        reads.wrote(RESOURCE_UPDATE, update, None);
        assert!(!reads.contains(&read_key(RESOURCE_BODY, group)));
        // Read as missing: the same.
        let mut reads = remembered(&[(RESOURCE_BODY, group.to_vec(), vec![])]);
        reads.wrote(RESOURCE_UPDATE, update, None);
        assert!(!reads.contains(&read_key(RESOURCE_BODY, group)));
        // An insert that changed no row found another there.
        let insert = args!["g1", "server-group", "p", "", "name", "status", "az", "mine"];
        reads.wrote(RESOURCE_INSERT, insert, Some(0));
        assert!(!reads.contains(&read_key(RESOURCE_BODY, group)));
        reads.wrote(RESOURCE_INSERT, insert, Some(1));
        assert_eq!(reads.get(&read_key(RESOURCE_BODY, group)), Some(&body("mine")));
        reads.wrote(RESOURCE_DELETE, group, Some(1));
        assert_eq!(reads.get(&read_key(RESOURCE_BODY, group)), Some(&vec![]));
    }

    #[test]
    fn an_operation_ending_with_writes_not_sent_forgets_what_it_read_or_wrote() {
        let before = args!["j0", "p"];
        let group = args!["g1", "server-group", "p"];
        let update = args!["g1", "name", "status", "az", "", "new", "server-group", "p"];
        let mut reads =
            remembered(&[(JOB, before.to_vec(), body("earlier")), (RESOURCE_BODY, group.to_vec(), body("old"))]);
        reads.begin_operation();
        reads.keep(read_key(JOB, args!["j1", "p"]), body("read while it ran"));
        reads.wrote(RESOURCE_UPDATE, update, None);
        assert_eq!(reads.get(&read_key(RESOURCE_BODY, group)), Some(&body("new")), "its write replaced the row");
        reads.end_operation(true);
        assert!(!reads.contains(&read_key(JOB, args!["j1", "p"])));
        assert!(!reads.contains(&read_key(RESOURCE_BODY, group)), "a later operation reads the row from the database");
        assert_eq!(reads.get(&read_key(JOB, before)), Some(&body("earlier")), "what was read before it stays");
        // An operation whose writes were all sent keeps what it read.
        reads.begin_operation();
        reads.keep(read_key(JOB, args!["j2", "p"]), body("kept"));
        reads.end_operation(false);
        assert!(reads.contains(&read_key(JOB, args!["j2", "p"])));
    }

    #[test]
    fn savepoints_keep_the_reads_and_a_rollback_forgets_them() {
        let mut reads = remembered(&[(JOB, args!["j1", "p"].to_vec(), body("job"))]);
        reads.ran("SAVEPOINT write_op; RELEASE SAVEPOINT write_op; ");
        assert!(reads.contains(&read_key(JOB, args!["j1", "p"])));
        reads.ran("ROLLBACK TO SAVEPOINT write_op; RELEASE SAVEPOINT write_op");
        assert!(!reads.contains(&read_key(JOB, args!["j1", "p"])));
    }
}
