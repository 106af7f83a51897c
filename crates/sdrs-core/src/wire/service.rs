//! Service-level bodies: active-active domains, quotas, API versions and task-centre failure jobs.

use serde::{Deserialize, Serialize};

/// One side of an active-active domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReplicationCluster {
    pub availability_zone: String,
}

/// An active-active domain: a pair of AZs that can replicate to each other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ActiveDomain {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub sold_out: bool,
    pub local_replication_cluster: ReplicationCluster,
    pub remote_replication_cluster: ReplicationCluster,
}

/// `{"domains": [...]}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ActiveDomainList {
    pub domains: Vec<ActiveDomain>,
}

/// One quota line; `-1` means unlimited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QuotaResource {
    /// `server_groups` or `replications`.
    #[serde(rename = "type")]
    pub resource_type: String,
    pub used: i64,
    pub quota: i64,
    pub min: i64,
    pub max: i64,
}

/// The `quotas` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Quotas {
    pub resources: Vec<QuotaResource>,
}

/// `{"quotas": {"resources": [...]}}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QuotaResponse {
    pub quotas: Quotas,
}

/// A link of an API version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Link {
    pub href: String,
    pub rel: String,
}

/// An API version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ApiVersion {
    pub id: String,
    pub links: Vec<Link>,
    pub status: String,
    pub updated: String,
    pub version: String,
    pub min_version: String,
}

/// `{"versions": [...]}` from `GET /`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ApiVersionList {
    pub versions: Vec<ApiVersion>,
}

/// `{"version": {...}}` from `GET /v1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ApiVersionResponse {
    pub version: ApiVersion,
}

/// A failed job kept in the task centre until the user deletes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FailureJob {
    /// Always `FAIL`.
    pub job_status: String,
    pub resource_id: String,
    pub resource_name: String,
    pub resource_type: String,
    /// e.g. `failoverFail`.
    pub failure_status: String,
    pub job_id: String,
    pub job_type: String,
    pub begin_time: String,
    pub error_code: Option<String>,
    pub fail_reason: Option<String>,
}

/// `{"failure_jobs": [...], "count": n}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FailureJobList {
    pub failure_jobs: Vec<FailureJob>,
    pub count: u64,
}
