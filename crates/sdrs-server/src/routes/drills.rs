//! DR drills: create, list, show, rename and delete.

use axum::extract::State;
use axum::Json;

use sdrs_core::member_rules;
use sdrs_core::request::RequestError;
use sdrs_core::request::{parse_paging, ResourceName};
use sdrs_core::status::DrillStatus;
use sdrs_core::timefmt::resource_time;
use sdrs_core::wire::{
    CreateDrillRequest, DisasterRecoveryDrill, DisasterRecoveryDrillList, DisasterRecoveryDrillResponse, JobEntities,
    JobIdResponse, JobType, UpdateDrillNameRequest,
};

use super::{drill_or_404, group_or_404, refuse, Body, FilterKeys, Filters, Ids};
use crate::error::ApiResult;
use crate::jobs::{self, kinds, PlanKind};
use crate::store::{self, ListFilter};
use crate::AppState;

/// The query keys of the DR-drill list.
pub struct DrillFilters;

impl FilterKeys for DrillFilters {
    const KEYS: &'static [&'static str] = &["limit", "offset", "server_group_id", "name", "status", "drill_vpc_id"];
}

pub async fn list(
    State(state): State<AppState>,
    Ids(project): Ids<String>,
    query: Filters<DrillFilters>,
) -> ApiResult<Json<DisasterRecoveryDrillList>> {
    let paging = parse_paging(query.borrowed()).map_err(refuse)?;
    let status =
        query.get("status").map(str::parse::<DrillStatus>).transpose().map_err(|e| refuse(RequestError::from(e)))?;
    let vpc = query.get("drill_vpc_id").map(str::to_owned);
    let filter = ListFilter {
        server_group_ids: query.get("server_group_id").map(|id| vec![id.to_owned()]),
        status: status.map(|s| s.as_str().to_owned()),
        name_contains: query.get("name").map(str::to_owned),
        limit: paging.limit,
        offset: paging.offset,
        ..ListFilter::default()
    };
    let (mut disaster_recovery_drills, mut count) =
        state.db.call(move |conn| store::list::<DisasterRecoveryDrill>(conn, &project, &filter)).await?;
    if let Some(vpc) = vpc {
        disaster_recovery_drills.retain(|d| d.drill_vpc_id == vpc);
        count = disaster_recovery_drills.len() as u64;
    }
    Ok(Json(DisasterRecoveryDrillList { disaster_recovery_drills, count }))
}

pub async fn create(
    State(state): State<AppState>,
    Ids(project): Ids<String>,
    Body(request): Body<CreateDrillRequest>,
) -> ApiResult<Json<JobIdResponse>> {
    let params = request.disaster_recovery_drill;
    ResourceName::parse(&params.name).map_err(refuse)?;
    super::job_response(&state, project.clone(), move |tx, now| {
        let mut group = group_or_404(tx, &project, &params.server_group_id)?;
        super::check(member_rules::create_drill(&group, params.drill_vpc_id.as_deref()))?;
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
        let kind: PlanKind = kinds::create_drill::CreateDrill { drill_id: drill.id.clone() }.into();
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
) -> ApiResult<Json<JobIdResponse>> {
    super::job_response(&state, project.clone(), move |tx, now| {
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
        let kind: PlanKind = kinds::delete_drill::DeleteDrill { drill_id: drill.id.clone() }.into();
        Ok(jobs::Submission { job_type: JobType::DeleteDisasterRecoveryDrill.as_str(), entities, kind })
    })
    .await
}
