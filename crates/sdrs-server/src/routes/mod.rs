//! The route table and what handlers share: path and query extraction, snapshots, and refusals from pre-checks.

pub mod admin;
mod cloud;
mod drills;
mod extract;
mod groups;
mod instances;
mod misc;
mod operations;
mod plans;
mod replications;

pub use cloud::{default_image, CallerProject};
pub use extract::{Body, Created, Filters, Ids, ListOf, OptionalBody, QueryPairs, Stored, SubmissionKey};
pub use misc::put_domain;

use aide::axum::routing::{delete_with, get_with, patch_with, post_with};
use aide::axum::ApiRouter;
use aide::transform::TransformOperation;
use axum::http::HeaderName;
use axum::routing::{get, post};
use axum::{middleware, Router};
use serde::de::DeserializeOwned;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use sdrs_core::list_query::{ListKind, ListQuery, QueryType};
use sdrs_core::member_rules::Missing;
use sdrs_core::request::RequestError;
use sdrs_core::snapshot::GroupSnapshot;
use sdrs_core::wire::{DisasterRecoveryDrill, JobIdResponse, ProtectedInstance, Replication, ServerGroup};

use crate::error::{ApiError, ApiResult};
use crate::{auth, openapi, store, AppState};
use sdrs_core::wire::NativeServer;

