//! A protection group as the API shows it, with what the compute service knows about its servers.

use serde::{Deserialize, Serialize};

use crate::action::GroupAction;
use crate::state_machine::Operation;
use crate::status::{
    wire_enum, DrillStatus, FaultLevel, GroupStatus, InstanceStatus, PriorityStation, ReplicationStatus,
};
use crate::wire::{DisasterRecoveryDrill, ProtectedInstance, Replication, ServerGroup};

wire_enum! {
    /// A server's power state, as far as it matters to SDRS.
    PowerState, "power state" {
        Running = "running",
        Stopped = "stopped",
        /// Deleted through the native (ECS) interface, behind SDRS's back.
        Deleted = "deleted",
    }
}

/// What is known about one server from the compute service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ServerFacts {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub power_state: PowerState,
}

impl ServerFacts {
    /// The facts of server `id` among `servers`, if known.
    pub fn find<'a>(servers: &'a [ServerFacts], id: &str) -> Option<&'a ServerFacts> {
        servers.iter().find(|s| s.id == id)
    }
}

/// The protection group as the rules read it: the fields of the API's `server_group` that matter to them.
///
/// The facts types below deserialize from the API's own JSON and ignore every other field. The rules need no
/// more, a portal may pass the API's objects as they are, and sdrs-wasm does not carry code to read (and reject)
/// fields nobody reads: reading the full wire types cost it about 7 KB gzipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GroupFacts {
    pub id: String,
    pub name: String,
    pub status: GroupStatus,
    /// The current production site.
    pub priority_station: PriorityStation,
    pub source_availability_zone: String,
    pub target_availability_zone: String,
    /// The production VPC, which a DR drill may not use; empty when not known.
    #[serde(default)]
    pub source_vpc_id: String,
    #[serde(default)]
    pub protected_instance_num: u32,
    #[serde(default)]
    pub replication_num: u32,
    #[serde(default)]
    pub disaster_recovery_drill_num: u32,
}

impl GroupFacts {
    /// The AZ of the current production site.
    pub fn production_availability_zone(&self) -> &str {
        self.priority_station.pick(&self.source_availability_zone, &self.target_availability_zone)
    }
}

impl From<&ServerGroup> for GroupFacts {
    fn from(group: &ServerGroup) -> GroupFacts {
        GroupFacts {
            id: group.id.clone(),
            name: group.name.clone(),
            status: group.status,
            priority_station: group.priority_station,
            source_availability_zone: group.source_availability_zone.clone(),
            target_availability_zone: group.target_availability_zone.clone(),
            source_vpc_id: group.source_vpc_id.clone(),
            protected_instance_num: group.protected_instance_num,
            replication_num: group.replication_num,
            disaster_recovery_drill_num: group.disaster_recovery_drill_num,
        }
    }
}

/// A protected instance as the rules read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InstanceFacts {
    pub id: String,
    pub name: String,
    pub status: InstanceStatus,
    /// Server A: the server at the group's `source` AZ.
    pub source_server: String,
    /// Server B: the server at the group's `target` AZ.
    pub target_server: String,
}

impl InstanceFacts {
    /// The id of the server now at the production site.
    pub fn production_server(&self, station: PriorityStation) -> &str {
        station.pick(&self.source_server, &self.target_server)
    }

    /// The id of the server now at the DR site.
    pub fn dr_server(&self, station: PriorityStation) -> &str {
        self.production_server(station.flipped())
    }
}

impl From<&ProtectedInstance> for InstanceFacts {
    fn from(instance: &ProtectedInstance) -> InstanceFacts {
        InstanceFacts {
            id: instance.id.clone(),
            name: instance.name.clone(),
            status: instance.status,
            source_server: instance.source_server.clone(),
            target_server: instance.target_server.clone(),
        }
    }
}

/// A replication pair as the rules read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PairFacts {
    pub id: String,
    pub name: String,
    pub status: ReplicationStatus,
    /// `"0"`, `"2"` or `"5"`. See [`PairFacts::fault`].
    pub fault_level: String,
}

