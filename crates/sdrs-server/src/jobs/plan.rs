//! What each kind of job does: its named steps, its failure code and the resource it reports on.

use serde::{Deserialize, Serialize};

use r2d2_sqlite::rusqlite::Transaction;
use sdrs_core::member_rules::MemberOperation;
use sdrs_core::state_machine::Operation;
use sdrs_core::status::{InstanceStatus, PriorityStation, ReplicationStatus};
use sdrs_core::wire::{DisasterRecoveryDrill, ProtectedInstance, Replication};
use sdrs_core::ErrorCode;

use crate::error::ApiResult;
use crate::store;

/// How long one step takes at time scale 1.
pub const STEP_MILLIS: u64 = 3000;

/// The work of a job and the ids it needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PlanKind {
    Group {
        operation: Operation,
        server_group_id: String,
        #[serde(default)]
        requested_station: Option<PriorityStation>,
    },
    CreateInstance {
        protected_instance_id: String,
    },
    DeleteInstance {
        protected_instance_id: String,
        delete_target_server: bool,
    },
    CreateReplication {
        replication_id: String,
        dr_disk_id: String,
    },
    DeleteReplication {
        replication_id: String,
        delete_target_volume: bool,
    },
    ExpandReplication {
        replication_id: String,
        new_size: u32,
        previous_status: ReplicationStatus,
    },
    Attach {
        protected_instance_id: String,
        replication_id: String,
        device: String,
        previous_instance: InstanceStatus,
        previous_replication: ReplicationStatus,
    },
    Detach {
        protected_instance_id: String,
        replication_id: String,
        previous_instance: InstanceStatus,
        previous_replication: ReplicationStatus,
    },
    CreateDrill {
        drill_id: String,
    },
    DeleteDrill {
        drill_id: String,
    },
}

impl PlanKind {
    /// The named steps, reported as sub-jobs.
    pub fn steps(&self) -> &'static [&'static str] {
        match self {
            PlanKind::Group { operation, .. } => match operation {
                Operation::Create => &["createProtectionGroup"],
                Operation::Enable => &["createReplicationSessions", "synchroniseData"],
                Operation::Reprotect => &["reverseReplicationDirection", "resumeReplication"],
                Operation::Disable => &["stopProtectionGroupRepNoCG"],
                Operation::PlannedFailover => {
                    &["checkProductionServersStopped", "reverseReplicationPairs", "moveNics", "startProductionServers"]
                }
                Operation::Failover => {
                    &["stopProductionServers", "failoverReplicationPairs", "moveNics", "startDrServers"]
                }
                Operation::Delete => &["deleteProtectionGroup"],
            },
            PlanKind::CreateInstance { .. } => &["createDrServer", "attachDrNics"],
            PlanKind::DeleteInstance { .. } => &["deleteProtectedInstance"],
            PlanKind::CreateReplication { .. } => &["createDrDisk", "createReplicationPair"],
            PlanKind::DeleteReplication { .. } => &["deleteReplicationPair"],
            PlanKind::ExpandReplication { .. } => &["expandDisks"],
            PlanKind::Attach { .. } => &["attachReplicationPair"],
            PlanKind::Detach { .. } => &["detachReplicationPair"],
            PlanKind::CreateDrill { .. } => &["createDrillServers"],
            PlanKind::DeleteDrill { .. } => &["deleteDrillServers"],
        }
    }

    /// The member operation a non-group job carries out (the core's table of member rules and job outcomes).
    fn member_operation(&self) -> Option<MemberOperation> {
        Some(match self {
            PlanKind::Group { .. } => return None,
            PlanKind::CreateInstance { .. } => MemberOperation::ProtectServer,
            PlanKind::DeleteInstance { .. } => MemberOperation::DeleteInstance,
            PlanKind::CreateReplication { .. } => MemberOperation::CreatePair,
            PlanKind::DeleteReplication { .. } => MemberOperation::DeletePair,
            PlanKind::ExpandReplication { .. } => MemberOperation::ExpandPair,
            PlanKind::Attach { .. } => MemberOperation::AttachPair,
            PlanKind::Detach { .. } => MemberOperation::DetachPair,
            PlanKind::CreateDrill { .. } => MemberOperation::CreateDrill,
            PlanKind::DeleteDrill { .. } => MemberOperation::DeleteDrill,
        })
    }

    /// The code a failure of this job reports by default.
    pub fn failure_code(&self) -> ErrorCode {
        match (self, self.member_operation()) {
            (PlanKind::Group { operation, .. }, _) => operation.transition().failure_code,
            (_, Some(member)) => member.failure_code(),
            (_, None) => unreachable!("every job but a group's is a member operation"),
        }
    }

    /// The task centre's `failure_status` and `resource_type` of a failure.
    pub fn failure_labels(&self) -> (&'static str, &'static str) {
        match (self, self.member_operation()) {
            (PlanKind::Group { operation, .. }, _) => (operation.transition().failure_status, "server_groups"),
            (_, Some(member)) => member.task_centre_labels(),
            (_, None) => unreachable!("every job but a group's is a member operation"),
        }
    }

    /// The id of the resource the job reports on (the task centre's `resource_id`).
    pub fn resource_id(&self) -> &str {
        match self {
            PlanKind::Group { server_group_id, .. } => server_group_id,
            PlanKind::CreateInstance { protected_instance_id }
            | PlanKind::DeleteInstance { protected_instance_id, .. }
            | PlanKind::Attach { protected_instance_id, .. }
            | PlanKind::Detach { protected_instance_id, .. } => protected_instance_id,
            PlanKind::CreateReplication { replication_id, .. }
            | PlanKind::DeleteReplication { replication_id, .. }
            | PlanKind::ExpandReplication { replication_id, .. } => replication_id,
            PlanKind::CreateDrill { drill_id } | PlanKind::DeleteDrill { drill_id } => drill_id,
        }
    }

    /// The group the job belongs to (for fault injection and the task centre).
    pub fn server_group_id(&self, tx: &Transaction<'_>, project_id: &str) -> ApiResult<Option<String>> {
        let group_of = |kind: &str, id: &str| -> ApiResult<Option<String>> {
            use r2d2_sqlite::rusqlite::OptionalExtension;
            Ok(tx
                .query_row(
                    "SELECT server_group_id FROM resources WHERE project_id = ?1 AND kind = ?2 AND id = ?3",
                    [project_id, kind, id],
                    |row| row.get::<_, Option<String>>(0),
                )
                .optional()?
                .flatten())
        };
        use store::Resource;
        match self {
            PlanKind::Group { server_group_id, .. } => Ok(Some(server_group_id.clone())),
            PlanKind::CreateInstance { protected_instance_id }
            | PlanKind::DeleteInstance { protected_instance_id, .. }
            | PlanKind::Attach { protected_instance_id, .. }
            | PlanKind::Detach { protected_instance_id, .. } => {
                group_of(ProtectedInstance::KIND, protected_instance_id)
            }
            PlanKind::CreateReplication { replication_id, .. }
            | PlanKind::DeleteReplication { replication_id, .. }
            | PlanKind::ExpandReplication { replication_id, .. } => group_of(Replication::KIND, replication_id),
            PlanKind::CreateDrill { drill_id } | PlanKind::DeleteDrill { drill_id } => {
                group_of(DisasterRecoveryDrill::KIND, drill_id)
            }
        }
    }
}
