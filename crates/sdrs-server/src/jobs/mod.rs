//! Asynchronous jobs as database rows: submitted in the caller's transaction, advanced step by step by the worker.
//!
//! A job's plan names its steps (reported as `sub_jobs`). The worker commits each step, so a process killed at any
//! moment resumes the job where it stopped when it starts again; nothing is left `RUNNING` for good.

pub mod kind;
pub mod kinds;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use sdrs_core::status::JobStatus;
use sdrs_core::timefmt::{job_time, UnixMillis};
use sdrs_core::wire::{FailureJob, Job, JobEntities, ServerGroup};
use sdrs_core::ErrorCode;

use crate::error::{ApiError, ApiResult};
use crate::store::{from_json, is_database_failure, ClaimedJob, Db, NewJob, Resource, Store, StoredJob};

pub use kind::{member_status_on_create, AnyJobKind, JobKind, Step};

/// How long one step takes at time scale 1.
pub const STEP_MILLIS: u64 = 3000;

/// What the worker follows for one job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepPlan {
    pub kind: AnyJobKind,
    /// An unknown step name in a stored plan fails the plan's decoding, and so the job, instead of doing nothing.
    pub steps: Vec<Step>,
    /// Index of the step running now (or next to start when the job is `INIT`).
    pub next_step: usize,
    /// How long each step takes, already scaled.
    pub step_millis: u64,
    pub project_id: String,
}

/// A job to submit: what it reports (its group is `entities.server_group_id`) and what it does.
pub struct Submission {
    pub job_type: &'static str,
    pub entities: JobEntities,
    pub kind: AnyJobKind,
}

/// Inserts a job in the caller's transaction; it becomes durable with the caller's state change.
pub fn submit(
    tx: &dyn Store,
    project_id: &str,
    submission: Submission,
    time_scale: f64,
    now: UnixMillis,
) -> ApiResult<String> {
    let Submission { job_type, entities, kind } = submission;
    let server_group_id = entities.server_group_id.clone();
    let server_group_id = server_group_id.as_deref();
    // Time-ordered (UUIDv7: a millisecond prefix, then 74 random bits), so that a batch of new jobs lands on the last
    // page of the job-id index instead of one random page each; as unguessable as a v4 id for another project.
    let job_id = uuid::Uuid::now_v7().simple().to_string();
    let steps: Vec<Step> = kind.job().steps().to_vec();
    let sub_jobs = steps
        .iter()
        .map(|step| Job {
            job_id: uuid::Uuid::new_v4().simple().to_string(),
            job_type: step.as_str().to_owned(),
            status: JobStatus::Init,
            entities: JobEntities { server_group_id: server_group_id.map(str::to_owned), ..JobEntities::default() },
            begin_time: None,
            end_time: None,
            error_code: None,
            fail_reason: None,
        })
        .collect();
    let job = Job {
        job_id: job_id.clone(),
        job_type: job_type.to_owned(),
        status: JobStatus::Init,
        entities: JobEntities { sub_jobs: Some(sub_jobs), ..entities },
        begin_time: None,
        end_time: None,
        error_code: None,
        fail_reason: None,
    };
    let step_millis = (STEP_MILLIS as f64 * time_scale.max(0.0)).round() as u64;
    let plan = StepPlan { kind, steps, next_step: 0, step_millis, project_id: project_id.to_owned() };
    tx.insert_job(&NewJob {
        job_id: &job_id,
        project_id,
        server_group_id,
        now,
        body: serde_json::to_string(&job)?,
        plan: serde_json::to_string(&plan)?,
    })?;
    Ok(job_id)
}

/// Reads a job of the project.
pub fn get(store: &dyn Store, project_id: &str, job_id: &str) -> ApiResult<Option<Job>> {
    store.job_body(project_id, job_id)?.map(|body| from_json(&body)).transpose()
}

