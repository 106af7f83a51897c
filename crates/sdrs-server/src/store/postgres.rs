//! The PostgreSQL backend, for several replicas on one database: migrations under an advisory lock, the driver under
//! the one store implementation (`impl Sql for PgConn`), and the three ways a replica reaches the database.
//!
//! - **Writes** go to this replica's writer (`writer.rs`, shared with SQLite): one thread owns one connection and
//!   commits queued writes in batches, each batch one transaction that first takes a transaction-level advisory lock
//!   (`WRITE_LOCK`). Writes are thus serialised across replicas as SQLite's single writer serialises them, so a
//!   handler's check-then-change is atomic everywhere and a job step (checked due, run and recorded in one
//!   transaction) runs once whichever replica's worker reaches it; the lock and the commit are paid per batch.
//! - **Reads with a closure** (`Db::call`: lists, scans) run on a few reader threads, each with its own read-only
//!   connection.
//! - **Hot reads** (a group, a job) come from this replica's memory when it is current (`pg_cache.rs`: a write
//!   transaction announces what it changed, every replica listens), otherwise from the database. They, list pages and
//!   the worker's claims are single statements sent from async code on a pooled connection (deadpool), never through
//!   a blocking thread.
//!
//! A writer or reader thread's connection is driven by a runtime of its own, on that thread: a statement is sent and
//! its answer read by the thread that asked, with no hop between threads. Savepoints are not sent on their own: they
//! go out in front of the next statement, pipelined (`PgConn::batch`), so a write's savepoints cost no round trip.
//! Every statement is prepared once per connection, with its arguments' types. Reads see every commit answered before
//! they start, on any replica.
//!
//! The writer's time goes to round trips, not to work: each statement whose answer an operation waits for is one.
//! So the writer remembers its reads until a write may change them (`remembered.rs`), sends announced reads together
//! (`Store::read_ahead`: groups and their members in one flight, their servers in a second, each kind of read one
//! statement for the whole batch; a batch reads the groups its operations announced when queued, `writer.rs`, and the
//! worker its jobs' groups), reads a batch's claimed jobs in one statement (`Store::take_job_claims`), and keeps
//! writes whose answer nobody waits for until the next statement of the batch, whichever operation sends it: an
//! operation costs no round trip of its own unless it reads from the database. Once 32 are kept they are sent ahead
//! without waiting (`PgConn::send_ahead`), so the database runs them while the writer computes the next ones (a
//! worker batch keeps hundreds); their answers are read by the next statement, as those of the writes it sends.
//! What is kept goes in fewer statements (`PgConn::merged`): an operation's consecutive one-row writes of one kind on
//! different rows as one statement of several rows (`RowsWrite`), and a savepoint inside an operation whose extent
//! never left the client not at all (`PgConn::nested_savepoint`). The database's time per statement, not per row, is
//! what the writer waits for most.
//!
//! A kept write that fails there is its own operation's failure: `PgConn::run` rolls back that operation's savepoint
//! (each operation's is named by its index and released only by the commit) and sends again what followed. That is
//! sound because no later operation used what it wrote: an operation that ends with kept writes leaves the remembered
//! reads it filled or replaced (`Remembered::end_operation`), so a later one reads them from the database, which
//! sends those writes, and learns of their failure, first.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use futures_util::future::{FutureExt, MaybeDone};
use tokio::sync::oneshot;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{IsNull, ToSql, Type};
use tokio_postgres::{Client, Statement};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::hot::{HotKey, KeyRef, Lookup, HOT_KINDS};
use super::list_order::{Fingerprint, ListOrder, ListOrders, SHALLOW_OFFSET};
use super::pg_cache::{announcement, SharedCache};
use super::remembered::{read_key, Remembered};
use super::sql::{args, postgres_placeholders, Arg, Dialect, OwnedArg, Row, SavepointStep, Sql, Value};
use super::statements::{
    claim_statement, document_statement, list_statements, RowsWrite, DATA_VERSION, LIST_FINGERPRINT, LIST_ORDER_ARRAY,
    NOTIFY_CHANGED, PAGE_FROM, PING,
};
use super::writer::{Committer, GroupAhead, GroupsReader, Writer};
use super::{ListFilter, Store};
use crate::error::{ApiError, ApiResult};

/// The advisory lock every write transaction takes first, on every replica.
const WRITE_LOCK: i64 = 0x5d25_0001;
/// Held while migrating, so replicas starting together migrate once.
const MIGRATION_LOCK: i64 = 0x5d25_0002;
/// Reader threads per replica, each with its connection.
const READERS: usize = 4;
/// Connections of the async pool (hot reads, claims).
const POOL_SIZE: usize = 8;
/// How long a connection may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// An error with the causes below it (the driver's "error performing TLS handshake" says why only in its source).
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// PostgreSQL could not be reached: a database failure (retry later), not the operation's.
#[derive(Debug, thiserror::Error)]
#[error("PostgreSQL is unreachable: {0}")]
pub struct Unreachable(String);

/// Where and how to connect.
#[derive(Clone)]
struct Target {
    config: tokio_postgres::Config,
    tls: MakeRustlsConnect,
}

/// A PostgreSQL database shared by replicas. Cloned into every request: a few reference counts.
#[derive(Clone)]
pub struct PgDb {
    pool: Pool,
    writer: Writer<PgCommitter>,
    readers: Arc<Readers>,
    /// Groups and jobs read recently, served while current (`pg_cache.rs`).
    cache: Arc<SharedCache>,
    /// The lists' orders read so far, each used while the list's fingerprint is its own (`list_order.rs`).
    orders: Arc<ListOrders<Fingerprint>>,
    /// This handle's name on the jobs it claims: random at each open, so a restarted process never mistakes an
    /// earlier one's claims for its own (they lapse within the claim's few seconds).
    worker: Arc<str>,
}

