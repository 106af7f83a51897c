//! The read side of the compute (ECS) and image (IMS) services that an SDRS client needs about a protected server,
//! with the services' own paths' bodies and field names: ECS ShowServer (`GET /v1/{project_id}/cloudservers/{id}`,
//! `{"server": …}`) and ListServersDetails (`…/cloudservers/detail`, `{"count", "servers"}`), IMS GlanceShowImage
//! (`GET /v2/images/{id}`, the image itself) and ListImages (`GET /v2/cloudimages`, `{"images"}`).
//!
//! Only the fields sdrs-server emits are declared, and of those only the ones a client of ours reads are read back
//! (the rest are `skip_deserializing`: written for the official SDKs, they would cost every wasm module their
//! decoding code); everything else a real service sends is ignored when read, as the official SDKs ignore what they
//! do not model.

use serde::{Deserialize, Serialize};

/// An ECS server (`ServerDetail` in the official SDK).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EcsServer {
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// `ACTIVE`, `SHUTOFF`, `BUILD`, `REBOOT`, `ERROR`, `DELETED`, … (ECS's own list).
    #[serde(default)]
    pub status: String,
    /// The key pair the server was created with; `null` for a password login.
    #[serde(default)]
    pub key_name: Option<String>,
    #[serde(default)]
    pub image: Option<EcsImageRef>,
    #[serde(default, skip_deserializing)]
    pub flavor: Option<EcsFlavor>,
    #[serde(default)]
    pub metadata: EcsMetadata,
    #[serde(rename = "OS-EXT-AZ:availability_zone", default)]
    pub availability_zone: Option<String>,
    /// `active`, `stopped`, `deleted`, …
    #[serde(rename = "OS-EXT-STS:vm_state", default, skip_deserializing)]
    pub vm_state: Option<String>,
    /// Nova's power state: 0 no state, 1 running, 4 shut down.
    #[serde(rename = "OS-EXT-STS:power_state", default, skip_deserializing)]
    pub power_state: Option<i32>,
    #[serde(default, skip_deserializing)]
    pub created: Option<String>,
    #[serde(default, skip_deserializing)]
    pub updated: Option<String>,
    #[serde(default, skip_deserializing)]
    pub tenant_id: Option<String>,
    #[serde(default, skip_deserializing)]
    pub description: Option<String>,
    #[serde(default, skip_deserializing)]
    pub tags: Vec<String>,
}

/// ECS's `metadata` of a server: the keys ECS sets on every server (a real one may have more, which are ignored).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EcsMetadata {
    /// `Linux` or `Windows`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_type: Option<String>,
    /// The name of the image the server was created from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_name: Option<String>,
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub os_bit: Option<String>,
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub charging_mode: Option<String>,
    #[serde(rename = "metering.image_id", default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub metering_image_id: Option<String>,
    #[serde(rename = "metering.imagetype", default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub metering_imagetype: Option<String>,
}

/// `server.image`: the image the server was created from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EcsImageRef {
    pub id: String,
}

/// `server.flavor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EcsFlavor {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// `{"server": {...}}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EcsServerResponse {
    pub server: EcsServer,
}

/// `{"count": n, "servers": [...]}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EcsServerList {
    pub count: u64,
    pub servers: Vec<EcsServer>,
}

/// An IMS image (`ImageInfo` and `GlanceShowImageResponse` in the official SDK), with IMS's own `__` properties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ImsImage {
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// `active`, `queued`, `saving`, `deleted`, `killed`.
    #[serde(default, skip_deserializing)]
    pub status: Option<String>,
    /// `public` or `private`.
    #[serde(default)]
    pub visibility: Option<String>,
    /// `gold` (public), `private`, `shared` or `market`.
    #[serde(rename = "__imagetype", default)]
    pub imagetype: Option<String>,
    /// `Linux`, `Windows` or `Other`.
    #[serde(rename = "__os_type", default)]
    pub os_type: Option<String>,
    /// The platform: `Windows`, `Ubuntu`, `CentOS`, `EulerOS`, `CoreOS`, `Debian`, `SUSE`, `Other`, …
    #[serde(rename = "__platform", default)]
    pub platform: Option<String>,
    #[serde(rename = "__os_version", default, skip_deserializing)]
    pub os_version: Option<String>,
    #[serde(rename = "__os_bit", default, skip_deserializing)]
    pub os_bit: Option<String>,
    #[serde(default, skip_deserializing)]
    pub disk_format: Option<String>,
    #[serde(default, skip_deserializing)]
    pub min_disk: Option<u32>,
    #[serde(default, skip_deserializing)]
    pub created_at: Option<String>,
    #[serde(default, skip_deserializing)]
    pub updated_at: Option<String>,
}

/// `{"images": [...]}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ImsImageList {
    pub images: Vec<ImsImage>,
}
