//! Every SQL statement of the server, written once: `impl Store for` any `Sql` driver, SQLite's connection and
//! PostgreSQL's alike. Statements use SQLite's numbered placeholders (`?1`), which PostgreSQL's driver renumbers; what
//! the two databases spell differently (JSON fields, substring search, `SKIP LOCKED`, the jobs' insertion order) comes
//! from the `Dialect`. Upserts are `INSERT … ON CONFLICT … DO UPDATE`, and a duplicate is `ON CONFLICT DO NOTHING`
//! with its count checked, which both accept (on PostgreSQL an error would abort the whole transaction).
//!
//! The statements the async read path of PostgreSQL runs outside a `Store` (a document, a list page) are constants
//! and functions here too, so that no statement exists twice.

use sdrs_core::wire::Fault;
use sdrs_core::ErrorCode;

use std::collections::HashMap;

use super::sql::{args, Arg, Dialect, Row, SavepointStep, Sql, Value};
use super::{
    AuditContext, AuditQuery, ClaimedJob, DeliveryOutcome, DueDelivery, Dump, DumpedJob, DumpedResource, FailureJobs,
    InUse, ListFilter, NewJob, OperatingFacts, ReadAhead, ReplayAnswer, ReplayClaim, ResourceRow, Store, StoredJob,
    WebhookRow, JOB_KIND,
};
use crate::error::{ApiError, ApiResult};

/// The readiness check's query: the database answers.
pub const PING: &str = "SELECT 1";

/// PostgreSQL only: the version of the hot documents, which a replica's read cache checks (`pg_cache.rs`).
pub const DATA_VERSION: &str = "SELECT version FROM data_version";
/// PostgreSQL only: a replica's listener takes the sole-replica lease (`pg_cache.rs`) for `?1`, its connections'
/// application_name, if no other replica has a connection open; the version as of the taking, and whether it was
/// taken. It names the version, so the trigger of migration 009 runs: a holder left by a replica that is gone is
/// waited out and cleared (not taken: the next try takes it).
pub const SOLE_TAKE: &str = "UPDATE data_version SET version = version, sole_holder = ?1 \
     WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity \
         WHERE datname = current_database() AND application_name LIKE 'sdrs-replica-%' AND application_name <> ?1) \
     RETURNING version, sole_holder IS NOT DISTINCT FROM ?1";
/// PostgreSQL only: whether `?1` still holds the sole-replica lease, read under a share lock of the row, which a write
/// that ends the lease holds while it waits the lease out.
pub const SOLE_HELD: &str = "SELECT sole_holder IS NOT DISTINCT FROM ?1 FROM data_version FOR SHARE";
/// PostgreSQL only, in a write transaction that changed hot documents: the next version, and one notification per
/// part of `?1` (parts split by U+001E), each `"<version> <part>"`.
pub const NOTIFY_CHANGED: &str = "WITH bumped AS (UPDATE data_version SET version = version + 1 RETURNING version) \
     SELECT pg_notify('sdrs_hot_documents', bumped.version || ' ' || part) \
     FROM bumped, unnest(string_to_array(?1, chr(30))) AS part";

/// A resource's stored wire JSON: `(id, kind, project)`.
pub(super) const RESOURCE_BODY: &str = "SELECT body FROM resources WHERE id = ?1 AND kind = ?2 AND project_id = ?3";
/// A group's members of one kind, in insertion order, and their ids (which tell the PostgreSQL writer which lists a
/// write changes: `remembered.rs`): `(server_group_id, kind, project)`.
pub(super) const MEMBER_BODIES: &str =
    "SELECT body, id FROM resources WHERE server_group_id = ?1 AND kind = ?2 AND project_id = ?3 ORDER BY seq";
/// A new resource row: `(id, kind, project, server_group_id, name, status, az, body)`; a row there already stays.
pub(super) const RESOURCE_INSERT: &str =
    "INSERT INTO resources (id, kind, project_id, server_group_id, name, status, az, body) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (project_id, kind, id) DO NOTHING";
/// A resource row's new columns: `(id, name, status, az, server_group_id, body, kind, project)`.
pub(super) const RESOURCE_UPDATE: &str = "UPDATE resources SET name = ?2, status = ?3, az = ?4, server_group_id = ?5, \
     body = ?6 WHERE id = ?1 AND kind = ?7 AND project_id = ?8";
/// A job's advance, which ends the worker's claim on it: `(job_id, project, status, run_after, body, plan)`.
pub(super) const JOB_ADVANCE: &str =
    "UPDATE jobs SET status = ?3, run_after = ?4, body = ?5, plan = ?6, claim_until = 0 \
     WHERE job_id = ?1 AND project_id = ?2";

/// A one-row write that PostgreSQL's writer sends for several rows in one statement when an operation keeps several
/// in a row (`PgConn::merged`): each row's arguments are a `VALUES` row, one after another.
pub struct RowsWrite {
    /// The one-row statement.
    pub single: &'static str,
    /// Where the row's key is among the one-row statement's arguments. No two rows of one statement may share it:
    /// an `UPDATE … FROM` changes a row once, however many `VALUES` rows match it.
    pub key: &'static [usize],
    /// The statement for `rows` rows.
    pub for_rows: fn(usize) -> String,
}

impl RowsWrite {
    /// The one-row write `sql` is, if it may be sent for several rows.
    pub fn of(sql: &str) -> Option<&'static RowsWrite> {
        ROWS_WRITES.iter().find(|write| write.single == sql)
    }
}

/// The one-row writes sent several rows at a time: a resource's update (three per failover) and a job's advance
/// (one per job of a worker batch).
static ROWS_WRITES: [RowsWrite; 2] = [
    RowsWrite { single: RESOURCE_UPDATE, key: &[0, 6, 7], for_rows: resource_updates },
    RowsWrite { single: JOB_ADVANCE, key: &[0, 1], for_rows: job_advances },
];

/// `rows` rows of `width` placeholders each, numbered on: `(?1, ?2), (?3, ?4)`.
fn values_rows(rows: usize, width: usize) -> String {
    let row =
        |r: usize| format!("({})", (1..=width).map(|c| format!("?{}", r * width + c)).collect::<Vec<_>>().join(", "));
    (0..rows).map(row).collect::<Vec<_>>().join(", ")
}

