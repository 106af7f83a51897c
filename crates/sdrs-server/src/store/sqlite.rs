//! The SQLite backend: the one file in WAL mode, its connections (a reading pool, a reading connection per thread, the
//! writer's), migrations, and the driver under the one store implementation (`impl Sql for Connection`).

use std::path::Path;
use std::time::Duration;

use axum::body::Bytes;
use r2d2_sqlite::rusqlite::types::{ToSqlOutput, ValueRef};
use r2d2_sqlite::rusqlite::{self, Connection};
use r2d2_sqlite::SqliteConnectionManager;

use super::hot::{HotCache, HotKey, KeyRef, Lookup};
use super::list_order::{ListOrder, ListOrders, SHALLOW_OFFSET};
use super::sql::{args, Arg, Dialect, Row, Sql, Value};
use super::statements::{document_statement, LIST_ORDER, PAGE_FROM};
use super::writer::{Committer, GroupAhead, GroupsReader, Writer};
use super::{ListFilter, Store};
use crate::error::{ApiError, ApiResult};

/// One SQLite database file in WAL mode: a pool of reading connections, and the single writer (`writer.rs`) that
/// commits every change, in batches that share one fsync. Readers never wait for the writer (WAL).
///
/// Cloned into every request and every database closure: one reference count, whatever it holds.
#[derive(Clone)]
pub struct SqliteDb(std::sync::Arc<DbInner>);

impl std::ops::Deref for SqliteDb {
    type Target = DbInner;

    fn deref(&self) -> &DbInner {
        &self.0
    }
}

/// What a `Db` holds.
pub struct DbInner {
    pool: r2d2::Pool<SqliteConnectionManager>,
    writer: Writer<SqliteCommitter>,
    /// Where the file is, for the per-thread reading connections of `read_now`. Also their owner: a thread's reading
    /// connection to a `Db` whose every clone was dropped is closed.
    path: std::sync::Arc<std::path::PathBuf>,
    /// Bumped by the writer after each commit that inserted or deleted resources.
    membership: Membership,
    /// Each (project, kind)'s resources in list order, as of a membership generation: an unfiltered page is found by
    /// position in O(1) and read in O(limit), however deep its offset.
    orders: std::sync::Arc<ListOrders<u64>>,
    /// The response bytes of recently read groups and jobs; the writer invalidates what each batch wrote.
    hot: std::sync::Arc<HotCache>,
    /// Held while the database is open: one process per database file, since the writer and the hot-read cache
    /// are this process's own (another process's commits would not invalidate this one's cache).
    _exclusive: std::fs::File,
}

/// Reads a list's order again (one scan of the list index) and keeps it under `generation`, which must be read before
/// the caller's read transaction began, so that an order read from an older snapshot is never taken for a newer one.
fn rebuild(
    orders: &ListOrders<u64>,
    conn: &Connection,
    project_id: &str,
    kind: &'static str,
    generation: u64,
) -> ApiResult<ListOrder> {
    let rows = conn.query(LIST_ORDER, args![project_id, kind])?;
    let order: ListOrder = std::sync::Arc::new(rows.iter().map(|row| row.int(0)).collect::<ApiResult<_>>()?);
    orders.keep(project_id, kind, generation, order.clone());
    Ok(order)
}

