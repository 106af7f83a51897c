//! What a job kind is (`JobKind`), the steps jobs are made of (`Step`), the registry of kinds (`AnyJobKind`), and the
//! helpers the kinds share to change stored resources.
//!
//! A new job kind is one module under `kinds/` implementing `JobKind` and one line in `job_kinds!` below.

use serde::{Deserialize, Serialize};

use sdrs_core::snapshot::PowerState;
pub use sdrs_core::status::Step;
use sdrs_core::status::{GroupStatus, InstanceStatus, PriorityStation, ReplicationStatus};
use sdrs_core::timefmt::{resource_time, UnixMillis};
use sdrs_core::wire::{Job, NativeServer, ProtectedInstance, Replication, ServerGroup};
use sdrs_core::ErrorCode;

use super::kinds;
use crate::error::{ApiError, ApiResult};
use crate::store::{self, Resource, Store};

/// Where a job's effects apply: its transaction, its project, the time of the step.
pub struct Cx<'a> {
    pub tx: &'a dyn Store,
    pub project: &'a str,
    pub now: UnixMillis,
}

/// What a job carries out: a group operation of the state machine, or an operation on a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOperation {
    Group(sdrs_core::state_machine::Operation),
    Member(sdrs_core::member_rules::MemberOperation),
}

/// One kind of job: its steps, what each does, and what its success and its failure leave behind.
pub trait JobKind {
    /// The named steps, in order (reported as sub-jobs).
    fn steps(&self) -> &'static [Step];

    /// Applies one finished step; `step` is always one of `steps()`. Most steps change nothing here (the cloud
    /// service does the work): only those with a stored effect need a case.
    fn on_step(&self, cx: &Cx<'_>, step: Step) -> ApiResult<()> {
        let _ = (cx, step);
        Ok(())
    }

