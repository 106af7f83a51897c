//! SQLite storage: the reading connections, the writer's queue, migrations and access to resource documents.
//!
//! Most SQL lives here and in `jobs/`; `routes/misc.rs` and `routes/admin.rs` have their own (task centre, domains,
//! quotas, faults). There is no store interface yet (issue 13): handlers call these functions with a rusqlite
//! connection or transaction.

use std::path::Path;
use std::time::Duration;

use r2d2_sqlite::rusqlite::{self, params, OptionalExtension, Transaction, TransactionBehavior};
use r2d2_sqlite::SqliteConnectionManager;
use serde::de::DeserializeOwned;
use serde::Serialize;

use sdrs_core::ErrorCode;

use crate::error::{ApiError, ApiResult};

pub use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/001_init.sql"),
    include_str!("../migrations/002_unique_per_kind.sql"),
    include_str!("../migrations/003_resource_counts.sql"),
    include_str!("../migrations/004_ids_per_project.sql"),
];

/// One SQLite database file in WAL mode: a pool of reading connections, and the single writer (`writer.rs`) that
/// commits every change, in batches that share one fsync. Readers never wait for the writer (WAL).
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<SqliteConnectionManager>,
    writer: crate::writer::Writer,
    /// Where the file is, for the per-thread reading connections of `read_now`. Also their owner: a thread's reading
    /// connection to a `Db` whose every clone was dropped is closed.
    path: std::sync::Arc<std::path::PathBuf>,
    /// Bumped by the writer after each commit that inserted or deleted resources.
    membership: crate::writer::Membership,
    /// Each (project, kind)'s resources in list order, as of a membership generation: an unfiltered page is found by
    /// position in O(1) and read in O(limit), however deep its offset.
    orders: std::sync::Arc<ListOrders>,
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

