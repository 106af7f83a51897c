//! The OpenAPI 3 document of the implemented endpoints, served at `/openapi.json`.

use axum::Json;
use serde_json::{json, Map, Value};

/// Method, path, operation id, summary, whether it answers with a job id.
pub const OPERATIONS: &[(&str, &str, &str, &str)] = &[
    ("get", "/", "ListApiVersions", "API versions"),
    ("get", "/v1", "ShowSpecifiedApiVersion", "The v1 API version"),
    ("get", "/v1/{project_id}/server-groups", "ListProtectionGroups", "List protection groups"),
    ("post", "/v1/{project_id}/server-groups", "CreateProtectionGroup", "Create a protection group (job)"),
    ("get", "/v1/{project_id}/server-groups/{server_group_id}", "ShowProtectionGroup", "Show a protection group"),
    (
        "put",
        "/v1/{project_id}/server-groups/{server_group_id}",
        "UpdateProtectionGroupName",
        "Rename a protection group",
    ),
    (
        "delete",
        "/v1/{project_id}/server-groups/{server_group_id}",
        "DeleteProtectionGroup",
        "Delete a protection group (job)",
    ),
    (
        "post",
        "/v1/{project_id}/server-groups/{server_group_id}/action",
        "ProtectionGroupAction",
        "Enable or re-protect, disable, planned failover or failover (job)",
    ),
    ("get", "/v1/{project_id}/protected-instances", "ListProtectedInstances", "List protected instances"),
    ("post", "/v1/{project_id}/protected-instances", "CreateProtectedInstance", "Create a protected instance (job)"),
    (
        "get",
        "/v1/{project_id}/protected-instances/{protected_instance_id}",
        "ShowProtectedInstance",
        "Show a protected instance",
    ),
    (
        "put",
        "/v1/{project_id}/protected-instances/{protected_instance_id}",
        "UpdateProtectedInstanceName",
        "Rename a protected instance",
    ),
    (
        "delete",
        "/v1/{project_id}/protected-instances/{protected_instance_id}",
        "DeleteProtectedInstance",
        "Delete a protected instance (job)",
    ),
    (
        "post",
        "/v1/{project_id}/protected-instances/{protected_instance_id}/attachreplication",
        "AttachProtectedInstanceReplication",
        "Attach a replication pair (job)",
    ),
    (
        "delete",
        "/v1/{project_id}/protected-instances/{protected_instance_id}/detachreplication/{replication_id}",
        "DetachProtectedInstanceReplication",
        "Detach a replication pair (job)",
    ),
    ("get", "/v1/{project_id}/replications", "ListReplications", "List replication pairs"),
    ("post", "/v1/{project_id}/replications", "CreateReplication", "Create a replication pair (job)"),
    ("get", "/v1/{project_id}/replications/{replication_id}", "ShowReplication", "Show a replication pair"),
    ("put", "/v1/{project_id}/replications/{replication_id}", "UpdateReplicationName", "Rename a replication pair"),
    (
        "delete",
        "/v1/{project_id}/replications/{replication_id}",
        "DeleteReplication",
        "Delete a replication pair (job)",
    ),
    (
        "post",
        "/v1/{project_id}/replications/{replication_id}/action",
        "ExpandReplication",
        "Expand a replication pair (job)",
    ),
    ("get", "/v1/{project_id}/disaster-recovery-drills", "ListDisasterRecoveryDrills", "List DR drills"),
    ("post", "/v1/{project_id}/disaster-recovery-drills", "CreateDisasterRecoveryDrill", "Create a DR drill (job)"),
    (
        "get",
        "/v1/{project_id}/disaster-recovery-drills/{disaster_recovery_drill_id}",
        "ShowDisasterRecoveryDrill",
        "Show a DR drill",
    ),
    (
        "put",
        "/v1/{project_id}/disaster-recovery-drills/{disaster_recovery_drill_id}",
        "UpdateDisasterRecoveryDrillName",
        "Rename a DR drill",
    ),
    (
        "delete",
        "/v1/{project_id}/disaster-recovery-drills/{disaster_recovery_drill_id}",
        "DeleteDisasterRecoveryDrill",
        "Delete a DR drill (job)",
    ),
    ("get", "/v1/{project_id}/jobs/{job_id}", "ShowJobStatus", "Show a job"),
    ("get", "/v1/{project_id}/active-domains", "ListActiveActiveDomains", "List active-active domains"),
    ("get", "/v1/{project_id}/sdrs/quotas", "ShowQuota", "Show quotas"),
    ("get", "/v1/{project_id}/task-center/failure-jobs", "ListFailureJobs", "List failed jobs"),
    (
        "delete",
        "/v1/{project_id}/task-center/failure-jobs/batch",
        "DeleteAllServerGroupFailureJobs",
        "Delete all failed jobs",
    ),
    ("delete", "/v1/{project_id}/task-center/failure-jobs/{failure_job_id}", "DeleteFailureJob", "Delete a failed job"),
    (
        "delete",
        "/v1/{project_id}/task-center/{server_group_id}/failure-jobs/batch",
        "DeleteServerGroupFailureJobs",
        "Delete a group's failed jobs",
    ),
    ("get", "/admin/v1/{project_id}/servers", "AdminListServers", "Inventory: list servers"),
    ("post", "/admin/v1/{project_id}/servers", "AdminCreateServer", "Inventory: create a server"),
    ("get", "/admin/v1/{project_id}/servers/{server_id}", "AdminShowServer", "Inventory: show a server"),
    (
        "patch",
        "/admin/v1/{project_id}/servers/{server_id}",
        "AdminUpdateServer",
        "Inventory: change a server's power state, name or password flag",
    ),
    (
        "delete",
        "/admin/v1/{project_id}/servers/{server_id}",
        "AdminDeleteServer",
        "Inventory: delete a server through the native interface",
    ),
    ("get", "/admin/v1/{project_id}/disks", "AdminListDisks", "Inventory: list disks"),
    ("post", "/admin/v1/{project_id}/disks", "AdminCreateDisk", "Inventory: create a disk"),
    ("delete", "/admin/v1/{project_id}/disks/{disk_id}", "AdminDeleteDisk", "Inventory: delete a disk natively"),
    (
        "patch",
        "/admin/v1/{project_id}/replications/{replication_id}",
        "AdminSetFaultLevel",
        "Set a replication pair's fault_level",
    ),
    ("get", "/admin/v1/{project_id}/faults", "AdminListFaults", "List armed job faults"),
    ("post", "/admin/v1/{project_id}/faults", "AdminCreateFault", "Make a named step of the next job fail"),
    ("delete", "/admin/v1/{project_id}/faults", "AdminClearFaults", "Disarm all job faults"),
    (
        "get",
        "/admin/v1/{project_id}/server-groups/{server_group_id}/snapshot",
        "AdminGroupSnapshot",
        "A group with members and server facts, for pre-checks",
    ),
];

