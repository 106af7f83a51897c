//! The executor: drives every active run through the SDRS API, one short write at a time, so that a process killed
//! at any moment resumes each run where its last write left it.
//!
//! A round reads the run and lets the core `advance` it (which marks what to submit as `submitting`), stores it, and
//! only then sends; the answers are stored in a second write. A group found `submitting` by a later round was cut
//! off between the two: the executor looks at the group before anything is sent again (`resolve`).
//!
//! With several replicas on one database, one executor works at a time: the holder of the `plan-executor` lease.
//! Every write of a round renews it and is fenced by it (`fence`): a replica that lost the lease (paused past its
//! expiry, cut off from the database) writes nothing more, and another takes over once the lease expired.

use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use tokio::sync::Notify;

use sdrs_client::{Client, ClientError};
use sdrs_core::action::GroupAction;
use sdrs_core::guidance::{drill_login_rows, login_rows_after};
use sdrs_core::login::AfterOperation;
use sdrs_core::plan::evidence::ServerLogin;
use sdrs_core::plan::run::{GroupAt, GroupRunStatus, PlanRun, Resolution, RunStatus, SubmitOutcome};
use sdrs_core::plan::RunMode;
use sdrs_core::status::{DrillStatus, JobStatus, PriorityStation};
use sdrs_core::wire::{DisasterRecoveryDrill, Job};

use super::Orchestrator;
use crate::error::{ApiError, ApiResult};
use crate::store::{self, ListFilter, Store};
use crate::AppState;

/// The lease of the one executor that drives runs.
const LEASE: &str = "plan-executor";
/// How long the lease lasts without a renewal. A live holder renews it in the background (`RENEW_EVERY`) whatever its
/// rounds are waiting for (the gateway's upstream may take 30 s to answer); after a holder dies, its runs wait this
/// long, plus a poll interval, for another replica.
const LEASE_MILLIS: i64 = 10_000;
/// How often the holder renews the lease: several renewals fit in one lease, so a slow write does not lose it.
const RENEW_EVERY: Duration = Duration::from_millis(2_500);

/// This replica no longer holds the executor's lease: its round stops, writing nothing.
#[derive(Debug, thiserror::Error)]
#[error("the plan executor's lease is held by another replica")]
pub struct LeaseLost;

/// Renews the lease inside a write, or refuses the write if this replica lost it.
fn fence(tx: &dyn Store, holder: &str, token: i64) -> ApiResult<()> {
    let now = crate::now_millis();
    match tx.take_lease(LEASE, holder, now, now + LEASE_MILLIS)? {
        Some(held) if held == token => Ok(()),
        _ => Err(ApiError::Internal(LeaseLost.into())),
    }
}

fn is_lease_lost(error: &ApiError) -> bool {
    matches!(error, ApiError::Internal(error) if error.downcast_ref::<LeaseLost>().is_some())
}

/// Requests to the service in flight at once, per run.
const CONCURRENCY: usize = 16;
/// Rounds per run and pass: enough to carry a run at time scale 0 through several stages in one pass.
const ROUNDS_PER_PASS: usize = 32;
/// The statuses in which a run has work: submitting, following jobs (paused ones still follow theirs).
const ACTIVE: [RunStatus; 3] = [RunStatus::Running, RunStatus::Paused, RunStatus::PausedOnFailure];

/// What a round learned from the service about one group.
enum Learned {
    Submitted(GroupAt, SubmitOutcome),
    Resolved(GroupAt, Resolution),
    Job(GroupAt, Box<Job>),
    Status(GroupAt, Option<bool>),
}

/// One pass over every active run of every project served, if this replica holds (or can take) the executor's
/// lease; returns how many runs changed.
pub async fn run_due(state: &AppState, orchestrator: &Orchestrator) -> ApiResult<usize> {
    let holder = state.replica.clone();
    let now = crate::now_millis();
    let taken = state.db.write(move |tx| tx.take_lease(LEASE, &holder, now, now + LEASE_MILLIS)).await?;
    let Some(token) = taken else { return Ok(0) };
    match drive_all(state, orchestrator, token).await {
        Err(error) if is_lease_lost(&error) => {
            tracing::info!("another replica took over the plan executor");
            Ok(0)
        }
        other => other,
    }
}

async fn drive_all(state: &AppState, orchestrator: &Orchestrator, token: i64) -> ApiResult<usize> {
    let mut changed = 0;
    for project in orchestrator.projects() {
        let project = project.to_owned();
        let filter = ListFilter {
            statuses: Some(ACTIVE.iter().map(|s| s.as_str().to_owned()).collect()),
            limit: 1000,
            ..ListFilter::default()
        };
        let scan = project.clone();
        let runs = state.db.call(move |store| store::list::<PlanRun>(store, &scan, &filter)).await?.0;
        let client = orchestrator.client(&project).expect("a project served has a client");
        for run in runs {
            changed += usize::from(drive(state, client, orchestrator.is_local(), &project, &run.id, token).await?);
        }
    }
    Ok(changed)
}

