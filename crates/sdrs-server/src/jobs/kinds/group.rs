//! Group operations (create, enable, re-protect, disable, planned failover, failover, delete): statuses from the
//! core's state machine, servers powered as the steps say.

use serde::{Deserialize, Serialize};

use sdrs_core::snapshot::PowerState;
use sdrs_core::state_machine::Operation;
use sdrs_core::status::PriorityStation;
use sdrs_core::timefmt::{resource_time, UnixMillis};
use sdrs_core::wire::{Job, ProtectedInstance, ServerGroup};
use sdrs_core::ErrorCode;

use crate::error::ApiResult;
use crate::jobs::kind::{load, mark, set_members, set_power, Cx, JobKind, JobOperation, Step};
use crate::store::{self, Resource};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupJob {
    pub operation: Operation,
    pub server_group_id: String,
    /// The production site a planned failover asked for.
    #[serde(default)]
    pub requested_station: Option<PriorityStation>,
}

/// Moves a group and its members into the operation's transient status, in the submitting transaction. The members
/// first: their reads come before any write of the operation, so the checks' reads of them are used again.
pub fn begin(cx: &Cx<'_>, group: &mut ServerGroup, operation: Operation) -> ApiResult<()> {
    let transition = operation.transition();
    if let Some(members) = transition.members {
        set_members(cx, &group.id, members.transient, None, None)?;
    }
    group.status = transition.transient;
    group.updated_at = resource_time(cx.now);
    store::update(cx.tx, cx.project, group)
}

/// `begin` for callers that hold a transaction rather than a `Cx`.
pub fn begin_group_operation(
    tx: &dyn crate::store::Store,
    project: &str,
    group: &mut ServerGroup,
    operation: Operation,
    now: UnixMillis,
) -> ApiResult<()> {
    begin(&Cx { tx, project, now }, group, operation)
}

impl JobKind for GroupJob {
    fn steps(&self) -> &'static [Step] {
        match self.operation {
            Operation::Create => &[Step::CreateProtectionGroup],
            Operation::Enable => &[Step::CreateReplicationSessions, Step::SynchroniseData],
            Operation::Reprotect => &[Step::ReverseReplicationDirection, Step::ResumeReplication],
            Operation::Disable => &[Step::StopProtectionGroupRepNoCg],
            Operation::PlannedFailover => &[
                Step::CheckProductionServersStopped,
                Step::ReverseReplicationPairs,
                Step::MoveNics,
                Step::StartProductionServers,
            ],
            Operation::Failover => {
                &[Step::StopProductionServers, Step::FailoverReplicationPairs, Step::MoveNics, Step::StartDrServers]
            }
            Operation::Delete => &[Step::DeleteProtectionGroup],
        }
    }

    fn on_step(&self, cx: &Cx<'_>, step: Step) -> ApiResult<()> {
        let members = || store::members::<ProtectedInstance>(cx.tx, cx.project, &self.server_group_id);
        match step {
            Step::StopProductionServers | Step::StartDrServers => {
                let station = load::<ServerGroup>(cx, &self.server_group_id)?.priority_station;
                for instance in members()? {
                    if step == Step::StopProductionServers {
                        set_power(cx, instance.production_server(station), PowerState::Stopped)?;
                    } else {
                        set_power(cx, instance.dr_server(station), PowerState::Running)?;
                    }
                }
            }
            Step::StartProductionServers => {
                let group: ServerGroup = load(cx, &self.server_group_id)?;
                let station = self.requested_station.unwrap_or(group.priority_station.flipped());
                for instance in members()? {
                    set_power(cx, instance.production_server(station), PowerState::Running)?;
                }
            }
            // The other steps are the cloud's work; nothing stored changes until the job ends.
            _ => {}
        }
        Ok(())
    }

    fn on_success(&self, cx: &Cx<'_>, _job: &mut Job) -> ApiResult<()> {
        if self.operation == Operation::Delete {
            return store::remove::<ServerGroup>(cx.tx, cx.project, &self.server_group_id);
        }
        let mut group: ServerGroup = load(cx, &self.server_group_id)?;
        let transition = self.operation.transition();
        group.status = transition.success.expect("only delete removes the group");
        group.priority_station = transition.station_after(group.priority_station, self.requested_station);
        if matches!(self.operation, Operation::Enable | Operation::Reprotect) {
            group.progress = 100;
        }
        group.updated_at = resource_time(cx.now);
        store::update(cx.tx, cx.project, &group)?;
        if let Some(members) = transition.members {
            let replicating = match self.operation {
                Operation::Disable | Operation::Failover => "active-stopped",
                _ => "active",
            };
            set_members(cx, &self.server_group_id, members.success, Some(group.priority_station), Some(replicating))?;
        }
        Ok(())
    }

    fn on_failure(&self, cx: &Cx<'_>, _code: ErrorCode) -> ApiResult<Option<(String, String)>> {
        let transition = self.operation.transition();
        let named = mark::<ServerGroup>(cx, &self.server_group_id, |group| {
            group.status = transition.failure;
            group.updated_at = resource_time(cx.now);
        })?;
        if let (Some(_), Some(members)) = (&named, transition.members) {
            set_members(cx, &self.server_group_id, members.failure, None, None)?;
        }
        Ok(named)
    }

    fn operation(&self) -> JobOperation {
        JobOperation::Group(self.operation)
    }

    fn resource(&self) -> (&'static str, &str) {
        (ServerGroup::KIND, &self.server_group_id)
    }
}
