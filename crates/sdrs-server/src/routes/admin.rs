//! The admin API: the native inventory (servers, disks), replication faults, injected job failures and snapshots.
//!
//! Real SDRS acts on servers and disks of other services; here they live in the same database, so tests and demos
//! can build any scenario: a server deleted behind SDRS's back, a broken replication link, a step that fails.

use axum::extract::State;
use axum::response::NoContent;
use axum::Json;
use sdrs_core::member_rules::Missing;
use sdrs_core::snapshot::{GroupSnapshot, PowerState};
use sdrs_core::status::{InstanceStatus, ReplicationStatus};
use sdrs_core::wire::{
    DiskChange, DiskList, DiskResponse, Fault, FaultList, NativeDisk, NativeServer, NewDisk, NewServer,
    ProtectedInstance, Replication, ReplicationChange, ReplicationResponse, ServerChange, ServerList, ServerResponse,
};
use sdrs_core::ErrorCode;

use super::{group_or_404, load_snapshot, replication_or_404, Body, Created, Ids};
use crate::error::{ApiError, ApiResult};
use crate::jobs::Step;
use crate::store::{self, ListFilter};
use crate::AppState;

fn invalid_id(id: &str) -> bool {
    !sdrs_core::request::is_resource_id(id)
}

/// Admin input is held to the API's own rules: names as SDRS names, ids and AZs in the id alphabet, free text short
/// and printable. Nothing else is stored, so no 900 KB name, NUL or terminal escape reaches a page or a log.
fn check_name(name: &str) -> ApiResult<()> {
    sdrs_core::request::ResourceName::parse(name).map(|_| ()).map_err(super::refuse)
}

fn check_id(field: &str, value: &str) -> ApiResult<()> {
    if invalid_id(value) {
        return Err(ApiError::code(
            ErrorCode::SDRS_0201,
            format!("{field} must be 1 to 64 letters, digits, `-` or `_`"),
        ));
    }
    Ok(())
}

/// Longest free text (a fault's reason) accepted.
const MAX_TEXT_BYTES: usize = 255;

fn check_text(field: &str, value: &str) -> ApiResult<()> {
    if value.len() > MAX_TEXT_BYTES || value.chars().any(char::is_control) {
        return Err(ApiError::code(
            ErrorCode::SDRS_0201,
            format!("{field} must be at most {MAX_TEXT_BYTES} bytes of printable text"),
        ));
    }
    Ok(())
}

pub async fn list_servers(State(state): State<AppState>, Ids(project): Ids<String>) -> ApiResult<Json<ServerList>> {
    let filter = ListFilter { limit: u32::MAX, ..ListFilter::default() };
    let (servers, count) = state.db.call(move |conn| store::list::<NativeServer>(conn, &project, &filter)).await?;
    Ok(Json(ServerList { servers, count }))
}

pub async fn create_server(
    State(state): State<AppState>,
    Ids(project): Ids<String>,
    Body(request): Body<NewServer>,
) -> ApiResult<Created<ServerResponse>> {
    let id = request.id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if invalid_id(&id) {
        return Err(ApiError::code(ErrorCode::SDRS_0210, "a server id is 1 to 64 letters, digits, `-` or `_`"));
    }
    check_name(&request.name)?;
    check_id("availability_zone", &request.availability_zone)?;
    check_id("vpc_id", &request.vpc_id)?;
    if let Some(image) = &request.image_id {
        check_id("image_id", image)?;
    }
    let image_id = Some(request.image_id.unwrap_or_else(|| super::cloud::default_image(&id, request.os)));
    let server = NativeServer {
        id,
        name: request.name,
        availability_zone: request.availability_zone,
        vpc_id: request.vpc_id,
        os: request.os,
        login: request.login,
        power_state: request.power_state,
        password_changed: request.password_changed,
        protected_instance_id: None,
        image_id,
    };
    let stored = server.clone();
    state
        .db
        .write(move |tx| {
            if store::id_taken::<NativeServer>(tx, &project, &stored.id)? {
                return Err(ApiError::code(ErrorCode::SDRS_0210, format!("server `{}` exists already", stored.id)));
            }
            store::insert(tx, &project, &stored)
        })
        .await?;
    Ok(Created(ServerResponse { server }))
}

fn server_or_404(conn: &dyn store::Store, project: &str, id: &str) -> ApiResult<NativeServer> {
    store::get(conn, project, id)?.ok_or_else(|| ApiError::missing(Missing::Server, id))
}

pub async fn show_server(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
) -> ApiResult<Json<ServerResponse>> {
    let server = state.db.call(move |conn| server_or_404(conn, &project, &id)).await?;
    Ok(Json(ServerResponse { server }))
}

