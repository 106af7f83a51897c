//! The PostgreSQL backend, for several replicas on one database: a connection pool, migrations under an advisory
//! lock, writes serialised across replicas by a transaction-level advisory lock, and every SQL statement of the
//! server in PostgreSQL's dialect (`impl Store for PgStore`).
//!
//! The driver is tokio-postgres with the deadpool pool and its per-connection statement cache. The `Store` interface
//! is synchronous (its operations run as closures on the blocking thread pool, as SQLite's do), so each statement is
//! sent from there with `Handle::block_on`, while the connections themselves run on the server's runtime.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use tokio::runtime::Handle;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use sdrs_core::wire::Fault;
use sdrs_core::ErrorCode;

use super::{
    Dump, DumpedJob, DumpedResource, FailureJobs, InUse, ListFilter, NewJob, ReplayAnswer, ReplayClaim, ResourceRow,
    Store, StoredJob,
};
use crate::error::{ApiError, ApiResult};

/// The advisory lock every write transaction takes first, on every replica: writes are serialised as SQLite's single
/// writer serialises them, so a handler's check-then-change is atomic across replicas (one winner per group) and a
/// job step, checked due and committed in one transaction, runs once whichever replica's worker reached it.
const WRITE_LOCK: i64 = 0x5d25_0001;
/// Held while migrating, so replicas starting together migrate once.
const MIGRATION_LOCK: i64 = 0x5d25_0002;

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

/// A PostgreSQL database shared by replicas. Cloned into every request: a few reference counts.
#[derive(Clone)]
pub struct PgDb {
    pool: Pool,
    /// Commits still to be refused (`fail_next_commits`): the durability tests' fault, as on SQLite.
    failing_commits: Arc<AtomicU32>,
    commits: Arc<AtomicU32>,
    /// This handle's name on the jobs it claims: random at each open, so a restarted process never mistakes an
    /// earlier one's claims for its own (they lapse within the claim's few seconds).
    worker: Arc<str>,
}

