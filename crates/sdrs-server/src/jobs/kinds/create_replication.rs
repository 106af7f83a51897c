//! Creating a replication pair: the DR disk is created, then the pair starts replicating if the group is protected.

use serde::{Deserialize, Serialize};

use sdrs_core::member_rules::MemberOperation;
use sdrs_core::status::ReplicationStatus;
use sdrs_core::timefmt::resource_time;
use sdrs_core::wire::{Job, NativeDisk, Replication, ServerGroup};
use sdrs_core::ErrorCode;

use crate::error::ApiResult;
use crate::jobs::kind::{load, mark, member_status_on_create, replication_status, Cx, JobKind, JobOperation, Step};
use crate::store::{self, Resource};

const OPERATION: MemberOperation = MemberOperation::CreatePair;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreateReplication {
    pub replication_id: String,
    pub dr_disk_id: String,
}

impl JobKind for CreateReplication {
    fn steps(&self) -> &'static [Step] {
        &[Step::CreateDrDisk, Step::CreateReplicationPair]
    }

    fn on_step(&self, cx: &Cx<'_>, step: Step) -> ApiResult<()> {
        if step != Step::CreateDrDisk {
            return Ok(());
        }
        let pair: Replication = load(cx, &self.replication_id)?;
        let group: ServerGroup = load(cx, &pair.server_group_id)?;
        let (production_disk, _) = pair.volume_pair().unwrap_or((pair.volume_ids.as_str(), ""));
        let disk: NativeDisk = load(cx, production_disk)?;
        if store::get::<NativeDisk>(cx.tx, cx.project, &self.dr_disk_id)?.is_none() {
            let dr = NativeDisk {
                id: self.dr_disk_id.clone(),
                availability_zone: group.dr_availability_zone().to_owned(),
                status: "available".to_owned(),
                server_id: None,
                ..disk
            };
            store::insert(cx.tx, cx.project, &dr)?;
        }
        Ok(())
    }

    fn on_success(&self, cx: &Cx<'_>, _job: &mut Job) -> ApiResult<()> {
        let mut pair: Replication = load(cx, &self.replication_id)?;
        let group: ServerGroup = load(cx, &pair.server_group_id)?;
        pair.status = replication_status(member_status_on_create(group.status));
        pair.replication_status =
            Some(if pair.status == ReplicationStatus::Protected { "active" } else { "inactive" }.to_owned());
        pair.progress = 100;
        pair.updated_at = resource_time(cx.now);
        store::update(cx.tx, cx.project, &pair)
    }

    fn on_failure(&self, cx: &Cx<'_>, code: ErrorCode) -> ApiResult<Option<(String, String)>> {
        mark::<Replication>(cx, &self.replication_id, |pair| {
            pair.status = ReplicationStatus::Error;
            pair.failure_detail = Some(code.as_str().to_owned());
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
