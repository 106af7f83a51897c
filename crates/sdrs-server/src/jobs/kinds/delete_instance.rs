//! Deleting a protected instance: its pairs let go of it, its DR server is deleted if asked.

use serde::{Deserialize, Serialize};

use sdrs_core::member_rules::MemberOperation;
use sdrs_core::status::InstanceStatus;
use sdrs_core::timefmt::resource_time;
use sdrs_core::wire::{Job, NativeServer, ProtectedInstance, Replication, ServerGroup};
use sdrs_core::ErrorCode;

use crate::error::ApiResult;
use crate::jobs::kind::{adjust_counter, load, mark, Counter, Cx, JobKind, JobOperation, Step};
use crate::store::{self, Resource};

const OPERATION: MemberOperation = MemberOperation::DeleteInstance;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeleteInstance {
    pub protected_instance_id: String,
    pub delete_target_server: bool,
}

impl JobKind for DeleteInstance {
    fn steps(&self) -> &'static [Step] {
        &[Step::DeleteProtectedInstance]
    }

    fn on_success(&self, cx: &Cx<'_>, _job: &mut Job) -> ApiResult<()> {
        let instance: ProtectedInstance = load(cx, &self.protected_instance_id)?;
        let group: ServerGroup = load(cx, &instance.server_group_id)?;
        for mut pair in store::members::<Replication>(cx.tx, cx.project, &instance.server_group_id)? {
            if pair.attachment.iter().any(|a| a.protected_instance == instance.id) {
                pair.attachment.retain(|a| a.protected_instance != instance.id);
                store::update(cx.tx, cx.project, &pair)?;
            }
        }
        if self.delete_target_server {
            store::remove::<NativeServer>(cx.tx, cx.project, instance.dr_server(group.priority_station))?;
        }
        store::remove::<ProtectedInstance>(cx.tx, cx.project, &instance.id)?;
        adjust_counter(cx, &instance.server_group_id, Counter::Instances, -1)
    }

    fn on_failure(&self, cx: &Cx<'_>, _code: ErrorCode) -> ApiResult<Option<(String, String)>> {
        mark::<ProtectedInstance>(cx, &self.protected_instance_id, |instance| {
            instance.status = InstanceStatus::ErrorDeleting;
            instance.updated_at = resource_time(cx.now);
        })
    }

    fn operation(&self) -> JobOperation {
        JobOperation::Member(OPERATION)
    }

    fn resource(&self) -> (&'static str, &str) {
        (ProtectedInstance::KIND, &self.protected_instance_id)
    }
}
