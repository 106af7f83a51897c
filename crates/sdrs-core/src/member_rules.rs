//! The rules of a protection group's members: protecting a server, replication pairs (create, attach, detach, expand,
//! delete), deleting a protected instance, DR drills; every refusal at once with its code, as `precheck` does for
//! group operations. The server asks these before it changes anything; the console can ask them before it submits.

use serde::{Deserialize, Serialize};

use crate::catalogue::ErrorCode;
use crate::precheck::native_deletions;
use crate::snapshot::{PowerState, SnapshotFacts};
use crate::state_machine::drill_allowed;
use crate::status::{wire_enum, DrillStatus, GroupStatus, InstanceStatus, ReplicationStatus};
use crate::wire::{
    ActiveDomain, DisasterRecoveryDrill, NativeDisk, NativeServer, ProtectedInstance, Replication, ServerGroup,
};

wire_enum! {
    /// An operation on a member of a protection group.
    MemberOperation, "member operation" {
        CreateGroup = "create-protection-group",
        ProtectServer = "protect-server",
        DeleteInstance = "delete-protected-instance",
        CreatePair = "create-replication-pair",
        AttachPair = "attach-replication-pair",
        DetachPair = "detach-replication-pair",
        ExpandPair = "expand-replication-pair",
        DeletePair = "delete-replication-pair",
        CreateDrill = "create-drill",
        DeleteDrill = "delete-drill",
    }
}

impl MemberOperation {
    /// The code a failed job of this operation reports (the documented "Failed to …" code). Creating a group is a
    /// group operation: its code is the state machine's.
    pub fn failure_code(self) -> ErrorCode {
        match self {
            MemberOperation::CreateGroup => crate::state_machine::Operation::Create.transition().failure_code,
            MemberOperation::ProtectServer => ErrorCode::SDRS_1350,
            MemberOperation::DeleteInstance => ErrorCode::SDRS_1351,
            MemberOperation::CreatePair => ErrorCode::SDRS_1609,
            MemberOperation::DeletePair => ErrorCode::SDRS_1607,
            MemberOperation::ExpandPair => ErrorCode::SDRS_1820,
            MemberOperation::AttachPair => ErrorCode::SDRS_1821,
            MemberOperation::DetachPair => ErrorCode::SDRS_1822,
            MemberOperation::CreateDrill => ErrorCode::SDRS_1922,
            MemberOperation::DeleteDrill => ErrorCode::SDRS_1923,
        }
    }

    /// The task centre's `failure_status` and `resource_type` for a failed job of this operation.
    pub fn task_centre_labels(self) -> (&'static str, &'static str) {
        match self {
            MemberOperation::CreateGroup => {
                (crate::state_machine::Operation::Create.transition().failure_status, "server_groups")
            }
            MemberOperation::ProtectServer => ("createFail", "protected_instances"),
            MemberOperation::DeleteInstance => ("deleteFail", "protected_instances"),
            MemberOperation::CreatePair => ("createFail", "replications"),
            MemberOperation::DeletePair => ("deleteFail", "replications"),
            MemberOperation::ExpandPair => ("expandFail", "replications"),
            MemberOperation::AttachPair => ("attachFail", "protected_instances"),
            MemberOperation::DetachPair => ("detachFail", "protected_instances"),
            MemberOperation::CreateDrill => ("createFail", "disaster_recovery_drills"),
            MemberOperation::DeleteDrill => ("deleteFail", "disaster_recovery_drills"),
        }
    }
}

/// How the seed's rule on natively deleted servers bears on an operation: "If the server at the production site or DR
/// site in a protected instance is deleted using the native interface, no operations can be performed on the
/// protected instance or the protection group of the protected instance."
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NativeDeletionRule {
    /// Refused while a server of the group was deleted natively (`SDRS.1326`, or `SDRS.1314` when only the
    /// instance's `invalid` status shows it), with every such server named.
    Refused,
    /// Allowed, and why: what the rule cannot mean to forbid.
    Allowed(&'static str),
}

/// Why the clean-up operations stay open: without them the rule would lock the group for good.
pub const CLEANUP_ALLOWED: &str = "it removes what the deleted server left behind: the rule's own way out (the \
     documented constraints list `invalid`, the status such an instance or pair shows, among those it is allowed from)";

impl MemberOperation {
    /// What the seed's rule on natively deleted servers does to this operation. Operations that add to the group or
    /// act on its replication are refused; those that take things out of it are allowed, since only they can free it.
    pub fn native_deletion_rule(self) -> NativeDeletionRule {
        match self {
            MemberOperation::CreateGroup => NativeDeletionRule::Allowed(
                "the group does not exist yet, so none of its servers can have been deleted",
            ),
            MemberOperation::ProtectServer
            | MemberOperation::CreatePair
            | MemberOperation::AttachPair
            | MemberOperation::ExpandPair
            | MemberOperation::CreateDrill => NativeDeletionRule::Refused,
            MemberOperation::DeleteInstance
            | MemberOperation::DetachPair
            | MemberOperation::DeletePair
            | MemberOperation::DeleteDrill => NativeDeletionRule::Allowed(CLEANUP_ALLOWED),
        }
    }
}

/// One reason a member operation is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub code: ErrorCode,
    /// What is wrong, in the words of the resource concerned.
    pub detail: String,
}

