//! Loading what the pages show: group snapshots from the SDRS lists, server profiles from ECS and IMS, jobs.

use serde::{Deserialize, Serialize};

use sdrs_core::profile::{profile_from_cloud, Lookup, ServerProfile};
use sdrs_core::snapshot::GroupSnapshot;
use sdrs_core::wire::{
    DisasterRecoveryDrillList, EcsServer, EcsServerList, EcsServerResponse, ImsImage, Job, ProtectedInstanceList,
    ReplicationList, ServerGroupResponse,
};

use crate::api::{get, get_text, ApiError, Connection};
use crate::state::{read_group_list, GroupRow};

/// The group with its members, from the documented SDRS list calls, as from any SDRS endpoint. Its servers' power
/// states come with their profiles ([`load_profiles`]).
pub async fn load_snapshot(connection: &Connection, id: &str) -> Result<GroupSnapshot, ApiError> {
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

/// The group ([`load_snapshot`]) with its servers' profiles ([`load_profiles`]).
pub async fn load_snapshot_with_profiles(
    connection: Connection,
    id: String,
) -> Result<(GroupSnapshot, Vec<ServerProfile>), ApiError> {
    let mut snapshot = load_snapshot(&connection, &id).await?;
    let profiles = load_profiles(&connection, &mut snapshot).await;
    Ok((snapshot, profiles))
}

/// What ECS and IMS say about every server of the group (its instances' and its drills'), as profiles for the login
/// rules; and the snapshot's `servers` set to their power states for the pre-checks. A server or image the services
/// do not give leaves its facts unknown, with their answer: never an error page.
pub async fn load_profiles(connection: &Connection, snapshot: &mut GroupSnapshot) -> Vec<ServerProfile> {
    let mut ids: Vec<String> =
        snapshot.protected_instances.iter().flat_map(|i| [i.source_server.clone(), i.target_server.clone()]).collect();
    ids.extend(
        snapshot
            .disaster_recovery_drills
            .iter()
            .flat_map(|d| d.drill_servers.iter().map(|s| s.drill_server_id.clone())),
    );
    let mut images: Vec<(String, Result<ImsImage, String>)> = Vec::new();
    let mut profiles = Vec::new();
    for id in &ids {
        let server = get::<EcsServerResponse>(connection, &connection.ecs(&format!("/cloudservers/{id}"))).await;
        let server = match server {
            Ok(found) => found.server,
            Err(error) => {
                profiles.push(profile_from_cloud(id, Lookup::Failed(&error.to_string()), None));
                continue;
            }
        };
        let image_id = server.image.as_ref().map(|i| i.id.clone());
        if let Some(image_id) = &image_id {
            if !images.iter().any(|(known, _)| known == image_id) {
                let read = get::<ImsImage>(connection, &connection.ims(&format!("/images/{image_id}"))).await;
                images.push((image_id.clone(), read.map_err(|e| e.to_string())));
            }
        }
        let image = image_id.and_then(|i| images.iter().find(|(known, _)| *known == i)).map(|(_, read)| match read {
            Ok(image) => Lookup::Found(image),
            Err(answer) => Lookup::Failed(answer),
        });
        profiles.push(profile_from_cloud(id, Lookup::Found(&server), image));
    }
    snapshot.set_servers_from(&profiles);
    profiles
}

/// The most ECS list pages the overview reads (of 1,000 servers each).
const MAX_SERVER_PAGES: u64 = 50;

/// Every server of the project as ECS lists them, for the overview's deleted servers (a server missing from the whole
/// list is gone); `None` when ECS cannot be read or the list is longer than `MAX_SERVER_PAGES` pages, since a server
/// missing from part of the list is not known to be gone.
pub async fn load_servers(connection: &Connection) -> Option<Vec<EcsServer>> {
    let mut servers = Vec::new();
    for page in 1..=MAX_SERVER_PAGES {
        let url = connection.ecs(&format!("/cloudservers/detail?limit=1000&offset={page}"));
        let list = get::<EcsServerList>(connection, &url).await.ok()?;
        let last = list.servers.is_empty();
        servers.extend(list.servers);
        if last || servers.len() as u64 >= list.count {
            return Some(servers);
        }
    }
    None
}

/// A page of `GET /server-groups`, read item by item (`state::read_group_list`): one group the console cannot read
/// does not hide the others.
pub async fn load_group_list(connection: &Connection, url: &str) -> Result<(Vec<GroupRow>, u64), ApiError> {
    let text = get_text(connection, url).await?;
    read_group_list(&text).map_err(|detail| ApiError::Unexpected { status: 200, detail })
}

/// Every group of the project, a page of 1,000 at a time (`load_group_list` for each), for the pages that need them
/// all (the plan editor). At most `MAX_GROUP_PAGES` pages.
pub async fn load_all_groups(connection: &Connection) -> Result<Vec<GroupRow>, ApiError> {
    let mut rows = Vec::new();
    for _ in 0..MAX_GROUP_PAGES {
        let url = connection.v1(&format!("/server-groups?limit=1000&offset={}", rows.len()));
        let (page, count) = load_group_list(connection, &url).await?;
        let last = page.is_empty();
        rows.extend(page);
        if last || rows.len() as u64 >= count {
            break;
        }
    }
    Ok(rows)
}

/// Ten pages of 1,000 groups: more than a project holds in practice, and a bound on what one page view reads.
const MAX_GROUP_PAGES: usize = 10;

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
