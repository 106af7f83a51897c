//! The OpenAPI 3 document of the implemented endpoints, served at `/openapi.json`, with request and response
//! schemas generated from the same Rust types the handlers use.

use axum::Json;
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{json, Map, Value};

use sdrs_core::snapshot::GroupSnapshot;
use sdrs_core::wire::*;

type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

fn schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// One documented operation.
pub struct Operation {
    pub method: &'static str,
    pub path: &'static str,
    pub id: &'static str,
    pub summary: &'static str,
    pub request: Option<SchemaFn>,
    /// Whether the request body may be left out (DELETEs that take optional flags).
    pub body_optional: bool,
    pub response: Option<SchemaFn>,
    pub status: u16,
    pub query: &'static [&'static str],
}

const fn op(method: &'static str, path: &'static str, id: &'static str, summary: &'static str) -> Operation {
    Operation {
        method,
        path,
        id,
        summary,
        request: None,
        body_optional: false,
        response: None,
        status: 200,
        query: &[],
    }
}

const GROUP_FILTERS: &[&str] = &["limit", "offset", "status", "name", "query_type", "availability_zone"];
const INSTANCE_FILTERS: &[&str] = &[
    "limit",
    "offset",
    "server_group_id",
    "server_group_ids",
    "protected_instance_ids",
    "status",
    "name",
    "query_type",
];
const PAIR_FILTERS: &[&str] = &[
    "limit",
    "offset",
    "server_group_id",
    "server_group_ids",
    "protected_instance_id",
    "protected_instance_ids",
    "status",
    "name",
];