/// Carries one run as far as it goes now. Returns whether it changed.
async fn drive(
    state: &AppState,
    client: &Client,
    local: bool,
    project: &str,
    run_id: &str,
    token: i64,
) -> ApiResult<bool> {
    let mut changed = false;
    for _ in 0..ROUNDS_PER_PASS {
        let now = crate::now_millis();
        let (p, id, holder) = (project.to_owned(), run_id.to_owned(), state.replica.clone());
        let advanced = state
            .db
            .write(move |tx| {
                fence(tx, &holder, token)?;
                let Some(mut run) = store::get::<PlanRun>(tx, &p, &id)? else { return Ok(None) };
                let before = run.status;
                let work = run.advance(now);
                if work.changed {
                    store::update(tx, &p, &run)?;
                    crate::notify::run_changed(tx, &p, before, &run, now)?;
                }
                Ok(Some((work, run)))
            })
            .await?;
        let Some((work, run)) = advanced else { return Ok(changed) };
        changed |= work.changed;
        if run.status.is_final() {
            if run.logins.is_empty() && run.logins_note.is_none() {
                record_logins(state, client, project, &run).await?;
            }
            return Ok(true);
        }
        let run = Arc::new(run);
        let mut learned = Vec::new();
        for &at in &work.interrupted {
            if let Some(resolution) = resolve(client, local, &run, at).await {
                learned.push(Learned::Resolved(at, resolution));
            }
        }
        let submissions = stream::iter(work.submit.iter().copied())
            .map(|at| {
                let run = run.clone();
                async move { Learned::Submitted(at, submit(client, &run, at).await) }
            })
            .buffer_unordered(CONCURRENCY)
            .collect::<Vec<_>>()
            .await;
        learned.extend(submissions);
        let polls = stream::iter(work.poll.iter().cloned())
            .map(|(at, job_id)| {
                let run = run.clone();
                async move { poll(client, &run, at, &job_id).await.map(|job| Learned::Job(at, Box::new(job))) }
            })
            .buffer_unordered(CONCURRENCY)
            .filter_map(std::future::ready)
            .collect::<Vec<_>>()
            .await;
        learned.extend(polls);
        for &at in &work.observe {
            if let Some(outcome) = observe(client, &run, at).await {
                learned.push(Learned::Status(at, outcome));
            }
        }
        if learned.is_empty() {
            if !work.changed {
                return Ok(changed);
            }
            continue;
        }
        let (p, id, holder) = (project.to_owned(), run_id.to_owned(), state.replica.clone());
        let applied = state
            .db
            .write(move |tx| {
                fence(tx, &holder, token)?;
                let Some(mut run) = store::get::<PlanRun>(tx, &p, &id)? else { return Ok(false) };
                let now = crate::now_millis();
                let before = run.status;
                let mut changed = false;
                for item in learned {
                    match item {
                        Learned::Submitted(at, outcome) => {
                            run.submitted(at, outcome, now);
                            changed = true;
                        }
                        Learned::Resolved(at, resolution) => {
                            run.resolve_interrupted(at, resolution, now);
                            changed = true;
                        }
                        Learned::Job(at, job) => changed |= run.job_seen(at, &job, now),
                        Learned::Status(at, outcome) => changed |= run.status_seen(at, outcome, now),
                    }
                }
                if changed {
                    store::update(tx, &p, &run)?;
                    crate::notify::run_changed(tx, &p, before, &run, now)?;
                }
                Ok(changed)
            })
            .await?;
        changed |= applied;
        if !applied && !work.changed {
            return Ok(changed);
        }
    }
    Ok(changed)
}