/// The operationId and summary of a route; aide reads the rest from the handler's extractor and return types.
fn doc(id: &'static str, summary: &'static str) -> impl FnOnce(TransformOperation<'_>) -> TransformOperation<'_> {
    move |operation| operation.id(id).summary(summary)
}

/// Every documented route, by who may call it. The router and the OpenAPI document (`openapi::GENERATED`) are both
/// built from these, so no route exists that the document does not describe.
pub struct DocumentedRoutes {
    /// `/` and `/v1`: no credentials.
    pub public: ApiRouter<AppState>,
    /// The SDRS API (`/v1/{project_id}/...`): a token or an AK/SK signature.
    pub sdrs: ApiRouter<AppState>,
    /// The admin API (`/admin/v1/...`): only with `--admin`, with its own token.
    pub admin: ApiRouter<AppState>,
    /// Recovery plans (`/orchestration/v1/...`), this tool's extension: the SDRS API's credentials, or in gateway
    /// mode the console's session.
    pub orchestration: ApiRouter<AppState>,
    /// The read side of ECS (`/v1/{project_id}/cloudservers`): the SDRS API's credentials.
    pub ecs: ApiRouter<AppState>,
    /// The read side of IMS (`/v2/...`, no project in the path): the credential's project.
    pub ims: ApiRouter<AppState>,
}

/// The operationId and summary of an ECS or IMS read, tagged as the emulation of another service.
fn cloud(id: &'static str, summary: &'static str) -> impl FnOnce(TransformOperation<'_>) -> TransformOperation<'_> {
    move |operation| operation.id(id).summary(summary).tag("ECS and IMS reads (the inventory's servers)")
}

/// `/` answers browsers with the console's page, everything else with the version list, so its handler returns a
/// plain response and the document names the JSON one.
fn versions_doc(operation: TransformOperation<'_>) -> TransformOperation<'_> {
    doc("ListApiVersions", "API versions")(operation).response::<200, axum::Json<sdrs_core::wire::ApiVersionList>>()
}

pub fn documented_routes() -> DocumentedRoutes {
    let public = ApiRouter::new()
        .api_route("/", get_with(misc::versions_or_console, versions_doc))
        .api_route("/v1", get_with(misc::version, doc("ShowSpecifiedApiVersion", "The v1 API version")))
        .merge(operating_routes());
    let sdrs = ApiRouter::new()
        .api_route(
            "/v1/{project_id}/server-groups",
            get_with(groups::list, doc("ListProtectionGroups", "List protection groups"))
                .post_with(groups::create, doc("CreateProtectionGroup", "Create a protection group (job)")),
        )
        .api_route(
            "/v1/{project_id}/server-groups/{server_group_id}",
            get_with(groups::show, doc("ShowProtectionGroup", "Show a protection group"))
                .put_with(groups::rename, doc("UpdateProtectionGroupName", "Rename a protection group"))
                .delete_with(groups::remove, doc("DeleteProtectionGroup", "Delete a protection group (job)")),
        )
        .api_route(
            "/v1/{project_id}/server-groups/{server_group_id}/action",
            post_with(
                groups::action,
                doc("ProtectionGroupAction", "Enable or re-protect, disable, planned failover or failover (job)"),
            ),
        )
        .api_route(
            "/v1/{project_id}/protected-instances",
            get_with(instances::list, doc("ListProtectedInstances", "List protected instances"))
                .post_with(instances::create, doc("CreateProtectedInstance", "Create a protected instance (job)")),
        )
        .api_route(
            "/v1/{project_id}/protected-instances/{protected_instance_id}",
            get_with(instances::show, doc("ShowProtectedInstance", "Show a protected instance"))
                .put_with(instances::rename, doc("UpdateProtectedInstanceName", "Rename a protected instance"))
                .delete_with(instances::remove, doc("DeleteProtectedInstance", "Delete a protected instance (job)")),
        )
        .api_route(
            "/v1/{project_id}/protected-instances/{protected_instance_id}/attachreplication",
            post_with(instances::attach, doc("AttachProtectedInstanceReplication", "Attach a replication pair (job)")),
        )
        .api_route(
            "/v1/{project_id}/protected-instances/{protected_instance_id}/detachreplication/{replication_id}",
            delete_with(
                instances::detach,
                doc("DetachProtectedInstanceReplication", "Detach a replication pair (job)"),
            ),
        )
        .api_route(
            "/v1/{project_id}/replications",
            get_with(replications::list, doc("ListReplications", "List replication pairs"))
                .post_with(replications::create, doc("CreateReplication", "Create a replication pair (job)")),
        )
        .api_route(
            "/v1/{project_id}/replications/{replication_id}",
            get_with(replications::show, doc("ShowReplication", "Show a replication pair"))
                .put_with(replications::rename, doc("UpdateReplicationName", "Rename a replication pair"))
                .delete_with(replications::remove, doc("DeleteReplication", "Delete a replication pair (job)")),
        )
        .api_route(
            "/v1/{project_id}/replications/{replication_id}/action",
            post_with(replications::expand, doc("ExpandReplication", "Expand a replication pair (job)")),
        )
        .api_route(
            "/v1/{project_id}/disaster-recovery-drills",
            get_with(drills::list, doc("ListDisasterRecoveryDrills", "List DR drills"))
                .post_with(drills::create, doc("CreateDisasterRecoveryDrill", "Create a DR drill (job)")),
        )
        .api_route(
            "/v1/{project_id}/disaster-recovery-drills/{disaster_recovery_drill_id}",
            get_with(drills::show, doc("ShowDisasterRecoveryDrill", "Show a DR drill"))
                .put_with(drills::rename, doc("UpdateDisasterRecoveryDrillName", "Rename a DR drill"))
                .delete_with(drills::remove, doc("DeleteDisasterRecoveryDrill", "Delete a DR drill (job)")),
        )
        .api_route("/v1/{project_id}/jobs/{job_id}", get_with(misc::job, doc("ShowJobStatus", "Show a job")))
        .api_route(
            "/v1/{project_id}/active-domains",
            get_with(misc::domains, doc("ListActiveActiveDomains", "List active-active domains")),
        )
        .api_route("/v1/{project_id}/sdrs/quotas", get_with(misc::quotas, doc("ShowQuota", "Show quotas")))
        .api_route(
            "/v1/{project_id}/task-center/failure-jobs",
            get_with(misc::failure_jobs, doc("ListFailureJobs", "List failed jobs")),
        )
        .api_route(
            "/v1/{project_id}/task-center/failure-jobs/batch",
            delete_with(
                misc::delete_all_failure_jobs,
                doc("DeleteAllServerGroupFailureJobs", "Delete all failed jobs"),
            ),
        )
        .api_route(
            "/v1/{project_id}/task-center/failure-jobs/{failure_job_id}",
            delete_with(misc::delete_failure_job, doc("DeleteFailureJob", "Delete a failed job")),
        )
        .api_route(
            "/v1/{project_id}/task-center/{server_group_id}/failure-jobs/batch",
            delete_with(
                misc::delete_group_failure_jobs,
                doc("DeleteServerGroupFailureJobs", "Delete a group's failed jobs"),
            ),
        );
    let admin = ApiRouter::new()
        .api_route(
            "/admin/v1/{project_id}/servers",
            get_with(admin::list_servers, doc("AdminListServers", "Inventory: list servers"))
                .post_with(admin::create_server, doc("AdminCreateServer", "Inventory: create a server")),
        )
        .api_route(
            "/admin/v1/{project_id}/servers/{server_id}",
            get_with(admin::show_server, doc("AdminShowServer", "Inventory: show a server"))
                .patch_with(
                    admin::update_server,
                    doc("AdminUpdateServer", "Inventory: change a server's power state, name or password flag"),
                )
                .delete_with(
                    admin::delete_server,
                    doc("AdminDeleteServer", "Inventory: delete a server through the native interface"),
                ),
        )
        .api_route(
            "/admin/v1/{project_id}/disks",
            get_with(admin::list_disks, doc("AdminListDisks", "Inventory: list disks"))
                .post_with(admin::create_disk, doc("AdminCreateDisk", "Inventory: create a disk")),
        )
        .api_route(
            "/admin/v1/{project_id}/disks/{disk_id}",
            delete_with(
                admin::delete_disk,
                doc("AdminDeleteDisk", "Inventory: delete a disk that no replication pair uses"),
            )
            .patch_with(
                admin::update_disk,
                doc(
                    "AdminUpdateDisk",
                    "Inventory: change a disk's status (`deleted`: deleted through the native interface)",
                ),
            ),
        )
        .api_route(
            "/admin/v1/{project_id}/replications/{replication_id}",
            patch_with(admin::update_replication, doc("AdminSetFaultLevel", "Set a replication pair's fault_level")),
        )
        .api_route(
            "/admin/v1/{project_id}/faults",
            get_with(admin::list_faults, doc("AdminListFaults", "List armed job faults"))
                .post_with(admin::create_fault, doc("AdminCreateFault", "Make a named step of the next job fail"))
                .delete_with(admin::clear_faults, doc("AdminClearFaults", "Disarm all job faults")),
        )
        .api_route(
            "/admin/v1/{project_id}/server-groups/{server_group_id}/snapshot",
            get_with(
                admin::snapshot,
                doc("AdminGroupSnapshot", "A group with members and server facts, for pre-checks"),
            ),
        )
        .api_route(
            "/admin/v1/{project_id}/server-groups/{server_group_id}/jobs",
            get_with(admin::group_jobs, doc("AdminGroupJobs", "A group's most recent jobs, newest first")),
        );
    let ecs = ApiRouter::new()
        .api_route(
            "/v1/{project_id}/cloudservers/detail",
            get_with(cloud::list_servers, cloud("ListServersDetails", "ECS: list servers with their details")),
        )
        .api_route(
            "/v1/{project_id}/cloudservers/{server_id}",
            get_with(cloud::show_server, cloud("ShowServer", "ECS: a server's details")),
        );
    let ims = ApiRouter::new()
        .api_route("/v2/cloudimages", get_with(cloud::list_images, cloud("ListImages", "IMS: list images")))
        .api_route("/v2/images/{image_id}", get_with(cloud::show_image, cloud("GlanceShowImage", "IMS: an image")));
    DocumentedRoutes { public, sdrs, admin, orchestration: orchestration_routes(), ecs, ims }
}

/// The operationId and summary of a recovery-plan route, tagged as this tool's own.
fn ours(id: &'static str, summary: &'static str) -> impl FnOnce(TransformOperation<'_>) -> TransformOperation<'_> {
    move |operation| operation.id(id).summary(summary).tag("recovery plans (sdrs-server, not SDRS)")
}

/// The recovery-plan routes (`routes/plans.rs`), documented as this tool's own, not SDRS's.
fn orchestration_routes() -> ApiRouter<AppState> {
    const BASE: &str = "/orchestration/v1/{project_id}";
    let path = |rest: &str| format!("{BASE}{rest}");
    ApiRouter::new()
        .api_route(
            &path("/recovery-plans"),
            get_with(plans::list, ours("ListRecoveryPlans", "List recovery plans"))
                .post_with(plans::create, ours("CreateRecoveryPlan", "Create a recovery plan")),
        )
        .api_route(
            &path("/recovery-plans/{plan_id}"),
            get_with(plans::show, ours("ShowRecoveryPlan", "Show a recovery plan"))
                .put_with(
                    plans::replace,
                    ours("UpdateRecoveryPlan", "Replace a recovery plan's name, description and stages"),
                )
                .delete_with(plans::remove, ours("DeleteRecoveryPlan", "Delete a recovery plan with no run under way")),
        )
        .api_route(
            &path("/recovery-plans/{plan_id}/check"),
            post_with(
                plans::check,
                ours("CheckRecoveryPlan", "The plan check for a run: every finding and the timeline"),
            ),
        )
        .api_route(
            &path("/recovery-plans/{plan_id}/runs"),
            get_with(plans::runs, ours("ListPlanRuns", "List a plan's runs, newest first"))
                .post_with(plans::start, ours("StartPlanRun", "Start a run (the plan's name typed in `confirm`)")),
        )
        .api_route(&path("/plan-runs/{run_id}"), get_with(plans::show_run, ours("ShowPlanRun", "Show a run")))
        .api_route(
            &path("/plan-runs/{run_id}/confirm-gate"),
            post_with(plans::confirm_gate, ours("ConfirmPlanRunGate", "Confirm the gate the run waits at")),
        )
        .api_route(&path("/plan-runs/{run_id}/pause"), post_with(plans::pause, ours("PausePlanRun", "Pause a run")))
        .api_route(&path("/plan-runs/{run_id}/resume"), post_with(plans::resume, ours("ResumePlanRun", "Resume a run")))
        .api_route(&path("/plan-runs/{run_id}/cancel"), post_with(plans::cancel, ours("CancelPlanRun", "Cancel a run")))
        .api_route(
            &path("/plan-runs/{run_id}/groups/{server_group_id}/retry"),
            post_with(plans::retry, ours("RetryPlanRunGroup", "Submit a failed group of the current stage again")),
        )
        .api_route(
            &path("/plan-runs/{run_id}/groups/{server_group_id}/skip"),
            post_with(plans::skip, ours("SkipPlanRunGroup", "Skip a failed group, or an optional one not started")),
        )
        .api_route(
            &path("/plan-runs/{run_id}/report"),
            get_with(plans::report, ours("ShowPlanRunReport", "The run's evidence report (JSON)")),
        )
        .api_route(
            &path("/plan-runs/{run_id}/report.html"),
            get_with(plans::report_html, ours("ShowPlanRunReportPage", "The run's evidence report (printable HTML)")),
        )
        .api_route(
            &path("/audit-events"),
            get_with(
                operations::audit_events,
                ours("ListAuditEvents", "The audit trail: every change and refused change, newest first"),
            ),
        )
        .api_route(
            &path("/webhooks"),
            get_with(operations::list_webhooks, ours("ListWebhooks", "List webhooks (never their secrets)"))
                .post_with(operations::create_webhook, ours("CreateWebhook", "Add a webhook")),
        )
        .api_route(
            &path("/webhooks/{webhook_id}"),
            delete_with(
                operations::delete_webhook,
                ours("DeleteWebhook", "Remove a webhook and its pending deliveries"),
            ),
        )
        .api_route(
            &path("/webhooks/{webhook_id}/deliveries"),
            get_with(operations::deliveries, ours("ListWebhookDeliveries", "A webhook's latest deliveries")),
        )
}

/// `/healthz`, `/readyz` and `/metrics`: for load balancers and monitoring, in every mode, without credentials.
pub fn operating_routes() -> ApiRouter<AppState> {
    fn ours(id: &'static str, summary: &'static str) -> impl FnOnce(TransformOperation<'_>) -> TransformOperation<'_> {
        move |operation| operation.id(id).summary(summary).tag("Operating the server")
    }
    ApiRouter::new()
        .api_route("/healthz", get_with(crate::ops::healthz, ours("ShowHealth", "The process answers")))
        .api_route(
            "/readyz",
            get_with(crate::ops::readyz, |operation| {
                ours("ShowReadiness", "Ready to serve: the database answers within 1 s, not shutting down")(operation)
                    .response::<200, axum::Json<sdrs_core::wire::Readiness>>()
                    .response::<503, axum::Json<sdrs_core::wire::Readiness>>()
            }),
        )
        .api_route(
            "/metrics",
            get_with(crate::ops::metrics, |operation| {
                ours("ShowMetrics", "Metrics in the Prometheus (OpenMetrics) text format")(operation)
                    .response::<200, String>()
            }),
        )
}

pub fn router(state: AppState) -> Router {
    if state.gateway.is_some() {
        return gateway_router(state);
    }
    let generated = openapi::GENERATED.clone();
    // The audit layer inside the authentication, which names the actor.
    let audited = || middleware::from_fn_with_state(state.clone(), crate::audit::record);
    let api = generated
        .sdrs
        .route_layer(audited())
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::authenticate));
    let orchestration = generated
        .orchestration
        .route_layer(audited())
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::authenticate));
    let ecs = generated.ecs.route_layer(middleware::from_fn_with_state(state.clone(), auth::authenticate));
    let ims = generated.ims.route_layer(middleware::from_fn_with_state(state.clone(), auth::authenticate_unscoped));
    // The admin API changes the inventory and injects faults: only with `--admin`, and only with its own token.
    let admin = match state.config.admin_token {
        Some(_) => generated
            .admin
            .route_layer(audited())
            .route_layer(middleware::from_fn_with_state(state.clone(), auth::authenticate_admin)),
        None => Router::new(),
    };
    let document = generated.document;
    let public = generated.public.route("/openapi.json", get(move || std::future::ready(axum::Json(document.clone()))));

    let request_id = HeaderName::from_static("x-request-id");
    let cors = cors_layer(&state.config.allowed_origins);
    let routes = public
        .route("/console/config", get(misc::console_config))
        .merge(api)
        .merge(ecs)
        .merge(ims)
        .merge(orchestration)
        .merge(admin)
        .fallback(misc::fallback)
        .method_not_allowed_fallback(misc::method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), crate::ops::measure));
    crate::limits::apply(routes, &state.config.limits)
        // API answers compressed when the client asks (the console's precompressed files pass through as they are).
        .layer(tower_http::compression::CompressionLayer::new().br(true).gzip(true))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(crate::ops::request_span))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(cors)
        .with_state(state)
}