/// Every operation the server routes, except `/openapi.json`, `/console/config` and the console's files: the router
/// is built from this table (with `routes::HANDLERS`), the document is rendered from it, and the gateway's allow-list
/// reads it.
pub static OPERATIONS: &[Operation] = &[
    Operation { response: Some(schema::<ApiVersionList>), ..op("get", "/", "ListApiVersions", "API versions") },
    Operation {
        response: Some(schema::<ApiVersionResponse>),
        ..op("get", "/v1", "ShowSpecifiedApiVersion", "The v1 API version")
    },
    Operation {
        response: Some(schema::<ServerGroupList>),
        query: GROUP_FILTERS,
        ..op("get", "/v1/{project_id}/server-groups", "ListProtectionGroups", "List protection groups")
    },
    Operation {
        request: Some(schema::<CreateServerGroupRequest>),
        response: Some(schema::<JobIdResponse>),
        ..op("post", "/v1/{project_id}/server-groups", "CreateProtectionGroup", "Create a protection group (job)")
    },
    Operation {
        response: Some(schema::<ServerGroupResponse>),
        ..op(
            "get",
            "/v1/{project_id}/server-groups/{server_group_id}",
            "ShowProtectionGroup",
            "Show a protection group",
        )
    },
    Operation {
        request: Some(schema::<UpdateServerGroupNameRequest>),
        response: Some(schema::<ServerGroupResponse>),
        ..op(
            "put",
            "/v1/{project_id}/server-groups/{server_group_id}",
            "UpdateProtectionGroupName",
            "Rename a protection group",
        )
    },
    Operation {
        response: Some(schema::<JobIdResponse>),
        ..op(
            "delete",
            "/v1/{project_id}/server-groups/{server_group_id}",
            "DeleteProtectionGroup",
            "Delete a protection group (job)",
        )
    },
    Operation {
        request: Some(action_schema),
        response: Some(schema::<JobIdResponse>),
        ..op(
            "post",
            "/v1/{project_id}/server-groups/{server_group_id}/action",
            "ProtectionGroupAction",
            "Enable or re-protect, disable, planned failover or failover (job)",
        )
    },
    Operation {
        response: Some(schema::<ProtectedInstanceList>),
        query: INSTANCE_FILTERS,
        ..op("get", "/v1/{project_id}/protected-instances", "ListProtectedInstances", "List protected instances")
    },
    Operation {
        request: Some(schema::<CreateProtectedInstanceRequest>),
        response: Some(schema::<JobIdResponse>),
        ..op(
            "post",
            "/v1/{project_id}/protected-instances",
            "CreateProtectedInstance",
            "Create a protected instance (job)",
        )
    },
    Operation {
        response: Some(schema::<ProtectedInstanceResponse>),
        ..op(
            "get",
            "/v1/{project_id}/protected-instances/{protected_instance_id}",
            "ShowProtectedInstance",
            "Show a protected instance",
        )
    },
    Operation {
        request: Some(schema::<UpdateProtectedInstanceNameRequest>),
        response: Some(schema::<ProtectedInstanceResponse>),
        ..op(
            "put",
            "/v1/{project_id}/protected-instances/{protected_instance_id}",
            "UpdateProtectedInstanceName",
            "Rename a protected instance",
        )
    },
    Operation {
        request: Some(schema::<DeleteProtectedInstanceRequest>),
        body_optional: true,
        response: Some(schema::<JobIdResponse>),
        ..op(
            "delete",
            "/v1/{project_id}/protected-instances/{protected_instance_id}",
            "DeleteProtectedInstance",
            "Delete a protected instance (job)",
        )
    },
    Operation {
        request: Some(schema::<AttachReplicationRequest>),
        response: Some(schema::<JobIdResponse>),
        ..op(
            "post",
            "/v1/{project_id}/protected-instances/{protected_instance_id}/attachreplication",
            "AttachProtectedInstanceReplication",
            "Attach a replication pair (job)",
        )
    },
    Operation {
        response: Some(schema::<JobIdResponse>),
        ..op(
            "delete",
            "/v1/{project_id}/protected-instances/{protected_instance_id}/detachreplication/{replication_id}",
            "DetachProtectedInstanceReplication",
            "Detach a replication pair (job)",
        )
    },
    Operation {
        response: Some(schema::<ReplicationList>),
        query: PAIR_FILTERS,
        ..op("get", "/v1/{project_id}/replications", "ListReplications", "List replication pairs")
    },
    Operation {
        request: Some(schema::<CreateReplicationRequest>),
        response: Some(schema::<JobIdResponse>),
        ..op("post", "/v1/{project_id}/replications", "CreateReplication", "Create a replication pair (job)")
    },
    Operation {
        response: Some(schema::<ReplicationResponse>),
        ..op("get", "/v1/{project_id}/replications/{replication_id}", "ShowReplication", "Show a replication pair")
    },
    Operation {
        request: Some(schema::<UpdateReplicationNameRequest>),
        response: Some(schema::<ReplicationResponse>),
        ..op(
            "put",
            "/v1/{project_id}/replications/{replication_id}",
            "UpdateReplicationName",
            "Rename a replication pair",
        )
    },
    Operation {
        request: Some(schema::<DeleteReplicationRequest>),
        body_optional: true,
        response: Some(schema::<JobIdResponse>),
        ..op(
            "delete",
            "/v1/{project_id}/replications/{replication_id}",
            "DeleteReplication",
            "Delete a replication pair (job)",
        )
    },
    Operation {
        request: Some(schema::<ExpandReplicationRequest>),
        response: Some(schema::<JobIdResponse>),
        ..op(
            "post",
            "/v1/{project_id}/replications/{replication_id}/action",
            "ExpandReplication",
            "Expand a replication pair (job)",
        )
    },
    Operation {
        response: Some(schema::<DisasterRecoveryDrillList>),
        query: &["limit", "offset", "server_group_id", "name", "status", "drill_vpc_id"],
        ..op("get", "/v1/{project_id}/disaster-recovery-drills", "ListDisasterRecoveryDrills", "List DR drills")
    },
    Operation {
        request: Some(schema::<CreateDrillRequest>),
        response: Some(schema::<JobIdResponse>),
        ..op(
            "post",
            "/v1/{project_id}/disaster-recovery-drills",
            "CreateDisasterRecoveryDrill",
            "Create a DR drill (job)",
        )
    },
    Operation {
        response: Some(schema::<DisasterRecoveryDrillResponse>),
        ..op(
            "get",
            "/v1/{project_id}/disaster-recovery-drills/{disaster_recovery_drill_id}",
            "ShowDisasterRecoveryDrill",
            "Show a DR drill",
        )
    },
    Operation {
        request: Some(schema::<UpdateDrillNameRequest>),
        response: Some(schema::<DisasterRecoveryDrillResponse>),
        ..op(
            "put",
            "/v1/{project_id}/disaster-recovery-drills/{disaster_recovery_drill_id}",
            "UpdateDisasterRecoveryDrillName",
            "Rename a DR drill",
        )
    },
    Operation {
        response: Some(schema::<JobIdResponse>),
        ..op(
            "delete",
            "/v1/{project_id}/disaster-recovery-drills/{disaster_recovery_drill_id}",
            "DeleteDisasterRecoveryDrill",
            "Delete a DR drill (job)",
        )
    },
    Operation {
        response: Some(schema::<Job>),
        ..op("get", "/v1/{project_id}/jobs/{job_id}", "ShowJobStatus", "Show a job")
    },
    Operation {
        response: Some(schema::<ActiveDomainList>),
        ..op("get", "/v1/{project_id}/active-domains", "ListActiveActiveDomains", "List active-active domains")
    },
    Operation {
        response: Some(schema::<QuotaResponse>),
        ..op("get", "/v1/{project_id}/sdrs/quotas", "ShowQuota", "Show quotas")
    },
    Operation {
        response: Some(schema::<FailureJobList>),
        query: &["limit", "offset", "failure_status", "resource_name", "server_group_id", "resource_type"],
        ..op("get", "/v1/{project_id}/task-center/failure-jobs", "ListFailureJobs", "List failed jobs")
    },
    Operation {
        status: 204,
        ..op(
            "delete",
            "/v1/{project_id}/task-center/failure-jobs/batch",
            "DeleteAllServerGroupFailureJobs",
            "Delete all failed jobs",
        )
    },
    Operation {
        status: 204,
        ..op(
            "delete",
            "/v1/{project_id}/task-center/failure-jobs/{failure_job_id}",
            "DeleteFailureJob",
            "Delete a failed job",
        )
    },
    Operation {
        status: 204,
        ..op(
            "delete",
            "/v1/{project_id}/task-center/{server_group_id}/failure-jobs/batch",
            "DeleteServerGroupFailureJobs",
            "Delete a group's failed jobs",
        )
    },
    Operation {
        response: Some(schema::<ServerList>),
        ..op("get", "/admin/v1/{project_id}/servers", "AdminListServers", "Inventory: list servers")
    },
    Operation {
        request: Some(schema::<NewServer>),
        response: Some(schema::<ServerResponse>),
        status: 201,
        ..op("post", "/admin/v1/{project_id}/servers", "AdminCreateServer", "Inventory: create a server")
    },
    Operation {
        response: Some(schema::<ServerResponse>),
        ..op("get", "/admin/v1/{project_id}/servers/{server_id}", "AdminShowServer", "Inventory: show a server")
    },
    Operation {
        request: Some(schema::<ServerChange>),
        response: Some(schema::<ServerResponse>),
        ..op(
            "patch",
            "/admin/v1/{project_id}/servers/{server_id}",
            "AdminUpdateServer",
            "Inventory: change a server's power state, name or password flag",
        )
    },
    Operation {
        status: 204,
        ..op(
            "delete",
            "/admin/v1/{project_id}/servers/{server_id}",
            "AdminDeleteServer",
            "Inventory: delete a server through the native interface",
        )
    },
    Operation {
        response: Some(schema::<DiskList>),
        ..op("get", "/admin/v1/{project_id}/disks", "AdminListDisks", "Inventory: list disks")
    },
    Operation {
        request: Some(schema::<NewDisk>),
        response: Some(schema::<DiskResponse>),
        status: 201,
        ..op("post", "/admin/v1/{project_id}/disks", "AdminCreateDisk", "Inventory: create a disk")
    },
    Operation {
        status: 204,
        ..op(
            "delete",
            "/admin/v1/{project_id}/disks/{disk_id}",
            "AdminDeleteDisk",
            "Inventory: delete a disk that no replication pair uses",
        )
    },
    Operation {
        request: Some(schema::<DiskChange>),
        response: Some(schema::<DiskResponse>),
        ..op(
            "patch",
            "/admin/v1/{project_id}/disks/{disk_id}",
            "AdminUpdateDisk",
            "Inventory: change a disk's status (`deleted`: deleted through the native interface)",
        )
    },
    Operation {
        request: Some(schema::<ReplicationChange>),
        response: Some(schema::<ReplicationResponse>),
        ..op(
            "patch",
            "/admin/v1/{project_id}/replications/{replication_id}",
            "AdminSetFaultLevel",
            "Set a replication pair's fault_level",
        )
    },
    Operation {
        response: Some(schema::<FaultList>),
        ..op("get", "/admin/v1/{project_id}/faults", "AdminListFaults", "List armed job faults")
    },
    Operation {
        request: Some(schema::<Fault>),
        response: Some(schema::<Fault>),
        status: 201,
        ..op("post", "/admin/v1/{project_id}/faults", "AdminCreateFault", "Make a named step of the next job fail")
    },
    Operation {
        status: 204,
        ..op("delete", "/admin/v1/{project_id}/faults", "AdminClearFaults", "Disarm all job faults")
    },
    Operation {
        response: Some(schema::<GroupSnapshot>),
        ..op(
            "get",
            "/admin/v1/{project_id}/server-groups/{server_group_id}/snapshot",
            "AdminGroupSnapshot",
            "A group with members and server facts, for pre-checks",
        )
    },
];