impl PairFacts {
    /// The parsed fault level; `None` for a value the documentation does not list.
    pub fn fault(&self) -> Option<FaultLevel> {
        self.fault_level.parse().ok()
    }
}

impl From<&Replication> for PairFacts {
    fn from(pair: &Replication) -> PairFacts {
        PairFacts {
            id: pair.id.clone(),
            name: pair.name.clone(),
            status: pair.status,
            fault_level: pair.fault_level.clone(),
        }
    }
}

/// A DR drill as the rules read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DrillFacts {
    pub id: String,
    pub status: DrillStatus,
}

impl From<&DisasterRecoveryDrill> for DrillFacts {
    fn from(drill: &DisasterRecoveryDrill) -> DrillFacts {
        DrillFacts { id: drill.id.clone(), status: drill.status }
    }
}

/// A protection group with its instances, pairs and drills: the API's own JSON, plus server facts.
///
/// What the console's group page shows and sdrs-server's admin API returns; the rules read its [`SnapshotFacts`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GroupSnapshot {
    pub server_group: ServerGroup,
    #[serde(default)]
    pub protected_instances: Vec<ProtectedInstance>,
    #[serde(default)]
    pub replications: Vec<Replication>,
    #[serde(default)]
    pub disaster_recovery_drills: Vec<DisasterRecoveryDrill>,
    #[serde(default)]
    pub servers: Vec<ServerFacts>,
}

impl GroupSnapshot {
    /// Sets `servers` to the power states `profiles` know of the instances' servers (from ECS, read once for many
    /// groups); a server they do not know stays unknown.
    pub fn set_servers_from(&mut self, profiles: &[crate::profile::ServerProfile]) {
        self.servers = self
            .protected_instances
            .iter()
            .flat_map(|i| [&i.source_server, &i.target_server])
            .filter_map(|id| profiles.iter().find(|p| &p.server_id == id).and_then(|p| p.facts()))
            .collect();
    }

    /// What the rules read of this snapshot.
    pub fn facts(&self) -> SnapshotFacts {
        SnapshotFacts {
            server_group: (&self.server_group).into(),
            protected_instances: self.protected_instances.iter().map(Into::into).collect(),
            replications: self.replications.iter().map(Into::into).collect(),
            disaster_recovery_drills: self.disaster_recovery_drills.iter().map(Into::into).collect(),
            servers: self.servers.clone(),
        }
    }
}

/// A group snapshot as the rules (pre-checks, role swap) read it; it deserializes from a [`GroupSnapshot`]'s JSON.
///
/// Lists may be left out (a console may only have the group); the group's counters then stand in.
/// A server missing from `servers` is unknown, not deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SnapshotFacts {
    pub server_group: GroupFacts,
    #[serde(default)]
    pub protected_instances: Vec<InstanceFacts>,
    #[serde(default)]
    pub replications: Vec<PairFacts>,
    #[serde(default)]
    pub disaster_recovery_drills: Vec<DrillFacts>,
    #[serde(default)]
    pub servers: Vec<ServerFacts>,
}

impl SnapshotFacts {
    /// What is known about a server.
    pub fn server(&self, id: &str) -> Option<&ServerFacts> {
        ServerFacts::find(&self.servers, id)
    }

    /// A server's name where known.
    pub fn server_name(&self, id: &str) -> Option<&str> {
        self.server(id).and_then(|s| s.name.as_deref())
    }

    /// Protected instances: the longer of the list and the group's counter.
    pub fn instance_count(&self) -> u64 {
        (self.protected_instances.len() as u64).max(self.server_group.protected_instance_num.into())
    }

    /// Replication pairs: the longer of the list and the group's counter.
    pub fn replication_count(&self) -> u64 {
        (self.replications.len() as u64).max(self.server_group.replication_num.into())
    }