/// The most recent jobs of a group, newest first.
pub fn recent_for_group(store: &dyn Store, server_group_id: &str, limit: u32) -> ApiResult<Vec<Job>> {
    store.recent_job_bodies(server_group_id, limit)?.iter().map(|body| from_json(body)).collect()
}

/// Advances one job as far as `now` allows, inside the caller's transaction. Returns whether it changed.
///
/// A step that raises an error (a bug, a resource that vanished) is not retried forever: that step's changes are
/// rolled back to its savepoint and the job ends `FAIL` with its failure code, its resources in their `error-*`
/// statuses (see `advance_steps`). Should even that fail, the job's changes are rolled back and its row alone is
/// marked `FAIL`. Only an error of the database itself (busy, I/O, full, read-only) is returned, for the worker to
/// retry; it never leaves the job or any other job stuck behind it.
pub fn advance(tx: &dyn Store, job_id: &str, now: UnixMillis) -> ApiResult<bool> {
    advance_noting(tx, job_id, now, &mut Vec::new())
}

/// A job that ended, for what follows its commit (the metrics).
#[derive(Debug, Clone)]
pub struct Finished {
    pub job_type: String,
    pub status: JobStatus,
    /// From its submission (its id's time) to its end.
    pub seconds: f64,
    /// Each step that ran: its type, its status and how long it took (from its begin to its end time).
    pub steps: Vec<(String, JobStatus, f64)>,
}

/// The steps of a job that began and ended, with their durations.
fn step_times(job: &Job) -> Vec<(String, JobStatus, f64)> {
    let seconds = |step: &Job| {
        let begin = sdrs_core::timefmt::parse_job_time(step.begin_time.as_deref()?)?;
        let end = sdrs_core::timefmt::parse_job_time(step.end_time.as_deref()?)?;
        Some((end - begin).max(0) as f64 / 1000.0)
    };
    let steps = job.entities.sub_jobs.iter().flatten();
    steps.filter_map(|step| Some((step.job_type.clone(), step.status, seconds(step)?))).collect()
}

/// `advance`, noting in `finished` the job if it ended. Its end is announced in the same transaction
/// (`notify::job_ended`: the webhooks' outbox).
pub fn advance_noting(tx: &dyn Store, job_id: &str, now: UnixMillis, finished: &mut Vec<Finished>) -> ApiResult<bool> {
    let stored = tx.unfinished_job(job_id)?;
    advance_stored(tx, job_id, stored, now, finished)
}

/// `advance_noting` of a job already read: `stored` is its row if it is unfinished.
fn advance_stored(
    tx: &dyn Store,
    job_id: &str,
    stored: Option<StoredJob>,
    now: UnixMillis,
    finished: &mut Vec<Finished>,
) -> ApiResult<bool> {
    tx.savepoint("advance_job")?;
    let mut ended = None;
    let advanced = match advance_steps(tx, stored, now, &mut ended) {
        Ok(changed) => Ok(changed),
        Err(error) if is_database_failure(&error) => Err(error),
        Err(error) => {
            tx.rollback_to("advance_job")?;
            tracing::error!(job_id, error = %format!("{error:#}"), "a failed job could not be recorded in full");
            mark_failed(tx, job_id, &error, now, &mut ended).map(|()| true)
        }
    };
    let advanced = match (advanced, ended) {
        (Ok(changed), Some((job, project))) => crate::notify::job_ended(tx, &project, &job, now).map(|()| {
            finished.push(Finished {
                job_type: job.job_type.clone(),
                status: job.status,
                seconds: submitted_at(&job.job_id).map_or(0.0, |at| (now - at).max(0) as f64 / 1000.0),
                steps: step_times(&job),
            });
            changed
        }),
        (advanced, _) => advanced,
    };
    match advanced {
        Ok(changed) => {
            tx.release("advance_job")?;
            Ok(changed)
        }
        Err(error) => {
            tx.rollback_to("advance_job")?;
            tx.release("advance_job")?;
            Err(error)
        }
    }
}

