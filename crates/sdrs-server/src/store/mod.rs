//! The store interface: what handlers and the job runner may do to the database (`Store`), typed on top of it, and
//! the database handle (`Db`) that runs their reads and writes.
//!
//! Handlers and jobs never see SQL or a driver type: they get a `&dyn Store` inside `Db::call` or `Db::write`, or a
//! document from `Db::hot_read`. Every statement is in `statements.rs`, written once over the driver primitives of
//! `sql.rs`; the backends, `sqlite.rs` (one process, the embedded default) and `postgres.rs` (several replicas on one
//! database), provide the driver, the connections and the writer's transaction (`writer.rs`, shared). `Db` chooses
//! one at open, and no handler knows which (`tidy::only_the_store_knows_sql`).

mod hot;
mod list_order;
mod migrations;
mod pg_cache;
mod pg_tls;
mod postgres;
mod remembered;
mod sql;
mod sqlite;
mod statements;
mod writer;

use axum::body::Bytes;

use serde::de::DeserializeOwned;
use serde::Serialize;

use sdrs_core::wire::Fault;

use crate::error::ApiResult;

pub use hot::JOB_KIND;
pub use postgres::PgDb;
pub use sqlite::SqliteDb;
pub use writer::{BatchObserver, GroupAhead, GroupsReader, NotCommitted};

use crate::config::Database;
use crate::error::ApiError;

/// The name the one process on a SQLite file claims jobs and holds leases under: only one process can hold the file,
/// so a restart takes its predecessor's claims and leases back at once.
const SQLITE_WORKER: &str = "the-sqlite-process";

/// A read `Store::read_ahead` sends ahead: a resource, or a group's members of one kind.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ReadAhead<'a> {
    Resource { kind: &'a str, id: &'a str },
    Members { kind: &'a str, server_group_id: &'a str },
}

/// The database: SQLite or PostgreSQL, chosen by the configuration. Cloned into every request (one reference count).
#[derive(Clone)]
pub enum Db {
    Sqlite(SqliteDb),
    Postgres(PgDb),
}

impl Db {
    /// Opens the database (creating a SQLite file if needed) and applies pending migrations.
    pub fn open(database: &Database) -> anyhow::Result<Db> {
        Ok(match database {
            Database::Sqlite(path) => Db::Sqlite(SqliteDb::open(path)?),
            Database::Postgres(url) => Db::Postgres(PgDb::open(url)?),
        })
    }