/// The action body: exactly one of the four documented keys.
fn action_schema(_: &mut SchemaGenerator) -> Schema {
    let empty = json!({"type": "object", "additionalProperties": false});
    let reverse = json!({"type": "object", "additionalProperties": false, "required": ["priority_station"],
        "properties": {"priority_station": {"type": "string", "enum": ["source", "target"]}}});
    let one = |key: &str, value: &Value| json!({"type": "object", "additionalProperties": false, "required": [key], "properties": {key: value}});
    Schema::try_from(json!({"oneOf": [
        one("start-server-group", &empty), one("stop-server-group", &empty),
        one("reverse-server-group", &reverse), one("failover-server-group", &empty),
    ]}))
    .expect("an object is a schema")
}

fn parameters(operation: &Operation) -> Vec<Value> {
    let path = operation
        .path
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}));
    let query = operation.query.iter().map(|name| {
        let schema = match *name {
            "limit" => json!({"type": "integer", "minimum": 0, "maximum": sdrs_core::request::MAX_LIMIT}),
            "offset" => json!({"type": "integer", "minimum": 0}),
            _ => json!({"type": "string"}),
        };
        json!({"name": name, "in": "query", "required": false, "schema": schema})
    });
    path.chain(query).collect()
}

/// The document.
pub fn document() -> Value {
    // Responses are described as the server writes them, request bodies as it reads them (optional fields).
    let mut generator = SchemaSettings::openapi3().for_serialize().into_generator();
    let mut requests =
        SchemaSettings::openapi3().for_deserialize().with(|s| s.inline_subschemas = true).into_generator();
    let envelope = Value::from(generator.subschema_for::<ErrorEnvelope>());
    let gateway = Value::from(generator.subschema_for::<GatewayError>());
    let sdrs_error = |description: &str| json!({"description": description, "content": {"application/json": {"schema": envelope.clone()}}});
    let mut paths = Map::new();
    for operation in OPERATIONS {
        let mut responses = Map::new();
        let success = match operation.response {
            Some(schema) => {
                json!({"description": "OK", "content": {"application/json": {"schema": Value::from(schema(&mut generator))}}})
            }
            None => json!({"description": "No content"}),
        };
        responses.insert(operation.status.to_string(), success);
        responses.insert("400".into(), sdrs_error("Refused: an SDRS error code and message"));
        responses.insert("413".into(), sdrs_error("The request body is too large"));
        responses.insert("500".into(), sdrs_error("Internal error"));
        responses
            .insert("503".into(), sdrs_error("The server's limits: too many requests in flight, or no answer in time"));
        responses.insert("408".into(), sdrs_error("The request body did not arrive in time"));
        if operation.method != "get" {
            responses.insert("409".into(), sdrs_error("The same signed request is being processed"));
        }
        let public = matches!(operation.path, "/" | "/v1");
        if !public {
            responses.insert(
                "401".into(),
                json!({"description": "Missing or bad credentials, in the API gateway's format",
                       "content": {"application/json": {"schema": gateway.clone()}}}),
            );
        }
        let mut item = json!({
            "operationId": operation.id,
            "summary": operation.summary,
            "parameters": parameters(operation),
            "responses": responses,
        });
        if public {
            item["security"] = json!([]);
        } else if operation.path.starts_with("/admin/") {
            item["security"] = json!([{"adminToken": []}]);
        }
        if let Some(request) = operation.request {
            item["requestBody"] = json!({
                "required": !operation.body_optional,
                "content": {"application/json": {"schema": Value::from(request(&mut requests))}},
            });
        }
        let entry = paths.entry(operation.path.to_owned()).or_insert_with(|| json!({}));
        entry[operation.method] = item;
    }
    json!({
        "openapi": "3.0.3",
        "info": {"title": "SDRS-compatible API (sdrs-server)", "version": env!("CARGO_PKG_VERSION")},
        "paths": paths,
        "components": {
            "securitySchemes": {
                "token": {"type": "apiKey", "in": "header", "name": "X-Auth-Token"},
                "aksk": {"type": "apiKey", "in": "header", "name": "Authorization",
                         "description": "SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=..."},
                "adminToken": {"type": "apiKey", "in": "header", "name": "X-Admin-Token",
                               "description": "The admin API's own token (sdrs-server --admin; public in --demo)"}
            },
            "schemas": generator.take_definitions(true),
        },
        "security": [{"token": []}, {"aksk": []}]
    })
}

pub async fn serve() -> Json<Value> {
    Json(document())
}