impl PgDb {
    /// Connects to `url` once to apply pending migrations, and makes the pool. A database that cannot be reached
    /// fails here, with the reason. Callable from async code and from plain threads alike.
    pub fn open(url: &str) -> anyhow::Result<PgDb> {
        let (config, tls) = crate::config::postgres_config(url)?;
        let tls = super::pg_tls::connector(&tls)?;
        let (migrating, migrating_tls) = (config.clone(), tls.clone());
        // Its own thread and runtime: `open` is synchronous and may be called on a thread that drives async tasks.
        std::thread::spawn(move || -> anyhow::Result<()> {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async move {
                let (mut client, connection) =
                    tokio::time::timeout(Duration::from_secs(10), migrating.connect(migrating_tls))
                        .await
                        .map_err(|_| anyhow::anyhow!("cannot connect to PostgreSQL: no answer within 10 s"))?
                        .map_err(|error| anyhow::anyhow!("cannot connect to PostgreSQL: {}", with_causes(&error)))?;
                let connection = tokio::spawn(connection);
                let tx = client.transaction().await?;
                tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
                super::migrations::migrate_postgres(&tx).await?;
                tx.commit().await?;
                drop(client);
                let _ = connection.await;
                Ok(())
            })
        })
        .join()
        .map_err(|_| anyhow::anyhow!("the migration thread panicked"))??;
        let manager = Manager::from_config(config, tls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(16)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(10)))
            .create_timeout(Some(Duration::from_secs(10)))
            .build()?;
        let worker = uuid::Uuid::new_v4().simple().to_string().into();
        Ok(PgDb { pool, failing_commits: Arc::default(), commits: Arc::default(), worker })
    }

    /// Runs a read in a read-only transaction on a pooled connection. It sees every commit answered before it began,
    /// on any replica: read-your-writes across replicas.
    pub async fn call<R, F>(&self, f: F) -> ApiResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&dyn Store) -> ApiResult<R> + Send + 'static,
    {
        self.transaction("BEGIN READ ONLY", move |store| f(store)).await
    }

    /// Runs `f` in a transaction begun with `begin`, on a pooled connection on the blocking pool, and commits.
    async fn transaction<R, F>(&self, begin: &'static str, f: F) -> ApiResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&PgStore<'_>) -> ApiResult<R> + Send + 'static,
    {
        let pool = self.pool.clone();
        blocking(move |handle| {
            let mut session = Session::begin(&pool, handle, begin)?;
            let result = f(&session.store());
            session.end("COMMIT")?;
            result
        })
        .await
    }

    /// Runs `f` in a transaction that first takes the write lock; commits if `f` succeeded, rolls back if not. The
    /// caller hears "done" only after the commit.
    pub async fn write<R, F>(&self, f: F) -> ApiResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&dyn Store) -> ApiResult<R> + Send + 'static,
    {
        let (pool, failing, commits) = (self.pool.clone(), self.failing_commits.clone(), self.commits.clone());
        blocking(move |handle| {
            let mut session = Session::begin(&pool, handle, "BEGIN")?;
            session.store().execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
            let result = f(&session.store());
            let Ok(value) = result else {
                session.end("ROLLBACK")?;
                return result;
            };
            if failing.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
                session.end("ROLLBACK")?;
                return Err(not_committed("the commit was refused (injected fault)".into()));
            }
            session.end("COMMIT").map_err(|error| not_committed(format!("{error:#}")))?;
            commits.fetch_add(1, Ordering::SeqCst);
            Ok(value)
        })
        .await
    }

    /// Claims due jobs in a transaction of its own that does not take the write lock: it touches only the claim
    /// columns, which no handler reads, and `SKIP LOCKED` passes over rows another replica is claiming or advancing,
    /// so the replicas' workers share the due jobs without waiting for each other.
    pub async fn claim_due_jobs(&self, now: i64, until: i64, limit: u32) -> ApiResult<Vec<(String, i64)>> {
        let holder = self.worker.clone();
        self.transaction("BEGIN", move |store| store.claim_due_jobs(&holder, now, until, limit)).await
    }

    /// `synchronous_commit`, in SQLite's `synchronous` numbers: 2 (FULL) when an answered commit is durable.
    pub async fn synchronous(&self) -> ApiResult<i64> {
        let setting = self.transaction("BEGIN READ ONLY", |store| store.setting("synchronous_commit")).await?;
        Ok(if setting == "off" { 0 } else { 2 })
    }

    pub fn fail_next_commits(&self, count: u32) {
        self.failing_commits.store(count, Ordering::SeqCst);
    }

    /// The name this handle claims jobs under.
    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// Write transactions committed by this replica.
    pub fn commits(&self) -> u32 {
        self.commits.load(Ordering::SeqCst)
    }
}

fn not_committed(reason: String) -> ApiError {
    ApiError::Internal(super::NotCommitted { reason }.into())
}

/// Runs `f` on the blocking thread pool with the runtime's handle, which sends its statements.
async fn blocking<R: Send + 'static>(f: impl FnOnce(&Handle) -> ApiResult<R> + Send + 'static) -> ApiResult<R> {
    let handle = Handle::current();
    tokio::task::spawn_blocking(move || f(&handle))
        .await
        .map_err(|join| ApiError::Internal(anyhow::anyhow!("database task panicked: {join}")))?
}

/// A pooled connection inside a transaction. A connection whose transaction did not end (a panic, or a failed
/// `COMMIT`/`ROLLBACK`) is taken out of the pool and closed, so that no later operation runs inside it.
struct Session<'a> {
    client: Option<Object>,
    handle: &'a Handle,
}

impl<'a> Session<'a> {
    fn begin(pool: &Pool, handle: &'a Handle, begin: &str) -> ApiResult<Session<'a>> {
        let client = handle.block_on(pool.get()).map_err(|error| ApiError::Internal(error.into()))?;
        let session = Session { client: Some(client), handle };
        session.store().batch(begin)?;
        Ok(session)
    }

    fn store(&self) -> PgStore<'_> {
        PgStore { client: self.client.as_ref().expect("an open session"), handle: self.handle }
    }

    /// Ends the transaction; the connection goes back to the pool only if that succeeded.
    fn end(&mut self, end: &str) -> ApiResult<()> {
        self.store().batch(end)?;
        drop(self.client.take());
        Ok(())
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            drop(Object::take(client));
        }
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
    if error.downcast_ref::<deadpool_postgres::PoolError>().is_some() {
        return true;
    }
    let Some(error) = error.downcast_ref::<tokio_postgres::Error>() else { return false };
    let Some(state) = error.code() else { return true }; // closed connection, I/O: no SQL state
    matches!(&state.code()[..2], "08" | "53" | "57" | "58" | "40") || state == &SqlState::READ_ONLY_SQL_TRANSACTION
}