impl PgDb {
    /// Connects once to apply pending migrations, and starts the writer, the readers and the pool. A database that
    /// cannot be reached fails here, with the reason. Callable from async code and from plain threads alike.
    pub fn open(url: &str) -> anyhow::Result<PgDb> {
        let (config, tls) = crate::config::postgres_config(url)?;
        let target = Target { config, tls: super::pg_tls::connector(&tls)? };
        let migrating = target.clone();
        // Its own thread and runtime: `open` is synchronous and may be called on a thread that drives async tasks.
        std::thread::spawn(move || -> anyhow::Result<()> {
            let mut conn = PgConn::connect(&migrating, false)?;
            conn.runtime.block_on(async {
                let client = Arc::get_mut(&mut conn.client).expect("the migrating connection is its own");
                let tx = client.transaction().await?;
                tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
                super::migrations::migrate_postgres(&tx).await?;
                tx.commit().await?;
                anyhow::Ok(())
            })
        })
        .join()
        .map_err(|_| anyhow::anyhow!("the migration thread panicked"))??;
        let manager = Manager::from_config(
            target.config.clone(),
            target.tls.clone(),
            ManagerConfig { recycling_method: RecyclingMethod::Fast },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(CONNECT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .build()?;
        let worker: Arc<str> = uuid::Uuid::new_v4().simple().to_string().into();
        let replica: Arc<str> = format!("sdrs-replica-{worker}").into();
        let cache = Arc::new(SharedCache::new());
        let committer = PgCommitter {
            target: target.clone(),
            conn: None,
            replica: replica.clone(),
            cache: cache.clone(),
            committed: Vec::new(),
        };
        let writer = Writer::start(committer, "sdrs-pg-writer")?;
        super::pg_cache::listen(target.config.clone(), target.tls.clone(), &cache, replica)?;
        let readers = Arc::new(Readers::start(target)?);
        Ok(PgDb { pool, writer, readers, cache, orders: Arc::default(), worker })
    }

    /// Runs a read on a reader thread's connection. It sees every commit answered before it began, on any replica:
    /// read-your-writes across replicas.
    pub async fn call<R, F>(&self, f: F) -> ApiResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&dyn Store) -> ApiResult<R> + Send + 'static,
    {
        self.readers.run(move |conn| f(conn)).await
    }

    /// Runs `f` in this replica's next write batch: one transaction holding the write lock, `f` in a savepoint of its
    /// own; answers once the batch has committed.
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

    /// A statement from async code on a pooled connection: no blocking thread, one round trip once prepared.
    async fn pooled<T>(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        read: impl FnOnce(Vec<tokio_postgres::Row>) -> ApiResult<T>,
    ) -> ApiResult<T> {
        let client = self.pool.get().await.map_err(|error| ApiError::Internal(error.into()))?;
        let statement = client.prepare_typed_cached(&postgres_placeholders(sql), &types_of(args)).await?;
        let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|arg| arg as &(dyn ToSql + Sync)).collect();
        read(client.query(&statement, &params).await?)
    }

    /// A document (a group, a job) as the response `render` makes of its stored wire JSON: from memory if this
    /// replica holds it and is current (every write answered before now, on any replica, invalidated here), otherwise
    /// from the database, and kept for the next reads. `None` (no such document) is not kept.
    pub async fn hot_read(
        &self,
        kind: &'static str,
        project: &str,
        id: &str,
        render: fn(&str) -> Bytes,
    ) -> ApiResult<Option<Bytes>> {
        debug_assert!(HOT_KINDS.contains(&kind), "{kind} is read hot but its changes are not announced");
        let key = KeyRef(kind, project, id);
        let documents = &self.cache.documents;
        if matches!(documents.lookup(key), Lookup::Hit(_))
            && (self.cache.sole() || self.cache.current_at(self.data_version().await?))
        {
            // Looked up again after the check: an invalidation applied meanwhile is seen.
            if let Lookup::Hit(bytes) = documents.lookup(key) {
                documents.served();
                return Ok(Some(bytes));
            }
        }
        let generation = documents.generation(key);
        let (sql, args) = document_statement(kind, project, id);
        let value = self
            .pooled(sql, &args, |rows| rows.first().map(|row| text_at(row, 0).map(|body| render(&body))).transpose())
            .await?;
        if let Some(bytes) = &value {
            documents.fill(key, generation, bytes);
        }
        Ok(value)
    }

    /// `data_version` as read after this call began, in one statement shared with every hit waiting at the moment.
    async fn data_version(&self) -> ApiResult<i64> {
        let (answer, start) = self.cache.wait_for_version();
        if start {
            let db = self.clone();
            let read = move || {
                let db = db.clone();
                async move {
                    db.pooled(DATA_VERSION, &[], |rows| match rows.first() {
                        Some(row) => int_at(row, 0),
                        None => Err(ApiError::Internal(anyhow::anyhow!("data_version has no row"))),
                    })
                    .await
                    .map_err(|error| format!("{error:#}"))
                }
            };
            tokio::spawn(self.cache.clone().read_versions(read));
        }
        let version = answer.await.map_err(|_| ApiError::Internal(anyhow::anyhow!("the version read ended")))?;
        version.map_err(|error| ApiError::Internal(anyhow::anyhow!(error)))
    }

    /// One page of a kind's resources as stored wire JSON, and the number matching the filter. An unfiltered page is
    /// found by position in the list's order when the order last read is still the list's (its fingerprint, read with
    /// the page, says so), or when the offset is deep enough to read the order again; otherwise by `OFFSET`.
    pub async fn list_page(
        &self,
        project_id: String,
        kind: &'static str,
        filter: ListFilter,
    ) -> ApiResult<(Vec<String>, u64)> {
        if filter.is_unfiltered() {
            if let Some((fingerprint, order)) = self.orders.last_read(&project_id, kind) {
                // The page from the position the order gives, and the list's fingerprint, at once.
                let (now, page) = tokio::join!(
                    self.fingerprint(&project_id, kind),
                    self.page_from(&project_id, kind, &order, &filter)
                );
                if now? == fingerprint {
                    return Ok((page?, order.len() as u64));
                }
            }
            if filter.offset >= SHALLOW_OFFSET {
                let order = self.read_order(&project_id, kind).await?;
                return Ok((self.page_from(&project_id, kind, &order, &filter).await?, order.len() as u64));
            }
        }
        let statements = list_statements(Dialect::Postgres, &project_id, kind, &filter);
        let count = self.pooled(&statements.count, &statements.args, |rows| match rows.first() {
            Some(row) => int_at(row, 0),
            None => Ok(0),
        });
        let page = self.pooled(&statements.page, &statements.page_args, |rows| {
            rows.iter().map(|row| text_at(row, 0)).collect::<ApiResult<Vec<String>>>()
        });
        // Two connections, two round trips at once.
        let (count, page) = tokio::join!(count, page);
        Ok((page?, count? as u64))
    }

