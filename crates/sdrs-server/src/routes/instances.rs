//! Protected instances: create, list, show, rename, delete, and attaching and detaching replication pairs.

use axum::extract::State;
use axum::Json;

use sdrs_core::list_query::ListKind;
use sdrs_core::member_rules;
use sdrs_core::request::{validate_description, ResourceName};
use sdrs_core::status::{InstanceStatus, PriorityStation, ReplicationStatus};
use sdrs_core::timefmt::resource_time;
use sdrs_core::wire::{
    AttachReplicationRequest, CreateProtectedInstanceRequest, DeleteProtectedInstanceRequest, JobEntities,
    JobIdResponse, JobType, ProtectedInstance, ProtectedInstanceList, ProtectedInstanceResponse,
    UpdateProtectedInstanceNameRequest,
};

use super::{
    group_or_404, instance_or_404, load_snapshot, refuse, replication_or_404, Body, Filters, Ids, ListOf, OptionalBody,
    Stored, SubmissionKey,
};
use crate::error::ApiResult;
use crate::jobs::{self, kinds, AnyJobKind};
use crate::store::{self, Resource};
use crate::AppState;
use sdrs_core::wire::NativeServer;

/// The protected-instance list.
pub struct InstanceList;

impl ListOf for InstanceList {
    const LIST: ListKind = ListKind::ProtectedInstances;
}

pub async fn list(
    State(state): State<AppState>,
    Ids(project): Ids<String>,
    Filters(query, _): Filters<InstanceList>,
) -> ApiResult<Stored<ProtectedInstanceList>> {
    let filter = super::list_filter(InstanceList::LIST, &query);
    let (protected_instances, count) = super::list_page(&state, project, ProtectedInstance::KIND, filter).await?;
    Ok(Stored::page("protected_instances", &protected_instances, count))
}

pub async fn create(
    State(state): State<AppState>,
    Ids(project): Ids<String>,
    key: SubmissionKey,
    Body(request): Body<CreateProtectedInstanceRequest>,
) -> ApiResult<Json<JobIdResponse>> {
    let params = request.protected_instance;
    ResourceName::parse(&params.name).map_err(refuse)?;
    validate_description(params.description.as_deref()).map_err(refuse)?;
    super::job_response(&state, project.clone(), None, key, move |tx, now| {
        let snapshot = load_snapshot(tx, &project, group_or_404(tx, &project, &params.server_group_id)?)?;
        let server = store::get::<NativeServer>(tx, &project, &params.server_id)?;
        let in_use = tx.in_use(&project, store::InUse::Server(&params.server_id))?;
        super::check(member_rules::protect_server(&snapshot.facts(), server.as_ref(), in_use))?;
        let mut group = snapshot.server_group;
        let server = server.expect("protect_server refuses a missing server");
        let dr_server = uuid::Uuid::new_v4().to_string();
        let (source_server, target_server) = match group.priority_station {
            PriorityStation::Source => (server.id.clone(), dr_server),
            PriorityStation::Target => (dr_server, server.id.clone()),
        };
        let stamp = resource_time(now);
        let instance = ProtectedInstance {
            id: uuid::Uuid::new_v4().to_string(),
            name: params.name.clone(),
            description: params.description.clone(),
            server_group_id: group.id.clone(),
            status: InstanceStatus::Creating,
            progress: 0,
            source_server,
            target_server,
            created_at: stamp.clone(),
            updated_at: stamp,
            priority_station: group.priority_station,
            attachment: Vec::new(),
            tags: params.tags.clone(),
            metadata: serde_json::Map::new(),
        };
        store::insert(tx, &project, &instance)?;
        group.protected_instance_num += 1;
        store::update(tx, &project, &group)?;
        let entities = JobEntities {
            server_group_id: Some(group.id.clone()),
            protected_instance_id: Some(instance.id.clone()),
            ..JobEntities::default()
        };
        let kind: AnyJobKind =
            kinds::create_instance::CreateInstance { protected_instance_id: instance.id.clone() }.into();
        Ok(jobs::Submission { job_type: JobType::CreateProtectedInstance.as_str(), entities, kind })
    })
    .await
}

pub async fn show(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
) -> ApiResult<Json<ProtectedInstanceResponse>> {
    let protected_instance = state.db.call(move |conn| instance_or_404(conn, &project, &id)).await?;
    Ok(Json(ProtectedInstanceResponse { protected_instance }))
}

