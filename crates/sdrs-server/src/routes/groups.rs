//! Protection groups: create, list, show, rename, delete and the action endpoint.

use axum::extract::State;
use axum::Json;

use sdrs_core::action::parse_action;
use sdrs_core::list_query::ListKind;
use sdrs_core::member_rules::Missing;
use sdrs_core::precheck::decide;
use sdrs_core::request::{validate_description, ResourceName};
use sdrs_core::state_machine::Operation;
use sdrs_core::status::PriorityStation;
use sdrs_core::timefmt::resource_time;
use sdrs_core::wire::{
    ActiveDomain, CreateServerGroupRequest, JobEntities, JobIdResponse, ServerGroup, ServerGroupList,
    ServerGroupResponse, UpdateServerGroupNameRequest,
};

use super::{group_or_404, load_snapshot, refuse, Body, Filters, Ids, ListOf, Stored, SubmissionKey};
use crate::error::{ApiError, ApiResult};
use crate::jobs::kinds::group::begin_group_operation;
use crate::jobs::{self, kinds, AnyJobKind};
use crate::store;
use crate::AppState;

/// The protection-group list.
pub struct GroupList;

impl ListOf for GroupList {
    const LIST: ListKind = ListKind::ServerGroups;
}

pub async fn list(
    State(state): State<AppState>,
    Ids(project): Ids<String>,
    Filters(query, _): Filters<GroupList>,
) -> ApiResult<Stored<ServerGroupList>> {
    let filter = super::list_filter(GroupList::LIST, &query);
    let kind = <ServerGroup as store::Resource>::KIND;
    let (server_groups, count) = super::list_page(&state, project, kind, filter).await?;
    Ok(Stored::page("server_groups", &server_groups, count))
}

pub async fn create(
    State(state): State<AppState>,
    Ids(project): Ids<String>,
    key: SubmissionKey,
    Body(request): Body<CreateServerGroupRequest>,
) -> ApiResult<Json<JobIdResponse>> {
    let params = request.server_group;
    ResourceName::parse(&params.name).map_err(refuse)?;
    validate_description(params.description.as_deref()).map_err(refuse)?;
    sdrs_core::request::validate_new_group(params.dr_type.as_deref(), &params.source_vpc_id).map_err(refuse)?;
    super::job_response(&state, project.clone(), None, key, move |tx, now| {
        let domain: ActiveDomain = super::misc::domain(tx, &params.domain_id)?
            .ok_or_else(|| ApiError::missing(Missing::Domain, &params.domain_id))?;
        let (source, target) = (&params.source_availability_zone, &params.target_availability_zone);
        super::check(sdrs_core::member_rules::create_group(&domain, source, target))?;
        let stamp = resource_time(now);
        let group = ServerGroup {
            id: uuid::Uuid::new_v4().to_string(),
            name: params.name.clone(),
            description: params.description.clone(),
            status: Operation::Create.transition().transient,
            progress: 0,
            source_availability_zone: source.clone(),
            target_availability_zone: target.clone(),
            domain_id: domain.id.clone(),
            domain_name: domain.name.clone(),
            priority_station: PriorityStation::Source,
            protected_instance_num: 0,
            replication_num: 0,
            disaster_recovery_drill_num: 0,
            protected_status: None,
            replication_status: None,
            health_status: None,
            source_vpc_id: params.source_vpc_id.clone(),
            target_vpc_id: params.source_vpc_id.clone(),
            test_vpc_id: None,
            dr_type: "migration".to_owned(),
            server_type: "ECS".to_owned(),
            created_at: stamp.clone(),
            updated_at: stamp,
            protection_type: Some("replication-pair".to_owned()),
            replication_model: None,
        };
        store::insert(tx, &project, &group)?;
        let kind: AnyJobKind = kinds::group::GroupJob {
            operation: Operation::Create,
            server_group_id: group.id.clone(),
            requested_station: None,
        }
        .into();
        let entities = JobEntities { server_group_id: Some(group.id.clone()), ..JobEntities::default() };
        let job_type = Operation::Create.transition().job_type.as_str();
        Ok(jobs::Submission { job_type, entities, kind })
    })
    .await
}

/// A hot read: answered from memory, or from the stored wire JSON (`Db::hot_read`).
pub async fn show(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
) -> ApiResult<Stored<ServerGroupResponse>> {
    const KIND: &str = <ServerGroup as store::Resource>::KIND;
    let render = |body: &str| Stored::<ServerGroupResponse>::wrapped("server_group", body).into_bytes();
    let response = state.db.hot_read(KIND, &project, &id, render).await?;
    response.map(Stored::from_bytes).ok_or_else(|| ApiError::missing(Missing::Group, &id))
}

pub async fn rename(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
    Body(request): Body<UpdateServerGroupNameRequest>,
) -> ApiResult<Json<ServerGroupResponse>> {
    let server_group = super::rename(&state, project, id, request.server_group.name, group_or_404).await?;
    Ok(Json(ServerGroupResponse { server_group }))
}

pub async fn remove(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
    key: SubmissionKey,
) -> ApiResult<Json<JobIdResponse>> {
    submit_group_operation(&state, project, id, key, None).await
}

pub async fn action(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
    key: SubmissionKey,
    Action(action): Action,
) -> ApiResult<Json<JobIdResponse>> {
    submit_group_operation(&state, project, id, key, Some(action)).await
}

/// Checks and submits a group operation atomically: of two concurrent requests, the second sees the first's
/// transient status and is refused.
async fn submit_group_operation(
    state: &AppState,
    project: String,
    id: String,
    key: SubmissionKey,
    action: Option<sdrs_core::action::GroupAction>,
) -> ApiResult<Json<JobIdResponse>> {
    super::job_response(state, project.clone(), Some(id.clone()), key, move |tx, now| {
        let group = group_or_404(tx, &project, &id)?;
        let snapshot = load_snapshot(tx, &project, group)?;
        let intent = decide(action, &snapshot.facts()).map_err(refuse)?;
        let mut group = snapshot.server_group;
        let operation = intent.operation();
        begin_group_operation(tx, &project, &mut group, operation, now)?;
        let kind: AnyJobKind = kinds::group::GroupJob {
            operation,
            server_group_id: group.id.clone(),
            requested_station: intent.requested_station(),
        }
        .into();
        let entities = JobEntities { server_group_id: Some(group.id.clone()), ..JobEntities::default() };
        let job_type = operation.transition().job_type.as_str();
        Ok(jobs::Submission { job_type, entities, kind })
    })
    .await
}

/// The action body, parsed by the core's `parse_action` (its refusals: `SDRS.0206` for no, several or an unknown
/// action, `SDRS.0216` for a bad `priority_station`).
pub struct Action(pub sdrs_core::action::GroupAction);

impl<S: Send + Sync> axum::extract::FromRequest<S> for Action {
    type Rejection = axum::response::Response;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, axum::response::Response> {
        use axum::response::IntoResponse;
        let bytes = super::extract::read_bytes(request, state).await?;
        parse_action(&bytes).map(Action).map_err(|error| refuse(error).into_response())
    }
}

impl aide::OperationInput for Action {
    fn operation_input(ctx: &mut aide::generate::GenContext, operation: &mut aide::openapi::Operation) {
        super::extract::document_body::<sdrs_core::action::ActionBody>(ctx, operation, true);
    }
}
