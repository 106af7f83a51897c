//! Deleting a DR drill and its drill servers.

use serde::{Deserialize, Serialize};

use sdrs_core::member_rules::MemberOperation;
use sdrs_core::status::DrillStatus;
use sdrs_core::timefmt::resource_time;
use sdrs_core::wire::{DisasterRecoveryDrill, Job, NativeServer};
use sdrs_core::ErrorCode;

use crate::error::ApiResult;
use crate::jobs::kind::{adjust_counter, load, mark, Counter, Cx, JobKind, JobOperation, Step};
use crate::store::{self, Resource};

const OPERATION: MemberOperation = MemberOperation::DeleteDrill;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeleteDrill {
    pub drill_id: String,
}

impl JobKind for DeleteDrill {
    fn steps(&self) -> &'static [Step] {
        &[Step::DeleteDrillServers]
    }

    fn on_success(&self, cx: &Cx<'_>, _job: &mut Job) -> ApiResult<()> {
        let drill: DisasterRecoveryDrill = load(cx, &self.drill_id)?;
        for server in &drill.drill_servers {
            store::remove::<NativeServer>(cx.tx, cx.project, &server.drill_server_id)?;
        }
        store::remove::<DisasterRecoveryDrill>(cx.tx, cx.project, &self.drill_id)?;
        adjust_counter(cx, &drill.server_group_id, Counter::Drills, -1)
    }

    fn on_failure(&self, cx: &Cx<'_>, _code: ErrorCode) -> ApiResult<Option<(String, String)>> {
        mark::<DisasterRecoveryDrill>(cx, &self.drill_id, |drill| {
            drill.status = DrillStatus::ErrorDeleting;
            drill.updated_at = resource_time(cx.now);
        })
    }

    fn operation(&self) -> JobOperation {
        JobOperation::Member(OPERATION)
    }

    fn resource(&self) -> (&'static str, &str) {
        (DisasterRecoveryDrill::KIND, &self.drill_id)
    }
}
