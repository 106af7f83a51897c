//! The protection-group state machine as one table: operation × status → transient, success and failure statuses.

use std::fmt::Write as _;

use serde::Serialize;

use crate::action::GroupAction;
use crate::catalogue::{ErrorCode, SdrsCoded};
use crate::status::{wire_enum, GroupStatus, InstanceStatus, PriorityStation, ReplicationStatus};
use crate::wire::JobType;

wire_enum! {
    /// What a job does to a protection group. `start-server-group` is `enable` or `re-protect` by status.
    Operation, "operation" {
        Create = "create",
        Enable = "enable",
        Reprotect = "re-protect",
        Disable = "disable",
        PlannedFailover = "planned-failover",
        Failover = "failover",
        Delete = "delete",
    }
}

/// How an operation moves the production site (`priority_station`) when it succeeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StationEffect {
    Unchanged,
    /// The other site becomes the production site.
    Flip,
    /// The site named in the request becomes the production site.
    SetRequested,
}

/// Statuses the group's protected instances and replication pairs pass through with the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MemberTransition {
    pub transient: InstanceStatus,
    pub success: InstanceStatus,
    pub failure: InstanceStatus,
}

impl MemberTransition {
    /// The same transition for replication pairs, whose statuses carry the same names.
    pub fn for_replications(&self) -> (ReplicationStatus, ReplicationStatus, ReplicationStatus) {
        let convert = |status: InstanceStatus| {
            status.as_str().parse::<ReplicationStatus>().expect("member statuses exist for pairs too")
        };
        (convert(self.transient), convert(self.success), convert(self.failure))
    }
}

/// One row of the state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Transition {
    pub operation: Operation,
    /// Statuses the operation is accepted from; empty for `create`, which has no group yet.
    pub from: &'static [GroupStatus],
    /// The status while the job runs.
    pub transient: GroupStatus,
    /// The status when the job succeeds; `None` when the group is removed.
    pub success: Option<GroupStatus>,
    /// The status when the job fails; the operation can be retried from it.
    pub failure: GroupStatus,
    pub job_type: JobType,
    pub station: StationEffect,
    pub members: Option<MemberTransition>,
    /// The code a failed job reports in `error_code`.
    pub failure_code: ErrorCode,
    /// The task centre's `failure_status` of a failed job.
    pub failure_status: &'static str,
}

use GroupStatus as S;
use InstanceStatus as I;

/// Every operation that changes a protection group's status.
///
/// From the reference's per-API constraints. Two rows are choices where the documentation is silent:
/// `disable` succeeds to `available` (the only status enable is accepted from), and `delete` is accepted
/// from every status in which no job runs (the documentation lists none; emptiness is checked separately).
pub static TRANSITIONS: [Transition; 7] = [
    Transition {
        operation: Operation::Create,
        from: &[],
        transient: S::Creating,
        success: Some(S::Available),
        failure: S::Error,
        job_type: JobType::CreateProtectionGroup,
        station: StationEffect::Unchanged,
        members: None,
        failure_code: ErrorCode::SDRS_1014,
        failure_status: "createFail",
    },
    Transition {
        operation: Operation::Enable,
        from: &[S::Available, S::ErrorStarting],
        transient: S::Starting,
        success: Some(S::Protected),
        failure: S::ErrorStarting,
        job_type: JobType::StartProtectionGroup,
        station: StationEffect::Unchanged,
        members: Some(MemberTransition { transient: I::Starting, success: I::Protected, failure: I::ErrorStarting }),
        failure_code: ErrorCode::SDRS_1027,
        failure_status: "startFail",
    },
    Transition {
        operation: Operation::Reprotect,
        from: &[S::FailedOver, S::ErrorReprotecting],
        transient: S::Reprotecting,
        success: Some(S::Protected),
        failure: S::ErrorReprotecting,
        job_type: JobType::ReprotectProtectionGroup,
        station: StationEffect::Unchanged,
        members: Some(MemberTransition {
            transient: I::Reprotecting,
            success: I::Protected,
            failure: I::ErrorReprotecting,
        }),
        failure_code: ErrorCode::SDRS_1032,
        failure_status: "reprotectFail",
    },
    Transition {
        operation: Operation::Disable,
        from: &[S::Protected, S::ErrorStopping],
        transient: S::Stopping,
        success: Some(S::Available),
        failure: S::ErrorStopping,
        job_type: JobType::StopProtectionGroup,
        station: StationEffect::Unchanged,
        members: Some(MemberTransition { transient: I::Stopping, success: I::Available, failure: I::ErrorStopping }),
        failure_code: ErrorCode::SDRS_1028,
        failure_status: "stopFail",
    },
    Transition {
        operation: Operation::PlannedFailover,
        from: &[S::Protected, S::ErrorReversing],
        transient: S::Reversing,
        success: Some(S::Protected),
        failure: S::ErrorReversing,
        job_type: JobType::ReverseProtectionGroup,
        station: StationEffect::SetRequested,
        members: Some(MemberTransition { transient: I::Reversing, success: I::Protected, failure: I::ErrorReversing }),
        failure_code: ErrorCode::SDRS_1029,
        failure_status: "reverseFail",
    },
    Transition {
        operation: Operation::Failover,
        from: &[S::Protected, S::ErrorFailingOver, S::ErrorReversing],
        transient: S::FailingOver,
        success: Some(S::FailedOver),
        failure: S::ErrorFailingOver,
        job_type: JobType::FailoverProtectionGroup,
        station: StationEffect::Flip,
        members: Some(MemberTransition {
            transient: I::FailingOver,
            success: I::FailedOver,
            failure: I::ErrorFailingOver,
        }),
        failure_code: ErrorCode::SDRS_1030,
        failure_status: "failoverFail",
    },
    Transition {
        operation: Operation::Delete,
        from: &[
            S::Available,
            S::Protected,
            S::FailedOver,
            S::Error,
            S::ErrorDeleting,
            S::ErrorStarting,
            S::ErrorReprotecting,
            S::ErrorStopping,
            S::ErrorReversing,
            S::ErrorFailingOver,
        ],
        transient: S::Deleting,
        success: None,
        failure: S::ErrorDeleting,
        job_type: JobType::DeleteProtectionGroup,
        station: StationEffect::Unchanged,
        members: None,
        failure_code: ErrorCode::SDRS_1016,
        failure_status: "deleteFail",
    },
];

