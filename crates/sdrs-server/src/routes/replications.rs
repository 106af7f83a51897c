//! Replication pairs: create, list, show, rename, expand and delete.

use axum::extract::State;
use axum::Json;

use sdrs_core::list_query::ListKind;
use sdrs_core::member_rules;
use sdrs_core::request::{validate_description, ResourceName};
use sdrs_core::status::ReplicationStatus;
use sdrs_core::timefmt::resource_time;
use sdrs_core::wire::{
    CreateReplicationRequest, DeleteReplicationRequest, ExpandReplicationRequest, JobEntities, JobIdResponse, JobType,
    ProtectedInstance, RecordMetadata, Replication, ReplicationList, ReplicationResponse, UpdateReplicationNameRequest,
};

use super::{
    group_or_404, load_snapshot, refuse, replication_or_404, Body, Filters, Ids, ListOf, OptionalBody, Stored,
    SubmissionKey,
};
use crate::error::ApiResult;
use crate::jobs::{self, kinds, AnyJobKind};
use crate::store::{self, Resource};
use crate::AppState;
use sdrs_core::wire::NativeDisk;

/// The replication-pair list.
pub struct PairList;

impl ListOf for PairList {
    const LIST: ListKind = ListKind::Replications;
}

pub async fn list(
    State(state): State<AppState>,
    Ids(project): Ids<String>,
    Filters(query, _): Filters<PairList>,
) -> ApiResult<Stored<ReplicationList>> {
    let mut filter = super::list_filter(PairList::LIST, &query);
    if let Some(instance_ids) = query.protected_instance_ids {
        // The pairs attached to the named instances; an id that names no instance is ignored, as documented.
        let reader = project.clone();
        filter.ids = Some(
            state
                .db
                .call(move |conn| {
                    let mut pair_ids = Vec::new();
                    for id in &instance_ids {
                        if let Some(instance) = store::get::<ProtectedInstance>(conn, &reader, id)? {
                            pair_ids.extend(instance.attachment.into_iter().map(|a| a.replication));
                        }
                    }
                    Ok(pair_ids)
                })
                .await?,
        );
    }
    let (replications, count) = super::list_page(&state, project, Replication::KIND, filter).await?;
    Ok(Stored::page("replications", &replications, count))
}

pub async fn create(
    State(state): State<AppState>,
    Ids(project): Ids<String>,
    key: SubmissionKey,
    Body(request): Body<CreateReplicationRequest>,
) -> ApiResult<Json<JobIdResponse>> {
    let params = request.replication;
    ResourceName::parse(&params.name).map_err(refuse)?;
    validate_description(params.description.as_deref()).map_err(refuse)?;
    super::job_response(&state, project.clone(), None, key, move |tx, now| {
        let snapshot = load_snapshot(tx, &project, group_or_404(tx, &project, &params.server_group_id)?)?;
        let disk = store::get::<NativeDisk>(tx, &project, &params.volume_id)?;
        let in_use = tx.in_use(&project, store::InUse::Disk(&params.volume_id))?;
        super::check(member_rules::create_pair(&snapshot.facts(), disk.as_ref(), in_use))?;
        let mut group = snapshot.server_group;
        let disk = disk.expect("create_pair refuses a missing disk");
        let dr_disk_id = uuid::Uuid::new_v4().to_string();
        let stamp = resource_time(now);
        let pair = Replication {
            id: uuid::Uuid::new_v4().to_string(),
            name: params.name.clone(),
            description: params.description.clone(),
            replication_model: Some("hypermetro".to_owned()),
            status: ReplicationStatus::Creating,
            progress: 0,
            replication_status: None,
            attachment: Vec::new(),
            server_group_id: group.id.clone(),
            volume_ids: format!("{},{dr_disk_id}", disk.id),
            priority_station: group.priority_station,
            fault_level: "0".to_owned(),
            created_at: stamp.clone(),
            updated_at: stamp,
            record_metadata: RecordMetadata {
                multiattach: disk.multiattach,
                bootable: disk.bootable,
                volume_size: disk.size_gb,
                volume_type: disk.volume_type.clone(),
            },
            failure_detail: None,
        };
        store::insert(tx, &project, &pair)?;
        group.replication_num += 1;
        store::update(tx, &project, &group)?;
        let entities = JobEntities {
            server_group_id: Some(group.id.clone()),
            replication_pair_id: Some(pair.id.clone()),
            volume_ids: Some(pair.volume_ids.clone()),
            ..JobEntities::default()
        };
        let kind: AnyJobKind =
            kinds::create_replication::CreateReplication { replication_id: pair.id.clone(), dr_disk_id }.into();
        Ok(jobs::Submission { job_type: JobType::CreateReplicationPair.as_str(), entities, kind })
    })
    .await
}

