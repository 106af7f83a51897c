//! Recovery plans: many protection groups acted on in ordered stages, with waits and gates a person confirms.
//!
//! The model and its validation are here; [`check`] is the plan check (every blocking reason of every group and of
//! the plan itself, at once, with a simulated timeline), [`run`] the state machine of a run, and [`evidence`] what a
//! run proves afterwards. Pure like the rest of the core, so the server, the console and sdrs-wasm share it.

pub mod check;
pub mod evidence;
pub mod run;

use serde::{Deserialize, Serialize};

use crate::request::{is_resource_id, ResourceName};
use crate::status::{wire_enum, PriorityStation};

/// Stages a plan may have.
pub const MAX_STAGES: usize = 100;
/// Groups a plan may name in all.
pub const MAX_PLAN_GROUPS: usize = 2_000;
/// The longest wait stage: one day.
pub const MAX_WAIT_SECONDS: u64 = 86_400;
/// The longest gate text and description, in characters.
pub const MAX_TEXT_CHARS: usize = 1_000;
/// A plan's largest size as JSON: with 50 plans to a page, a page of plans stays within what a client reads.
pub const MAX_PLAN_BYTES: usize = 256 * 1024;
/// Recovery plans one project may keep.
pub const MAX_PLANS: u64 = 100;
/// Runs kept per plan: a new run beyond it deletes the plan's oldest finished runs (never an unfinished one).
pub const MAX_RUNS_KEPT: usize = 100;
/// Events a run keeps (its first and the latest; the others are counted in `events_dropped`).
pub const MAX_RUN_EVENTS: usize = 2_000;

/// A recovery plan: what to act on, in which order, with which pauses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoveryPlan {
    /// A resource name (1–64 letters, digits, `.`, `_`, `-`); typed to confirm a run.
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Run one after the other; a stage starts when the one before it is done.
    pub stages: Vec<Stage>,
}

/// One step of a plan. Read through [`StageFields`] (see its `Deserialize`), written tagged by `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Stage {
    /// Protection groups acted on in parallel.
    Groups { groups: Vec<PlanGroup> },
    /// A pause of a fixed length (for example for replication or DNS to settle).
    Wait { seconds: u64 },
    /// A person must confirm before the plan goes on; `text` is what they are shown.
    Gate { text: String },
}

wire_enum! {
    /// The kind of a stage, without its contents.
    StageKind, "stage kind" {
        Groups = "groups",
        Wait = "wait",
        Gate = "gate",
    }
}

/// A stage as read: its `type` and whichever fields it has. Read flat and then checked, because serde's reader of an
/// internally tagged enum buffers every value in a generic tree first, which costs each wasm module that reads plans
/// (the console's planning pages, sdrs-wasm) several kilobytes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StageFields {
    #[serde(rename = "type")]
    kind: StageKind,
    groups: Option<Vec<PlanGroup>>,
    seconds: Option<u64>,
    text: Option<String>,
}

impl<'de> Deserialize<'de> for Stage {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Stage, D::Error> {
        let StageFields { kind, groups, seconds, text } = StageFields::deserialize(deserializer)?;
        let stray = |field: &str| serde::de::Error::custom(format!("a `{kind}` stage has no field `{field}`"));
        let missing = |field: &'static str| serde::de::Error::missing_field(field);
        match kind {
            StageKind::Groups => match (seconds, text) {
                (Some(_), _) => Err(stray("seconds")),
                (_, Some(_)) => Err(stray("text")),
                _ => Ok(Stage::Groups { groups: groups.ok_or_else(|| missing("groups"))? }),
            },
            StageKind::Wait => match (groups, text) {
                (Some(_), _) => Err(stray("groups")),
                (_, Some(_)) => Err(stray("text")),
                _ => Ok(Stage::Wait { seconds: seconds.ok_or_else(|| missing("seconds"))? }),
            },
            StageKind::Gate => match (groups, seconds) {
                (Some(_), _) => Err(stray("groups")),
                (_, Some(_)) => Err(stray("seconds")),
                _ => Ok(Stage::Gate { text: text.ok_or_else(|| missing("text"))? }),
            },
        }
    }
}

impl Stage {
    pub fn kind(&self) -> StageKind {
        match self {
            Stage::Groups { .. } => StageKind::Groups,
            Stage::Wait { .. } => StageKind::Wait,
            Stage::Gate { .. } => StageKind::Gate,
        }
    }

    /// A wait's length.
    pub fn wait_seconds(&self) -> Option<u64> {
        match self {
            Stage::Wait { seconds } => Some(*seconds),
            _ => None,
        }
    }

    /// A gate's text.
    pub fn gate_text(&self) -> Option<&str> {
        match self {
            Stage::Gate { text } => Some(text),
            _ => None,
        }
    }

    /// The groups of a groups stage; none for the others.
    pub fn groups(&self) -> &[PlanGroup] {
        match self {
            Stage::Groups { groups } => groups,
            _ => &[],
        }
    }
}

fn default_true() -> bool {
    true
}