impl Operation {
    /// This operation's row of the state machine.
    pub fn transition(self) -> &'static Transition {
        TRANSITIONS.iter().find(|t| t.operation == self).expect("every operation has a row")
    }

    /// The request that starts it, in words an operator reads.
    pub fn request(self) -> &'static str {
        match self {
            Operation::Create => "POST /server-groups",
            Operation::Enable | Operation::Reprotect => "{\"start-server-group\": {}}",
            Operation::Disable => "{\"stop-server-group\": {}}",
            Operation::PlannedFailover => "{\"reverse-server-group\": {\"priority_station\": ...}}",
            Operation::Failover => "{\"failover-server-group\": {}}",
            Operation::Delete => "DELETE /server-groups/{id}",
        }
    }
}

impl Transition {
    /// Whether the operation is accepted from `status`.
    pub fn accepts(&self, status: GroupStatus) -> bool {
        self.from.contains(&status)
    }

    /// The group's status when the job ends; `None` when it was deleted.
    pub fn finish(&self, succeeded: bool) -> Option<GroupStatus> {
        if succeeded {
            self.success
        } else {
            Some(self.failure)
        }
    }

    /// The production site after the job succeeds.
    pub fn station_after(&self, current: PriorityStation, requested: Option<PriorityStation>) -> PriorityStation {
        match self.station {
            StationEffect::Unchanged => current,
            StationEffect::Flip => current.flipped(),
            StationEffect::SetRequested => requested.unwrap_or(current),
        }
    }
}

/// The operation is not accepted in the group's current status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{} is not allowed while the protection group is `{status}`{}", describe(*.operation), allowed_clause(.allowed))]
pub struct StateError {
    /// The operation, or `None` for a `start-server-group` that is neither enable nor re-protect here.
    pub operation: Option<Operation>,
    pub status: GroupStatus,
    /// The statuses it would be accepted from.
    pub allowed: Vec<GroupStatus>,
}

fn describe(operation: Option<Operation>) -> String {
    match operation {
        Some(operation) => operation.to_string(),
        None => "start-server-group (enable or re-protect)".to_owned(),
    }
}

fn allowed_clause(allowed: &[GroupStatus]) -> String {
    let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
    format!("; it is accepted from: {}", names.join(", "))
}

impl SdrsCoded for StateError {
    fn code(&self) -> ErrorCode {
        ErrorCode::SDRS_1002
    }
}

/// Resolves an action body against the group's status into the operation it starts.
pub fn resolve(action: GroupAction, status: GroupStatus) -> Result<Operation, StateError> {
    let operation = match action {
        GroupAction::Start => {
            if Operation::Enable.transition().accepts(status) {
                Operation::Enable
            } else if Operation::Reprotect.transition().accepts(status) {
                Operation::Reprotect
            } else {
                let mut allowed = Operation::Enable.transition().from.to_vec();
                allowed.extend_from_slice(Operation::Reprotect.transition().from);
                return Err(StateError { operation: None, status, allowed });
            }
        }
        GroupAction::Stop => Operation::Disable,
        GroupAction::Reverse { .. } => Operation::PlannedFailover,
        GroupAction::Failover => Operation::Failover,
    };
    check(operation, status)?;
    Ok(operation)
}