pub async fn show(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
) -> ApiResult<Json<ReplicationResponse>> {
    let replication = state.db.call(move |conn| replication_or_404(conn, &project, &id)).await?;
    Ok(Json(ReplicationResponse { replication }))
}

pub async fn rename(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
    Body(request): Body<UpdateReplicationNameRequest>,
) -> ApiResult<Json<ReplicationResponse>> {
    let replication = super::rename(&state, project, id, request.replication.name, replication_or_404).await?;
    Ok(Json(ReplicationResponse { replication }))
}

pub async fn expand(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
    key: SubmissionKey,
    Body(request): Body<ExpandReplicationRequest>,
) -> ApiResult<Json<JobIdResponse>> {
    let new_size = request.extend_replication.new_size;
    super::job_response(&state, project.clone(), None, key, move |tx, now| {
        let mut pair = replication_or_404(tx, &project, &id)?;
        let snapshot = load_snapshot(tx, &project, group_or_404(tx, &project, &pair.server_group_id)?)?;
        super::check(member_rules::expand_pair(&snapshot.facts(), &pair, new_size))?;
        let group = snapshot.server_group;
        let previous_status = member_rules::status_after_expand(pair.status, group.status);
        pair.status = ReplicationStatus::Extending;
        pair.updated_at = resource_time(now);
        store::update(tx, &project, &pair)?;
        let entities = JobEntities {
            server_group_id: Some(pair.server_group_id.clone()),
            replication_pair_id: Some(pair.id.clone()),
            volume_ids: Some(pair.volume_ids.clone()),
            ..JobEntities::default()
        };
        let kind: AnyJobKind =
            kinds::expand_replication::ExpandReplication { replication_id: pair.id.clone(), new_size, previous_status }
                .into();
        Ok(jobs::Submission { job_type: JobType::ExpandReplicationPair.as_str(), entities, kind })
    })
    .await
}

pub async fn remove(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
    key: SubmissionKey,
    OptionalBody(request): OptionalBody<DeleteReplicationRequest>,
) -> ApiResult<Json<JobIdResponse>> {
    super::job_response(&state, project.clone(), None, key, move |tx, now| {
        let mut pair = replication_or_404(tx, &project, &id)?;
        let group = group_or_404(tx, &project, &pair.server_group_id)?;
        super::check(member_rules::delete_pair(&group, &pair))?;
        pair.status = ReplicationStatus::Deleting;
        pair.updated_at = resource_time(now);
        store::update(tx, &project, &pair)?;
        let entities = JobEntities {
            server_group_id: Some(group.id.clone()),
            replication_pair_id: Some(pair.id.clone()),
            volume_ids: Some(pair.volume_ids.clone()),
            ..JobEntities::default()
        };
        let kind: AnyJobKind = kinds::delete_replication::DeleteReplication {
            replication_id: pair.id.clone(),
            delete_target_volume: request.replication.delete_target_volume,
        }
        .into();
        Ok(jobs::Submission { job_type: JobType::DeleteReplicationPair.as_str(), entities, kind })
    })
    .await
}
