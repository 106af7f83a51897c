//! The bodies of sdrs-server's own APIs: the admin API (native inventory, faults) and the console's configuration.
//!
//! Not part of the SDRS API. Declared here once, for the server, its OpenAPI document and the console.

use serde::{Deserialize, Serialize};

use crate::login::{LoginMethod, OsProfile};
use crate::snapshot::{PowerState, ServerFacts};
use crate::status::FaultLevel;

/// A server of the compute service (ECS), which SDRS protects but does not own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NativeServer {
    pub id: String,
    pub name: String,
    pub availability_zone: String,
    pub vpc_id: String,
    pub os: OsProfile,
    pub login: LoginMethod,
    pub power_state: PowerState,
    /// Whether the login password was changed after the server was created (matters to Linux logins).
    #[serde(default)]
    pub password_changed: bool,
    /// Set on DR servers and drill servers that SDRS created: the protected instance they belong to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protected_instance_id: Option<String>,
    /// The IMS image it was created from (what ECS and IMS say about it); absent on servers stored before images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
}

impl NativeServer {
    /// Its profile as sdrs-server's own inventory knows it: every fact known (the admin API's tests and tools; the
    /// clients learn profiles from ECS and IMS, as on a real cloud).
    pub fn profile(&self) -> crate::profile::ServerProfile {
        crate::profile::ServerProfile::known(
            &self.id,
            Some(&self.name),
            self.os,
            self.login,
            self.power_state,
            "sdrs-server's inventory",
        )
    }

    /// What a pre-check needs to know about it.
    pub fn facts(&self) -> ServerFacts {
        ServerFacts { id: self.id.clone(), name: Some(self.name.clone()), power_state: self.power_state }
    }
}

/// A disk of the block-storage service (EVS).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NativeDisk {
    pub id: String,
    pub name: String,
    pub size_gb: u32,
    pub volume_type: String,
    pub availability_zone: String,
    /// `available` or `in-use`.
    pub status: String,
    #[serde(default)]
    pub bootable: bool,
    #[serde(default)]
    pub multiattach: bool,
    /// The server it is attached to.
    #[serde(default)]
    pub server_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewServer {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    pub availability_zone: String,
    pub vpc_id: String,
    pub os: OsProfile,
    pub login: LoginMethod,
    #[serde(default = "running")]
    pub power_state: PowerState,
    #[serde(default)]
    pub password_changed: bool,
    /// The IMS image it was created from: the public image of its OS when the OS has Cloud-Init or Cloudbase-Init,
    /// else a private image made from it, when left out.
    #[serde(default)]
    pub image_id: Option<String>,
}

fn running() -> PowerState {
    PowerState::Running
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ServerResponse {
    pub server: NativeServer,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ServerList {
    pub servers: Vec<NativeServer>,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerChange {
    #[serde(default)]
    pub power_state: Option<PowerState>,
    #[serde(default)]
    pub password_changed: Option<bool>,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDisk {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    pub size_gb: u32,
    #[serde(default = "sata")]
    pub volume_type: String,
    pub availability_zone: String,
    #[serde(default = "available")]
    pub status: String,
    #[serde(default)]
    pub bootable: bool,
    #[serde(default)]
    pub multiattach: bool,
    #[serde(default)]
    pub server_id: Option<String>,
}

fn sata() -> String {
    "SATA".to_owned()
}

fn available() -> String {
    "available".to_owned()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DiskResponse {
    pub disk: NativeDisk,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DiskList {
    pub disks: Vec<NativeDisk>,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiskChange {
    /// `deleted` simulates a deletion through the native interface: the row stays, pairs using it turn `invalid`.
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplicationChange {
    pub fault_level: FaultLevel,
}

/// An armed fault: the next `times` jobs (of the group, or of any group) that reach `step` fail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    #[serde(default)]
    pub server_group_id: Option<String>,
    pub step: String,
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub fail_reason: Option<String>,
    #[serde(default = "once")]
    pub times: u32,
    /// The step raises an error instead of reporting a failure, as a bug or a vanished resource would; the job
    /// still ends `FAIL` with its failure code, and no other job waits for it.
    #[serde(default)]
    pub raise_error: bool,
}

fn once() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FaultList {
    pub faults: Vec<Fault>,
}

/// `GET /admin/v1/{project_id}/server-groups/{id}/jobs`: a group's most recent jobs, newest first (for DR tests
/// that must know how often a group was acted on; SDRS itself has no job list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct JobList {
    pub jobs: Vec<crate::wire::Job>,
}

/// `POST /gateway/login`: the console's secret, exchanged for a session cookie in gateway mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayLogin {
    pub secret: String,
}

/// `GET /console/config`: how the console served by sdrs-server connects. Offered only in demo mode (where every
/// credential is public) and in gateway mode (where the console logs in with a session and holds no token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ConsoleConfig {
    pub project_id: String,
    /// Empty in gateway mode.
    pub token: String,
    #[serde(default)]
    pub gateway: bool,
    /// The admin API's token, in demo mode only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_token: Option<String>,
}