thread_local! {
    /// The hot-read keys that the writes run on this thread changed; only the writer thread writes, and it drains
    /// them after each batch (`take_touched`).
    static TOUCHED: std::cell::RefCell<Vec<HotKey>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Notes that a write changed (or may have changed: rolled-back savepoints included) a cached document.
fn touched(kind: &'static str, project: &str, id: &str) {
    TOUCHED.with(|keys| keys.borrow_mut().push((kind, project.to_owned(), id.to_owned())));
}

thread_local! {
    /// What the writes run on this thread changed, `(kind, id)`, for the operation's audit event.
    static CHANGES: std::cell::RefCell<Vec<(String, String)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The keys this thread's writes touched since the last call.
pub(super) fn take_touched() -> Vec<HotKey> {
    TOUCHED.with(|keys| std::mem::take(&mut *keys.borrow_mut()))
}

thread_local! {
    /// This thread's reading connection to each open database (tests open many; a server, one).
    static READERS: std::cell::RefCell<Vec<(std::sync::Weak<std::path::PathBuf>, Connection)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// How every connection is set up. FULL: a transaction answered as committed is on disk, power loss or OS crash
/// included (in WAL mode NORMAL may lose the last commits); group commit (`writer.rs`) wins the speed back.
pub(super) const CONNECTION_PRAGMAS: &str =
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 15000;";

/// What readers add: the file mapped into memory, so a page the connection's own cache lacks is read without a system
/// call (random reads across 100,000 groups were `pread`s); and `query_only`, so that a change can only go through the
/// writer, which commits it durably and invalidates the hot-read cache (a write in `Db::call` fails loudly).
const READER_PRAGMAS: &str = "PRAGMA mmap_size = 1073741824; PRAGMA query_only = ON;";

impl SqliteDb {
    /// Opens (creating if needed) the database at `path` and applies pending migrations. A database that cannot be
    /// opened or written fails here at once, with the reason, rather than after the pool's 30 s of retries.
    pub fn open(path: &Path) -> anyhow::Result<SqliteDb> {
        let exclusive = lock_exclusively(path)?;
        // A new file is its owner's alone (SQLite gives its WAL and shared-memory files the same mode): the
        // database holds every project's groups and plans.
        private_file(path)
            .map_err(|error| anyhow::anyhow!("cannot create the database {}: {error}", path.display()))?;
        let mut probe = rusqlite::Connection::open(path)
            .map_err(|error| anyhow::anyhow!("cannot open the database {}: {error}", path.display()))?;
        probe
            .execute_batch("PRAGMA journal_mode = WAL; BEGIN IMMEDIATE; COMMIT;")
            .map_err(|error| anyhow::anyhow!("cannot write to the database {}: {error}", path.display()))?;
        probe.execute_batch(CONNECTION_PRAGMAS)?;
        super::migrations::migrate_sqlite(&mut probe)?;
        let manager = SqliteConnectionManager::file(path).with_init(|conn| {
            conn.execute_batch(CONNECTION_PRAGMAS)?;
            conn.execute_batch(READER_PRAGMAS)
        });
        let pool = r2d2::Pool::builder().max_size(8).connection_timeout(Duration::from_secs(30)).build(manager)?;
        let membership = Membership::default();
        let hot = std::sync::Arc::new(HotCache::new(super::hot::BUDGET_BYTES));
        Ok(SqliteDb(std::sync::Arc::new(DbInner {
            pool,
            writer: Writer::start(SqliteCommitter::open(path, membership.clone(), hot.clone())?, "sdrs-writer")?,
            path: std::sync::Arc::new(path.to_owned()),
            membership,
            orders: std::sync::Arc::default(),
            hot,
            _exclusive: exclusive,
        })))
    }

    /// The `synchronous` setting of the pooled connections (2 is FULL), for tests and the benchmark report.
    pub async fn synchronous(&self) -> ApiResult<i64> {
        self.pooled(|conn| Sql::query_one(conn, "PRAGMA synchronous", &[])?.int(0)).await
    }

    /// Runs a read `f` on a pooled connection on the blocking thread pool (lists and scans).
    pub async fn call<R, F>(&self, f: F) -> ApiResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&dyn Store) -> ApiResult<R> + Send + 'static,
    {
        self.pooled(move |conn| f(conn)).await
    }

    async fn pooled<R, F>(&self, f: F) -> ApiResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> ApiResult<R> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let conn = pool.get().map_err(|error| ApiError::Internal(error.into()))?;
            f(&conn)
        })
        .await
        .map_err(|join| ApiError::Internal(anyhow::anyhow!("database task panicked: {join}")))?
    }

    /// One page of a project's resources as stored wire JSON, and the number matching the filter. An unfiltered page
    /// is found by position in the list order (`ListOrders`) and read from there, so its cost does not grow with its
    /// offset; a filtered one uses `OFFSET` over the matching rows (`list_raw`).
    pub async fn list_page(
        &self,
        project_id: String,
        kind: &'static str,
        filter: ListFilter,
    ) -> ApiResult<(Vec<String>, u64)> {
        let (orders, membership) = (self.orders.clone(), self.membership.clone());
        self.pooled(move |conn| {
            if !filter.is_unfiltered() {
                return conn.list_bodies(&project_id, kind, &filter);
            }
            let generation = membership.load(std::sync::atomic::Ordering::SeqCst);
            let order = match orders.fresh(&project_id, kind, &generation) {
                Some(order) => order,
                // Just after an insert or a delete, a shallow page is cheaper by OFFSET than a new order; a deep one
                // pays for the order once, and the pages after it are O(limit) again.
                None if filter.offset < SHALLOW_OFFSET => return conn.list_bodies(&project_id, kind, &filter),
                None => rebuild(&orders, conn, &project_id, kind, generation)?,
            };
            let count = order.len() as u64;
            let start = usize::try_from(filter.offset).ok().and_then(|offset| order.get(offset));
            let Some(&first) = start else { return Ok((Vec::new(), count)) };
            Ok((conn.texts(PAGE_FROM, args![project_id.as_str(), kind, first, filter.limit])?, count))
        })
        .await
    }

    /// Runs a short read (a lookup by key, with cached statements) right here on this thread's own connection: no hop
    /// to the blocking pool and no pool lock, for the hot reads (a group, a job). In WAL mode it sees every commit
    /// answered before it started. Lists and scans go through `call`.
    fn read_now<R>(&self, f: impl FnOnce(&Connection) -> ApiResult<R>) -> ApiResult<R> {
        READERS.with(|readers| {
            let mut readers = readers.borrow_mut();
            readers.retain(|(owner, _)| owner.strong_count() > 0);
            let position =
                match readers.iter().position(|(owner, _)| owner.ptr_eq(&std::sync::Arc::downgrade(&self.path))) {
                    Some(position) => position,
                    None => {
                        let conn = Connection::open(self.path.as_path())?;
                        conn.execute_batch(CONNECTION_PRAGMAS)?;
                        conn.execute_batch(READER_PRAGMAS)?;
                        readers.push((std::sync::Arc::downgrade(&self.path), conn));
                        readers.len() - 1
                    }
                };
            f(&readers[position].1)
        })
    }

    /// A hot read: the response for a document (`kind` is a resource's `KIND` or `"job"`) from memory if a recent read
    /// left it there and no write changed it since; otherwise it is read on this thread's own connection (`read_now`),
    /// made into the response by `render`, and kept for the next reads. `None` (no such document) is not kept.
    pub fn hot_read(
        &self,
        kind: &'static str,
        project: &str,
        id: &str,
        render: fn(&str) -> Bytes,
    ) -> ApiResult<Option<Bytes>> {
        let key = KeyRef(kind, project, id);
        let generation = match self.hot.lookup(key) {
            Lookup::Hit(bytes) => {
                self.hot.served();
                return Ok(Some(bytes));
            }
            Lookup::Miss(generation) => generation,
        };
        let (sql, args) = document_statement(kind, project, id);
        let value = self.read_now(|conn| conn.text(sql, &args))?.map(|body| render(&body));
        if let Some(bytes) = &value {
            self.hot.fill(key, generation, bytes);
        }
        Ok(value)
    }

    /// Runs `f` on the writer, inside a transaction that holds the write lock from its start (`BEGIN IMMEDIATE`), so
    /// check-then-change is atomic; answers once the batch `f` joined has committed. An error from `f` rolls back
    /// `f`'s changes only.
    /// The group `f` works on, if announced, is read ahead with the rest of its batch's (`writer.rs`).
    pub async fn write<R, F>(&self, group: Option<GroupAhead>, f: F) -> ApiResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&dyn Store) -> ApiResult<R> + Send + 'static,
    {
        self.writer.write_on(group, move |conn| f(conn)).await
    }

    /// Sets what reads a write batch's announced groups ahead.
    pub fn read_groups_with(&self, reader: GroupsReader) {
        self.writer.read_groups_with(reader);
    }

    /// `write` with the SQLite connection itself, inside the writer's transaction: this backend's own tests run SQL of
    /// their own inside the writer's batches (a scratch table, a pragma). Handlers and jobs use `write`.
    #[doc(hidden)]
    pub async fn write_sqlite<R, F>(&self, f: F) -> ApiResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> ApiResult<R> + Send + 'static,
    {
        self.writer.write(f).await
    }

    /// `call` with the SQLite connection itself, for this backend's own tests.
    #[doc(hidden)]
    pub async fn call_sqlite<R, F>(&self, f: F) -> ApiResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> ApiResult<R> + Send + 'static,
    {
        self.pooled(f).await
    }

    /// Makes the next `count` commits fail as a full disk or a failed fsync would (the durability tests' fault).
    pub fn fail_next_commits(&self, count: u32) {
        self.writer.fail_next_commits(count);
    }

    /// Connections in use: the reading pool's and the writer's.
    pub fn connections_in_use(&self) -> usize {
        let state = self.pool.state();
        (state.connections - state.idle_connections) as usize + 1
    }

    pub fn observe_batches(&self, observer: super::writer::BatchObserver) {
        self.writer.observe(observer);
    }

    /// Writes waiting for the writer.
    pub fn queued_writes(&self) -> usize {
        self.writer.queued()
    }

    /// The hot-read cache, whose reads from memory the server counts.
    pub fn hot_cache(&self) -> &HotCache {
        &self.hot
    }

    /// Write batches committed since the database was opened (each one fsync).
    pub fn write_batches(&self) -> u32 {
        self.writer.batches()
    }
}

