//! What jobs do to the stored resources: when submitted, at each step, and when they succeed or fail.
//!
//! Status changes come from the core's state machine; this module only applies them.

use r2d2_sqlite::rusqlite::{params, Transaction};

use sdrs_core::snapshot::PowerState;
use sdrs_core::state_machine::Operation;
use sdrs_core::status::{DrillStatus, GroupStatus, InstanceStatus, PriorityStation, ReplicationStatus};
use sdrs_core::timefmt::{resource_time, UnixMillis};
use sdrs_core::wire::{
    DisasterRecoveryDrill, DrillServer, FailureJob, InstanceAttachment, Job, ProtectedInstance, Replication,
    ReplicationAttachment, ServerGroup,
};
use sdrs_core::ErrorCode;

use super::{Plan, PlanKind};
use crate::error::{ApiError, ApiResult};
use crate::store::{self, Resource};
use sdrs_core::wire::{NativeDisk, NativeServer};

fn load<R: Resource>(tx: &Transaction<'_>, project_id: &str, id: &str) -> ApiResult<R> {
    store::get::<R>(tx, project_id, id)?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("{} {id} vanished while a job ran on it", R::KIND)))
}

/// The status a new member gets from its group's status: protected groups protect new members at once.
pub fn member_status_on_create(group: GroupStatus) -> InstanceStatus {
    if group == GroupStatus::Protected {
        InstanceStatus::Protected
    } else {
        InstanceStatus::Available
    }
}

fn replication_status(status: InstanceStatus) -> ReplicationStatus {
    status.as_str().parse().expect("member statuses exist for replication pairs")
}

/// Moves a group and its members into the operation's transient status, in the submitting transaction.
pub fn begin_group_operation(
    tx: &Transaction<'_>,
    project: &str,
    group: &mut ServerGroup,
    operation: Operation,
    now: UnixMillis,
) -> ApiResult<()> {
    let transition = operation.transition();
    group.status = transition.transient;
    group.updated_at = resource_time(now);
    store::update(tx, project, group)?;
    if let Some(members) = transition.members {
        set_members(tx, project, &group.id, members.transient, None, None, now)?;
    }
    Ok(())
}

fn set_members(
    tx: &Transaction<'_>,
    project: &str,
    group_id: &str,
    status: InstanceStatus,
    station: Option<PriorityStation>,
    replication_state: Option<&str>,
    now: UnixMillis,
) -> ApiResult<()> {
    for mut instance in store::members::<ProtectedInstance>(tx, project, group_id)? {
        instance.status = status;
        instance.priority_station = station.unwrap_or(instance.priority_station);
        instance.updated_at = resource_time(now);
        store::update(tx, project, &instance)?;
    }
    for mut pair in store::members::<Replication>(tx, project, group_id)? {
        pair.status = replication_status(status);
        pair.priority_station = station.unwrap_or(pair.priority_station);
        if let Some(state) = replication_state {
            pair.replication_status = Some(state.to_owned());
        }
        pair.updated_at = resource_time(now);
        store::update(tx, project, &pair)?;
    }
    Ok(())
}

fn set_power(tx: &Transaction<'_>, project: &str, server_id: &str, power: PowerState) -> ApiResult<()> {
    if let Some(mut server) = store::get::<NativeServer>(tx, project, server_id)? {
        if server.power_state != PowerState::Deleted {
            server.power_state = power;
            store::update(tx, project, &server)?;
        }
    }
    Ok(())
}

