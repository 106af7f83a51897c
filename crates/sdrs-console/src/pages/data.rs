//! Loading what the pages show: group snapshots (from sdrs-server, or composed from the SDRS lists), inventory, jobs.

use serde::{Deserialize, Serialize};

use sdrs_core::snapshot::GroupSnapshot;
use sdrs_core::wire::{DisasterRecoveryDrillList, Job, ProtectedInstanceList, ReplicationList, ServerGroupResponse};

use crate::api::{get, get_text, ApiError, Connection};
use crate::state::{read_group_list, GroupRow};
use sdrs_core::wire::{NativeServer, ServerList};

/// The group with its members: sdrs-server's snapshot (with server power states), or, from a real SDRS endpoint,
/// the same composed from the documented list calls (power states unknown).
pub async fn load_snapshot(connection: &Connection, id: &str) -> Result<GroupSnapshot, ApiError> {
    if connection.has_admin() {
        match get::<GroupSnapshot>(connection, &connection.admin(&format!("/server-groups/{id}/snapshot"))).await {
            Err(error) if error.is_missing_api() => {}
            other => return other,
        }
    }
    let group: ServerGroupResponse = get(connection, &connection.v1(&format!("/server-groups/{id}"))).await?;
    let instances: ProtectedInstanceList =
        get(connection, &connection.v1(&format!("/protected-instances?server_group_id={id}"))).await?;
    let pairs: ReplicationList =
        get(connection, &connection.v1(&format!("/replications?server_group_id={id}"))).await?;
    let drills: DisasterRecoveryDrillList =
        get(connection, &connection.v1(&format!("/disaster-recovery-drills?server_group_id={id}"))).await?;
    Ok(GroupSnapshot {
        server_group: group.server_group,
        protected_instances: instances.protected_instances,
        replications: pairs.replications,
        disaster_recovery_drills: drills.disaster_recovery_drills,
        servers: Vec::new(),
    })
}

/// A page of `GET /server-groups`, read item by item (`state::read_group_list`): one group the console cannot read
/// does not hide the others.
pub async fn load_group_list(connection: &Connection, url: &str) -> Result<(Vec<GroupRow>, u64), ApiError> {
    let text = get_text(connection, url).await?;
    read_group_list(&text).map_err(|detail| ApiError::Unexpected { status: 200, detail })
}

/// Server profiles from sdrs-server's inventory; empty where the endpoint has none.
pub async fn load_inventory(connection: &Connection) -> Vec<NativeServer> {
    if !connection.has_admin() {
        return Vec::new();
    }
    get::<ServerList>(connection, &connection.admin("/servers")).await.map(|l| l.servers).unwrap_or_default()
}

/// A job this tab started, remembered for the group page's "recent jobs".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartedJob {
    pub group_id: String,
    pub job_id: String,
    pub label: String,
}

const JOBS_KEY: &str = "sdrs.jobs";

/// Local storage: shared by every tab and window of this browser, and kept across reloads.
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Jobs started from this browser, newest first.
pub fn started_jobs() -> Vec<StartedJob> {
    storage()
        .and_then(|s| s.get_item(JOBS_KEY).ok().flatten())
        .and_then(|text| crate::api::parse_json(&text).ok())
        .unwrap_or_default()
}

/// Remembers a started job (the last 50).
pub fn remember_job(job: StartedJob) {
    let mut jobs = started_jobs();
    jobs.insert(0, job);
    jobs.truncate(50);
    if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(&jobs)) {
        let _ = storage.set_item(JOBS_KEY, &text);
    }
}

/// A group's recent jobs, newest first, and what the list covers, in words.
///
/// sdrs-server (with its admin token) lists every job of the group, whoever started it. SDRS has no job list, so
/// against a real endpoint the list is the jobs started from this browser (kept across tabs and reloads).
pub async fn recent_jobs(connection: &Connection, group_id: &str) -> (Vec<Job>, &'static str) {
    if connection.has_admin() {
        let url = connection.admin(&format!("/server-groups/{group_id}/jobs"));
        match get::<sdrs_core::wire::JobList>(connection, &url).await {
            Ok(list) => {
                return (
                    list.jobs.into_iter().take(10).collect(),
                    "Every job of this group on this server, whoever started it (newest first, at most 10).",
                )
            }
            Err(error) if error.is_missing_api() => {}
            Err(_) => {}
        }
    }
    let mut jobs = Vec::new();
    for started in started_jobs().into_iter().filter(|j| j.group_id == group_id).take(10) {
        if let Ok(job) = get::<Job>(connection, &connection.v1(&format!("/jobs/{}", started.job_id))).await {
            jobs.push(job);
        }
    }
    (
        jobs,
        "Jobs started from this browser (SDRS lists no jobs, so other consoles' jobs are not shown); failed jobs \
         of everyone come from the task centre below.",
    )
}