pub async fn update_server(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
    Body(change): Body<ServerChange>,
) -> ApiResult<Json<ServerResponse>> {
    if let Some(name) = &change.name {
        check_name(name)?;
    }
    let server = state
        .db
        .write(move |tx| {
            let mut server = server_or_404(tx, &project, &id)?;
            if let Some(power) = change.power_state {
                if power == PowerState::Deleted {
                    mark_instances_invalid(tx, &project, &server.id)?;
                }
                server.power_state = power;
            }
            server.password_changed = change.password_changed.unwrap_or(server.password_changed);
            server.name = change.name.unwrap_or(server.name);
            store::update(tx, &project, &server)?;
            Ok(server)
        })
        .await?;
    Ok(Json(ServerResponse { server }))
}

/// Deletes a server "through the native interface": it stays known as deleted, and its protected instance turns
/// `invalid`, which blocks every operation on the instance and its group.
pub async fn delete_server(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
) -> ApiResult<NoContent> {
    state
        .db
        .write(move |tx| {
            let mut server = server_or_404(tx, &project, &id)?;
            server.power_state = PowerState::Deleted;
            store::update(tx, &project, &server)?;
            mark_instances_invalid(tx, &project, &id)
        })
        .await?;
    Ok(NoContent)
}

fn mark_instances_invalid(tx: &dyn store::Store, project: &str, server_id: &str) -> ApiResult<()> {
    let filter = ListFilter { limit: u32::MAX, ..ListFilter::default() };
    let (instances, _) = store::list::<ProtectedInstance>(tx, project, &filter)?;
    for mut instance in instances {
        if instance.source_server == server_id || instance.target_server == server_id {
            instance.status = InstanceStatus::Invalid;
            store::update(tx, project, &instance)?;
        }
    }
    Ok(())
}

pub async fn list_disks(State(state): State<AppState>, Ids(project): Ids<String>) -> ApiResult<Json<DiskList>> {
    let filter = ListFilter { limit: u32::MAX, ..ListFilter::default() };
    let (disks, count) = state.db.call(move |conn| store::list::<NativeDisk>(conn, &project, &filter)).await?;
    Ok(Json(DiskList { disks, count }))
}

pub async fn create_disk(
    State(state): State<AppState>,
    Ids(project): Ids<String>,
    Body(request): Body<NewDisk>,
) -> ApiResult<Created<DiskResponse>> {
    let id = request.id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if invalid_id(&id) {
        return Err(ApiError::code(ErrorCode::SDRS_0211, "a disk id is 1 to 64 letters, digits, `-` or `_`"));
    }
    check_name(&request.name)?;
    check_id("availability_zone", &request.availability_zone)?;
    check_id("volume_type", &request.volume_type)?;
    check_id("status", &request.status)?;
    if let Some(server) = &request.server_id {
        check_id("server_id", server)?;
    }
    if request.size_gb == 0 {
        return Err(ApiError::code(ErrorCode::SDRS_0201, "size_gb must be positive"));
    }
    let disk = NativeDisk {
        id,
        name: request.name,
        size_gb: request.size_gb,
        volume_type: request.volume_type,
        availability_zone: request.availability_zone,
        status: request.status,
        bootable: request.bootable,
        multiattach: request.multiattach,
        server_id: request.server_id,
    };
    let stored = disk.clone();
    state
        .db
        .write(move |tx| {
            if store::id_taken::<NativeDisk>(tx, &project, &stored.id)? {
                return Err(ApiError::code(ErrorCode::SDRS_0211, format!("disk `{}` exists already", stored.id)));
            }
            store::insert(tx, &project, &stored)
        })
        .await?;
    Ok(Created(DiskResponse { disk }))
}

/// Deletes a disk that no replication pair uses. A disk a pair uses is refused (`SDRS.1811`): a job running on the
/// pair would find it gone. To simulate a disk deleted behind SDRS's back, `PATCH` its status to `deleted`.
pub async fn delete_disk(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
) -> ApiResult<NoContent> {
    state
        .db
        .write(move |tx| {
            disk_or_404(tx, &project, &id)?;
            if let Some(pair) = pairs_using_disk(tx, &project, &id)?.first() {
                return Err(ApiError::code(
                    ErrorCode::SDRS_1811,
                    format!(
                        "disk `{id}` is used by replication pair `{}`; delete the pair first, or PATCH the disk's \
                         status to `deleted` to simulate a native deletion",
                        pair.id
                    ),
                ));
            }
            store::remove::<NativeDisk>(tx, &project, &id)
        })
        .await?;
    Ok(NoContent)
}