/// Gateway mode: the console and its login locally, every allow-listed SDRS call forwarded upstream.
fn gateway_router(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let routes = Router::new()
        .route("/", get(misc::versions_or_console))
        .route("/console/config", get(misc::console_config))
        .route("/gateway/login", post(crate::gateway::login))
        .route("/gateway/logout", post(crate::gateway::logout))
        .route("/v1/{*rest}", axum::routing::any(crate::gateway::forward))
        .route("/v2/{*rest}", axum::routing::any(crate::gateway::forward))
        // Logins, logouts and forwarded changes (the upstream's answer recorded as the outcome).
        .route_layer(middleware::from_fn_with_state(state.clone(), crate::audit::record))
        .merge(Router::from(operating_routes()))
        .merge(
            openapi::GENERATED
                .orchestration
                .clone()
                .route_layer(middleware::from_fn_with_state(state.clone(), crate::audit::record))
                .route_layer(middleware::from_fn_with_state(state.clone(), crate::gateway::authenticate_session)),
        )
        .fallback(misc::fallback)
        .layer(middleware::from_fn_with_state(state.clone(), crate::ops::measure));
    crate::limits::apply(routes, &state.config.limits)
        .layer(tower_http::compression::CompressionLayer::new().br(true).gzip(true))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(crate::ops::request_span))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// Lets the configured origins call the API from a browser; with none, browsers keep to the same origin.