fn parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect()
}

/// The document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for (method, path, operation_id, summary) in OPERATIONS {
        let item = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        let error = json!({"description": "Error in the SDRS envelope {\"error\": {\"code\", \"message\"}}",
                           "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}});
        item[*method] = json!({
            "operationId": operation_id,
            "summary": summary,
            "parameters": parameters(path),
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
                "201": {"description": "Created (admin API)"},
                "204": {"description": "No content"},
                "400": error,
                "401": {"description": "Missing or bad credentials, in the API gateway's format"},
                "413": error,
                "500": error,
            }
        });
        if matches!(*method, "post" | "put" | "patch") {
            item[*method]["requestBody"] = json!({"content": {"application/json": {"schema": {"type": "object"}}}});
        }
    }
    json!({
        "openapi": "3.0.3",
        "info": {"title": "SDRS-compatible API (sdrs-server)", "version": env!("CARGO_PKG_VERSION")},
        "paths": paths,
        "components": {
            "securitySchemes": {
                "token": {"type": "apiKey", "in": "header", "name": "X-Auth-Token"},
                "aksk": {"type": "apiKey", "in": "header", "name": "Authorization",
                         "description": "SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=..."}
            },
            "schemas": {
                "ErrorEnvelope": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}}
            }
        },
        "security": [{"token": []}, {"aksk": []}]
    })
}

pub async fn serve() -> Json<Value> {
    Json(document())
}