/// Applies one finished step.
pub fn on_step(tx: &Transaction<'_>, plan: &Plan, step: &str, now: UnixMillis) -> ApiResult<()> {
    let project = plan.project_id.as_str();
    match (&plan.kind, step) {
        (PlanKind::Group { server_group_id, .. }, "stopProductionServers" | "startDrServers") => {
            let group: ServerGroup = load(tx, project, server_group_id)?;
            let station = group.priority_station;
            for instance in store::members::<ProtectedInstance>(tx, project, server_group_id)? {
                if step == "stopProductionServers" {
                    set_power(tx, project, instance.production_server(station), PowerState::Stopped)?;
                } else {
                    set_power(tx, project, instance.dr_server(station), PowerState::Running)?;
                }
            }
        }
        (PlanKind::Group { server_group_id, requested_station, .. }, "startProductionServers") => {
            let group: ServerGroup = load(tx, project, server_group_id)?;
            let station = requested_station.unwrap_or(group.priority_station.flipped());
            for instance in store::members::<ProtectedInstance>(tx, project, server_group_id)? {
                set_power(tx, project, instance.production_server(station), PowerState::Running)?;
            }
        }
        (PlanKind::CreateInstance { protected_instance_id }, "createDrServer") => {
            let instance: ProtectedInstance = load(tx, project, protected_instance_id)?;
            let group: ServerGroup = load(tx, project, &instance.server_group_id)?;
            let station = group.priority_station;
            let source: NativeServer = load(tx, project, instance.production_server(station))?;
            let dr_id = instance.dr_server(station);
            if store::get::<NativeServer>(tx, project, dr_id)?.is_none() {
                let dr = NativeServer {
                    id: dr_id.to_owned(),
                    availability_zone: group.dr_availability_zone().to_owned(),
                    power_state: PowerState::Stopped,
                    protected_instance_id: Some(instance.id.clone()),
                    ..source
                };
                store::insert(tx, project, &dr)?;
            }
        }
        (PlanKind::CreateReplication { replication_id, dr_disk_id }, "createDrDisk") => {
            let pair: Replication = load(tx, project, replication_id)?;
            let group: ServerGroup = load(tx, project, &pair.server_group_id)?;
            let (production_disk, _) = pair.volume_pair().unwrap_or((pair.volume_ids.as_str(), ""));
            let disk: NativeDisk = load(tx, project, production_disk)?;
            if store::get::<NativeDisk>(tx, project, dr_disk_id)?.is_none() {
                let dr = NativeDisk {
                    id: dr_disk_id.clone(),
                    availability_zone: group.dr_availability_zone().to_owned(),
                    status: "available".to_owned(),
                    server_id: None,
                    ..disk
                };
                store::insert(tx, project, &dr)?;
            }
        }
        (PlanKind::CreateDrill { drill_id }, "createDrillServers") => {
            let mut drill: DisasterRecoveryDrill = load(tx, project, drill_id)?;
            let group: ServerGroup = load(tx, project, &drill.server_group_id)?;
            drill.drill_servers.clear();
            for instance in store::members::<ProtectedInstance>(tx, project, &drill.server_group_id)? {
                let dr_id = instance.dr_server(group.priority_station);
                let Some(dr) = store::get::<NativeServer>(tx, project, dr_id)? else { continue };
                let drill_server = NativeServer {
                    id: uuid::Uuid::new_v4().to_string(),
                    name: format!("{}-drill", dr.name),
                    vpc_id: drill.drill_vpc_id.clone(),
                    power_state: PowerState::Running,
                    protected_instance_id: Some(instance.id.clone()),
                    ..dr
                };
                store::insert(tx, project, &drill_server)?;
                drill
                    .drill_servers
                    .push(DrillServer { protected_instance: instance.id.clone(), drill_server_id: drill_server.id });
            }
            drill.updated_at = resource_time(now);
            store::update(tx, project, &drill)?;
        }
        _ => {}
    }
    Ok(())
}

fn adjust_counter(tx: &Transaction<'_>, project: &str, group_id: &str, field: &str, delta: i32) -> ApiResult<()> {
    if let Some(mut group) = store::get::<ServerGroup>(tx, project, group_id)? {
        let counter = match field {
            "instances" => &mut group.protected_instance_num,
            "replications" => &mut group.replication_num,
            _ => &mut group.disaster_recovery_drill_num,
        };
        *counter = counter.saturating_add_signed(delta);
        store::update(tx, project, &group)?;
    }
    Ok(())
}