fn load_unfinished(tx: &dyn Store, job_id: &str) -> ApiResult<Option<(Job, StepPlan, i64)>> {
    tx.unfinished_job(job_id)?.map(|stored| parse_stored(&stored)).transpose()
}

fn parse_stored(stored: &StoredJob) -> ApiResult<(Job, StepPlan, i64)> {
    Ok((from_json(&stored.body)?, from_json(&stored.plan)?, stored.run_after))
}

fn store_job(tx: &dyn Store, job: &Job, plan: &StepPlan, next_run: UnixMillis) -> ApiResult<()> {
    let (body, plan_text) = (serde_json::to_string(job)?, serde_json::to_string(plan)?);
    tx.update_job(&plan.project_id, &job.job_id, job.status.as_str(), next_run, &body, &plan_text)
}

/// When a job was submitted: its id is a UUIDv7, whose first 48 bits are the Unix milliseconds.
fn submitted_at(job_id: &str) -> Option<i64> {
    let id = uuid::Uuid::parse_str(job_id).ok()?;
    let (seconds, nanos) = id.get_timestamp()?.to_unix();
    Some(seconds as i64 * 1000 + i64::from(nanos / 1_000_000))
}

/// Runs the due steps of one job, each in a savepoint of its own; sets `ended` to the job and its project if it
/// ended.
fn advance_steps(
    tx: &dyn Store,
    stored: Option<StoredJob>,
    now: UnixMillis,
    ended: &mut Option<(Job, String)>,
) -> ApiResult<bool> {
    let Some((mut job, mut plan, run_after)) = stored.as_ref().map(parse_stored).transpose()? else { return Ok(false) };
    if run_after > now {
        return Ok(false);
    }
    let mut next_run = now;
    loop {
        if job.status == JobStatus::Init {
            job.status = JobStatus::Running;
            job.begin_time = Some(job_time(now));
            start_sub_job(&mut job, plan.next_step, now);
            if plan.step_millis > 0 {
                next_run = now + plan.step_millis as i64;
                break;
            }
        }
        // The current step has run its time: apply it, unless a fault was injected for it.
        let step = plan.steps[plan.next_step];
        tx.savepoint("job_step")?;
        let last = plan.next_step + 1 == plan.steps.len();
        match run_step(tx, &plan, &mut job, step, last, now) {
            Ok(outcome) => {
                tx.release("job_step")?;
                if let StepOutcome::Failed { code, reason } = outcome {
                    fail_job(tx, &plan, &mut job, code, reason, now)?;
                    break;
                }
            }
            Err(error) if is_database_failure(&error) => return Err(error),
            Err(error) => {
                tx.rollback_to("job_step")?;
                tx.release("job_step")?;
                let detail = match &error {
                    ApiError::Internal(error) => format!("{error:#}"),
                    other => other.to_string(),
                };
                tracing::warn!(job_id = job.job_id, step = step.as_str(), error = %detail, "a job step raised an error; the job fails");
                let reason = format!("step {step} could not run: {detail}");
                fail_job(tx, &plan, &mut job, plan.kind.job().failure_code(), reason, now)?;
                break;
            }
        }
        finish_sub_job(&mut job, plan.next_step, JobStatus::Success, now);
        plan.next_step += 1;
        if last {
            job.status = JobStatus::Success;
            job.end_time = Some(job_time(now));
            break;
        }
        start_sub_job(&mut job, plan.next_step, now);
        if plan.step_millis > 0 {
            next_run = now + plan.step_millis as i64;
            break;
        }
    }
    store_job(tx, &job, &plan, next_run)?;
    if matches!(job.status, JobStatus::Success | JobStatus::Fail) {
        *ended = Some((job, plan.project_id));
    }
    Ok(true)
}

enum StepOutcome {
    Done,
    /// The step reported a failure (an injected fault), as a cloud service would.
    Failed {
        code: ErrorCode,
        reason: String,
    },
}

