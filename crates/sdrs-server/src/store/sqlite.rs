//! The SQLite backend: the one file in WAL mode, its connections (a reading pool, a reading connection per thread, the
//! writer's), migrations, and every SQL statement of the server (`impl Store for Connection`).

use std::path::Path;
use std::time::Duration;

use axum::body::Bytes;
use r2d2_sqlite::rusqlite::{self, params, Connection, OptionalExtension, Transaction};
use r2d2_sqlite::SqliteConnectionManager;

use sdrs_core::wire::Fault;
use sdrs_core::ErrorCode;

use super::hot::{HotCache, HotKey, KeyRef, Lookup, JOB_KIND};
use super::{
    Dump, DumpedJob, DumpedResource, FailureJobs, InUse, ListFilter, NewJob, ReplayAnswer, ReplayClaim, ResourceRow,
    Store, StoredJob,
};
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
    writer: super::writer::Writer,
    /// Where the file is, for the per-thread reading connections of `read_now`. Also their owner: a thread's reading
    /// connection to a `Db` whose every clone was dropped is closed.
    path: std::sync::Arc<std::path::PathBuf>,
    /// Bumped by the writer after each commit that inserted or deleted resources.
    membership: super::writer::Membership,
    /// Each (project, kind)'s resources in list order, as of a membership generation: an unfiltered page is found by
    /// position in O(1) and read in O(limit), however deep its offset.
    orders: std::sync::Arc<ListOrders>,
    /// The response bytes of recently read groups and jobs; the writer invalidates what each batch wrote.
    hot: std::sync::Arc<HotCache>,
    /// Held while the database is open: one process per database file, since the writer and the hot-read cache
    /// are this process's own (another process's commits would not invalidate this one's cache).
    _exclusive: std::fs::File,
}

type ListOrder = std::sync::Arc<Vec<i64>>;

/// Offsets below this are served by `OFFSET` when the list order is stale (skipping this many index entries costs
/// about as much as reading one page).
const SHALLOW_OFFSET: u64 = 5_000;