/// One operation's access: statements on the session's connection, prepared once per connection.
struct PgStore<'a> {
    client: &'a Object,
    handle: &'a Handle,
}

type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

impl PgStore<'_> {
    fn run<T>(&self, future: impl Future<Output = Result<T, tokio_postgres::Error>>) -> ApiResult<T> {
        Ok(self.handle.block_on(future)?)
    }

    fn query(&self, sql: &str, params: Params<'_>) -> ApiResult<Vec<Row>> {
        self.run(async {
            let statement = self.client.prepare_cached(sql).await?;
            self.client.query(&statement, params).await
        })
    }

    fn query_opt(&self, sql: &str, params: Params<'_>) -> ApiResult<Option<Row>> {
        self.run(async {
            let statement = self.client.prepare_cached(sql).await?;
            self.client.query_opt(&statement, params).await
        })
    }

    fn query_one(&self, sql: &str, params: Params<'_>) -> ApiResult<Row> {
        self.run(async {
            let statement = self.client.prepare_cached(sql).await?;
            self.client.query_one(&statement, params).await
        })
    }

    fn execute(&self, sql: &str, params: Params<'_>) -> ApiResult<u64> {
        self.run(async {
            let statement = self.client.prepare_cached(sql).await?;
            self.client.execute(&statement, params).await
        })
    }

    fn batch(&self, sql: &str) -> ApiResult<()> {
        self.run(self.client.batch_execute(sql))
    }

    fn texts(&self, sql: &str, params: Params<'_>) -> ApiResult<Vec<String>> {
        Ok(self.query(sql, params)?.iter().map(|row| row.get(0)).collect())
    }

    fn text(&self, sql: &str, params: Params<'_>) -> ApiResult<Option<String>> {
        Ok(self.query_opt(sql, params)?.map(|row| row.get(0)))
    }

    fn exists(&self, sql: &str, params: Params<'_>) -> ApiResult<bool> {
        Ok(self.query_opt(sql, params)?.is_some())
    }

    /// A server setting (`SHOW`).
    fn setting(&self, name: &str) -> ApiResult<String> {
        Ok(self.query_one("SELECT current_setting($1)", &[&name])?.get(0))
    }
}

fn fault_of(row: &Row) -> Fault {
    let code: String = row.get(2);
    let reason: String = row.get(3);
    Fault {
        server_group_id: row.get(0),
        step: row.get(1),
        error_code: (!code.is_empty()).then_some(code),
        fail_reason: (!reason.is_empty()).then_some(reason),
        times: u32::try_from(row.get::<_, i64>(4)).unwrap_or(0),
        raise_error: row.get(5),
    }
}

