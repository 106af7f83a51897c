//! How the SDRS resources and the native inventory are stored: the `Resource` bindings (the inventory types are
//! the core's, in `sdrs_core::wire::admin`).

use sdrs_core::wire::{DisasterRecoveryDrill, NativeDisk, NativeServer, ProtectedInstance, Replication, ServerGroup};

use crate::error::ApiResult;
use crate::store::{self, ReadAhead, Resource, Store};

/// Reads groups of a project ahead (`Store::read_ahead`): the groups and their members in one flight, then the
/// servers of their protected instances in one. What checks or changes a group (a group operation's handler, a group
/// job's steps) then finds all of it among the writer's remembered reads; on SQLite this does nothing.
pub fn read_groups_ahead(tx: &dyn Store, project: &str, groups: &[&str]) -> ApiResult<()> {
    let members = |id| {
        [ProtectedInstance::KIND, Replication::KIND, DisasterRecoveryDrill::KIND]
            .map(|kind| ReadAhead::Members { kind, server_group_id: id })
    };
    let first: Vec<ReadAhead<'_>> = groups
        .iter()
        .flat_map(|&id| std::iter::once(ReadAhead::Resource { kind: ServerGroup::KIND, id }).chain(members(id)))
        .collect();
    if !tx.reads_ahead() || first.is_empty() {
        return Ok(());
    }
    tx.read_ahead(project, &first)?;
    let mut instances: Vec<ProtectedInstance> = Vec::new();
    for id in groups {
        instances.extend(store::members::<ProtectedInstance>(tx, project, id)?);
    }
    let servers: Vec<ReadAhead<'_>> = instances
        .iter()
        .flat_map(|instance| [&instance.source_server, &instance.target_server])
        .map(|id| ReadAhead::Resource { kind: NativeServer::KIND, id })
        .collect();
    tx.read_ahead(project, &servers)
}

impl Resource for ServerGroup {
    const KIND: &'static str = "server_group";
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn status_text(&self) -> &str {
        self.status.as_str()
    }
    fn az(&self) -> Option<&str> {
        Some(self.production_availability_zone())
    }
}

/// Members of a protection group: stored with their group's id.
macro_rules! member_resource {
    ($($type:ty => $kind:literal),+ $(,)?) => {$(
        impl Resource for $type {
            const KIND: &'static str = $kind;
            fn id(&self) -> &str {
                &self.id
            }
            fn name(&self) -> &str {
                &self.name
            }
            fn status_text(&self) -> &str {
                self.status.as_str()
            }
            fn group_id(&self) -> Option<&str> {
                Some(&self.server_group_id)
            }
        }
    )+};
}

member_resource!(ProtectedInstance => "protected_instance", Replication => "replication", DisasterRecoveryDrill => "drill");

impl Resource for NativeServer {
    const KIND: &'static str = "server";
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn status_text(&self) -> &str {
        self.power_state.as_str()
    }
    fn az(&self) -> Option<&str> {
        Some(&self.availability_zone)
    }
}

impl Resource for NativeDisk {
    const KIND: &'static str = "disk";
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn status_text(&self) -> &str {
        &self.status
    }
    fn az(&self) -> Option<&str> {
        Some(&self.availability_zone)
    }
}