/// Locks `<database>-lock` (created if needed) for this process, or says which database is in use. The lock goes
/// with the process, `kill -9` included, so a restart after a crash is never refused.
/// Opens `path` for writing, creating it readable by its owner only if it does not exist yet.
fn private_file(path: impl AsRef<Path>) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

fn lock_exclusively(path: &Path) -> anyhow::Result<std::fs::File> {
    let lock_path = format!("{}-lock", path.display());
    let file = private_file(&lock_path)
        .map_err(|error| anyhow::anyhow!("cannot open the database's lock file {lock_path}: {error}"))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(anyhow::anyhow!(
            "the database {} is in use by another sdrs-server (or another state in this process): one process per \
             database file",
            path.display()
        )),
        Err(std::fs::TryLockError::Error(error)) => {
            Err(anyhow::anyhow!("cannot lock the database's lock file {lock_path}: {error}"))
        }
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(error: rusqlite::Error) -> Self {
        ApiError::Internal(error.into())
    }
}

/// Whether an error is SQLite's own (busy, I/O, a full disk, …) rather than the operation's.
pub(super) fn is_sqlite_failure(error: &anyhow::Error) -> bool {
    use rusqlite::{Error, ErrorCode as Sqlite};
    matches!(
        error.downcast_ref::<Error>(),
        Some(Error::SqliteFailure(failure, _)) if matches!(
            failure.code,
            Sqlite::DatabaseBusy
                | Sqlite::DatabaseLocked
                | Sqlite::SystemIoFailure
                | Sqlite::DiskFull
                | Sqlite::ReadOnly
                | Sqlite::DatabaseCorrupt
                | Sqlite::NotADatabase
                | Sqlite::CannotOpen
                | Sqlite::OutOfMemory
        )
    )
}