/// Sends one group's action, as the run's mode says.
async fn submit(client: &Client, run: &PlanRun, at: GroupAt) -> SubmitOutcome {
    let group = run.group(at);
    let id = group.server_group_id.as_str();
    // The service accepts a keyed submission once, in the transaction that would accept it: the fence of the send
    // itself, should this replica lose its lease while the request is on the way and another one send it again.
    let key = run.submission_key(at);
    let key = Some(key.as_str());
    let answer = match run.options.mode {
        RunMode::Failover => client.action(id, GroupAction::Failover, key).await,
        RunMode::PlannedFailover => {
            let priority_station = run.options.priority_station.unwrap_or(PriorityStation::Target);
            client.action(id, GroupAction::Reverse { priority_station }, key).await
        }
        RunMode::Drill => client.create_drill(id, &run.drill_name(at), group.drill_vpc_id.as_deref(), key).await,
        RunMode::DrillCleanup => match &group.disaster_recovery_drill_id {
            Some(drill) => client.delete_drill(drill, key).await,
            None => return SubmitOutcome::Refused { code: "PLAN.0400".into(), message: "no drill to delete".into() },
        },
    };
    match answer {
        Ok(job_id) => SubmitOutcome::Accepted { job_id },
        Err(ClientError::Api { code, message, .. }) => SubmitOutcome::Refused { code, message },
        Err(other) => SubmitOutcome::NoAnswer { reason: other.to_string() },
    }
}

/// Reads a job; a drill job that does not name its drill is completed with the drill found by the run's name for it.
async fn poll(client: &Client, run: &PlanRun, at: GroupAt, job_id: &str) -> Option<Job> {
    let mut job = match client.job(job_id).await {
        Ok(job) => job,
        Err(error) => {
            tracing::warn!(run = run.id, job_id, error = %error, "could not read a plan run's job; retried next round");
            return None;
        }
    };
    if run.options.mode == RunMode::Drill
        && job.status == JobStatus::Success
        && job.entities.disaster_recovery_drill_id.is_none()
    {
        let drill = find_drill(client, run, at).await.ok().flatten();
        job.entities.disaster_recovery_drill_id = drill.map(|d| d.id);
    }
    Some(job)
}

/// The DR drill this run made (or deletes) for a group, looked up at the service.
async fn find_drill(client: &Client, run: &PlanRun, at: GroupAt) -> Result<Option<DisasterRecoveryDrill>, ClientError> {
    let group = run.group(at);
    let drills = client.drills_of(&group.server_group_id).await?;
    let name = run.drill_name(at);
    Ok(drills.into_iter().find(|d| match &group.disaster_recovery_drill_id {
        Some(id) => &d.id == id,
        None => d.name == name,
    }))
}

/// Looks at a group whose submission was cut off: did the service get it? `None`: the service could not be read
/// (asked again next round).
async fn resolve(client: &Client, local: bool, run: &PlanRun, at: GroupAt) -> Option<Resolution> {
    let group = run.group(at);
    let not_there = |what: String| {
        if local {
            Resolution::NotAccepted
        } else {
            Resolution::Unknown { reason: what }
        }
    };
    match run.options.mode {
        RunMode::Failover | RunMode::PlannedFailover => {
            let status = match client.group(&group.server_group_id).await {
                Ok(found) => found.status,
                Err(ClientError::Api { code, message, .. }) => {
                    return Some(Resolution::Unknown { reason: format!("the group cannot be read: {code} {message}") })
                }
                Err(_) => return None,
            };
            let intent = sdrs_core::plan::check::intent_of(&run.options)?;
            if intent.operation().transition().accepts(status) {
                Some(not_there(format!("the group is still `{status}`, but the action may yet reach the service")))
            } else {
                Some(Resolution::Accepted { disaster_recovery_drill_id: None })
            }
        }
        RunMode::Drill => match find_drill(client, run, at).await {
            Ok(Some(drill)) => Some(Resolution::Accepted { disaster_recovery_drill_id: Some(drill.id) }),
            Ok(None) => Some(not_there("no drill of this run's name exists yet".to_owned())),
            Err(ClientError::NoAnswer { .. }) => None,
            Err(error) => Some(Resolution::Unknown { reason: error.to_string() }),
        },
        RunMode::DrillCleanup => match find_drill(client, run, at).await {
            Ok(None) => Some(Resolution::Accepted { disaster_recovery_drill_id: None }),
            Ok(Some(drill)) if drill.status == DrillStatus::Deleting => {
                Some(Resolution::Accepted { disaster_recovery_drill_id: None })
            }
            Ok(Some(drill)) => Some(not_there(format!("the drill is still `{}`", drill.status))),
            Err(ClientError::NoAnswer { .. }) => None,
            Err(error) => Some(Resolution::Unknown { reason: error.to_string() }),
        },
    }
}

/// For a group followed by its status: whether its operation ended (`Some(Some(true))` succeeded).
async fn observe(client: &Client, run: &PlanRun, at: GroupAt) -> Option<Option<bool>> {
    match run.options.mode {
        RunMode::Failover | RunMode::PlannedFailover => {
            let group = client.group(&run.group(at).server_group_id).await.ok()?;
            Some(run.outcome_of_group_status(group.status))
        }
        RunMode::Drill => {
            let drill = find_drill(client, run, at).await.ok()?;
            Some(drill.and_then(|d| match d.status {
                DrillStatus::Available => Some(true),
                DrillStatus::Error => Some(false),
                _ => None,
            }))
        }
        RunMode::DrillCleanup => {
            let drill = find_drill(client, run, at).await.ok()?;
            Some(match drill {
                None => Some(true),
                Some(d) if d.status == DrillStatus::ErrorDeleting => Some(false),
                Some(_) => None,
            })
        }
    }
}