/// One step's effects; the last step's include the job's success, so an error there is the step's too.
fn run_step(
    tx: &dyn Store,
    plan: &StepPlan,
    job: &mut Job,
    step: Step,
    last: bool,
    now: UnixMillis,
) -> ApiResult<StepOutcome> {
    let kind = plan.kind.job();
    if !kind.steps().contains(&step) {
        return Err(ApiError::Internal(anyhow::anyhow!("`{step}` is not a step of this job")));
    }
    match take_fault(tx, plan, step)? {
        Some(InjectedFault::Failure { code, reason }) => return Ok(StepOutcome::Failed { code, reason }),
        Some(InjectedFault::Error { reason }) => return Err(ApiError::Internal(anyhow::anyhow!(reason))),
        None => {}
    }
    let cx = kind::Cx { tx, project: &plan.project_id, now };
    kind.on_step(&cx, step)?;
    if last {
        kind.on_success(&cx, job)?;
    }
    Ok(StepOutcome::Done)
}

/// Ends a job as `FAIL` at its current step: error statuses, the task-centre entry, the failed sub-job.
fn fail_job(
    tx: &dyn Store,
    plan: &StepPlan,
    job: &mut Job,
    code: ErrorCode,
    reason: String,
    now: UnixMillis,
) -> ApiResult<()> {
    record_failure(tx, plan, job, code, &reason, now)?;
    finish_sub_job(job, plan.next_step, JobStatus::Fail, now);
    job.status = JobStatus::Fail;
    job.end_time = Some(job_time(now));
    job.error_code = Some(code.as_str().to_owned());
    job.fail_reason = Some(reason);
    Ok(())
}

/// Applies a job's failure (its kind marks what still exists) and adds the task centre's entry, which names a
/// resource that is gone by the id the job had.
fn record_failure(
    tx: &dyn Store,
    plan: &StepPlan,
    job: &Job,
    code: ErrorCode,
    reason: &str,
    now: UnixMillis,
) -> ApiResult<()> {
    let kind = plan.kind.job();
    let project = plan.project_id.as_str();
    let named = kind.on_failure(&kind::Cx { tx, project, now }, code)?;
    let (resource_id, resource_name) = named.unwrap_or_else(|| (kind.resource().1.to_owned(), String::new()));
    let (failure_status, resource_type) = kind.task_centre_labels();
    let failure = FailureJob {
        job_status: "FAIL".to_owned(),
        resource_id,
        resource_name,
        resource_type: resource_type.to_owned(),
        failure_status: failure_status.to_owned(),
        job_id: job.job_id.clone(),
        job_type: job.job_type.clone(),
        begin_time: job.begin_time.clone().unwrap_or_default(),
        error_code: Some(code.as_str().to_owned()),
        fail_reason: Some(reason.to_owned()),
    };
    // The task centre addresses a failure by its job's id.
    let group = plan.kind.server_group_id(tx, project)?;
    tx.insert_failure_job(&job.job_id, project, group.as_deref(), &serde_json::to_string(&failure)?)
}

/// The last resort when failing a job properly failed too: the job's row alone is marked `FAIL` (its resources keep
/// the statuses they had), so that it is never picked up again.
fn mark_failed(
    tx: &dyn Store,
    job_id: &str,
    error: &ApiError,
    now: UnixMillis,
    ended: &mut Option<(Job, String)>,
) -> ApiResult<()> {
    let Some((mut job, plan, _)) = load_unfinished(tx, job_id)? else { return Ok(()) };
    finish_sub_job(&mut job, plan.next_step, JobStatus::Fail, now);
    job.status = JobStatus::Fail;
    job.begin_time.get_or_insert_with(|| job_time(now));
    job.end_time = Some(job_time(now));
    job.error_code = Some(plan.kind.job().failure_code().as_str().to_owned());
    job.fail_reason = Some(format!("the job could not run: {error}"));
    store_job(tx, &job, &plan, now)?;
    *ended = Some((job, plan.project_id));
    Ok(())
}

fn sub_job(job: &mut Job, index: usize) -> Option<&mut Job> {
    job.entities.sub_jobs.as_mut().and_then(|subs| subs.get_mut(index))
}