fn resource_updates(rows: usize) -> String {
    format!(
        "UPDATE resources AS r SET name = v.name, status = v.status, az = v.az, server_group_id = v.server_group_id, \
         body = v.body FROM (VALUES {}) AS v (id, name, status, az, server_group_id, body, kind, project_id) \
         WHERE r.id = v.id AND r.kind = v.kind AND r.project_id = v.project_id",
        values_rows(rows, 8)
    )
}

fn job_advances(rows: usize) -> String {
    format!(
        "UPDATE jobs AS j SET status = v.status, run_after = v.run_after, body = v.body, plan = v.plan, claim_until = 0 \
         FROM (VALUES {}) AS v (job_id, project_id, status, run_after, body, plan) \
         WHERE j.job_id = v.job_id AND j.project_id = v.project_id",
        values_rows(rows, 6)
    )
}

/// A resource row removed: `(id, kind, project)`.
pub(super) const RESOURCE_DELETE: &str = "DELETE FROM resources WHERE id = ?1 AND kind = ?2 AND project_id = ?3";
/// A job's stored wire JSON: `(job_id, project)`.
pub(super) const JOB_BODY: &str = "SELECT body FROM jobs WHERE job_id = ?1 AND project_id = ?2";

/// The statement that reads one document's stored wire JSON: a job's (`kind` is `JOB_KIND`) or a resource's.
pub fn document_statement<'a>(kind: &'a str, project: &'a str, id: &'a str) -> (&'static str, Vec<Arg<'a>>) {
    if kind == JOB_KIND {
        (JOB_BODY, vec![id.into(), project.into()])
    } else {
        (RESOURCE_BODY, vec![id.into(), kind.into(), project.into()])
    }
}

/// The claim of due jobs: `(holder, now, until, limit)`, returning each job's id and claim token.
pub fn claim_statement(dialect: Dialect) -> String {
    format!(
        "UPDATE jobs SET claim_holder = ?1, claim_token = claim_token + 1, claim_until = ?3
         WHERE job_id IN (SELECT job_id FROM jobs WHERE status IN ('INIT', 'RUNNING') AND run_after <= ?2
                          AND (claim_until < ?2 OR claim_holder = ?1) ORDER BY run_after LIMIT ?4{})
         RETURNING job_id, claim_token",
        dialect.skip_locked()
    )
}

/// Reads the jobs of `count` claims of `holder` (`?1`) still standing at `?2`, and locks them until the batch ends
/// (`Dialect::lock_rows`): their ids are `?3…`, each one's token follows all the ids, in the same order. One statement
/// text per batch size. The claims end with each job's advance (`Store::update_job`), not here: ending them here
/// wrote each job row once more.
pub(super) fn take_claims_statement(dialect: Dialect, count: usize) -> String {
    let ids: Vec<String> = (0..count).map(|n| format!("?{}", n + 3)).collect();
    let tokens: String = ids.iter().enumerate().map(|(n, id)| format!(" WHEN {id} THEN ?{}", n + 3 + count)).collect();
    format!(
        "SELECT job_id, status, body, plan, run_after FROM jobs
         WHERE job_id IN ({}) AND claim_holder = ?1 AND claim_until >= ?2 AND claim_token = CASE job_id{tokens} END{}",
        ids.join(", "),
        dialect.lock_rows()
    )
}

/// The statements of one list page: the count of the matches and the page itself, with their arguments (the page's
/// are the count's plus `LIMIT` and `OFFSET`).
pub struct ListStatements<'a> {
    pub count: String,
    pub page: String,
    pub args: Vec<Arg<'a>>,
    pub page_args: Vec<Arg<'a>>,
}

/// The statements of a page of a project's resources of one kind. Unfiltered, the count comes from the counts the
/// triggers keep (`resource_counts`) instead of a scan, and the page is read by key from its first `seq`, which a
/// subquery finds by skipping `OFFSET` entries of the `(project_id, kind, seq)` index (not rows). Filtered, the page's
/// rows are chosen in a subquery with `OFFSET`. `marker` (`filter.after`) pages by key.
pub fn list_statements<'a>(
    dialect: Dialect,
    project_id: &'a str,
    kind: &'a str,
    filter: &'a ListFilter,
) -> ListStatements<'a> {
    let mut clauses = vec!["project_id = ?1".to_owned(), "kind = ?2".to_owned()];
    let mut args: Vec<Arg<'a>> = vec![project_id.into(), kind.into()];
    if let Some(groups) = &filter.server_group_ids {
        any_of("server_group_id", groups, &mut clauses, &mut args);
    }
    if let Some(ids) = &filter.ids {
        any_of("id", ids, &mut clauses, &mut args);
    }
    if let Some(statuses) = &filter.statuses {
        any_of("status", statuses, &mut clauses, &mut args);
        if filter.or_faulty {
            let last = clauses.pop().expect("the status clause");
            clauses.push(format!("({last} OR {} <> '0')", dialect.json_text("fault_level")));
        }
    }
    if let Some(status) = &filter.status {
        any_of("status", std::slice::from_ref(status), &mut clauses, &mut args);
    }
    if let Some(az) = &filter.az {
        any_of("az", std::slice::from_ref(az), &mut clauses, &mut args);
    }
    if let Some(az) = &filter.group_az {
        let az = next(&mut args, az.into());
        clauses.push(format!(
            "server_group_id IN (SELECT id FROM resources WHERE project_id = ?1 AND kind = '{}' AND az = {az})",
            <sdrs_core::wire::ServerGroup as super::Resource>::KIND
        ));
    }
    if let Some(name) = &filter.name_contains {
        let name = next(&mut args, name.into());
        clauses.push(dialect.contains("name", &name));
    }
    if filter.no_drills {
        clauses.push(format!("{} = 0", dialect.json_int("disaster_recovery_drill_num")));
    }
    if let Some(vpc) = &filter.drill_vpc_id {
        let vpc = next(&mut args, vpc.into());
        clauses.push(format!("{} = {vpc}", dialect.json_text("drill_vpc_id")));
    }
    if let Some(marker) = &filter.after {
        let marker = next(&mut args, marker.into());
        clauses
            .push(format!("seq > (SELECT seq FROM resources WHERE project_id = ?1 AND kind = ?2 AND id = {marker})"));
    }
    let condition = clauses.join(" AND ");
    let count = if clauses.len() == 2 {
        "SELECT coalesce((SELECT n FROM resource_counts WHERE project_id = ?1 AND kind = ?2), 0)".to_owned()
    } else {
        format!("SELECT count(*) FROM resources WHERE {condition}")
    };
    let mut page_args = args.clone();
    let limit = next(&mut page_args, i64::from(filter.limit).into());
    let offset = next(&mut page_args, (filter.offset.min(i64::MAX as u64) as i64).into());
    let page = if clauses.len() == 2 {
        format!(
            "SELECT body FROM resources WHERE {condition} AND seq >= \
             (SELECT seq FROM resources WHERE {condition} ORDER BY seq LIMIT 1 OFFSET {offset}) ORDER BY seq LIMIT {limit}"
        )
    } else {
        format!(
            "SELECT body FROM resources WHERE seq IN \
             (SELECT seq FROM resources WHERE {condition} ORDER BY seq LIMIT {limit} OFFSET {offset}) ORDER BY seq"
        )
    };
    ListStatements { count, page, args, page_args }
}

