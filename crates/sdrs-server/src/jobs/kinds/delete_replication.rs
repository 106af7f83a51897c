//! Deleting a replication pair, and its DR disk if asked.

use serde::{Deserialize, Serialize};

use sdrs_core::member_rules::MemberOperation;
use sdrs_core::status::{PriorityStation, ReplicationStatus};
use sdrs_core::timefmt::resource_time;
use sdrs_core::wire::{Job, NativeDisk, Replication, ServerGroup};
use sdrs_core::ErrorCode;

use crate::error::ApiResult;
use crate::jobs::kind::{adjust_counter, load, mark, Counter, Cx, JobKind, JobOperation, Step};
use crate::store::{self, Resource};

const OPERATION: MemberOperation = MemberOperation::DeletePair;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeleteReplication {
    pub replication_id: String,
    pub delete_target_volume: bool,
}

impl JobKind for DeleteReplication {
    fn steps(&self) -> &'static [Step] {
        &[Step::DeleteReplicationPair]
    }

    fn on_success(&self, cx: &Cx<'_>, _job: &mut Job) -> ApiResult<()> {
        let pair: Replication = load(cx, &self.replication_id)?;
        if self.delete_target_volume {
            if let Some((production, dr)) = pair.volume_pair() {
                let group: ServerGroup = load(cx, &pair.server_group_id)?;
                let dr_disk = if group.priority_station == PriorityStation::Source { dr } else { production };
                store::remove::<NativeDisk>(cx.tx, cx.project, dr_disk)?;
            }
        }
        store::remove::<Replication>(cx.tx, cx.project, &pair.id)?;
        adjust_counter(cx, &pair.server_group_id, Counter::Replications, -1)
    }

    fn on_failure(&self, cx: &Cx<'_>, _code: ErrorCode) -> ApiResult<Option<(String, String)>> {
        mark::<Replication>(cx, &self.replication_id, |pair| {
            pair.status = ReplicationStatus::ErrorDeleting;
            pair.updated_at = resource_time(cx.now);
        })
    }

    fn operation(&self) -> JobOperation {
        JobOperation::Member(OPERATION)
    }

    fn resource(&self) -> (&'static str, &str) {
        (Replication::KIND, &self.replication_id)
    }
}
