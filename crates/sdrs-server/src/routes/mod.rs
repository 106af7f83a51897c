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
use axum::routing::{delete, get, post};
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

pub fn router(state: AppState) -> Router {
    if state.gateway.is_some() {
        return gateway_router(state);
    }
    let api = Router::new()
        .route("/v1/{project_id}/server-groups", get(groups::list).post(groups::create))
        .route("/v1/{project_id}/server-groups/{id}", get(groups::show).put(groups::rename).delete(groups::remove))
        .route("/v1/{project_id}/server-groups/{id}/action", post(groups::action))
        .route("/v1/{project_id}/protected-instances", get(instances::list).post(instances::create))
        .route(
            "/v1/{project_id}/protected-instances/{id}",
            get(instances::show).put(instances::rename).delete(instances::remove),
        )
        .route("/v1/{project_id}/protected-instances/{id}/attachreplication", post(instances::attach))
        .route(
            "/v1/{project_id}/protected-instances/{id}/detachreplication/{replication_id}",
            delete(instances::detach),
        )
        .route("/v1/{project_id}/replications", get(replications::list).post(replications::create))
        .route(
            "/v1/{project_id}/replications/{id}",
            get(replications::show).put(replications::rename).delete(replications::remove),
        )
        .route("/v1/{project_id}/replications/{id}/action", post(replications::expand))
        .route("/v1/{project_id}/disaster-recovery-drills", get(drills::list).post(drills::create))
        .route(
            "/v1/{project_id}/disaster-recovery-drills/{id}",
            get(drills::show).put(drills::rename).delete(drills::remove),
        )
        .route("/v1/{project_id}/jobs/{job_id}", get(misc::job))
        .route("/v1/{project_id}/active-domains", get(misc::domains))
        .route("/v1/{project_id}/sdrs/quotas", get(misc::quotas))
        .route("/v1/{project_id}/task-center/failure-jobs", get(misc::failure_jobs))
        .route("/v1/{project_id}/task-center/failure-jobs/batch", delete(misc::delete_all_failure_jobs))
        .route("/v1/{project_id}/task-center/failure-jobs/{id}", delete(misc::delete_failure_job))
        .route(
            "/v1/{project_id}/task-center/{server_group_id}/failure-jobs/batch",
            delete(misc::delete_group_failure_jobs),
        )
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::authenticate));
    // The admin API changes the inventory and injects faults: only with `--admin`, and only with its own token.
    let admin = match state.config.admin_token {
        Some(_) => Router::new()
            .route("/admin/v1/{project_id}/servers", get(admin::list_servers).post(admin::create_server))
            .route(
                "/admin/v1/{project_id}/servers/{id}",
                get(admin::show_server).patch(admin::update_server).delete(admin::delete_server),
            )
            .route("/admin/v1/{project_id}/disks", get(admin::list_disks).post(admin::create_disk))
            .route("/admin/v1/{project_id}/disks/{id}", delete(admin::delete_disk).patch(admin::update_disk))
            .route("/admin/v1/{project_id}/replications/{id}", axum::routing::patch(admin::update_replication))
            .route(
                "/admin/v1/{project_id}/faults",
                get(admin::list_faults).post(admin::create_fault).delete(admin::clear_faults),
            )
            .route("/admin/v1/{project_id}/server-groups/{id}/snapshot", get(admin::snapshot))
            .route_layer(middleware::from_fn_with_state(state.clone(), auth::authenticate_admin)),
        None => Router::new(),
    };

    let request_id = HeaderName::from_static("x-request-id");
    let cors = cors_layer(&state.config.allowed_origins);
    let routes = Router::new()
        .route("/", get(misc::versions_or_console))
        .route("/v1", get(misc::version))
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
