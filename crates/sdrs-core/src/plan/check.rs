//! The plan check: every reason a run of a plan would be refused or go wrong, at once, from snapshots of its groups,
//! and a simulated timeline of each group's statuses through the run.

use serde::{Deserialize, Serialize};

use crate::member_rules::{create_drill, remove_drill, MemberCheck, Missing};
use crate::precheck::{precheck, FindingKind, Severity};
use crate::snapshot::{Intent, SnapshotFacts};
use crate::status::{wire_enum, DrillStatus, GroupStatus, PriorityStation};

use super::{PlanCode, RecoveryPlan, RunMode, RunOptions, Stage, StageKind};

wire_enum! {
    /// What a plan finding is about; stable identifiers for programs.
    PlanFindingKind, "plan finding kind" {
        /// The plan names no group at all.
        EmptyPlan = "empty-plan",
        /// A groups stage with no group in it.
        EmptyStage = "empty-stage",
        /// A group named in two stages (or twice in one).
        GroupInTwoStages = "group-in-two-stages",
        /// A group that no longer exists.
        GroupNotFound = "group-not-found",
        /// A planned failover over groups whose production sites differ.
        MixedProductionSites = "mixed-production-sites",
        /// A drill cleanup naming a drill run this plan does not have.
        UnknownDrillRun = "unknown-drill-run",
        /// A drill the drill run made that is already gone, or a group it made none for: nothing to do there.
        NothingToClean = "nothing-to-clean",
        /// One of the group's own reasons, from its pre-check or member rules (`precheck` says which, if any).
        Group = "group",
    }
}

/// One reason, about the plan or one of its groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PlanFinding {
    pub kind: PlanFindingKind,
    pub severity: Severity,
    /// The SDRS code the service would refuse with, or this tool's `PLAN.0412` for the plan's own reasons.
    pub code: String,
    pub message: String,
    pub hint: String,
    /// The stage (0-based) the finding is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_group_id: Option<String>,
    /// For a group's pre-check finding, which one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precheck: Option<FindingKind>,
    /// The instance, pair, server or drill concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
}

/// What a group goes through in the run, if every job succeeds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SimulatedGroup {
    pub server_group_id: String,
    pub name: String,
    pub critical: bool,
    /// Before the run, while its job runs, and after it succeeds (one status when the group's status does not move).
    pub statuses: Vec<GroupStatus>,
    /// The status if its job fails.
    pub on_failure: GroupStatus,
    pub production_before: PriorityStation,
    pub production_after: PriorityStation,
    /// A drill's statuses: created for a drill run, deleted for a cleanup (the drill is then gone).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drill_statuses: Vec<DrillStatus>,
}

/// One stage of the simulated run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TimelineStage {
    pub index: usize,
    pub kind: StageKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The groups this stage acts on, as far as they exist and are not repeats.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<SimulatedGroup>,
}

/// The plan check's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PlanCheck {
    pub mode: RunMode,
    /// True when nothing blocks.
    pub allowed: bool,
    /// Every finding, blocking ones first, then in plan order.
    pub findings: Vec<PlanFinding>,
    pub timeline: Vec<TimelineStage>,
}

/// A drill a drill run created, as a cleanup needs to know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DrillMade {
    pub server_group_id: String,
    pub disaster_recovery_drill_id: String,
}

/// A finished or running drill run of the plan and the drills it made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DrillRunRecord {
    pub run_id: String,
    pub drills: Vec<DrillMade>,
}

impl PlanFinding {
    fn plan(kind: PlanFindingKind, severity: Severity, message: String, hint: &str) -> PlanFinding {
        PlanFinding {
            kind,
            severity,
            code: PlanCode::Blocked.as_str().to_owned(),
            message,
            hint: hint.to_owned(),
            stage: None,
            server_group_id: None,
            precheck: None,
            resource_id: None,
        }
    }

    fn at(mut self, stage: usize, group: Option<&str>) -> PlanFinding {
        self.stage = Some(stage);
        self.server_group_id = group.map(str::to_owned);
        self
    }
}