/// Every reason a member operation is refused, in the order the service checks them; empty when it is allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberCheck {
    pub operation: MemberOperation,
    pub refusals: Vec<Refusal>,
}

impl MemberCheck {
    fn new(operation: MemberOperation) -> MemberCheck {
        MemberCheck { operation, refusals: Vec::new() }
    }

    /// A check of an operation on a member of the group of `snapshot`: first the seed's rule on natively deleted
    /// servers, where it refuses this operation (`MemberOperation::native_deletion_rule`).
    fn in_group(operation: MemberOperation, snapshot: &SnapshotFacts) -> MemberCheck {
        let mut check = MemberCheck::new(operation);
        if operation.native_deletion_rule() == NativeDeletionRule::Refused {
            for finding in native_deletions(snapshot) {
                check.refuse(finding.code, finding.message);
            }
        }
        check
    }

    fn refuse(&mut self, code: ErrorCode, detail: impl Into<String>) {
        self.refusals.push(Refusal { code, detail: detail.into() });
    }

    /// Whether nothing stops the operation.
    pub fn allowed(&self) -> bool {
        self.refusals.is_empty()
    }
}

/// Creating a group in `domain` with production at `source` and DR at `target`: the domain's two AZs, one each.
pub fn create_group(domain: &ActiveDomain, source: &str, target: &str) -> MemberCheck {
    let mut check = MemberCheck::new(MemberOperation::CreateGroup);
    let sides =
        [&domain.local_replication_cluster.availability_zone, &domain.remote_replication_cluster.availability_zone];
    if source == target || !sides.iter().any(|s| *s == source) || !sides.iter().any(|s| *s == target) {
        check.refuse(ErrorCode::SDRS_0203, format!("domain `{}` pairs {} and {}", domain.name, sides[0], sides[1]));
    }
    check
}

/// Statuses from which a group accepts new members and attachments.
fn accepts_members(status: GroupStatus) -> bool {
    matches!(status, GroupStatus::Available | GroupStatus::Protected)
}

/// Protecting `server` in the group of `snapshot`. `server` is `None` when the inventory has no such server (or it was
/// deleted natively); `in_use` when a protected instance already uses it.
pub fn protect_server(snapshot: &SnapshotFacts, server: Option<&NativeServer>, in_use: bool) -> MemberCheck {
    let mut check = MemberCheck::in_group(MemberOperation::ProtectServer, snapshot);
    let group = &snapshot.server_group;
    if !accepts_members(group.status) {
        check.refuse(ErrorCode::SDRS_1323, format!("the group is `{}`", group.status));
    }
    let Some(server) = server.filter(|s| s.power_state != PowerState::Deleted) else {
        check.refuse(ErrorCode::SDRS_1326, "no such server");
        return check;
    };
    let production = group.production_availability_zone();
    if server.availability_zone != production {
        check.refuse(
            ErrorCode::SDRS_1303,
            format!("server is in {}, the group's production site is {production}", server.availability_zone),
        );
    }
    if server.vpc_id != group.source_vpc_id {
        check.refuse(ErrorCode::SDRS_1304, format!("server is in VPC {}", server.vpc_id));
    }
    if in_use || server.protected_instance_id.is_some() {
        check.refuse(ErrorCode::SDRS_1305, format!("server `{}`", server.id));
    }
    check
}

/// Instance statuses from which a protected instance may be deleted: every one in which no job runs on it.
pub const INSTANCE_DELETABLE: &[InstanceStatus] = &[
    InstanceStatus::Available,
    InstanceStatus::Protected,
    InstanceStatus::FailedOver,
    InstanceStatus::Error,
    InstanceStatus::ErrorStarting,
    InstanceStatus::ErrorStopping,
    InstanceStatus::ErrorReversing,
    InstanceStatus::ErrorFailingOver,
    InstanceStatus::ErrorDeleting,
    InstanceStatus::ErrorReprotecting,
    InstanceStatus::ErrorResizing,
    InstanceStatus::Invalid,
    InstanceStatus::Fault,
];

