//! Expanding a replication pair's disks.

use serde::{Deserialize, Serialize};

use sdrs_core::member_rules::MemberOperation;
use sdrs_core::status::ReplicationStatus;
use sdrs_core::timefmt::resource_time;
use sdrs_core::wire::{Job, NativeDisk, Replication};
use sdrs_core::ErrorCode;

use crate::error::ApiResult;
use crate::jobs::kind::{load, mark, Cx, JobKind, JobOperation, Step};
use crate::store::{self, Resource};

const OPERATION: MemberOperation = MemberOperation::ExpandPair;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExpandReplication {
    pub replication_id: String,
    pub new_size: u32,
    /// The status the pair returns to (`member_rules::status_after_expand`).
    pub previous_status: ReplicationStatus,
}

impl JobKind for ExpandReplication {
    fn steps(&self) -> &'static [Step] {
        &[Step::ExpandDisks]
    }

    fn on_success(&self, cx: &Cx<'_>, _job: &mut Job) -> ApiResult<()> {
        let mut pair: Replication = load(cx, &self.replication_id)?;
        pair.record_metadata.volume_size = self.new_size;
        pair.status = self.previous_status;
        pair.updated_at = resource_time(cx.now);
        if let Some((a, b)) = pair.volume_pair() {
            for disk_id in [a.to_owned(), b.to_owned()] {
                if let Some(mut disk) = store::get::<NativeDisk>(cx.tx, cx.project, &disk_id)? {
                    disk.size_gb = self.new_size;
                    store::update(cx.tx, cx.project, &disk)?;
                }
            }
        }
        store::update(cx.tx, cx.project, &pair)
    }

    fn on_failure(&self, cx: &Cx<'_>, _code: ErrorCode) -> ApiResult<Option<(String, String)>> {
        mark::<Replication>(cx, &self.replication_id, |pair| {
            pair.status = ReplicationStatus::ErrorExtending;
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