/// Checks a run of `plan` with `options` against the groups' snapshots (`groups`; a group missing from them no
/// longer exists) and the plan's drill runs (`drill_runs`, for a cleanup). Returns every finding at once.
pub fn check_plan(
    plan: &RecoveryPlan,
    options: &RunOptions,
    groups: &[SnapshotFacts],
    drill_runs: &[DrillRunRecord],
) -> PlanCheck {
    // Sorted vectors rather than hash maps: the same lookups without a hasher in sdrs-wasm (about 2 KB of it).
    let mut by_id: Vec<(&str, &SnapshotFacts)> = groups.iter().map(|g| (g.server_group.id.as_str(), g)).collect();
    by_id.sort_by_key(|(id, _)| *id);
    let mut findings = Vec::new();
    if plan.group_entries().next().is_none() {
        findings.push(PlanFinding::plan(
            PlanFindingKind::EmptyPlan,
            Severity::Blocking,
            "the plan names no protection group".to_owned(),
            "Add a groups stage with at least one protection group.",
        ));
    }
    let cleanup = match options.mode {
        RunMode::DrillCleanup => {
            let wanted = options.drill_run_id.as_deref().unwrap_or_default();
            let found = drill_runs.iter().find(|r| r.run_id == wanted);
            if found.is_none() {
                findings.push(PlanFinding::plan(
                    PlanFindingKind::UnknownDrillRun,
                    Severity::Blocking,
                    format!("`{wanted}` is not a drill run of this plan"),
                    "Name a run of this plan in `drill` mode; the plan's runs are listed with it.",
                ));
            }
            found
        }
        _ => None,
    };
    // Each group's first stage, by id.
    let mut seen: Vec<(&str, usize)> = Vec::new();
    let mut timeline = Vec::new();
    let mut stations: Vec<(PriorityStation, &str)> = Vec::new();
    for (index, stage) in plan.stages.iter().enumerate() {
        let mut simulated = Vec::new();
        if let Stage::Groups { groups: members } = stage {
            if members.is_empty() {
                findings.push(
                    PlanFinding::plan(
                        PlanFindingKind::EmptyStage,
                        Severity::Blocking,
                        format!("stage {} has no protection group", index + 1),
                        "Add groups to the stage or remove it.",
                    )
                    .at(index, None),
                );
            }
            for member in members {
                let id = member.server_group_id.as_str();
                let first = match seen.binary_search_by_key(&id, |(seen_id, _)| *seen_id) {
                    Ok(at) => Some(seen[at].1),
                    Err(at) => {
                        seen.insert(at, (id, index));
                        None
                    }
                };
                if let Some(first) = first {
                    findings.push(
                        PlanFinding::plan(
                            PlanFindingKind::GroupInTwoStages,
                            Severity::Blocking,
                            format!("group `{id}` is in stage {} and again in stage {}", first + 1, index + 1),
                            "A group is acted on once per run: keep it in one stage.",
                        )
                        .at(index, Some(id)),
                    );
                    continue;
                }
                let found = by_id.binary_search_by_key(&id, |(group_id, _)| *group_id).ok();
                let Some(facts) = found.map(|at| by_id[at].1) else {
                    let refusal = Missing::Group.refusal(id);
                    findings.push(PlanFinding {
                        code: refusal.code.as_str().to_owned(),
                        ..PlanFinding::plan(
                            PlanFindingKind::GroupNotFound,
                            Severity::Blocking,
                            refusal.detail,
                            "Remove the group from the plan, or restore it.",
                        )
                        .at(index, Some(id))
                    });
                    continue;
                };
                stations.push((facts.server_group.priority_station, id));
                let drill_vpc = member.drill_vpc_id.as_deref().or(options.drill_vpc_id.as_deref());
                group_findings(facts, options, drill_vpc, cleanup, index, &mut findings);
                simulated.push(simulate(facts, member.critical, options));
            }
        }
        timeline.push(TimelineStage {
            index,
            kind: stage.kind(),
            seconds: stage.wait_seconds(),
            text: stage.gate_text().map(str::to_owned),
            groups: simulated,
        });
    }
    let mixed = stations.iter().any(|(side, _)| Some(side) != stations.first().map(|(first, _)| first));
    if options.mode == RunMode::PlannedFailover && mixed {
        let at = |side: PriorityStation| stations.iter().filter(|(s, _)| *s == side).count();
        findings.push(PlanFinding::plan(
            PlanFindingKind::MixedProductionSites,
            Severity::Blocking,
            format!(
                "the groups are not all on the same side: production is at `source` for {} and at `target` for {}",
                at(PriorityStation::Source),
                at(PriorityStation::Target)
            ),
            "A planned failover moves every group of the run to one site: split the plan, or fail back the \
             groups that are already there first.",
        ));
    }
    // Blocking first, then in plan order (a stable sort keeps the order within each severity).
    findings.sort_by_key(|f| match f.severity {
        Severity::Blocking => 0,
        Severity::Verify => 1,
        Severity::Info => 2,
    });
    PlanCheck {
        mode: options.mode,
        allowed: !findings.iter().any(|f| f.severity == Severity::Blocking),
        findings,
        timeline,
    }
}

/// The intent a failover-type mode has for a group.
pub fn intent_of(options: &RunOptions) -> Option<Intent> {
    match options.mode {
        RunMode::Failover => Some(Intent::Failover),
        RunMode::PlannedFailover => {
            options.priority_station.map(|priority_station| Intent::PlannedFailover { priority_station })
        }
        RunMode::Drill | RunMode::DrillCleanup => None,
    }
}

