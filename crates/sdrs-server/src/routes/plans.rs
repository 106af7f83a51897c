//! Recovery plans and their runs: this tool's own extension of the API, under `/orchestration/v1/{project_id}`.
//!
//! Handlers parse with the core, take the groups' snapshots through the same client the executor uses, let the core
//! decide (`check_plan`, the run's commands), and store the result in one write.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::NoContent;
use axum::Json;
use futures_util::stream::{self, StreamExt};

use sdrs_client::ClientError;
use sdrs_core::list_query::ListKind;
use sdrs_core::plan::check::{check_plan, cleanup_targets, DrillRunRecord, PlanCheck};
use sdrs_core::plan::evidence::{evidence, Evidence};
use sdrs_core::plan::run::{CommandError, PlanRun};
use sdrs_core::plan::{PlanError, RecoveryPlan, RunMode, RunOptions, StartRunRequest, MAX_PLANS, MAX_RUNS_KEPT};
use sdrs_core::snapshot::SnapshotFacts;
use sdrs_core::timefmt::resource_time;
use sdrs_core::wire::{
    ConfirmGate, PlanBody, PlanList, PlanResource, PlanResponse, RunCommand, RunList, RunResponse, RunSummary,
};

use super::{Body, Created, Filters, Ids, ListOf, OptionalBody, Stored};
use crate::error::{ApiError, ApiResult};
use crate::plans::{client_of, Caller};
use crate::store::{self, ListFilter, Resource, Store};
use crate::AppState;

/// Who is calling, for a gate's record (set by the authentication middleware).
pub struct CallerOf(pub String);

impl<S: Send + Sync> FromRequestParts<S> for CallerOf {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let caller = parts.extensions.get::<Caller>().map_or_else(|| "unknown".to_owned(), |c| c.0.clone());
        Ok(CallerOf(caller))
    }
}

impl aide::OperationInput for CallerOf {}

fn plan_or_404(store: &dyn Store, project: &str, id: &str) -> ApiResult<PlanResource> {
    store::get(store, project, id)?.ok_or_else(|| ApiError::plan(&PlanError::PlanNotFound(id.to_owned())))
}

fn run_or_404(store: &dyn Store, project: &str, id: &str) -> ApiResult<PlanRun> {
    store::get(store, project, id)?.ok_or_else(|| ApiError::plan(&PlanError::RunNotFound(id.to_owned())))
}

/// The recovery-plan list.
pub struct Plans;

impl ListOf for Plans {
    const LIST: ListKind = ListKind::RecoveryPlans;
}

pub async fn list(
    State(state): State<AppState>,
    Ids(project): Ids<String>,
    Filters(query, _): Filters<Plans>,
) -> ApiResult<Stored<PlanList>> {
    let filter = super::list_filter(Plans::LIST, &query);
    let (recovery_plans, count) = super::list_page(&state, project, PlanResource::KIND, filter).await?;
    Ok(Stored::page("recovery_plans", &recovery_plans, count))
}

fn validated(plan: RecoveryPlan) -> ApiResult<RecoveryPlan> {
    plan.validate().map_err(|e| ApiError::plan(&e))?;
    Ok(plan)
}

pub async fn create(
    State(state): State<AppState>,
    Ids(project): Ids<String>,
    Body(body): Body<PlanBody>,
) -> ApiResult<Created<PlanResponse>> {
    let plan = validated(body.recovery_plan)?;
    let stamp = resource_time(crate::now_millis());
    let recovery_plan = PlanResource {
        id: uuid::Uuid::new_v4().to_string(),
        name: plan.name,
        description: plan.description,
        stages: plan.stages,
        created_at: stamp.clone(),
        updated_at: stamp,
        version: 1,
    };
    let stored = recovery_plan.clone();
    state
        .db
        .write(move |tx| {
            if tx.count_resources(&project, PlanResource::KIND)? >= MAX_PLANS {
                return Err(ApiError::plan(&PlanError::TooManyPlans));
            }
            store::insert(tx, &project, &stored)
        })
        .await?;
    Ok(Created(PlanResponse { recovery_plan }))
}

