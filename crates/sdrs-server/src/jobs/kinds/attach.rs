//! Attaching a replication pair to a protected instance as a device.

use serde::{Deserialize, Serialize};

use sdrs_core::member_rules::MemberOperation;
use sdrs_core::status::{InstanceStatus, ReplicationStatus};
use sdrs_core::timefmt::resource_time;
use sdrs_core::wire::{InstanceAttachment, Job, ProtectedInstance, Replication, ReplicationAttachment};
use sdrs_core::ErrorCode;

use crate::error::ApiResult;
use crate::jobs::kind::{load, mark, Cx, JobKind, JobOperation, Step};
use crate::store::{self, Resource};

const OPERATION: MemberOperation = MemberOperation::AttachPair;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attach {
    pub protected_instance_id: String,
    pub replication_id: String,
    pub device: String,
    pub previous_instance: InstanceStatus,
    pub previous_replication: ReplicationStatus,
}

impl JobKind for Attach {
    fn steps(&self) -> &'static [Step] {
        &[Step::AttachReplicationPair]
    }

    fn on_success(&self, cx: &Cx<'_>, _job: &mut Job) -> ApiResult<()> {
        let mut instance: ProtectedInstance = load(cx, &self.protected_instance_id)?;
        let mut pair: Replication = load(cx, &self.replication_id)?;
        instance.attachment.push(InstanceAttachment { replication: pair.id.clone(), device: self.device.clone() });
        pair.attachment
            .push(ReplicationAttachment { device: self.device.clone(), protected_instance: instance.id.clone() });
        instance.status = self.previous_instance;
        pair.status = self.previous_replication;
        let stamp = resource_time(cx.now);
        instance.updated_at = stamp.clone();
        pair.updated_at = stamp;
        store::update(cx.tx, cx.project, &instance)?;
        store::update(cx.tx, cx.project, &pair)
    }

    fn on_failure(&self, cx: &Cx<'_>, _code: ErrorCode) -> ApiResult<Option<(String, String)>> {
        mark::<Replication>(cx, &self.replication_id, |pair| pair.status = ReplicationStatus::ErrorAttaching)?;
        mark::<ProtectedInstance>(cx, &self.protected_instance_id, |instance| instance.status = self.previous_instance)
    }

    fn operation(&self) -> JobOperation {
        JobOperation::Member(OPERATION)
    }

    fn resource(&self) -> (&'static str, &str) {
        (ProtectedInstance::KIND, &self.protected_instance_id)
    }
}