fn cors_layer(origins: &[String]) -> tower_http::cors::CorsLayer {
    use tower_http::cors::{AllowOrigin, Any, CorsLayer};
    if origins.is_empty() {
        return CorsLayer::new();
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| o.parse().ok()))
    };
    CorsLayer::new().allow_origin(allow).allow_methods(Any).allow_headers(Any).expose_headers(Any)
}

/// Parses a JSON body with the core's parser.
pub fn body<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    sdrs_core::request::parse_body(bytes).map_err(|error: RequestError| ApiError::from_coded(&error))
}

/// Parses an optional JSON body: an empty body means the type's default.
pub fn optional_body<T: DeserializeOwned + Default>(bytes: &[u8]) -> ApiResult<T> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        body(bytes)
    }
}

/// A validation refusal from the core.
pub fn refuse(error: impl sdrs_core::SdrsCoded) -> ApiError {
    ApiError::from_coded(&error)
}

pub fn group_or_404(tx: &dyn store::Store, project: &str, id: &str) -> ApiResult<ServerGroup> {
    store::get(tx, project, id)?.ok_or_else(|| ApiError::missing(Missing::Group, id))
}

pub fn instance_or_404(tx: &dyn store::Store, project: &str, id: &str) -> ApiResult<ProtectedInstance> {
    store::get(tx, project, id)?.ok_or_else(|| ApiError::missing(Missing::Instance, id))
}