/// A list order's key: the project and the resource kind.
type ListKey = (String, &'static str);

#[derive(Default)]
struct ListOrders(std::sync::Mutex<std::collections::HashMap<ListKey, (u64, ListOrder)>>);

impl ListOrders {
    /// The order of a project's resources of one kind if nothing was inserted or deleted since it was read.
    fn fresh(&self, project_id: &str, kind: &'static str, generation: u64) -> Option<ListOrder> {
        let orders = self.0.lock().expect("list orders");
        orders.get(&(project_id.to_owned(), kind)).filter(|(built, _)| *built == generation).map(|(_, o)| o.clone())
    }

    /// Reads the order again (one scan of the list index). `generation` must be read before the caller's read
    /// transaction began, so that an order read from an older snapshot is never taken for a newer one.
    fn rebuild(
        &self,
        conn: &Connection,
        project_id: &str,
        kind: &'static str,
        generation: u64,
    ) -> ApiResult<ListOrder> {
        let key = (project_id.to_owned(), kind);
        let mut statement =
            conn.prepare_cached("SELECT seq FROM resources WHERE project_id = ?1 AND kind = ?2 ORDER BY seq")?;
        let order: ListOrder = std::sync::Arc::new(
            statement.query_map(params![project_id, kind], |row| row.get(0))?.collect::<Result<Vec<i64>, _>>()?,
        );
        self.0.lock().expect("list orders").insert(key, (generation, order.clone()));
        Ok(order)
    }
}

/// Memory the hot-read cache holds at most (entries counted with their keys and overhead): about 130,000 groups of
/// 800 bytes, every group of a large deployment, bounded whatever the data.
const HOT_CACHE_BYTES: usize = 128 << 20;

thread_local! {
    /// The hot-read keys that the writes run on this thread changed; only the writer thread writes, and it drains
    /// them after each batch (`take_touched`).
    static TOUCHED: std::cell::RefCell<Vec<HotKey>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Notes that a write changed (or may have changed: rolled-back savepoints included) a cached document.
fn touched(kind: &'static str, project: &str, id: &str) {
    TOUCHED.with(|keys| keys.borrow_mut().push((kind, project.to_owned(), id.to_owned())));
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
        let membership = super::writer::Membership::default();
        let hot = std::sync::Arc::new(HotCache::new(HOT_CACHE_BYTES));
        Ok(SqliteDb(std::sync::Arc::new(DbInner {
            pool,
            writer: super::writer::Writer::start(path, membership.clone(), hot.clone())?,
            path: std::sync::Arc::new(path.to_owned()),
            membership,
            orders: std::sync::Arc::default(),
            hot,
            _exclusive: exclusive,
        })))
    }

    /// The `synchronous` setting of the pooled connections (2 is FULL), for tests and the benchmark report.
    pub async fn synchronous(&self) -> ApiResult<i64> {
        self.pooled(|conn| Ok(conn.query_row("PRAGMA synchronous", [], |row| row.get(0))?)).await
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
                return list_raw(conn, &project_id, kind, &filter);
            }
            let generation = membership.load(std::sync::atomic::Ordering::SeqCst);
            let order = match orders.fresh(&project_id, kind, generation) {
                Some(order) => order,
                // Just after an insert or a delete, a shallow page is cheaper by OFFSET than a new order; a deep one
                // pays for the order once, and the pages after it are O(limit) again.
                None if filter.offset < SHALLOW_OFFSET => return list_raw(conn, &project_id, kind, &filter),
                None => orders.rebuild(conn, &project_id, kind, generation)?,
            };
            let count = order.len() as u64;
            let start = usize::try_from(filter.offset).ok().and_then(|offset| order.get(offset));
            let Some(&first) = start else { return Ok((Vec::new(), count)) };
            let mut statement = conn.prepare_cached(
                "SELECT body FROM resources WHERE project_id = ?1 AND kind = ?2 AND seq >= ?3 ORDER BY seq LIMIT ?4",
            )?;
            let rows = statement.query_map(params![project_id, kind, first, filter.limit], |row| row.get(0))?;
            let bodies = rows.collect::<Result<Vec<String>, _>>()?;
            Ok((bodies, count))
        })
        .await
    }

    /// Runs a short read (a lookup by key, with cached statements) right here on this thread's own connection: no hop
    /// to the blocking pool and no pool lock, for the hot reads (a group, a job). In WAL mode it sees every commit
    /// answered before it started. Lists and scans go through `call`.
    fn read_now<R>(&self, f: impl FnOnce(&dyn Store) -> ApiResult<R>) -> ApiResult<R> {
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
    /// left it there and no write changed it since; otherwise `read` makes it on this thread's own connection
    /// (`read_now`) and it is kept for the next reads. `None` (no such document) is not kept.
    pub fn hot_read(
        &self,
        kind: &'static str,
        project: &str,
        id: &str,
        read: impl FnOnce(&dyn Store) -> ApiResult<Option<Bytes>>,
    ) -> ApiResult<Option<Bytes>> {
        let key = KeyRef(kind, project, id);
        let generation = match self.hot.lookup(key) {
            Lookup::Hit(bytes) => return Ok(Some(bytes)),
            Lookup::Miss(generation) => generation,
        };
        let value = self.read_now(read)?;
        if let Some(bytes) = &value {
            self.hot.fill(key, generation, bytes);
        }
        Ok(value)
    }

    /// Runs `f` on the writer, inside a transaction that holds the write lock from its start (`BEGIN IMMEDIATE`), so
    /// check-then-change is atomic; answers once the batch `f` joined has committed. An error from `f` rolls back
    /// `f`'s changes only.
    pub async fn write<R, F>(&self, f: F) -> ApiResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&dyn Store) -> ApiResult<R> + Send + 'static,
    {
        self.writer.write(move |tx| f(&**tx)).await
    }

    /// `write` with the SQLite transaction itself: this backend's own tests run SQL of their own inside the writer's
    /// batches (a scratch table, a pragma). Handlers and jobs use `write`.
    #[doc(hidden)]
    pub async fn write_sqlite<R, F>(&self, f: F) -> ApiResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> ApiResult<R> + Send + 'static,
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

    /// Writes waiting for the writer.
    pub fn queued_writes(&self) -> usize {
        self.writer.queued()
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

/// Collects the first column of every row as text.
fn texts(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> ApiResult<Vec<String>> {
    let mut statement = conn.prepare_cached(sql)?;
    let rows = statement.query_map(params, |row| row.get::<_, String>(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every statement of the server on its data. A `Transaction` derefs to its `Connection`, so the writer's
/// operations and the readers' share this one implementation.
impl Store for Connection {
    fn resource_body(&self, project: &str, kind: &str, id: &str) -> ApiResult<Option<String>> {
        let mut statement =
            self.prepare_cached("SELECT body FROM resources WHERE id = ?1 AND kind = ?2 AND project_id = ?3")?;
        Ok(statement.query_row(params![id, kind, project], |row| row.get(0)).optional()?)
    }

    fn insert_resource(&self, project: &str, row: &ResourceRow<'_>) -> ApiResult<()> {
        let inserted = self
            .prepare_cached(
                "INSERT INTO resources (id, kind, project_id, server_group_id, name, status, az, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![row.id, row.kind, project, row.server_group_id, row.name, row.status, row.az, row.body]);
        touched(row.kind, project, row.id);
        match inserted {
            Ok(_) => Ok(()),
            Err(rusqlite::Error::SqliteFailure(error, _))
                if error.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
            {
                Err(ApiError::code(ErrorCode::SDRS_0201, format!("a {} with id `{}` exists already", row.kind, row.id)))
            }
            Err(error) => Err(error.into()),
        }
    }

    fn update_resource(&self, project: &str, row: &ResourceRow<'_>) -> ApiResult<()> {
        let changed = self
            .prepare_cached(
                "UPDATE resources SET name = ?2, status = ?3, az = ?4, server_group_id = ?5, body = ?6
                 WHERE id = ?1 AND kind = ?7 AND project_id = ?8",
            )?
            .execute(params![row.id, row.name, row.status, row.az, row.server_group_id, row.body, row.kind, project])?;
        touched(row.kind, project, row.id);
        if changed != 1 {
            return Err(ApiError::Internal(anyhow::anyhow!("{} {} vanished during an update", row.kind, row.id)));
        }
        Ok(())
    }

    fn remove_resource(&self, project: &str, kind: &'static str, id: &str) -> ApiResult<()> {
        self.prepare_cached("DELETE FROM resources WHERE id = ?1 AND kind = ?2 AND project_id = ?3")?
            .execute(params![id, kind, project])?;
        touched(kind, project, id);
        Ok(())
    }

    fn resource_exists(&self, project: &str, kind: &str, id: &str) -> ApiResult<bool> {
        let mut statement =
            self.prepare_cached("SELECT 1 FROM resources WHERE project_id = ?1 AND kind = ?2 AND id = ?3")?;
        Ok(statement.query_row(params![project, kind, id], |_| Ok(())).optional()?.is_some())
    }

    fn resource_group(&self, project: &str, kind: &str, id: &str) -> ApiResult<Option<String>> {
        let mut statement = self
            .prepare_cached("SELECT server_group_id FROM resources WHERE project_id = ?1 AND kind = ?2 AND id = ?3")?;
        Ok(statement.query_row(params![project, kind, id], |row| row.get::<_, Option<String>>(0)).optional()?.flatten())
    }

    fn member_bodies(&self, project: &str, kind: &str, server_group_id: &str) -> ApiResult<Vec<String>> {
        texts(
            self,
            "SELECT body FROM resources WHERE server_group_id = ?1 AND kind = ?2 AND project_id = ?3 ORDER BY seq",
            params![server_group_id, kind, project],
        )
    }

    fn list_bodies(&self, project: &str, kind: &str, filter: &ListFilter) -> ApiResult<(Vec<String>, u64)> {
        list_raw(self, project, kind, filter)
    }

    fn count_resources(&self, project: &str, kind: &str) -> ApiResult<u64> {
        let mut statement =
            self.prepare_cached("SELECT count(*) FROM resources WHERE project_id = ?1 AND kind = ?2")?;
        Ok(statement.query_row(params![project, kind], |row| row.get::<_, i64>(0))? as u64)
    }

    fn has_resources(&self) -> ApiResult<bool> {
        Ok(self.prepare_cached("SELECT 1 FROM resources LIMIT 1")?.query_row([], |_| Ok(())).optional()?.is_some())
    }

    fn in_use(&self, project: &str, by: InUse<'_>) -> ApiResult<bool> {
        let (kind, condition, value) = match by {
            InUse::Server(id) => (
                "protected_instance",
                "(json_extract(body, '$.source_server') = ?3 OR json_extract(body, '$.target_server') = ?3)",
                id,
            ),
            InUse::Disk(id) => ("replication", "instr(json_extract(body, '$.volume_ids'), ?3) > 0", id),
        };
        let sql = format!("SELECT 1 FROM resources WHERE project_id = ?1 AND kind = ?2 AND {condition} LIMIT 1");
        Ok(self.prepare_cached(&sql)?.query_row(params![project, kind, value], |_| Ok(())).optional()?.is_some())
    }

    fn insert_job(&self, job: &NewJob<'_>) -> ApiResult<()> {
        self.prepare_cached(
            "INSERT INTO jobs (job_id, project_id, server_group_id, status, run_after, created, body, plan)
             VALUES (?1, ?2, ?3, 'INIT', ?4, ?4, ?5, ?6)",
        )?
        .execute(params![job.job_id, job.project_id, job.server_group_id, job.now, job.body, job.plan])?;
        Ok(())
    }

    fn job_body(&self, project: &str, job_id: &str) -> ApiResult<Option<String>> {
        let mut statement = self.prepare_cached("SELECT body FROM jobs WHERE job_id = ?1 AND project_id = ?2")?;
        Ok(statement.query_row(params![job_id, project], |row| row.get(0)).optional()?)
    }

    fn unfinished_job(&self, job_id: &str) -> ApiResult<Option<StoredJob>> {
        let mut statement = self.prepare_cached(
            "SELECT body, plan, run_after FROM jobs WHERE job_id = ?1 AND status IN ('INIT', 'RUNNING')",
        )?;
        Ok(statement
            .query_row(params![job_id], |row| {
                Ok(StoredJob { body: row.get(0)?, plan: row.get(1)?, run_after: row.get(2)? })
            })
            .optional()?)
    }

    fn update_job(
        &self,
        project: &str,
        job_id: &str,
        status: &str,
        run_after: i64,
        body: &str,
        plan: &str,
    ) -> ApiResult<()> {
        self.prepare_cached(
            "UPDATE jobs SET status = ?3, run_after = ?4, body = ?5, plan = ?6 WHERE job_id = ?1 AND project_id = ?2",
        )?
        .execute(params![job_id, project, status, run_after, body, plan])?;
        touched(JOB_KIND, project, job_id);
        Ok(())
    }

    fn recent_job_bodies(&self, server_group_id: &str, limit: u32) -> ApiResult<Vec<String>> {
        texts(
            self,
            "SELECT body FROM jobs WHERE server_group_id = ?1 ORDER BY created DESC, rowid DESC LIMIT ?2",
            params![server_group_id, limit],
        )
    }

    fn claim_due_jobs(&self, holder: &str, now: i64, until: i64, limit: u32) -> ApiResult<Vec<(String, i64)>> {
        let mut statement = self.prepare_cached(
            "UPDATE jobs SET claim_holder = ?1, claim_token = claim_token + 1, claim_until = ?3
             WHERE job_id IN (SELECT job_id FROM jobs WHERE status IN ('INIT', 'RUNNING') AND run_after <= ?2
                              AND (claim_until < ?2 OR claim_holder = ?1) ORDER BY run_after LIMIT ?4)
             RETURNING job_id, claim_token",
        )?;
        let rows = statement.query_map(params![holder, now, until, limit], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn take_job_claim(&self, job_id: &str, holder: &str, token: i64, now: i64) -> ApiResult<bool> {
        let ended = self
            .prepare_cached(
                "UPDATE jobs SET claim_until = 0
                 WHERE job_id = ?1 AND claim_holder = ?2 AND claim_token = ?3 AND claim_until >= ?4",
            )?
            .execute(params![job_id, holder, token, now])?;
        Ok(ended > 0)
    }

    fn next_due(&self) -> ApiResult<Option<i64>> {
        Ok(self
            .prepare_cached("SELECT min(max(run_after, claim_until)) FROM jobs WHERE status IN ('INIT', 'RUNNING')")?
            .query_row([], |row| row.get(0))?)
    }

    fn insert_failure_job(&self, id: &str, project: &str, server_group_id: Option<&str>, body: &str) -> ApiResult<()> {
        self.prepare_cached(
            "INSERT INTO failure_jobs (id, project_id, server_group_id, body) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![id, project, server_group_id, body])?;
        Ok(())
    }

    fn failure_job_bodies(&self, project: &str, server_group_id: Option<&str>) -> ApiResult<Vec<String>> {
        texts(
            self,
            "SELECT body FROM failure_jobs WHERE project_id = ?1 AND (?2 IS NULL OR server_group_id = ?2) ORDER BY seq DESC",
            params![project, server_group_id],
        )
    }

    fn delete_failure_jobs(&self, project: &str, which: FailureJobs<'_>) -> ApiResult<()> {
        match which {
            FailureJobs::One(id) => self
                .prepare_cached("DELETE FROM failure_jobs WHERE project_id = ?1 AND id = ?2")?
                .execute(params![project, id])?,
            FailureJobs::OfGroup(group) => self
                .prepare_cached("DELETE FROM failure_jobs WHERE project_id = ?1 AND server_group_id = ?2")?
                .execute(params![project, group])?,
            FailureJobs::All => {
                self.prepare_cached("DELETE FROM failure_jobs WHERE project_id = ?1")?.execute(params![project])?
            }
        };
        Ok(())
    }

    fn insert_fault(&self, project: &str, fault: &Fault) -> ApiResult<()> {
        self.prepare_cached(
            "INSERT INTO faults (project_id, server_group_id, step, error_code, fail_reason, remaining, raise_error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            project,
            fault.server_group_id,
            fault.step,
            fault.error_code.as_deref().unwrap_or_default(),
            fault.fail_reason.as_deref().unwrap_or_default(),
            fault.times,
            fault.raise_error
        ])?;
        Ok(())
    }

    fn faults(&self, project: &str) -> ApiResult<Vec<Fault>> {
        let mut statement = self.prepare_cached(
            "SELECT server_group_id, step, error_code, fail_reason, remaining, raise_error FROM faults
             WHERE project_id = ?1 AND remaining > 0 ORDER BY id",
        )?;
        let rows = statement.query_map([project], fault_of)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn clear_faults(&self, project: &str) -> ApiResult<()> {
        self.prepare_cached("DELETE FROM faults WHERE project_id = ?1")?.execute([project])?;
        Ok(())
    }

    fn take_fault(&self, project: &str, step: &str, server_group_id: Option<&str>) -> ApiResult<Option<Fault>> {
        let mut statement = self.prepare_cached(
            "SELECT server_group_id, step, error_code, fail_reason, remaining, raise_error, id FROM faults
             WHERE project_id = ?1 AND step = ?2 AND remaining > 0 AND (server_group_id IS NULL OR server_group_id = ?3)
             ORDER BY id LIMIT 1",
        )?;
        let found = statement
            .query_row(params![project, step, server_group_id], |row| Ok((fault_of(row)?, row.get::<_, i64>(6)?)))
            .optional()?;
        let Some((fault, id)) = found else { return Ok(None) };
        self.prepare_cached("UPDATE faults SET remaining = remaining - 1 WHERE id = ?1")?.execute(params![id])?;
        Ok(Some(fault))
    }

    fn domain_body(&self, id: &str) -> ApiResult<Option<String>> {
        let mut statement = self.prepare_cached("SELECT body FROM domains WHERE id = ?1")?;
        Ok(statement.query_row([id], |row| row.get(0)).optional()?)
    }

    fn domain_bodies(&self) -> ApiResult<Vec<String>> {
        texts(self, "SELECT body FROM domains ORDER BY id", [])
    }

    fn put_domain(&self, id: &str, body: &str) -> ApiResult<()> {
        self.prepare_cached("INSERT OR REPLACE INTO domains (id, body) VALUES (?1, ?2)")?.execute(params![id, body])?;
        Ok(())
    }

    fn put_session(&self, token_sha256: &str, expires: i64, now: i64) -> ApiResult<()> {
        self.prepare_cached("DELETE FROM sessions WHERE expires <= ?1")?.execute([now])?;
        self.prepare_cached("INSERT OR REPLACE INTO sessions (token_sha256, expires) VALUES (?1, ?2)")?
            .execute(params![token_sha256, expires])?;
        Ok(())
    }

    fn session_valid(&self, token_sha256: &str, now: i64) -> ApiResult<bool> {
        let mut statement = self.prepare_cached("SELECT 1 FROM sessions WHERE token_sha256 = ?1 AND expires > ?2")?;
        Ok(statement.query_row(params![token_sha256, now], |_| Ok(())).optional()?.is_some())
    }

    fn delete_session(&self, token_sha256: &str) -> ApiResult<()> {
        self.prepare_cached("DELETE FROM sessions WHERE token_sha256 = ?1")?.execute([token_sha256])?;
        Ok(())
    }

    fn login_failures(&self, client: &str) -> ApiResult<Option<(u32, i64)>> {
        let mut statement =
            self.prepare_cached("SELECT failures, locked_until FROM login_failures WHERE client = ?1")?;
        Ok(statement.query_row([client], |row| Ok((row.get(0)?, row.get(1)?))).optional()?)
    }

    fn put_login_failures(&self, client: &str, failures: u32, locked_until: i64, forget_before: i64) -> ApiResult<()> {
        self.prepare_cached("DELETE FROM login_failures WHERE locked_until < ?1")?.execute([forget_before])?;
        self.prepare_cached(
            "INSERT OR REPLACE INTO login_failures (client, failures, locked_until) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![client, failures, locked_until])?;
        Ok(())
    }

    fn clear_login_failures(&self, client: &str) -> ApiResult<()> {
        self.prepare_cached("DELETE FROM login_failures WHERE client = ?1")?.execute([client])?;
        Ok(())
    }

    fn claim_replay(&self, signature: &str, now: i64, expires: i64, stale_before: i64) -> ApiResult<ReplayClaim> {
        self.prepare_cached("DELETE FROM replays WHERE expires <= ?1")?.execute([now])?;
        let found = self
            .prepare_cached("SELECT claimed, status, content_type, body FROM replays WHERE signature = ?1")?
            .query_row([signature], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, Option<u16>>(1)?,
                    row.get(2)?,
                    row.get::<_, Option<Vec<u8>>>(3)?,
                ))
            })
            .optional()?;
        match found {
            Some((_, Some(status), content_type, body)) => {
                return Ok(ReplayClaim::Answered(ReplayAnswer { status, content_type, body: body.unwrap_or_default() }))
            }
            Some((claimed, None, _, _)) if claimed >= stale_before => return Ok(ReplayClaim::InFlight),
            _ => {}
        }
        self.prepare_cached(
            "INSERT OR REPLACE INTO replays (signature, expires, claimed, status, content_type, body)
             VALUES (?1, ?2, ?3, NULL, NULL, NULL)",
        )?
        .execute(params![signature, expires, now])?;
        Ok(ReplayClaim::Claimed)
    }

    fn record_replay(&self, signature: &str, answer: Option<&ReplayAnswer>) -> ApiResult<()> {
        match answer {
            None => self.prepare_cached("DELETE FROM replays WHERE signature = ?1")?.execute([signature])?,
            Some(answer) => self
                .prepare_cached("UPDATE replays SET status = ?2, content_type = ?3, body = ?4 WHERE signature = ?1")?
                .execute(params![signature, answer.status, answer.content_type, answer.body])?,
        };
        Ok(())
    }

    fn submitted_job(&self, project: &str, key: &str) -> ApiResult<Option<String>> {
        Ok(self
            .prepare_cached("SELECT job_id FROM submissions WHERE project_id = ?1 AND key = ?2")?
            .query_row([project, key], |row| row.get(0))
            .optional()?)
    }

    fn put_submission(&self, project: &str, key: &str, job_id: &str, now: i64, forget_before: i64) -> ApiResult<()> {
        self.prepare_cached("DELETE FROM submissions WHERE created < ?1")?.execute([forget_before])?;
        self.prepare_cached("INSERT INTO submissions (project_id, key, job_id, created) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![project, key, job_id, now])?;
        Ok(())
    }

    fn take_lease(&self, name: &str, holder: &str, now: i64, expires: i64) -> ApiResult<Option<i64>> {
        let found = self
            .prepare_cached("SELECT holder, token, expires FROM leases WHERE name = ?1")?
            .query_row([name], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?, row.get::<_, i64>(2)?)))
            .optional()?;
        let token = match found {
            None => 1,
            Some((current, token, _)) if current == holder => token,
            Some((_, token, until)) if until < now => token + 1,
            Some(_) => return Ok(None),
        };
        self.prepare_cached("INSERT OR REPLACE INTO leases (name, holder, token, expires) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![name, holder, token, expires])?;
        Ok(Some(token))
    }

    fn is_empty(&self) -> ApiResult<bool> {
        let mut statement = self.prepare_cached(
            "SELECT NOT EXISTS (SELECT 1 FROM resources) AND NOT EXISTS (SELECT 1 FROM jobs)
                 AND NOT EXISTS (SELECT 1 FROM failure_jobs) AND NOT EXISTS (SELECT 1 FROM domains)",
        )?;
        Ok(statement.query_row([], |row| row.get(0))?)
    }

    fn dump(&self) -> ApiResult<Dump> {
        let mut dump = Dump::default();
        let mut statement = self.prepare(
            "SELECT project_id, kind, id, server_group_id, name, status, az, body FROM resources ORDER BY seq",
        )?;
        dump.resources = statement
            .query_map([], |row| {
                Ok(DumpedResource {
                    project_id: row.get(0)?,
                    kind: row.get(1)?,
                    id: row.get(2)?,
                    server_group_id: row.get(3)?,
                    name: row.get(4)?,
                    status: row.get(5)?,
                    az: row.get(6)?,
                    body: row.get(7)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut statement = self.prepare(
            "SELECT job_id, project_id, server_group_id, status, run_after, created, body, plan FROM jobs
             ORDER BY created, rowid",
        )?;
        dump.jobs = statement
            .query_map([], |row| {
                Ok(DumpedJob {
                    job_id: row.get(0)?,
                    project_id: row.get(1)?,
                    server_group_id: row.get(2)?,
                    status: row.get(3)?,
                    run_after: row.get(4)?,
                    created: row.get(5)?,
                    body: row.get(6)?,
                    plan: row.get(7)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut statement =
            self.prepare("SELECT id, project_id, server_group_id, body FROM failure_jobs ORDER BY seq")?;
        dump.failure_jobs = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))?
            .collect::<Result<_, _>>()?;
        let mut statement = self.prepare(
            "SELECT server_group_id, step, error_code, fail_reason, remaining, raise_error, project_id FROM faults
             WHERE remaining > 0 ORDER BY id",
        )?;
        dump.faults = statement.query_map([], |row| Ok((row.get(6)?, fault_of(row)?)))?.collect::<Result<_, _>>()?;
        let mut statement = self.prepare("SELECT id, body FROM domains ORDER BY id")?;
        dump.domains = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?.collect::<Result<_, _>>()?;
        let mut statement = self.prepare("SELECT token_sha256, expires FROM sessions ORDER BY token_sha256")?;
        dump.sessions = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?.collect::<Result<_, _>>()?;
        Ok(dump)
    }

    fn load(&self, dump: &Dump) -> ApiResult<()> {
        let mut statement = self.prepare(
            "INSERT INTO resources (project_id, kind, id, server_group_id, name, status, az, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for r in &dump.resources {
            // Not noted for the hot-read cache: the target was empty, so nothing of it can be cached.
            statement.execute(params![
                r.project_id,
                r.kind,
                r.id,
                r.server_group_id,
                r.name,
                r.status,
                r.az,
                r.body
            ])?;
        }
        let mut statement = self.prepare(
            "INSERT INTO jobs (job_id, project_id, server_group_id, status, run_after, created, body, plan)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for j in &dump.jobs {
            statement.execute(params![
                j.job_id,
                j.project_id,
                j.server_group_id,
                j.status,
                j.run_after,
                j.created,
                j.body,
                j.plan
            ])?;
        }
        for (id, project, group, body) in &dump.failure_jobs {
            self.insert_failure_job(id, project, group.as_deref(), body)?;
        }
        for (project, fault) in &dump.faults {
            self.insert_fault(project, fault)?;
        }
        for (id, body) in &dump.domains {
            self.put_domain(id, body)?;
        }
        for (digest, expires) in &dump.sessions {
            self.prepare_cached("INSERT INTO sessions (token_sha256, expires) VALUES (?1, ?2)")?
                .execute(params![digest, expires])?;
        }
        Ok(())
    }

    fn savepoint(&self, name: &'static str) -> ApiResult<()> {
        Ok(self.execute_batch(&format!("SAVEPOINT {name}"))?)
    }

    fn release(&self, name: &'static str) -> ApiResult<()> {
        Ok(self.execute_batch(&format!("RELEASE {name}"))?)
    }

    fn rollback_to(&self, name: &'static str) -> ApiResult<()> {
        Ok(self.execute_batch(&format!("ROLLBACK TO {name}"))?)
    }
}

/// A fault row (`server_group_id, step, error_code, fail_reason, remaining, raise_error`); empty texts are "none".
fn fault_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<Fault> {
    let code: String = row.get(2)?;
    let reason: String = row.get(3)?;
    Ok(Fault {
        server_group_id: row.get(0)?,
        step: row.get(1)?,
        error_code: (!code.is_empty()).then_some(code),
        fail_reason: (!reason.is_empty()).then_some(reason),
        times: row.get(4)?,
        raise_error: row.get(5)?,
    })
}

/// One page of a project's resources as their stored wire JSON (answered without decoding), and the number matching
/// the filter.
fn list_raw(conn: &Connection, project_id: &str, kind: &str, filter: &ListFilter) -> ApiResult<(Vec<String>, u64)> {
    let mut clauses = vec!["project_id = ?".to_owned(), "kind = ?".to_owned()];
    let mut args: Vec<rusqlite::types::Value> = vec![project_id.to_owned().into(), kind.to_owned().into()];
    let mut any_of = |column: &str, values: &[String], clauses: &mut Vec<String>| {
        clauses.push(format!("{column} IN ({})", vec!["?"; values.len().max(1)].join(",")));
        if values.is_empty() {
            args.push(rusqlite::types::Value::Null);
        }
        args.extend(values.iter().cloned().map(Into::into));
    };
    if let Some(groups) = &filter.server_group_ids {
        any_of("server_group_id", groups, &mut clauses);
    }
    if let Some(ids) = &filter.ids {
        any_of("id", ids, &mut clauses);
    }
    if let Some(statuses) = &filter.statuses {
        any_of("status", statuses, &mut clauses);
        if filter.or_faulty {
            let last = clauses.pop().expect("the status clause");
            clauses.push(format!("({last} OR json_extract(body, '$.fault_level') <> '0')"));
        }
    }
    if let Some(status) = &filter.status {
        any_of("status", std::slice::from_ref(status), &mut clauses);
    }
    if let Some(az) = &filter.az {
        any_of("az", std::slice::from_ref(az), &mut clauses);
    }
    if let Some(az) = &filter.group_az {
        clauses.push(format!(
            "server_group_id IN (SELECT id FROM resources WHERE project_id = ?1 AND kind = '{}' AND az = ?)",
            <sdrs_core::wire::ServerGroup as super::Resource>::KIND
        ));
        args.push(az.clone().into());
    }
    if let Some(name) = &filter.name_contains {
        clauses.push("instr(name, ?) > 0".to_owned());
        args.push(name.clone().into());
    }
    if filter.no_drills {
        clauses.push("json_extract(body, '$.disaster_recovery_drill_num') = 0".to_owned());
    }
    if let Some(vpc) = &filter.drill_vpc_id {
        clauses.push("json_extract(body, '$.drill_vpc_id') = ?".to_owned());
        args.push(vpc.clone().into());
    }
    if let Some(marker) = &filter.after {
        clauses.push("seq > (SELECT seq FROM resources WHERE project_id = ?1 AND kind = ?2 AND id = ?)".to_owned());
        args.push(marker.clone().into());
    }
    let condition = clauses.join(" AND ");
    let unfiltered = clauses.len() == 2;
    let count: i64 = if unfiltered {
        conn.prepare_cached("SELECT coalesce((SELECT n FROM resource_counts WHERE project_id = ?1 AND kind = ?2), 0)")?
            .query_row(params![project_id, kind], |row| row.get(0))?
    } else {
        conn.prepare_cached(&format!("SELECT count(*) FROM resources WHERE {condition}"))?
            .query_row(rusqlite::params_from_iter(args.iter()), |row| row.get(0))?
    };
    let mut page_args = args.clone();
    page_args.push(i64::from(filter.limit).into());
    page_args.push((filter.offset.min(i64::MAX as u64) as i64).into());
    // The page's rows are chosen in a subquery that, unfiltered, reads only the (project_id, kind, seq) index: a deep
    // OFFSET then skips index entries instead of whole rows (the soak test's random pages were 70 ms at p50).
    let mut statement = conn.prepare_cached(&format!(
        "SELECT body FROM resources WHERE seq IN \
         (SELECT seq FROM resources WHERE {condition} ORDER BY seq LIMIT ? OFFSET ?) ORDER BY seq"
    ))?;
    let rows = statement.query_map(rusqlite::params_from_iter(page_args.iter()), |row| row.get::<_, String>(0))?;
    let bodies = rows.collect::<Result<Vec<String>, _>>()?;
    Ok((bodies, count as u64))
}