/// Adds an argument; its placeholder.
fn next<'a>(args: &mut Vec<Arg<'a>>, arg: Arg<'a>) -> String {
    args.push(arg);
    format!("?{}", args.len())
}

/// `column IN (…)` over `values` (none: `IN (NULL)`, which matches nothing).
fn any_of<'a>(column: &str, values: &'a [String], clauses: &mut Vec<String>, args: &mut Vec<Arg<'a>>) {
    let placeholders: Vec<String> = if values.is_empty() {
        vec![next(args, Arg::Text(None))]
    } else {
        values.iter().map(|value| next(args, value.into())).collect()
    };
    clauses.push(format!("{column} IN ({})", placeholders.join(", ")));
}

/// SQLite's list order of a project's resources of one kind (`(project, kind)`): their `seq`, in order.
pub const LIST_ORDER: &str = "SELECT seq FROM resources WHERE project_id = ?1 AND kind = ?2 ORDER BY seq";
/// PostgreSQL's read of the same order: one array (one value to decode, not a row per resource), sorted by the
/// reader (an aggregate over a sorted subquery keeps its order in practice, which SQL does not promise).
pub const LIST_ORDER_ARRAY: &str =
    "SELECT coalesce(array_agg(seq), '{}') FROM (SELECT seq FROM resources WHERE project_id = ?1 AND kind = ?2 ORDER BY seq) AS list";
/// A list's fingerprint (`list_order::Fingerprint`): its number of resources and its highest `seq`, `(project, kind)`.
pub const LIST_FINGERPRINT: &str =
    "SELECT coalesce((SELECT n FROM resource_counts WHERE project_id = ?1 AND kind = ?2), 0), \
     coalesce((SELECT max(seq) FROM resources WHERE project_id = ?1 AND kind = ?2), 0)";
/// A page from a known position of that order: `(project, kind, first seq, limit)`.
pub const PAGE_FROM: &str =
    "SELECT body FROM resources WHERE project_id = ?1 AND kind = ?2 AND seq >= ?3 ORDER BY seq LIMIT ?4";

/// A fault row (`server_group_id, step, error_code, fail_reason, remaining, raise_error`); empty texts are "none".
fn fault_of(row: &Row) -> ApiResult<Fault> {
    let code = row.text(2)?;
    let reason = row.text(3)?;
    Ok(Fault {
        server_group_id: row.opt_text(0)?,
        step: row.text(1)?,
        error_code: (!code.is_empty()).then_some(code),
        fail_reason: (!reason.is_empty()).then_some(reason),
        times: u32::try_from(row.int(4)?).unwrap_or(0),
        raise_error: row.bool(5)?,
    })
}

impl<S: Sql> Store for S {
    fn resource_body(&self, project: &str, kind: &str, id: &str) -> ApiResult<Option<String>> {
        self.text(RESOURCE_BODY, args![id, kind, project])
    }

    fn insert_resource(&self, project: &str, row: &ResourceRow<'_>) -> ApiResult<()> {
        let inserted = self.execute(
            RESOURCE_INSERT,
            args![row.id, row.kind, project, row.server_group_id, row.name, row.status, row.az, row.body.as_str()],
        )?;
        self.touched(row.kind, project, row.id);
        if inserted == 0 {
            return Err(ApiError::code(
                ErrorCode::SDRS_0201,
                format!("a {} with id `{}` exists already", row.kind, row.id),
            ));
        }
        Ok(())
    }

    fn update_resource(&self, project: &str, row: &ResourceRow<'_>) -> ApiResult<()> {
        self.execute_later(
            RESOURCE_UPDATE,
            args![row.id, row.name, row.status, row.az, row.server_group_id, row.body.as_str(), row.kind, project],
            Some((1, format!("{} {} vanished during an update", row.kind, row.id))),
        )?;
        self.touched(row.kind, project, row.id);
        Ok(())
    }

    fn remove_resource(&self, project: &str, kind: &'static str, id: &str) -> ApiResult<()> {
        self.execute(RESOURCE_DELETE, args![id, kind, project])?;
        self.touched(kind, project, id);
        Ok(())
    }

    fn resource_exists(&self, project: &str, kind: &str, id: &str) -> ApiResult<bool> {
        self.exists("SELECT 1 FROM resources WHERE project_id = ?1 AND kind = ?2 AND id = ?3", args![project, kind, id])
    }

    fn resource_group(&self, project: &str, kind: &str, id: &str) -> ApiResult<Option<String>> {
        let row = self.query_opt(
            "SELECT server_group_id FROM resources WHERE project_id = ?1 AND kind = ?2 AND id = ?3",
            args![project, kind, id],
        )?;
        Ok(row.map(|row| row.opt_text(0)).transpose()?.flatten())
    }

    fn member_bodies(&self, project: &str, kind: &str, server_group_id: &str) -> ApiResult<Vec<String>> {
        self.texts(MEMBER_BODIES, args![server_group_id, kind, project])
    }

