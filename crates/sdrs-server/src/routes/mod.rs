//! The route table and what handlers share: path and query extraction, snapshots, and refusals from pre-checks.

pub mod admin;
mod drills;
mod groups;
mod instances;
mod misc;
mod replications;

pub use misc::put_domain;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::HeaderName;
use axum::routing::{get, on, post, MethodFilter, MethodRouter};
use axum::{middleware, Router};
use serde::de::DeserializeOwned;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use r2d2_sqlite::rusqlite::Transaction;
use sdrs_core::member_rules::Missing;
use sdrs_core::request::RequestError;
use sdrs_core::snapshot::GroupSnapshot;
use sdrs_core::wire::{DisasterRecoveryDrill, JobIdResponse, ProtectedInstance, Replication, ServerGroup};

use crate::error::{ApiError, ApiResult};
use crate::{auth, openapi, store, AppState};
use sdrs_core::wire::NativeServer;

/// The handler of each documented operation, by its `operationId` in `openapi::OPERATIONS`. The router is built from
/// that table, so no route exists that the document does not describe; `tidy::every_documented_operation_has_one
/// _handler` keeps the two tables equal. The method comes from the document's row.
type Handler = fn(MethodFilter) -> MethodRouter<AppState>;

pub const HANDLERS: &[(&str, Handler)] = &[
    ("ListApiVersions", |m| on(m, misc::versions_or_console)),
    ("ShowSpecifiedApiVersion", |m| on(m, misc::version)),
    ("ListProtectionGroups", |m| on(m, groups::list)),
    ("CreateProtectionGroup", |m| on(m, groups::create)),
    ("ShowProtectionGroup", |m| on(m, groups::show)),
    ("UpdateProtectionGroupName", |m| on(m, groups::rename)),
    ("DeleteProtectionGroup", |m| on(m, groups::remove)),
    ("ProtectionGroupAction", |m| on(m, groups::action)),
    ("ListProtectedInstances", |m| on(m, instances::list)),
    ("CreateProtectedInstance", |m| on(m, instances::create)),
    ("ShowProtectedInstance", |m| on(m, instances::show)),
    ("UpdateProtectedInstanceName", |m| on(m, instances::rename)),
    ("DeleteProtectedInstance", |m| on(m, instances::remove)),
    ("AttachProtectedInstanceReplication", |m| on(m, instances::attach)),
    ("DetachProtectedInstanceReplication", |m| on(m, instances::detach)),
    ("ListReplications", |m| on(m, replications::list)),
    ("CreateReplication", |m| on(m, replications::create)),
    ("ShowReplication", |m| on(m, replications::show)),
    ("UpdateReplicationName", |m| on(m, replications::rename)),
    ("DeleteReplication", |m| on(m, replications::remove)),
    ("ExpandReplication", |m| on(m, replications::expand)),
    ("ListDisasterRecoveryDrills", |m| on(m, drills::list)),
    ("CreateDisasterRecoveryDrill", |m| on(m, drills::create)),
    ("ShowDisasterRecoveryDrill", |m| on(m, drills::show)),
    ("UpdateDisasterRecoveryDrillName", |m| on(m, drills::rename)),
    ("DeleteDisasterRecoveryDrill", |m| on(m, drills::remove)),
    ("ShowJobStatus", |m| on(m, misc::job)),
    ("ListActiveActiveDomains", |m| on(m, misc::domains)),
    ("ShowQuota", |m| on(m, misc::quotas)),
    ("ListFailureJobs", |m| on(m, misc::failure_jobs)),
    ("DeleteAllServerGroupFailureJobs", |m| on(m, misc::delete_all_failure_jobs)),
    ("DeleteFailureJob", |m| on(m, misc::delete_failure_job)),
    ("DeleteServerGroupFailureJobs", |m| on(m, misc::delete_group_failure_jobs)),
    ("AdminListServers", |m| on(m, admin::list_servers)),
    ("AdminCreateServer", |m| on(m, admin::create_server)),
    ("AdminShowServer", |m| on(m, admin::show_server)),
    ("AdminUpdateServer", |m| on(m, admin::update_server)),
    ("AdminDeleteServer", |m| on(m, admin::delete_server)),
    ("AdminListDisks", |m| on(m, admin::list_disks)),
    ("AdminCreateDisk", |m| on(m, admin::create_disk)),
    ("AdminDeleteDisk", |m| on(m, admin::delete_disk)),
    ("AdminUpdateDisk", |m| on(m, admin::update_disk)),
    ("AdminSetFaultLevel", |m| on(m, admin::update_replication)),
    ("AdminListFaults", |m| on(m, admin::list_faults)),
    ("AdminCreateFault", |m| on(m, admin::create_fault)),
    ("AdminClearFaults", |m| on(m, admin::clear_faults)),
    ("AdminGroupSnapshot", |m| on(m, admin::snapshot)),
];

/// The method filter of a document row's method.
fn method_filter(method: &str) -> MethodFilter {
    match method {
        "get" => MethodFilter::GET,
        "post" => MethodFilter::POST,
        "put" => MethodFilter::PUT,
        "patch" => MethodFilter::PATCH,
        "delete" => MethodFilter::DELETE,
        other => panic!("the OpenAPI table names a method axum does not route: {other}"),
    }
}