impl Store for PgStore<'_> {
    fn resource_body(&self, project: &str, kind: &str, id: &str) -> ApiResult<Option<String>> {
        self.text("SELECT body FROM resources WHERE id = $1 AND kind = $2 AND project_id = $3", &[&id, &kind, &project])
    }

    fn insert_resource(&self, project: &str, row: &ResourceRow<'_>) -> ApiResult<()> {
        // ON CONFLICT instead of catching the unique violation: an error would abort the whole transaction.
        let inserted = self.execute(
            "INSERT INTO resources (id, kind, project_id, server_group_id, name, status, az, body)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (project_id, kind, id) DO NOTHING",
            &[&row.id, &row.kind, &project, &row.server_group_id, &row.name, &row.status, &row.az, &row.body],
        )?;
        if inserted == 0 {
            return Err(ApiError::code(
                ErrorCode::SDRS_0201,
                format!("a {} with id `{}` exists already", row.kind, row.id),
            ));
        }
        Ok(())
    }

    fn update_resource(&self, project: &str, row: &ResourceRow<'_>) -> ApiResult<()> {
        let changed = self.execute(
            "UPDATE resources SET name = $2, status = $3, az = $4, server_group_id = $5, body = $6
             WHERE id = $1 AND kind = $7 AND project_id = $8",
            &[&row.id, &row.name, &row.status, &row.az, &row.server_group_id, &row.body, &row.kind, &project],
        )?;
        if changed != 1 {
            return Err(ApiError::Internal(anyhow::anyhow!("{} {} vanished during an update", row.kind, row.id)));
        }
        Ok(())
    }

    fn remove_resource(&self, project: &str, kind: &'static str, id: &str) -> ApiResult<()> {
        self.execute("DELETE FROM resources WHERE id = $1 AND kind = $2 AND project_id = $3", &[&id, &kind, &project])?;
        Ok(())
    }

    fn resource_exists(&self, project: &str, kind: &str, id: &str) -> ApiResult<bool> {
        self.exists("SELECT 1 FROM resources WHERE project_id = $1 AND kind = $2 AND id = $3", &[&project, &kind, &id])
    }

    fn resource_group(&self, project: &str, kind: &str, id: &str) -> ApiResult<Option<String>> {
        let row = self.query_opt(
            "SELECT server_group_id FROM resources WHERE project_id = $1 AND kind = $2 AND id = $3",
            &[&project, &kind, &id],
        )?;
        Ok(row.and_then(|row| row.get(0)))
    }

    fn member_bodies(&self, project: &str, kind: &str, server_group_id: &str) -> ApiResult<Vec<String>> {
        self.texts(
            "SELECT body FROM resources WHERE server_group_id = $1 AND kind = $2 AND project_id = $3 ORDER BY seq",
            &[&server_group_id, &kind, &project],
        )
    }

    fn list_bodies(&self, project: &str, kind: &str, filter: &ListFilter) -> ApiResult<(Vec<String>, u64)> {
        let mut clauses = vec!["project_id = $1".to_owned(), "kind = $2".to_owned()];
        let mut args: Vec<Box<dyn ToSql + Sync>> = vec![Box::new(project.to_owned()), Box::new(kind.to_owned())];
        let mut any_of = |column: &str, values: &[String], clauses: &mut Vec<String>| {
            args.push(Box::new(values.to_vec()));
            clauses.push(format!("{column} = ANY(${})", args.len()));
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
                clauses.push(format!("({last} OR body::jsonb ->> 'fault_level' <> '0')"));
            }
        }
        if let Some(status) = &filter.status {
            any_of("status", std::slice::from_ref(status), &mut clauses);
        }
        if let Some(az) = &filter.az {
            any_of("az", std::slice::from_ref(az), &mut clauses);
        }
        if let Some(az) = &filter.group_az {
            args.push(Box::new(az.clone()));
            clauses.push(format!(
                "server_group_id IN (SELECT id FROM resources WHERE project_id = $1 AND kind = '{}' AND az = ${})",
                <sdrs_core::wire::ServerGroup as super::Resource>::KIND,
                args.len()
            ));
        }
        if let Some(name) = &filter.name_contains {
            args.push(Box::new(name.clone()));
            clauses.push(format!("strpos(name, ${}) > 0", args.len()));
        }
        if filter.no_drills {
            clauses.push("(body::jsonb ->> 'disaster_recovery_drill_num')::bigint = 0".to_owned());
        }
        if let Some(vpc) = &filter.drill_vpc_id {
            args.push(Box::new(vpc.clone()));
            clauses.push(format!("body::jsonb ->> 'drill_vpc_id' = ${}", args.len()));
        }
        if let Some(marker) = &filter.after {
            args.push(Box::new(marker.clone()));
            clauses.push(format!(
                "seq > (SELECT seq FROM resources WHERE project_id = $1 AND kind = $2 AND id = ${})",
                args.len()
            ));
        }
        let condition = clauses.join(" AND ");
        let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|arg| arg.as_ref()).collect();
        let count: i64 = self.query_one(&format!("SELECT count(*) FROM resources WHERE {condition}"), &params)?.get(0);
        let (limit, offset) = (i64::from(filter.limit), filter.offset.min(i64::MAX as u64) as i64);
        let mut page_params = params.clone();
        page_params.push(&limit);
        page_params.push(&offset);
        let sql = format!(
            "SELECT body FROM resources WHERE {condition} ORDER BY seq LIMIT ${} OFFSET ${}",
            params.len() + 1,
            params.len() + 2
        );
        Ok((self.texts(&sql, &page_params)?, count as u64))
    }

    fn count_resources(&self, project: &str, kind: &str) -> ApiResult<u64> {
        let count: i64 = self
            .query_one("SELECT count(*) FROM resources WHERE project_id = $1 AND kind = $2", &[&project, &kind])?
            .get(0);
        Ok(count as u64)
    }

    fn has_resources(&self) -> ApiResult<bool> {
        self.exists("SELECT 1 FROM resources LIMIT 1", &[])
    }

    fn in_use(&self, project: &str, by: InUse<'_>) -> ApiResult<bool> {
        let (kind, condition, value) = match by {
            InUse::Server(id) => (
                "protected_instance",
                "(body::jsonb ->> 'source_server' = $3 OR body::jsonb ->> 'target_server' = $3)",
                id,
            ),
            InUse::Disk(id) => ("replication", "strpos(body::jsonb ->> 'volume_ids', $3) > 0", id),
        };
        let sql = format!("SELECT 1 FROM resources WHERE project_id = $1 AND kind = $2 AND {condition} LIMIT 1");
        self.exists(&sql, &[&project, &kind, &value])
    }

    fn insert_job(&self, job: &NewJob<'_>) -> ApiResult<()> {
        self.execute(
            "INSERT INTO jobs (job_id, project_id, server_group_id, status, run_after, created, body, plan)
             VALUES ($1, $2, $3, 'INIT', $4, $4, $5, $6)",
            &[&job.job_id, &job.project_id, &job.server_group_id, &job.now, &job.body, &job.plan],
        )?;
        Ok(())
    }

    fn job_body(&self, project: &str, job_id: &str) -> ApiResult<Option<String>> {
        self.text("SELECT body FROM jobs WHERE job_id = $1 AND project_id = $2", &[&job_id, &project])
    }

    fn unfinished_job(&self, job_id: &str) -> ApiResult<Option<StoredJob>> {
        let row = self.query_opt(
            "SELECT body, plan, run_after FROM jobs WHERE job_id = $1 AND status IN ('INIT', 'RUNNING')",
            &[&job_id],
        )?;
        Ok(row.map(|row| StoredJob { body: row.get(0), plan: row.get(1), run_after: row.get(2) }))
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
        self.execute(
            "UPDATE jobs SET status = $3, run_after = $4, body = $5, plan = $6 WHERE job_id = $1 AND project_id = $2",
            &[&job_id, &project, &status, &run_after, &body, &plan],
        )?;
        Ok(())
    }

    fn recent_job_bodies(&self, server_group_id: &str, limit: u32) -> ApiResult<Vec<String>> {
        self.texts(
            "SELECT body FROM jobs WHERE server_group_id = $1 ORDER BY created DESC, seq DESC LIMIT $2",
            &[&server_group_id, &i64::from(limit)],
        )
    }

    fn claim_due_jobs(&self, holder: &str, now: i64, until: i64, limit: u32) -> ApiResult<Vec<(String, i64)>> {
        let rows = self.query(
            "UPDATE jobs SET claim_holder = $1, claim_token = jobs.claim_token + 1, claim_until = $3
             FROM (SELECT job_id FROM jobs WHERE status IN ('INIT', 'RUNNING') AND run_after <= $2
                   AND (claim_until < $2 OR claim_holder = $1) ORDER BY run_after LIMIT $4
                   FOR UPDATE SKIP LOCKED) AS due
             WHERE jobs.job_id = due.job_id RETURNING jobs.job_id, jobs.claim_token",
            &[&holder, &now, &until, &i64::from(limit)],
        )?;
        Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
    }

    fn take_job_claim(&self, job_id: &str, holder: &str, token: i64, now: i64) -> ApiResult<bool> {
        let ended = self.execute(
            "UPDATE jobs SET claim_until = 0
             WHERE job_id = $1 AND claim_holder = $2 AND claim_token = $3 AND claim_until >= $4",
            &[&job_id, &holder, &token, &now],
        )?;
        Ok(ended > 0)
    }

    fn next_due(&self) -> ApiResult<Option<i64>> {
        Ok(self
            .query_one(
                "SELECT min(GREATEST(run_after, claim_until)) FROM jobs WHERE status IN ('INIT', 'RUNNING')",
                &[],
            )?
            .get(0))
    }

    fn insert_failure_job(&self, id: &str, project: &str, server_group_id: Option<&str>, body: &str) -> ApiResult<()> {
        self.execute(
            "INSERT INTO failure_jobs (id, project_id, server_group_id, body) VALUES ($1, $2, $3, $4)",
            &[&id, &project, &server_group_id, &body],
        )?;
        Ok(())
    }

    fn failure_job_bodies(&self, project: &str, server_group_id: Option<&str>) -> ApiResult<Vec<String>> {
        self.texts(
            "SELECT body FROM failure_jobs WHERE project_id = $1 AND ($2::text IS NULL OR server_group_id = $2)
             ORDER BY seq DESC",
            &[&project, &server_group_id],
        )
    }

    fn delete_failure_jobs(&self, project: &str, which: FailureJobs<'_>) -> ApiResult<()> {
        match which {
            FailureJobs::One(id) => {
                self.execute("DELETE FROM failure_jobs WHERE project_id = $1 AND id = $2", &[&project, &id])?
            }
            FailureJobs::OfGroup(group) => self.execute(
                "DELETE FROM failure_jobs WHERE project_id = $1 AND server_group_id = $2",
                &[&project, &group],
            )?,
            FailureJobs::All => self.execute("DELETE FROM failure_jobs WHERE project_id = $1", &[&project])?,
        };
        Ok(())
    }

    fn insert_fault(&self, project: &str, fault: &Fault) -> ApiResult<()> {
        self.execute(
            "INSERT INTO faults (project_id, server_group_id, step, error_code, fail_reason, remaining, raise_error)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &project,
                &fault.server_group_id,
                &fault.step,
                &fault.error_code.as_deref().unwrap_or_default(),
                &fault.fail_reason.as_deref().unwrap_or_default(),
                &i64::from(fault.times),
                &fault.raise_error,
            ],
        )?;
        Ok(())
    }

    fn faults(&self, project: &str) -> ApiResult<Vec<Fault>> {
        let rows = self.query(
            "SELECT server_group_id, step, error_code, fail_reason, remaining, raise_error FROM faults
             WHERE project_id = $1 AND remaining > 0 ORDER BY id",
            &[&project],
        )?;
        Ok(rows.iter().map(fault_of).collect())
    }

    fn clear_faults(&self, project: &str) -> ApiResult<()> {
        self.execute("DELETE FROM faults WHERE project_id = $1", &[&project])?;
        Ok(())
    }

    fn take_fault(&self, project: &str, step: &str, server_group_id: Option<&str>) -> ApiResult<Option<Fault>> {
        let row = self.query_opt(
            "SELECT server_group_id, step, error_code, fail_reason, remaining, raise_error, id FROM faults
             WHERE project_id = $1 AND step = $2 AND remaining > 0 AND (server_group_id IS NULL OR server_group_id = $3)
             ORDER BY id LIMIT 1",
            &[&project, &step, &server_group_id],
        )?;
        let Some(row) = row else { return Ok(None) };
        let id: i64 = row.get(6);
        self.execute("UPDATE faults SET remaining = remaining - 1 WHERE id = $1", &[&id])?;
        Ok(Some(fault_of(&row)))
    }

    fn domain_body(&self, id: &str) -> ApiResult<Option<String>> {
        self.text("SELECT body FROM domains WHERE id = $1", &[&id])
    }

    fn domain_bodies(&self) -> ApiResult<Vec<String>> {
        self.texts("SELECT body FROM domains ORDER BY id", &[])
    }

    fn put_domain(&self, id: &str, body: &str) -> ApiResult<()> {
        self.execute(
            "INSERT INTO domains (id, body) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body",
            &[&id, &body],
        )?;
        Ok(())
    }

    fn put_session(&self, token_sha256: &str, expires: i64, now: i64) -> ApiResult<()> {
        self.execute("DELETE FROM sessions WHERE expires <= $1", &[&now])?;
        self.execute(
            "INSERT INTO sessions (token_sha256, expires) VALUES ($1, $2)
             ON CONFLICT (token_sha256) DO UPDATE SET expires = EXCLUDED.expires",
            &[&token_sha256, &expires],
        )?;
        Ok(())
    }

    fn session_valid(&self, token_sha256: &str, now: i64) -> ApiResult<bool> {
        self.exists("SELECT 1 FROM sessions WHERE token_sha256 = $1 AND expires > $2", &[&token_sha256, &now])
    }

    fn delete_session(&self, token_sha256: &str) -> ApiResult<()> {
        self.execute("DELETE FROM sessions WHERE token_sha256 = $1", &[&token_sha256])?;
        Ok(())
    }

    fn login_failures(&self, client: &str) -> ApiResult<Option<(u32, i64)>> {
        let row = self.query_opt("SELECT failures, locked_until FROM login_failures WHERE client = $1", &[&client])?;
        Ok(row.map(|row| (u32::try_from(row.get::<_, i64>(0)).unwrap_or(u32::MAX), row.get(1))))
    }

    fn put_login_failures(&self, client: &str, failures: u32, locked_until: i64, forget_before: i64) -> ApiResult<()> {
        self.execute("DELETE FROM login_failures WHERE locked_until < $1", &[&forget_before])?;
        self.execute(
            "INSERT INTO login_failures (client, failures, locked_until) VALUES ($1, $2, $3)
             ON CONFLICT (client) DO UPDATE SET failures = EXCLUDED.failures, locked_until = EXCLUDED.locked_until",
            &[&client, &i64::from(failures), &locked_until],
        )?;
        Ok(())
    }

    fn clear_login_failures(&self, client: &str) -> ApiResult<()> {
        self.execute("DELETE FROM login_failures WHERE client = $1", &[&client])?;
        Ok(())
    }

    fn claim_replay(&self, signature: &str, now: i64, expires: i64, stale_before: i64) -> ApiResult<ReplayClaim> {
        self.execute("DELETE FROM replays WHERE expires <= $1", &[&now])?;
        let found = self
            .query_opt("SELECT claimed, status, content_type, body FROM replays WHERE signature = $1", &[&signature])?;
        if let Some(row) = found {
            let (claimed, status): (i64, Option<i32>) = (row.get(0), row.get(1));
            match status {
                Some(status) => {
                    return Ok(ReplayClaim::Answered(ReplayAnswer {
                        status: u16::try_from(status).unwrap_or(500),
                        content_type: row.get(2),
                        body: row.get::<_, Option<Vec<u8>>>(3).unwrap_or_default(),
                    }))
                }
                None if claimed >= stale_before => return Ok(ReplayClaim::InFlight),
                None => {}
            }
        }
        self.execute(
            "INSERT INTO replays (signature, expires, claimed) VALUES ($1, $2, $3)
             ON CONFLICT (signature) DO UPDATE SET expires = EXCLUDED.expires, claimed = EXCLUDED.claimed,
                 status = NULL, content_type = NULL, body = NULL",
            &[&signature, &expires, &now],
        )?;
        Ok(ReplayClaim::Claimed)
    }

    fn record_replay(&self, signature: &str, answer: Option<&ReplayAnswer>) -> ApiResult<()> {
        match answer {
            None => self.execute("DELETE FROM replays WHERE signature = $1", &[&signature])?,
            Some(answer) => self.execute(
                "UPDATE replays SET status = $2, content_type = $3, body = $4 WHERE signature = $1",
                &[&signature, &i32::from(answer.status), &answer.content_type, &answer.body],
            )?,
        };
        Ok(())
    }

    fn submitted_job(&self, project: &str, key: &str) -> ApiResult<Option<String>> {
        let row =
            self.query_opt("SELECT job_id FROM submissions WHERE project_id = $1 AND key = $2", &[&project, &key])?;
        Ok(row.map(|row| row.get(0)))
    }

    fn put_submission(&self, project: &str, key: &str, job_id: &str, now: i64, forget_before: i64) -> ApiResult<()> {
        self.execute("DELETE FROM submissions WHERE created < $1", &[&forget_before])?;
        self.execute(
            "INSERT INTO submissions (project_id, key, job_id, created) VALUES ($1, $2, $3, $4)",
            &[&project, &key, &job_id, &now],
        )?;
        Ok(())
    }

    fn take_lease(&self, name: &str, holder: &str, now: i64, expires: i64) -> ApiResult<Option<i64>> {
        let found = self.query_opt("SELECT holder, token, expires FROM leases WHERE name = $1", &[&name])?;
        let token = match found.map(|row| (row.get::<_, String>(0), row.get::<_, i64>(1), row.get::<_, i64>(2))) {
            None => 1,
            Some((current, token, _)) if current == holder => token,
            Some((_, token, until)) if until < now => token + 1,
            Some(_) => return Ok(None),
        };
        self.execute(
            "INSERT INTO leases (name, holder, token, expires) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, token = EXCLUDED.token, expires = EXCLUDED.expires",
            &[&name, &holder, &token, &expires],
        )?;
        Ok(Some(token))
    }

    fn is_empty(&self) -> ApiResult<bool> {
        Ok(self
            .query_one(
                "SELECT NOT EXISTS (SELECT 1 FROM resources) AND NOT EXISTS (SELECT 1 FROM jobs)
                     AND NOT EXISTS (SELECT 1 FROM failure_jobs) AND NOT EXISTS (SELECT 1 FROM domains)",
                &[],
            )?
            .get(0))
    }

    fn dump(&self) -> ApiResult<Dump> {
        let resources = self.query(
            "SELECT project_id, kind, id, server_group_id, name, status, az, body FROM resources ORDER BY seq",
            &[],
        )?;
        let jobs = self.query(
            "SELECT job_id, project_id, server_group_id, status, run_after, created, body, plan FROM jobs
             ORDER BY created, seq",
            &[],
        )?;
        let failure_jobs =
            self.query("SELECT id, project_id, server_group_id, body FROM failure_jobs ORDER BY seq", &[])?;
        let faults = self.query(
            "SELECT server_group_id, step, error_code, fail_reason, remaining, raise_error, project_id FROM faults
             WHERE remaining > 0 ORDER BY id",
            &[],
        )?;
        Ok(Dump {
            resources: resources
                .iter()
                .map(|row| DumpedResource {
                    project_id: row.get(0),
                    kind: row.get(1),
                    id: row.get(2),
                    server_group_id: row.get(3),
                    name: row.get(4),
                    status: row.get(5),
                    az: row.get(6),
                    body: row.get(7),
                })
                .collect(),
            jobs: jobs
                .iter()
                .map(|row| DumpedJob {
                    job_id: row.get(0),
                    project_id: row.get(1),
                    server_group_id: row.get(2),
                    status: row.get(3),
                    run_after: row.get(4),
                    created: row.get(5),
                    body: row.get(6),
                    plan: row.get(7),
                })
                .collect(),
            failure_jobs: failure_jobs.iter().map(|row| (row.get(0), row.get(1), row.get(2), row.get(3))).collect(),
            faults: faults.iter().map(|row| (row.get(6), fault_of(row))).collect(),
            domains: self
                .query("SELECT id, body FROM domains ORDER BY id", &[])?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect(),
            sessions: self
                .query("SELECT token_sha256, expires FROM sessions ORDER BY token_sha256", &[])?
                .iter()
                .map(|row| (row.get(0), row.get(1)))
                .collect(),
        })
    }

    fn load(&self, dump: &Dump) -> ApiResult<()> {
        for r in &dump.resources {
            self.execute(
                "INSERT INTO resources (project_id, kind, id, server_group_id, name, status, az, body)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[&r.project_id, &r.kind, &r.id, &r.server_group_id, &r.name, &r.status, &r.az, &r.body],
            )?;
        }
        for j in &dump.jobs {
            self.execute(
                "INSERT INTO jobs (job_id, project_id, server_group_id, status, run_after, created, body, plan)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[&j.job_id, &j.project_id, &j.server_group_id, &j.status, &j.run_after, &j.created, &j.body, &j.plan],
            )?;
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
            self.execute("INSERT INTO sessions (token_sha256, expires) VALUES ($1, $2)", &[digest, expires])?;
        }
        Ok(())
    }

    fn savepoint(&self, name: &'static str) -> ApiResult<()> {
        self.batch(&format!("SAVEPOINT {name}"))
    }

    fn release(&self, name: &'static str) -> ApiResult<()> {
        self.batch(&format!("RELEASE SAVEPOINT {name}"))
    }

    fn rollback_to(&self, name: &'static str) -> ApiResult<()> {
        self.batch(&format!("ROLLBACK TO SAVEPOINT {name}"))
    }
}