pub async fn rename(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
    Body(request): Body<UpdateProtectedInstanceNameRequest>,
) -> ApiResult<Json<ProtectedInstanceResponse>> {
    let protected_instance =
        super::rename(&state, project, id, request.protected_instance.name, instance_or_404).await?;
    Ok(Json(ProtectedInstanceResponse { protected_instance }))
}

pub async fn remove(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
    key: SubmissionKey,
    OptionalBody(request): OptionalBody<DeleteProtectedInstanceRequest>,
) -> ApiResult<Json<JobIdResponse>> {
    super::job_response(&state, project.clone(), None, key, move |tx, now| {
        let mut instance = instance_or_404(tx, &project, &id)?;
        let group = group_or_404(tx, &project, &instance.server_group_id)?;
        super::check(member_rules::delete_instance(&group, &instance))?;
        instance.status = InstanceStatus::Deleting;
        instance.updated_at = resource_time(now);
        store::update(tx, &project, &instance)?;
        let entities = JobEntities {
            server_group_id: Some(group.id.clone()),
            protected_instance_id: Some(instance.id.clone()),
            ..JobEntities::default()
        };
        let kind: AnyJobKind = kinds::delete_instance::DeleteInstance {
            protected_instance_id: instance.id.clone(),
            delete_target_server: request.delete_target_server,
        }
        .into();
        Ok(jobs::Submission { job_type: JobType::DeleteProtectedInstance.as_str(), entities, kind })
    })
    .await
}

pub async fn attach(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
    key: SubmissionKey,
    Body(request): Body<AttachReplicationRequest>,
) -> ApiResult<Json<JobIdResponse>> {
    let params = request.replication_attachment;
    sdrs_core::request::parse_device(&params.device).map_err(refuse)?;
    super::job_response(&state, project.clone(), None, key, move |tx, now| {
        let instance = instance_or_404(tx, &project, &id)?;
        let mut pair = replication_or_404(tx, &project, &params.replication_id)?;
        let snapshot = load_snapshot(tx, &project, group_or_404(tx, &project, &instance.server_group_id)?)?;
        super::check(member_rules::attach_pair(&snapshot.facts(), &instance, &pair, &params.device))?;
        let group = snapshot.server_group;
        let previous_replication = pair.status;
        pair.status = ReplicationStatus::Attaching;
        pair.updated_at = resource_time(now);
        store::update(tx, &project, &pair)?;
        let entities = JobEntities {
            server_group_id: Some(group.id.clone()),
            protected_instance_id: Some(instance.id.clone()),
            replication_pair_id: Some(pair.id.clone()),
            ..JobEntities::default()
        };
        let kind: AnyJobKind = kinds::attach::Attach {
            protected_instance_id: instance.id.clone(),
            replication_id: pair.id.clone(),
            device: params.device.clone(),
            previous_instance: instance.status,
            previous_replication,
        }
        .into();
        Ok(jobs::Submission { job_type: JobType::AttachReplicationPair.as_str(), entities, kind })
    })
    .await
}

pub async fn detach(
    State(state): State<AppState>,
    Ids((project, id, replication_id)): Ids<(String, String, String)>,
    key: SubmissionKey,
) -> ApiResult<Json<JobIdResponse>> {
    super::job_response(&state, project.clone(), None, key, move |tx, now| {
        let instance = instance_or_404(tx, &project, &id)?;
        let mut pair = replication_or_404(tx, &project, &replication_id)?;
        let group = group_or_404(tx, &project, &instance.server_group_id)?;
        super::check(member_rules::detach_pair(&group, &instance, &pair))?;
        let previous_replication = pair.status;
        pair.status = ReplicationStatus::Detaching;
        pair.updated_at = resource_time(now);
        store::update(tx, &project, &pair)?;
        let entities = JobEntities {
            server_group_id: Some(group.id.clone()),
            protected_instance_id: Some(instance.id.clone()),
            replication_pair_id: Some(pair.id.clone()),
            ..JobEntities::default()
        };
        let kind: AnyJobKind = kinds::detach::Detach {
            protected_instance_id: instance.id.clone(),
            replication_id: pair.id.clone(),
            previous_instance: instance.status,
            previous_replication,
        }
        .into();
        Ok(jobs::Submission { job_type: JobType::DetachReplicationPair.as_str(), entities, kind })
    })
    .await
}