/// Checks that `operation` is accepted from `status`.
pub fn check(operation: Operation, status: GroupStatus) -> Result<(), StateError> {
    let transition = operation.transition();
    if transition.accepts(status) {
        Ok(())
    } else {
        Err(StateError { operation: Some(operation), status, allowed: transition.from.to_vec() })
    }
}

/// The operations accepted from `status`, in table order.
pub fn allowed_operations(status: GroupStatus) -> Vec<Operation> {
    TRANSITIONS.iter().filter(|t| t.accepts(status)).map(|t| t.operation).collect()
}

/// Whether a DR drill may be created while the group is in `status` (the group's status does not change).
pub fn drill_allowed(status: GroupStatus) -> bool {
    matches!(
        status,
        S::Available
            | S::Protected
            | S::FailedOver
            | S::ErrorStarting
            | S::ErrorStopping
            | S::ErrorReversing
            | S::ErrorReprotecting
            | S::ErrorFailingOver
    )
}

/// The state machine as Markdown: the transition table and, per status, what is allowed.
pub fn markdown_chart() -> String {
    let mut out = String::from(
        "# Protection-group state machine\n\n\
         Generated from `sdrs_core::state_machine::TRANSITIONS` by `cargo test -p sdrs-core` \
         (`UPDATE_EXPECT=1` rewrites it). Do not edit by hand.\n\n\
         | operation | request | accepted from | while running | on SUCCESS | on FAIL | production site | job_type | failure code |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for t in &TRANSITIONS {
        let from = if t.from.is_empty() { "(new group)".to_owned() } else { join(t.from) };
        let success = t.success.map_or("(removed)".to_owned(), |s| format!("`{s}`"));
        let station = match t.station {
            StationEffect::Unchanged => "unchanged",
            StationEffect::Flip => "flips",
            StationEffect::SetRequested => "as requested",
        };
        writeln!(
            out,
            "| {} | `{}` | {} | `{}` | {} | `{}` | {} | `{}` | {} |",
            t.operation,
            t.operation.request(),
            from,
            t.transient,
            success,
            t.failure,
            station,
            t.job_type,
            t.failure_code
        )
        .unwrap();
    }
    out.push_str("\n## Allowed operations per status\n\n| status | operations | DR drill |\n|---|---|---|\n");
    for status in GroupStatus::ALL {
        let operations: Vec<&str> = allowed_operations(*status).into_iter().map(Operation::as_str).collect();
        let operations =
            if operations.is_empty() { "none (a job is running)".to_owned() } else { operations.join(", ") };
        let drill = if drill_allowed(*status) { "yes" } else { "no" };
        writeln!(out, "| `{status}` | {operations} | {drill} |").unwrap();
    }
    out
}

/// The state machine as a Graphviz DOT graph.
pub fn dot_chart() -> String {
    let mut out = String::from(
        "// Generated from sdrs_core::state_machine::TRANSITIONS; do not edit by hand.\n\
         digraph protection_group {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n  new [shape=point];\n  removed [shape=doublecircle, label=\"removed\"];\n",
    );
    for status in GroupStatus::ALL {
        let style = if status.is_transient() {
            ", style=\"rounded,dashed\""
        } else if status.is_error() {
            ", color=red"
        } else {
            ""
        };
        writeln!(out, "  \"{status}\" [label=\"{status}\"{style}];").unwrap();
    }
    for t in &TRANSITIONS {
        let sources: Vec<String> = if t.from.is_empty() {
            vec!["new".to_owned()]
        } else {
            t.from.iter().map(|s| format!("\"{s}\"")).collect()
        };
        for source in sources {
            writeln!(out, "  {source} -> \"{}\" [label=\"{}\"];", t.transient, t.operation).unwrap();
        }
        let success = t.success.map_or("removed".to_owned(), |s| format!("\"{s}\""));
        writeln!(out, "  \"{}\" -> {success} [label=\"SUCCESS\", color=darkgreen];", t.transient).unwrap();
        writeln!(out, "  \"{}\" -> \"{}\" [label=\"FAIL\", color=red];", t.transient, t.failure).unwrap();
    }
    out.push_str("}\n");
    out
}

fn join(statuses: &[GroupStatus]) -> String {
    statuses.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
}