/// Counts the commits that inserted or deleted resource rows (the writer bumps it after such a commit, before
/// answering), so that what depends on which rows exist (the list orders) knows when it is stale.
pub type Membership = std::sync::Arc<std::sync::atomic::AtomicU64>;

/// SQLite's writing connection: `BEGIN IMMEDIATE` takes the file's write lock for the batch. After each batch it
/// invalidates what the batch wrote in the hot-read cache, and publishes a new membership generation if rows were
/// inserted or deleted.
pub struct SqliteCommitter {
    conn: Connection,
    rows_changed: std::sync::Arc<std::sync::atomic::AtomicBool>,
    membership: Membership,
    hot: std::sync::Arc<HotCache>,
    /// Dropped with the writer thread, which stops the checkpointer.
    _alive: std::sync::mpsc::Sender<()>,
}

impl SqliteCommitter {
    /// Opens the writing connection to `path` (already migrated) and starts the checkpointer beside it.
    fn open(path: &Path, membership: Membership, hot: std::sync::Arc<HotCache>) -> anyhow::Result<SqliteCommitter> {
        use std::sync::atomic::Ordering;
        let conn = Connection::open(path)?;
        conn.execute_batch(CONNECTION_PRAGMAS)?;
        // A request's commit never pays for a checkpoint: the checkpointer thread does them (`checkpoint`).
        conn.execute_batch("PRAGMA wal_autocheckpoint = 0;")?;
        // Which rows exist changes only with an INSERT or a DELETE on `resources`; the hook sees every one, whichever
        // code ran it. Noted during the batch, published after its commit.
        let rows_changed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let noted = rows_changed.clone();
        conn.update_hook(Some(move |action, _: &str, table: &str, _| {
            if table == "resources" && action != rusqlite::hooks::Action::SQLITE_UPDATE {
                noted.store(true, Ordering::SeqCst);
            }
        }))?;
        let checkpointer = Connection::open(path)?;
        let (alive, writer_alive) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("sdrs-checkpoint".into())
            .spawn(move || checkpoint(checkpointer, writer_alive))?;
        Ok(SqliteCommitter { conn, rows_changed, membership, hot, _alive: alive })
    }
}