fn disk_or_404(conn: &dyn store::Store, project: &str, id: &str) -> ApiResult<NativeDisk> {
    store::get::<NativeDisk>(conn, project, id)?.ok_or_else(|| ApiError::missing(Missing::Disk, id))
}

fn pairs_using_disk(conn: &dyn store::Store, project: &str, disk_id: &str) -> ApiResult<Vec<Replication>> {
    let filter = ListFilter { limit: u32::MAX, ..ListFilter::default() };
    let (pairs, _) = store::list::<Replication>(conn, project, &filter)?;
    Ok(pairs.into_iter().filter(|pair| pair.volume_ids.split(',').any(|v| v == disk_id)).collect())
}

/// Changes a disk's status; `deleted` turns every replication pair using it `invalid`.
pub async fn update_disk(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
    Body(change): Body<DiskChange>,
) -> ApiResult<Json<DiskResponse>> {
    check_id("status", &change.status)?;
    let disk = state
        .db
        .write(move |tx| {
            let mut disk = disk_or_404(tx, &project, &id)?;
            disk.status = change.status;
            store::update(tx, &project, &disk)?;
            if disk.status == "deleted" {
                for mut pair in pairs_using_disk(tx, &project, &id)? {
                    pair.status = ReplicationStatus::Invalid;
                    store::update(tx, &project, &pair)?;
                }
            }
            Ok(disk)
        })
        .await?;
    Ok(Json(DiskResponse { disk }))
}

/// Sets a replication pair's `fault_level` (5: the replication link is broken).
pub async fn update_replication(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
    Body(change): Body<ReplicationChange>,
) -> ApiResult<Json<ReplicationResponse>> {
    let replication = state
        .db
        .write(move |tx| {
            let mut pair = replication_or_404(tx, &project, &id)?;
            pair.fault_level = change.fault_level.as_str().to_owned();
            store::update(tx, &project, &pair)?;
            Ok(pair)
        })
        .await?;
    Ok(Json(ReplicationResponse { replication }))
}

pub async fn create_fault(
    State(state): State<AppState>,
    Ids(project): Ids<String>,
    Body(fault): Body<Fault>,
) -> ApiResult<Created<Fault>> {
    if fault.step.parse::<Step>().is_err() {
        let steps: Vec<&str> = Step::ALL.iter().map(|step| step.as_str()).collect();
        return Err(ApiError::code(
            ErrorCode::SDRS_0201,
            format!("unknown step `{}`; steps are: {}", fault.step, steps.join(", ")),
        ));
    }
    if let Some(group) = &fault.server_group_id {
        check_id("server_group_id", group)?;
    }
    if let Some(reason) = &fault.fail_reason {
        check_text("fail_reason", reason)?;
    }
    if let Some(code) = &fault.error_code {
        if ErrorCode::parse(code).is_none() {
            return Err(ApiError::code(ErrorCode::SDRS_0201, format!("`{code}` is not a documented SDRS error code")));
        }
    }
    let stored = fault.clone();
    state
        .db
        .write(move |tx| {
            if let Some(group) = &stored.server_group_id {
                group_or_404(tx, &project, group)?;
            }
            tx.insert_fault(&project, &stored)
        })
        .await?;
    Ok(Created(fault))
}

pub async fn list_faults(State(state): State<AppState>, Ids(project): Ids<String>) -> ApiResult<Json<FaultList>> {
    let faults = state.db.call(move |store| store.faults(&project)).await?;
    Ok(Json(FaultList { faults }))
}

pub async fn clear_faults(State(state): State<AppState>, Ids(project): Ids<String>) -> ApiResult<NoContent> {
    state.db.write(move |tx| tx.clear_faults(&project)).await?;
    Ok(NoContent)
}

/// A group with its instances, pairs, drills and server facts: what `sdrs_core::precheck` takes.
pub async fn snapshot(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
) -> ApiResult<Json<GroupSnapshot>> {
    let snapshot = state
        .db
        .call(move |conn| {
            let group = group_or_404(conn, &project, &id)?;
            load_snapshot(conn, &project, group)
        })
        .await?;
    Ok(Json(snapshot))
}

/// The group's most recent jobs (at most 100), newest first.
pub async fn group_jobs(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
) -> ApiResult<Json<sdrs_core::wire::JobList>> {
    let jobs = state
        .db
        .call(move |conn| {
            // The group must be the project's: job rows are found by group id alone.
            group_or_404(conn, &project, &id)?;
            crate::jobs::recent_for_group(conn, &id, 100)
        })
        .await?;
    Ok(Json(sdrs_core::wire::JobList { jobs }))
}
