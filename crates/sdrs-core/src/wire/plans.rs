//! Bodies of the recovery-plan API, this tool's own extension under `/orchestration/v1` (not part of SDRS).

use serde::{Deserialize, Serialize};

use crate::plan::run::{PlanRun, RunStatus};
use crate::plan::{RecoveryPlan, RunMode, Stage};

/// A stored recovery plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PlanResource {
    pub id: String,
    pub name: String,
    pub description: String,
    pub stages: Vec<Stage>,
    pub created_at: String,
    pub updated_at: String,
    /// 1 when created, one more at every replacement: a run is started for the version the operator checked
    /// (`StartRunRequest::plan_version`).
    #[serde(default = "first_version")]
    pub version: u64,
}

fn first_version() -> u64 {
    1
}

impl PlanResource {
    /// The plan itself, without its id and times.
    pub fn plan(&self) -> RecoveryPlan {
        RecoveryPlan { name: self.name.clone(), description: self.description.clone(), stages: self.stages.clone() }
    }
}

/// `{"recovery_plan": {...}}`, the body that creates or replaces a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanBody {
    pub recovery_plan: RecoveryPlan,
}

/// `{"recovery_plan": {...}}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PlanResponse {
    pub recovery_plan: PlanResource,
}

/// `{"recovery_plans": [...], "count": n}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PlanList {
    pub recovery_plans: Vec<PlanResource>,
    pub count: u64,
}

/// `{"run": {...}}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunResponse {
    pub run: PlanRun,
}

/// A run in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunSummary {
    pub id: String,
    pub plan_id: String,
    pub mode: RunMode,
    pub status: RunStatus,
    pub started_at: String,
    #[serde(default)]
    pub finished_at: Option<String>,
}

impl From<&PlanRun> for RunSummary {
    fn from(run: &PlanRun) -> RunSummary {
        RunSummary {
            id: run.id.clone(),
            plan_id: run.plan_id.clone(),
            mode: run.options.mode,
            status: run.status,
            started_at: run.started_at.clone(),
            finished_at: run.finished_at.clone(),
        }
    }
}

/// `{"runs": [...], "count": n}`, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunList {
    pub runs: Vec<RunSummary>,
    pub count: u64,
}

/// Body of a gate confirmation: who confirms, in their own words (a name, a ticket).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmGate {
    pub confirmed_by: String,
}

/// Body of a run command that needs no parameter (pause, resume, cancel, retry, skip): empty, or `{}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunCommand {}