/// After the run: for every server of every group that succeeded, which credential logs in now (the core's engine,
/// with each server's profile as ECS and IMS give it; where they do not tell a fact, every case is answered).
async fn record_logins(state: &AppState, client: &Client, project: &str, run: &PlanRun) -> ApiResult<()> {
    let mut logins = Vec::new();
    let mode = run.options.mode;
    let note = if mode == RunMode::DrillCleanup {
        "A drill cleanup changes no server's login.".to_owned()
    } else {
        for (at, group) in run.groups() {
            if group.status != GroupRunStatus::Succeeded {
                continue;
            }
            let Ok(snapshot) = client.snapshot(&group.server_group_id).await else { continue };
            let drill = snapshot
                .disaster_recovery_drills
                .iter()
                .find(|d| Some(&d.id) == run.group(at).disaster_recovery_drill_id.as_ref());
            let mut ids: Vec<String> = snapshot
                .protected_instances
                .iter()
                .flat_map(|i| [i.source_server.clone(), i.target_server.clone()])
                .collect();
            ids.extend(drill.iter().flat_map(|d| d.drill_servers.iter().map(|s| s.drill_server_id.clone())));
            let profiles = client.server_profiles(&ids).await;
            let rows = match mode {
                RunMode::Drill => drill.map(|d| drill_login_rows(&snapshot, d, &profiles)).unwrap_or_default(),
                _ => {
                    let after = if mode == RunMode::Failover {
                        AfterOperation::Failover
                    } else {
                        AfterOperation::PlannedFailover
                    };
                    login_rows_after(&snapshot, &profiles, after)
                }
            };
            logins.extend(rows.iter().map(|row| ServerLogin::from_row(&group.server_group_id, row)));
        }
        let sources = "From each server's profile as ECS and IMS give it; a fact they do not tell is answered for \
                       every case it could have.";
        match mode {
            RunMode::Drill => format!("For the drill servers. {sources}"),
            _ => format!(
                "Assumed to be each group's first failover where production is now at `target` (as after every first \
                 failover, Table 1), and a later one where it is back at `source`. {sources}"
            ),
        }
    };
    let (p, id) = (project.to_owned(), run.id.clone());
    state
        .db
        .write(move |tx| {
            let Some(mut run) = store::get::<PlanRun>(tx, &p, &id)? else { return Ok(()) };
            run.logins = logins;
            run.logins_note = Some(note);
            store::update(tx, &p, &run)
        })
        .await
}

/// How often the executor looks at running jobs: a third of a job step at the server's time scale, between 20 ms and
/// 2 s; 2 s against a real SDRS, whose jobs take minutes.
pub fn poll_interval(state: &AppState) -> Duration {
    if state.gateway.is_some() {
        return Duration::from_secs(2);
    }
    let millis = crate::jobs::STEP_MILLIS as f64 * state.config.time_scale / 3.0;
    Duration::from_millis(millis.clamp(20.0, 2000.0) as u64)
}

/// The background executor: a pass, then a pause until the next poll or a wake-up (a run started or commanded).
pub async fn worker(state: AppState, wake: Arc<Notify>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let orchestrator = Orchestrator::for_state(&state);
    let interval = poll_interval(&state);
    let renewing = tokio::spawn(renew(state.clone()));
    let _stop_renewing = AbortOnDrop(renewing);
    loop {
        if let Err(error) = run_due(&state, &orchestrator).await {
            tracing::error!(error = %error, "the plan executor could not reach the database; retrying");
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Aborts a task when dropped: the renewal stops with the worker.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Renews this replica's lease every `RENEW_EVERY` while it holds it (`Store::renew_lease` extends only a lease this
/// replica still holds). Paused with the process, so a replica that is frozen or cut off loses the lease on time.
async fn renew(state: AppState) {
    loop {
        tokio::time::sleep(RENEW_EVERY).await;
        let holder = state.replica.clone();
        let renewed =
            state.db.write(move |tx| tx.renew_lease(LEASE, &holder, crate::now_millis() + LEASE_MILLIS)).await;
        if let Err(error) = renewed {
            tracing::warn!(error = %error, "the plan executor's lease could not be renewed");
        }
    }
}