    /// Runs a read (lists and scans; a read-only transaction on PostgreSQL).
    pub async fn call<R, F>(&self, f: F) -> ApiResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&dyn Store) -> ApiResult<R> + Send + 'static,
    {
        match self {
            Db::Sqlite(db) => db.call(f).await,
            Db::Postgres(db) => db.call(f).await,
        }
    }

    /// Runs `f` as one atomic write: check-then-change holds against every other write, of this process or (on
    /// PostgreSQL) of any replica. Answers once committed; an error from `f` rolls back `f`'s changes only. Inside a
    /// request's audit context (`with_audit`), what `f` changed is recorded in the same transaction
    /// (`Store::insert_audit_event`): the event commits if and only if the change does.
    pub async fn write<R, F>(&self, f: F) -> ApiResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&dyn Store) -> ApiResult<R> + Send + 'static,
    {
        self.write_on(None, f).await
    }

    /// `write` for an operation on a group, if `group` names one (a failover, a drill, …): its batch reads the group,
    /// its members and their servers ahead together with the other operations' groups (`writer.rs`), before any
    /// operation runs.
    pub async fn write_on<R, F>(&self, group: Option<GroupAhead>, f: F) -> ApiResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&dyn Store) -> ApiResult<R> + Send + 'static,
    {
        let audit = AUDIT.try_with(Clone::clone).ok();
        let audited = move |store: &dyn Store| -> ApiResult<R> {
            // What an earlier operation of the batch noted is not this one's.
            store.take_changes();
            let value = f(store)?;
            let changes = store.take_changes();
            if let (Some(context), false) = (&audit, changes.is_empty()) {
                let outcome = match changes.iter().find(|(kind, _)| kind == JOB_KIND) {
                    Some((_, job)) => format!("job {job}"),
                    None => "ok".to_owned(),
                };
                store.insert_audit_event(context, &changes, &outcome)?;
                if let Ok(mut slot) = context.outcome.lock() {
                    *slot = Some(outcome);
                }
            }
            Ok(value)
        };
        match self {
            Db::Sqlite(db) => db.write(group, audited).await,
            Db::Postgres(db) => db.write(group, audited).await,
        }
    }

    /// One page of a kind's resources as stored wire JSON, and the number matching the filter.
    pub async fn list_page(
        &self,
        project_id: String,
        kind: &'static str,
        filter: ListFilter,
    ) -> ApiResult<(Vec<String>, u64)> {
        match self {
            Db::Sqlite(db) => db.list_page(project_id, kind, filter).await,
            Db::Postgres(db) => db.list_page(project_id, kind, filter).await,
        }
    }

    /// A hot read of one document (a group: `kind` is its resource kind; a job: `JOB_KIND`), its stored wire JSON
    /// made into the response by `render`. It may come from this process's memory: on SQLite, which its single writer
    /// keeps current; on PostgreSQL, once every write answered before the request, on any replica, is invalidated
    /// here (`pg_cache.rs`). Otherwise it is one statement, from async code.
    pub async fn hot_read(
        &self,
        kind: &'static str,
        project: &str,
        id: &str,
        render: fn(&str) -> Bytes,
    ) -> ApiResult<Option<Bytes>> {
        match self {
            Db::Sqlite(db) => db.hot_read(kind, project, id, render),
            Db::Postgres(db) => db.hot_read(kind, project, id, render).await,
        }
    }

    /// The name this process claims jobs under: fixed on SQLite, whose file one process holds (a restart takes its
    /// predecessor's claims back at once); random per open on PostgreSQL.
    pub fn worker(&self) -> &str {
        match self {
            Db::Sqlite(_) => SQLITE_WORKER,
            Db::Postgres(db) => db.worker(),
        }
    }

    /// Claims up to `limit` due jobs for this process until `until` (`Store::claim_due_jobs`). On PostgreSQL in a
    /// transaction of its own, outside the write lock; on SQLite through the writer.
    pub async fn claim_due_jobs(&self, now: i64, until: i64, limit: u32) -> ApiResult<Vec<(String, i64)>> {
        match self {
            Db::Sqlite(db) => db.write(None, move |store| store.claim_due_jobs(SQLITE_WORKER, now, until, limit)).await,
            Db::Postgres(db) => db.claim_due_jobs(now, until, limit).await,
        }
    }

    /// Readies the database for reads after a bulk load, as `pgbench -i` does: the planner's statistics refreshed
    /// (until autovacuum's next pass a PostgreSQL planner that last saw the table empty may look a row up by the list
    /// index and filter its id, and a connection keeps that plan for its prepared statement). SQLite's `ANALYZE`
    /// (`Store::refresh_statistics`); PostgreSQL's `VACUUM (ANALYZE)`, which also marks the loaded pages all-visible,
    /// so that the first scan of a list reads its index alone instead of visiting every new row (on 30,000 new
    /// protected groups the first read of the groups' list order took 127 ms, 10 ms after the vacuum). It runs outside
    /// any transaction, as `VACUUM` must.
    pub async fn after_bulk_load(&self) -> ApiResult<()> {
        match self {
            Db::Sqlite(_) => self.write(|store| store.refresh_statistics()).await,
            Db::Postgres(db) => db.vacuum_analyze().await,
        }
    }

    /// Whether the database answers a query now (`/readyz`).
    pub async fn ping(&self) -> ApiResult<()> {
        match self {
            Db::Sqlite(db) => db.call(|store| store.ping()).await,
            Db::Postgres(db) => db.ping().await,
        }
    }

    /// Database connections in use now (the pools' and the writer's).
    pub fn connections_in_use(&self) -> usize {
        match self {
            Db::Sqlite(db) => db.connections_in_use(),
            Db::Postgres(db) => db.connections_in_use(),
        }
    }

    /// PostgreSQL: holds back (or releases) the other replicas' change notifications, as a slow delivery would (the
    /// test that a late one never lets a stale read through). SQLite has none.
    #[doc(hidden)]
    pub fn hold_notifications(&self, held: bool) {
        if let Db::Postgres(db) = self {
            db.hold_notifications(held);
        }
    }

    /// PostgreSQL: whether this replica holds the sole-replica lease now (its hot reads need no version read), and
    /// how many version reads its hits have made (`pg_cache.rs`). SQLite has one process and needs neither.
    #[doc(hidden)]
    pub fn sole_replica(&self) -> (bool, u64) {
        match self {
            Db::Sqlite(_) => (false, 0),
            Db::Postgres(db) => db.sole_replica(),
        }
    }

    /// Counts the hot reads answered from memory on `counter` (the server's `sdrs_hot_reads_from_memory`).
    pub fn count_reads_from_memory(&self, counter: prometheus_client::metrics::counter::Counter) {
        match self {
            Db::Sqlite(db) => db.hot_cache().count_served_on(counter),
            Db::Postgres(db) => db.hot_cache().count_served_on(counter),
        }
    }

    /// Sets what reads a write batch's announced groups ahead (`resources::read_groups_ahead`).
    pub fn read_groups_with(&self, reader: GroupsReader) {
        match self {
            Db::Sqlite(db) => db.read_groups_with(reader),
            Db::Postgres(db) => db.read_groups_with(reader),
        }
    }

    /// Calls `observe` after every write batch with its number of operations and how long it took to run and commit.
    pub fn observe_batches(&self, observe: writer::BatchObserver) {
        match self {
            Db::Sqlite(db) => db.observe_batches(observe),
            Db::Postgres(db) => db.observe_batches(observe),
        }
    }

    /// How durable an answered commit is, in SQLite's `synchronous` numbers (2: FULL, on disk).
    pub async fn synchronous(&self) -> ApiResult<i64> {
        match self {
            Db::Sqlite(db) => db.synchronous().await,
            Db::Postgres(db) => db.synchronous().await,
        }
    }

    /// Makes the next `count` commits fail as a full disk or a failed fsync would (the durability tests' fault).
    pub fn fail_next_commits(&self, count: u32) {
        match self {
            Db::Sqlite(db) => db.fail_next_commits(count),
            Db::Postgres(db) => db.fail_next_commits(count),
        }
    }

    /// Writes waiting for this process's writer.
    pub fn queued_writes(&self) -> usize {
        match self {
            Db::Sqlite(db) => db.queued_writes(),
            Db::Postgres(db) => db.queued_writes(),
        }
    }

    /// Write batches committed since the database was opened (each one commit: on SQLite one fsync; on PostgreSQL,
    /// this replica's).
    pub fn write_batches(&self) -> u32 {
        match self {
            Db::Sqlite(db) => db.write_batches(),
            Db::Postgres(db) => db.commits(),
        }
    }

    /// The SQLite backend, for its own tests (SQL of their own inside the writer's batches); `None` on PostgreSQL.
    #[doc(hidden)]
    pub fn sqlite(&self) -> Option<&SqliteDb> {
        match self {
            Db::Sqlite(db) => Some(db),
            Db::Postgres(_) => None,
        }
    }
}