thread_local! {
    /// This thread's reading connection to each open database (tests open many; a server, one).
    static READERS: std::cell::RefCell<Vec<(std::sync::Weak<std::path::PathBuf>, Connection)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// How every connection is set up. FULL: a transaction answered as committed is on disk, power loss or OS crash
/// included (in WAL mode NORMAL may lose the last commits); group commit (`writer.rs`) wins the speed back.
pub(crate) const CONNECTION_PRAGMAS: &str =
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 15000;";

/// What readers add: the file mapped into memory, so a page the connection's own cache lacks is read without a system
/// call (random reads across 100,000 groups were `pread`s).
const READER_PRAGMAS: &str = "PRAGMA mmap_size = 1073741824;";

impl Db {
    /// Opens (creating if needed) the database at `path` and applies pending migrations. A database that cannot be
    /// opened or written fails here at once, with the reason, rather than after the pool's 30 s of retries.
    pub fn open(path: &Path) -> anyhow::Result<Db> {
        let probe = rusqlite::Connection::open(path)
            .map_err(|error| anyhow::anyhow!("cannot open the database {}: {error}", path.display()))?;
        probe
            .execute_batch("PRAGMA journal_mode = WAL; BEGIN IMMEDIATE; COMMIT;")
            .map_err(|error| anyhow::anyhow!("cannot write to the database {}: {error}", path.display()))?;
        drop(probe);
        let manager = SqliteConnectionManager::file(path).with_init(|conn| {
            conn.execute_batch(CONNECTION_PRAGMAS)?;
            conn.execute_batch(READER_PRAGMAS)
        });
        let pool = r2d2::Pool::builder().max_size(8).connection_timeout(Duration::from_secs(30)).build(manager)?;
        migrate(&pool)?;
        let membership = crate::writer::Membership::default();
        Ok(Db {
            pool,
            writer: crate::writer::Writer::start(path, membership.clone())?,
            path: std::sync::Arc::new(path.to_owned()),
            membership,
            orders: std::sync::Arc::default(),
        })
    }

    /// The `synchronous` setting of the pooled connections (2 is FULL), for tests and the benchmark report.
    pub async fn synchronous(&self) -> ApiResult<i64> {
        self.call(|conn| Ok(conn.query_row("PRAGMA synchronous", [], |row| row.get(0))?)).await
    }

    /// Runs `f` on a pooled connection on the blocking thread pool.
    pub async fn call<R, F>(&self, f: F) -> ApiResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> ApiResult<R> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
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
        self.call(move |conn| {
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
    pub fn read_now<R>(&self, f: impl FnOnce(&Connection) -> ApiResult<R>) -> ApiResult<R> {
        READERS.with(|readers| {
            let mut readers = readers.borrow_mut();
            readers.retain(|(owner, _)| owner.strong_count() > 0);
            let position =
                match readers.iter().position(|(owner, _)| owner.ptr_eq(&std::sync::Arc::downgrade(&self.path))) {
                    Some(position) => position,
                    None => {
                        let conn = Connection::open(self.path.as_path())?;
                        conn.execute_batch(CONNECTION_PRAGMAS)?;
                        // Point reads never write, and cannot by mistake.
                        conn.execute_batch(READER_PRAGMAS)?;
                        conn.execute_batch("PRAGMA query_only = ON;")?;
                        readers.push((std::sync::Arc::downgrade(&self.path), conn));
                        readers.len() - 1
                    }
                };
            f(&readers[position].1)
        })
    }

    /// Runs `f` on the writer, inside a transaction that holds the write lock from its start (`BEGIN IMMEDIATE`), so
    /// check-then-change is atomic; answers once the batch `f` joined has committed. An error from `f` rolls back
    /// `f`'s changes only.
    pub async fn write<R, F>(&self, f: F) -> ApiResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> ApiResult<R> + Send + 'static,
    {
        self.writer.write(f).await
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

fn migrate(pool: &r2d2::Pool<SqliteConnectionManager>) -> anyhow::Result<()> {
    let mut conn = pool.get()?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", index + 1))?;
    }
    tx.commit()?;
    Ok(())
}

/// A document kept in the `resources` table.
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

/// Inserts a new resource; an id its kind already has is refused, not an internal error.
pub fn insert<R: Resource>(conn: &Connection, project_id: &str, resource: &R) -> ApiResult<()> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO resources (id, kind, project_id, server_group_id, name, status, az, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            resource.id(),
            R::KIND,
            project_id,
            resource.group_id(),
            resource.name(),
            resource.status_text(),
            resource.az(),
            serde_json::to_string(resource)?
        ]);
    match inserted {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(error, _))
            if error.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
        {
            Err(ApiError::code(
                ErrorCode::SDRS_0201,
                format!("a {} with id `{}` exists already", R::KIND, resource.id()),
            ))
        }
        Err(error) => Err(error.into()),
    }
}

/// Whether the project has a resource of this kind with this id (ids are unique per project and kind, so one
/// project can neither probe nor squat another's ids).
pub fn id_taken<R: Resource>(conn: &Connection, project_id: &str, id: &str) -> ApiResult<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM resources WHERE project_id = ?1 AND kind = ?2 AND id = ?3",
            params![project_id, R::KIND, id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Writes back a changed resource of the project.
pub fn update<R: Resource>(conn: &Connection, project_id: &str, resource: &R) -> ApiResult<()> {
    let changed = conn
        .prepare_cached(
            "UPDATE resources SET name = ?2, status = ?3, az = ?4, server_group_id = ?5, body = ?6
         WHERE id = ?1 AND kind = ?7 AND project_id = ?8",
        )?
        .execute(params![
            resource.id(),
            resource.name(),
            resource.status_text(),
            resource.az(),
            resource.group_id(),
            serde_json::to_string(resource)?,
            R::KIND,
            project_id
        ])?;
    if changed != 1 {
        return Err(ApiError::Internal(anyhow::anyhow!("{} {} vanished during an update", R::KIND, resource.id())));
    }
    Ok(())
}

/// Reads a resource of the project; another project's id reads as absent.
pub fn get<R: Resource>(conn: &Connection, project_id: &str, id: &str) -> ApiResult<Option<R>> {
    get_raw(conn, project_id, R::KIND, id)?.map(|body| from_json(&body)).transpose()
}

/// A resource's stored wire JSON, as the API sends it, without decoding it.
pub fn get_raw(conn: &Connection, project_id: &str, kind: &str, id: &str) -> ApiResult<Option<String>> {
    let mut statement =
        conn.prepare_cached("SELECT body FROM resources WHERE id = ?1 AND kind = ?2 AND project_id = ?3")?;
    Ok(statement.query_row(params![id, kind, project_id], |row| row.get(0)).optional()?)
}

/// Deletes a resource row of the project.
pub fn remove<R: Resource>(conn: &Connection, project_id: &str, id: &str) -> ApiResult<()> {
    conn.prepare_cached("DELETE FROM resources WHERE id = ?1 AND kind = ?2 AND project_id = ?3")?.execute(params![
        id,
        R::KIND,
        project_id
    ])?;
    Ok(())
}

/// Filters of a list call; `None` means "any".
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub server_group_ids: Option<Vec<String>>,
    pub status: Option<String>,
    pub statuses: Option<Vec<String>>,
    pub name_contains: Option<String>,
    pub az: Option<String>,
    pub ids: Option<Vec<String>>,
    /// Only groups without DR drills.
    pub no_drills: bool,
    pub limit: u32,
    pub offset: u64,
}

impl ListFilter {
    /// Whether the filter selects every resource of the kind (only paging given).
    pub fn is_unfiltered(&self) -> bool {
        let ListFilter { server_group_ids, status, statuses, name_contains, az, ids, no_drills, limit: _, offset: _ } =
            self;
        server_group_ids.is_none()
            && status.is_none()
            && statuses.is_none()
            && name_contains.is_none()
            && az.is_none()
            && ids.is_none()
            && !no_drills
    }
}

/// One page of a project's resources and the number matching the filter.
pub fn list<R: Resource>(conn: &Connection, project_id: &str, filter: &ListFilter) -> ApiResult<(Vec<R>, u64)> {
    let (bodies, count) = list_raw(conn, project_id, R::KIND, filter)?;
    let items = bodies.iter().map(|body| from_json(body)).collect::<ApiResult<Vec<R>>>()?;
    Ok((items, count))
}

/// One page of a project's resources as their stored wire JSON (answered without decoding), and the number matching
/// the filter.
pub fn list_raw(conn: &Connection, project_id: &str, kind: &str, filter: &ListFilter) -> ApiResult<(Vec<String>, u64)> {
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
    }
    if let Some(status) = &filter.status {
        any_of("status", std::slice::from_ref(status), &mut clauses);
    }
    if let Some(az) = &filter.az {
        any_of("az", std::slice::from_ref(az), &mut clauses);
    }
    if let Some(name) = &filter.name_contains {
        clauses.push("instr(name, ?) > 0".to_owned());
        args.push(name.clone().into());
    }
    if filter.no_drills {
        clauses.push("json_extract(body, '$.disaster_recovery_drill_num') = 0".to_owned());
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

/// Every resource of a kind in a group of the project, in insertion order.
pub fn members<R: Resource>(conn: &Connection, project_id: &str, server_group_id: &str) -> ApiResult<Vec<R>> {
    let mut statement = conn.prepare_cached(
        "SELECT body FROM resources WHERE server_group_id = ?1 AND kind = ?2 AND project_id = ?3 ORDER BY seq",
    )?;
    let rows = statement.query_map(params![server_group_id, R::KIND, project_id], |row| row.get::<_, String>(0))?;
    let mut items = Vec::new();
    for body in rows {
        items.push(serde_json::from_str(&body?)?);
    }
    Ok(items)
}

/// Reads a JSON column.
pub fn from_json<T: DeserializeOwned>(text: &str) -> ApiResult<T> {
    Ok(serde_json::from_str(text)?)
}

/// Whether any resource of a kind in the project satisfies a raw SQL condition on `body`.
pub fn exists_where(conn: &Connection, project_id: &str, kind: &str, condition: &str, value: &str) -> ApiResult<bool> {
    let sql = format!("SELECT 1 FROM resources WHERE project_id = ?1 AND kind = ?2 AND {condition} LIMIT 1");
    Ok(conn.prepare_cached(&sql)?.query_row(params![project_id, kind, value], |_| Ok(())).optional()?.is_some())
}
