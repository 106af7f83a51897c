//! A protection group as the API shows it, with what the compute service knows about its servers.

use serde::{Deserialize, Serialize};

use crate::action::GroupAction;
use crate::state_machine::Operation;
use crate::status::{wire_enum, GroupStatus, PriorityStation};
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

/// A protection group with its instances, pairs and drills: the API's own JSON, plus server facts.
///
/// Lists may be left out (a console may only have the group); the group's counters then stand in.
/// A server missing from `servers` is unknown, not deleted.
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
    /// What is known about a server.
    pub fn server(&self, id: &str) -> Option<&ServerFacts> {
        self.servers.iter().find(|s| s.id == id)
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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