    /// A list's fingerprint now.
    async fn fingerprint(&self, project_id: &str, kind: &str) -> ApiResult<Fingerprint> {
        self.pooled(LIST_FINGERPRINT, args![project_id, kind], |rows| match rows.first() {
            Some(row) => Ok(Fingerprint { count: int_at(row, 0)?, last: int_at(row, 1)? }),
            None => Err(ApiError::Internal(anyhow::anyhow!("no fingerprint row"))),
        })
        .await
    }

    /// Reads a list's order (one scan of the list index) and keeps it with its fingerprint.
    async fn read_order(&self, project_id: &str, kind: &'static str) -> ApiResult<ListOrder> {
        let mut seqs: Vec<i64> = self
            .pooled(LIST_ORDER_ARRAY, args![project_id, kind], |rows| match rows.first() {
                Some(row) => Ok(row.try_get(0)?),
                None => Err(ApiError::Internal(anyhow::anyhow!("no list order row"))),
            })
            .await?;
        if !seqs.is_sorted() {
            seqs.sort_unstable();
        }
        let order: ListOrder = Arc::new(seqs);
        self.orders.keep(project_id, kind, Fingerprint::of(&order), order.clone());
        Ok(order)
    }

    /// The page at `filter`'s offset and limit, read from the position `order` gives (empty past its end).
    async fn page_from(
        &self,
        project_id: &str,
        kind: &str,
        order: &[i64],
        filter: &ListFilter,
    ) -> ApiResult<Vec<String>> {
        let Some(&first) = usize::try_from(filter.offset).ok().and_then(|offset| order.get(offset)) else {
            return Ok(Vec::new());
        };
        let limit = i64::from(filter.limit);
        self.pooled(PAGE_FROM, args![project_id, kind, first, limit], |rows| {
            rows.iter().map(|row| text_at(row, 0)).collect()
        })
        .await
    }

    /// Claims due jobs in one statement of its own, outside the write lock: it touches only the claim columns, which
    /// no handler reads, and `SKIP LOCKED` passes over rows another replica is claiming or advancing, so the
    /// replicas' workers share the due jobs without waiting for each other.
    pub async fn claim_due_jobs(&self, now: i64, until: i64, limit: u32) -> ApiResult<Vec<(String, i64)>> {
        let holder = self.worker.clone();
        self.pooled(&claim_statement(Dialect::Postgres), args![&*holder, now, until, limit], |rows| {
            rows.iter().map(|row| Ok((text_at(row, 0)?, int_at(row, 1)?))).collect()
        })
        .await
    }

    /// `synchronous_commit`, in SQLite's `synchronous` numbers: 2 (FULL) when an answered commit is durable.
    pub async fn synchronous(&self) -> ApiResult<i64> {
        let setting = self.pooled("SELECT current_setting('synchronous_commit')", &[], |rows| match rows.first() {
            Some(row) => text_at(row, 0),
            None => Ok(String::new()),
        });
        Ok(if setting.await? == "off" { 0 } else { 2 })
    }

    pub fn fail_next_commits(&self, count: u32) {
        self.writer.fail_next_commits(count);
    }

    /// The name this handle claims jobs under.
    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// The hot-read cache, whose reads from memory the server counts.
    pub fn hot_cache(&self) -> &super::hot::HotCache {
        &self.cache.documents
    }

    pub fn hold_notifications(&self, held: bool) {
        self.cache.hold_notifications(held);
    }

    pub fn sole_replica(&self) -> (bool, u64) {
        (self.cache.sole(), self.cache.version_reads())
    }

    /// Write batches committed by this replica.
    pub fn commits(&self) -> u32 {
        self.writer.batches()
    }

    /// `VACUUM (ANALYZE)` of the whole database, on a pooled connection (`Db::after_bulk_load`).
    pub async fn vacuum_analyze(&self) -> ApiResult<()> {
        let client = self.pool.get().await.map_err(|error| ApiError::Internal(error.into()))?;
        Ok(client.batch_execute("VACUUM (ANALYZE)").await?)
    }

    /// Whether the database answers a query now.
    pub async fn ping(&self) -> ApiResult<()> {
        self.pooled(PING, &[], |_| Ok(())).await
    }

    /// Connections in use: the pool's and the writer's (the readers' are not counted).
    pub fn connections_in_use(&self) -> usize {
        let status = self.pool.status();
        status.size.saturating_sub(status.available) + 1
    }

    pub fn observe_batches(&self, observer: super::writer::BatchObserver) {
        self.writer.observe(observer);
    }

    /// Writes waiting for this replica's writer.
    pub fn queued_writes(&self) -> usize {
        self.writer.queued()
    }
}

fn text_at(row: &tokio_postgres::Row, column: usize) -> ApiResult<String> {
    Ok(row.try_get(column)?)
}

fn int_at(row: &tokio_postgres::Row, column: usize) -> ApiResult<i64> {
    match row.columns()[column].type_() {
        &Type::INT4 => Ok(i64::from(row.try_get::<_, i32>(column)?)),
        _ => Ok(row.try_get(column)?),
    }
}

impl From<tokio_postgres::Error> for ApiError {
    fn from(error: tokio_postgres::Error) -> Self {
        ApiError::Internal(error.into())
    }
}

