//! Creating a DR drill: a drill server per protected instance, from its DR server, in the drill VPC.

use serde::{Deserialize, Serialize};

use sdrs_core::member_rules::MemberOperation;
use sdrs_core::snapshot::PowerState;
use sdrs_core::status::DrillStatus;
use sdrs_core::timefmt::resource_time;
use sdrs_core::wire::{DisasterRecoveryDrill, DrillServer, Job, NativeServer, ProtectedInstance, ServerGroup};
use sdrs_core::ErrorCode;

use crate::error::ApiResult;
use crate::jobs::kind::{load, mark, Cx, JobKind, JobOperation, Step};
use crate::store::{self, Resource};

const OPERATION: MemberOperation = MemberOperation::CreateDrill;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreateDrill {
    pub drill_id: String,
}

impl JobKind for CreateDrill {
    fn steps(&self) -> &'static [Step] {
        &[Step::CreateDrillServers]
    }

    fn on_step(&self, cx: &Cx<'_>, step: Step) -> ApiResult<()> {
        if step != Step::CreateDrillServers {
            return Ok(());
        }
        let mut drill: DisasterRecoveryDrill = load(cx, &self.drill_id)?;
        let group: ServerGroup = load(cx, &drill.server_group_id)?;
        drill.drill_servers.clear();
        for instance in store::members::<ProtectedInstance>(cx.tx, cx.project, &drill.server_group_id)? {
            let dr_id = instance.dr_server(group.priority_station);
            let Some(dr) = store::get::<NativeServer>(cx.tx, cx.project, dr_id)? else { continue };
            let drill_server = NativeServer {
                id: uuid::Uuid::new_v4().to_string(),
                name: format!("{}-drill", dr.name),
                vpc_id: drill.drill_vpc_id.clone(),
                power_state: PowerState::Running,
                protected_instance_id: Some(instance.id.clone()),
                ..dr
            };
            store::insert(cx.tx, cx.project, &drill_server)?;
            drill
                .drill_servers
                .push(DrillServer { protected_instance: instance.id.clone(), drill_server_id: drill_server.id });
        }
        drill.updated_at = resource_time(cx.now);
        store::update(cx.tx, cx.project, &drill)
    }

    fn on_success(&self, cx: &Cx<'_>, job: &mut Job) -> ApiResult<()> {
        let mut drill: DisasterRecoveryDrill = load(cx, &self.drill_id)?;
        drill.status = DrillStatus::Available;
        drill.updated_at = resource_time(cx.now);
        store::update(cx.tx, cx.project, &drill)?;
        job.entities.disaster_recovery_drill_id = Some(drill.id.clone());
        Ok(())
    }

    fn on_failure(&self, cx: &Cx<'_>, _code: ErrorCode) -> ApiResult<Option<(String, String)>> {
        mark::<DisasterRecoveryDrill>(cx, &self.drill_id, |drill| {
            drill.status = DrillStatus::Error;
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