    /// One statement per resource kind and one for all member lists, sent in one flight (`Sql::query_together`), their
    /// rows then remembered as the single reads they answer (`RESOURCE_BODY`, `MEMBER_BODIES`): a batch of 30 failovers
    /// reads its groups and members with two statements where it took 120.
    fn read_ahead(&self, project: &str, reads: &[ReadAhead<'_>]) -> ApiResult<()> {
        fn key<'a>(project: &'a str, read: &ReadAhead<'a>) -> (&'static str, Vec<Arg<'a>>) {
            match *read {
                ReadAhead::Resource { kind, id } => (RESOURCE_BODY, args![id, kind, project].to_vec()),
                ReadAhead::Members { kind, server_group_id } => {
                    (MEMBER_BODIES, args![server_group_id, kind, project].to_vec())
                }
            }
        }
        if !self.remembers_reads() {
            return Ok(());
        }
        let mut wanted: Vec<&ReadAhead<'_>> = Vec::new();
        for read in reads {
            let (sql, args) = key(project, read);
            if !self.remembers(sql, &args) && !wanted.contains(&read) {
                wanted.push(read);
            }
        }
        let mut ids_by_kind: Vec<(&str, Vec<&str>)> = Vec::new();
        let (mut groups, mut member_kinds): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
        for read in &wanted {
            match **read {
                ReadAhead::Resource { kind, id } => match ids_by_kind.iter_mut().find(|(known, _)| *known == kind) {
                    Some((_, ids)) => ids.push(id),
                    None => ids_by_kind.push((kind, vec![id])),
                },
                ReadAhead::Members { kind, server_group_id } => {
                    if !groups.contains(&server_group_id) {
                        groups.push(server_group_id);
                    }
                    if !member_kinds.contains(&kind) {
                        member_kinds.push(kind);
                    }
                }
            }
        }
        let mut statements: Vec<(String, Vec<Arg<'_>>)> = Vec::new();
        for (kind, ids) in &ids_by_kind {
            let mut args: Vec<Arg<'_>> = vec![project.into(), (*kind).into()];
            let ids: Vec<String> = ids.iter().map(|id| next(&mut args, (*id).into())).collect();
            let sql = format!(
                "SELECT id, body FROM resources WHERE project_id = ?1 AND kind = ?2 AND id IN ({})",
                ids.join(", ")
            );
            statements.push((sql, args));
        }
        if !groups.is_empty() {
            let mut args: Vec<Arg<'_>> = vec![project.into()];
            let groups_in: Vec<String> = groups.iter().map(|id| next(&mut args, (*id).into())).collect();
            let kinds_in: Vec<String> = member_kinds.iter().map(|kind| next(&mut args, (*kind).into())).collect();
            let sql = format!(
                "SELECT body, id, server_group_id, kind FROM resources WHERE project_id = ?1 \
                 AND server_group_id IN ({}) AND kind IN ({}) ORDER BY seq",
                groups_in.join(", "),
                kinds_in.join(", ")
            );
            statements.push((sql, args));
        }
        if statements.is_empty() {
            return Ok(());
        }
        let together: Vec<(&str, Vec<Arg<'_>>)> =
            statements.iter().map(|(sql, args)| (sql.as_str(), args.clone())).collect();
        let mut answers = self.query_together(&together)?.into_iter();
        let mut bodies: HashMap<(String, String), String> = HashMap::new();
        for (kind, _) in &ids_by_kind {
            for row in answers.next().unwrap_or_default() {
                bodies.insert(((*kind).to_owned(), row.text(0)?), row.text(1)?);
            }
        }
        let mut lists: HashMap<(String, String), Vec<Row>> = HashMap::new();
        for row in answers.next().unwrap_or_default() {
            let (body, id, group, kind) = (row.text(0)?, row.text(1)?, row.text(2)?, row.text(3)?);
            lists.entry((group, kind)).or_default().push(Row(vec![Value::Text(body), Value::Text(id)]));
        }
        // Each read remembered with the rows it would have answered on its own.
        for read in wanted {
            let rows = match *read {
                ReadAhead::Resource { kind, id } => bodies
                    .remove(&(kind.to_owned(), id.to_owned()))
                    .map(|body| vec![Row(vec![Value::Text(body)])])
                    .unwrap_or_default(),
                ReadAhead::Members { kind, server_group_id } => {
                    lists.remove(&(server_group_id.to_owned(), kind.to_owned())).unwrap_or_default()
                }
            };
            let (sql, args) = key(project, read);
            self.remember(sql, &args, rows);
        }
        Ok(())
    }

    fn reads_ahead(&self) -> bool {
        self.remembers_reads()
    }

    fn refresh_statistics(&self) -> ApiResult<()> {
        self.batch("ANALYZE")
    }

    fn list_bodies(&self, project: &str, kind: &str, filter: &ListFilter) -> ApiResult<(Vec<String>, u64)> {
        let statements = list_statements(self.dialect(), project, kind, filter);
        let count = self.query_one(&statements.count, &statements.args)?.int(0)?;
        Ok((self.texts(&statements.page, &statements.page_args)?, count as u64))
    }

    fn count_resources(&self, project: &str, kind: &str) -> ApiResult<u64> {
        let count =
            self.query_one("SELECT count(*) FROM resources WHERE project_id = ?1 AND kind = ?2", args![project, kind])?;
        Ok(count.int(0)? as u64)
    }

    fn has_resources(&self) -> ApiResult<bool> {
        self.exists("SELECT 1 FROM resources LIMIT 1", &[])
    }

    fn in_use(&self, project: &str, by: InUse<'_>) -> ApiResult<bool> {
        let dialect = self.dialect();
        let (kind, condition, value) = match by {
            InUse::Server(id) => (
                "protected_instance",
                format!("({} = ?3 OR {} = ?3)", dialect.json_text("source_server"), dialect.json_text("target_server")),
                id,
            ),
            InUse::Disk(id) => ("replication", dialect.contains(&dialect.json_text("volume_ids"), "?3"), id),
        };
        let sql = format!("SELECT 1 FROM resources WHERE project_id = ?1 AND kind = ?2 AND {condition} LIMIT 1");
        self.exists(&sql, args![project, kind, value])
    }

    fn insert_job(&self, job: &NewJob<'_>) -> ApiResult<()> {
        self.execute_later(
            "INSERT INTO jobs (job_id, project_id, server_group_id, status, run_after, created, body, plan)
             VALUES (?1, ?2, ?3, 'INIT', ?4, ?4, ?5, ?6)",
            args![job.job_id, job.project_id, job.server_group_id, job.now, job.body.as_str(), job.plan.as_str()],
            None,
        )?;
        self.touched(JOB_KIND, job.project_id, job.job_id);
        Ok(())
    }

    fn job_body(&self, project: &str, job_id: &str) -> ApiResult<Option<String>> {
        self.text(JOB_BODY, args![job_id, project])
    }

    fn unfinished_job(&self, job_id: &str) -> ApiResult<Option<StoredJob>> {
        let row = self.query_opt(
            "SELECT body, plan, run_after FROM jobs WHERE job_id = ?1 AND status IN ('INIT', 'RUNNING')",
            args![job_id],
        )?;
        row.map(|row| Ok(StoredJob { body: row.text(0)?, plan: row.text(1)?, run_after: row.int(2)? })).transpose()
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
        self.execute_later(JOB_ADVANCE, args![job_id, project, status, run_after, body, plan], None)?;
        self.touched(JOB_KIND, project, job_id);
        Ok(())
    }

    fn recent_job_bodies(&self, server_group_id: &str, limit: u32) -> ApiResult<Vec<String>> {
        let sql = format!(
            "SELECT body FROM jobs WHERE server_group_id = ?1 ORDER BY created DESC, {} DESC LIMIT ?2",
            self.dialect().job_order()
        );
        self.texts(&sql, args![server_group_id, limit])
    }

    fn claim_due_jobs(&self, holder: &str, now: i64, until: i64, limit: u32) -> ApiResult<Vec<(String, i64)>> {
        let rows = self.query(&claim_statement(self.dialect()), args![holder, now, until, limit])?;
        rows.iter().map(|row| Ok((row.text(0)?, row.int(1)?))).collect()
    }

    fn take_job_claims(&self, holder: &str, claims: &[(String, i64)], now: i64) -> ApiResult<Vec<ClaimedJob>> {
        if claims.is_empty() {
            return Ok(Vec::new());
        }
        let mut args: Vec<Arg<'_>> = vec![holder.into(), now.into()];
        args.extend(claims.iter().map(|(job_id, _)| Arg::from(job_id.as_str())));
        args.extend(claims.iter().map(|(_, token)| Arg::from(*token)));
        let rows = self.query(&take_claims_statement(self.dialect(), claims.len()), &args)?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in rows {
            let stored = StoredJob { body: row.text(2)?, plan: row.text(3)?, run_after: row.int(4)? };
            claimed.push(ClaimedJob { job_id: row.text(0)?, status: row.text(1)?, stored });
        }
        // `RETURNING` keeps no order: the claims' own (oldest due first).
        claimed.sort_by_key(|job| claims.iter().position(|(job_id, _)| *job_id == job.job_id));
        Ok(claimed)
    }

    fn next_due(&self, before: i64) -> ApiResult<Option<i64>> {
        self.query_one(
            "SELECT min(CASE WHEN run_after > claim_until THEN run_after ELSE claim_until END) FROM jobs
             WHERE status IN ('INIT', 'RUNNING') AND run_after < ?1",
            args![before],
        )?
        .opt_int(0)
    }

    fn insert_failure_job(&self, id: &str, project: &str, server_group_id: Option<&str>, body: &str) -> ApiResult<()> {
        self.execute(
            "INSERT INTO failure_jobs (id, project_id, server_group_id, body) VALUES (?1, ?2, ?3, ?4)",
            args![id, project, server_group_id, body],
        )?;
        Ok(())
    }

    fn failure_job_bodies(&self, project: &str, server_group_id: Option<&str>) -> ApiResult<Vec<String>> {
        self.texts(
            "SELECT body FROM failure_jobs WHERE project_id = ?1 AND (?2 IS NULL OR server_group_id = ?2)
             ORDER BY seq DESC",
            args![project, server_group_id],
        )
    }

    fn delete_failure_jobs(&self, project: &str, which: FailureJobs<'_>) -> ApiResult<()> {
        let noted = match which {
            FailureJobs::One(id) => id,
            FailureJobs::OfGroup(group) => group,
            FailureJobs::All => "*",
        };
        self.touched("failure_job", project, noted);
        match which {
            FailureJobs::One(id) => {
                self.execute("DELETE FROM failure_jobs WHERE project_id = ?1 AND id = ?2", args![project, id])?
            }
            FailureJobs::OfGroup(group) => self.execute(
                "DELETE FROM failure_jobs WHERE project_id = ?1 AND server_group_id = ?2",
                args![project, group],
            )?,
            FailureJobs::All => self.execute("DELETE FROM failure_jobs WHERE project_id = ?1", args![project])?,
        };
        Ok(())
    }

    fn insert_fault(&self, project: &str, fault: &Fault) -> ApiResult<()> {
        self.touched("fault", project, &fault.step);
        self.execute(
            "INSERT INTO faults (project_id, server_group_id, step, error_code, fail_reason, remaining, raise_error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            args![
                project,
                &fault.server_group_id,
                fault.step.as_str(),
                fault.error_code.as_deref().unwrap_or_default(),
                fault.fail_reason.as_deref().unwrap_or_default(),
                fault.times,
                fault.raise_error
            ],
        )?;
        Ok(())
    }

    fn faults(&self, project: &str) -> ApiResult<Vec<Fault>> {
        let rows = self.query(
            "SELECT server_group_id, step, error_code, fail_reason, remaining, raise_error FROM faults
             WHERE project_id = ?1 AND remaining > 0 ORDER BY id",
            args![project],
        )?;
        rows.iter().map(fault_of).collect()
    }

    fn clear_faults(&self, project: &str) -> ApiResult<()> {
        self.touched("fault", project, "*");
        self.execute("DELETE FROM faults WHERE project_id = ?1", args![project])?;
        Ok(())
    }

    fn take_fault(&self, project: &str, step: &str, server_group_id: Option<&str>) -> ApiResult<Option<Fault>> {
        // The project's armed faults, read whole and picked from here: one read for every step of every job of a
        // worker's batch (the writer remembers it until a fault is taken), instead of one per step.
        let armed = self.query(
            "SELECT server_group_id, step, error_code, fail_reason, remaining, raise_error, id FROM faults
             WHERE project_id = ?1 AND remaining > 0 ORDER BY id",
            args![project],
        )?;
        let applies = |row: &Row| -> ApiResult<bool> {
            let group = row.opt_text(0)?;
            Ok(row.text(1)? == step && (group.is_none() || group.as_deref() == server_group_id))
        };
        let mut first = None;
        for row in armed {
            if applies(&row)? {
                first = Some(row);
                break;
            }
        }
        let Some(row) = first else { return Ok(None) };
        self.execute("UPDATE faults SET remaining = remaining - 1 WHERE id = ?1", args![row.int(6)?])?;
        Ok(Some(fault_of(&row)?))
    }

    fn domain_body(&self, id: &str) -> ApiResult<Option<String>> {
        self.text("SELECT body FROM domains WHERE id = ?1", args![id])
    }

    fn domain_bodies(&self) -> ApiResult<Vec<String>> {
        self.texts("SELECT body FROM domains ORDER BY id", &[])
    }

    fn put_domain(&self, id: &str, body: &str) -> ApiResult<()> {
        self.execute(
            "INSERT INTO domains (id, body) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            args![id, body],
        )?;
        Ok(())
    }

    fn put_session(&self, token_sha256: &str, expires: i64, now: i64) -> ApiResult<()> {
        self.touched("gateway_session", "", &token_sha256[..token_sha256.len().min(16)]);
        self.execute("DELETE FROM sessions WHERE expires <= ?1", args![now])?;
        self.execute(
            "INSERT INTO sessions (token_sha256, expires) VALUES (?1, ?2)
             ON CONFLICT (token_sha256) DO UPDATE SET expires = excluded.expires",
            args![token_sha256, expires],
        )?;
        Ok(())
    }

    fn session_valid(&self, token_sha256: &str, now: i64) -> ApiResult<bool> {
        self.exists("SELECT 1 FROM sessions WHERE token_sha256 = ?1 AND expires > ?2", args![token_sha256, now])
    }

    fn delete_session(&self, token_sha256: &str) -> ApiResult<()> {
        self.touched("gateway_session", "", &token_sha256[..token_sha256.len().min(16)]);
        self.execute("DELETE FROM sessions WHERE token_sha256 = ?1", args![token_sha256])?;
        Ok(())
    }

    fn login_failures(&self, client: &str) -> ApiResult<Option<(u32, i64)>> {
        let row =
            self.query_opt("SELECT failures, locked_until FROM login_failures WHERE client = ?1", args![client])?;
        row.map(|row| Ok((u32::try_from(row.int(0)?).unwrap_or(u32::MAX), row.int(1)?))).transpose()
    }

    fn put_login_failures(&self, client: &str, failures: u32, locked_until: i64, forget_before: i64) -> ApiResult<()> {
        self.execute("DELETE FROM login_failures WHERE locked_until < ?1", args![forget_before])?;
        self.execute(
            "INSERT INTO login_failures (client, failures, locked_until) VALUES (?1, ?2, ?3)
             ON CONFLICT (client) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until",
            args![client, failures, locked_until],
        )?;
        Ok(())
    }

    fn clear_login_failures(&self, client: &str) -> ApiResult<()> {
        self.execute("DELETE FROM login_failures WHERE client = ?1", args![client])?;
        Ok(())
    }

    fn claim_replay(&self, signature: &str, now: i64, expires: i64, stale_before: i64) -> ApiResult<ReplayClaim> {
        self.execute("DELETE FROM replays WHERE expires <= ?1", args![now])?;
        let found = self.query_opt(
            "SELECT claimed, status, content_type, body FROM replays WHERE signature = ?1",
            args![signature],
        )?;
        if let Some(row) = found {
            match row.opt_int(1)? {
                Some(status) => {
                    return Ok(ReplayClaim::Answered(ReplayAnswer {
                        status: u16::try_from(status).unwrap_or(500),
                        content_type: row.opt_text(2)?,
                        body: row.opt_bytes(3)?.unwrap_or_default(),
                    }))
                }
                None if row.int(0)? >= stale_before => return Ok(ReplayClaim::InFlight),
                None => {}
            }
        }
        self.execute(
            "INSERT INTO replays (signature, expires, claimed) VALUES (?1, ?2, ?3)
             ON CONFLICT (signature) DO UPDATE SET expires = excluded.expires, claimed = excluded.claimed,
                 status = NULL, content_type = NULL, body = NULL",
            args![signature, expires, now],
        )?;
        Ok(ReplayClaim::Claimed)
    }

    fn record_replay(&self, signature: &str, answer: Option<&ReplayAnswer>) -> ApiResult<()> {
        match answer {
            None => self.execute("DELETE FROM replays WHERE signature = ?1", args![signature])?,
            Some(answer) => self.execute(
                "UPDATE replays SET status = ?2, content_type = ?3, body = ?4 WHERE signature = ?1",
                args![signature, answer.status, &answer.content_type, answer.body.as_slice()],
            )?,
        };
        Ok(())
    }

    fn submitted_job(&self, project: &str, key: &str) -> ApiResult<Option<String>> {
        self.text("SELECT job_id FROM submissions WHERE project_id = ?1 AND key = ?2", args![project, key])
    }

    fn put_submission(&self, project: &str, key: &str, job_id: &str, now: i64, forget_before: i64) -> ApiResult<()> {
        self.execute("DELETE FROM submissions WHERE created < ?1", args![forget_before])?;
        self.execute(
            "INSERT INTO submissions (project_id, key, job_id, created) VALUES (?1, ?2, ?3, ?4)",
            args![project, key, job_id, now],
        )?;
        Ok(())
    }

    fn take_lease(&self, name: &str, holder: &str, now: i64, expires: i64) -> ApiResult<Option<i64>> {
        let found = self.query_opt("SELECT holder, token, expires FROM leases WHERE name = ?1", args![name])?;
        let found = found.map(|row| Ok::<_, ApiError>((row.text(0)?, row.int(1)?, row.int(2)?))).transpose()?;
        let token = match found {
            None => 1,
            Some((current, token, _)) if current == holder => token,
            Some((_, token, until)) if until < now => token + 1,
            Some(_) => return Ok(None),
        };
        self.execute(
            "INSERT INTO leases (name, holder, token, expires) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, token = excluded.token, expires = excluded.expires",
            args![name, holder, token, expires],
        )?;
        Ok(Some(token))
    }

    fn renew_lease(&self, name: &str, holder: &str, expires: i64) -> ApiResult<bool> {
        let renewed = self.execute(
            "UPDATE leases SET expires = ?3 WHERE name = ?1 AND holder = ?2 AND expires < ?3",
            args![name, holder, expires],
        )?;
        Ok(renewed > 0)
    }

    fn take_changes(&self) -> Vec<(String, String)> {
        self.take_noted()
    }

    fn insert_audit_event(&self, context: &AuditContext, changes: &[(String, String)], outcome: &str) -> ApiResult<()> {
        let about = if changes.is_empty() { &context.named[..] } else { changes };
        let mut resources: Vec<sdrs_core::wire::AuditResource> = Vec::new();
        for (kind, id) in about {
            let resource = sdrs_core::wire::AuditResource { kind: kind.clone(), id: id.clone() };
            if !resources.contains(&resource) {
                resources.push(resource);
            }
        }
        self.execute_later(
            "INSERT INTO audit_events (project_id, at, actor, address, request_id, operation, resources, detail, outcome)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            args![
                context.project.as_str(),
                context.at,
                context.actor.as_str(),
                &context.address,
                &context.request_id,
                context.operation.as_str(),
                serde_json::to_string(&resources)?.as_str(),
                &context.detail,
                outcome
            ],
            None,
        )
    }