/// Whether an error is PostgreSQL's own (retry later): no connection to be had, a closed connection, the server's
/// resources or shutdown, or a conflict to retry.
pub fn is_database_failure(error: &anyhow::Error) -> bool {
    if error.downcast_ref::<deadpool_postgres::PoolError>().is_some() || error.downcast_ref::<Unreachable>().is_some() {
        return true;
    }
    let Some(error) = error.downcast_ref::<tokio_postgres::Error>() else { return false };
    let Some(state) = error.code() else { return true }; // closed connection, I/O: no SQL state
    matches!(&state.code()[..2], "08" | "53" | "57" | "58" | "40") || state == &SqlState::READ_ONLY_SQL_TRANSACTION
}

/// The PostgreSQL type an argument is prepared with.
fn pg_type(arg: &Arg<'_>) -> Type {
    match arg {
        Arg::Text(_) => Type::TEXT,
        Arg::Int(_) => Type::INT8,
        Arg::Bool(_) => Type::BOOL,
        Arg::Bytes(_) => Type::BYTEA,
    }
}

fn types_of(args: &[Arg<'_>]) -> Vec<Type> {
    args.iter().map(pg_type).collect()
}

impl ToSql for Arg<'_> {
    fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match *self {
            Arg::Text(Some(text)) => text.to_sql(ty, out),
            Arg::Int(Some(n)) => n.to_sql(ty, out),
            Arg::Bool(b) => b.to_sql(ty, out),
            Arg::Bytes(Some(bytes)) => bytes.to_sql(ty, out),
            Arg::Text(None) | Arg::Int(None) | Arg::Bytes(None) => Ok(IsNull::Yes),
        }
    }

    fn accepts(_: &Type) -> bool {
        // Prepared with `pg_type`, so the server expects what `to_sql` writes.
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

/// A statement kept to be sent in front of the next one: savepoints (`batch`) and writes whose answer nobody waits for
/// (`execute_later`), in the order they were asked for.
enum Later {
    Simple(String),
    /// `rows`: the one-row write it is, if it may be sent with others of its kind as one statement (`RowsWrite`).
    Write {
        statement: Statement,
        args: Vec<OwnedArg>,
        expect: Option<(u64, String)>,
        rows: Option<&'static RowsWrite>,
    },
    /// A savepoint opened inside an operation, not sent yet (`PgConn::nested_savepoint`).
    Savepoint(&'static str),
}

/// A kept statement and the writer's operation that asked for it (`None`: the batch's own, or a reader's).
type Kept = (Option<usize>, Later);

/// A kept statement's answer: once sent ahead (`PgConn::send_ahead`), polled again only by `PgConn::run`, which reads
/// it (`MaybeDone`: a statement refused before it left is answered at its first poll).
type Pending = Pin<Box<MaybeDone<Pin<Box<dyn Future<Output = Result<u64, tokio_postgres::Error>> + Send>>>>>;

/// Kept statements are sent ahead, without waiting for their answers, once this many wait: the database runs them
/// while the writer goes on. (A worker batch of 64 failover jobs keeps over 600, which all waited for its commit.)
const SEND_AHEAD: usize = 32;

/// One-row writes sent as one statement at most (`RowsWrite`): each number of rows is a statement prepared with the
/// one-row one.
const MERGED_ROWS: usize = 16;

/// A kept one-row write: its one-row statement, its arguments and the rows it must change.
type OneRow = (Statement, Vec<OwnedArg>, Option<(u64, String)>);

/// Consecutive one-row writes of one kind and one operation, each on another row, to send as one statement.
struct RowsRun {
    operation: Option<usize>,
    write: &'static RowsWrite,
    rows: Vec<OneRow>,
}

impl RowsRun {
    /// Whether a write of `write` on the row of `args` may join the run.
    fn takes(&self, operation: Option<usize>, write: &RowsWrite, args: &[OwnedArg]) -> bool {
        let same_row = |other: &[OwnedArg]| write.key.iter().all(|&at| other[at] == args[at]);
        self.operation == operation
            && self.write.single == write.single
            && self.rows.len() < MERGED_ROWS
            && !self.rows.iter().any(|(_, other, _)| same_row(other))
    }
}

impl ToSql for OwnedArg {
    fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        self.as_arg().to_sql(ty, out)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

/// A connection driven on the thread that uses it, by a runtime of its own: what the writer and the readers run
/// their statements on.
pub struct PgConn {
    runtime: tokio::runtime::Runtime,
    client: Arc<Client>,
    statements: RefCell<HashMap<String, Statement>>,
    /// A one-row write's statements for several rows (`RowsWrite`), by its one-row text and the number of rows:
    /// prepared with the one-row statement, found without spelling them out again.
    several_rows: RefCell<HashMap<(&'static str, usize), Statement>>,
    /// Sent in front of the next statement, pipelined with it.
    later: RefCell<Vec<Kept>>,
    /// Kept statements sent ahead, in order, whose answers the next `run` reads first (`run` queues the rest behind
    /// them, `queue_kept`).
    sent: RefCell<Vec<(Kept, Pending)>>,
    /// The writer's operation running now (`Sql::begin_operation`), whose statements are kept under its index.
    operation: Cell<Option<usize>>,
    /// Operations of the batch whose kept writes failed after they returned, each rolled back alone, with the error.
    failed: RefCell<Vec<(usize, ApiError)>>,
    /// The writer's reads, each until one of its writes may change it (`remembered.rs`). (A handler reads the same
    /// group and members several times while it checks and changes them; a job step reads back what it wrote.)
    remembered: Option<RefCell<Remembered>>,
    /// What this connection's writes changed, for the operation's audit event.
    noted: RefCell<Vec<(String, String)>>,
    /// What this connection's writes changed since the transaction began, announced with its commit (`pg_cache.rs`).
    changed: RefCell<Vec<HotKey>>,
}

impl PgConn {
    fn connect(target: &Target, read_only: bool) -> ApiResult<PgConn> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| ApiError::Internal(error.into()))?;
        let client = runtime.block_on(async {
            let (client, connection) = tokio::time::timeout(CONNECT_TIMEOUT, target.config.connect(target.tls.clone()))
                .await
                .map_err(|_| Unreachable(format!("no answer within {} s", CONNECT_TIMEOUT.as_secs())))?
                .map_err(|error| Unreachable(with_causes(&error)))?;
            tokio::spawn(async move {
                if let Err(error) = connection.await {
                    tracing::warn!(error = %with_causes(&error), "a PostgreSQL connection ended");
                }
            });
            if read_only {
                client
                    .batch_execute("SET default_transaction_read_only = on")
                    .await
                    .map_err(|error| Unreachable(with_causes(&error)))?;
            }
            Ok::<_, Unreachable>(client)
        });
        let client = client.map_err(|error| ApiError::Internal(error.into()))?;
        Ok(PgConn {
            runtime,
            client: Arc::new(client),
            statements: RefCell::default(),
            several_rows: RefCell::default(),
            later: RefCell::default(),
            sent: RefCell::default(),
            operation: Cell::default(),
            failed: RefCell::default(),
            remembered: (!read_only).then(RefCell::default),
            noted: RefCell::default(),
            changed: RefCell::default(),
        })
    }

    fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Tells the remembered reads what was written (`changed`: the rows it changed, when known).
    fn wrote(&self, sql: &str, args: &[Arg<'_>], changed: Option<u64>) {
        if let Some(remembered) = &self.remembered {
            remembered.borrow_mut().wrote(sql, args, changed);
        }
    }

    /// Runs the statement `make` sends after what was kept for later, pipelined with it: everything is sent, in order,
    /// before the first answer is read. A kept write that failed, or changed another number of rows than expected, is
    /// the error, unless it is an earlier operation's: that operation's savepoint is rolled back (it alone fails,
    /// `Sql::take_failed_operations`), and what followed it is sent again, `make`'s statement last, whose first answer
    /// was read on what the rollback undid.
    fn run<T, F>(&self, make: impl Fn() -> F) -> ApiResult<T>
    where
        F: Future<Output = Result<T, tokio_postgres::Error>>,
    {
        loop {
            self.queue_kept();
            let sent = std::mem::take(&mut *self.sent.borrow_mut());
            if sent.is_empty() {
                return Ok(self.runtime.block_on(make())?);
            }
            let (items, mut answers): (Vec<Kept>, Vec<Pending>) = sent.into_iter().unzip();
            // Polled in order the first time, so the requests not sent ahead leave in order, after those that were.
            let ((), result) = self.runtime.block_on(async {
                tokio::join!(futures_util::future::join_all(answers.iter_mut().map(Pin::as_mut)).map(drop), make())
            });
            let answers = answers.iter_mut().map(|answer| answer.as_mut().take_output().expect("joined"));
            let failure = items.iter().zip(answers).enumerate().find_map(|(at, ((_, item), answer))| match answer {
                Err(error) => Some((at, ApiError::from(error))),
                Ok(changed) => match item {
                    Later::Write { expect: Some((wanted, why)), .. } if changed != *wanted => {
                        Some((at, ApiError::Internal(anyhow::anyhow!(why.clone()))))
                    }
                    _ => None,
                },
            });
            let Some((at, error)) = failure else { return Ok(result?) };
            let earlier = match &items[at] {
                (Some(operation), Later::Write { .. }) if Some(*operation) != self.operation.get() => *operation,
                // The running operation's own write, a savepoint, or the batch's own statement.
                _ => return Err(error),
            };
            // What followed it was not run (the transaction was aborted) or is undone by the rollback (a write that
            // changed the wrong number of rows aborts nothing): it is sent again, without the failed operation's.
            let rollback = format!("ROLLBACK TO SAVEPOINT op_{earlier}; RELEASE SAVEPOINT op_{earlier}; ");
            let mut again: Vec<Kept> = vec![(None, Later::Simple(rollback))];
            again.extend(items.into_iter().skip(at + 1).filter(|(operation, _)| *operation != Some(earlier)));
            *self.later.borrow_mut() = again;
            if let Some(remembered) = &self.remembered {
                remembered.borrow_mut().forget_all();
            }
            tracing::warn!(%error, operation = earlier, "a write failed after its operation returned; it alone is rolled back");
            self.failed.borrow_mut().push((earlier, error));
        }
    }

    /// A kept statement's answer, its request not sent until it is first polled.
    fn pending(&self, item: &Later) -> Pending {
        let client = self.client.clone();
        let answer: Pin<Box<dyn Future<Output = Result<u64, tokio_postgres::Error>> + Send>> = match item {
            Later::Simple(text) => {
                let text = text.clone();
                Box::pin(async move { client.batch_execute(&text).await.map(|()| 0) })
            }
            Later::Savepoint(_) => unreachable!("made a simple statement when queued (`merged`)"),
            Later::Write { statement, args, .. } => {
                let (statement, args) = (statement.clone(), args.clone());
                Box::pin(async move {
                    let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|arg| arg as &(dyn ToSql + Sync)).collect();
                    client.execute(&statement, &params).await
                })
            }
        };
        Box::pin(MaybeDone::Future(answer))
    }

    /// What is kept, in fewer statements: consecutive simple statements of one operation (savepoints among them)
    /// made one, and consecutive one-row writes of one kind and one operation, each on another row, made one
    /// statement of their rows (`RowsWrite`: three resource updates per failover, a worker batch's job advances).
    /// The rows' expected changes add up; a failure is their operation's, as any of its writes' would be.
    fn merged(&self, later: Vec<Kept>) -> Vec<Kept> {
        let mut items: Vec<Kept> = Vec::with_capacity(later.len());
        let mut run: Option<RowsRun> = None;
        for (operation, item) in later {
            let item = match item {
                Later::Savepoint(name) => Later::Simple(format!("{}; ", SavepointStep::Open.sql(name))),
                Later::Write { statement, args, expect, rows: Some(write) } => {
                    if !run.as_ref().is_some_and(|run| run.takes(operation, write, &args)) {
                        self.push_run(&mut items, run.take());
                    }
                    let run = run.get_or_insert_with(|| RowsRun { operation, write, rows: Vec::new() });
                    run.rows.push((statement, args, expect));
                    continue;
                }
                item => item,
            };
            self.push_run(&mut items, run.take());
            match (items.last_mut(), item) {
                (Some((last, Later::Simple(text))), Later::Simple(more)) if *last == operation => text.push_str(&more),
                (_, item) => items.push((operation, item)),
            }
        }
        self.push_run(&mut items, run);
        items
    }

    /// A run of one-row writes as one statement (or as they are, alone or if their statement was not prepared).
    fn push_run(&self, items: &mut Vec<Kept>, run: Option<RowsRun>) {
        let Some(RowsRun { operation, write, rows }) = run else { return };
        let several = self.several_rows.borrow().get(&(write.single, rows.len())).cloned();
        let Some(statement) = several else {
            let writes =
                rows.into_iter().map(|(statement, args, expect)| Later::Write { statement, args, expect, rows: None });
            items.extend(writes.map(|write| (operation, write)));
            return;
        };
        let expected: Vec<(u64, String)> = rows.iter().filter_map(|(_, _, expect)| expect.clone()).collect();
        let expect = (!expected.is_empty()).then(|| {
            let why: Vec<&str> = expected.iter().map(|(_, why)| why.as_str()).collect();
            (expected.iter().map(|(count, _)| count).sum(), why.join("; or "))
        });
        let args = rows.into_iter().flat_map(|(_, args, _)| args).collect();
        items.push((operation, Later::Write { statement, args, expect, rows: None }));
    }

    /// Moves what is kept behind the statements already sent, each with its answer (its request leaves when that is
    /// first polled); returns where the moved ones begin.
    fn queue_kept(&self) -> usize {
        let later = self.merged(std::mem::take(&mut *self.later.borrow_mut()));
        let mut sent = self.sent.borrow_mut();
        let first = sent.len();
        sent.extend(later.into_iter().map(|kept| {
            let answer = self.pending(&kept.1);
            (kept, answer)
        }));
        first
    }

    /// Sends what is kept, in order, without waiting for the answers: the next `run` reads them, and handles a
    /// failure among them as it handles one among the statements it sends itself.
    fn send_ahead(&self) {
        let first = self.queue_kept();
        let mut sent = self.sent.borrow_mut();
        // Each polled once, in order, queues its request; the connection's task, run by the yield, writes them out.
        self.runtime.block_on(async {
            for (_, answer) in sent[first..].iter_mut() {
                let _ = answer.as_mut().now_or_never();
            }
            tokio::task::yield_now().await;
        });
    }

    /// The statement prepared on this connection (once) with the arguments' types; with a one-row write that may be
    /// sent for several rows (`RowsWrite`), its statements for 2 to `MERGED_ROWS` rows, in the same flight.
    fn prepared(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<Statement> {
        if let Some(statement) = self.statements.borrow().get(sql) {
            return Ok(statement.clone());
        }
        let types = types_of(args);
        let write = RowsWrite::of(sql);
        let mut texts = vec![(sql.to_owned(), types.clone())];
        if let Some(write) = write {
            texts.extend((2..=MERGED_ROWS).map(|rows| {
                ((write.for_rows)(rows), types.iter().cycle().take(types.len() * rows).cloned().collect())
            }));
        }
        let placeholders: Vec<String> = texts.iter().map(|(text, _)| postgres_placeholders(text)).collect();
        let client = &self.client;
        let mut statements = self
            .run(|| {
                let prepares =
                    placeholders.iter().zip(&texts).map(|(text, (_, types))| client.prepare_typed(text, types));
                futures_util::future::try_join_all(prepares)
            })?
            .into_iter();
        let statement = statements.next().expect("the one-row statement, prepared first");
        if let Some(write) = write {
            self.several_rows
                .borrow_mut()
                .extend((2..=MERGED_ROWS).zip(statements).map(|(rows, s)| ((write.single, rows), s)));
        }
        self.statements.borrow_mut().insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    /// Sends what was kept for later, if anything, and then `sql` (simple statements; may be empty).
    fn flush(&self, sql: &str) -> ApiResult<()> {
        if sql.is_empty() {
            if self.later.borrow().is_empty() {
                return Ok(());
            }
            return self.run(|| async { Ok(()) });
        }
        self.run(|| self.client.batch_execute(sql))
    }
}

fn values_of(row: &tokio_postgres::Row) -> ApiResult<Row> {
    let mut values = Vec::with_capacity(row.len());
    for (index, column) in row.columns().iter().enumerate() {
        let value = match *column.type_() {
            Type::INT8 => row.try_get::<_, Option<i64>>(index)?.map(Value::Int),
            Type::INT4 => row.try_get::<_, Option<i32>>(index)?.map(|n| Value::Int(n.into())),
            Type::INT2 => row.try_get::<_, Option<i16>>(index)?.map(|n| Value::Int(n.into())),
            Type::BOOL => row.try_get::<_, Option<bool>>(index)?.map(|b| Value::Int(b.into())),
            Type::BYTEA => row.try_get::<_, Option<Vec<u8>>>(index)?.map(Value::Bytes),
            _ => row.try_get::<_, Option<String>>(index)?.map(Value::Text),
        };
        values.push(value.unwrap_or(Value::Null));
    }
    Ok(Row(values))
}

impl Sql for PgConn {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn query(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<Vec<Row>> {
        // Only reads are remembered; a statement that writes and returns rows (a claim) is a write.
        let remember = self.remembered.as_ref().filter(|_| sql.trim_start().starts_with("SELECT"));
        let key = remember.map(|_| read_key(sql, args));
        if let (Some(remembered), Some(key)) = (remember, &key) {
            if let Some(rows) = remembered.borrow().get(key) {
                return Ok(rows.clone());
            }
        } else {
            self.wrote(sql, args, None);
        }
        let statement = self.prepared(sql, args)?;
        let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|arg| arg as &(dyn ToSql + Sync)).collect();
        let rows: Vec<Row> =
            self.run(|| self.client.query(&statement, &params))?.iter().map(values_of).collect::<ApiResult<_>>()?;
        if let (Some(remembered), Some(key)) = (remember, key) {
            remembered.borrow_mut().keep(key, rows.clone());
        }
        Ok(rows)
    }

    fn execute(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<u64> {
        let statement = self.prepared(sql, args)?;
        let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|arg| arg as &(dyn ToSql + Sync)).collect();
        let changed = self.run(|| self.client.execute(&statement, &params));
        self.wrote(sql, args, changed.as_ref().ok().copied());
        changed
    }

    /// Kept for later: sent in front of the next statement, or the commit.
    fn batch(&self, sql: &str) -> ApiResult<()> {
        if let Some(remembered) = &self.remembered {
            remembered.borrow_mut().ran(sql);
        }
        self.later.borrow_mut().push((self.operation.get(), Later::Simple(format!("{sql}; "))));
        Ok(())
    }

    /// A savepoint whose whole extent, from its opening to its release, is still kept never reaches the database:
    /// releasing it merges its writes into the operation around it, which is what they already are. Rolling back to
    /// one still kept drops what was kept after it. Only what was sent after it needs the real one. (A worker batch
    /// opens one or two per job, `jobs::advance_stored`; each one sent is a subtransaction, and beyond 64 of them
    /// every other session's visibility checks slow down.)
    fn nested_savepoint(&self, step: SavepointStep, name: &'static str) -> ApiResult<()> {
        let mut later = self.later.borrow_mut();
        // The latest of that name, as PostgreSQL finds it; what is kept follows everything sent.
        let kept = later.iter().rposition(|(_, item)| matches!(item, Later::Savepoint(open) if *open == name));
        match (step, kept) {
            (SavepointStep::Open, _) => later.push((self.operation.get(), Later::Savepoint(name))),
            (SavepointStep::Release, Some(at)) => {
                later.remove(at);
            }
            (SavepointStep::RollBack, Some(at)) => {
                later.truncate(at + 1);
                if let Some(remembered) = &self.remembered {
                    remembered.borrow_mut().forget_all();
                }
            }
            (_, None) => {
                drop(later);
                return self.batch(&step.sql(name));
            }
        }
        Ok(())
    }

    fn execute_later(&self, sql: &str, args: &[Arg<'_>], expect: Option<(u64, String)>) -> ApiResult<()> {
        self.wrote(sql, args, None);
        let statement = self.prepared(sql, args)?;
        let args = args.iter().map(|arg| arg.kept()).collect();
        let rows = RowsWrite::of(sql);
        self.later.borrow_mut().push((self.operation.get(), Later::Write { statement, args, expect, rows }));
        if self.later.borrow().len() >= SEND_AHEAD {
            self.send_ahead();
        }
        Ok(())
    }

    /// Sent in one flight, after what was kept for later.
    fn query_together(&self, reads: &[(&str, Vec<Arg<'_>>)]) -> ApiResult<Vec<Vec<Row>>> {
        let statements =
            reads.iter().map(|(sql, args)| self.prepared(sql, args)).collect::<ApiResult<Vec<Statement>>>()?;
        let params: Vec<Vec<&(dyn ToSql + Sync)>> =
            reads.iter().map(|(_, args)| args.iter().map(|arg| arg as &(dyn ToSql + Sync)).collect()).collect();
        let client = &self.client;
        let answers = self.run(|| {
            let queries = statements.iter().zip(&params).map(|(statement, params)| client.query(statement, params));
            futures_util::future::try_join_all(queries)
        })?;
        answers.iter().map(|rows| rows.iter().map(values_of).collect()).collect()
    }

    fn remembers(&self, sql: &str, args: &[Arg<'_>]) -> bool {
        self.remembered.as_ref().is_some_and(|remembered| remembered.borrow().contains(&read_key(sql, args)))
    }

    fn remember(&self, sql: &str, args: &[Arg<'_>], rows: Vec<Row>) {
        if let Some(remembered) = &self.remembered {
            remembered.borrow_mut().keep(read_key(sql, args), rows);
        }
    }

    fn remembers_reads(&self) -> bool {
        self.remembered.is_some()
    }

    fn touched(&self, kind: &'static str, project: &str, id: &str) {
        self.noted.borrow_mut().push((kind.to_owned(), id.to_owned()));
        if HOT_KINDS.contains(&kind) {
            self.changed.borrow_mut().push((kind, project.to_owned(), id.to_owned()));
        }
    }

    fn take_noted(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.noted.borrow_mut())
    }

    /// Savepoints are named by the operation and released only with the commit, so that an operation whose kept
    /// write fails after later operations ran can still be rolled back alone (`run`).
    fn begin_operation(&self, index: usize) -> ApiResult<()> {
        self.operation.set(Some(index));
        if let Some(remembered) = &self.remembered {
            remembered.borrow_mut().begin_operation();
        }
        self.batch(&format!("SAVEPOINT op_{index}"))
    }

    fn end_operation(&self, index: usize, succeeded: bool) -> ApiResult<()> {
        let mine = |kept: &Kept| kept.0 == Some(index);
        let (unsent, kept_writes) = {
            let later = self.later.borrow();
            // Its savepoint, its first statement, still kept: nothing of it reached the database.
            let savepoint = format!("SAVEPOINT op_{index}; ");
            let unsent = later
                .iter()
                .find(|kept| mine(kept))
                .is_some_and(|(_, item)| matches!(item, Later::Simple(text) if *text == savepoint));
            let sent = self.sent.borrow();
            let write = |kept: &Kept| mine(kept) && matches!(kept.1, Later::Write { .. });
            (unsent, later.iter().any(write) || sent.iter().any(|(kept, _)| write(kept)))
        };
        let result = if succeeded {
            // Its kept writes may still fail. What it read or wrote meanwhile is forgotten, so that a later operation
            // reads it from the database, which sends those writes first: none depends on a write that fails later.
            if let Some(remembered) = &self.remembered {
                remembered.borrow_mut().end_operation(kept_writes);
            }
            Ok(())
        } else if unsent {
            self.later.borrow_mut().retain(|kept| !mine(kept));
            if let Some(remembered) = &self.remembered {
                remembered.borrow_mut().end_operation(true);
            }
            Ok(())
        } else {
            self.later.borrow_mut().retain(|kept| !(mine(kept) && matches!(kept.1, Later::Write { .. })));
            self.batch(&format!("ROLLBACK TO SAVEPOINT op_{index}; RELEASE SAVEPOINT op_{index}"))
        };
        self.operation.set(None);
        result
    }

    fn take_failed_operations(&self) -> Vec<(usize, ApiError)> {
        std::mem::take(&mut *self.failed.borrow_mut())
    }
}

/// This replica's writing connection, opened (again) when a batch begins without one.
pub struct PgCommitter {
    target: Target,
    conn: Option<PgConn>,
    /// Its connection's application_name, `sdrs-replica-<worker>`: the sole-replica lease (`pg_cache.rs`) names its
    /// holder so, and tells by it whether another replica writes.
    replica: Arc<str>,
    cache: Arc<SharedCache>,
    /// The hot documents the last batch changed, invalidated here before its answers (`pg_cache.rs`).
    committed: Vec<HotKey>,
}

impl Committer for PgCommitter {
    type Conn = PgConn;
    /// Each operation of a batch is a subtransaction; PostgreSQL keeps 64 per transaction in its snapshot cache,
    /// beyond which every other session's visibility checks slow down.
    const MAX_BATCH: usize = 60;

    fn begin(&mut self) -> Result<(), String> {
        if self.conn.as_ref().is_none_or(PgConn::is_closed) {
            self.conn = None;
            let conn = PgConn::connect(&self.target, false).map_err(|error| error.to_string())?;
            // A hex name, written inline; sent with the batch's first statement.
            conn.batch(&format!("SET application_name = '{}'", self.replica)).map_err(|error| error.to_string())?;
            self.conn = Some(conn);
        }
        self.conn().changed.borrow_mut().clear();
        self.conn().failed.borrow_mut().clear();
        // Sent with the batch's first statement.
        self.conn().batch(&format!("BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})")).map_err(|e| e.to_string())
    }

    fn conn(&self) -> &PgConn {
        self.conn.as_ref().expect("a connection once the batch began")
    }

    fn commit(&mut self) -> Result<(), String> {
        let conn = self.conn();
        // What changed is announced in the transaction that changed it, pipelined in front of the commit.
        let changed = std::mem::take(&mut *conn.changed.borrow_mut());
        if let Some(payload) = announcement(&changed) {
            conn.execute_later(NOTIFY_CHANGED, args![payload.as_str()], None).map_err(|error| format!("{error:#}"))?;
        }
        // What is kept is sent first, on its own: a kept write that changed the wrong number of rows aborts nothing,
        // so a COMMIT sent with it would commit the operation that must be rolled back (`PgConn::run`).
        let committed = conn.flush("").and_then(|()| conn.flush("COMMIT")).map_err(|error| format!("{error:#}"));
        self.committed = changed;
        committed
    }

    /// This replica's own changes leave its memory before they are answered: while it holds the sole-replica lease,
    /// its hits do not wait for the notification.
    fn after_batch(&mut self) {
        self.cache.documents.invalidate(std::mem::take(&mut self.committed));
    }

    fn rollback(&mut self) {
        let Some(conn) = &self.conn else { return };
        conn.later.borrow_mut().clear();
        conn.sent.borrow_mut().clear();
        conn.operation.set(None);
        if conn.flush("ROLLBACK").is_err() {
            // A connection whose transaction did not end is not used again.
            self.conn = None;
        }
    }
}

/// A read waiting for a reader thread.
type ReadJob = Box<dyn FnOnce(Result<&PgConn, ApiError>) + Send>;

/// The reader threads: each takes the next read, on its own read-only connection (opened again if it was lost).
struct Readers {
    queue: std::sync::mpsc::Sender<ReadJob>,
}

impl Readers {
    fn start(target: Target) -> anyhow::Result<Readers> {
        let (queue, jobs) = std::sync::mpsc::channel::<ReadJob>();
        let jobs = Arc::new(Mutex::new(jobs));
        for n in 0..READERS {
            let (jobs, target) = (jobs.clone(), target.clone());
            std::thread::Builder::new().name(format!("sdrs-pg-reader-{n}")).spawn(move || {
                let mut conn: Option<PgConn> = None;
                loop {
                    let Ok(job) = jobs.lock().expect("the read queue").recv() else { return };
                    if conn.as_ref().is_none_or(PgConn::is_closed) {
                        conn = None;
                        match PgConn::connect(&target, true) {
                            Ok(opened) => conn = Some(opened),
                            Err(error) => {
                                job(Err(error));
                                continue;
                            }
                        }
                    }
                    let reader = conn.as_ref().expect("a connection");
                    // A read that panics answers nothing (its caller hears so); the thread goes on.
                    let _ = catch_unwind(AssertUnwindSafe(|| job(Ok(reader))));
                    // Nothing a read deferred may linger into the next read.
                    if reader.flush("").is_err() {
                        conn = None;
                    }
                }
            })?;
        }
        Ok(Readers { queue })
    }

    async fn run<R: Send + 'static>(&self, f: impl FnOnce(&PgConn) -> ApiResult<R> + Send + 'static) -> ApiResult<R> {
        let (reply, answer) = oneshot::channel();
        let job: ReadJob = Box::new(move |conn| {
            let _ = reply.send(conn.and_then(f));
        });
        self.queue.send(job).map_err(|_| ApiError::Internal(anyhow::anyhow!("the PostgreSQL readers have stopped")))?;
        answer.await.map_err(|_| ApiError::Internal(anyhow::anyhow!("a PostgreSQL read did not run to its end")))?
    }
}