pub fn replication_or_404(tx: &dyn store::Store, project: &str, id: &str) -> ApiResult<Replication> {
    store::get(tx, project, id)?.ok_or_else(|| ApiError::missing(Missing::Pair, id))
}

pub fn drill_or_404(tx: &dyn store::Store, project: &str, id: &str) -> ApiResult<DisasterRecoveryDrill> {
    store::get(tx, project, id)?.ok_or_else(|| ApiError::missing(Missing::Drill, id))
}

/// The store's filter for a list's query: the keys the list documents, as the core parsed them.
pub fn list_filter(list: ListKind, query: &ListQuery) -> store::ListFilter {
    let mut filter = store::ListFilter {
        server_group_ids: query.server_group_ids.clone(),
        status: query.status.clone(),
        statuses: query.abnormal_statuses(list).map(|s| s.into_iter().map(str::to_owned).collect()),
        name_contains: query.name.clone(),
        after: query.marker.clone(),
        limit: query.paging.limit,
        offset: query.paging.offset,
        ..store::ListFilter::default()
    };
    match list {
        ListKind::ServerGroups => {
            filter.az = query.availability_zone.clone();
            match query.query_type {
                Some(QueryType::StopProtected) => {
                    filter.statuses = Some(vec!["available".to_owned(), "failed-over".to_owned()]);
                }
                Some(QueryType::PeriodNoDrDrill) => filter.no_drills = true,
                _ => {}
            }
        }
        ListKind::ProtectedInstances => {
            filter.group_az = query.availability_zone.clone();
            filter.ids = query.protected_instance_ids.clone();
        }
        ListKind::Replications => {
            filter.group_az = query.availability_zone.clone();
            filter.or_faulty = filter.statuses.is_some();
        }
        ListKind::Drills => filter.drill_vpc_id = query.drill_vpc_id.clone(),
        ListKind::FailureJobs | ListKind::RecoveryPlans | ListKind::PlanRuns => {}
    }
    filter
}