    /// Applies the job's success: final statuses, removals, what the job reports.
    fn on_success(&self, cx: &Cx<'_>, job: &mut Job) -> ApiResult<()>;

    /// Applies the job's failure to the resources that still exist; returns the id and name of the one the task
    /// centre reports, if it still exists.
    fn on_failure(&self, cx: &Cx<'_>, code: ErrorCode) -> ApiResult<Option<(String, String)>>;

    /// The operation the job carries out, which decides its failure code and task-centre labels in the core.
    fn operation(&self) -> JobOperation;

    /// The code a failure reports by default.
    fn failure_code(&self) -> ErrorCode {
        match self.operation() {
            JobOperation::Group(operation) => operation.transition().failure_code,
            JobOperation::Member(operation) => operation.failure_code(),
        }
    }

    /// The task centre's `failure_status` and `resource_type`.
    fn task_centre_labels(&self) -> (&'static str, &'static str) {
        match self.operation() {
            JobOperation::Group(operation) => (operation.transition().failure_status, "server_groups"),
            JobOperation::Member(operation) => operation.task_centre_labels(),
        }
    }

    /// The kind and id of the resource the job reports on.
    fn resource(&self) -> (&'static str, &str);
}

/// Declares the registry: the stored form of a job's work (`{"type": "<snake_case variant>", ...fields}`) and the
/// dispatch to its kind.
macro_rules! job_kinds {
    ($($variant:ident($($path:ident)::+)),+ $(,)?) => {
        /// The work of a job and the ids it needs, as stored in its plan.
        #[derive(Debug, Clone, Serialize, Deserialize)]
        #[serde(tag = "type", rename_all = "snake_case")]
        pub enum AnyJobKind {
            $($variant($($path)::+),)+
        }

        impl AnyJobKind {
            /// The kind that knows what this job does.
            pub fn job(&self) -> &dyn JobKind {
                match self {
                    $(AnyJobKind::$variant(kind) => kind,)+
                }
            }
        }

        $(impl From<$($path)::+> for AnyJobKind {
            fn from(kind: $($path)::+) -> AnyJobKind {
                AnyJobKind::$variant(kind)
            }
        })+
    };
}

job_kinds! {
    Group(kinds::group::GroupJob),
    CreateInstance(kinds::create_instance::CreateInstance),
    DeleteInstance(kinds::delete_instance::DeleteInstance),
    CreateReplication(kinds::create_replication::CreateReplication),
    DeleteReplication(kinds::delete_replication::DeleteReplication),
    ExpandReplication(kinds::expand_replication::ExpandReplication),
    Attach(kinds::attach::Attach),
    Detach(kinds::detach::Detach),
    CreateDrill(kinds::create_drill::CreateDrill),
    DeleteDrill(kinds::delete_drill::DeleteDrill),
}

impl AnyJobKind {
    /// The group the job belongs to (for fault injection and the task centre).
    pub fn server_group_id(&self, tx: &dyn Store, project_id: &str) -> ApiResult<Option<String>> {
        let (kind, id) = self.job().resource();
        if kind == ServerGroup::KIND {
            return Ok(Some(id.to_owned()));
        }
        tx.resource_group(project_id, kind, id)
    }
}

/// Reads a resource a job runs on; one that is gone is the step's error (the job fails, nothing else waits).
pub fn load<R: Resource>(cx: &Cx<'_>, id: &str) -> ApiResult<R> {
    store::get::<R>(cx.tx, cx.project, id)?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("{} {id} vanished while a job ran on it", R::KIND)))
}

/// Changes a resource of the project in place if it still exists; returns its id and name, for the task centre.
pub fn mark<R: Resource>(cx: &Cx<'_>, id: &str, change: impl FnOnce(&mut R)) -> ApiResult<Option<(String, String)>> {
    let Some(mut resource) = store::get::<R>(cx.tx, cx.project, id)? else { return Ok(None) };
    change(&mut resource);
    store::update(cx.tx, cx.project, &resource)?;
    Ok(Some((resource.id().to_owned(), resource.name().to_owned())))
}

/// The status a new member gets from its group's status: protected groups protect new members at once.
pub fn member_status_on_create(group: GroupStatus) -> InstanceStatus {
    if group == GroupStatus::Protected {
        InstanceStatus::Protected
    } else {
        InstanceStatus::Available
    }
}

/// The replication pair status named like a member status (the two lists share the group-operation statuses).
pub fn replication_status(status: InstanceStatus) -> ReplicationStatus {
    status.as_str().parse().expect("member statuses exist for replication pairs")
}

/// Sets every instance and pair of a group to `status` (and the production site and replication state, if given).
pub fn set_members(
    cx: &Cx<'_>,
    group_id: &str,
    status: InstanceStatus,
    station: Option<PriorityStation>,
    replication_state: Option<&str>,
) -> ApiResult<()> {
    // Both lists are read before anything is written: a write makes the writer read again what it had read.
    let (instances, pairs) = (
        store::members::<ProtectedInstance>(cx.tx, cx.project, group_id)?,
        store::members::<Replication>(cx.tx, cx.project, group_id)?,
    );
    for mut instance in instances {
        instance.status = status;
        instance.priority_station = station.unwrap_or(instance.priority_station);
        instance.updated_at = resource_time(cx.now);
        store::update(cx.tx, cx.project, &instance)?;
    }
    for mut pair in pairs {
        pair.status = replication_status(status);
        pair.priority_station = station.unwrap_or(pair.priority_station);
        if let Some(state) = replication_state {
            pair.replication_status = Some(state.to_owned());
        }
        pair.updated_at = resource_time(cx.now);
        store::update(cx.tx, cx.project, &pair)?;
    }
    Ok(())
}

/// Powers a server on or off, unless it was deleted natively.
pub fn set_power(cx: &Cx<'_>, server_id: &str, power: PowerState) -> ApiResult<()> {
    if let Some(mut server) = store::get::<NativeServer>(cx.tx, cx.project, server_id)? {
        if server.power_state != PowerState::Deleted {
            server.power_state = power;
            store::update(cx.tx, cx.project, &server)?;
        }
    }
    Ok(())
}

/// A group's member counters.
#[derive(Debug, Clone, Copy)]
pub enum Counter {
    Instances,
    Replications,
    Drills,
}

/// Moves one of a group's member counters by `delta`.
pub fn adjust_counter(cx: &Cx<'_>, group_id: &str, counter: Counter, delta: i32) -> ApiResult<()> {
    if let Some(mut group) = store::get::<ServerGroup>(cx.tx, cx.project, group_id)? {
        let field = match counter {
            Counter::Instances => &mut group.protected_instance_num,
            Counter::Replications => &mut group.replication_num,
            Counter::Drills => &mut group.disaster_recovery_drill_num,
        };
        *field = field.saturating_add_signed(delta);
        store::update(cx.tx, cx.project, &group)?;
    }
    Ok(())
}