/// A protection group in a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanGroup {
    pub server_group_id: String,
    /// A critical group that fails stops the run at its stage; an optional one is recorded and the run goes on.
    #[serde(default = "default_true")]
    pub critical: bool,
    /// The VPC of this group's DR drill; the run's `drill_vpc_id` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill_vpc_id: Option<String>,
}

wire_enum! {
    /// What a run does to each group.
    RunMode, "run mode" {
        /// Fail over every group to its DR site (production site lost).
        Failover = "failover",
        /// Move production of every group to `priority_station`, with both sites up.
        PlannedFailover = "planned-failover",
        /// Create a DR drill per group; production is untouched.
        Drill = "drill",
        /// Delete the DR drills a given drill run created.
        DrillCleanup = "drill-cleanup",
    }
}

/// How a plan is to be run: the mode and its parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunOptions {
    pub mode: RunMode,
    /// `planned-failover` only: the site that becomes production.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_station: Option<PriorityStation>,
    /// `drill` only: the VPC of the drills (a group's own `drill_vpc_id` wins); absent lets the service choose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill_vpc_id: Option<String>,
    /// `drill-cleanup` only: the drill run whose drills to delete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill_run_id: Option<String>,
}

/// Body of a request to start a run: the options, and the plan's name typed by the operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartRunRequest {
    pub mode: RunMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_station: Option<PriorityStation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill_vpc_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill_run_id: Option<String>,
    /// Must equal the plan's name.
    pub confirm: String,
    /// The plan's `version` the operator checked and confirmed: a plan replaced since is not run.
    pub plan_version: u64,
}

impl StartRunRequest {
    /// The run's options, validated, once the confirmation matches `plan_name` and the plan is still at the version
    /// the operator confirmed (`plan_version`).
    pub fn accept(&self, plan_name: &str, plan_version: u64) -> Result<RunOptions, PlanError> {
        if self.confirm != plan_name {
            return Err(PlanError::ConfirmationMismatch { expected: plan_name.to_owned() });
        }
        if self.plan_version != plan_version {
            return Err(PlanError::PlanChanged { confirmed: self.plan_version, now: plan_version });
        }
        let options = RunOptions {
            mode: self.mode,
            priority_station: self.priority_station,
            drill_vpc_id: self.drill_vpc_id.clone(),
            drill_run_id: self.drill_run_id.clone(),
        };
        options.validate()?;
        Ok(options)
    }
}

impl RunOptions {
    /// A mode's parameter must be given, and no other mode's.
    pub fn validate(&self) -> Result<(), PlanError> {
        let wrong = |field: &'static str| Err(PlanError::OptionNotForMode { field, mode: self.mode });
        match self.mode {
            RunMode::PlannedFailover if self.priority_station.is_none() => {
                return Err(PlanError::MissingOption { field: "priority_station", mode: self.mode })
            }
            RunMode::DrillCleanup if self.drill_run_id.is_none() => {
                return Err(PlanError::MissingOption { field: "drill_run_id", mode: self.mode })
            }
            _ => {}
        }
        if self.priority_station.is_some() && self.mode != RunMode::PlannedFailover {
            return wrong("priority_station");
        }
        if self.drill_vpc_id.is_some() && self.mode != RunMode::Drill {
            return wrong("drill_vpc_id");
        }
        if self.drill_run_id.is_some() && self.mode != RunMode::DrillCleanup {
            return wrong("drill_run_id");
        }
        for id in [&self.drill_vpc_id, &self.drill_run_id].into_iter().flatten() {
            if !is_resource_id(id) {
                return Err(PlanError::InvalidId { id: id.clone() });
            }
        }
        Ok(())
    }
}

/// This tool's own refusal codes for recovery plans (the SDRS catalogue has none), in the SDRS envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlanCode {
    /// The plan or a request about it is malformed.
    Invalid,
    /// The operator did not type the plan's name.
    ConfirmationMismatch,
    /// The plan check found blocking reasons.
    Blocked,
    /// No such plan or run in this project.
    NotFound,
    /// The command does not apply to the run as it is now.
    Conflict,
    /// The project's quota of plans is used up.
    Quota,
}

impl PlanCode {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanCode::Invalid => "PLAN.0400",
            PlanCode::ConfirmationMismatch => "PLAN.0401",
            PlanCode::Blocked => "PLAN.0412",
            PlanCode::NotFound => "PLAN.0404",
            PlanCode::Conflict => "PLAN.0409",
            PlanCode::Quota => "PLAN.0403",
        }
    }

    pub fn http_status(self) -> u16 {
        match self {
            PlanCode::Invalid | PlanCode::ConfirmationMismatch | PlanCode::Blocked | PlanCode::Quota => 400,
            PlanCode::NotFound => 404,
            PlanCode::Conflict => 409,
        }
    }

    /// Every code, for the documentation and its test.
    pub const ALL: [PlanCode; 6] = [
        PlanCode::Invalid,
        PlanCode::ConfirmationMismatch,
        PlanCode::Blocked,
        PlanCode::NotFound,
        PlanCode::Conflict,
        PlanCode::Quota,
    ];
}