pub async fn show(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
) -> ApiResult<Json<PlanResponse>> {
    let recovery_plan = state.db.call(move |store| plan_or_404(store, &project, &id)).await?;
    Ok(Json(PlanResponse { recovery_plan }))
}

/// Replaces a plan's name, description and stages. Runs keep the plan as it was when they started.
pub async fn replace(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
    Body(body): Body<PlanBody>,
) -> ApiResult<Json<PlanResponse>> {
    let plan = validated(body.recovery_plan)?;
    let stamp = resource_time(crate::now_millis());
    let recovery_plan = state
        .db
        .write(move |tx| {
            let mut stored = plan_or_404(tx, &project, &id)?;
            (stored.name, stored.description, stored.stages) = (plan.name, plan.description, plan.stages);
            stored.updated_at = stamp;
            stored.version += 1;
            store::update(tx, &project, &stored)?;
            Ok(stored)
        })
        .await?;
    Ok(Json(PlanResponse { recovery_plan }))
}

/// The run of a plan that has not ended, if any.
fn active_run(store: &dyn Store, project: &str, plan_id: &str) -> ApiResult<Option<PlanRun>> {
    let runs: Vec<PlanRun> = store::members(store, project, plan_id)?;
    Ok(runs.into_iter().find(|r| !r.status.is_final()))
}

/// Deletes a plan that has no run under way. Its finished runs stay: they are the evidence.
pub async fn remove(State(state): State<AppState>, Ids((project, id)): Ids<(String, String)>) -> ApiResult<NoContent> {
    state
        .db
        .write(move |tx| {
            plan_or_404(tx, &project, &id)?;
            if let Some(run) = active_run(tx, &project, &id)? {
                return Err(ApiError::plan(&PlanError::RunActive(run.id)));
            }
            store::remove::<PlanResource>(tx, &project, &id)
        })
        .await?;
    Ok(NoContent)
}

