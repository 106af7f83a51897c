//! The job object returned by `GET /v1/{project_id}/jobs/{job_id}`, its entities and sub-jobs.

use serde::{Deserialize, Serialize};

use crate::status::{wire_enum, JobStatus};

/// `{"job_id": "..."}`, the answer to every asynchronous call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct JobIdResponse {
    pub job_id: String,
}

/// A job or sub-job. Sub-jobs have the same shape, without `sub_jobs` of their own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Job {
    pub job_id: String,
    pub job_type: String,
    pub status: JobStatus,
    #[serde(default)]
    pub entities: JobEntities,
    /// `yyyy-MM-ddTHH:mm:ss.SSSZ`; null until the job starts.
    #[serde(default)]
    pub begin_time: Option<String>,
    /// Same format; null while the job runs.
    #[serde(default)]
    pub end_time: Option<String>,
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub fail_reason: Option<String>,
}

/// What a job acted on. Only the keys that apply are present.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct JobEntities {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_group_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protected_instance_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replication_pair_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_ids: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub native_server_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nic_id: Option<String>,
    /// Used by terraform; absent from the Python SDK's model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disaster_recovery_drill_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_jobs: Option<Vec<Job>>,
}

wire_enum! {
    /// The documented `job_type` values of top-level jobs.
    JobType, "job type" {
        CreateProtectionGroup = "createProtectionGroupNoCG",
        DeleteProtectionGroup = "deleteProtectionGroupNoCG",
        StartProtectionGroup = "startProtectionGroupNoCG",
        ReprotectProtectionGroup = "reprotectProtectionGroupNoCG",
        StopProtectionGroup = "stopProtectionGroupNoCG",
        FailoverProtectionGroup = "failoverProtectionGroupNoCG",
        ReverseProtectionGroup = "reverseProtectionGroupNoCG",
        CreateProtectedInstance = "createProtectedInstanceNoCG",
        DeleteProtectedInstance = "deleteProtectedInstanceNoCG",
        AttachReplicationPair = "attachReplicationPairNew",
        DetachReplicationPair = "detachReplicationPairNew",
        AddNic = "addNicNew",
        DeleteNic = "deleteNicNew",
        ResizeProtectedInstance = "resizeProtectedInstanceNew",
        CreateReplicationPair = "createReplicationPairNoCG",
        DeleteReplicationPair = "deleteReplicationPairNoCG",
        ExpandReplicationPair = "expandReplicationPairNew",
        CreateDisasterRecoveryDrill = "createDisasterRecoveryDrill",
        DeleteDisasterRecoveryDrill = "deleteDisasterRecoveryDrill",
    }
}