/// The request a write belongs to, for the audit trail: set by `audit::record` around a changing request's handler.
#[derive(Debug, Clone)]
pub struct AuditContext {
    pub project: String,
    pub at: i64,
    pub actor: String,
    pub address: Option<String>,
    pub request_id: Option<String>,
    /// `METHOD /path/template`.
    pub operation: String,
    /// The ids the path names, `(kind, id)`: what a refusal is about.
    pub named: Vec<(String, String)>,
    /// The body, redacted.
    pub detail: Option<String>,
    /// The outcome recorded for the change (`job <id>`, `ok`), for the request's log line.
    pub outcome: std::sync::Arc<std::sync::Mutex<Option<String>>>,
}

tokio::task_local! {
    static AUDIT: AuditContext;
}

/// Runs `f` with `context` as the audit context of every `Db::write` it makes.
pub async fn with_audit<F: std::future::Future>(context: AuditContext, f: F) -> F::Output {
    AUDIT.scope(context, f).await
}

/// Which audit events to list: newest first, before a cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    pub since: i64,
    pub until: i64,
    pub resource_id: Option<String>,
    /// Events before this one (the previous page's last id).
    pub before: Option<i64>,
    pub limit: u32,
}

/// A webhook as stored, its secret included (it signs the deliveries; the API never shows it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRow {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
    pub created: i64,
}

/// A delivery due now, claimed for this attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDelivery {
    pub seq: i64,
    pub event_id: String,
    pub event: String,
    pub payload: String,
    pub created: i64,
    pub attempts: u32,
    pub url: String,
    pub secret: String,
}