    /// DR drills: the longer of the list and the group's counter.
    pub fn drill_count(&self) -> u64 {
        (self.disaster_recovery_drills.len() as u64).max(self.server_group.disaster_recovery_drill_num.into())
    }
}

/// An operation an operator intends to run on a group, with its parameter.
///
/// On the wire `{"operation": "planned-failover", "priority_station": "target"}`. It is read through the flat
/// [`IntentBody`] rather than as an internally tagged enum, whose buffering costs sdrs-wasm about 10 KB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(tag = "operation", rename_all = "kebab-case")]
pub enum Intent {
    Enable,
    #[serde(rename = "re-protect")]
    Reprotect,
    Disable,
    PlannedFailover {
        priority_station: PriorityStation,
    },
    Failover,
    Delete,
}

/// The wire form of an [`Intent`], read flat.
#[derive(Deserialize)]
struct IntentBody {
    operation: Operation,
    #[serde(default)]
    priority_station: Option<PriorityStation>,
}

/// An intent body that names no group operation, or lacks its parameter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntentError {
    #[error("`{0}` is not an operation on an existing group; expected one of: enable, re-protect, disable, planned-failover, failover, delete")]
    NotAGroupOperation(Operation),
    #[error("missing field `priority_station` (a planned failover names the new production site)")]
    MissingPriorityStation,
}

impl<'de> Deserialize<'de> for Intent {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        IntentBody::deserialize(deserializer)?.try_into().map_err(serde::de::Error::custom)
    }
}

impl TryFrom<IntentBody> for Intent {
    type Error = IntentError;

    fn try_from(body: IntentBody) -> Result<Intent, IntentError> {
        Ok(match body.operation {
            Operation::Create => return Err(IntentError::NotAGroupOperation(Operation::Create)),
            Operation::Enable => Intent::Enable,
            Operation::Reprotect => Intent::Reprotect,
            Operation::Disable => Intent::Disable,
            Operation::PlannedFailover => Intent::PlannedFailover {
                priority_station: body.priority_station.ok_or(IntentError::MissingPriorityStation)?,
            },
            Operation::Failover => Intent::Failover,
            Operation::Delete => Intent::Delete,
        })
    }
}

impl Intent {
    /// The intent an action body expresses for a group in `status`.
    pub fn from_action(action: GroupAction, status: GroupStatus) -> Intent {
        match action {
            GroupAction::Start if Operation::Reprotect.transition().accepts(status) => Intent::Reprotect,
            GroupAction::Start => Intent::Enable,
            GroupAction::Stop => Intent::Disable,
            GroupAction::Reverse { priority_station } => Intent::PlannedFailover { priority_station },
            GroupAction::Failover => Intent::Failover,
        }
    }

    /// The action body that asks for this intent (`None`: a delete, which is `DELETE /server-groups/{id}`). The
    /// inverse of `from_action`, for clients that submit what the user chose.
    pub fn action(self) -> Option<GroupAction> {
        Some(match self {
            Intent::Enable | Intent::Reprotect => GroupAction::Start,
            Intent::Disable => GroupAction::Stop,
            Intent::PlannedFailover { priority_station } => GroupAction::Reverse { priority_station },
            Intent::Failover => GroupAction::Failover,
            Intent::Delete => return None,
        })
    }

    /// The state-machine operation.
    pub fn operation(self) -> Operation {
        match self {
            Intent::Enable => Operation::Enable,
            Intent::Reprotect => Operation::Reprotect,
            Intent::Disable => Operation::Disable,
            Intent::PlannedFailover { .. } => Operation::PlannedFailover,
            Intent::Failover => Operation::Failover,
            Intent::Delete => Operation::Delete,
        }
    }

    /// The requested production site, for a planned failover.
    pub fn requested_station(self) -> Option<PriorityStation> {
        match self {
            Intent::PlannedFailover { priority_station } => Some(priority_station),
            _ => None,
        }
    }
}