fn group_findings(
    facts: &SnapshotFacts,
    options: &RunOptions,
    drill_vpc: Option<&str>,
    cleanup: Option<&DrillRunRecord>,
    stage: usize,
    findings: &mut Vec<PlanFinding>,
) {
    let id = facts.server_group.id.as_str();
    match options.mode {
        RunMode::Failover | RunMode::PlannedFailover => {
            let Some(intent) = intent_of(options) else { return };
            for finding in precheck(facts, intent).findings {
                findings.push(PlanFinding {
                    kind: PlanFindingKind::Group,
                    severity: finding.severity,
                    code: finding.code.as_str().to_owned(),
                    message: format!("group `{}`: {}", facts.server_group.name, finding.message),
                    hint: finding.hint,
                    stage: Some(stage),
                    server_group_id: Some(id.to_owned()),
                    precheck: Some(finding.kind),
                    resource_id: finding.resource_id,
                });
            }
        }
        RunMode::Drill => {
            refusals(&create_drill(facts, drill_vpc), facts, stage, None, findings);
        }
        RunMode::DrillCleanup => {
            let Some(record) = cleanup else { return };
            let made: Vec<&str> = record
                .drills
                .iter()
                .filter(|d| d.server_group_id == id)
                .map(|d| d.disaster_recovery_drill_id.as_str())
                .collect();
            if made.is_empty() {
                findings.push(
                    PlanFinding::plan(
                        PlanFindingKind::NothingToClean,
                        Severity::Info,
                        format!("the drill run made no drill of group `{}`", facts.server_group.name),
                        "Nothing to delete for this group; it is skipped.",
                    )
                    .at(stage, Some(id)),
                );
            }
            for drill_id in made {
                match facts.disaster_recovery_drills.iter().find(|d| d.id == drill_id) {
                    None => findings.push(PlanFinding {
                        resource_id: Some(drill_id.to_owned()),
                        ..PlanFinding::plan(
                            PlanFindingKind::NothingToClean,
                            Severity::Info,
                            format!("DR drill `{drill_id}` of group `{}` is already deleted", facts.server_group.name),
                            "Nothing to delete; it is skipped.",
                        )
                        .at(stage, Some(id))
                    }),
                    Some(drill) => refusals(&remove_drill(drill.status), facts, stage, Some(drill_id), findings),
                }
            }
        }
    }
}

fn refusals(
    check: &MemberCheck,
    facts: &SnapshotFacts,
    stage: usize,
    resource: Option<&str>,
    findings: &mut Vec<PlanFinding>,
) {
    for refusal in &check.refusals {
        findings.push(PlanFinding {
            kind: PlanFindingKind::Group,
            severity: Severity::Blocking,
            code: refusal.code.as_str().to_owned(),
            message: format!("group `{}`: {}", facts.server_group.name, refusal.detail),
            hint: refusal.code.handling().to_owned(),
            stage: Some(stage),
            server_group_id: Some(facts.server_group.id.clone()),
            precheck: None,
            resource_id: resource.map(str::to_owned),
        });
    }
}

fn simulate(facts: &SnapshotFacts, critical: bool, options: &RunOptions) -> SimulatedGroup {
    let group = &facts.server_group;
    let (statuses, on_failure, production_after, drill_statuses) = match intent_of(options) {
        Some(intent) => {
            let transition = intent.operation().transition();
            let after = transition.station_after(group.priority_station, intent.requested_station());
            let mut statuses = vec![group.status, transition.transient];
            statuses.extend(transition.success);
            (statuses, transition.failure, after, Vec::new())
        }
        None if options.mode == RunMode::Drill => (
            vec![group.status],
            group.status,
            group.priority_station,
            vec![DrillStatus::Creating, DrillStatus::Available],
        ),
        None => (vec![group.status], group.status, group.priority_station, vec![DrillStatus::Deleting]),
    };
    SimulatedGroup {
        server_group_id: group.id.clone(),
        name: group.name.clone(),
        critical,
        statuses,
        on_failure,
        production_before: group.priority_station,
        production_after,
        drill_statuses,
    }
}

impl PlanCheck {
    /// The blocking findings, as one refusal.
    pub fn refusal(&self) -> Option<super::PlanError> {
        let blocking: Vec<&PlanFinding> = self.findings.iter().filter(|f| f.severity == Severity::Blocking).collect();
        (!blocking.is_empty()).then(|| super::PlanError::Blocked {
            count: blocking.len(),
            reasons: blocking.iter().map(|f| format!("{} ({})", f.message, f.code)).collect::<Vec<_>>().join("; "),
        })
    }
}

/// The drills a cleanup of `record` deletes: those that still exist in the groups' snapshots, one per group.
pub fn cleanup_targets(record: &DrillRunRecord, groups: &[SnapshotFacts]) -> Vec<DrillMade> {
    let mut targets: Vec<DrillMade> = Vec::new();
    for made in &record.drills {
        let exists = groups.iter().any(|g| {
            g.server_group.id == made.server_group_id
                && g.disaster_recovery_drills.iter().any(|d| d.id == made.disaster_recovery_drill_id)
        });
        if exists && !targets.iter().any(|t| t.server_group_id == made.server_group_id) {
            targets.push(made.clone());
        }
    }
    targets
}