/// Applies a job's success: final statuses, the production site, removals.
pub fn on_success(tx: &Transaction<'_>, plan: &Plan, job: &mut Job, now: UnixMillis) -> ApiResult<()> {
    let project = plan.project_id.as_str();
    let stamp = resource_time(now);
    match &plan.kind {
        PlanKind::Group { operation: Operation::Delete, server_group_id, .. } => {
            store::remove::<ServerGroup>(tx, project, server_group_id)?;
        }
        PlanKind::Group { operation, server_group_id, requested_station } => {
            let mut group: ServerGroup = load(tx, project, server_group_id)?;
            let transition = operation.transition();
            group.status = transition.success.expect("only delete removes the group");
            group.priority_station = transition.station_after(group.priority_station, *requested_station);
            if matches!(operation, Operation::Enable | Operation::Reprotect) {
                group.progress = 100;
            }
            group.updated_at = stamp;
            store::update(tx, project, &group)?;
            if let Some(members) = transition.members {
                let replicating = match operation {
                    Operation::Disable | Operation::Failover => "active-stopped",
                    _ => "active",
                };
                set_members(
                    tx,
                    project,
                    server_group_id,
                    members.success,
                    Some(group.priority_station),
                    Some(replicating),
                    now,
                )?;
            }
        }
        PlanKind::CreateInstance { protected_instance_id } => {
            let mut instance: ProtectedInstance = load(tx, project, protected_instance_id)?;
            let group: ServerGroup = load(tx, project, &instance.server_group_id)?;
            instance.status = member_status_on_create(group.status);
            instance.progress = 100;
            instance.updated_at = stamp;
            store::update(tx, project, &instance)?;
            job.entities.native_server_id = Some(instance.dr_server(group.priority_station).to_owned());
        }
        PlanKind::DeleteInstance { protected_instance_id, delete_target_server } => {
            let instance: ProtectedInstance = load(tx, project, protected_instance_id)?;
            let group: ServerGroup = load(tx, project, &instance.server_group_id)?;
            for mut pair in store::members::<Replication>(tx, project, &instance.server_group_id)? {
                if pair.attachment.iter().any(|a| a.protected_instance == instance.id) {
                    pair.attachment.retain(|a| a.protected_instance != instance.id);
                    store::update(tx, project, &pair)?;
                }
            }
            if *delete_target_server {
                store::remove::<NativeServer>(tx, project, instance.dr_server(group.priority_station))?;
            }
            store::remove::<ProtectedInstance>(tx, project, &instance.id)?;
            adjust_counter(tx, project, &instance.server_group_id, "instances", -1)?;
        }
        PlanKind::CreateReplication { replication_id, .. } => {
            let mut pair: Replication = load(tx, project, replication_id)?;
            let group: ServerGroup = load(tx, project, &pair.server_group_id)?;
            pair.status = replication_status(member_status_on_create(group.status));
            pair.replication_status =
                Some(if pair.status == ReplicationStatus::Protected { "active" } else { "inactive" }.to_owned());
            pair.progress = 100;
            pair.updated_at = stamp;
            store::update(tx, project, &pair)?;
        }
        PlanKind::DeleteReplication { replication_id, delete_target_volume } => {
            let pair: Replication = load(tx, project, replication_id)?;
            if *delete_target_volume {
                if let Some((production, dr)) = pair.volume_pair() {
                    let group: ServerGroup = load(tx, project, &pair.server_group_id)?;
                    let dr_disk = if group.priority_station == PriorityStation::Source { dr } else { production };
                    store::remove::<NativeDisk>(tx, project, dr_disk)?;
                }
            }
            store::remove::<Replication>(tx, project, &pair.id)?;
            adjust_counter(tx, project, &pair.server_group_id, "replications", -1)?;
        }
        PlanKind::ExpandReplication { replication_id, new_size, previous_status } => {
            let mut pair: Replication = load(tx, project, replication_id)?;
            pair.record_metadata.volume_size = *new_size;
            pair.status = *previous_status;
            pair.updated_at = stamp;
            if let Some((a, b)) = pair.volume_pair() {
                for disk_id in [a.to_owned(), b.to_owned()] {
                    if let Some(mut disk) = store::get::<NativeDisk>(tx, project, &disk_id)? {
                        disk.size_gb = *new_size;
                        store::update(tx, project, &disk)?;
                    }
                }
            }
            store::update(tx, project, &pair)?;
        }
        PlanKind::Attach { protected_instance_id, replication_id, device, previous_instance, previous_replication } => {
            let mut instance: ProtectedInstance = load(tx, project, protected_instance_id)?;
            let mut pair: Replication = load(tx, project, replication_id)?;
            instance.attachment.push(InstanceAttachment { replication: pair.id.clone(), device: device.clone() });
            pair.attachment
                .push(ReplicationAttachment { device: device.clone(), protected_instance: instance.id.clone() });
            instance.status = *previous_instance;
            pair.status = *previous_replication;
            instance.updated_at = stamp.clone();
            pair.updated_at = stamp;
            store::update(tx, project, &instance)?;
            store::update(tx, project, &pair)?;
        }
        PlanKind::Detach { protected_instance_id, replication_id, previous_instance, previous_replication } => {
            let mut instance: ProtectedInstance = load(tx, project, protected_instance_id)?;
            let mut pair: Replication = load(tx, project, replication_id)?;
            instance.attachment.retain(|a| a.replication != pair.id);
            pair.attachment.retain(|a| a.protected_instance != instance.id);
            instance.status = *previous_instance;
            pair.status = *previous_replication;
            store::update(tx, project, &instance)?;
            store::update(tx, project, &pair)?;
        }
        PlanKind::CreateDrill { drill_id } => {
            let mut drill: DisasterRecoveryDrill = load(tx, project, drill_id)?;
            drill.status = DrillStatus::Available;
            drill.updated_at = stamp;
            store::update(tx, project, &drill)?;
            job.entities.disaster_recovery_drill_id = Some(drill.id.clone());
        }
        PlanKind::DeleteDrill { drill_id } => {
            let drill: DisasterRecoveryDrill = load(tx, project, drill_id)?;
            for server in &drill.drill_servers {
                store::remove::<NativeServer>(tx, project, &server.drill_server_id)?;
            }
            store::remove::<DisasterRecoveryDrill>(tx, project, drill_id)?;
            adjust_counter(tx, project, &drill.server_group_id, "drills", -1)?;
        }
    }
    Ok(())
}