/// Deleting `instance` of `group`.
pub fn delete_instance(group: &ServerGroup, instance: &ProtectedInstance) -> MemberCheck {
    let mut check = MemberCheck::new(MemberOperation::DeleteInstance);
    if group.status.is_transient() {
        check.refuse(ErrorCode::SDRS_1324, format!("a job is running on the group (`{}`)", group.status));
    }
    if !INSTANCE_DELETABLE.contains(&instance.status) {
        check.refuse(ErrorCode::SDRS_1301, format!("the protected instance is `{}`", instance.status));
    }
    check
}

/// Creating a replication pair of `disk` in the group of `snapshot`; `disk` is `None` when the inventory has no such
/// disk, `in_use` when a pair already replicates it.
pub fn create_pair(snapshot: &SnapshotFacts, disk: Option<&NativeDisk>, in_use: bool) -> MemberCheck {
    let mut check = MemberCheck::in_group(MemberOperation::CreatePair, snapshot);
    let group = &snapshot.server_group;
    if !accepts_members(group.status) {
        check.refuse(
            ErrorCode::SDRS_1002,
            format!("creating a replication pair needs the group available or protected; it is `{}`", group.status),
        );
    }
    let Some(disk) = disk else {
        check.refuse(ErrorCode::SDRS_1803, "no such disk");
        return check;
    };
    if disk.status != "available" && disk.status != "in-use" {
        check.refuse(ErrorCode::SDRS_1801, format!("the disk is `{}`", disk.status));
    }
    if disk.availability_zone != group.production_availability_zone() {
        check.refuse(ErrorCode::SDRS_1810, format!("the disk is in {}", disk.availability_zone));
    }
    if in_use {
        check.refuse(ErrorCode::SDRS_1811, format!("disk `{}`", disk.id));
    }
    check
}

/// Attaching `pair` to `instance` (of the group of `snapshot`) as `device`.
pub fn attach_pair(
    snapshot: &SnapshotFacts,
    instance: &ProtectedInstance,
    pair: &Replication,
    device: &str,
) -> MemberCheck {
    let mut check = MemberCheck::in_group(MemberOperation::AttachPair, snapshot);
    let group = &snapshot.server_group;
    if pair.server_group_id != instance.server_group_id {
        check.refuse(ErrorCode::SDRS_1611, "the pair and the instance are in different groups");
    }
    if !accepts_members(group.status) {
        check.refuse(
            ErrorCode::SDRS_1002,
            format!("attaching needs the group available or protected; it is `{}`", group.status),
        );
    }
    if !matches!(instance.status, InstanceStatus::Available | InstanceStatus::Protected) {
        check.refuse(ErrorCode::SDRS_1328, format!("the protected instance is `{}`", instance.status));
    }
    if !matches!(pair.status, ReplicationStatus::Available | ReplicationStatus::Protected) {
        check.refuse(ErrorCode::SDRS_1601, format!("the replication pair is `{}`", pair.status));
    }
    if !pair.attachment.is_empty() {
        check.refuse(ErrorCode::SDRS_1605, "the replication pair is attached already");
    }
    if instance.attachment.iter().any(|a| a.device == device) {
        check.refuse(ErrorCode::SDRS_1603, format!("device {device} is in use on the instance"));
    }
    check
}

/// Detaching `pair` from `instance` (of `group`).
pub fn detach_pair(group: &ServerGroup, instance: &ProtectedInstance, pair: &Replication) -> MemberCheck {
    let mut check = MemberCheck::new(MemberOperation::DetachPair);
    if !instance.attachment.iter().any(|a| a.replication == pair.id) {
        check.refuse(ErrorCode::SDRS_1604, "the replication pair is not attached to this instance");
    }
    if group.status.is_transient() {
        check.refuse(ErrorCode::SDRS_1002, format!("a job is running on the group (`{}`)", group.status));
    }
    check
}

/// Expanding `pair`'s disks (of the group of `snapshot`) to `new_size` GB.
pub fn expand_pair(snapshot: &SnapshotFacts, pair: &Replication, new_size: u32) -> MemberCheck {
    let mut check = MemberCheck::in_group(MemberOperation::ExpandPair, snapshot);
    if !matches!(
        pair.status,
        ReplicationStatus::Available | ReplicationStatus::Protected | ReplicationStatus::ErrorExtending
    ) {
        check.refuse(ErrorCode::SDRS_1601, format!("the replication pair is `{}`", pair.status));
    }
    let current = pair.record_metadata.volume_size;
    if new_size <= current {
        check.refuse(
            ErrorCode::SDRS_0201,
            format!("new_size {new_size} GB must be larger than the current {current} GB"),
        );
    }
    check
}