/// What an attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Delivered {
        status: u16,
    },
    /// Failed; tried again at `next_attempt`, or given up when that is `None`.
    Failed {
        status: Option<u16>,
        error: String,
        next_attempt: Option<i64>,
    },
}

/// Whether an error is the database's own (retry later) rather than the operation's (fail the job).
pub fn is_database_failure(error: &ApiError) -> bool {
    let ApiError::Internal(error) = error else { return false };
    error.downcast_ref::<r2d2::Error>().is_some()
        || error.downcast_ref::<NotCommitted>().is_some()
        || sqlite::is_sqlite_failure(error)
        || postgres::is_database_failure(error)
}

/// One operation's access to the database: a read (`Db::call`, `Db::hot_read`) or a write inside the writer's
/// transaction (`Db::write`), whose changes commit together or not at all. Object-safe, so that handlers take
/// `&dyn Store`; the generic helpers below (`get`, `insert`, `list`, …) add the wire types.
///
/// Every method on a project's rows names the project: ids are unique per project and kind, so one project can
/// neither read, probe nor squat another's. Jobs are the exception the worker needs: it selects them by id or by due
/// time across projects (their ids are random).
pub trait Store {
    /// A resource's stored wire JSON, as the API sends it.
    fn resource_body(&self, project: &str, kind: &str, id: &str) -> ApiResult<Option<String>>;
    /// Inserts a resource; an id its kind already has in the project is refused with `SDRS.0201`.
    fn insert_resource(&self, project: &str, row: &ResourceRow<'_>) -> ApiResult<()>;
    /// Writes back a changed resource; one that is gone is an internal error.
    fn update_resource(&self, project: &str, row: &ResourceRow<'_>) -> ApiResult<()>;
    fn remove_resource(&self, project: &str, kind: &'static str, id: &str) -> ApiResult<()>;
    /// Whether the project has a resource of this kind with this id.
    fn resource_exists(&self, project: &str, kind: &str, id: &str) -> ApiResult<bool>;
    /// The group a resource belongs to, if it exists and belongs to one.
    fn resource_group(&self, project: &str, kind: &str, id: &str) -> ApiResult<Option<String>>;
    /// Every resource of a kind in a group, in insertion order.
    fn member_bodies(&self, project: &str, kind: &str, server_group_id: &str) -> ApiResult<Vec<String>>;
    /// Reads these together, ahead of `resource_body` and `member_bodies` asking for them one by one: on
    /// PostgreSQL's writer one round trip instead of one each; elsewhere nothing.
    fn read_ahead(&self, project: &str, reads: &[ReadAhead<'_>]) -> ApiResult<()>;
    /// Whether `read_ahead` does anything here (so that a caller computing what to read ahead can skip it).
    fn reads_ahead(&self) -> bool;
    /// Refreshes the planner's statistics (`ANALYZE`) in the write transaction: `Db::after_bulk_load` on SQLite
    /// (PostgreSQL's `VACUUM`, which analyzes too, cannot run inside a transaction).
    fn refresh_statistics(&self) -> ApiResult<()>;
    /// One page of a kind's resources (by `OFFSET`), and the number matching the filter.
    fn list_bodies(&self, project: &str, kind: &str, filter: &ListFilter) -> ApiResult<(Vec<String>, u64)>;
    /// How many resources of a kind the project has.
    fn count_resources(&self, project: &str, kind: &str) -> ApiResult<u64>;
    /// Whether any project has any resource (the demo seeds only an empty database).
    fn has_resources(&self) -> ApiResult<bool>;
    /// Whether a protected instance of the project uses this server, or a replication pair this disk.
    fn in_use(&self, project: &str, by: InUse<'_>) -> ApiResult<bool>;

    /// Inserts a new job, due at once.
    fn insert_job(&self, job: &NewJob<'_>) -> ApiResult<()>;
    /// A job's stored wire JSON.
    fn job_body(&self, project: &str, job_id: &str) -> ApiResult<Option<String>>;
    /// A job that is not finished yet (`INIT` or `RUNNING`), with its plan, by id.
    fn unfinished_job(&self, job_id: &str) -> ApiResult<Option<StoredJob>>;
    /// Writes back a job and its plan, and ends the worker's claim on it (only the worker advances a job, after it
    /// took the claim: `take_job_claims`).
    fn update_job(
        &self,
        project: &str,
        job_id: &str,
        status: &str,
        run_after: i64,
        body: &str,
        plan: &str,
    ) -> ApiResult<()>;
    /// The most recent jobs of a group, newest first.
    fn recent_job_bodies(&self, server_group_id: &str, limit: u32) -> ApiResult<Vec<String>>;
    /// Claims up to `limit` unfinished jobs due at `now` for `holder` until `until`, oldest first, skipping those
    /// another holder's claim still covers (and, on PostgreSQL, rows another transaction has locked: `SKIP LOCKED`).
    /// Returns each job with its claim's token, which grows with every claim.
    fn claim_due_jobs(&self, holder: &str, now: i64, until: i64, limit: u32) -> ApiResult<Vec<(String, i64)>>;
    /// Reads, in one statement, the jobs of `holder`'s claims (each a job and its claim's token) that still stand at
    /// `now`, in the order given, and holds them until the transaction ends (PostgreSQL locks the rows): the fence
    /// of the advances they cover, which follow in the same transaction. Each advance ends its job's claim
    /// (`update_job`), so a claim ends only if its advance commits.
    fn take_job_claims(&self, holder: &str, claims: &[(String, i64)], now: i64) -> ApiResult<Vec<ClaimedJob>>;
    /// Of the unfinished jobs due before `before`, when the first may run: its step is due, or its claim lapses if
    /// another worker claimed it (so that a worker does not spin on jobs another one holds). `None` if none is due
    /// before then. The bound keeps it to a range of the due-jobs index: the worker looks a second ahead, where
    /// reading every unfinished job cost 6.8 ms per call with 7,000 of them running (`pg_stat_statements`).
    fn next_due(&self, before: i64) -> ApiResult<Option<i64>>;

    /// Adds the task centre's entry for a failed job (addressed by the job's id).
    fn insert_failure_job(&self, id: &str, project: &str, server_group_id: Option<&str>, body: &str) -> ApiResult<()>;
    /// The task centre's entries, newest first, of one group or all.
    fn failure_job_bodies(&self, project: &str, server_group_id: Option<&str>) -> ApiResult<Vec<String>>;
    fn delete_failure_jobs(&self, project: &str, which: FailureJobs<'_>) -> ApiResult<()>;

    /// Arms a fault for the next jobs of a group (or of any group) that reach a step.
    fn insert_fault(&self, project: &str, fault: &Fault) -> ApiResult<()>;
    /// The armed faults, oldest first.
    fn faults(&self, project: &str) -> ApiResult<Vec<Fault>>;
    fn clear_faults(&self, project: &str) -> ApiResult<()>;
    /// Consumes one arming of the oldest fault that catches this step of a job of this group, if there is one.
    fn take_fault(&self, project: &str, step: &str, server_group_id: Option<&str>) -> ApiResult<Option<Fault>>;

    /// An active-active domain's stored JSON.
    fn domain_body(&self, id: &str) -> ApiResult<Option<String>>;
    /// Every domain's stored JSON, by id (domains are shared by all projects).
    fn domain_bodies(&self) -> ApiResult<Vec<String>>;
    fn put_domain(&self, id: &str, body: &str) -> ApiResult<()>;

    /// Records a gateway console session, by its token's SHA-256, until `expires`; forgets sessions expired at `now`.
    fn put_session(&self, token_sha256: &str, expires: i64, now: i64) -> ApiResult<()>;
    /// Whether a session is recorded and not expired at `now`.
    fn session_valid(&self, token_sha256: &str, now: i64) -> ApiResult<bool>;
    fn delete_session(&self, token_sha256: &str) -> ApiResult<()>;
    /// A client address's failed gateway logins and until when it is locked out.
    fn login_failures(&self, client: &str) -> ApiResult<Option<(u32, i64)>>;
    /// Records a client's failed logins; forgets clients whose lockout ended before `forget_before`.
    fn put_login_failures(&self, client: &str, failures: u32, locked_until: i64, forget_before: i64) -> ApiResult<()>;
    fn clear_login_failures(&self, client: &str) -> ApiResult<()>;

    /// Claims a signed change's signature for its one run, or says what became of the first. A claim still in flight
    /// since before `stale_before` was abandoned (its replica died) and is claimed again. Forgets expired ones.
    fn claim_replay(&self, signature: &str, now: i64, expires: i64, stale_before: i64) -> ApiResult<ReplayClaim>;
    /// Records the first run's answer; `None` forgets the signature (a refusal that must not use it up).
    fn record_replay(&self, signature: &str, answer: Option<&ReplayAnswer>) -> ApiResult<()>;

    /// The job a submission with this idempotency key was accepted as, if any.
    fn submitted_job(&self, project: &str, key: &str) -> ApiResult<Option<String>>;
    /// Records the job a keyed submission was accepted as; forgets keys recorded before `forget_before`.
    fn put_submission(&self, project: &str, key: &str, job_id: &str, now: i64, forget_before: i64) -> ApiResult<()>;

    /// Takes or renews the lease `name` for `holder` until `expires`: its fencing token if `holder` holds it now (a
    /// new, larger token when it changed hands), `None` if another holder's lease has not expired at `now`.
    fn take_lease(&self, name: &str, holder: &str, now: i64, expires: i64) -> ApiResult<Option<i64>>;
    /// Extends the lease `name` to `expires` if `holder` still holds it (its token unchanged); says whether it did.
    fn renew_lease(&self, name: &str, holder: &str, expires: i64) -> ApiResult<bool>;

    /// What this operation's writes have touched since the last call, `(kind, id)`: for its audit event.
    fn take_changes(&self) -> Vec<(String, String)>;
    /// Records one audit event: `changes` (or, none, what the request named) and the outcome.
    fn insert_audit_event(&self, context: &AuditContext, changes: &[(String, String)], outcome: &str) -> ApiResult<()>;
    /// A project's audit events, newest first.
    fn audit_events(&self, project: &str, query: &AuditQuery) -> ApiResult<Vec<sdrs_core::wire::AuditEvent>>;
    /// Forgets events older than `before` (the retention) and deliveries settled before it; how many events.
    fn forget_audit_events(&self, before: i64) -> ApiResult<u64>;

    /// Adds a webhook to a project.
    fn put_webhook(&self, project: &str, webhook: &WebhookRow) -> ApiResult<()>;
    /// A project's webhooks, oldest first.
    fn webhooks(&self, project: &str) -> ApiResult<Vec<WebhookRow>>;
    /// Removes a webhook and its pending deliveries; whether it existed.
    fn delete_webhook(&self, project: &str, id: &str) -> ApiResult<bool>;
    /// Queues an event's delivery to one webhook, due at `now`.
    fn enqueue_delivery(
        &self,
        project: &str,
        webhook_id: &str,
        event_id: &str,
        event: &str,
        payload: &str,
        now: i64,
    ) -> ApiResult<()>;
    /// Claims up to `limit` deliveries due at `now` until `until` (a claimed one is not claimed again before then).
    fn claim_deliveries(&self, now: i64, until: i64, limit: u32) -> ApiResult<Vec<DueDelivery>>;
    /// Records an attempt's outcome.
    fn record_delivery(&self, seq: i64, outcome: &DeliveryOutcome) -> ApiResult<()>;
    /// A webhook's latest deliveries, newest first.
    fn deliveries(
        &self,
        project: &str,
        webhook_id: &str,
        limit: u32,
    ) -> ApiResult<Vec<sdrs_core::wire::WebhookDelivery>>;

    /// Runs the cheapest query there is: the database answers.
    fn ping(&self) -> ApiResult<()>;
    /// What `/metrics` reports of the shared state at `now`: due jobs, runs by status, gates waiting.
    fn operating_facts(&self, now: i64) -> ApiResult<OperatingFacts>;

    /// Whether the database holds no resource, job, task-centre entry or domain (what `copy_database` may fill).
    fn is_empty(&self) -> ApiResult<bool>;
    /// Every row worth moving to another database, each table in its insertion order.
    fn dump(&self) -> ApiResult<Dump>;
    /// Inserts a dump's rows as they are (statuses, due times and insertion order included).
    fn load(&self, dump: &Dump) -> ApiResult<()>;

    /// Opens a savepoint: changes after it can be undone alone (`rollback_to`) while the transaction goes on.
    fn savepoint(&self, name: &'static str) -> ApiResult<()>;
    /// Keeps the changes since the savepoint and closes it.
    fn release(&self, name: &'static str) -> ApiResult<()>;
    /// Undoes the changes since the savepoint, which stays open.
    fn rollback_to(&self, name: &'static str) -> ApiResult<()>;
}

/// The shared state's figures, read when `/metrics` is scraped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OperatingFacts {
    /// Unfinished jobs whose next step is due.
    pub jobs_due: u64,
    /// How long the longest-waiting of them has waited, in milliseconds.
    pub oldest_due_millis: i64,
    /// Recovery-plan runs by status, every project's.
    pub plan_runs: Vec<(String, u64)>,
    /// Runs waiting for a person to confirm a gate.
    pub gates_waiting: u64,
}

/// A resource as stored: its wire JSON and the columns lists filter and sort on.
pub struct ResourceRow<'a> {
    pub kind: &'static str,
    pub id: &'a str,
    pub server_group_id: Option<&'a str>,
    pub name: &'a str,
    pub status: &'a str,
    pub az: Option<&'a str>,
    pub body: String,
}

/// What uses a native resource, for the member rules' "already protected" and "already paired" refusals.
#[derive(Debug, Clone, Copy)]
pub enum InUse<'a> {
    /// A protected instance whose source or target is this server.
    Server(&'a str),
    /// A replication pair over this disk.
    Disk(&'a str),
}

/// A job to insert.
pub struct NewJob<'a> {
    pub job_id: &'a str,
    pub project_id: &'a str,
    pub server_group_id: Option<&'a str>,
    pub now: i64,
    pub body: String,
    pub plan: String,
}

/// An unfinished job as stored.
pub struct StoredJob {
    pub body: String,
    pub plan: String,
    pub run_after: i64,
}

/// A job whose claim a worker took (`Store::take_job_claims`), to advance.
pub struct ClaimedJob {
    pub job_id: String,
    /// `INIT` or `RUNNING` while it is unfinished.
    pub status: String,
    pub stored: StoredJob,
}

/// The rows `copy_database` moves: what the API and the jobs hold, and the console sessions. Replayed signatures,
/// failed logins and leases are left behind: they only matter for minutes, and a move is done with the server
/// stopped.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Dump {
    pub resources: Vec<DumpedResource>,
    pub jobs: Vec<DumpedJob>,
    /// `(id, project_id, server_group_id, body)`.
    pub failure_jobs: Vec<(String, String, Option<String>, String)>,
    /// `(project_id, fault)`, the armed ones.
    pub faults: Vec<(String, Fault)>,
    /// `(id, body)`.
    pub domains: Vec<(String, String)>,
    /// `(token_sha256, expires)`.
    pub sessions: Vec<(String, i64)>,
}

/// A resource row as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpedResource {
    pub project_id: String,
    pub kind: String,
    pub id: String,
    pub server_group_id: Option<String>,
    pub name: String,
    pub status: String,
    pub az: Option<String>,
    pub body: String,
}

/// A job row as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpedJob {
    pub job_id: String,
    pub project_id: String,
    pub server_group_id: Option<String>,
    pub status: String,
    pub run_after: i64,
    pub created: i64,
    pub body: String,
    pub plan: String,
}

/// How many rows `copy_database` moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    pub resources: usize,
    pub jobs: usize,
    pub failure_jobs: usize,
    pub faults: usize,
    pub domains: usize,
    pub sessions: usize,
}

/// Copies everything from one database to another, empty one (an existing SQLite file to a new PostgreSQL
/// database, say), in one transaction on the target: it has all of it or none. Both servers must be stopped.
pub async fn copy_database(from: &Db, to: &Db) -> anyhow::Result<Copied> {
    let dump = from.call(|store| store.dump()).await?;
    let copied = Copied {
        resources: dump.resources.len(),
        jobs: dump.jobs.len(),
        failure_jobs: dump.failure_jobs.len(),
        faults: dump.faults.len(),
        domains: dump.domains.len(),
        sessions: dump.sessions.len(),
    };
    to.write(move |store| {
        if !store.is_empty()? {
            return Err(ApiError::Internal(anyhow::anyhow!(
                "the target database is not empty: copy into a new database only"
            )));
        }
        store.load(&dump)
    })
    .await?;
    to.after_bulk_load().await?;
    Ok(copied)
}

/// What `claim_replay` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayClaim {
    /// This request runs: the signature is new (or its first run was abandoned).
    Claimed,
    /// The first request with this signature is still being handled.
    InFlight,
    /// The first request's answer.
    Answered(ReplayAnswer),
}

/// A remembered answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayAnswer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// Which of a project's task-centre entries to delete.
#[derive(Debug, Clone, Copy)]
pub enum FailureJobs<'a> {
    One(&'a str),
    OfGroup(&'a str),
    All,
}

/// A document kept as a resource row.
pub trait Resource: Serialize + DeserializeOwned + Send + 'static {
    const KIND: &'static str;
    fn id(&self) -> &str;
    fn name(&self) -> &str;
    fn status_text(&self) -> &str;
    fn group_id(&self) -> Option<&str> {
        None
    }
    /// The AZ a list's `availability_zone` filter matches.
    fn az(&self) -> Option<&str> {
        None
    }
}

fn row_of<R: Resource>(resource: &R) -> ApiResult<ResourceRow<'_>> {
    Ok(ResourceRow {
        kind: R::KIND,
        id: resource.id(),
        server_group_id: resource.group_id(),
        name: resource.name(),
        status: resource.status_text(),
        az: resource.az(),
        body: serde_json::to_string(resource)?,
    })
}

/// Inserts a new resource; an id its kind already has is refused, not an internal error.
pub fn insert<R: Resource>(store: &dyn Store, project: &str, resource: &R) -> ApiResult<()> {
    store.insert_resource(project, &row_of(resource)?)
}

/// Writes back a changed resource of the project.
pub fn update<R: Resource>(store: &dyn Store, project: &str, resource: &R) -> ApiResult<()> {
    store.update_resource(project, &row_of(resource)?)
}

/// Reads a resource of the project; another project's id reads as absent.
pub fn get<R: Resource>(store: &dyn Store, project: &str, id: &str) -> ApiResult<Option<R>> {
    store.resource_body(project, R::KIND, id)?.map(|body| from_json(&body)).transpose()
}

/// Deletes a resource of the project.
pub fn remove<R: Resource>(store: &dyn Store, project: &str, id: &str) -> ApiResult<()> {
    store.remove_resource(project, R::KIND, id)
}

/// Whether the project has a resource of this kind with this id (ids are unique per project and kind).
pub fn id_taken<R: Resource>(store: &dyn Store, project: &str, id: &str) -> ApiResult<bool> {
    store.resource_exists(project, R::KIND, id)
}

/// Every resource of a kind in a group of the project, in insertion order.
pub fn members<R: Resource>(store: &dyn Store, project: &str, server_group_id: &str) -> ApiResult<Vec<R>> {
    store.member_bodies(project, R::KIND, server_group_id)?.iter().map(|body| from_json(body)).collect()
}

/// One page of a project's resources and the number matching the filter.
pub fn list<R: Resource>(store: &dyn Store, project: &str, filter: &ListFilter) -> ApiResult<(Vec<R>, u64)> {
    let (bodies, count) = store.list_bodies(project, R::KIND, filter)?;
    let items = bodies.iter().map(|body| from_json(body)).collect::<ApiResult<Vec<R>>>()?;
    Ok((items, count))
}

/// Reads a stored JSON document.
pub fn from_json<T: DeserializeOwned>(text: &str) -> ApiResult<T> {
    Ok(serde_json::from_str(text)?)
}

/// Filters of a list call; `None` means "any".
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub server_group_ids: Option<Vec<String>>,
    pub status: Option<String>,
    /// Any of these statuses (and, with `or_faulty`, a replication pair whose `fault_level` is not `0`).
    pub statuses: Option<Vec<String>>,
    pub or_faulty: bool,
    pub name_contains: Option<String>,
    /// The resource's own AZ column (a group's current production AZ, a server's or a disk's AZ).
    pub az: Option<String>,
    /// The current production AZ of the resource's group (protected instances, replication pairs).
    pub group_az: Option<String>,
    pub ids: Option<Vec<String>>,
    /// Only groups without DR drills.
    pub no_drills: bool,
    /// DR drills in this VPC.
    pub drill_vpc_id: Option<String>,
    /// Only the resources after the one with this id, in list order (`marker`).
    pub after: Option<String>,
    pub limit: u32,
    pub offset: u64,
}

impl ListFilter {
    /// Whether the filter selects every resource of the kind (only paging given).
    pub fn is_unfiltered(&self) -> bool {
        let ListFilter {
            server_group_ids,
            status,
            statuses,
            or_faulty: _,
            name_contains,
            az,
            group_az,
            ids,
            no_drills,
            drill_vpc_id,
            after,
            limit: _,
            offset: _,
        } = self;
        server_group_ids.is_none()
            && status.is_none()
            && statuses.is_none()
            && name_contains.is_none()
            && az.is_none()
            && group_az.is_none()
            && ids.is_none()
            && !no_drills
            && drill_vpc_id.is_none()
            && after.is_none()
    }
}