/// The snapshots of the plan's groups, through the executor's client; a group that does not exist is left out.
async fn snapshots(state: &AppState, project: &str, plan: &RecoveryPlan) -> ApiResult<Vec<SnapshotFacts>> {
    let client = client_of(state, project).ok_or_else(|| {
        ApiError::plan(&PlanError::Blocked {
            count: 1,
            reasons: "this server has no credential for the project".into(),
        })
    })?;
    let mut ids: Vec<String> = plan.group_entries().map(|(_, g)| g.server_group_id.clone()).collect();
    ids.sort_unstable();
    ids.dedup();
    let answers = stream::iter(ids)
        .map(|id| {
            let client = client.clone();
            async move {
                let answer = client.snapshot(&id).await;
                (id, answer)
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    let mut found = Vec::new();
    for (id, answer) in answers {
        match answer {
            Ok(mut snapshot) => {
                let ids: Vec<String> = snapshot
                    .protected_instances
                    .iter()
                    .flat_map(|i| [i.source_server.clone(), i.target_server.clone()])
                    .collect();
                snapshot.set_servers_from(&client.server_profiles(&ids).await);
                found.push(snapshot.facts());
            }
            Err(ClientError::Api { code, .. }) if code == sdrs_core::member_rules::Missing::Group.code().as_str() => {}
            Err(error) => return Err(ApiError::upstream(format!("group `{id}` could not be read: {error}"))),
        }
    }
    Ok(found)
}

/// The plan's drill runs, for a cleanup.
fn drill_runs(store: &dyn Store, project: &str, plan_id: &str) -> ApiResult<Vec<DrillRunRecord>> {
    let runs: Vec<PlanRun> = store::members(store, project, plan_id)?;
    Ok(runs
        .iter()
        .filter(|r| r.options.mode == RunMode::Drill)
        .map(|r| DrillRunRecord { run_id: r.id.clone(), drills: r.drills_made() })
        .collect())
}

/// Reads the plan and what its check needs.
async fn gather_inputs(
    state: &AppState,
    project: &str,
    plan_id: &str,
) -> ApiResult<(PlanResource, Vec<SnapshotFacts>, Vec<DrillRunRecord>)> {
    let (p, id) = (project.to_owned(), plan_id.to_owned());
    let (plan, runs) =
        state.db.call(move |store| Ok((plan_or_404(store, &p, &id)?, drill_runs(store, &p, &id)?))).await?;
    let groups = snapshots(state, project, &plan.plan()).await?;
    Ok((plan, groups, runs))
}

/// The plan check for a run with these options: every finding and the simulated timeline. Nothing is changed.
pub async fn check(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
    Body(options): Body<RunOptions>,
) -> ApiResult<Json<PlanCheck>> {
    options.validate().map_err(|e| ApiError::plan(&e))?;
    let (plan, groups, runs) = gather_inputs(&state, &project, &id).await?;
    Ok(Json(check_plan(&plan.plan(), &options, &groups, &runs)))
}

/// Starts a run once the operator typed the plan's name and the check finds nothing blocking.
pub async fn start(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
    Body(request): Body<StartRunRequest>,
) -> ApiResult<Created<RunResponse>> {
    let (stored, groups, runs) = gather_inputs(&state, &project, &id).await?;
    let options = request.accept(&stored.name, stored.version).map_err(|e| ApiError::plan(&e))?;
    let plan = stored.plan();
    let check = check_plan(&plan, &options, &groups, &runs);
    if let Some(refusal) = check.refusal() {
        return Err(ApiError::plan(&refusal));
    }
    let cleanup = match &options.drill_run_id {
        Some(run_id) => runs.iter().find(|r| &r.run_id == run_id).map(|r| cleanup_targets(r, &groups)),
        None => None,
    }
    .unwrap_or_default();
    let now = crate::now_millis();
    let run_id = uuid::Uuid::now_v7().simple().to_string();
    let run = PlanRun::new(run_id, stored.id.clone(), plan, options, check, &cleanup, now);
    let stored_run = run.clone();
    state
        .db
        .write(move |tx| {
            // Checked again in the write: the single writer makes check-then-insert atomic.
            if let Some(active) = active_run(tx, &project, &id)? {
                return Err(ApiError::plan(&PlanError::RunActive(active.id)));
            }
            // The plan as confirmed, in the same write: a replacement since the check is refused, not run.
            let current = plan_or_404(tx, &project, &id)?;
            if current.version != request.plan_version {
                let changed = PlanError::PlanChanged { confirmed: request.plan_version, now: current.version };
                return Err(ApiError::plan(&changed));
            }
            store::insert(tx, &project, &stored_run)?;
            forget_old_runs(tx, &project, &id)
        })
        .await?;
    state.plans_wake.notify_one();
    Ok(Created(RunResponse { run }))
}

/// Keeps a plan's newest `MAX_RUNS_KEPT` runs: older finished ones are deleted (an unfinished one never is).
fn forget_old_runs(tx: &dyn Store, project: &str, plan_id: &str) -> ApiResult<()> {
    let kept = MAX_RUNS_KEPT as u64;
    let filter = ListFilter { server_group_ids: Some(vec![plan_id.to_owned()]), limit: 0, ..ListFilter::default() };
    let (_, count) = tx.list_bodies(project, PlanRun::KIND, &filter)?;
    if count <= kept {
        return Ok(());
    }
    let oldest = ListFilter { limit: (count - kept) as u32, ..filter };
    let (runs, _) = store::list::<PlanRun>(tx, project, &oldest)?;
    for run in runs.iter().filter(|run| run.status.is_final()) {
        store::remove::<PlanRun>(tx, project, &run.id)?;
    }
    Ok(())
}

/// A plan's run list.
pub struct Runs;

impl ListOf for Runs {
    const LIST: ListKind = ListKind::PlanRuns;
}

/// The plan's runs, newest first, a page at a time.
pub async fn runs(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
    Filters(query, _): Filters<Runs>,
) -> ApiResult<Json<RunList>> {
    let (runs, count) = state
        .db
        .call(move |store| {
            plan_or_404(store, &project, &id)?;
            let of_plan = ListFilter { server_group_ids: Some(vec![id.clone()]), limit: 0, ..ListFilter::default() };
            let (_, count) = store.list_bodies(&project, PlanRun::KIND, &of_plan)?;
            // Newest first: the page counted from the end of the plan's runs in the order they started.
            let (limit, offset) = (u64::from(query.paging.limit), query.paging.offset.min(count));
            let page = ListFilter {
                limit: limit.min(count - offset) as u32,
                offset: count.saturating_sub(offset + limit),
                ..of_plan
            };
            let (runs, _) = store::list::<PlanRun>(store, &project, &page)?;
            Ok((runs, count))
        })
        .await?;
    let runs: Vec<RunSummary> = runs.iter().rev().map(RunSummary::from).collect();
    Ok(Json(RunList { count, runs }))
}

pub async fn show_run(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
) -> ApiResult<Json<RunResponse>> {
    let run = state.db.call(move |store| run_or_404(store, &project, &id)).await?;
    Ok(Json(RunResponse { run }))
}

/// Applies an operator's command to a run in one write and wakes the executor.
async fn command(
    state: &AppState,
    project: String,
    id: String,
    apply: impl FnOnce(&mut PlanRun, i64) -> Result<(), CommandError> + Send + 'static,
) -> ApiResult<Json<RunResponse>> {
    let now = crate::now_millis();
    let run = state
        .db
        .write(move |tx| {
            let mut run = run_or_404(tx, &project, &id)?;
            let before = run.status;
            apply(&mut run, now).map_err(|e| ApiError::plan(&PlanError::Command(e)))?;
            store::update(tx, &project, &run)?;
            crate::notify::run_changed(tx, &project, before, &run, now)?;
            Ok(run)
        })
        .await?;
    state.plans_wake.notify_one();
    Ok(Json(RunResponse { run }))
}

pub async fn confirm_gate(
    State(state): State<AppState>,
    CallerOf(caller): CallerOf,
    Ids((project, id)): Ids<(String, String)>,
    Body(body): Body<ConfirmGate>,
) -> ApiResult<Json<RunResponse>> {
    command(&state, project, id, move |run, now| run.confirm_gate(&body.confirmed_by, &caller, now)).await
}

pub async fn pause(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
    OptionalBody(_): OptionalBody<RunCommand>,
) -> ApiResult<Json<RunResponse>> {
    command(&state, project, id, |run, now| run.pause(now)).await
}

pub async fn resume(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
    OptionalBody(_): OptionalBody<RunCommand>,
) -> ApiResult<Json<RunResponse>> {
    command(&state, project, id, |run, now| run.resume(now)).await
}

pub async fn cancel(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
    OptionalBody(_): OptionalBody<RunCommand>,
) -> ApiResult<Json<RunResponse>> {
    command(&state, project, id, |run, now| run.cancel(now)).await
}

pub async fn retry(
    State(state): State<AppState>,
    Ids((project, id, group)): Ids<(String, String, String)>,
    OptionalBody(_): OptionalBody<RunCommand>,
) -> ApiResult<Json<RunResponse>> {
    command(&state, project, id, move |run, now| run.retry(&group, now)).await
}

pub async fn skip(
    State(state): State<AppState>,
    Ids((project, id, group)): Ids<(String, String, String)>,
    OptionalBody(_): OptionalBody<RunCommand>,
) -> ApiResult<Json<RunResponse>> {
    command(&state, project, id, move |run, now| run.skip(&group, now)).await
}

/// The run's evidence as JSON.
pub async fn report(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
) -> ApiResult<Json<Evidence>> {
    Ok(Json(evidence_with_audit(&state, project, id).await?))
}

/// A run's evidence, with what people did to it from the audit trail (oldest first, at most 1,000 events).
async fn evidence_with_audit(state: &AppState, project: String, id: String) -> ApiResult<Evidence> {
    let now = crate::now_millis();
    let (run, mut audit_events) = state
        .db
        .call(move |store| {
            let run = run_or_404(store, &project, &id)?;
            let query = crate::store::AuditQuery {
                since: 0,
                until: i64::MAX,
                resource_id: Some(id),
                before: None,
                limit: 1_000,
            };
            Ok((run, store.audit_events(&project, &query)?))
        })
        .await?;
    audit_events.reverse();
    Ok(Evidence { audit_events, ..evidence(&run, now) })
}

/// The run's evidence as one self-contained, printable HTML page.
pub async fn report_html(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
) -> ApiResult<crate::plans::report::Page> {
    Ok(crate::plans::report::Page(crate::plans::report::html(&evidence_with_audit(&state, project, id).await?)))
}