/// Why a plan or a request about one is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("invalid plan name: {0}")]
    InvalidName(String),
    #[error("the description is longer than {MAX_TEXT_CHARS} characters")]
    DescriptionTooLong,
    #[error("a plan has at most {MAX_STAGES} stages; this one has {0}")]
    TooManyStages(usize),
    #[error("a plan names at most {MAX_PLAN_GROUPS} groups; this one names {0}")]
    TooManyGroups(usize),
    #[error("a plan is at most {MAX_PLAN_BYTES} bytes as JSON; this one is {0}")]
    TooLarge(usize),
    #[error("a project keeps at most {MAX_PLANS} recovery plans; delete one first")]
    TooManyPlans,
    #[error("stage {stage}: a wait lasts 1 to {MAX_WAIT_SECONDS} seconds, not {seconds}")]
    WaitOutOfRange { stage: usize, seconds: u64 },
    #[error("stage {stage}: a gate's text is 1 to {MAX_TEXT_CHARS} characters")]
    GateText { stage: usize },
    #[error("`{id}` is not a valid id")]
    InvalidId { id: String },
    #[error("a `{mode}` run needs `{field}`")]
    MissingOption { field: &'static str, mode: RunMode },
    #[error("`{field}` does not apply to a `{mode}` run")]
    OptionNotForMode { field: &'static str, mode: RunMode },
    #[error("type the plan's name `{expected}` in `confirm` to start the run")]
    ConfirmationMismatch { expected: String },
    #[error(
        "the plan was replaced since it was checked (version {confirmed} confirmed, now {now}): check it again and \
         confirm what it is now"
    )]
    PlanChanged { confirmed: u64, now: u64 },
    #[error("no recovery plan `{0}` in this project")]
    PlanNotFound(String),
    #[error("no run `{0}` of this plan")]
    RunNotFound(String),
    #[error("the plan has a run that has not ended (`{0}`); finish or cancel it first")]
    RunActive(String),
    #[error("the plan check found {count} blocking reason(s): {reasons}")]
    Blocked { count: usize, reasons: String },
    #[error(transparent)]
    Command(#[from] run::CommandError),
}

impl PlanError {
    pub fn code(&self) -> PlanCode {
        match self {
            PlanError::ConfirmationMismatch { .. } => PlanCode::ConfirmationMismatch,
            PlanError::PlanNotFound(_) | PlanError::RunNotFound(_) => PlanCode::NotFound,
            PlanError::RunActive(_) | PlanError::Command(_) | PlanError::PlanChanged { .. } => PlanCode::Conflict,
            PlanError::Blocked { .. } => PlanCode::Blocked,
            PlanError::TooManyPlans => PlanCode::Quota,
            _ => PlanCode::Invalid,
        }
    }
}

impl RecoveryPlan {
    /// Checks what can be checked without the groups: the name, the text lengths, the bounds, the ids.
    /// Empty stages, repeated and unknown groups are findings of the plan check instead, so that an editor can keep
    /// an unfinished plan and be told everything that is wrong with it at once.
    pub fn validate(&self) -> Result<(), PlanError> {
        ResourceName::parse(&self.name).map_err(|e| PlanError::InvalidName(e.to_string()))?;
        if self.description.chars().count() > MAX_TEXT_CHARS {
            return Err(PlanError::DescriptionTooLong);
        }
        if self.stages.len() > MAX_STAGES {
            return Err(PlanError::TooManyStages(self.stages.len()));
        }
        let groups: usize = self.stages.iter().map(|s| s.groups().len()).sum();
        if groups > MAX_PLAN_GROUPS {
            return Err(PlanError::TooManyGroups(groups));
        }
        for (stage, step) in self.stages.iter().enumerate() {
            match step {
                Stage::Wait { seconds } if !(1..=MAX_WAIT_SECONDS).contains(seconds) => {
                    return Err(PlanError::WaitOutOfRange { stage, seconds: *seconds })
                }
                Stage::Gate { text } if text.trim().is_empty() || text.chars().count() > MAX_TEXT_CHARS => {
                    return Err(PlanError::GateText { stage })
                }
                Stage::Groups { groups } => {
                    for group in groups {
                        for id in std::iter::once(&group.server_group_id).chain(&group.drill_vpc_id) {
                            if !is_resource_id(id) {
                                return Err(PlanError::InvalidId { id: id.clone() });
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        let size = serde_json::to_string(self).map_or(usize::MAX, |json| json.len());
        if size > MAX_PLAN_BYTES {
            return Err(PlanError::TooLarge(size));
        }
        Ok(())
    }

    /// Every group the plan names, with its stage index, in plan order (repeats included).
    pub fn group_entries(&self) -> impl Iterator<Item = (usize, &PlanGroup)> {
        self.stages.iter().enumerate().flat_map(|(index, stage)| stage.groups().iter().map(move |g| (index, g)))
    }
}