/// The status a pair returns to when its expansion ends: the one it had, or, retried from `error-extending`, the
/// one its group implies.
pub fn status_after_expand(pair: ReplicationStatus, group: GroupStatus) -> ReplicationStatus {
    match (pair, group) {
        (ReplicationStatus::ErrorExtending, GroupStatus::Protected) => ReplicationStatus::Protected,
        (ReplicationStatus::ErrorExtending, _) => ReplicationStatus::Available,
        (status, _) => status,
    }
}

/// Pair statuses from which a replication pair may be deleted: every one in which no job runs on it.
pub const PAIR_DELETABLE: &[ReplicationStatus] = &[
    ReplicationStatus::Available,
    ReplicationStatus::Protected,
    ReplicationStatus::FailedOver,
    ReplicationStatus::Error,
    ReplicationStatus::ErrorStarting,
    ReplicationStatus::ErrorStopping,
    ReplicationStatus::ErrorReversing,
    ReplicationStatus::ErrorFailingOver,
    ReplicationStatus::ErrorDeleting,
    ReplicationStatus::ErrorReprotecting,
    ReplicationStatus::ErrorAttaching,
    ReplicationStatus::ErrorExtending,
    ReplicationStatus::Invalid,
    ReplicationStatus::Fault,
];

/// Deleting `pair` of `group`.
pub fn delete_pair(group: &ServerGroup, pair: &Replication) -> MemberCheck {
    let mut check = MemberCheck::new(MemberOperation::DeletePair);
    if group.status.is_transient() || group.status == GroupStatus::Error {
        check.refuse(ErrorCode::SDRS_1002, format!("the group is `{}`", group.status));
    }
    if !pair.attachment.is_empty() {
        check.refuse(ErrorCode::SDRS_1605, "detach the replication pair from its protected instance first");
    }
    if !PAIR_DELETABLE.contains(&pair.status) {
        check.refuse(ErrorCode::SDRS_1601, format!("the replication pair is `{}`", pair.status));
    }
    check
}

/// Starting a DR drill of the group of `snapshot` in `drill_vpc_id` (`None`: the service picks one). A group whose
/// production VPC is not known (`source_vpc_id` empty, as a recovery plan's check may have it) is not compared.
pub fn create_drill(snapshot: &SnapshotFacts, drill_vpc_id: Option<&str>) -> MemberCheck {
    let mut check = MemberCheck::in_group(MemberOperation::CreateDrill, snapshot);
    let group = &snapshot.server_group;
    if !drill_allowed(group.status) {
        check.refuse(ErrorCode::SDRS_1002, format!("a DR drill cannot start while the group is `{}`", group.status));
    }
    let source_vpc = group.source_vpc_id.as_str();
    if !source_vpc.is_empty() && drill_vpc_id.is_some_and(|vpc| vpc == source_vpc) {
        check.refuse(ErrorCode::SDRS_1907, "use a VPC of its own for the drill");
    }
    check
}

/// Deleting `drill`.
pub fn delete_drill(drill: &DisasterRecoveryDrill) -> MemberCheck {
    remove_drill(drill.status)
}

/// Deleting a DR drill in `status`.
pub fn remove_drill(status: DrillStatus) -> MemberCheck {
    let mut check = MemberCheck::new(MemberOperation::DeleteDrill);
    if !matches!(status, DrillStatus::Available | DrillStatus::Error | DrillStatus::ErrorDeleting) {
        check.refuse(ErrorCode::SDRS_1913, format!("the DR drill is `{status}`"));
    }
    check
}

wire_enum! {
    /// A kind of thing a request names by id, which may not exist.
    Missing, "missing resource" {
        Group = "protection group",
        Instance = "protected instance",
        Pair = "replication pair",
        Drill = "DR drill",
        Server = "server",
        Disk = "disk",
        Domain = "active-active domain",
        Job = "job",
    }
}

impl Missing {
    /// The code that says this id does not exist. Jobs have no documented one; `SDRS.0201` is used (the 500-class
    /// job codes would make SDKs raise server errors).
    pub fn code(self) -> ErrorCode {
        match self {
            Missing::Group => ErrorCode::SDRS_1013,
            Missing::Instance => ErrorCode::SDRS_1320,
            Missing::Pair => ErrorCode::SDRS_1608,
            Missing::Drill => ErrorCode::SDRS_1902,
            Missing::Server => ErrorCode::SDRS_1326,
            Missing::Disk => ErrorCode::SDRS_1803,
            Missing::Domain => ErrorCode::SDRS_0205,
            Missing::Job => ErrorCode::SDRS_0201,
        }
    }

    /// The refusal for `id`.
    pub fn refusal(self, id: &str) -> Refusal {
        let detail = match self {
            Missing::Job => format!("job `{id}` not found"),
            Missing::Domain => format!("no active-active domain `{id}`"),
            other => format!("no {other} `{id}` in this project"),
        };
        Refusal { code: self.code(), detail }
    }
}
