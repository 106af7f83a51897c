//! Detaching a replication pair from a protected instance.

use serde::{Deserialize, Serialize};

use sdrs_core::member_rules::MemberOperation;
use sdrs_core::status::{InstanceStatus, ReplicationStatus};
use sdrs_core::wire::{Job, ProtectedInstance, Replication};
use sdrs_core::ErrorCode;

use crate::error::ApiResult;
use crate::jobs::kind::{load, mark, Cx, JobKind, JobOperation, Step};
use crate::store::{self, Resource};

const OPERATION: MemberOperation = MemberOperation::DetachPair;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Detach {
    pub protected_instance_id: String,
    pub replication_id: String,
    pub previous_instance: InstanceStatus,
    pub previous_replication: ReplicationStatus,
}

impl JobKind for Detach {
    fn steps(&self) -> &'static [Step] {
        &[Step::DetachReplicationPair]
    }

    fn on_success(&self, cx: &Cx<'_>, _job: &mut Job) -> ApiResult<()> {
        let mut instance: ProtectedInstance = load(cx, &self.protected_instance_id)?;
        let mut pair: Replication = load(cx, &self.replication_id)?;
        instance.attachment.retain(|a| a.replication != pair.id);
        pair.attachment.retain(|a| a.protected_instance != instance.id);
        instance.status = self.previous_instance;
        pair.status = self.previous_replication;
        store::update(cx.tx, cx.project, &instance)?;
        store::update(cx.tx, cx.project, &pair)
    }

    fn on_failure(&self, cx: &Cx<'_>, _code: ErrorCode) -> ApiResult<Option<(String, String)>> {
        mark::<Replication>(cx, &self.replication_id, |pair| pair.status = ReplicationStatus::ErrorDetaching)?;
        mark::<ProtectedInstance>(cx, &self.protected_instance_id, |instance| instance.status = self.previous_instance)
    }

    fn operation(&self) -> JobOperation {
        JobOperation::Member(OPERATION)
    }

    fn resource(&self) -> (&'static str, &str) {
        (ProtectedInstance::KIND, &self.protected_instance_id)
    }
}