/// One page of a list as stored wire JSON and the number matching the filter; a `marker` that names no item of the
/// list is refused, not answered with an empty page a client would take for the end.
pub async fn list_page(
    state: &AppState,
    project: String,
    kind: &'static str,
    filter: store::ListFilter,
) -> ApiResult<(Vec<String>, u64)> {
    if let Some(marker) = filter.after.clone() {
        let reader = project.clone();
        let known = state.db.call(move |store| store.resource_exists(&reader, kind, &marker)).await?;
        if !known {
            return Err(refuse(RequestError::UnknownMarker { marker: filter.after.unwrap_or_default() }));
        }
    }
    state.db.list_page(project, kind, filter).await
}

/// Refuses unless the core's member check found nothing.
pub fn check(check: sdrs_core::member_rules::MemberCheck) -> ApiResult<()> {
    ApiError::from_member_check(&check)
}

/// The group with its members and what the inventory knows of their servers.
pub fn load_snapshot(conn: &dyn store::Store, project: &str, group: ServerGroup) -> ApiResult<GroupSnapshot> {
    crate::resources::read_groups_ahead(conn, project, &[&group.id])?;
    let protected_instances: Vec<ProtectedInstance> = store::members(conn, project, &group.id)?;
    let mut servers = Vec::new();
    for instance in &protected_instances {
        for id in [&instance.source_server, &instance.target_server] {
            if let Some(server) = store::get::<NativeServer>(conn, project, id)? {
                servers.push(server.facts());
            }
        }
    }
    Ok(GroupSnapshot {
        replications: store::members(conn, project, &group.id)?,
        disaster_recovery_drills: store::members(conn, project, &group.id)?,
        protected_instances,
        servers,
        server_group: group,
    })
}