    fn audit_events(&self, project: &str, query: &AuditQuery) -> ApiResult<Vec<sdrs_core::wire::AuditEvent>> {
        let resource = query.resource_id.as_ref().map(|id| format!("\"id\":{}", serde_json::Value::from(id.as_str())));
        let sql = format!(
            "SELECT seq, at, actor, address, request_id, operation, resources, detail, outcome FROM audit_events
             WHERE project_id = ?1 AND at >= ?2 AND at < ?3 AND (?4 IS NULL OR seq < ?4)
                 AND (?5 IS NULL OR {}) ORDER BY seq DESC LIMIT ?6",
            self.dialect().contains("resources", "?5")
        );
        let rows = self.query(
            &sql,
            args![project, query.since, query.until, Arg::Int(query.before), resource.as_deref(), query.limit],
        )?;
        rows.iter()
            .map(|row| {
                Ok(sdrs_core::wire::AuditEvent {
                    id: row.int(0)?.to_string(),
                    at: sdrs_core::timefmt::job_time(row.int(1)?),
                    actor: row.text(2)?,
                    address: row.opt_text(3)?,
                    request_id: row.opt_text(4)?,
                    operation: row.text(5)?,
                    resources: serde_json::from_str(&row.text(6)?)?,
                    detail: row.opt_text(7)?.and_then(|text| serde_json::from_str(&text).ok()),
                    outcome: row.text(8)?,
                })
            })
            .collect()
    }