pub fn router(state: AppState) -> Router {
    if state.gateway.is_some() {
        return gateway_router(state);
    }
    let (mut public, mut api, mut admin) = (Router::new(), Router::new(), Router::new());
    for operation in openapi::OPERATIONS {
        let Some((_, handler)) = HANDLERS.iter().find(|(id, _)| *id == operation.id) else {
            panic!("the documented operation {} has no handler", operation.id)
        };
        let route = handler(method_filter(operation.method));
        if operation.path.starts_with("/admin/") {
            admin = admin.route(operation.path, route);
        } else if operation.path.starts_with("/v1/") {
            api = api.route(operation.path, route);
        } else {
            public = public.route(operation.path, route);
        }
    }
    let api = api.route_layer(middleware::from_fn_with_state(state.clone(), auth::authenticate));
    // The admin API changes the inventory and injects faults: only with `--admin`, and only with its own token.
    let admin = match state.config.admin_token {
        Some(_) => admin.route_layer(middleware::from_fn_with_state(state.clone(), auth::authenticate_admin)),
        None => Router::new(),
    };

    let request_id = HeaderName::from_static("x-request-id");
    let cors = cors_layer(&state.config.allowed_origins);
    let routes = public
        .route("/openapi.json", get(openapi::serve))
        .route("/console/config", get(misc::console_config))
        .merge(api)
        .merge(admin)
        .fallback(misc::fallback)
        .method_not_allowed_fallback(misc::method_not_allowed);
    crate::limits::apply(routes, &state.config.limits)
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http())
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
        .fallback(misc::fallback);
    crate::limits::apply(routes, &state.config.limits)
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http())
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

/// Path parameters, with refusals in the SDRS envelope.
pub struct Ids<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Ids<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(ids)| Ids(ids))
            .map_err(|rejection| refuse(RequestError::InvalidPath { detail: rejection.body_text() }))
    }
}

/// The decoded query pairs, in order, read exactly as a signature reads them (`sdrs_auth::query_pairs`). A key
/// given twice is refused: the signature would cover both values while a handler acted on one.
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let pairs = sdrs_auth::query_pairs(parts.uri.query());
        sdrs_core::request::unique_query_keys(pairs.iter().map(|(key, _)| key.as_str())).map_err(refuse)?;
        Ok(QueryPairs(pairs))
    }
}

impl QueryPairs {
    /// Borrowed pairs, as the core's parsers take them.
    pub fn borrowed(&self) -> Vec<(&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }

    /// The first non-empty value of a key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, v)| k == key && !v.is_empty()).map(|(_, v)| v.as_str())
    }

    /// An id list filter written `['id1','id2']` (quotes optional), at most 30 ids.
    pub fn id_list(&self, key: &str) -> ApiResult<Option<Vec<String>>> {
        self.get(key).map(|raw| sdrs_core::request::parse_id_list(key, raw).map_err(refuse)).transpose()
    }
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

pub fn group_or_404(tx: &store::Connection, project: &str, id: &str) -> ApiResult<ServerGroup> {
    store::get(tx, project, id)?.ok_or_else(|| ApiError::missing(Missing::Group, id))
}

pub fn instance_or_404(tx: &store::Connection, project: &str, id: &str) -> ApiResult<ProtectedInstance> {
    store::get(tx, project, id)?.ok_or_else(|| ApiError::missing(Missing::Instance, id))
}

pub fn replication_or_404(tx: &store::Connection, project: &str, id: &str) -> ApiResult<Replication> {
    store::get(tx, project, id)?.ok_or_else(|| ApiError::missing(Missing::Pair, id))
}

pub fn drill_or_404(tx: &store::Connection, project: &str, id: &str) -> ApiResult<DisasterRecoveryDrill> {
    store::get(tx, project, id)?.ok_or_else(|| ApiError::missing(Missing::Drill, id))
}

/// Refuses unless the core's member check found nothing.
pub fn check(check: sdrs_core::member_rules::MemberCheck) -> ApiResult<()> {
    ApiError::from_member_check(&check)
}

/// The group with its members and what the inventory knows of their servers.
pub fn load_snapshot(conn: &store::Connection, project: &str, group: ServerGroup) -> ApiResult<GroupSnapshot> {
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

/// Runs `work` in one write transaction (it checks, changes, and names the job to submit), submits the job in the
/// same transaction, wakes the job worker, and answers `{"job_id"}`. `work` gets the current time.
pub async fn job_response<F>(state: &AppState, project: String, work: F) -> ApiResult<axum::Json<JobIdResponse>>
where
    F: FnOnce(&Transaction<'_>, i64) -> ApiResult<crate::jobs::Submission> + Send + 'static,
{
    let (scale, now) = (state.config.time_scale, crate::now_millis());
    let job_id = state
        .db
        .write(move |tx| {
            let submission = work(tx, now)?;
            crate::jobs::submit(tx, &project, submission, scale, now)
        })
        .await?;
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
    find: fn(&store::Connection, &str, &str) -> ApiResult<R>,
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
