//! Protecting a server: the DR server is created at the DR site, then NICs attached.

use serde::{Deserialize, Serialize};

use sdrs_core::member_rules::MemberOperation;
use sdrs_core::snapshot::PowerState;
use sdrs_core::status::InstanceStatus;
use sdrs_core::timefmt::resource_time;
use sdrs_core::wire::{Job, NativeServer, ProtectedInstance, ServerGroup};
use sdrs_core::ErrorCode;

use crate::error::ApiResult;
use crate::jobs::kind::{load, mark, member_status_on_create, Cx, JobKind, JobOperation, Step};
use crate::store::{self, Resource};

const OPERATION: MemberOperation = MemberOperation::ProtectServer;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreateInstance {
    pub protected_instance_id: String,
}

impl JobKind for CreateInstance {
    fn steps(&self) -> &'static [Step] {
        &[Step::CreateDrServer, Step::AttachDrNics]
    }

    fn on_step(&self, cx: &Cx<'_>, step: Step) -> ApiResult<()> {
        if step != Step::CreateDrServer {
            return Ok(());
        }
        let instance: ProtectedInstance = load(cx, &self.protected_instance_id)?;
        let group: ServerGroup = load(cx, &instance.server_group_id)?;
        let station = group.priority_station;
        let source: NativeServer = load(cx, instance.production_server(station))?;
        let dr_id = instance.dr_server(station);
        if store::get::<NativeServer>(cx.tx, cx.project, dr_id)?.is_none() {
            let dr = NativeServer {
                id: dr_id.to_owned(),
                availability_zone: group.dr_availability_zone().to_owned(),
                power_state: PowerState::Stopped,
                protected_instance_id: Some(instance.id.clone()),
                ..source
            };
            store::insert(cx.tx, cx.project, &dr)?;
        }
        Ok(())
    }

    fn on_success(&self, cx: &Cx<'_>, job: &mut Job) -> ApiResult<()> {
        let mut instance: ProtectedInstance = load(cx, &self.protected_instance_id)?;
        let group: ServerGroup = load(cx, &instance.server_group_id)?;
        instance.status = member_status_on_create(group.status);
        instance.progress = 100;
        instance.updated_at = resource_time(cx.now);
        store::update(cx.tx, cx.project, &instance)?;
        job.entities.native_server_id = Some(instance.dr_server(group.priority_station).to_owned());
        Ok(())
    }

    fn on_failure(&self, cx: &Cx<'_>, _code: ErrorCode) -> ApiResult<Option<(String, String)>> {
        mark::<ProtectedInstance>(cx, &self.protected_instance_id, |instance| {
            instance.status = InstanceStatus::Error;
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