    fn forget_audit_events(&self, before: i64) -> ApiResult<u64> {
        self.execute("DELETE FROM webhook_deliveries WHERE status <> 'pending' AND created < ?1", args![before])?;
        self.execute("DELETE FROM audit_events WHERE at < ?1", args![before])
    }

    fn put_webhook(&self, project: &str, webhook: &WebhookRow) -> ApiResult<()> {
        self.execute(
            "INSERT INTO webhooks (project_id, id, url, events, secret, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            args![
                project,
                webhook.id.as_str(),
                webhook.url.as_str(),
                serde_json::to_string(&webhook.events)?.as_str(),
                webhook.secret.as_str(),
                webhook.created
            ],
        )?;
        self.touched("webhook", project, &webhook.id);
        Ok(())
    }

    fn webhooks(&self, project: &str) -> ApiResult<Vec<WebhookRow>> {
        let rows = self.query(
            "SELECT id, url, events, secret, created FROM webhooks WHERE project_id = ?1 ORDER BY created, id",
            args![project],
        )?;
        rows.iter()
            .map(|row| {
                Ok(WebhookRow {
                    id: row.text(0)?,
                    url: row.text(1)?,
                    events: serde_json::from_str(&row.text(2)?)?,
                    secret: row.text(3)?,
                    created: row.int(4)?,
                })
            })
            .collect()
    }

    fn delete_webhook(&self, project: &str, id: &str) -> ApiResult<bool> {
        self.execute(
            "DELETE FROM webhook_deliveries WHERE project_id = ?1 AND webhook_id = ?2 AND status = 'pending'",
            args![project, id],
        )?;
        let deleted = self.execute("DELETE FROM webhooks WHERE project_id = ?1 AND id = ?2", args![project, id])?;
        if deleted > 0 {
            self.touched("webhook", project, id);
        }
        Ok(deleted > 0)
    }

    fn enqueue_delivery(
        &self,
        project: &str,
        webhook_id: &str,
        event_id: &str,
        event: &str,
        payload: &str,
        now: i64,
    ) -> ApiResult<()> {
        self.execute_later(
            "INSERT INTO webhook_deliveries (project_id, webhook_id, event_id, event, payload, created, status,
                 attempts, next_attempt, claim_until)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', 0, ?6, 0)",
            args![project, webhook_id, event_id, event, payload, now],
            None,
        )
    }

    fn claim_deliveries(&self, now: i64, until: i64, limit: u32) -> ApiResult<Vec<DueDelivery>> {
        let claimed = self.query(
            &format!(
                "UPDATE webhook_deliveries SET claim_until = ?2
                 WHERE seq IN (SELECT seq FROM webhook_deliveries WHERE status = 'pending' AND next_attempt <= ?1
                               AND claim_until < ?1 ORDER BY next_attempt LIMIT ?3{})
                 RETURNING seq",
                self.dialect().skip_locked()
            ),
            args![now, until, limit],
        )?;
        let mut due = Vec::new();
        for row in claimed {
            let found = self.query_opt(
                "SELECT d.seq, d.event_id, d.event, d.payload, d.created, d.attempts, w.url, w.secret
                 FROM webhook_deliveries d JOIN webhooks w ON w.project_id = d.project_id AND w.id = d.webhook_id
                 WHERE d.seq = ?1",
                args![row.int(0)?],
            )?;
            if let Some(row) = found {
                due.push(DueDelivery {
                    seq: row.int(0)?,
                    event_id: row.text(1)?,
                    event: row.text(2)?,
                    payload: row.text(3)?,
                    created: row.int(4)?,
                    attempts: u32::try_from(row.int(5)?).unwrap_or(u32::MAX),
                    url: row.text(6)?,
                    secret: row.text(7)?,
                });
            }
        }
        Ok(due)
    }

    fn record_delivery(&self, seq: i64, outcome: &DeliveryOutcome) -> ApiResult<()> {
        match outcome {
            DeliveryOutcome::Delivered { status } => self.execute(
                "UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, last_status = ?2,
                     last_error = NULL, claim_until = 0 WHERE seq = ?1",
                args![seq, *status],
            )?,
            DeliveryOutcome::Failed { status, error, next_attempt } => self.execute(
                "UPDATE webhook_deliveries SET status = ?2, attempts = attempts + 1, last_status = ?3, last_error = ?4,
                     next_attempt = ?5, claim_until = 0 WHERE seq = ?1",
                args![
                    seq,
                    if next_attempt.is_some() { "pending" } else { "abandoned" },
                    Arg::Int(status.map(i64::from)),
                    error.as_str(),
                    next_attempt.unwrap_or_default()
                ],
            )?,
        };
        Ok(())
    }

    fn deliveries(
        &self,
        project: &str,
        webhook_id: &str,
        limit: u32,
    ) -> ApiResult<Vec<sdrs_core::wire::WebhookDelivery>> {
        let rows = self.query(
            "SELECT event_id, event, status, attempts, created, last_status, last_error FROM webhook_deliveries
             WHERE project_id = ?1 AND webhook_id = ?2 ORDER BY seq DESC LIMIT ?3",
            args![project, webhook_id, limit],
        )?;
        rows.iter()
            .map(|row| {
                Ok(sdrs_core::wire::WebhookDelivery {
                    event_id: row.text(0)?,
                    event: row.text(1)?,
                    status: row.text(2)?,
                    attempts: u32::try_from(row.int(3)?).unwrap_or(u32::MAX),
                    created_at: sdrs_core::timefmt::job_time(row.int(4)?),
                    last_status: row.opt_int(5)?.and_then(|status| u16::try_from(status).ok()),
                    last_error: row.opt_text(6)?,
                })
            })
            .collect()
    }

    fn ping(&self) -> ApiResult<()> {
        self.query_one(PING, &[]).map(|_| ())
    }

    fn operating_facts(&self, now: i64) -> ApiResult<OperatingFacts> {
        let due = self.query_one(
            "SELECT count(*), coalesce(?1 - min(run_after), 0) FROM jobs
             WHERE status IN ('INIT', 'RUNNING') AND run_after <= ?1",
            args![now],
        )?;
        let runs = self.query(
            "SELECT status, count(*) FROM resources WHERE kind = ?1 GROUP BY status ORDER BY status",
            args![<sdrs_core::plan::run::PlanRun as super::Resource>::KIND],
        )?;
        let plan_runs: Vec<(String, u64)> =
            runs.iter().map(|row| Ok((row.text(0)?, row.int(1)? as u64))).collect::<ApiResult<_>>()?;
        let waiting = sdrs_core::plan::run::RunStatus::WaitingForGate.as_str();
        Ok(OperatingFacts {
            jobs_due: due.int(0)? as u64,
            oldest_due_millis: due.int(1)?,
            gates_waiting: plan_runs.iter().filter(|(status, _)| status == waiting).map(|(_, n)| n).sum(),
            plan_runs,
        })
    }

    fn is_empty(&self) -> ApiResult<bool> {
        self.query_one(
            "SELECT NOT EXISTS (SELECT 1 FROM resources) AND NOT EXISTS (SELECT 1 FROM jobs)
                 AND NOT EXISTS (SELECT 1 FROM failure_jobs) AND NOT EXISTS (SELECT 1 FROM domains)",
            &[],
        )?
        .bool(0)
    }

    fn dump(&self) -> ApiResult<Dump> {
        let resources = self.query(
            "SELECT project_id, kind, id, server_group_id, name, status, az, body FROM resources ORDER BY seq",
            &[],
        )?;
        let jobs = self.query(
            &format!(
                "SELECT job_id, project_id, server_group_id, status, run_after, created, body, plan FROM jobs
                 ORDER BY created, {}",
                self.dialect().job_order()
            ),
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
                .map(|row| {
                    Ok(DumpedResource {
                        project_id: row.text(0)?,
                        kind: row.text(1)?,
                        id: row.text(2)?,
                        server_group_id: row.opt_text(3)?,
                        name: row.text(4)?,
                        status: row.text(5)?,
                        az: row.opt_text(6)?,
                        body: row.text(7)?,
                    })
                })
                .collect::<ApiResult<_>>()?,
            jobs: jobs
                .iter()
                .map(|row| {
                    Ok(DumpedJob {
                        job_id: row.text(0)?,
                        project_id: row.text(1)?,
                        server_group_id: row.opt_text(2)?,
                        status: row.text(3)?,
                        run_after: row.int(4)?,
                        created: row.int(5)?,
                        body: row.text(6)?,
                        plan: row.text(7)?,
                    })
                })
                .collect::<ApiResult<_>>()?,
            failure_jobs: failure_jobs
                .iter()
                .map(|row| Ok((row.text(0)?, row.text(1)?, row.opt_text(2)?, row.text(3)?)))
                .collect::<ApiResult<_>>()?,
            faults: faults.iter().map(|row| Ok((row.text(6)?, fault_of(row)?))).collect::<ApiResult<_>>()?,
            domains: self
                .query("SELECT id, body FROM domains ORDER BY id", &[])?
                .iter()
                .map(|row| Ok((row.text(0)?, row.text(1)?)))
                .collect::<ApiResult<_>>()?,
            sessions: self
                .query("SELECT token_sha256, expires FROM sessions ORDER BY token_sha256", &[])?
                .iter()
                .map(|row| Ok((row.text(0)?, row.int(1)?)))
                .collect::<ApiResult<_>>()?,
        })
    }

    fn load(&self, dump: &Dump) -> ApiResult<()> {
        // Not noted for a cache: the target was empty, so nothing of it can be cached.
        for r in &dump.resources {
            self.execute(
                "INSERT INTO resources (project_id, kind, id, server_group_id, name, status, az, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                args![&r.project_id, &r.kind, &r.id, &r.server_group_id, &r.name, &r.status, &r.az, &r.body],
            )?;
        }
        for j in &dump.jobs {
            self.execute(
                "INSERT INTO jobs (job_id, project_id, server_group_id, status, run_after, created, body, plan)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                args![
                    &j.job_id,
                    &j.project_id,
                    &j.server_group_id,
                    &j.status,
                    j.run_after,
                    j.created,
                    &j.body,
                    &j.plan
                ],
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
            self.execute("INSERT INTO sessions (token_sha256, expires) VALUES (?1, ?2)", args![digest, *expires])?;
        }
        Ok(())
    }

    fn savepoint(&self, name: &'static str) -> ApiResult<()> {
        self.nested_savepoint(SavepointStep::Open, name)
    }

    fn release(&self, name: &'static str) -> ApiResult<()> {
        self.nested_savepoint(SavepointStep::Release, name)
    }

    fn rollback_to(&self, name: &'static str) -> ApiResult<()> {
        self.nested_savepoint(SavepointStep::RollBack, name)
    }
}