fn start_sub_job(job: &mut Job, index: usize, now: UnixMillis) {
    if let Some(sub) = sub_job(job, index) {
        sub.status = JobStatus::Running;
        sub.begin_time = Some(job_time(now));
    }
}

fn finish_sub_job(job: &mut Job, index: usize, status: JobStatus, now: UnixMillis) {
    if let Some(sub) = sub_job(job, index) {
        sub.status = status;
        sub.end_time = Some(job_time(now));
    }
}

/// What an armed fault does to the step it catches.
enum InjectedFault {
    /// The step reports a failure with this code, as a cloud service would.
    Failure { code: ErrorCode, reason: String },
    /// The step raises an error, as a bug or a vanished resource would.
    Error { reason: String },
}

/// Consumes an injected fault for this job's group (or any group) and step, if one is armed.
fn take_fault(tx: &dyn Store, plan: &StepPlan, step: Step) -> ApiResult<Option<InjectedFault>> {
    let group = plan.kind.server_group_id(tx, &plan.project_id)?;
    let Some(fault) = tx.take_fault(&plan.project_id, step.as_str(), group.as_deref())? else { return Ok(None) };
    let (code, reason) = (fault.error_code.unwrap_or_default(), fault.fail_reason.unwrap_or_default());
    if fault.raise_error {
        let reason = if reason.is_empty() { format!("injected error at {step}") } else { reason };
        return Ok(Some(InjectedFault::Error { reason }));
    }
    let code = ErrorCode::parse(&code).unwrap_or_else(|| plan.kind.job().failure_code());
    let reason = if reason.is_empty() { format!("{step} failed: {}", code.message()) } else { reason };
    Ok(Some(InjectedFault::Failure { code, reason }))
}

/// Jobs advanced per write transaction: small, so API writes waiting for the lock are not held up for long.
const JOBS_PER_TRANSACTION: u32 = 64;

/// How long a claim on due jobs lasts: their advance follows at once, so this only bounds how long the jobs a
/// worker claimed just before it died wait for another worker.
const CLAIM_MILLIS: i64 = 5_000;

/// Runs every step that is due now, a few jobs per transaction. Each batch is claimed first (`Db::claim_due_jobs`),
/// so the workers of several replicas take different jobs, and each job is advanced only while its claim holds: a
/// worker that stalled past its claim writes nothing for that job. A job's own error fails that job only (see
/// `advance`); an error of the database aborts the batch and is returned.
pub async fn run_due(db: &Db, now: UnixMillis) -> ApiResult<usize> {
    run_due_noting(db, now, &mut Vec::new()).await
}

/// `run_due`, noting in `finished` every job that ended (once its batch committed).
pub async fn run_due_noting(db: &Db, now: UnixMillis, finished: &mut Vec<Finished>) -> ApiResult<usize> {
    let mut advanced = 0;
    loop {
        let batch = db.claim_due_jobs(now, crate::now_millis().max(now) + CLAIM_MILLIS, JOBS_PER_TRANSACTION).await?;
        if batch.is_empty() {
            return Ok(advanced);
        }
        let worker = db.worker().to_owned();
        let (count, ended) = db
            .write(move |tx| {
                let (mut count, mut ended) = (0, Vec::new());
                // The claims are checked at the time they were made for (`now` may be a test's later time) by the
                // statement that reads the jobs and holds them; each job's advance ends its claim. A database error
                // rolls back all of it.
                let claimed = tx.take_job_claims(&worker, &batch, now)?;
                read_groups_ahead(tx, &claimed)?;
                for claimed in claimed {
                    let unfinished = matches!(claimed.status.as_str(), "INIT" | "RUNNING");
                    let stored = unfinished.then_some(claimed.stored);
                    count += usize::from(advance_stored(tx, &claimed.job_id, stored, now, &mut ended)?);
                }
                Ok((count, ended))
            })
            .await?;
        finished.extend(ended);
        advanced += count;
        if count == 0 {
            return Ok(advanced);
        }
    }
}