/// Changes a resource of the project in place if it still exists; returns its id and name, for the task centre.
fn mark<R: Resource>(
    tx: &Transaction<'_>,
    project: &str,
    id: &str,
    change: impl FnOnce(&mut R),
) -> ApiResult<Option<(String, String)>> {
    let Some(mut resource) = store::get::<R>(tx, project, id)? else { return Ok(None) };
    change(&mut resource);
    store::update(tx, project, &resource)?;
    Ok(Some((resource.id().to_owned(), resource.name().to_owned())))
}

/// Applies a job's failure: error statuses, and a task-centre entry. A resource that is gone is skipped (the
/// failure is still recorded), so that failing a job can itself never fail on what made the job fail.
pub fn on_failure(
    tx: &Transaction<'_>,
    plan: &Plan,
    job: &mut Job,
    code: ErrorCode,
    reason: &str,
    now: UnixMillis,
) -> ApiResult<()> {
    let project = plan.project_id.as_str();
    let stamp = resource_time(now);
    let named = match &plan.kind {
        PlanKind::Group { operation, server_group_id, .. } => {
            let transition = operation.transition();
            let named = mark::<ServerGroup>(tx, project, server_group_id, |group| {
                group.status = transition.failure;
                group.updated_at = stamp;
            })?;
            if let (Some(_), Some(members)) = (&named, transition.members) {
                set_members(tx, project, server_group_id, members.failure, None, None, now)?;
            }
            named
        }
        PlanKind::CreateInstance { protected_instance_id } | PlanKind::DeleteInstance { protected_instance_id, .. } => {
            let status = if matches!(plan.kind, PlanKind::CreateInstance { .. }) {
                InstanceStatus::Error
            } else {
                InstanceStatus::ErrorDeleting
            };
            mark::<ProtectedInstance>(tx, project, protected_instance_id, |instance| {
                instance.status = status;
                instance.updated_at = stamp;
            })?
        }
        PlanKind::CreateReplication { replication_id, .. }
        | PlanKind::DeleteReplication { replication_id, .. }
        | PlanKind::ExpandReplication { replication_id, .. } => {
            let status = match plan.kind {
                PlanKind::CreateReplication { .. } => ReplicationStatus::Error,
                PlanKind::DeleteReplication { .. } => ReplicationStatus::ErrorDeleting,
                _ => ReplicationStatus::ErrorExtending,
            };
            mark::<Replication>(tx, project, replication_id, |pair| {
                pair.status = status;
                if status == ReplicationStatus::Error {
                    pair.failure_detail = Some(code.as_str().to_owned());
                }
                pair.updated_at = stamp;
            })?
        }
        PlanKind::Attach { protected_instance_id, replication_id, previous_instance, .. }
        | PlanKind::Detach { protected_instance_id, replication_id, previous_instance, .. } => {
            let status = if matches!(plan.kind, PlanKind::Attach { .. }) {
                ReplicationStatus::ErrorAttaching
            } else {
                ReplicationStatus::ErrorDetaching
            };
            mark::<Replication>(tx, project, replication_id, |pair| pair.status = status)?;
            mark::<ProtectedInstance>(tx, project, protected_instance_id, |instance| {
                instance.status = *previous_instance;
            })?
        }
        PlanKind::CreateDrill { drill_id } | PlanKind::DeleteDrill { drill_id } => {
            let status = if matches!(plan.kind, PlanKind::CreateDrill { .. }) {
                DrillStatus::Error
            } else {
                DrillStatus::ErrorDeleting
            };
            mark::<DisasterRecoveryDrill>(tx, project, drill_id, |drill| {
                drill.status = status;
                drill.updated_at = stamp;
            })?
        }
    };
    // A resource that is gone is still named in the task centre, by the id the job had.
    let (resource_id, resource_name) = named.unwrap_or_else(|| (plan.kind.resource_id().to_owned(), String::new()));
    let (failure_status, resource_type) = plan.kind.failure_labels();
    let failure = FailureJob {
        job_status: "FAIL".to_owned(),
        resource_id,
        resource_name,
        resource_type: resource_type.to_owned(),
        failure_status: failure_status.to_owned(),
        job_id: job.job_id.clone(),
        job_type: job.job_type.clone(),
        begin_time: job.begin_time.clone().unwrap_or_default(),
        error_code: Some(code.as_str().to_owned()),
        fail_reason: Some(reason.to_owned()),
    };
    tx.execute(
        "INSERT INTO failure_jobs (id, project_id, server_group_id, body) VALUES (?1, ?2, ?3, ?4)",
        params![
            job.job_id, // the task centre addresses a failure by its job's id
            project,
            plan.kind.server_group_id(tx, project)?,
            serde_json::to_string(&failure)?
        ],
    )?;
    Ok(())
}