/// How long an idempotency key names its job.
const SUBMISSION_KEY_MILLIS: i64 = 7 * 24 * 3600 * 1000;

/// Runs `work` in one write transaction (it checks, changes, and names the job to submit), submits the job in the
/// same transaction, wakes the job worker, and answers `{"job_id"}`. `work` gets the current time. An operation on a
/// group names it (`group`), so the write batch reads it ahead with its other operations' groups (`Db::write_on`).
///
/// With an idempotency key (`key`), the same transaction first looks the key up: a key the project's jobs already
/// have is answered with that job and nothing runs again, so two senders of one keyed submission (a recovery-plan
/// executor that lost its lease mid-send and the replica that took over) make one job between them.
pub async fn job_response<F>(
    state: &AppState,
    project: String,
    group: Option<String>,
    key: SubmissionKey,
    work: F,
) -> ApiResult<axum::Json<JobIdResponse>>
where
    F: FnOnce(&dyn store::Store, i64) -> ApiResult<crate::jobs::Submission> + Send + 'static,
{
    let (scale, now) = (state.config.time_scale, crate::now_millis());
    let announced = group.map(|group| store::GroupAhead { project: project.clone(), group });
    let (job_id, accepted) = state
        .db
        .write_on(announced, move |tx| {
            if let Some(key) = &key.0 {
                if let Some(job_id) = tx.submitted_job(&project, key)? {
                    return Ok((job_id, None));
                }
            }
            let submission = work(tx, now)?;
            let job_type = submission.job_type;
            let job_id = crate::jobs::submit(tx, &project, submission, scale, now)?;
            if let Some(key) = &key.0 {
                tx.put_submission(&project, key, &job_id, now, now - SUBMISSION_KEY_MILLIS)?;
            }
            Ok((job_id, Some(job_type)))
        })
        .await?;
    if let Some(job_type) = accepted {
        state.metrics.jobs_accepted.get_or_create(&crate::ops::JobLabels { job_type: job_type.to_owned() }).inc();
    }
    state.jobs_wake.notify_one();
    Ok(axum::Json(JobIdResponse { job_id }))
}

/// A resource the API renames with `PUT {"<resource>": {"name"}}`.
pub trait Renamable: store::Resource {
    fn rename(&mut self, name: String, updated_at: String);
}

macro_rules! renamable {
    ($($type:ty),+) => {$(
        impl Renamable for $type {
            fn rename(&mut self, name: String, updated_at: String) {
                self.name = name;
                self.updated_at = updated_at;
            }
        }
    )+};
}
renamable!(ServerGroup, ProtectedInstance, Replication, DisasterRecoveryDrill);

/// Validates the new name and renames the resource `find` returns, in one transaction.
pub async fn rename<R: Renamable>(
    state: &AppState,
    project: String,
    id: String,
    name: String,
    find: fn(&dyn store::Store, &str, &str) -> ApiResult<R>,
) -> ApiResult<R> {
    sdrs_core::request::ResourceName::parse(&name).map_err(refuse)?;
    let stamp = sdrs_core::timefmt::resource_time(crate::now_millis());
    state
        .db
        .write(move |tx| {
            let mut resource = find(tx, &project, &id)?;
            resource.rename(name, stamp);
            store::update(tx, &project, &resource)?;
            Ok(resource)
        })
        .await
}