/// Reads the groups the claimed unfinished jobs run on ahead, with their members and servers, a project at a time
/// (`resources::read_groups_ahead`): their steps then find them among the writer's remembered reads. A job that only
/// starts (`INIT`, its first step taking time) runs no step now and reads nothing. A plan that does not parse is left
/// to the job's own advance, which fails it.
fn read_groups_ahead(tx: &dyn Store, claimed: &[ClaimedJob]) -> ApiResult<()> {
    if !tx.reads_ahead() {
        return Ok(());
    }
    let mut groups: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for job in claimed.iter().filter(|job| matches!(job.status.as_str(), "INIT" | "RUNNING")) {
        let Ok(plan) = from_json::<StepPlan>(&job.stored.plan) else { continue };
        if job.status == "INIT" && plan.step_millis > 0 {
            continue;
        }
        let (kind, id) = plan.kind.job().resource();
        if kind == <ServerGroup as Resource>::KIND {
            groups.entry(plan.project_id).or_default().push(id.to_owned());
        }
    }
    for (project, ids) in &groups {
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        crate::resources::read_groups_ahead(tx, project, &ids)?;
    }
    Ok(())
}

/// The longest the worker sleeps between two passes when nothing wakes it (a job submitted here wakes it; one
/// submitted on another replica, or due later, waits for this at most).
const LONGEST_SLEEP_MILLIS: i64 = 1000;

/// How long the worker waits after its own error: doubling from half a second to half a minute.
fn backoff(failures: u32) -> Duration {
    Duration::from_millis(500u64.saturating_mul(1 << failures.min(6))).min(Duration::from_secs(30))
}

/// The background worker: advances due jobs, sleeping until the next is due or a new job is submitted. It returns
/// as soon as `shutdown` changes, between two batches (a batch is one short transaction).
pub async fn worker(state: crate::AppState, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let (db, wake): (Db, Arc<Notify>) = (state.db.clone(), state.jobs_wake.clone());
    let mut failures = 0u32;
    loop {
        let now = crate::now_millis();
        let mut finished = Vec::new();
        let ran = run_due_noting(&db, now, &mut finished).await;
        for job in finished {
            let labels = crate::ops::JobEndLabels { job_type: job.job_type, status: job.status.as_str().to_owned() };
            state.metrics.jobs_finished.get_or_create(&labels).inc();
            state.metrics.job_seconds.get_or_create(&labels).observe(job.seconds);
            for (step, status, seconds) in job.steps {
                let labels = crate::ops::JobEndLabels { job_type: step, status: status.as_str().to_owned() };
                state.metrics.step_seconds.get_or_create(&labels).observe(seconds);
            }
        }
        let wait = match ran {
            Ok(_) => {
                if failures > 0 {
                    tracing::info!("job worker recovered after {failures} failed attempt(s)");
                }
                failures = 0;
                let horizon = crate::now_millis() + LONGEST_SLEEP_MILLIS;
                match db.call(move |store| store.next_due(horizon)).await {
                    Ok(Some(at)) => {
                        Duration::from_millis((at - crate::now_millis()).clamp(1, LONGEST_SLEEP_MILLIS) as u64)
                    }
                    Ok(None) => Duration::from_millis(LONGEST_SLEEP_MILLIS as u64),
                    Err(_) => backoff(0),
                }
            }
            Err(error) => {
                let wait = backoff(failures);
                // Once per doubling, not twice a second: the log stays readable while the disk is full.
                tracing::error!(error = %error, retry_in_ms = wait.as_millis() as u64, "job worker could not reach the database");
                failures = failures.saturating_add(1);
                wait
            }
        };
        tokio::select! {
            _ = wake.notified(), if failures == 0 => {}
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// The error for a job id the project does not have.
pub fn not_found(job_id: &str) -> ApiError {
    ApiError::missing(sdrs_core::member_rules::Missing::Job, job_id)
}
