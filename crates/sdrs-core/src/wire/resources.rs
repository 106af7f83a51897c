//! Protection groups, protected instances, replication pairs and DR drills as the API returns them.

use serde::{Deserialize, Serialize};

use crate::status::{DrillStatus, FaultLevel, GroupStatus, InstanceStatus, PriorityStation, ReplicationStatus};

/// A protection group (`server_group`). Every field is always present; some are null.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ServerGroup {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub status: GroupStatus,
    /// Initial synchronisation progress, percent.
    pub progress: u32,
    /// Production AZ at creation; never changes after a failover.
    pub source_availability_zone: String,
    /// DR AZ at creation; never changes after a failover.
    pub target_availability_zone: String,
    pub domain_id: String,
    pub domain_name: String,
    /// The current production site.
    pub priority_station: PriorityStation,
    pub protected_instance_num: u32,
    pub replication_num: u32,
    pub disaster_recovery_drill_num: u32,
    /// Legacy `started`/`stopped`; null for groups created after the system upgrade.
    pub protected_status: Option<String>,
    /// Legacy `active`/`inactive`/`copying`/`active-stopped`; null after the upgrade.
    pub replication_status: Option<String>,
    /// Legacy `normal`/`abnormal`; null after the upgrade.
    pub health_status: Option<String>,
    pub source_vpc_id: String,
    pub target_vpc_id: String,
    pub test_vpc_id: Option<String>,
    pub dr_type: String,
    pub server_type: String,
    pub created_at: String,
    pub updated_at: String,
    pub protection_type: Option<String>,
    pub replication_model: Option<String>,
}

impl ServerGroup {
    /// The AZ of the current production site.
    pub fn production_availability_zone(&self) -> &str {
        self.priority_station.pick(&self.source_availability_zone, &self.target_availability_zone)
    }

    /// The AZ of the current DR site.
    pub fn dr_availability_zone(&self) -> &str {
        self.priority_station.flipped().pick(&self.source_availability_zone, &self.target_availability_zone)
    }
}

/// A replication pair attached to a protected instance, as seen from the instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InstanceAttachment {
    pub replication: String,
    pub device: String,
}

/// A resource tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// A protected instance: a production server and its DR server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProtectedInstance {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub server_group_id: String,
    pub status: InstanceStatus,
    pub progress: u32,
    /// The server at the group's `source` AZ (the production server at creation: "server A").
    pub source_server: String,
    /// The server at the group's `target` AZ (created by SDRS as the DR server: "server B").
    pub target_server: String,
    pub created_at: String,
    pub updated_at: String,
    pub priority_station: PriorityStation,
    #[serde(default)]
    pub attachment: Vec<InstanceAttachment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
    #[serde(default)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

impl ProtectedInstance {
    /// The id of the server now at the production site.
    pub fn production_server(&self, station: PriorityStation) -> &str {
        station.pick(&self.source_server, &self.target_server)
    }

    /// The id of the server now at the DR site.
    pub fn dr_server(&self, station: PriorityStation) -> &str {
        self.production_server(station.flipped())
    }
}

/// A protected instance attached to a replication pair, as seen from the pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReplicationAttachment {
    pub device: String,
    pub protected_instance: String,
}

/// Facts about the disks of a replication pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RecordMetadata {
    pub multiattach: bool,
    pub bootable: bool,
    /// GB.
    pub volume_size: u32,
    pub volume_type: String,
}

/// A replication pair: a production disk and its DR disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Replication {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub replication_model: Option<String>,
    pub status: ReplicationStatus,
    pub progress: u32,
    pub replication_status: Option<String>,
    #[serde(default)]
    pub attachment: Vec<ReplicationAttachment>,
    pub server_group_id: String,
    /// One string: `"<production disk id>,<DR disk id>"`. See [`Replication::volume_pair`].
    pub volume_ids: String,
    pub priority_station: PriorityStation,
    /// `"0"`, `"2"` or `"5"`. See [`Replication::fault`].
    pub fault_level: String,
    pub created_at: String,
    pub updated_at: String,
    pub record_metadata: RecordMetadata,
    /// An error code, only when `status` is `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_detail: Option<String>,
}

impl Replication {
    /// The two disk ids of `volume_ids`, or `None` when it is not exactly two non-empty ids.
    pub fn volume_pair(&self) -> Option<(&str, &str)> {
        let (first, second) = self.volume_ids.split_once(',')?;
        let (first, second) = (first.trim(), second.trim());
        (!first.is_empty() && !second.is_empty() && !second.contains(',')).then_some((first, second))
    }

    /// The parsed fault level; `None` for a value the documentation does not list.
    pub fn fault(&self) -> Option<FaultLevel> {
        self.fault_level.parse().ok()
    }
}

/// A drill server: the copy of a protected instance that a DR drill started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DrillServer {
    pub protected_instance: String,
    pub drill_server_id: String,
}

/// A DR drill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DisasterRecoveryDrill {
    pub id: String,
    pub name: String,
    pub status: DrillStatus,
    pub drill_vpc_id: String,
    pub created_at: String,
    pub updated_at: String,
    pub server_group_id: String,
    #[serde(default)]
    pub drill_servers: Vec<DrillServer>,
}

/// `{"server_group": {...}}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ServerGroupResponse {
    pub server_group: ServerGroup,
}

/// `{"server_groups": [...], "count": n}`; `count` is the number matching the filter, not the page size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ServerGroupList {
    pub server_groups: Vec<ServerGroup>,
    pub count: u64,
}

/// `{"protected_instance": {...}}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProtectedInstanceResponse {
    pub protected_instance: ProtectedInstance,
}

/// `{"protected_instances": [...], "count": n}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProtectedInstanceList {
    pub protected_instances: Vec<ProtectedInstance>,
    pub count: u64,
}

/// `{"replication": {...}}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReplicationResponse {
    pub replication: Replication,
}

/// `{"replications": [...], "count": n}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReplicationList {
    pub replications: Vec<Replication>,
    pub count: u64,
}

/// `{"disaster_recovery_drill": {...}}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DisasterRecoveryDrillResponse {
    pub disaster_recovery_drill: DisasterRecoveryDrill,
}

/// `{"disaster_recovery_drills": [...], "count": n}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DisasterRecoveryDrillList {
    pub disaster_recovery_drills: Vec<DisasterRecoveryDrill>,
    pub count: u64,
}
