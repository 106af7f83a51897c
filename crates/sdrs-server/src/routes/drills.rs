//! DR drills: create, list, show, rename and delete.

use axum::extract::State;
use axum::Json;

use sdrs_core::list_query::ListKind;
use sdrs_core::member_rules;
use sdrs_core::request::ResourceName;
use sdrs_core::status::DrillStatus;
use sdrs_core::timefmt::resource_time;
use sdrs_core::wire::{
    CreateDrillRequest, DisasterRecoveryDrill, DisasterRecoveryDrillList, DisasterRecoveryDrillResponse, JobEntities,
    JobIdResponse, JobType, UpdateDrillNameRequest,
};

use super::{drill_or_404, group_or_404, load_snapshot, refuse, Body, Filters, Ids, ListOf, Stored, SubmissionKey};
use crate::error::ApiResult;
use crate::jobs::{self, kinds, AnyJobKind};
use crate::store::{self, Resource};
use crate::AppState;

/// The DR-drill list.
pub struct DrillList;

impl ListOf for DrillList {
    const LIST: ListKind = ListKind::Drills;
}

pub async fn list(
    State(state): State<AppState>,
    Ids(project): Ids<String>,
    Filters(query, _): Filters<DrillList>,
) -> ApiResult<Stored<DisasterRecoveryDrillList>> {
    let filter = super::list_filter(DrillList::LIST, &query);
    let (drills, count) = super::list_page(&state, project, DisasterRecoveryDrill::KIND, filter).await?;
    Ok(Stored::page("disaster_recovery_drills", &drills, count))
}

pub async fn create(
    State(state): State<AppState>,
    Ids(project): Ids<String>,
    key: SubmissionKey,
    Body(request): Body<CreateDrillRequest>,
) -> ApiResult<Json<JobIdResponse>> {
    let params = request.disaster_recovery_drill;
    ResourceName::parse(&params.name).map_err(refuse)?;
    let group = params.server_group_id.clone();
    super::job_response(&state, project.clone(), Some(group), key, move |tx, now| {
        let snapshot = load_snapshot(tx, &project, group_or_404(tx, &project, &params.server_group_id)?)?;
        super::check(member_rules::create_drill(&snapshot.facts(), params.drill_vpc_id.as_deref()))?;
        let mut group = snapshot.server_group;
        let stamp = resource_time(now);
        let drill = DisasterRecoveryDrill {
            id: uuid::Uuid::new_v4().to_string(),
            name: params.name.clone(),
            status: DrillStatus::Creating,
            drill_vpc_id: params.drill_vpc_id.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            created_at: stamp.clone(),
            updated_at: stamp,
            server_group_id: group.id.clone(),
            drill_servers: Vec::new(),
        };
        store::insert(tx, &project, &drill)?;
        group.disaster_recovery_drill_num += 1;
        store::update(tx, &project, &group)?;
        let entities = JobEntities {
            server_group_id: Some(group.id.clone()),
            disaster_recovery_drill_id: Some(drill.id.clone()),
            ..JobEntities::default()
        };
        let kind: AnyJobKind = kinds::create_drill::CreateDrill { drill_id: drill.id.clone() }.into();
        Ok(jobs::Submission { job_type: JobType::CreateDisasterRecoveryDrill.as_str(), entities, kind })
    })
    .await
}

pub async fn show(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
) -> ApiResult<Json<DisasterRecoveryDrillResponse>> {
    let disaster_recovery_drill = state.db.call(move |conn| drill_or_404(conn, &project, &id)).await?;
    Ok(Json(DisasterRecoveryDrillResponse { disaster_recovery_drill }))
}

pub async fn rename(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
    Body(request): Body<UpdateDrillNameRequest>,
) -> ApiResult<Json<DisasterRecoveryDrillResponse>> {
    let disaster_recovery_drill =
        super::rename(&state, project, id, request.disaster_recovery_drill.name, drill_or_404).await?;
    Ok(Json(DisasterRecoveryDrillResponse { disaster_recovery_drill }))
}

pub async fn remove(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
    key: SubmissionKey,
) -> ApiResult<Json<JobIdResponse>> {
    super::job_response(&state, project.clone(), None, key, move |tx, now| {
        let mut drill = drill_or_404(tx, &project, &id)?;
        super::check(member_rules::delete_drill(&drill))?;
        drill.status = DrillStatus::Deleting;
        drill.updated_at = resource_time(now);
        store::update(tx, &project, &drill)?;
        let entities = JobEntities {
            server_group_id: Some(drill.server_group_id.clone()),
            disaster_recovery_drill_id: Some(drill.id.clone()),
            ..JobEntities::default()
        };
        let kind: AnyJobKind = kinds::delete_drill::DeleteDrill { drill_id: drill.id.clone() }.into();
        Ok(jobs::Submission { job_type: JobType::DeleteDisasterRecoveryDrill.as_str(), entities, kind })
    })
    .await
}
