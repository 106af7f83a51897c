//! How the SDRS resources and the native inventory are stored: the `Resource` bindings and the inventory types.

use serde::{Deserialize, Serialize};

use sdrs_core::login::{LoginMethod, OsProfile};
use sdrs_core::snapshot::{PowerState, ServerFacts};
use sdrs_core::wire::{DisasterRecoveryDrill, ProtectedInstance, Replication, ServerGroup};

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

/// A server of the compute service (ECS), which SDRS protects but does not own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NativeServer {
    pub id: String,
    pub name: String,
    pub availability_zone: String,
    pub vpc_id: String,
    pub os: OsProfile,
    pub login: LoginMethod,
    pub power_state: PowerState,
    /// Whether the login password was changed after the server was created (matters to Linux logins).
    #[serde(default)]
    pub password_changed: bool,
    /// Set on DR servers and drill servers that SDRS created: the protected instance they belong to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protected_instance_id: Option<String>,
}

impl NativeServer {
    /// What a pre-check needs to know about it.
    pub fn facts(&self) -> ServerFacts {
        ServerFacts { id: self.id.clone(), name: Some(self.name.clone()), power_state: self.power_state }
    }
}

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

/// A disk of the block-storage service (EVS).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NativeDisk {
    pub id: String,
    pub name: String,
    pub size_gb: u32,
    pub volume_type: String,
    pub availability_zone: String,
    /// `available` or `in-use`.
    pub status: String,
    #[serde(default)]
    pub bootable: bool,
    #[serde(default)]
    pub multiattach: bool,
    /// The server it is attached to.
    #[serde(default)]
    pub server_id: Option<String>,
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