impl Committer for SqliteCommitter {
    type Conn = Connection;
    const MAX_BATCH: usize = 256;

    fn begin(&mut self) -> Result<(), String> {
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(|error| error.to_string())
    }

    fn conn(&self) -> &Connection {
        &self.conn
    }

    fn commit(&mut self) -> Result<(), String> {
        self.conn.execute_batch("COMMIT").map_err(|error| error.to_string())
    }

    fn rollback(&mut self) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }

    fn after_batch(&mut self) {
        use std::sync::atomic::Ordering;
        self.hot.invalidate(take_touched());
        if self.rows_changed.swap(false, Ordering::SeqCst) {
            // Before any answer: a reader that starts after an answer sees the new generation.
            self.membership.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// How often the checkpointer copies the WAL back into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// The checkpointer thread: `wal_checkpoint(PASSIVE)` on its own connection every second, beside the writer rather
/// than inside a request's commit (the writer's connection has `wal_autocheckpoint = 0`). PASSIVE never blocks the
/// writer or readers. It stops when the writer thread does.
fn checkpoint(conn: Connection, writer_alive: std::sync::mpsc::Receiver<()>) {
    use std::sync::mpsc::RecvTimeoutError;
    while let Err(RecvTimeoutError::Timeout) = writer_alive.recv_timeout(CHECKPOINT_EVERY) {
        if let Err(error) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(%error, "checkpoint failed; the WAL grows until the next one succeeds");
        }
    }
}

/// SQLite as the store's driver: cached statements on the connection, rows read into owned values. A writer's
/// transaction derefs to its connection, so the writer's operations and the readers' share it.
impl Sql for Connection {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn query(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<Vec<Row>> {
        let mut statement = self.prepare_cached(sql)?;
        let columns = statement.column_count();
        let mut rows = statement.query(rusqlite::params_from_iter(args.iter()))?;
        let mut read = Vec::new();
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(columns);
            for column in 0..columns {
                values.push(match row.get_ref(column)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(n) => Value::Int(n),
                    ValueRef::Real(x) => Value::Int(x as i64),
                    ValueRef::Text(text) => Value::Text(String::from_utf8_lossy(text).into_owned()),
                    ValueRef::Blob(bytes) => Value::Bytes(bytes.to_vec()),
                });
            }
            read.push(Row(values));
        }
        Ok(read)
    }

    fn execute(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<u64> {
        Ok(self.prepare_cached(sql)?.execute(rusqlite::params_from_iter(args.iter()))? as u64)
    }

    fn batch(&self, sql: &str) -> ApiResult<()> {
        Ok(self.execute_batch(sql)?)
    }

    fn touched(&self, kind: &'static str, project: &str, id: &str) {
        touched(kind, project, id);
        CHANGES.with(|changes| changes.borrow_mut().push((kind.to_owned(), id.to_owned())));
    }

    fn take_noted(&self) -> Vec<(String, String)> {
        CHANGES.with(|changes| std::mem::take(&mut *changes.borrow_mut()))
    }
}

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match *self {
            Arg::Text(Some(text)) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
            Arg::Int(Some(n)) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(n)),
            Arg::Bool(b) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(i64::from(b))),
            Arg::Bytes(Some(bytes)) => ToSqlOutput::Borrowed(ValueRef::Blob(bytes)),
            Arg::Text(None) | Arg::Int(None) | Arg::Bytes(None) => ToSqlOutput::Owned(rusqlite::types::Value::Null),
        })
    }
}
