//! How the SDRS resources and the native inventory are stored: the `Resource` bindings (the inventory types are
//! the core's, in `sdrs_core::wire::admin`).

use sdrs_core::wire::{DisasterRecoveryDrill, NativeDisk, NativeServer, ProtectedInstance, Replication, ServerGroup};

use crate::store::Resource;

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
