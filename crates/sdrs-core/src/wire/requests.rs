//! Request bodies of the create, rename, attach, expand and delete calls (the action body lives in `action`).

use serde::{Deserialize, Serialize};

use super::Tag;

/// `{"<resource>": {"name": "..."}}` for the rename calls; wrapped by the per-resource types below.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NameUpdate {
    pub name: String,
}

/// Body of `POST /v1/{project_id}/server-groups`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateServerGroupRequest {
    pub server_group: CreateServerGroupParams,
}

/// The protection group to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateServerGroupParams {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub source_availability_zone: String,
    pub target_availability_zone: String,
    pub domain_id: String,
    pub source_vpc_id: String,
    /// Only `migration` exists; it is the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dr_type: Option<String>,
}

/// Body of `PUT /v1/{project_id}/server-groups/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateServerGroupNameRequest {
    pub server_group: NameUpdate,
}

/// Body of `POST /v1/{project_id}/protected-instances`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProtectedInstanceRequest {
    pub protected_instance: CreateProtectedInstanceParams,
}

/// The protected instance to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProtectedInstanceParams {
    pub server_group_id: String,
    pub server_id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_subnet_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_ip_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
    #[serde(default, rename = "flavorRef", skip_serializing_if = "Option::is_none")]
    pub flavor_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenancy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedicated_host_id: Option<String>,
}

/// Body of `PUT /v1/{project_id}/protected-instances/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProtectedInstanceNameRequest {
    pub protected_instance: NameUpdate,
}

/// Body of `DELETE /v1/{project_id}/protected-instances/{id}`; both flags default to false.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteProtectedInstanceRequest {
    #[serde(default)]
    pub delete_target_server: bool,
    #[serde(default)]
    pub delete_target_eip: bool,
}

/// Body of `POST .../protected-instances/{id}/attachreplication` (note the camelCase wrapper).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachReplicationRequest {
    #[serde(rename = "replicationAttachment")]
    pub replication_attachment: AttachReplicationParams,
}

/// The pair to attach and the device name it gets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachReplicationParams {
    pub replication_id: String,
    pub device: String,
}

/// Body of `POST /v1/{project_id}/replications`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateReplicationRequest {
    pub replication: CreateReplicationParams,
}

/// The replication pair to create from a production disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateReplicationParams {
    pub server_group_id: String,
    pub volume_id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
}

/// Body of `PUT /v1/{project_id}/replications/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateReplicationNameRequest {
    pub replication: NameUpdate,
}

/// Body of `POST /v1/{project_id}/replications/{id}/action`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpandReplicationRequest {
    #[serde(rename = "extend-replication")]
    pub extend_replication: ExpandReplicationParams,
}

/// The new size of both disks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpandReplicationParams {
    /// GB.
    pub new_size: u32,
}

/// Body of `DELETE /v1/{project_id}/replications/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteReplicationRequest {
    #[serde(default)]
    pub replication: DeleteReplicationParams,
}

/// Options of a replication pair deletion.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteReplicationParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_group_id: Option<String>,
    #[serde(default)]
    pub delete_target_volume: bool,
}

/// Body of `POST /v1/{project_id}/disaster-recovery-drills`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDrillRequest {
    pub disaster_recovery_drill: CreateDrillParams,
}

/// The DR drill to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDrillParams {
    pub server_group_id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill_vpc_id: Option<String>,
}

/// Body of `PUT /v1/{project_id}/disaster-recovery-drills/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDrillNameRequest {
    pub disaster_recovery_drill: NameUpdate,
}
